"""`tfshadow store pull --rebase`: two copies of a store whose histories parted, joined."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.mirror.s3server import client, new_bucket
from tfshadow.store.layout import dumps_meta

from .conftest import (
    Tfshadow,
    revert_with_token,
    run_interrupted,
    store_locked_elsewhere,
    two_copies,
)
from .localcloud_support import instances_ended, workspace


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def _two_copies(workdir: Path, tfshadow: Tfshadow, tmp_path: Path) -> Path:
    """:func:`two_copies`, where ``workdir`` has recorded version 1 and pushed it and the
    colleague has taken it, with the same fingerprint key (copied, as the README says for a
    clone)."""
    colleague = two_copies(workdir, tfshadow, tmp_path)
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    assert tfshadow("store", "pull", cwd=colleague).code == 0
    key = Path(".git") / "tfshadow" / "fingerprint.key"
    (colleague / ".tfshadow" / key).unlink(missing_ok=True)
    shutil.copy(workdir / ".tfshadow" / key, colleague / ".tfshadow" / key)
    return colleague


@pytest.fixture
def diverged(workdir: Path, tfshadow: Tfshadow, tmp_path: Path) -> Path:
    """The colleague's copy, once the two histories have diverged (see :func:`_diverge`)."""
    colleague = _two_copies(workdir, tfshadow, tmp_path)
    _diverge(workdir, colleague, tfshadow, tmp_path)
    return colleague


def _offline(tmp_path: Path) -> Path:
    """The remote out of reach; returns where it went."""
    away = tmp_path / "away.git"
    (tmp_path / "shadows.git").rename(away)
    return away


def _apply(tfshadow: Tfshadow, cwd: Path, size: str) -> None:
    result = tfshadow("apply", "-auto-approve", "-no-color", "-var", f"size={size}", cwd=cwd)
    assert result.code == 0, result.err


def _diverge(workdir: Path, colleague: Path, tfshadow: Tfshadow, tmp_path: Path) -> None:
    """This copy records 2 (marked good) and 3 while the remote is away; the colleague then
    records its own 2 (the state this copy left, taken as `recovered`) and 3 (its apply)."""
    away = _offline(tmp_path)
    _apply(tfshadow, workdir, "two")
    assert tfshadow("mark", "latest", "good", "--note", "checked", cwd=workdir).code == 0
    _apply(tfshadow, workdir, "three")
    away.rename(tmp_path / "shadows.git")
    _apply(tfshadow, colleague, "four")


def _versions(tfshadow: Tfshadow, cwd: Path) -> list[dict[str, object]]:
    log = tfshadow("log", "--json", cwd=cwd)
    assert log.code == 0, log.err
    return list(reversed(log.json()["versions"]))


def test_pull_rebase_records_this_copys_versions_again_after_the_remotes(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, diverged: Path
) -> None:
    colleague = diverged
    store = workdir / ".tfshadow"
    old_head = _git("rev-parse", "HEAD", cwd=store)
    remote_versions = _versions(tfshadow, colleague)
    assert [(v["version"], v["kind"]) for v in remote_versions] == [
        (1, "apply"),
        (2, "recovered"),
        (3, "apply"),
    ]
    refused = tfshadow("store", "pull", "--no-color", cwd=workdir)
    assert refused.code == 2 and "diverged" in refused.err
    assert "tfshadow store pull --rebase" in refused.err

    rebased = tfshadow("store", "pull", "--rebase", "--json", cwd=workdir)

    assert rebased.code == 0, rebased.err
    doc = rebased.json()
    assert doc["diverged"] is True
    assert doc["rebased"] == [
        {"workspace": "default", "from": 2, "to": 4},
        {"workspace": "default", "from": 3, "to": 5},
    ]
    assert doc["dropped"] == [] and doc["warnings"] == [] and doc["ahead_commits"] == 0
    # One linear history: the remote's versions as they were, then this copy's. (The state is
    # the colleague's since, which `log` records then as a change: version 6.)
    versions = _versions(tfshadow, workdir)
    assert [v["version"] for v in versions] == [1, 2, 3, 4, 5, 6]
    assert versions[:3] == remote_versions
    assert [v.get("rebased_from") for v in versions] == [None, None, None, 2, 3, None]
    assert [v["parent"] for v in versions[3:]] == [3, 4, 5]
    assert [v["kind"] for v in versions[3:]] == ["apply", "apply", "recovered"]
    assert _git("rev-list", "--merges", "HEAD", cwd=store) == ""
    text_log = tfshadow("log", "--no-color", cwd=workdir)
    assert "apply (was 2)" in text_log.out and "apply (was 3)" in text_log.out
    # Version 4 (this copy's 2) changes "four" back to "two": against its new previous version.
    assert versions[3]["changes"] == {
        "add": 0,
        "change": 1,
        "destroy": 0,
        "addresses": ["terraform_data.web"],
    }
    text = tfshadow("inspect", "4", "--no-color", cwd=workdir)
    assert '"four" -> "two"' in text.out, text.out
    assert "from version 2 (`tfshadow store pull --rebase`)" in text.out
    # Every version rebuilds to its hashes.
    check = tfshadow("store", "check", "--json", cwd=workdir)
    assert check.code == 0 and check.json()["ok"], check.out
    assert check.json()["writable"] == []
    # The mark of this copy's 2 is on its new number.
    marks = json.loads((store / "workspaces" / "default" / "marks.json").read_text())["marks"]
    assert [(m["version"], m["mark"], m.get("note")) for m in marks] == [(4, "good", "checked")]
    # Nothing is lost: the old history is kept, and the output says how to go back.
    assert _git("rev-parse", "refs/tfshadow/before-rebase/tfshadow", cwd=store) == old_head
    assert doc["before_rebase"] == "refs/tfshadow/before-rebase/tfshadow"
    # Pushed: the colleague takes it with a plain pull.
    remote = tmp_path / "shadows.git"
    assert _git("rev-parse", "tfshadow", cwd=remote) == _git("rev-parse", "HEAD", cwd=store)
    pulled = tfshadow("store", "pull", "--json", cwd=colleague)
    assert pulled.code == 0, pulled.err
    assert [v["version"] for v in _versions(tfshadow, colleague)] == [1, 2, 3, 4, 5, 6]
    assert tfshadow("store", "check", cwd=colleague).code == 0


