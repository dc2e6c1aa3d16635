"""The ghost block of tfshadow.hcl."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfshadow.errors import SettingsError
from tfshadow.settings import load_settings
from tfshadow.settings.schema import GhostSettings


def _load(workdir: Path, text: str) -> GhostSettings:
    (workdir / "tfshadow.hcl").write_text(text)
    return load_settings(workdir, {}).ghost


def _error(workdir: Path, text: str) -> SettingsError:
    (workdir / "tfshadow.hcl").write_text(text)
    with pytest.raises(SettingsError) as caught:
        load_settings(workdir, {})
    assert caught.value.hint and "\n" not in caught.value.message
    return caught.value


def test_ghost_settings_default_is_no_ghosts(tmp_path: Path) -> None:
    assert _load(tmp_path, "") == GhostSettings()


def test_ghost_settings_resources_and_traffic(tmp_path: Path) -> None:
    ghost = _load(
        tmp_path,
        'ghost {\n  resources = ["aws_instance.api", "aws_instance.db"]\n'
        '  traffic = { "aws_instance.api" = ["output.api_ip=private_ip"] }\n}\n',
    )
    assert ghost.resources == ("aws_instance.api", "aws_instance.db")
    assert ghost.traffic == {"aws_instance.api": ("output.api_ip=private_ip",)}


def test_ghost_settings_errors_name_the_problem(tmp_path: Path) -> None:
    assert "resources" in _error(tmp_path, "ghost {\n  resources = [1]\n}\n").message
    bad = _error(
        tmp_path,
        'ghost {\n  resources = ["a.b"]\n  traffic = { "a.b" = ["output.x"] }\n}\n',
    )
    assert "tfshadow.hcl:3" in bad.message and "is not TARGET=ATTRIBUTE" in bad.message
    stray = _error(tmp_path, 'ghost {\n  traffic = { "a.b" = ["output.x=id"] }\n}\n')
    assert "not in resources" in stray.message
    assert "unknown" in _error(tmp_path, "ghost {\n  standby = true\n}\n").message.lower()
