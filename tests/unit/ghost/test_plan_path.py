"""Where a ghost's activation plan is kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from tfshadow.ops import ghost


class _Store:
    def __init__(self, root: Path) -> None:
        self.root = root

    def private_dir(self, name: str) -> Path:
        return self.root / name


def test_plan_paths_of_addresses_alike_once_made_safe_differ(tmp_path: Path) -> None:
    store = cast(Any, _Store(tmp_path))
    addresses = [
        "localcloud_instance.w[1]",
        "localcloud_instance.w_1_",
        'localcloud_instance.fe["a b"]',
        'localcloud_instance.fe["a.b"]',
    ]
    paths = {ghost._plan_path(store, address) for address in addresses}
    assert len(paths) == len(addresses)
    assert all(p.parent == tmp_path / "ghosts" and p.suffix == ".tfplan" for p in paths)
