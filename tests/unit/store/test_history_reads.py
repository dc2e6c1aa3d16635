"""What reading one version costs in a long history: the versions shown, not the history."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tfshadow.ops import history
from tfshadow.project import Project
from tfshadow.store import GitShadowStore

if TYPE_CHECKING:
    from conftest import StoreKit


def _history(
    kit: StoreKit,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    versions: int,
    keyframe_interval: int,
) -> list[int]:
    """A store in ``tmp_path`` holding ``versions`` versions; the list each version's meta
    read from now on is added to."""
    store = kit.open_store(tmp_path, keyframe_interval=keyframe_interval)
    for n in range(1, versions + 1):
        kit.record(store, n)
    read: list[int] = []
    real_meta = GitShadowStore._meta

    def counted(self: GitShadowStore, listing: Any, workspace: str, version: int) -> Any:
        read.append(version)
        return real_meta(self, listing, workspace, version)

    monkeypatch.setattr(GitShadowStore, "_meta", counted)
    return read


def test_inspect_reads_the_meta_of_the_versions_it_shows_not_of_all(
    kit: StoreKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = _history(kit, tmp_path, monkeypatch, versions=60, keyframe_interval=5)

    change = history.inspect(Project(tmp_path, {}), "latest~10", workspace="default")

    assert change.after["version"] == 50 and change.before is not None
    assert change.before["version"] == 49
    # Versions 46 to 50: a keyframe and the run of deltas up to 50 (each read a few times),
    # never the 60 versions of the history.
    assert set(read) <= set(range(46, 51))


def test_log_with_a_limit_reads_the_newest_versions_not_all(
    kit: StoreKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = _history(kit, tmp_path, monkeypatch, versions=120, keyframe_interval=25)
    project = Project(tmp_path, {})

    shown = history.log(project, workspace="default", limit=5)

    assert [m["version"] for m in shown] == [120, 119, 118, 117, 116]
    assert min(read) > 120 - 50  # one batch of the newest, not 120 metas
    # A filter that admits few versions reads on until it has them, and no further.
    read.clear()
    where = history.LogFilter(grep=re.compile(r"^apply number (?:60|120)$"))

    found = history.log(project, workspace="default", limit=2, where=where)

    assert [m["version"] for m in found] == [120, 60]
    assert min(read) > 20  # two batches of 50, not the first 20 versions
