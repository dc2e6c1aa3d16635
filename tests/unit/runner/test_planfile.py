"""Targets and mode read from a saved plan file (tfshadow/runner/planfile.py)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tfshadow.runner.planfile import saved_plan_mode, saved_plan_targets


def _field(number: int, payload: bytes) -> bytes:
    return bytes([number << 3 | 2, len(payload)]) + payload


def _plan(path: Path, body: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("tfplan", body)
        archive.writestr("tfstate", "{}")
    return path


def test_planfile_targets_in_order_from_format_3(tmp_path: Path) -> None:
    body = (
        bytes([1 << 3, 3])  # format version 3
        + _field(3, b"\x0a\x01x")  # a change (ignored)
        + _field(5, b"aws_instance.web")
        + bytes([0xC8, 0x01, 1])  # field 25, a varint (ignored): a two-byte key
        + _field(5, b'module.app["a"]')
    )
    assert saved_plan_targets(_plan(tmp_path / "p", body)) == (
        "aws_instance.web",
        'module.app["a"]',
    )


def test_planfile_other_format_or_damage_gives_no_targets(tmp_path: Path) -> None:
    targets = _field(5, b"aws_instance.web")
    assert saved_plan_targets(_plan(tmp_path / "v4", bytes([1 << 3, 4]) + targets)) == ()
    assert saved_plan_targets(_plan(tmp_path / "cut", bytes([1 << 3, 3]) + targets[:-3])) == ()
    (tmp_path / "text").write_text("not a plan")
    assert saved_plan_targets(tmp_path / "text") == ()
    assert saved_plan_targets(tmp_path / "absent") == ()


def test_planfile_mode_of_a_destroy_or_refresh_only_plan(tmp_path: Path) -> None:
    targets = _field(5, b"aws_instance.web")
    mode = bytes([0x88, 0x01])  # field 17 (ui_mode), a varint: a two-byte key
    plain = _plan(tmp_path / "plain", bytes([1 << 3, 3]) + targets)
    destroy = _plan(tmp_path / "destroy", bytes([1 << 3, 3]) + mode + bytes([1]) + targets)
    refresh = _plan(tmp_path / "refresh", bytes([1 << 3, 3]) + mode + bytes([2]))
    assert saved_plan_mode(plain) == "normal"
    assert saved_plan_mode(destroy) == "destroy"
    assert saved_plan_targets(destroy) == ("aws_instance.web",)
    assert saved_plan_mode(refresh) == "refresh-only"
    assert saved_plan_mode(_plan(tmp_path / "v4", bytes([1 << 3, 4]) + mode + bytes([1]))) is None
    assert saved_plan_mode(tmp_path / "absent") is None