def test_pull_rebase_says_what_it_did_and_where_the_old_history_is(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, diverged: Path
) -> None:
    rebased = tfshadow("store", "pull", "--rebase", "--no-color", cwd=workdir)

    assert rebased.code == 0, rebased.err
    assert "Recorded default version 2 again as version 4." in rebased.out
    assert "refs/tfshadow/before-rebase/tfshadow" in rebased.out
    assert "`tfshadow store pull --undo-rebase` goes back to it" in rebased.out
    assert "Pushed the joined history to" in rebased.out
    # A recording command goes on from the joined history and pushes without a warning.
    result = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=five", cwd=workdir)
    assert result.code == 0 and "warning" not in result.err, result.err
    assert "recorded version 7" in result.err


_BEFORE = "refs/tfshadow/before-rebase/tfshadow"


def _refusing_pushes(tmp_path: Path) -> Path:
    """The remote refuses every push (until the hook returned is removed)."""
    hook = tmp_path / "shadows.git" / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho refused for maintenance >&2\nexit 1\n")
    hook.chmod(0o755)
    return hook


def _writable(tfshadow: Tfshadow, cwd: Path) -> list[str]:
    check = tfshadow("store", "check", "--json", cwd=cwd)
    assert check.code == 0 and check.json()["ok"], check.out + check.err
    writable: list[str] = check.json()["writable"]
    return writable


def test_pull_undo_rebase_goes_back_to_the_history_before_it_read_only(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, diverged: Path
) -> None:
    store = workdir / ".tfshadow"
    old_head = _git("rev-parse", "HEAD", cwd=store)
    nothing = tfshadow("store", "pull", "--undo-rebase", cwd=workdir)
    assert nothing.code == 2
    assert f"({_BEFORE} does not exist): there is nothing to undo" in nothing.err
    # The joined history the remote refused is the rebase's own: nothing of it is lost.
    hook = _refusing_pushes(tmp_path)
    rebased = tfshadow("store", "pull", "--rebase", "--json", cwd=workdir)
    assert rebased.code == 0 and rebased.json()["ahead_commits"], rebased.err

    undone = tfshadow("store", "pull", "--undo-rebase", "--no-color", cwd=workdir)

    assert undone.code == 0, undone.err
    assert f"commit {old_head[:12]}), every file read-only" in undone.out
    assert _git("rev-parse", "HEAD", cwd=store) == old_head
    assert _git("for-each-ref", _BEFORE, cwd=store) == ""
    assert _git("status", "--porcelain", cwd=store) == ""
    assert _writable(tfshadow, workdir) == []
    again = tfshadow("store", "pull", "--undo-rebase", cwd=workdir)
    assert again.code == 2 and "nothing to undo" in again.err

    # Gone back by hand as git would, the files git wrote are writable: the undo makes them
    # read-only and drops the ref.
    hook.unlink()
    assert tfshadow("store", "pull", "--rebase", cwd=workdir).code == 0
    _git("reset", "-q", "--hard", _BEFORE, cwd=store)
    assert _writable(tfshadow, workdir) != []

    by_hand = tfshadow("store", "pull", "--undo-rebase", "--json", cwd=workdir)

    assert by_hand.code == 0, by_hand.err
    assert (by_hand.json()["commit"], by_hand.json()["left"]) == (old_head, None)
    assert _writable(tfshadow, workdir) == []
    assert _git("for-each-ref", _BEFORE, cwd=store) == ""


def test_pull_undo_rebase_refuses_to_lose_an_edit_or_a_version_the_remote_lacks(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, diverged: Path
) -> None:
    store = workdir / ".tfshadow"
    old_head = _git("rev-parse", "HEAD", cwd=store)
    hook = _refusing_pushes(tmp_path)
    assert tfshadow("store", "pull", "--rebase", cwd=workdir).code == 0
    meta = store / "workspaces" / "default" / "000001" / "meta.json"
    meta.chmod(0o644)
    meta.write_text(meta.read_text() + " ")
    joined = _git("rev-parse", "HEAD", cwd=store)

    edited = tfshadow("store", "pull", "--undo-rebase", cwd=workdir)

    assert edited.code == 2
    (line,) = edited.err.strip().splitlines()
    assert "workspaces/default/000001/meta.json" in line and "changed by hand" in line
    assert "checkout -- ." in line
    assert _git("rev-parse", "HEAD", cwd=store) == joined
    _git("checkout", "--", ".", cwd=store)
    # A version recorded since the rebase that the remote refused is in no other history.
    _apply(tfshadow, workdir, "five")
    recorded = _git("rev-parse", "HEAD", cwd=store)

    unpushed = tfshadow("store", "pull", "--undo-rebase", cwd=workdir)

    assert unpushed.code == 2
    assert "commits since the rebase that its remote lacks" in unpushed.err
    assert _git("rev-parse", "HEAD", cwd=store) == recorded
    assert _git("rev-parse", _BEFORE, cwd=store) == old_head
    hook.unlink()
    assert tfshadow("mark", "latest", "good", cwd=workdir).code == 0  # pushes it all
    undone = tfshadow("store", "pull", "--undo-rebase", cwd=workdir)
    assert undone.code == 0, undone.err
    assert _git("rev-parse", "HEAD", cwd=store) == old_head
    assert _writable(tfshadow, workdir) == []
    # Diverged from the remote again, as the next recorded command says.
    result = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=six", cwd=workdir)
    assert result.code == 0, result.err
    assert "diverged" in result.err and "tfshadow store pull --rebase" in result.err


