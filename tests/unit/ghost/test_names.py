"""Ghost names, and the order a revert gives the ghosts it pauses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import pytest

from tfshadow.ghost.config_file import GHOSTS_FILE
from tfshadow.ops import ghost


@pytest.mark.parametrize(
    ("entry", "name"),
    [
        ({"name": "app"}, "app"),
        ({"name": "w", "index_key": 1}, "w_1"),
        ({"name": "app", "module": "module.a"}, "module_a__app"),
        ({"name": "app", "module": "module.a[0]"}, "module_a_0__app"),
        (
            {"name": "app", "module": 'module.a["x y"].module.b', "index_key": "k"},
            "module_a_x_y__module_b__app_k",
        ),
    ],
)
def test_a_module_resource_s_ghost_name_holds_its_module_path(
    entry: dict[str, Any], name: str
) -> None:
    assert ghost._local_name(entry) == name


@pytest.mark.parametrize(
    ("address", "dependency"),
    [
        ("localcloud_instance.web", "localcloud_instance.web"),
        ("localcloud_instance.w[1]", "localcloud_instance.w"),
        ('localcloud_instance.fe["a.b"]', "localcloud_instance.fe"),
        ("module.a.localcloud_instance.app", "module.a"),
        ('module.a["x"].module.b.localcloud_instance.app', "module.a"),
    ],
)
def test_a_ghost_waits_for_what_the_root_module_can_name(address: str, dependency: str) -> None:
    assert ghost._root_object(address) == dependency


def _entry(name: str) -> dict[str, Any]:
    return {"ghost": f"localcloud_instance.{name}", "targets": [f"localcloud_instance.{name}"]}


REGISTRY = {
    "module.a.localcloud_instance.app": _entry("module_a__app_ghost"),
    "localcloud_instance.w[1]": _entry("w_1_ghost"),
    "localcloud_instance.gone": _entry("gone_ghost"),
}


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(ghost, "_load_registry", lambda store: REGISTRY)
    (tmp_path / "main.tf").write_text(
        'module "a" {\n  source = "./app"\n}\n\n'
        'resource "localcloud_instance" "w" {\n  count   = 2\n  command = ["true"]\n}\n'
    )
    bodies = {entry["ghost"].split(".")[1]: {"state": "stopped"} for entry in REGISTRY.values()}
    (tmp_path / GHOSTS_FILE).write_text(json.dumps({"resource": {"localcloud_instance": bodies}}))
    return tmp_path


def _depends_on(scratch: Path) -> dict[str, Any]:
    declared = json.loads((scratch / GHOSTS_FILE).read_text())["resource"]["localcloud_instance"]
    return {name: body.get("depends_on") for name, body in declared.items()}


def test_a_revert_pauses_each_ghost_after_its_original(scratch: Path) -> None:
    declared = (scratch / GHOSTS_FILE).read_text()

    ordered = ghost.order_pauses_after_originals(cast(Any, object()), scratch)

    assert ordered == ["localcloud_instance.w_1_ghost", "localcloud_instance.module_a__app_ghost"]
    assert _depends_on(scratch) == {
        "module_a__app_ghost": ["module.a"],
        "w_1_ghost": ["localcloud_instance.w"],
        # Its original is not in the version: naming it would fail the whole plan.
        "gone_ghost": None,
    }
    ghost.drop_pause_order(scratch)
    assert json.loads((scratch / GHOSTS_FILE).read_text()) == json.loads(declared)


def test_a_targeted_revert_orders_only_the_ghosts_of_originals_it_targets(scratch: Path) -> None:
    """depends_on would add the original to the targets of a revert that does not name it."""
    ordered = ghost.order_pauses_after_originals(
        cast(Any, object()), scratch, ["localcloud_instance.w"]
    )

    assert ordered == ["localcloud_instance.w_1_ghost"]
    assert _depends_on(scratch)["module_a__app_ghost"] is None
