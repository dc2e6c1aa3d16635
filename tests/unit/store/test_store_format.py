"""A store written by a newer tfshadow (a higher format number in its marker) is refused
clearly, before anything of it is read, moved or recorded over; older and current stores open."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tfshadow.errors import StoreError
from tfshadow.store import GitShadowStore, StoreConfig
from tfshadow.store.layout import MARKER, STORE_FORMAT, marker_format

if TYPE_CHECKING:
    from conftest import StoreKit

NEWER = STORE_FORMAT + 1


def raise_format(kit: StoreKit, repo: Path) -> str:
    """Commit, in the store checked out at ``repo``, the marker a newer tfshadow would write;
    returns the new commit."""
    marker = repo / MARKER
    marker.chmod(0o644)
    marker.write_text(json.dumps({"format": NEWER, "kind": "tfshadow shadow store"}) + "\n")
    marker.chmod(0o444)
    kit.git(repo, "commit", "-q", "-am", "A newer store format")
    return kit.git(repo, "rev-parse", "HEAD").strip()


def newer_message(message: str) -> bool:
    return f"written by a newer tfshadow (store format {NEWER}; this tfshadow reads" in message


def test_the_marker_of_every_store_written_so_far_reads_as_this_format(
    kit: StoreKit, tmp_path: Path
) -> None:
    store = kit.open_store(tmp_path)
    kit.record(store, 1)
    assert marker_format((store.root / MARKER).read_bytes()) == STORE_FORMAT == 1
    assert marker_format(b"not json") is None
    assert marker_format(b'{"format": true}') is None


def test_a_directory_store_of_a_newer_format_is_refused_and_left_as_it_was(
    kit: StoreKit, tmp_path: Path
) -> None:
    store = kit.open_store(tmp_path)
    kit.record(store, 1)
    tip = raise_format(kit, store.root)

    for create in (False, True):
        with pytest.raises(StoreError) as caught:
            kit.open_store(tmp_path, create=create)
        assert newer_message(caught.value.message)
        assert "upgrade tfshadow" in (caught.value.hint or "")
    assert kit.git(store.root, "rev-parse", "HEAD").strip() == tip
    assert kit.git(store.root, "status", "--porcelain") == ""


def test_a_branch_store_of_a_newer_format_is_refused(kit: StoreKit, tmp_path: Path) -> None:
    workdir = tmp_path / "config"
    workdir.mkdir()
    kit.git(workdir, "init", "-q")
    store = kit.open_store(workdir, branch="tfshadow")
    kit.record(store, 1)
    raise_format(kit, store.root)

    with pytest.raises(StoreError) as caught:
        kit.open_store(workdir, create=False, branch="tfshadow")
    assert newer_message(caught.value.message)


def test_a_pull_of_a_newer_format_moves_nothing_and_creates_nothing(
    kit: StoreKit, tmp_path: Path
) -> None:
    remote = tmp_path / "shadows.git"
    kit.git(tmp_path, "init", "-q", "--bare", str(remote))
    mine = tmp_path / "mine"
    mine.mkdir()
    store = kit.open_store(mine, remote=str(remote))
    kit.record(store, 1)
    store.push()
    # A teammate's newer tfshadow pushes the store in its new format.
    kit.git(tmp_path, "clone", "-q", "-b", "tfshadow", str(remote), "newer")
    raise_format(kit, tmp_path / "newer")
    kit.git(tmp_path / "newer", "push", "-q", "origin", "tfshadow")
    head = store.head()

    with pytest.raises(StoreError) as caught:
        GitShadowStore.pull(StoreConfig(workdir=mine, remote=str(remote)))
    assert newer_message(caught.value.message)
    assert store.head() == head
    assert kit.open_store(mine, create=False).latest("default") is not None

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with pytest.raises(StoreError) as caught:
        GitShadowStore.pull(StoreConfig(workdir=elsewhere, remote=str(remote)))
    assert newer_message(caught.value.message)
    assert not (elsewhere / ".tfshadow").exists()
