"""HEAD read from the repository's files gives what git itself says, in every form git stores."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tfshadow.store.git import Git


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def commit(repo: Path, name: str) -> str:
    (repo / name).write_text(name)
    git(repo, "add", name)
    git(repo, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", name)
    return git(repo, "rev-parse", "HEAD")


def opened(path: Path) -> Git:
    store_git = Git(path)
    assert store_git.repo_info() is not None
    return store_git


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    git(tmp_path, "init", "-q", "--initial-branch=main", str(path))
    return path


def test_head_of_an_unborn_branch_is_none(repo: Path) -> None:
    store_git = opened(repo)
    assert store_git.head() is None
    assert store_git.current_branch() == "main"


def test_head_follows_a_loose_ref_and_then_the_packed_one(repo: Path) -> None:
    store_git = opened(repo)
    first = commit(repo, "a")
    assert store_git.head() == first
    git(repo, "pack-refs", "--all", "--prune")
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    assert store_git.head() == first
    second = commit(repo, "b")  # loose again, beside the packed older value
    assert store_git.head() == second


def test_head_detached_is_the_commit_and_no_branch(repo: Path) -> None:
    first = commit(repo, "a")
    commit(repo, "b")
    git(repo, "checkout", "-q", "--detach", first)
    store_git = opened(repo)
    assert store_git.head() == first
    assert store_git.current_branch() is None


def test_head_of_a_linked_worktree_is_its_own(repo: Path, tmp_path: Path) -> None:
    first = commit(repo, "a")
    git(repo, "worktree", "add", "-q", "-b", "side", str(tmp_path / "side"))
    side = commit(tmp_path / "side", "b")
    assert opened(tmp_path / "side").head() == side
    assert opened(tmp_path / "side").current_branch() == "side"
    assert opened(repo).head() == first


def test_head_of_a_sha256_repository(tmp_path: Path) -> None:
    path = tmp_path / "repo256"
    git(tmp_path, "init", "-q", "--object-format=sha256", "--initial-branch=main", str(path))
    oid = commit(path, "a")
    assert len(oid) == 64
    assert opened(path).head() == oid


def test_head_in_a_form_it_does_not_read_is_asked_of_git(repo: Path) -> None:
    first = commit(repo, "a")
    git(repo, "symbolic-ref", "refs/heads/alias", "refs/heads/main")
    git(repo, "symbolic-ref", "HEAD", "refs/heads/alias")  # HEAD → alias → main
    assert opened(repo).head() == first


def test_head_is_read_without_starting_git(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A command asks for HEAD about ten times; each git process costs milliseconds.
    first = commit(repo, "a")
    store_git = opened(repo)
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    assert store_git.head() == first
    assert store_git.current_branch() == "main"
    assert not trace.exists() or "built-in" not in trace.read_text()
