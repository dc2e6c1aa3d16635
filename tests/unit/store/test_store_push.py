from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tfshadow.errors import StoreDivergedError, StoreError
from tfshadow.state import delta
from tfshadow.store import GitShadowStore, StoreConfig

if TYPE_CHECKING:
    from conftest import StoreKit


def bare(kit: StoreKit, path: Path) -> Path:
    kit.git(path.parent, "init", "-q", "--bare", str(path))
    return path


def test_push_sends_history_that_clones_back(kit: StoreKit, tmp_path: Path) -> None:
    remote = bare(kit, tmp_path / "mirror.git")
    workdir = tmp_path / "config"
    workdir.mkdir()
    store = kit.open_store(workdir, remote=str(remote), keyframe_interval=2)
    for n in range(1, 4):
        kit.record(store, n)
    assert store.has_unpushed()

    store.push()

    assert not store.has_unpushed()
    kit.git(tmp_path, "clone", "-q", "-b", "tfshadow", str(remote), "clone")
    clone = tmp_path / "clone"
    log = kit.git(clone, "log", "--format=%an <%ae>|%(trailers:key=Tfshadow-Version,valueonly)")
    assert [line for line in log.splitlines() if line][:3] == [
        "Ann Operator <ann@example.com>|default/3",
        "Ann Operator <ann@example.com>|default/2",
        "Ann Operator <ann@example.com>|default/1",
    ]
    # The clone is a store in its own right.
    copy = kit.open_store(tmp_path, create=False, path=clone)
    assert delta.dumps(copy.reconstruct("default", 3).state) == delta.dumps(kit.state_doc(3))
    # Nothing private travels: no key, no cache, no lock.
    assert kit.git(clone, "ls-files").split() == [
        "tfshadow-store.json",
        *(
            f"workspaces/default/00000{n}/{name}"
            for n, names in (
                (1, ("config.json", "meta.json", "state.json")),
                (2, ("config.delta.json", "meta.json", "state.delta.json")),
                (3, ("config.json", "meta.json", "state.json")),
            )
            for name in names
        ),
    ]

    kit.record(store, 4)
    assert store.has_unpushed()
    store.push()
    assert kit.git(remote, "rev-parse", "tfshadow") == kit.git(store.root, "rev-parse", "HEAD")


def test_push_failure_keeps_the_version_for_the_next_push(kit: StoreKit, tmp_path: Path) -> None:
    remote = tmp_path / "not-yet.git"
    workdir = tmp_path / "config"
    workdir.mkdir()
    store = kit.open_store(workdir, remote=str(remote))
    kit.record(store, 1)

    with pytest.raises(StoreError) as caught:
        store.push()
    assert str(remote) in caught.value.message
    assert caught.value.hint and "next successful push" in caught.value.hint
    assert store.has_unpushed()
    assert store.latest("default") is not None

    bare(kit, remote)
    store.push()
    assert not store.has_unpushed()
    assert "default/1" in kit.git(remote, "log", "tfshadow", "--format=%(trailers)")


