from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tfshadow.errors import StoreError
from tfshadow.state import delta

if TYPE_CHECKING:
    from conftest import StoreKit


def user_repo(kit: StoreKit, root: Path) -> Path:
    """A configuration repository mid-work: a commit, a staged change, an edit, a new file."""
    root.mkdir()
    kit.git(root, "init", "-q", "-b", "main")
    (root / "main.tf").write_text('resource "null_resource" "a" {}\n')
    (root / "variables.tf").write_text("# vars\n")
    kit.git(root, "add", ".")
    kit.git(root, "commit", "-qm", "configuration")
    (root / "variables.tf").write_text("# vars, staged\n")
    kit.git(root, "add", "variables.tf")
    (root / "main.tf").write_text('resource "null_resource" "b" {}\n')
    (root / "scratch.txt").write_text("untracked\n")
    return root


def snapshot(kit: StoreKit, root: Path) -> tuple[str, ...]:
    return (
        kit.git(root, "rev-parse", "HEAD"),
        kit.git(root, "symbolic-ref", "HEAD"),
        kit.git(root, "status", "--porcelain"),
        kit.git(root, "diff"),
        kit.git(root, "diff", "--cached"),
        (root / "main.tf").read_text(),
    )


def test_branch_mode_leaves_the_users_work_alone(kit: StoreKit, tmp_path: Path) -> None:
    repo = user_repo(kit, tmp_path / "repo")
    workdir = repo / "envs" / "prod"
    workdir.mkdir(parents=True)
    before = snapshot(kit, repo)

    store = kit.open_store(workdir, branch="tfshadow", keyframe_interval=2)
    for n in range(1, 4):
        kit.record(store, n)

    assert snapshot(kit, repo) == before
    assert store.root.is_relative_to(repo / ".git")
    log = kit.git(repo, "log", "--format=%an|%s", "tfshadow")
    assert log.splitlines() == [
        "Ann Operator|apply number 3",
        "Ann Operator|apply number 2",
        "Ann Operator|apply number 1",
        "tfshadow|Create the tfshadow shadow store",
    ]
    # An orphan branch: nothing of the configuration's history or files.
    assert kit.git(repo, "merge-base", "--all", "main", "tfshadow", check=False) == ""
    files = kit.git(repo, "ls-tree", "-r", "--name-only", "tfshadow").split()
    assert "main.tf" not in files
    assert "workspaces/default/000003/meta.json" in files

    reopened = kit.open_store(workdir, create=False, branch="tfshadow", keyframe_interval=2)
    for n in range(1, 4):
        rebuilt = reopened.reconstruct("default", n)
        assert delta.dumps(rebuilt.state) == delta.dumps(kit.state_doc(n))
    assert snapshot(kit, repo) == before


def test_branch_mode_outside_a_repository(kit: StoreKit, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not inside a git repository") as caught:
        kit.open_store(tmp_path, branch="tfshadow")
    assert caught.value.hint and "git init" in caught.value.hint


def test_branch_mode_without_create_and_no_branch(kit: StoreKit, tmp_path: Path) -> None:
    repo = user_repo(kit, tmp_path / "repo")
    with pytest.raises(StoreError, match="no shadow store at branch `tfshadow`") as caught:
        kit.open_store(repo, create=False, branch="tfshadow")
    assert caught.value.hint == "run `tfshadow apply` first"
    assert "tfshadow" not in kit.git(repo, "branch", "--list")


def test_branch_mode_refuses_a_branch_that_is_not_a_store(kit: StoreKit, tmp_path: Path) -> None:
    repo = user_repo(kit, tmp_path / "repo")
    kit.git(repo, "branch", "history")
    with pytest.raises(StoreError, match="exists and is not a tfshadow shadow store"):
        kit.open_store(repo, branch="history")
    with pytest.raises(StoreError, match="not a valid git branch name"):
        kit.open_store(repo, branch="bad..name")


def test_branch_mode_rebuilds_a_lost_worktree(kit: StoreKit, tmp_path: Path) -> None:
    repo = user_repo(kit, tmp_path / "repo")
    store = kit.open_store(repo, branch="tfshadow")
    kit.record(store, 1)
    shutil.rmtree(store.root)

    reopened = kit.open_store(repo, create=False, branch="tfshadow")
    assert reopened.root == store.root
    assert kit.record(reopened, 2)["version"] == 2
    assert [m["version"] for m in reopened.versions("default")] == [1, 2]


def test_branch_mode_in_a_repository_with_no_commit_yet_checks_sound(
    kit: StoreKit, tmp_path: Path
) -> None:
    kit.git(tmp_path, "init", "-q", "-b", "main")  # nothing committed on main
    store = kit.open_store(tmp_path, branch="tfshadow")
    kit.record(store, 1)

    check = store.check()
    assert check.sound, check.git
    assert check.versions == 1
