from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tfshadow.errors import StoreError
from tfshadow.state import delta

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
    with pytest.raises(StoreError, match="could not push"):
        two.push()
    assert two.has_unpushed()


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
    assert f"git clone -b tfshadow {remote}" in (caught.value.hint or "")
    assert not store.root.exists()
    # Brought back as the hint says, it goes on.
    kit.git(workdir, "clone", "-q", "-b", "tfshadow", str(remote), str(store.root))
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
