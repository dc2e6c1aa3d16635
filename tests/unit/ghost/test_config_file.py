"""The ghost declaration and override files: merged, taken out, written whole or not at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tfshadow.errors import GhostError
from tfshadow.ghost import config_file

WEB = {"resource": {"localcloud_instance": {"web_ghost": {"state": "stopped"}}}}
DB = {"resource": {"localcloud_instance": {"db_ghost": {"state": "stopped"}}}}
OUT = {"output": {"url": {"value": "${localcloud_instance.web_ghost.pid}"}}}


def test_config_file_merge_and_remove_by_block() -> None:
    both = config_file.merge(config_file.merge({}, WEB), DB)
    assert set(both["resource"]["localcloud_instance"]) == {"web_ghost", "db_ghost"}
    assert config_file.contains(both, WEB) and config_file.contains(both, DB)
    running = {"resource": {"localcloud_instance": {"web_ghost": {"state": "running"}}}}
    assert not config_file.contains(both, running)
    assert config_file.remove(both, DB) == WEB
    assert config_file.remove(WEB, WEB) == {}
    with_output = config_file.merge(WEB, OUT)
    assert config_file.remove(with_output, OUT) == WEB


def test_config_file_update_take_out_and_empty_removes(tmp_path: Path) -> None:
    config_file.update(tmp_path, WEB)
    config_file.update(tmp_path, OUT, config_file.OVERRIDE_FILE)
    assert json.loads((tmp_path / config_file.GHOSTS_FILE).read_text()) == WEB
    assert config_file.read(tmp_path, config_file.OVERRIDE_FILE) == OUT
    config_file.take_out(tmp_path, OUT, config_file.OVERRIDE_FILE)
    assert not (tmp_path / config_file.OVERRIDE_FILE).exists()
    assert [p.name for p in tmp_path.iterdir()] == [config_file.GHOSTS_FILE]


def test_config_file_declared_restores_even_on_error(tmp_path: Path) -> None:
    running = {"resource": {"localcloud_instance": {"web_ghost": {"state": "running"}}}}
    config_file.update(tmp_path, WEB)
    with pytest.raises(RuntimeError), config_file.declared(tmp_path, WEB, running, OUT):
        assert config_file.read(tmp_path) == running
        assert config_file.read(tmp_path, config_file.OVERRIDE_FILE) == OUT
        raise RuntimeError("plan failed")
    assert config_file.read(tmp_path) == WEB
    assert not (tmp_path / config_file.OVERRIDE_FILE).exists()


def test_config_file_unreadable_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / config_file.GHOSTS_FILE).write_text("{not json")
    with pytest.raises(GhostError, match="is not JSON"):
        config_file.read(tmp_path)
    (tmp_path / config_file.GHOSTS_FILE).write_text("[]")
    with pytest.raises(GhostError, match="is not a JSON object"):
        config_file.read(tmp_path)
