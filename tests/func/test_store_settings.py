"""Store settings end to end: remote push, retention, orphan branch, concurrent applies."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import (
    FIXTURES,
    Tfshadow,
    revert_with_token,
    run_interrupted,
    store_locked_elsewhere,
    two_copies,
)


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def test_versions_are_pushed_to_the_remote(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    remote = tmp_path / "shadows.git"
    _git("init", "--bare", "-q", str(remote), cwd=tmp_path)
    (workdir / "tfshadow.hcl").write_text(f'store {{\n  remote = "{remote}"\n}}\n')
    assert (
        tfshadow("apply", "-auto-approve", "-no-color", "--message", "one", cwd=workdir).code == 0
    )
    assert tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=2", cwd=workdir).code == 0
    clone = tmp_path / "clone"
    _git("clone", "-q", "-b", "tfshadow", str(remote), str(clone), cwd=tmp_path)
    assert (clone / "workspaces" / "default" / "000002" / "meta.json").exists()
    assert "one" in _git("log", "--format=%s", cwd=clone)


def test_a_mark_is_pushed_to_the_remote(workdir: Path, tfshadow: Tfshadow, tmp_path: Path) -> None:
    # A CI job that marks a version and ends would otherwise leave the mark on its runner.
    remote = tmp_path / "shadows.git"
    _git("init", "--bare", "-q", str(remote), cwd=tmp_path)
    (workdir / "tfshadow.hcl").write_text(f'store {{\n  remote = "{remote}"\n}}\n')
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0

    marked = tfshadow("mark", "1", "good", "--no-color", cwd=workdir)

    assert marked.code == 0, marked.err
    assert "warning" not in marked.err
    store_head = _git("rev-parse", "HEAD", cwd=workdir / ".tfshadow")
    assert _git("rev-parse", "tfshadow", cwd=remote) == store_head
    assert "default/1 good" in _git("log", "-1", "--format=%B", "tfshadow", cwd=remote)


def test_version_a_push_missed_goes_with_the_next_recorded_command(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    remote = tmp_path / "shadows.git"
    (workdir / "tfshadow.hcl").write_text(f'store {{\n  remote = "{remote}"\n}}\n')
    failed = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert failed.code == 0
    assert "it goes with the next recorded command" in failed.err
    _git("init", "--bare", "-q", str(remote), cwd=tmp_path)
    # Nothing changes this time, so nothing is recorded: the version still has to go out.
    again = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert again.code == 0
    assert "warning" not in again.err
    store_head = _git("rev-parse", "HEAD", cwd=workdir / ".tfshadow")
    assert _git("rev-parse", "tfshadow", cwd=remote) == store_head


def test_store_pull_creates_then_updates_a_second_recorders_store(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    remote = tmp_path / "shadows.git"
    _git("init", "--bare", "-q", str(remote), cwd=tmp_path)
    settings = f'store {{\n  remote = "{remote}"\n}}\n'
    (workdir / "tfshadow.hcl").write_text(settings)
    # A CI runner that keeps its directory between jobs: the same configuration, another store.
    runner = tmp_path / "runner"
    runner.mkdir()
    for name in ("main.tf", "tfshadow.hcl"):
        shutil.copy(workdir / name, runner / name)
    empty = tfshadow("store", "pull", cwd=runner)
    assert empty.code == 2 and "holds no shadow store yet" in empty.err
    assert not (runner / ".tfshadow").exists()

    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    created = tfshadow("store", "pull", "--no-color", cwd=runner)
    assert created.code == 0, created.err
    assert created.out.startswith("Created the shadow store from")
    assert tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=2", cwd=workdir).code == 0
    pulled = tfshadow("store", "pull", "--json", cwd=runner)
    assert pulled.code == 0, pulled.err
    assert pulled.json()["pulled_commits"] == 1 and not pulled.json()["created"]
    log = tfshadow("log", "--json", cwd=runner).json()["versions"]
    assert [v["version"] for v in log] == [2, 1]
    assert tfshadow("store", "pull", "--no-color", cwd=runner).out.startswith("Up to date with")


def _colleague_ahead(workdir: Path, tfshadow: Tfshadow, tmp_path: Path) -> Path:
    """:func:`two_copies`, where ``workdir`` recorded version 1 and the colleague's copy then
    took it and recorded version 2, which ``workdir``'s store lacks; the colleague's
    directory."""
    colleague = two_copies(workdir, tfshadow, tmp_path)
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    assert tfshadow("store", "pull", cwd=colleague).code == 0
    assert tfshadow("apply", "-auto-approve", "-var", "size=2", cwd=colleague).code == 0
    return colleague


def test_a_recorded_command_first_takes_the_versions_another_copy_pushed(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    colleague = _colleague_ahead(workdir, tfshadow, tmp_path)

    # This store lacks version 2; the state has it. Without taking it first, version 2 here
    # would be "recovered", and no push could ever join the two histories.
    result = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=3", cwd=workdir)

    assert result.code == 0, result.err
    assert "warning" not in result.err, result.err
    assert "Took 1 commit(s) from" in result.err and "recorded version 3" in result.err
    log = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert [(v["version"], v["kind"]) for v in log] == [(3, "apply"), (2, "apply"), (1, "apply")]
    remote = tmp_path / "shadows.git"
    assert _git("rev-parse", "tfshadow", cwd=remote) == _git(
        "rev-parse", "HEAD", cwd=workdir / ".tfshadow"
    )

    # A revert names its version in the team's history too: `latest~1` is the colleague's 4.
    assert tfshadow("apply", "-auto-approve", "-var", "size=4", cwd=colleague).code == 0
    assert tfshadow("apply", "-auto-approve", "-var", "size=5", cwd=colleague).code == 0
    reverted = revert_with_token(tfshadow, workdir, "latest~1")
    assert reverted.code == 0, reverted.err
    log = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert (log[0]["version"], log[0]["kind"], log[0]["reverted_to"]) == (6, "revert", 4)
    assert _git("rev-parse", "tfshadow", cwd=remote) == _git(
        "rev-parse", "HEAD", cwd=workdir / ".tfshadow"
    )

    # So does a mark, which is a commit too.
    assert tfshadow("apply", "-auto-approve", "-var", "size=7", cwd=colleague).code == 0
    marked = tfshadow("mark", "latest", "good", "--no-color", cwd=workdir)
    assert marked.code == 0, marked.err
    assert "warning" not in marked.err, marked.err
    assert "Took 1 commit(s) from" in marked.err
    assert "default/7 good" in _git("log", "-1", "--format=%B", "tfshadow", cwd=remote)


def test_a_revert_dry_run_behind_the_remote_records_nothing(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    # A dry run reads this copy as it is and writes nothing: the colleague's apply it has not
    # taken is no change made outside tfshadow to record here (which would part the histories).
    _colleague_ahead(workdir, tfshadow, tmp_path)
    head = _git("rev-parse", "HEAD", cwd=workdir / ".tfshadow")

    dry = tfshadow("revert", "1", "--dry-run", "-no-color", cwd=workdir)

    assert dry.code == 0, dry.err
    assert "recorded version" not in dry.err and "diverged" not in dry.err, dry.err
    assert _git("rev-parse", "HEAD", cwd=workdir / ".tfshadow") == head
    result = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=3", cwd=workdir)
    assert result.code == 0, result.err
    assert "warning" not in result.err, result.err
    remote = tmp_path / "shadows.git"
    assert _git("rev-parse", "tfshadow", cwd=remote) == _git(
        "rev-parse", "HEAD", cwd=workdir / ".tfshadow"
    )


def test_a_branch_store_also_takes_another_copys_versions_before_recording(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    # The store as an orphan branch of the configuration's repository, which both copies clone.
    origin = tmp_path / "origin.git"
    _git("init", "--bare", "-q", str(origin), cwd=tmp_path)
    shared_state = tmp_path / "shared.tfstate"
    (workdir / "backend.tf").write_text(
        f'terraform {{\n  backend "local" {{\n    path = "{shared_state}"\n  }}\n}}\n'
    )
    (workdir / "tfshadow.hcl").write_text(
        f'store {{\n  branch = "tfshadow"\n  remote = "{origin}"\n}}\n'
    )
    _git("init", "-q", "-b", "main", cwd=workdir)
    _git("add", "main.tf", "backend.tf", "tfshadow.hcl", cwd=workdir)
    _git("commit", "-q", "-m", "infra", cwd=workdir)
    _git("push", "-q", str(origin), "main", cwd=workdir)
    assert tfshadow("init", "-no-color", "-reconfigure", cwd=workdir).code == 0
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    colleague = tmp_path / "colleague"
    _git("clone", "-q", "-b", "main", str(origin), str(colleague), cwd=tmp_path)
    _git("fetch", "-q", "origin", "tfshadow:tfshadow", cwd=colleague)
    assert tfshadow("init", "-no-color", cwd=colleague).code == 0
    assert tfshadow("apply", "-auto-approve", "-var", "size=2", cwd=colleague).code == 0

    result = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=3", cwd=workdir)

    assert result.code == 0, result.err
    assert "warning" not in result.err, result.err
    log = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert [(v["version"], v["kind"]) for v in log] == [(3, "apply"), (2, "apply"), (1, "apply")]
    assert _git("rev-parse", "tfshadow", cwd=origin) == _git("rev-parse", "tfshadow", cwd=workdir)
    assert _git("rev-parse", "--abbrev-ref", "HEAD", cwd=workdir) == "main"


def test_reading_the_history_takes_another_copys_versions_rather_than_recording_drift(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    _colleague_ahead(workdir, tfshadow, tmp_path)

    # `log` records a change it finds made outside tfshadow: this one another copy recorded.
    log = tfshadow("log", "--json", cwd=workdir)

    assert log.code == 0, log.err
    assert [(v["version"], v["kind"]) for v in log.json()["versions"]] == [
        (2, "apply"),
        (1, "apply"),
    ]
    assert "Took 1 commit(s) from" in log.err
    # With nothing to record, reading does not ask the remote at all.
    (tmp_path / "shadows.git").rename(tmp_path / "away.git")
    again = tfshadow("log", "--no-color", cwd=workdir)
    assert again.code == 0 and "warning" not in again.err, again.err


def test_a_remote_out_of_reach_before_recording_is_said_once_and_not_waited_for_again(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    colleague = two_copies(workdir, tfshadow, tmp_path)
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    remote = tmp_path / "shadows.git"
    away = tmp_path / "away.git"
    remote.rename(away)

    result = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=2", cwd=workdir)

    assert result.code == 0, result.err
    assert "recorded version 2" in result.err
    warnings = [line for line in result.err.splitlines() if "warning" in line]
    assert len(warnings) == 1, result.err
    assert "could not take the remote's newer versions before recording" in warnings[0]
    assert "the next recorded command pushes it" in warnings[0]

    # Meanwhile another copy records: the two histories have diverged, which is said with the
    # way out, and the command still records.
    away.rename(remote)
    assert tfshadow("store", "pull", cwd=colleague).code == 0
    assert tfshadow("apply", "-auto-approve", "-var", "size=3", cwd=colleague).code == 0
    diverged = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=4", cwd=workdir)
    assert diverged.code == 0, diverged.err
    assert "recorded version 3" in diverged.err
    assert "the next recorded command" not in diverged.err  # no later push can send it
    assert "diverged" in diverged.err and "tfshadow store pull --rebase" in diverged.err


def test_pull_before_record_false_leaves_the_store_to_its_own_history(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    colleague = two_copies(workdir, tfshadow, tmp_path, "  pull_before_record = false\n")
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    assert tfshadow("store", "pull", cwd=colleague).code == 0
    assert tfshadow("apply", "-auto-approve", "-var", "size=2", cwd=colleague).code == 0

    result = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=3", cwd=workdir)

    assert result.code == 0, result.err
    assert "Took" not in result.err
    log = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert [(v["version"], v["kind"]) for v in log] == [
        (3, "apply"),
        (2, "recovered"),
        (1, "apply"),
    ]
    assert "diverged" in result.err


_INTERRUPT_THE_PUSH = """
def interrupt_at(argv):
    # Ctrl-C while the recorded version is pushed (a slow or hanging remote).
    return "push" in argv