def test_a_remote_back_within_the_same_process_is_pushed_to_again(
    kit: StoreKit, tmp_path: Path
) -> None:
    # `check --watch` keeps its store open: a remote unreachable in one cycle is not
    # given up for the cycles after, once it answers again; within one command (one cycle) it
    # is tried once.
    remote = tmp_path / "not-yet.git"
    workdir = tmp_path / "config"
    workdir.mkdir()
    store = kit.open_store(workdir, remote=str(remote))
    with pytest.raises(StoreError):
        store.pull_before_recording()
    kit.record(store, 1)
    store.push()  # not tried again: the failed fetch said it
    assert store.has_unpushed()

    bare(kit, remote)
    assert store.pull_before_recording() is None  # the same command: not tried again
    kit.record(store, 2)
    store.push()
    assert store.has_unpushed()

    store.ask_remote_again()  # the next cycle
    store.pull_before_recording()
    kit.record(store, 3)
    store.push()

    assert not store.has_unpushed()
    assert kit.git(remote, "rev-parse", "tfshadow") == kit.git(store.root, "rev-parse", "HEAD")


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a directory to another owner needs root")
def test_push_with_a_users_ssh_command_where_git_refuses_the_configurations_repository(
    kit: StoreKit, tmp_path: Path
) -> None:
    # The user's own ssh command (global settings), and a configuration repository git does
    # not use (another owner's: "dubious ownership"): the store, a repository of its own,
    # pushes as git runs that command here.
    Path(os.environ["GIT_CONFIG_GLOBAL"]).write_text("[core]\n\tsshCommand = ssh -i key\n")
    remote = bare(kit, tmp_path / "mirror.git")
    workdir = tmp_path / "config"
    workdir.mkdir()
    kit.git(workdir, "init", "-q")
    store = kit.open_store(workdir, remote=str(remote))
    kit.record(store, 1)
    os.chown(workdir, 65534, 65534)
    os.chown(workdir / ".git", 65534, 65534)

    store.push()

    assert kit.git(remote, "rev-parse", "tfshadow") == kit.git(store.root, "rev-parse", "HEAD")


def test_push_relative_remote_is_taken_from_the_workdir(kit: StoreKit, tmp_path: Path) -> None:
    workdir = tmp_path / "config"
    workdir.mkdir()
    bare(kit, tmp_path / "mirror.git")
    store = kit.open_store(workdir, remote="../mirror.git")
    kit.record(store, 1)
    store.push()
    assert kit.git(tmp_path / "mirror.git", "rev-parse", "tfshadow")


def test_push_remote_named_like_a_git_remote_is_the_configuration_repositorys(
    kit: StoreKit, tmp_path: Path
) -> None:
    # `remote = "origin"`: the configuration's repository's origin, not a directory "origin".
    remote = bare(kit, tmp_path / "mirror.git")
    workdir = tmp_path / "config"
    workdir.mkdir()
    kit.git(workdir, "init", "-q")
    kit.git(workdir, "remote", "add", "origin", str(remote))
    store = kit.open_store(workdir, remote="origin")
    kit.record(store, 1)
    store.push()
    assert kit.git(remote, "rev-parse", "tfshadow") == kit.git(store.root, "rev-parse", "HEAD")
    assert not (workdir / "origin").exists()


def test_push_remote_named_like_a_git_remote_with_a_relative_url(
    kit: StoreKit, tmp_path: Path
) -> None:
    # `git remote add origin ../mirror.git` is taken from the repository's top directory by
    # git; the store pushes from elsewhere (.tfshadow, or a worktree under .git).
    remote = bare(kit, tmp_path / "mirror.git")
    workdir = tmp_path / "config"
    (workdir / "env").mkdir(parents=True)
    kit.git(workdir, "init", "-q")
    kit.git(workdir, "remote", "add", "origin", "../mirror.git")
    store = kit.open_store(workdir / "env", remote="origin")
    kit.record(store, 1)
    store.push()
    assert kit.git(remote, "rev-parse", "tfshadow") == kit.git(store.root, "rev-parse", "HEAD")


def test_push_error_never_shows_credentials(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path, remote="http://robot:s3cret-token@127.0.0.1:9/store.git")
    kit.record(store, 1)
    with pytest.raises(StoreError) as caught:
        store.push()
    assert "s3cret" not in caught.value.one_line()
    assert "127.0.0.1" in caught.value.message