def test_a_change_the_other_copy_recorded_too_is_dropped(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    colleague = _two_copies(workdir, tfshadow, tmp_path)
    # Both copies take the same change to their files; this one applies it while the remote
    # is away, and the colleague finds the state it left and records it (as a change made
    # outside tfshadow): the same state, the same configuration.
    for copy in (workdir, colleague):
        main = copy / "main.tf"
        main.write_text(main.read_text().replace('default = "small"', 'default = "two"'))
    away = _offline(tmp_path)
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    away.rename(tmp_path / "shadows.git")
    log = tfshadow("log", "--json", cwd=colleague)
    assert [v["kind"] for v in log.json()["versions"]] == ["recovered", "apply"]

    store = workdir / ".tfshadow"
    shutil.copytree(store, tmp_path / "store-before")
    said = tfshadow("store", "pull", "--rebase", "--no-color", cwd=workdir)
    assert said.code == 0, said.err
    assert (
        "Dropped default version 2: the remote's version 2 has the same state and "
        "configuration." in said.out
    )
    shutil.rmtree(store)
    shutil.copytree(tmp_path / "store-before", store)

    rebased = tfshadow("store", "pull", "--rebase", "--json", cwd=workdir)

    assert rebased.code == 0, rebased.err
    doc = rebased.json()
    assert doc["rebased"] == []
    assert doc["dropped"] == [{"workspace": "default", "version": 2, "same_as": 2}]
    assert [v["kind"] for v in _versions(tfshadow, workdir)] == ["apply", "recovered"]
    again = tfshadow("store", "pull", "--rebase", "--no-color", cwd=workdir)
    assert again.code == 0 and "Not diverged" in again.out, again.out


def test_pull_rebase_without_divergence_pulls_as_store_pull(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    colleague = _two_copies(workdir, tfshadow, tmp_path)
    _apply(tfshadow, colleague, "two")

    result = tfshadow("store", "pull", "--rebase", "--no-color", cwd=workdir)

    assert result.code == 0, result.err
    assert "Not diverged" in result.out and "Pulled 1 commit(s)" in result.out
    doc = tfshadow("store", "pull", "--rebase", "--json", cwd=workdir).json()
    assert (doc["diverged"], doc["pulled_commits"], doc["rebased"], doc["before_rebase"]) == (
        False,
        0,
        [],
        None,
    )
    store = workdir / ".tfshadow"
    assert _git("for-each-ref", "refs/tfshadow/", cwd=store) == ""


def test_pull_rebase_refuses_and_changes_nothing(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, diverged: Path
) -> None:
    store = workdir / ".tfshadow"
    head = _git("rev-parse", "HEAD", cwd=store)

    # The lock held by another command.
    with store_locked_elsewhere(workdir):
        locked = tfshadow("store", "pull", "--rebase", "--lock-timeout", "0", cwd=workdir)
    assert locked.code == 2 and "locked" in locked.err, locked.err
    assert len(locked.err.strip().splitlines()) <= 2

    # A version of this copy that cannot be rebuilt is named.
    meta = store / "workspaces" / "default" / "000003" / "meta.json"
    saved = meta.read_bytes()
    meta.chmod(0o644)
    meta.write_bytes(saved.replace(b'"apply"', b'"destroy"'))
    tampered = tfshadow("store", "pull", "--rebase", "--no-color", cwd=workdir)
    assert tampered.code == 2, tampered.err
    assert "version 3 of workspace default has been tampered with" in tampered.err
    assert _git("rev-parse", "HEAD", cwd=store) == head
    assert _git("for-each-ref", "refs/tfshadow/", cwd=store) == ""
    meta.write_bytes(saved)
    meta.chmod(0o444)

    # No remote.
    (workdir / "tfshadow.hcl").write_text("")
    no_remote = tfshadow("store", "pull", "--rebase", cwd=workdir)
    assert no_remote.code == 2 and "no remote" in no_remote.err
    assert _git("rev-parse", "HEAD", cwd=store) == head
    assert _git("status", "--porcelain", cwd=store) == ""


def test_a_push_that_fails_after_the_rebase_is_a_warning_and_the_join_is_kept(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, diverged: Path
) -> None:
    hook = tmp_path / "shadows.git" / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho refused for maintenance >&2\nexit 1\n")
    hook.chmod(0o755)

    rebased = tfshadow("store", "pull", "--rebase", "--json", cwd=workdir)

    assert rebased.code == 0, rebased.err
    doc = rebased.json()
    assert [m["to"] for m in doc["rebased"]] == [4, 5]
    [warning] = doc["warnings"]
    assert "could not push" in warning and "next recorded command" in warning
    assert doc["ahead_commits"] == 3  # two versions and the marks
    # The joined history goes with the next recorded command.
    hook.unlink()
    assert tfshadow("mark", "5", "good", cwd=workdir).code == 0
    store_head = _git("rev-parse", "HEAD", cwd=workdir / ".tfshadow")
    assert _git("rev-parse", "tfshadow", cwd=tmp_path / "shadows.git") == store_head


def test_a_branch_store_is_rebased_on_its_branch(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    colleague = _two_copies(workdir, tfshadow, tmp_path)
    remote = tmp_path / "shadows.git"
    # The same histories, kept as an orphan branch of each configuration's repository.
    for copy in (workdir, colleague):
        shutil.rmtree(copy / ".tfshadow")
        (copy / "tfshadow.hcl").write_text(
            f'store {{\n  branch = "tfshadow"\n  remote = "{remote}"\n}}\n'
        )
        _git("init", "-q", "-b", "main", cwd=copy)
        _git("fetch", "-q", str(remote), "tfshadow:tfshadow", cwd=copy)
    _diverge(workdir, colleague, tfshadow, tmp_path)
    before = _git("rev-parse", "tfshadow", cwd=workdir)

    rebased = tfshadow("store", "pull", "--rebase", "--json", cwd=workdir)

    assert rebased.code == 0, rebased.err
    assert [(m["from"], m["to"]) for m in rebased.json()["rebased"]] == [(2, 4), (3, 5)]
    assert _git("rev-parse", "tfshadow", cwd=workdir) == _git("rev-parse", "tfshadow", cwd=remote)
    assert _git("rev-parse", _BEFORE, cwd=workdir) == before
    assert _writable(tfshadow, workdir) == []
    # The undo goes back on the branch too, in the store's worktree.
    undone = tfshadow("store", "pull", "--undo-rebase", cwd=workdir)
    assert undone.code == 0, undone.err
    assert _git("rev-parse", "tfshadow", cwd=workdir) == before
    assert _writable(tfshadow, workdir) == []


def test_a_remote_version_that_cannot_be_rebuilt_stops_the_rebase_and_the_store_goes_back(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, diverged: Path
) -> None:
    # The remote's newest version was altered after it was recorded, and pushed so.
    theirs = diverged / ".tfshadow"
    delta = theirs / "workspaces" / "default" / "000003" / "state.delta.json"
    delta.chmod(0o644)
    delta.write_text(delta.read_text().replace('"four"', '"fours"'))
    _git("commit", "-q", "-am", "edit", cwd=theirs)
    _git("push", "-q", str(tmp_path / "shadows.git"), "HEAD:tfshadow", cwd=theirs)
    store = workdir / ".tfshadow"
    head = _git("rev-parse", "HEAD", cwd=store)

    stopped = tfshadow("store", "pull", "--rebase", "--no-color", cwd=workdir)

    assert stopped.code == 2, stopped.err
    assert (
        "the rebase stopped: version 3 of workspace default has been tampered with" in stopped.err
    )
    assert "the store is back as it was" in stopped.err
    assert _git("rev-parse", "HEAD", cwd=store) == head
    assert _git("for-each-ref", "refs/tfshadow/", cwd=store) == ""
    assert _git("status", "--porcelain", "--ignored", cwd=store) == ""
    check = tfshadow("store", "check", "--json", cwd=workdir)
    assert check.code == 0 and check.json()["ok"] and check.json()["writable"] == [], check.out
    assert _git("rev-parse", "tfshadow", cwd=tmp_path / "shadows.git") != head


def _interrupting_the_second_version(also_the_way_back: bool = False) -> str:
    """The source of an ``interrupt_at`` (see :func:`run_interrupted`) sending Ctrl-C as the
    second version is committed again, after the store moved to the remote's, and with
    ``also_the_way_back`` again as the store is put back."""
    return f"""
seen = []

def interrupt_at(argv):
    if "--hard" in argv:
        seen.append("reset")
        return {also_the_way_back} and seen.count("commit") == 2
    if not seen or "commit" not in argv:
        return False
    seen.append("commit")
    return seen.count("commit") == 2
"""


def test_a_rebase_interrupted_part_way_puts_the_store_back(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, diverged: Path
) -> None:
    store = workdir / ".tfshadow"
    head = _git("rev-parse", "HEAD", cwd=store)

    proc = run_interrupted(workdir, _interrupting_the_second_version(), "store", "pull", "--rebase")

    assert proc.returncode == 130, proc.stderr
    assert "interrupted while recording this copy's versions again" in proc.stderr
    assert "the store is back as it was" in proc.stderr and "Traceback" not in proc.stderr
    assert _git("rev-parse", "HEAD", cwd=store) == head
    assert _git("for-each-ref", "refs/tfshadow/", cwd=store) == ""
    assert _git("status", "--porcelain", "--ignored", cwd=store) == ""
    # Run again, it joins them.
    again = tfshadow("store", "pull", "--rebase", "--json", cwd=workdir)
    assert again.code == 0, again.err
    assert [(m["from"], m["to"]) for m in again.json()["rebased"]] == [(2, 4), (3, 5)]


def _double_fault(workdir: Path) -> subprocess.CompletedProcess[str]:
    """`store pull --rebase` interrupted at its second version, and again while it puts the
    store back: the store is left half-joined."""
    return run_interrupted(
        workdir, _interrupting_the_second_version(also_the_way_back=True), "store", "pull",
        "--rebase",
    )  # fmt: skip


def test_a_rebase_that_could_not_be_put_back_is_undone_by_undo_rebase_alone(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, diverged: Path
) -> None:
    store = workdir / ".tfshadow"
    head = _git("rev-parse", "HEAD", cwd=store)
    remote = _git("rev-parse", "tfshadow", cwd=tmp_path / "shadows.git")

    proc = _double_fault(workdir)

    assert proc.returncode == 130, proc.stderr
    assert "could not be put back" in proc.stderr and "Traceback" not in proc.stderr
    assert "reset --hard" not in proc.stderr
    assert "`tfshadow store pull --undo-rebase` goes back to it" in proc.stderr
    # Left half-joined: the remote's versions and this copy's first, recorded again.
    half = _git("rev-parse", "HEAD", cwd=store)
    assert half != head
    assert _git("merge-base", "--is-ancestor", remote, half, cwd=store) == ""
    assert _git("rev-parse", _BEFORE, cwd=store) == head

    undone = tfshadow("store", "pull", "--undo-rebase", "--json", cwd=workdir)

    assert undone.code == 0, undone.err
    assert (undone.json()["commit"], undone.json()["left"]) == (head, half)
    assert _git("rev-parse", "HEAD", cwd=store) == head
    assert _git("for-each-ref", "refs/tfshadow/", cwd=store) == ""
    assert _git("status", "--porcelain", "--ignored", cwd=store) == ""
    assert _writable(tfshadow, workdir) == []
    assert sorted(p.name for p in (store / "workspaces" / "default").glob("0*")) == [
        "000001",
        "000002",
        "000003",
    ]
    # Nothing was pushed, and a rebase run again joins the two.
    assert _git("rev-parse", "tfshadow", cwd=tmp_path / "shadows.git") == remote
    again = tfshadow("store", "pull", "--rebase", "--json", cwd=workdir)
    assert again.code == 0, again.err
    assert [(m["from"], m["to"]) for m in again.json()["rebased"]] == [(2, 4), (3, 5)]


@pytest.mark.usefixtures("aws_credentials")
def test_a_half_joined_store_records_without_pushing_and_its_undo_keeps_the_version(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, diverged: Path, s3_endpoint: str
) -> None:
    """After a double fault the store holds part of a join: a version recorded then (the
    infrastructure changed) stays here, and neither the remote nor the mirror gets the partial
    join; `--undo-rebase` records it again on the history it goes back to."""
    store = workdir / ".tfshadow"
    head = _git("rev-parse", "HEAD", cwd=store)
    remote = _git("rev-parse", "tfshadow", cwd=tmp_path / "shadows.git")
    proc = _double_fault(workdir)
    assert proc.returncode == 130 and "could not be put back" in proc.stderr, proc.stderr
    half = _git("rev-parse", "HEAD", cwd=store)
    bucket = new_bucket(s3_endpoint)
    (workdir / "tfshadow.hcl").write_text(
        f'store {{\n  remote = "{tmp_path / "shadows.git"}"\n'
        f'  mirror "s3" {{\n    bucket = "{bucket}"\n    endpoint = "{s3_endpoint}"\n  }}\n}}\n'
    )

    applied = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=five", cwd=workdir)

    assert applied.code == 0, applied.err
    (said,) = [line for line in applied.err.splitlines() if "half-joined" in line]
    assert "not pushed nor uploaded" in said and "tfshadow store pull --undo-rebase" in said
    recorded = _versions(tfshadow, workdir)[-1]
    assert recorded["description"] != "" and _git("rev-parse", "HEAD", cwd=store) != half
    assert _git("rev-parse", "tfshadow", cwd=tmp_path / "shadows.git") == remote
    assert "Contents" not in client(s3_endpoint).list_objects_v2(Bucket=bucket)
    marked = tfshadow("mark", str(recorded["version"]), "good", cwd=workdir)
    assert marked.code == 0 and "half-joined" in marked.err, marked.err
    assert _git("rev-parse", "tfshadow", cwd=tmp_path / "shadows.git") == remote
    synced = tfshadow("store", "sync", cwd=workdir)
    assert synced.code == 2 and "half-joined" in synced.err
    assert len(synced.err.strip().splitlines()) == 1
    assert "Contents" not in client(s3_endpoint).list_objects_v2(Bucket=bucket)
    # verify says what is missing, and that no sync sends it until the undo.
    verified = tfshadow("store", "verify", "--json", cwd=workdir)
    assert verified.code == 1 and verified.json()["half_joined"] is True
    assert verified.json()["repair"] is None
    said = tfshadow("store", "verify", "--no-color", cwd=workdir).out
    assert "`tfshadow store pull --undo-rebase`" in said and "Run `tfshadow store sync" not in said
    again = tfshadow("store", "pull", "--rebase", cwd=workdir)
    assert again.code == 2 and "--undo-rebase` first" in again.err
    pulled = tfshadow("store", "pull", "--no-color", cwd=workdir)
    assert pulled.code == 0 and "half-joined" in pulled.out and "--undo-rebase" in pulled.out
    assert _git("rev-parse", _BEFORE, cwd=store) == head

    undone = tfshadow("store", "pull", "--undo-rebase", "--json", cwd=workdir)

    assert undone.code == 0, undone.err
    # The state the other copy left was recorded as `recovered` first, then the apply.
    assert [(m["from"], m["to"]) for m in undone.json()["rebased"]] == [(5, 4), (6, 5)]
    assert recorded["version"] == 6
    assert _git("merge-base", "--is-ancestor", head, "HEAD", cwd=store) == ""
    log = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert [v["version"] for v in log] == [5, 4, 3, 2, 1]
    assert log[0]["rebased_from"] == recorded["version"]
    assert log[0]["mark"]["mark"] == "good"
    assert log[0]["state_sha256"] == recorded["state_sha256"]
    assert _writable(tfshadow, workdir) == []
    assert _git("rev-parse", "tfshadow", cwd=tmp_path / "shadows.git") == remote
    # Joined again, everything goes to the remote and the mirror.
    rejoined = tfshadow("store", "pull", "--rebase", "--json", cwd=workdir)
    assert rejoined.code == 0, rejoined.err
    assert [m["from"] for m in rejoined.json()["rebased"]] == [2, 3, 4, 5]
    assert _git("rev-parse", "tfshadow", cwd=tmp_path / "shadows.git") == _git(
        "rev-parse", "HEAD", cwd=store
    )
    assert tfshadow("store", "verify", cwd=workdir).code == 0


def test_a_rebase_killed_part_way_is_undone_keeping_a_version_recorded_since(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, diverged: Path
) -> None:
    """Killed (no Ctrl-C to catch) as it records the second version again, the rebase says
    nothing: the store still knows it is half-joined and where the rebase got to."""
    store = workdir / ".tfshadow"
    head = _git("rev-parse", "HEAD", cwd=store)
    remote = _git("rev-parse", "tfshadow", cwd=tmp_path / "shadows.git")
    killing = _interrupting_the_second_version().replace(
        'return seen.count("commit") == 2',
        'if seen.count("commit") == 2:\n        os.kill(os.getpid(), signal.SIGKILL)\n'
        "    return False",
    )
    proc = run_interrupted(workdir, killing, "store", "pull", "--rebase")
    assert proc.returncode == -9, proc.stderr
    half = _git("rev-parse", "HEAD", cwd=store)
    assert half != head and _git("rev-parse", _BEFORE, cwd=store) == head

    applied = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=five", cwd=workdir)

    assert applied.code == 0, applied.err
    assert "half-joined" in applied.err and "--undo-rebase" in applied.err
    assert _git("rev-parse", "tfshadow", cwd=tmp_path / "shadows.git") == remote
    undone = tfshadow("store", "pull", "--undo-rebase", "--json", cwd=workdir)
    assert undone.code == 0, undone.err
    assert [m["to"] for m in undone.json()["rebased"]] == [4, 5]
    assert _versions(tfshadow, workdir)[-1]["rebased_from"] == 6
    assert _git("merge-base", "--is-ancestor", head, "HEAD", cwd=store) == ""
    assert _git("rev-parse", "tfshadow", cwd=tmp_path / "shadows.git") == remote


def test_an_undo_interrupted_while_it_records_the_versions_made_since_can_be_run_again(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, diverged: Path
) -> None:
    store = workdir / ".tfshadow"
    head = _git("rev-parse", "HEAD", cwd=store)
    proc = _double_fault(workdir)
    assert proc.returncode == 130 and "could not be put back" in proc.stderr, proc.stderr
    _apply(tfshadow, workdir, "five")
    half = _git("rev-parse", "HEAD", cwd=store)
    at_commit = "def interrupt_at(argv):\n    return 'commit' in argv\n"

    stopped = run_interrupted(workdir, at_commit, "store", "pull", "--undo-rebase")

    assert stopped.returncode == 130, stopped.stderr
    (line,) = stopped.stderr.strip().splitlines()
    assert "were not all recorded again" in line and f"reset --hard {half}" in line
    assert _git("rev-parse", _BEFORE, cwd=store) == head
    _git("reset", "-q", "--hard", half, cwd=store)
    undone = tfshadow("store", "pull", "--undo-rebase", "--json", cwd=workdir)
    assert undone.code == 0, undone.err
    assert [(m["from"], m["to"]) for m in undone.json()["rebased"]] == [(5, 4), (6, 5)]
    assert _git("for-each-ref", "refs/tfshadow/", cwd=store) == ""
    assert _writable(tfshadow, workdir) == []


def test_versions_are_recorded_again_as_sealed_without_the_key(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    colleague = _two_copies(workdir, tfshadow, tmp_path)
    away = _offline(tmp_path)
    monkeypatch.setenv("TFSHADOW_KEY", "a-key-for-this-test")
    recorded = tfshadow(
        "apply", "-auto-approve", "-no-color", "-var", "api_token=a-new-token-value", cwd=workdir
    )
    assert recorded.code == 0, recorded.err
    old = _versions(tfshadow, workdir)[-1]
    assert old["key_id"]
    monkeypatch.delenv("TFSHADOW_KEY")
    away.rename(tmp_path / "shadows.git")
    _apply(tfshadow, colleague, "two")

    rebased = tfshadow("store", "pull", "--rebase", "--json", cwd=workdir)

    assert rebased.code == 0, rebased.err
    assert rebased.json()["rebased"] == [{"workspace": "default", "from": 2, "to": 4}]
    new = _versions(tfshadow, workdir)[3]
    # The same sealed documents, opened with the same key: nothing was decrypted to record it.
    assert (new["state_sha256"], new["config_sha256"]) == (
        old["state_sha256"],
        old["config_sha256"],
    )
    assert new["key_id"] == old["key_id"]
    store = workdir / ".tfshadow"
    everything = _git("log", "--all", "-p", "--format=%B", cwd=store)
    assert "a-new-token-value" not in everything + rebased.out + rebased.err


def test_a_mark_made_while_the_remote_was_away_is_kept(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    colleague = _two_copies(workdir, tfshadow, tmp_path)
    away = _offline(tmp_path)
    assert tfshadow("mark", "1", "good", cwd=workdir).code == 0
    away.rename(tmp_path / "shadows.git")
    _apply(tfshadow, colleague, "two")

    rebased = tfshadow("store", "pull", "--rebase", "--json", cwd=workdir)

    assert rebased.code == 0, rebased.err
    doc = rebased.json()
    assert (doc["diverged"], doc["rebased"], doc["marks_carried"]) == (True, [], ["default"])
    store = workdir / ".tfshadow"
    marks = json.loads((store / "workspaces" / "default" / "marks.json").read_text())["marks"]
    assert [(m["version"], m["mark"]) for m in marks] == [(1, "good")]
    remote = tmp_path / "shadows.git"
    assert _git("rev-parse", "tfshadow", cwd=remote) == _git("rev-parse", "HEAD", cwd=store)
    assert tfshadow("store", "pull", cwd=colleague).code == 0
    assert tfshadow("log", "--json", cwd=colleague).json()["versions"][1]["mark"]["mark"] == "good"


def test_a_revert_to_a_version_of_this_copy_names_its_new_number(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    colleague = _two_copies(workdir, tfshadow, tmp_path)
    away = _offline(tmp_path)
    _apply(tfshadow, workdir, "two")
    _apply(tfshadow, workdir, "three")
    reverted = revert_with_token(tfshadow, workdir, "2")
    assert reverted.code == 0, reverted.err
    away.rename(tmp_path / "shadows.git")
    _apply(tfshadow, colleague, "four")  # records the state it finds (recovered 2), then 3

    rebased = tfshadow("store", "pull", "--rebase", "--json", cwd=workdir)

    assert rebased.code == 0, rebased.err
    assert [(m["from"], m["to"]) for m in rebased.json()["rebased"]] == [(2, 4), (3, 5), (4, 6)]
    revert = _versions(tfshadow, workdir)[5]
    assert (revert["kind"], revert["reverted_to"], revert["rebased_from"]) == ("revert", 4, 4)
    assert revert["description"] == "Revert to version 4"


def test_a_generated_description_is_told_anew_and_a_given_message_stays(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    colleague = _two_copies(workdir, tfshadow, tmp_path)
    away = _offline(tmp_path)
    token = ("-var", "api_token=another-token-value")
    assert tfshadow("apply", "-auto-approve", "-no-color", *token, cwd=workdir).code == 0
    given = tfshadow(
        "apply", "-auto-approve", "-no-color", *token, "-var", "size=two", "--message",
        "bigger web", cwd=workdir,
    )  # fmt: skip
    assert given.code == 0, given.err
    before = _versions(tfshadow, workdir)[1]
    assert before["description"] == "0 to add, 1 to change, 0 to destroy: terraform_data.auth"
    away.rename(tmp_path / "shadows.git")
    _apply(tfshadow, colleague, "four")  # the token back to its default, and web "four"

    rebased = tfshadow("store", "pull", "--rebase", "--json", cwd=workdir)

    assert rebased.code == 0, rebased.err
    assert [(m["from"], m["to"]) for m in rebased.json()["rebased"]] == [(2, 4), (3, 5)]
    versions = _versions(tfshadow, workdir)
    # Against the remote's 3, this copy's 2 changes the token and web back.
    assert versions[3]["changes"]["addresses"] == ["terraform_data.auth", "terraform_data.web"]
    assert versions[3]["description"] == (
        "0 to add, 2 to change, 0 to destroy: terraform_data.auth, terraform_data.web"
    )
    assert versions[3]["description_generated"] is True
    assert (versions[4]["description"], versions[4]["description_generated"]) == (
        "bigger web",
        False,
    )
    assert tfshadow("store", "check", cwd=workdir).code == 0


def test_a_workspace_only_this_copy_has_is_recorded_again_and_pushed(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    colleague = _two_copies(workdir, tfshadow, tmp_path)
    away = _offline(tmp_path)
    assert tfshadow("workspace", "new", "staging", "-no-color", cwd=workdir).code == 0
    _apply(tfshadow, workdir, "two")
    _apply(tfshadow, workdir, "three")
    assert tfshadow("mark", "1", "good", "--note", "staging ok", cwd=workdir).code == 0
    staging_before = _versions(tfshadow, workdir)
    assert tfshadow("workspace", "select", "default", "-no-color", cwd=workdir).code == 0
    away.rename(tmp_path / "shadows.git")
    _apply(tfshadow, colleague, "four")

    rebased = tfshadow("store", "pull", "--rebase", "--json", cwd=workdir)

    assert rebased.code == 0, rebased.err
    doc = rebased.json()
    assert doc["rebased"] == [
        {"workspace": "staging", "from": 1, "to": 1},
        {"workspace": "staging", "from": 2, "to": 2},
    ]
    assert (doc["dropped"], doc["warnings"], doc["ahead_commits"]) == ([], [], 0)
    assert doc["marks_carried"] == ["staging"]
    store = workdir / ".tfshadow"
    remote = tmp_path / "shadows.git"
    assert _git("rev-parse", "tfshadow", cwd=remote) == _git("rev-parse", "HEAD", cwd=store)
    # The colleague takes the workspace with a plain pull: the same versions and mark.
    assert tfshadow("store", "pull", cwd=colleague).code == 0
    for copy in (workdir, colleague):
        log = tfshadow("log", "--json", "--workspace", "staging", cwd=copy)
        assert log.code == 0, log.err
        staging = list(reversed(log.json()["versions"]))
        assert [(v["version"], v.get("rebased_from"), v["parent"]) for v in staging] == [
            (1, 1, None),
            (2, 2, 1),
        ]
        assert [v["description"] for v in staging] == [v["description"] for v in staging_before]
        assert [v["changes"] for v in staging] == [v["changes"] for v in staging_before]
        assert staging[0]["mark"]["mark"] == "good"
        assert staging[0]["mark"]["note"] == "staging ok"
        assert [v["version"] for v in _versions(tfshadow, copy)] == [1, 2]
        assert tfshadow("store", "check", cwd=copy).code == 0


def test_a_version_both_copies_marked_keeps_the_remotes_mark(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    """The remote's mark is what its readers (gates, ghosts, the other copies) have seen: it
    stands, whichever machine's clock marked later; the same mark is not made twice, and this
    copy's other mark is said with the command that gives it."""
    colleague = _two_copies(workdir, tfshadow, tmp_path)
    _apply(tfshadow, workdir, "two")
    assert tfshadow("store", "pull", cwd=colleague).code == 0
    assert tfshadow("mark", "1", "good", "--note", "theirs", cwd=colleague).code == 0
    assert tfshadow("mark", "2", "good", "--note", "theirs", cwd=colleague).code == 0
    away = _offline(tmp_path)
    assert tfshadow("mark", "1", "good", "--note", "mine", cwd=workdir).code == 0
    assert tfshadow("mark", "2", "bad", "--note", "mine", cwd=workdir).code == 0
    away.rename(tmp_path / "shadows.git")
    remote_tip = _git("rev-parse", "tfshadow", cwd=tmp_path / "shadows.git")

    rebased = tfshadow("store", "pull", "--rebase", "--json", cwd=workdir)

    assert rebased.code == 0, rebased.err
    doc = rebased.json()
    assert (doc["diverged"], doc["rebased"], doc["marks_carried"]) == (True, [], [])
    [warning] = doc["warnings"]
    assert "version 2 of workspace default keeps the mark good" in warning
    assert "this copy's mark bad was not carried" in warning
    assert "tfshadow mark 2 bad --workspace default" in warning
    store = workdir / ".tfshadow"
    marks = json.loads((store / "workspaces" / "default" / "marks.json").read_text())["marks"]
    assert [(m["version"], m["mark"], m["note"]) for m in marks] == [
        (1, "good", "theirs"),
        (2, "good", "theirs"),
    ]
    # Nothing of this copy's was left to add: the store is the remote's.
    assert _git("rev-parse", "HEAD", cwd=store) == remote_tip


def _as_recorded_before_descriptions_were_told_generated(store: Path, version: int) -> None:
    """Rewrite the newest commit as a tfshadow that did not write `description_generated`
    would have made it."""
    meta = store / "workspaces" / "default" / f"{version:06d}" / "meta.json"
    doc = json.loads(meta.read_text())
    del doc["description_generated"]
    meta.chmod(0o644)
    meta.write_bytes(dumps_meta(doc))
    meta.chmod(0o444)
    _git("commit", "-q", "--amend", "--no-edit", "--", str(meta), cwd=store)


def test_a_version_recorded_before_descriptions_were_told_generated_is_judged_by_its_summary(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    colleague = _two_copies(workdir, tfshadow, tmp_path)
    store = workdir / ".tfshadow"
    away = _offline(tmp_path)
    token = ("-var", "api_token=another-token-value")
    assert tfshadow("apply", "-auto-approve", "-no-color", *token, cwd=workdir).code == 0
    _as_recorded_before_descriptions_were_told_generated(store, 2)
    given = tfshadow(
        "apply", "-auto-approve", "-no-color", *token, "-var", "size=two", "--message",
        "bigger web", cwd=workdir,
    )  # fmt: skip
    assert given.code == 0, given.err
    _as_recorded_before_descriptions_were_told_generated(store, 3)
    assert tfshadow("store", "check", cwd=workdir).code == 0
    away.rename(tmp_path / "shadows.git")
    _apply(tfshadow, colleague, "four")

    rebased = tfshadow("store", "pull", "--rebase", "--json", cwd=workdir)

    assert rebased.code == 0, rebased.err
    versions = _versions(tfshadow, workdir)
    assert [v.get("rebased_from") for v in versions[3:5]] == [2, 3]
    assert versions[3]["description"] == (
        "0 to add, 2 to change, 0 to destroy: terraform_data.auth, terraform_data.web"
    )
    assert versions[4]["description"] == "bigger web"
    assert [v["description_generated"] for v in versions[3:5]] == [True, False]


_GHOSTED = """\
terraform {
  required_providers {
    localcloud = { source = "local/tfshadow/localcloud" }
  }
}

variable "size" {
  default = "one"
}

resource "localcloud_instance" "web" {
  command = ["python3", "-c", "import time; time.sleep(600)"]
  state   = "running"
}

resource "terraform_data" "size" {
  input = var.size
}
"""


@contextlib.contextmanager
def _ghosted_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tfshadow: Tfshadow
) -> Iterator[tuple[Path, Path]]:
    """This copy and a colleague's of a configuration with a `localcloud` instance, each with
    its own state, one remote; version 1 recorded here, pushed and taken by the colleague.
    Every instance process is ended afterwards."""
    remote = tmp_path / "shadows.git"
    subprocess.run(["git", "init", "--bare", "-q", str(remote)], check=True)
    work = workspace(tmp_path, monkeypatch, _GHOSTED)
    colleague = tmp_path / "colleague"
    colleague.mkdir()
    (colleague / "main.tf").write_text(_GHOSTED)
    with instances_ended(work), instances_ended(colleague):
        for copy in (work, colleague):
            (copy / "tfshadow.hcl").write_text(f'store {{\n  remote = "{remote}"\n}}\n')
            assert tfshadow("init", "-no-color", cwd=copy).code == 0
        _apply(tfshadow, work, "one")
        assert tfshadow("store", "pull", cwd=colleague).code == 0
        yield work, colleague


def test_a_ghost_copied_from_a_version_of_this_copy_names_its_new_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tfshadow: Tfshadow
) -> None:
    # The ghost registry is this copy's own: after the rebase its version 2 is the remote's,
    # and a ghost pinned to "2" would be refreshed from a version it was never a copy of.
    remote = tmp_path / "shadows.git"
    with _ghosted_copies(tmp_path, monkeypatch, tfshadow) as (work, colleague):
        away = _offline(tmp_path)
        _apply(tfshadow, work, "two")  # this copy's version 2, kept locally
        enabled = tfshadow("ghost", "enable", "localcloud_instance.web", "--from", "2", cwd=work)
        assert enabled.code == 0, enabled.err
        away.rename(remote)
        _apply(tfshadow, colleague, "four")  # the remote's version 2

        rebased = tfshadow("store", "pull", "--rebase", "--json", cwd=work)

        assert rebased.code == 0, rebased.err
        moved = {(m["from"], m["to"]) for m in rebased.json()["rebased"]}
        assert (2, 3) in moved
        assert rebased.json()["ghosts_renumbered"] == [
            {"address": "localcloud_instance.web", "from": 2, "to": 3}
        ]
        listed = tfshadow("ghost", "list", "--json", cwd=work)
        assert [g["from_version"] for g in listed.json()["ghosts"]] == [3]
        # Back on the history before the rebase, the ghost names the number it has there.
        undone = tfshadow("store", "pull", "--undo-rebase", "--json", cwd=work)
        assert undone.code == 0, undone.err
        assert undone.json()["ghosts_renumbered"] == [
            {"address": "localcloud_instance.web", "from": 3, "to": 2}
        ]
        listed = tfshadow("ghost", "list", "--json", cwd=work)
        assert [g["from_version"] for g in listed.json()["ghosts"]] == [2]


def test_a_ghost_refresh_recorded_here_names_the_new_number_it_follows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tfshadow: Tfshadow
) -> None:
    remote = tmp_path / "shadows.git"
    with _ghosted_copies(tmp_path, monkeypatch, tfshadow) as (work, colleague):
        away = _offline(tmp_path)
        enabled = tfshadow("ghost", "enable", "localcloud_instance.web", cwd=work)
        assert enabled.code == 0, enabled.err  # version 2
        (work / "main.tf").write_text(_GHOSTED.replace("sleep(600)", "sleep(601)"))
        _apply(tfshadow, work, "one")  # 3
        assert tfshadow("mark", "3", "good", cwd=work).code == 0
        refreshed = tfshadow("ghost", "refresh", "--no-color", cwd=work)
        assert refreshed.code == 0, refreshed.err  # the remote away is a warning
        assert "recorded version 4" in refreshed.err
        followed = _versions(tfshadow, work)[-1]
        assert followed["description"] == "ghost of localcloud_instance.web follows version 3"
        away.rename(remote)
        _apply(tfshadow, colleague, "four")  # the remote's version 2

        rebased = tfshadow("store", "pull", "--rebase", "--json", cwd=work)

        assert rebased.code == 0, rebased.err
        moved = {m["from"]: m["to"] for m in rebased.json()["rebased"]}
        assert moved[3] == 4
        after = {int(str(v["version"])): v for v in _versions(tfshadow, work)}
        assert after[moved[4]]["description"] == (
            "ghost of localcloud_instance.web follows version 4"
        )
        assert rebased.json()["ghosts_renumbered"] == [
            {"address": "localcloud_instance.web", "from": 3, "to": 4}
        ]


def test_a_state_rm_an_earlier_tfshadow_summarised_as_destroyed_is_told_anew_as_a_forget(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    colleague = _two_copies(workdir, tfshadow, tmp_path)
    store = workdir / ".tfshadow"
    away = _offline(tmp_path)
    removed = tfshadow("state", "rm", "-no-color", "terraform_data.web", cwd=workdir)
    assert removed.code == 0, removed.err
    # As a tfshadow recorded it before forgets were counted apart: counted and worded as a
    # destruction, without `description_generated`.
    meta = store / "workspaces" / "default" / "000002" / "meta.json"
    doc = json.loads(meta.read_text())
    doc["changes"] = {"add": 0, "change": 0, "destroy": 1, "addresses": ["terraform_data.web"]}
    doc["description"] = "0 to add, 0 to change, 1 to destroy: terraform_data.web"
    meta.chmod(0o644)
    meta.write_bytes(dumps_meta(doc))
    meta.chmod(0o444)
    _git("commit", "-q", "--amend", "--no-edit", "--", str(meta), cwd=store)
    _as_recorded_before_descriptions_were_told_generated(store, 2)
    assert tfshadow("store", "check", cwd=workdir).code == 0
    away.rename(tmp_path / "shadows.git")
    _apply(tfshadow, colleague, "four")

    rebased = tfshadow("store", "pull", "--rebase", "--json", cwd=workdir)

    assert rebased.code == 0, rebased.err
    forget = [v for v in _versions(tfshadow, workdir) if v.get("rebased_from") == 2]
    assert [(v["description"], v["description_generated"]) for v in forget] == [
        ("state: 0 added, 0 changed, 0 removed, 1 forgotten: terraform_data.web", True)
    ]
