"""What reading one version costs in a long history: the versions shown, not the history."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tfshadow.ops import history
from tfshadow.project import Project
from tfshadow.store import GitShadowStore

if TYPE_CHECKING:
    from conftest import StoreKit


def test_inspect_reads_the_meta_of_the_versions_it_shows_not_of_all(
    kit: StoreKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = kit.open_store(tmp_path, keyframe_interval=5)
    for n in range(1, 61):
        kit.record(store, n)
    read: list[int] = []
    real_meta = GitShadowStore._meta

    def counted(self: GitShadowStore, listing: Any, workspace: str, version: int) -> Any:
        read.append(version)
        return real_meta(self, listing, workspace, version)

    monkeypatch.setattr(GitShadowStore, "_meta", counted)

    change = history.inspect(Project(tmp_path, {}), "latest~10", workspace="default")

    assert change.after["version"] == 50 and change.before is not None
    assert change.before["version"] == 49
    # Versions 46 to 50: a keyframe and the run of deltas up to 50 (each read a few times),
    # never the 60 versions of the history.
    assert set(read) <= set(range(46, 51))