def test_push_without_remote_does_nothing(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    kit.record(store, 1)
    store.push()
    assert not store.has_unpushed()


def test_push_rejected_when_the_remote_diverged(kit: StoreKit, tmp_path: Path) -> None:
    remote = bare(kit, tmp_path / "mirror.git")
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    # Both started before either pushed (a store is not started where the remote has one).
    one = kit.open_store(first, remote=str(remote))
    two = kit.open_store(second, remote=str(remote))
    kit.record(one, 1)
    one.push()
    kit.record(two, 2)
    with pytest.raises(StoreError, match="could not push") as caught:
        two.push()
    assert two.has_unpushed()
    # The way out is named: record this copy's versions again after the remote's.
    assert "`tfshadow store pull --rebase`" in str(caught.value.hint)


def test_push_refused_by_a_ref_lock_left_on_the_remote_is_not_divergence(
    kit: StoreKit, tmp_path: Path
) -> None:
    remote = bare(kit, tmp_path / "mirror.git")
    workdir = tmp_path / "config"
    workdir.mkdir()
    store = kit.open_store(workdir, remote=str(remote))
    kit.record(store, 1)
    store.push()
    kit.record(store, 2)
    # A push killed on the remote's side mid-way leaves git's lock on the branch there.
    stale = remote / "refs" / "heads" / "tfshadow.lock"
    stale.write_text("")

    with pytest.raises(StoreError) as caught:
        store.push()
    assert not isinstance(caught.value, StoreDivergedError)
    assert "tfshadow.lock" in caught.value.message and "diverged" not in str(caught.value.hint)
    assert store.has_unpushed()

    stale.unlink()
    store.push()
    assert not store.has_unpushed()


def test_branch_mode_pushes_only_the_store_branch(kit: StoreKit, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    kit.git(repo, "init", "-q", "-b", "main")
    (repo / "main.tf").write_text("# config\n")
    kit.git(repo, "add", "main.tf")
    kit.git(repo, "commit", "-qm", "config")
    remote = bare(kit, tmp_path / "mirror.git")

    store = kit.open_store(repo, branch="tfshadow", remote=str(remote))
    kit.record(store, 1)
    store.push()

    assert kit.git(remote, "for-each-ref", "--format=%(refname)").split() == ["refs/heads/tfshadow"]


def test_new_store_refused_where_the_remote_already_holds_a_history(
    kit: StoreKit, tmp_path: Path
) -> None:
    remote = bare(kit, tmp_path / "mirror.git")
    workdir = tmp_path / "config"
    workdir.mkdir()
    store = kit.open_store(workdir, remote=str(remote))
    kit.record(store, 1)
    store.push()
    # The local store is lost (a new CI runner, a deleted directory): starting a new history
    # here could never be pushed beside the remote's.
    import shutil

    shutil.rmtree(store.root)
    with pytest.raises(StoreError) as caught:
        kit.open_store(workdir, remote=str(remote))
    assert "already holds" in caught.value.message
    assert "`tfshadow store pull`" in (caught.value.hint or "")
    assert not store.root.exists()
    # A command that only reads names the same way back.
    with pytest.raises(StoreError) as unread:
        kit.open_store(workdir, create=False, remote=str(remote))
    assert "`tfshadow store pull`" in (unread.value.hint or "")
    # Brought back as the hint says, it goes on.
    pulled = GitShadowStore.pull(StoreConfig(workdir=workdir, remote=str(remote)))
    assert pulled.created and pulled.pulled == 2  # the store's creation and version 1
    again = kit.open_store(workdir, remote=str(remote))
    assert kit.record(again, 2)["version"] == 2
    again.push()


def test_new_store_with_an_empty_or_unreachable_remote_is_created(
    kit: StoreKit, tmp_path: Path
) -> None:
    empty = bare(kit, tmp_path / "empty.git")
    first = tmp_path / "first"
    first.mkdir()
    assert kit.record(kit.open_store(first, remote=str(empty)), 1)["version"] == 1
    second = tmp_path / "second"
    second.mkdir()
    missing = str(tmp_path / "nowhere.git")
    assert kit.record(kit.open_store(second, remote=missing), 1)["version"] == 1


def _read_only(root: Path) -> bool:
    return all(
        not (p.stat().st_mode & 0o222)
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    )


def test_pull_brings_a_second_recorder_up_to_date_fast_forward_only(
    kit: StoreKit, tmp_path: Path
) -> None:
    remote = bare(kit, tmp_path / "shadows.git")
    here, there = tmp_path / "ci-runner", tmp_path / "laptop"
    here.mkdir()
    there.mkdir()
    config = StoreConfig(workdir=here, remote=str(remote))
    with pytest.raises(StoreError, match="holds no shadow store yet"):
        GitShadowStore.pull(config)
    assert not (here / ".tfshadow").exists()

    recorder = kit.open_store(there, remote=str(remote))
    kit.record(recorder, 1)
    recorder.push()
    first = GitShadowStore.pull(config)
    assert (first.created, first.pulled, first.ahead) == (True, 2, 0)
    for n in (2, 3):
        kit.record(recorder, n)
    recorder.push()

    pulled = GitShadowStore.pull(config)
    assert (pulled.created, pulled.pulled, pulled.ahead) == (False, 2, 0)
    runner = kit.open_store(here, create=False, remote=str(remote))
    assert [m["version"] for m in runner.versions("default")] == [1, 2, 3]
    assert runner.check().sound and _read_only(runner.root)
    assert all(d.stat().st_mode & 0o200 for d in [runner.root, *runner.root.rglob("*/")])
    assert not runner.has_unpushed()  # what it pulled is what the remote has
    assert GitShadowStore.pull(config).pulled == 0

    # Recording on from there: its push goes through, and it is ahead until then.
    kit.record(runner, 4)
    assert GitShadowStore.pull(config).ahead == 1
    runner.push()
    back = GitShadowStore.pull(StoreConfig(workdir=there, remote=str(remote)))
    assert back.pulled == 1 and recorder.latest("default")["version"] == 4  # type: ignore[index]

    # Two copies recorded apart: refused, both kept as they were.
    kit.record(recorder, 5)
    recorder.push()
    kit.record(runner, 50)  # another change: identical versions would be identical commits
    head = kit.git(runner.root, "rev-parse", "HEAD")
    with pytest.raises(StoreDivergedError, match="have diverged") as caught:
        GitShadowStore.pull(config)
    assert "`tfshadow store pull --rebase`" in str(caught.value.hint)
    assert kit.git(runner.root, "rev-parse", "HEAD") == head
    assert "refs/tfshadow/pulled" not in kit.git(runner.root, "for-each-ref")


def test_pull_without_a_remote_or_into_a_branch_store(kit: StoreKit, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no remote to pull from"):
        GitShadowStore.pull(StoreConfig(workdir=tmp_path))
    remote = bare(kit, tmp_path / "shadows.git")
    recorder = (
        kit.open_store(tmp_path / "a", remote=str(remote))
        if (tmp_path / "a").mkdir() is None
        else None
    )
    assert recorder is not None
    kit.record(recorder, 1)
    recorder.push()
    repo = tmp_path / "config-repo"
    repo.mkdir()
    kit.git(repo, "init", "-q")
    config = StoreConfig(workdir=repo, branch="tfshadow", remote=str(remote))
    assert GitShadowStore.pull(config).created
    kit.record(recorder, 2)
    recorder.push()
    assert GitShadowStore.pull(config).pulled == 1
    store = kit.open_store(repo, create=False, branch="tfshadow", remote=str(remote))
    assert [m["version"] for m in store.versions("default")] == [1, 2]
    assert _read_only(store.root)


def _ssh_that_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An `ssh` first on PATH that writes down its arguments and fails as an unreachable host
    does: no ssh server runs here, and what matters is what git hands to ssh."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "ssh-calls"
    script = bin_dir / "ssh"
    script.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexit 255\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.delenv("GIT_SSH_COMMAND", raising=False)
    monkeypatch.delenv("GIT_SSH", raising=False)
    return calls


def test_push_over_ssh_never_asks_on_the_terminal(
    kit: StoreKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An unknown host key or a passphrase would make ssh ask, and the apply wait on it.
    calls = _ssh_that_records(tmp_path, monkeypatch)
    workdir = tmp_path / "config"
    workdir.mkdir()
    store = kit.open_store(workdir, remote="ssh://git@shadow.example/store.git")
    kit.record(store, 1)
    with pytest.raises(StoreError):
        store.push()
    lines = calls.read_text().splitlines()
    assert lines and all("-o BatchMode=yes" in line for line in lines), lines
    assert store.has_unpushed()


def test_push_over_ssh_keeps_the_users_own_ssh_command(
    kit: StoreKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _ssh_that_records(tmp_path, monkeypatch)
    workdir = tmp_path / "config"
    workdir.mkdir()
    store = kit.open_store(workdir, remote="ssh://git@shadow.example/store.git")
    kit.record(store, 1)
    kit.git(store.root, "config", "core.sshCommand", "ssh -i /keys/deploy")
    calls.write_text("")  # opening the store asked the remote before the setting
    with pytest.raises(StoreError):
        store.push()
    monkeypatch.setenv("GIT_SSH_COMMAND", "ssh -p 2222")
    with pytest.raises(StoreError):
        store.push()
    lines = calls.read_text().splitlines()
    assert any("-i /keys/deploy" in line for line in lines), lines
    assert any("-p 2222" in line for line in lines), lines
    assert not any("BatchMode" in line for line in lines), lines


def test_pull_after_a_mark_whose_commit_failed(kit: StoreKit, tmp_path: Path) -> None:
    remote = bare(kit, tmp_path / "shadows.git")
    here, there = tmp_path / "ci-runner", tmp_path / "laptop"
    here.mkdir()
    there.mkdir()
    runner = kit.open_store(here, remote=str(remote))
    kit.record(runner, 1)
    kit.record(runner, 2)
    runner.set_mark("default", 1, "bad", {"name": "Ann Operator", "email": "ann@example.com"})
    runner.push()
    laptop_config = StoreConfig(workdir=there, remote=str(remote))
    GitShadowStore.pull(laptop_config)
    laptop = GitShadowStore.open(laptop_config, create=False)
    laptop.set_mark("default", 1, "good", {"name": "Bob Reviewer", "email": "bob@example.com"})
    laptop.push()

    # The new marks file is written but git cannot write its index (a disk that filled up
    # just then): the mark is not recorded and the tree holds a marks file HEAD does not.
    marks = runner.root / "workspaces/default/marks.json"
    with kit.file_size_limit(marks.stat().st_size + 200), pytest.raises(StoreError):
        runner.set_mark("default", 2, "good", {"name": "Ann Operator", "email": "a@example.com"})
    assert kit.git(runner.root, "status", "--porcelain").split() == [
        "M",
        str(marks.relative_to(runner.root)),
    ]

    pulled = GitShadowStore.pull(StoreConfig(workdir=here, remote=str(remote)))
    assert pulled.pulled == 1
    reopened = kit.open_store(here, create=False, remote=str(remote))
    assert {n: m["mark"] for n, m in reopened.marks("default").items()} == {1: "good"}
    assert kit.git(runner.root, "status", "--porcelain", "--ignored") == ""
    assert not marks.stat().st_mode & 0o222


def _small_record(kit: StoreKit, store: GitShadowStore, serial: int) -> None:
    store.record("default", kit.meta_doc(serial), kit.state_doc(serial, 1), kit.config_doc(serial))


def _recorder_ahead_of_runner(kit: StoreKit, tmp_path: Path) -> tuple[GitShadowStore, StoreConfig]:
    """A runner's store, and its recorder's history ahead by versions and a retention that
    rewrote files the runner holds."""
    remote = bare(kit, tmp_path / "shadows.git")
    here, there = tmp_path / "ci-runner", tmp_path / "laptop"
    here.mkdir()
    there.mkdir()
    recorder = kit.open_store(there, remote=str(remote), retain=30, keyframe_interval=3)
    for n in range(1, 31):
        _small_record(kit, recorder, n)
    recorder.push()
    config = StoreConfig(workdir=here, remote=str(remote))
    GitShadowStore.pull(config)
    for n in range(31, 36):
        _small_record(kit, recorder, n)
    recorder.push()
    return recorder, config


def test_pull_whose_merge_stopped_after_writing_the_tree_leaves_the_store_as_it_was(
    kit: StoreKit, tmp_path: Path
) -> None:
    _, config = _recorder_ahead_of_runner(kit, tmp_path)
    runner = GitShadowStore.open(config, create=False)
    index = runner.root / ".git" / "index"
    # The new files fit; git's index does not (the disk filled up just then): git has written
    # the tree and stops before it moves HEAD.
    with kit.file_size_limit(index.stat().st_size - 100), pytest.raises(StoreError):
        GitShadowStore.pull(config)

    runner = GitShadowStore.open(config, create=False)  # the next command
    assert kit.git(runner.root, "status", "--porcelain", "--ignored") == ""
    assert [m["version"] for m in runner.versions("default")] == list(range(1, 31))
    assert GitShadowStore.pull(config).pulled == 10  # 5 versions, 5 retentions
    reopened = GitShadowStore.open(config, create=False)
    assert [m["version"] for m in reopened.versions("default")] == list(range(6, 36))
    assert reopened.check().sound and not reopened.check().writable


def _fetched_behind(
    kit: StoreKit, tmp_path: Path
) -> tuple[StoreConfig, GitShadowStore, str, list[str]]:
    """A store behind its remote, the remote's tip fetched: what a pull has before its merge."""
    _, config = _recorder_ahead_of_runner(kit, tmp_path)
    runner = GitShadowStore.open(config, create=False)
    head = kit.git(runner.root, "rev-parse", "HEAD").strip()
    kit.git(runner.root, "fetch", "-q", str(tmp_path / "shadows.git"), "tfshadow")
    tip = kit.git(runner.root, "rev-parse", "FETCH_HEAD").strip()
    changed = kit.git(runner.root, "diff", "--no-renames", "--name-only", head, tip).split()
    return config, runner, tip, changed


def test_pull_killed_after_the_merge_wrote_the_tree_is_undone_on_the_next_open(
    kit: StoreKit, tmp_path: Path
) -> None:
    config, runner, tip, changed = _fetched_behind(kit, tmp_path)
    # What a pull killed inside `git merge` leaves: its journal, the tree and index of the new
    # commit, HEAD where it was.
    journal = runner.root / ".git" / "tfshadow" / "pending.json"
    journal.write_text(json.dumps({"dirs": changed}))
    # As git merge does before it writes the tree: read-tree alone would take a file whose
    # ctime its chmod to read-only changed for a local edit ("not uptodate").
    kit.git(runner.root, "update-index", "-q", "--refresh", check=False)
    kit.git(runner.root, "read-tree", "-u", "-m", "HEAD", tip)

    reopened = GitShadowStore.open(config, create=False)
    assert not journal.exists()
    assert kit.git(runner.root, "status", "--porcelain", "--ignored") == ""
    assert [m["version"] for m in reopened.versions("default")] == list(range(1, 31))
    assert GitShadowStore.pull(config).pulled == 10  # 5 versions, 5 retentions
    assert reopened.check().sound


def test_pull_killed_after_the_merge_moved_head_leaves_no_writable_file(
    kit: StoreKit, tmp_path: Path
) -> None:
    config, runner, tip, changed = _fetched_behind(kit, tmp_path)
    # Killed once git had finished the merge, before the new files were made read-only.
    journal = runner.root / ".git" / "tfshadow" / "pending.json"
    journal.write_text(json.dumps({"dirs": changed}))
    kit.git(runner.root, "merge", "--ff-only", "-q", tip)
    assert runner.check().writable

    reopened = GitShadowStore.open(config, create=False)
    assert not journal.exists()
    assert reopened.check().sound and not reopened.check().writable
    assert [m["version"] for m in reopened.versions("default")] == list(range(6, 36))