"""


def test_push_interrupted_says_the_version_is_recorded_and_the_next_command_pushes_it(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    remote = tmp_path / "shadows.git"
    _git("init", "--bare", "-q", str(remote), cwd=tmp_path)
    (workdir / "tfshadow.hcl").write_text(f'store {{\n  remote = "{remote}"\n}}\n')
    proc = run_interrupted(workdir, _INTERRUPT_THE_PUSH, "apply", "-auto-approve", "-no-color")
    assert proc.returncode == 130
    assert "version 1" in proc.stderr and "next" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    again = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert again.code == 0 and "warning" not in again.err
    store_head = _git("rev-parse", "HEAD", cwd=workdir / ".tfshadow")
    assert _git("rev-parse", "tfshadow", cwd=remote) == store_head


def test_retention_keeps_the_newest_versions(workdir: Path, tfshadow: Tfshadow) -> None:
    (workdir / "tfshadow.hcl").write_text("store {\n  retain = 2\n}\n")
    for size in ("a", "b", "c", "d"):
        result = tfshadow(
            "apply", "-auto-approve", "-no-color", "-var", f"size={size}", cwd=workdir
        )
        assert result.code == 0, result.err
    versions = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert [v["version"] for v in versions] == [4, 3]
    inspect = tfshadow("inspect", "4", "--no-color", cwd=workdir)
    assert inspect.code == 0 and '"c" -> "d"' in inspect.out
    gone = tfshadow("inspect", "1", cwd=workdir)
    assert gone.code == 2


def test_inspect_oldest_kept_version_does_not_claim_it_created_everything(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    (workdir / "tfshadow.hcl").write_text("store {\n  retain = 1\n}\n")
    for size in ("a", "b"):
        result = tfshadow(
            "apply", "-auto-approve", "-no-color", "-var", f"size={size}", cwd=workdir
        )
        assert result.code == 0, result.err
    # Version 2 updated terraform_data.web; its parent, version 1, is gone.
    inspect = tfshadow("inspect", "2", "--no-color", cwd=workdir)
    assert inspect.code == 0, inspect.err
    assert "was created" not in inspect.out and "added" not in inspect.out
    assert "version 1 (removed by retention)" in inspect.out
    assert "terraform_data.web was recorded" in inspect.out
    doc = tfshadow("inspect", "2", "--json", cwd=workdir).json()
    assert doc["parent_removed"] is True
    assert doc["version"]["changes"]["change"] == 1


def test_store_on_an_orphan_branch_of_the_configuration_repo(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    _git("init", "-q", "-b", "main", cwd=workdir)
    _git("add", "main.tf", cwd=workdir)
    _git("commit", "-q", "-m", "infra", cwd=workdir)
    (workdir / "tfshadow.hcl").write_text('store {\n  branch = "tfshadow"\n}\n')
    assert (
        tfshadow("apply", "-auto-approve", "-no-color", "--message", "on branch", cwd=workdir).code
        == 0
    )
    assert _git("rev-parse", "--abbrev-ref", "HEAD", cwd=workdir) == "main"
    assert _git("log", "-1", "--format=%s", "tfshadow", cwd=workdir) == "on branch"
    assert not (workdir / ".tfshadow").exists()
    assert tfshadow("log", "--json", cwd=workdir).json()["versions"][0]["version"] == 1


def test_a_clone_with_the_store_branch_only_on_its_remote_is_told_to_fetch_it(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    remote = tmp_path / "origin.git"
    _git("init", "--bare", "-q", str(remote), cwd=tmp_path)
    (workdir / "tfshadow.hcl").write_text(
        f'store {{\n  branch = "tfshadow"\n  remote = "{remote}"\n}}\n'
    )
    _git("init", "-q", "-b", "main", cwd=workdir)
    _git("add", "main.tf", "tfshadow.hcl", cwd=workdir)
    _git("commit", "-q", "-m", "infra", cwd=workdir)
    _git("push", "-q", str(remote), "main", cwd=workdir)
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    colleague = tmp_path / "colleague"
    _git("clone", "-q", "-b", "main", str(remote), str(colleague), cwd=tmp_path)
    shutil.copy(workdir / "terraform.tfstate", colleague / "terraform.tfstate")
    assert tfshadow("init", "-no-color", cwd=colleague).code == 0

    log = tfshadow("log", cwd=colleague)
    apply = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=2", cwd=colleague)

    # `tfshadow apply first` would start a second history that can never be pushed.
    for result in (log, apply):
        assert result.code == 2
        assert "git fetch origin tfshadow:tfshadow" in result.err, result.err
    assert "Apply complete" not in apply.out
    _git("fetch", "-q", "origin", "tfshadow:tfshadow", cwd=colleague)
    assert [v["version"] for v in tfshadow("log", "--json", cwd=colleague).json()["versions"]] == [
        1
    ]


def test_concurrent_applies_are_serialised_by_the_store_lock(workdir: Path) -> None:
    script = str(Path(sys.executable).parent / "tfshadow")
    procs = [
        subprocess.Popen(
            [script, "apply", "-auto-approve", "-no-color", "-var", f"size={size}"],
            cwd=workdir,
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for size in ("one", "two")
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    log = subprocess.run(
        [script, "log", "--json"], cwd=workdir, capture_output=True, text=True, check=True
    )
    versions = json.loads(log.stdout)["versions"]
    assert sorted(v["version"] for v in versions) == [1, 2]
    assert versions[0]["parent"] == 1


def test_lock_held_elsewhere_times_out_with_a_clear_error(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    from tfshadow.project import Project

    store = Project(workdir, os.environ).open_store(create=False)
    with store_locked_elsewhere(workdir):
        result = tfshadow(
            "--lock-timeout",
            "0.5",
            "apply",
            "-auto-approve",
            "-no-color",
            "-var",
            "size=z",
            cwd=workdir,
        )
    assert result.code == 2
    assert "locked" in result.err
    assert len(store.versions("default")) == 1


def test_terraforms_lock_timeout_is_also_the_wait_for_the_store_lock(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from tfshadow.project import Project

    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    store = Project(workdir, os.environ).open_store(create=False)
    apply = ("apply", "-auto-approve", "-no-color", "-var", "size=z")
    # Shorter than the default 60 s: on the command line or from TF_CLI_ARGS_apply.
    with store_locked_elsewhere(workdir):
        for args, environ in (
            (("-lock-timeout=1s",), {}),
            (("-lock-timeout", "500ms"), {}),
            ((), {"TF_CLI_ARGS_apply": "-lock-timeout=1s"}),
        ):
            for name, value in environ.items():
                monkeypatch.setenv(name, value)
            start = time.monotonic()
            result = tfshadow(*apply, *args, cwd=workdir)
            elapsed = time.monotonic() - start
            for name in environ:
                monkeypatch.delenv(name)
            assert result.code == 2, (args, result.err)
            [line] = result.err.splitlines()
            assert "the shadow store is locked by" in line
            assert "retry with a longer -lock-timeout" in line
            assert elapsed < 20, args
        # tfshadow's own --lock-timeout still says how long tfshadow waits.
        start = time.monotonic()
        result = tfshadow("--lock-timeout", "0.2", *apply, "-lock-timeout=60s", cwd=workdir)
        assert result.code == 2 and time.monotonic() - start < 20
    assert len(store.versions("default")) == 1
    # Longer than TFSHADOW_LOCK_TIMEOUT: the apply waits for the other command to finish.
    monkeypatch.setenv("TFSHADOW_LOCK_TIMEOUT", "0")
    with store_locked_elsewhere(workdir, seconds=2):
        result = tfshadow(*apply, "-lock-timeout=60s", cwd=workdir)
    assert result.code == 0, result.err
    assert len(store.versions("default")) == 2
    # A duration Terraform would refuse is refused before anything runs.
    result = tfshadow(*apply, "-var", "size=y", "-lock-timeout=5", cwd=workdir)
    assert result.code == 2
    [line] = result.err.splitlines()
    assert "-lock-timeout=5 is not a duration" in line
    assert len(store.versions("default")) == 2


def test_log_does_not_wait_for_a_running_apply(workdir: Path, tfshadow: Tfshadow) -> None:
    import time

    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    with store_locked_elsewhere(workdir):
        start = time.monotonic()
        log = tfshadow("log", "--json", cwd=workdir)
        elapsed = time.monotonic() - start
    assert log.code == 0, log.err
    assert [v["version"] for v in log.json()["versions"]] == [1]
    assert elapsed < 30  # the lock timeout is 60 s: reading history never waits for it


def test_retention_that_fails_still_records_the_version(workdir: Path, tfshadow: Tfshadow) -> None:
    # Version 2 is a delta on version 1: when retention drops version 1 it must rebuild
    # version 2, which a tampered version 1 makes impossible. The new version is committed
    # before retention runs, so the apply must say it was recorded, and warn.
    (workdir / "tfshadow.hcl").write_text("store {\n  retain = 2\n  keyframe_interval = 10\n}\n")
    for size in ("a", "b"):
        result = tfshadow(
            "apply", "-auto-approve", "-no-color", "-var", f"size={size}", cwd=workdir
        )
        assert result.code == 0, result.err
    first = workdir / ".tfshadow" / "workspaces" / "default" / "000001" / "state.json"
    first.chmod(0o644)
    first.write_text(first.read_text().replace('"a"', '"z"'))
    result = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=c", cwd=workdir)
    assert result.code == 0, result.err
    assert "recorded version 3" in result.err
    assert "version 3 is recorded, but the oldest versions were not removed" in result.err
    assert "tampered" in result.err
    versions = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert versions[0]["version"] == 3


def test_two_configurations_sharing_one_store_are_warned_about(
    tmp_path: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TFSHADOW_STORE", str(tmp_path / "shared-store"))
    first, second = tmp_path / "network", tmp_path / "database"
    for path in (first, second):
        shutil.copytree(FIXTURES / "basic", path)
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=first).code == 0
    other = tfshadow("apply", "-auto-approve", "-no-color", cwd=second)
    assert other.code == 0, other.err
    # Each is taken for a change of the other's state: one store per configuration.
    assert "another state" in other.err and "TFSHADOW_STORE" in other.err
    log = tfshadow("log", "--no-color", cwd=first)
    assert "another state" in log.err


def test_two_configurations_sharing_one_branch_store_are_told_to_use_a_branch_each(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    repo = tmp_path / "infra"
    first, second = repo / "network", repo / "database"
    for path in (first, second):
        shutil.copytree(FIXTURES / "basic", path)
        (path / "tfshadow.hcl").write_text('store {\n  branch = "tfshadow"\n}\n')
    _git("init", "-q", "-b", "main", cwd=repo)
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=first).code == 0

    other = tfshadow("apply", "-auto-approve", "-no-color", cwd=second)

    assert other.code == 0, other.err
    # A path or TFSHADOW_STORE is no remedy while both name the same branch.
    assert "another state" in other.err and "store.branch" in other.err, other.err
    assert "TFSHADOW_STORE" not in other.err
