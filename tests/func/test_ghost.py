"""`tfshadow ghost` with the localcloud provider: enabled stopped, activated, disabled."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tfshadow.ghost.adapters import GHOSTS_FILE
from tfshadow.localcloud import install, process

from .conftest import Tfshadow

CONFIG = """\
terraform {
  required_providers {
    localcloud = { source = "local/tfshadow/localcloud" }
  }
}

resource "localcloud_instance" "web" {
  command = ["python3", "-c", "import time; time.sleep(600)"]
  state   = "running"
}
"""


def _proc_state(pid: int) -> str | None:
    info = process.read_stat(pid)
    return None if info is None else info.state


def _wait_gone(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _proc_state(pid) in (None, "Z", "X"):
            return True
        time.sleep(0.02)
    return False


def _pids_logging_to(log: Path) -> list[int]:
    pids = []
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) == str(log) for fd in fd_dir.iterdir()):
                pids.append(int(fd_dir.parent.name))
        except OSError:
            continue
    return pids


@pytest.fixture
def infra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tfshadow: Tfshadow) -> Iterator[Path]:
    """One running instance, applied through tfshadow; every process is killed afterwards."""
    rc = install.cli_config(install.mirror(tmp_path / "mirror"), tmp_path / "localcloud.tfrc")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(rc))
    work = tmp_path / "infra"
    work.mkdir()
    (work / "main.tf").write_text(CONFIG)
    try:
        assert tfshadow("init", "-no-color", cwd=work).code == 0
        applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=work)
        assert applied.code == 0, applied.err + applied.out
        yield work
    finally:
        for log in (work / ".localcloud").glob("instance-*.log"):
            for pid in _pids_logging_to(log):
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)


def _pid(tfshadow: Tfshadow, work: Path, address: str) -> int | None:
    out = tfshadow("state", "pull", cwd=work)
    assert out.code == 0, out.err
    for resource in json.loads(out.out)["resources"]:
        if f"{resource['type']}.{resource['name']}" == address:
            return int(resource["instances"][0]["attributes"]["pid"])
    return None


def _versions(tfshadow: Tfshadow, work: Path) -> list[dict[str, object]]:
    out = tfshadow("log", "--json", cwd=work)
    assert out.code == 0, out.err
    versions: list[dict[str, object]] = out.json()["versions"]
    return versions


def test_ghost_enable_activate_disable(infra: Path, tfshadow: Tfshadow) -> None:
    original = _pid(tfshadow, infra, "localcloud_instance.web")
    assert original is not None

    enabled = tfshadow("ghost", "enable", "localcloud_instance.web", "--no-color", cwd=infra)
    assert enabled.code == 0, enabled.err + enabled.out
    ghost = _pid(tfshadow, infra, "localcloud_instance.web_ghost")
    assert ghost is not None and ghost != original
    assert _proc_state(ghost) == "T"
    declared = json.loads((infra / GHOSTS_FILE).read_text())
    assert declared["resource"]["localcloud_instance"]["web_ghost"]["state"] == "stopped"
    listed = tfshadow("ghost", "list", "--json", cwd=infra)
    assert listed.code == 0, listed.err
    assert listed.json()["ghosts"] == [
        {
            "original": "localcloud_instance.web",
            "ghost": "localcloud_instance.web_ghost",
            "from_version": 1,
            "status": "stopped",
            "plan": "saved",
        }
    ]

    before = len(_versions(tfshadow, infra))
    activated = tfshadow("ghost", "activate", "localcloud_instance.web", "--no-color", cwd=infra)
    assert activated.code == 0, activated.err + activated.out
    assert "activated in" in activated.out and "planned again" not in activated.out
    assert _proc_state(ghost) in ("R", "S")
    assert _pid(tfshadow, infra, "localcloud_instance.web_ghost") == ghost
    versions = _versions(tfshadow, infra)
    assert len(versions) == before + 1
    assert "ghost of localcloud_instance.web activated" in json.dumps(versions)
    listed = tfshadow("ghost", "list", "--json", cwd=infra)
    assert listed.json()["ghosts"][0]["status"] == "running"

    disabled = tfshadow("ghost", "disable", "localcloud_instance.web", "--no-color", cwd=infra)
    assert disabled.code == 0, disabled.err + disabled.out
    assert _wait_gone(ghost)
    assert not (infra / GHOSTS_FILE).exists()
    assert _proc_state(original) in ("R", "S")
    assert tfshadow("ghost", "list", "--json", cwd=infra).json() == {"ghosts": []}


def test_ghost_activate_replans_a_stale_plan(infra: Path, tfshadow: Tfshadow) -> None:
    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    ghost = _pid(tfshadow, infra, "localcloud_instance.web_ghost")
    assert ghost is not None
    # Another state change after the plan was saved makes it stale.
    (infra / "main.tf").write_text(
        CONFIG + 'resource "localcloud_instance" "other" {\n'
        '  command = ["python3", "-c", "import time; time.sleep(600)"]\n'
        '  state = "stopped"\n}\n'
    )
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    activated = tfshadow("ghost", "activate", "localcloud_instance.web", "--no-color", cwd=infra)
    assert activated.code == 0, activated.err + activated.out
    assert "planned again" in activated.out
    assert _proc_state(ghost) in ("R", "S")


def test_ghost_errors(infra: Path, tfshadow: Tfshadow) -> None:
    unknown = tfshadow("ghost", "enable", "localcloud_instance.nope", cwd=infra)
    assert unknown.code == 2
    assert "no resource localcloud_instance.nope" in unknown.err
    missing = tfshadow("ghost", "activate", "localcloud_instance.web", cwd=infra)
    assert missing.code == 2 and "has no ghost" in missing.err
    assert not (infra / GHOSTS_FILE).exists()


def test_ghost_unsupported_type(tmp_path: Path, tfshadow: Tfshadow) -> None:
    work = tmp_path / "infra"
    work.mkdir()
    (work / "main.tf").write_text('resource "terraform_data" "x" {\n  input = "a"\n}\n')
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=work).code == 0
    refused = tfshadow("ghost", "enable", "terraform_data.x", cwd=work)
    assert refused.code == 2
    assert "no ghost adapter for terraform_data" in refused.err
    assert not (work / GHOSTS_FILE).exists()


def test_profile_activates_the_ghost_with_check_act(infra: Path, tfshadow: Tfshadow) -> None:
    """A profile whose action is activate_ghost starts the ghost when its trigger fires."""
    from datetime import UTC, datetime, timedelta

    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    ghost = _pid(tfshadow, infra, "localcloud_instance.web_ghost")
    assert ghost is not None and _proc_state(ghost) == "T"
    planned = tfshadow("plan", "-no-color", "--format", "json", cwd=infra)
    assert planned.code == 0, planned.err
    assert planned.json()["ghosts"] == ["localcloud_instance.web"]
    now = datetime.now(UTC)
    rows = ["timestamp,value"] + [
        f"{now - timedelta(seconds=30 * i):%Y-%m-%dT%H:%M:%SZ},{95 if i < 6 else 20}"
        for i in range(40, -1, -1)
    ]
    (infra / "metrics").mkdir()
    (infra / "metrics" / "localcloud_instance.web.csv").write_text("\n".join(rows) + "\n")
    (infra / "tfshadow.hcl").write_text(
        'metrics "csv" { path = "metrics/${address}.csv" }\n'
        'resource_metrics "localcloud_instance.web" { source = "csv" }\n'
        'profile "web-standby" {\n'
        '  resources = ["localcloud_instance.web"]\n'
        '  trigger {\n    metric = "cpu"\n    above  = 80\n    for    = "2m"\n  }\n'
        '  action = "activate_ghost"\n}\n'
    )
    dry = tfshadow("check", "--json", cwd=infra)
    assert dry.code == 1, dry.err
    assert dry.json()["recommendations"][0]["action"] == "would activate its ghost (run with --act)"
    assert _proc_state(ghost) == "T"
    acted = tfshadow("check", "--act", "--json", cwd=infra)
    assert acted.code == 1, acted.err
    (rec,) = acted.json()["recommendations"]
    assert rec["action"] == "activated ghost localcloud_instance.web_ghost"
    assert _proc_state(ghost) in ("R", "S")
