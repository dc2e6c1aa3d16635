"""`tfshadow ghost` with the localcloud provider: enabled stopped, activated, disabled."""

from __future__ import annotations

import json
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tfshadow.ghost.config_file import GHOSTS_FILE, OVERRIDE_FILE

from .conftest import Tfshadow, store_locked_elsewhere
from .localcloud_support import free_port, instances_ended, workspace
from .localcloud_support import proc_state as _proc_state
from .localcloud_support import wait_gone as _wait_gone
from .test_completion import complete

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


@pytest.fixture
def infra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tfshadow: Tfshadow) -> Iterator[Path]:
    """One running instance, applied through tfshadow; every process is killed afterwards."""
    with instances_ended(workspace(tmp_path, monkeypatch, CONFIG)) as work:
        assert tfshadow("init", "-no-color", cwd=work).code == 0
        applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=work)
        assert applied.code == 0, applied.err + applied.out
        yield work


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
    (entry,) = listed.json()["ghosts"]
    assert entry.pop("status_as_of") == _versions(tfshadow, infra)[0]["timestamp"]
    assert [entry] == [
        {
            "original": "localcloud_instance.web",
            "ghost": "localcloud_instance.web_ghost",
            "from_version": 1,
            "status": "stopped",
            "plan": "saved",
            "follows": "last-good",
            "traffic": [],
            "newer_good": None,
            "status_version": 2,
            "refreshed": False,
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
    again = tfshadow("ghost", "activate", "localcloud_instance.web", "--no-color", cwd=infra)
    assert again.code == 0, again.err + again.out
    assert "was already active: nothing changed" in again.out
    assert "state had changed" not in again.out
    assert len(_versions(tfshadow, infra)) == before + 1

    disabled = tfshadow("ghost", "disable", "localcloud_instance.web", "--no-color", cwd=infra)
    assert disabled.code == 0, disabled.err + disabled.out
    for shown in (enabled, activated, disabled):
        assert "\x1b[" not in shown.out + shown.err, "--no-color reaches Terraform"
    assert _wait_gone(ghost)
    assert not (infra / GHOSTS_FILE).exists()
    assert _proc_state(original) in ("R", "S")
    assert tfshadow("ghost", "list", "--json", cwd=infra).json() == {"ghosts": []}


def test_a_ghost_activation_records_no_default_as_a_variable_given(
    infra: Path, tfshadow: Tfshadow
) -> None:
    """A saved plan holds every variable's value, defaults too: recorded as given, a revert to
    the activation's version said "was applied with -var or TF_VAR_ values for size: an apply
    without them would undo this revert", of a value nobody gave."""
    (infra / "main.tf").write_text(
        CONFIG
        + 'variable "size" {\n  default = "small"\n}\n'
        + 'resource "terraform_data" "sized" {\n  input = var.size\n}\n'
    )
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    activated = tfshadow("ghost", "activate", "localcloud_instance.web", "--no-color", cwd=infra)
    assert activated.code == 0, activated.err
    version = _versions(tfshadow, infra)[0]["version"]
    inspected = tfshadow("inspect", str(version), "--json", cwd=infra)
    assert inspected.json()["config"]["variables"] == []
    assert tfshadow("ghost", "disable", "localcloud_instance.web", cwd=infra).code == 0

    reverted = tfshadow("revert", str(version), "--auto-approve", "-no-color", cwd=infra)

    assert reverted.code == 0, reverted.err + reverted.out
    assert "-var or TF_VAR_" not in reverted.out + reverted.err


def test_ghost_activate_replans_a_stale_plan(infra: Path, tfshadow: Tfshadow) -> None:
    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    ghost = _pid(tfshadow, infra, "localcloud_instance.web_ghost")
    assert ghost is not None
    # A state change that no apply follows (an apply plans the activation again) makes it stale.
    tainted = tfshadow("taint", "localcloud_instance.web", "-no-color", cwd=infra)
    assert tainted.code == 0, tainted.err
    activated = tfshadow("ghost", "activate", "localcloud_instance.web", "--no-color", cwd=infra)
    assert activated.code == 0, activated.err + activated.out
    assert "planned again: the state had changed" in activated.out
    assert _proc_state(ghost) in ("R", "S")


def test_ghost_errors(infra: Path, tfshadow: Tfshadow) -> None:
    unknown = tfshadow("ghost", "enable", "localcloud_instance.nope", cwd=infra)
    assert unknown.code == 2
    assert "no resource localcloud_instance.nope" in unknown.err
    missing = tfshadow("ghost", "activate", "localcloud_instance.web", cwd=infra)
    assert missing.code == 2 and "has no ghost" in missing.err
    assert not (infra / GHOSTS_FILE).exists()
    # The address is right, the version older than the resource: "give the full address"
    # alone sent the user after a mistake they had not made.
    (infra / "main.tf").write_text(
        CONFIG
        + 'resource "localcloud_instance" "api" {\n'
        + '  command = ["python3", "-c", "import time; time.sleep(600)", "api"]\n}\n'
    )
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    older = tfshadow("ghost", "enable", "localcloud_instance.api", "--from", "1", cwd=infra)
    assert older.code == 2
    assert "no resource localcloud_instance.api in version 1" in older.err
    assert "`tfshadow log localcloud_instance.api`" in older.err
    assert not (infra / GHOSTS_FILE).exists()
    # A ghost's address (as `ghost list` shows it) is no original: its ghost would be destroyed
    # with it by `ghost disable` of the original, leaving a copy of a copy.
    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    declared = (infra / GHOSTS_FILE).read_text()
    versions = len(_versions(tfshadow, infra))
    of_a_ghost = tfshadow("ghost", "enable", "localcloud_instance.web_ghost", cwd=infra)
    assert of_a_ghost.code == 2, of_a_ghost.err + of_a_ghost.out
    (line,) = of_a_ghost.err.strip().splitlines()
    assert "localcloud_instance.web_ghost is the ghost of localcloud_instance.web" in line
    assert (infra / GHOSTS_FILE).read_text() == declared
    assert len(_versions(tfshadow, infra)) == versions


def test_ghost_commands_on_a_store_locked_elsewhere_write_nothing(
    infra: Path, tfshadow: Tfshadow
) -> None:
    """Refused by the store's lock only when Terraform was to run, `enable` left the ghost
    declared but unregistered (the next apply created it, and no ghost command knew of it) and
    `disable` left it registered but undeclared (the next apply destroyed it)."""
    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    declared = (infra / GHOSTS_FILE).read_text()
    (infra / "main.tf").write_text(
        CONFIG
        + 'resource "localcloud_instance" "api" {\n'
        + '  command = ["python3", "-c", "import time; time.sleep(600)", "api"]\n}\n'
    )
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    versions = len(_versions(tfshadow, infra))

    with store_locked_elsewhere(infra):
        enabled = tfshadow(
            "ghost", "enable", "localcloud_instance.api", "--lock-timeout", "1", cwd=infra
        )
        disabled = tfshadow(
            "ghost", "disable", "localcloud_instance.web", "--lock-timeout", "1", cwd=infra
        )

    for refused in (enabled, disabled):
        assert refused.code == 2, refused.err + refused.out
        (line,) = refused.err.strip().splitlines()
        assert "locked" in line
    assert (infra / GHOSTS_FILE).read_text() == declared
    assert len(_versions(tfshadow, infra)) == versions
    applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=infra)
    assert applied.code == 0, applied.err
    assert "ghost: Creat" not in applied.out and "ghost: Destr" not in applied.out
    assert [g["original"] for g in _ghost_list(tfshadow, infra)] == ["localcloud_instance.web"]


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


def _web_cpu_fires_a_profile_of_its_type(infra: Path) -> None:
    """The CPU of localcloud_instance.web above 80 for the last 3 minutes; a profile of its
    type whose action starts its ghost."""
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    rows = ["timestamp,resource,metric,value"] + [
        f"{now - timedelta(seconds=30 * i):%Y-%m-%dT%H:%M:%SZ},localcloud_instance.web,cpu,"
        f"{95 if i < 6 else 20}"
        for i in range(40, -1, -1)
    ]
    (infra / "metrics.csv").write_text("\n".join(rows) + "\n")
    (infra / "tfshadow.hcl").write_text(
        'metrics "csv" { path = "metrics.csv" }\n'
        'resource_metrics "localcloud_instance.*" { source = "csv" }\n'
        'profile "web-standby" {\n'
        '  resource_types = ["localcloud_instance"]\n'
        '  trigger {\n    metric = "cpu"\n    above  = 80\n    for    = "2m"\n  }\n'
        '  action = "activate_ghost"\n}\n'
    )


def test_profiles_of_a_type_leave_its_ghosts_out(infra: Path, tfshadow: Tfshadow) -> None:
    """A ghost is of its original's type, but no subject of a profile: `profile validate`
    proposed `ghost enable` of the ghost itself, and `check` judged the ghost on metrics it has
    none of (an error) and would have reverted or activated it on its own."""
    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    ghost = _pid(tfshadow, infra, "localcloud_instance.web_ghost")
    _web_cpu_fires_a_profile_of_its_type(infra)

    validated = tfshadow("profile", "validate", "--no-color", cwd=infra)
    assert validated.code == 0, validated.err
    assert "web_ghost" not in validated.out + validated.err
    listed = tfshadow("profile", "list", "--json", cwd=infra)
    assert listed.code == 0, listed.err
    assert "web_ghost" not in listed.out
    checked = tfshadow("check", "--act", "--json", "--no-color", cwd=infra)
    assert checked.code == 1, checked.err + checked.out
    assert "web_ghost: Modif" in checked.err and "\x1b[" not in checked.err, "--no-color"
    report = checked.json()
    assert [r["resource"] for r in report["recommendations"]] == ["localcloud_instance.web"]
    assert "web_ghost" not in json.dumps([report["triggers"], report["warnings"]])
    assert report["recommendations"][0]["action"] == "activated ghost localcloud_instance.web_ghost"
    assert ghost is not None and _proc_state(ghost) in ("R", "S")
    assert len(report["actions"]) == 1


def test_a_profile_does_not_claim_to_start_a_ghost_that_runs_already(
    infra: Path, tfshadow: Tfshadow
) -> None:
    """Started by hand before the profile fired, the ghost was "activated" by the profile all
    the same: an action in the report and on the webhook, though nothing changed."""
    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    activated = tfshadow("ghost", "activate", "localcloud_instance.web", "--no-color", cwd=infra)
    assert activated.code == 0, activated.err
    _web_cpu_fires_a_profile_of_its_type(infra)
    versions = len(_versions(tfshadow, infra))

    checked = tfshadow("check", "--act", "--json", "--no-color", cwd=infra)

    assert checked.code == 1, checked.err + checked.out
    report = checked.json()
    (rec,) = report["recommendations"]
    assert rec["action"] == "its ghost localcloud_instance.web_ghost runs already: nothing done"
    assert report["actions"] == []
    assert len(_versions(tfshadow, infra)) == versions


def _ghost_list(tfshadow: Tfshadow, work: Path) -> list[dict[str, object]]:
    listed = tfshadow("ghost", "list", "--json", cwd=work)
    assert listed.code == 0, listed.err
    ghosts: list[dict[str, object]] = listed.json()["ghosts"]
    return ghosts


def _ghost_command(work: Path) -> list[str]:
    declared = json.loads((work / GHOSTS_FILE).read_text())
    command: list[str] = declared["resource"]["localcloud_instance"]["web_ghost"]["command"]
    return command


def test_ghost_follows_the_newest_good_version(infra: Path, tfshadow: Tfshadow) -> None:
    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    first = _pid(tfshadow, infra, "localcloud_instance.web_ghost")
    # Version 3 changes the original; until it is marked good the ghost stays on version 1.
    (infra / "main.tf").write_text(CONFIG.replace("time.sleep(600)", "time.sleep(601)"))
    applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=infra)
    assert applied.code == 0, applied.err
    assert "601" not in " ".join(_ghost_command(infra))
    assert _ghost_list(tfshadow, infra)[0]["from_version"] == 1
    assert _ghost_list(tfshadow, infra)[0]["plan"] == "saved"
    latest = _versions(tfshadow, infra)[0]["version"]
    assert tfshadow("mark", str(latest), "good", cwd=infra).code == 0

    # The next apply (here one that changes nothing) makes the ghost follow the good version.
    followed = tfshadow("apply", "-auto-approve", "-no-color", cwd=infra)
    assert followed.code == 0, followed.err
    assert f"now follows version {latest}" in followed.err
    assert "601" in " ".join(_ghost_command(infra))
    listed = _ghost_list(tfshadow, infra)[0]
    assert (listed["from_version"], listed["status"]) == (latest, "stopped")
    assert listed["plan"] == "saved"
    second = _pid(tfshadow, infra, "localcloud_instance.web_ghost")
    assert second is not None and second != first and _proc_state(second) == "T"
    assert first is not None and _wait_gone(first)
    # The refreshed plan is the one activation applies: not made again.
    activated = tfshadow("ghost", "activate", "localcloud_instance.web", "--no-color", cwd=infra)
    assert activated.code == 0, activated.err
    assert "planned again" not in activated.out
    assert _proc_state(second) in ("R", "S")


def test_ghost_pinned_with_from_stays(infra: Path, tfshadow: Tfshadow) -> None:
    enabled = tfshadow("ghost", "enable", "localcloud_instance.web", "--from", "1", cwd=infra)
    assert enabled.code == 0, enabled.err
    (infra / "main.tf").write_text(CONFIG.replace("time.sleep(600)", "time.sleep(601)"))
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    latest = _versions(tfshadow, infra)[0]["version"]
    assert tfshadow("mark", str(latest), "good", cwd=infra).code == 0
    refreshed = tfshadow("ghost", "refresh", "--no-color", cwd=infra)
    assert refreshed.code == 0, refreshed.err
    assert "601" not in " ".join(_ghost_command(infra))
    assert _ghost_list(tfshadow, infra)[0]["follows"] == "pinned"


def test_ghost_block_in_settings_enables_and_disables(infra: Path, tfshadow: Tfshadow) -> None:
    (infra / "tfshadow.hcl").write_text('ghost {\n  resources = ["localcloud_instance.web"]\n}\n')
    applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=infra)
    assert applied.code == 0, applied.err
    assert "Enabled the ghost of localcloud_instance.web" in applied.err
    ghost = _pid(tfshadow, infra, "localcloud_instance.web_ghost")
    assert ghost is not None and _proc_state(ghost) == "T"

    (infra / "tfshadow.hcl").write_text("")
    applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=infra)
    assert applied.code == 0, applied.err
    assert "Disabled the ghost of localcloud_instance.web" in applied.err
    assert _wait_gone(ghost)
    assert _ghost_list(tfshadow, infra) == []


def test_ghost_block_rejects_traffic_for_an_unlisted_resource(
    infra: Path, tfshadow: Tfshadow
) -> None:
    (infra / "tfshadow.hcl").write_text(
        "ghost {\n  resources = []\n"
        '  traffic = { "localcloud_instance.web" = ["output.x=pid"] }\n}\n'
    )
    refused = tfshadow("ghost", "refresh", cwd=infra)
    assert refused.code == 2
    assert "not in resources" in refused.err


TRAFFIC = """
output "web_pid" {
  value = localcloud_instance.web.pid
}

resource "terraform_data" "router" {
  input = localcloud_instance.web.pid
}
"""


def _outputs(tfshadow: Tfshadow, work: Path) -> dict[str, object]:
    state = json.loads(tfshadow("state", "pull", cwd=work).out)
    router = next(r for r in state["resources"] if r["type"] == "terraform_data")
    return {
        "web_pid": state["outputs"]["web_pid"]["value"],
        "router": router["instances"][0]["attributes"]["input"]["value"],
    }


def test_ghost_traffic_switches_on_activation_and_back_on_disable(
    infra: Path, tfshadow: Tfshadow
) -> None:
    (infra / "main.tf").write_text(CONFIG + TRAFFIC)
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    original = _pid(tfshadow, infra, "localcloud_instance.web")
    assert _outputs(tfshadow, infra) == {"web_pid": original, "router": original}
    enabled = tfshadow(
        "ghost",
        "enable",
        "localcloud_instance.web",
        "--traffic",
        "output.web_pid=pid",
        "--traffic",
        "terraform_data.router.input=pid",
        cwd=infra,
    )
    assert enabled.code == 0, enabled.err
    # Standing by, nothing points at the ghost.
    assert _outputs(tfshadow, infra) == {"web_pid": original, "router": original}
    assert not (infra / OVERRIDE_FILE).exists()
    assert _ghost_list(tfshadow, infra)[0]["traffic"] == [
        "output.web_pid=pid",
        "terraform_data.router.input=pid",
    ]

    activated = tfshadow("ghost", "activate", "localcloud_instance.web", "--no-color", cwd=infra)
    assert activated.code == 0, activated.err
    ghost = _pid(tfshadow, infra, "localcloud_instance.web_ghost")
    assert _outputs(tfshadow, infra) == {"web_pid": ghost, "router": ghost}
    # The switch is in the configuration, so a later apply keeps the traffic on the ghost.
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    assert _outputs(tfshadow, infra) == {"web_pid": ghost, "router": ghost}

    disabled = tfshadow("ghost", "disable", "localcloud_instance.web", "--no-color", cwd=infra)
    assert disabled.code == 0, disabled.err
    assert _outputs(tfshadow, infra) == {"web_pid": original, "router": original}
    assert not (infra / OVERRIDE_FILE).exists()


def _ghost_behind_an_output(infra: Path, tfshadow: Tfshadow) -> int | None:
    """web given the output `web_pid`, and its ghost enabled with that output switched to it:
    the pid of the original."""
    (infra / "main.tf").write_text(
        CONFIG + 'output "web_pid" { value = localcloud_instance.web.pid }\n'
    )
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    original = _pid(tfshadow, infra, "localcloud_instance.web")
    enabled = tfshadow(
        "ghost", "enable", "localcloud_instance.web", "--traffic", "output.web_pid=pid", cwd=infra
    )
    assert enabled.code == 0, enabled.err
    return original


def _ghost_active_behind_an_output(
    infra: Path, tfshadow: Tfshadow
) -> tuple[int | None, int | None]:
    """:func:`_ghost_behind_an_output`, and the ghost activated: the pids of the original and
    of the ghost."""
    original = _ghost_behind_an_output(infra, tfshadow)
    activated = tfshadow("ghost", "activate", "localcloud_instance.web", "--no-color", cwd=infra)
    assert activated.code == 0, activated.err
    ghost = _pid(tfshadow, infra, "localcloud_instance.web_ghost")
    return original, ghost


def test_ghost_disable_gives_an_output_alone_back_to_the_original(
    infra: Path, tfshadow: Tfshadow
) -> None:
    # No switched resource depends on the original here: only the output points back at it.
    original, ghost = _ghost_active_behind_an_output(infra, tfshadow)
    assert json.loads(tfshadow("output", "-json", "web_pid", cwd=infra).out) == ghost

    disabled = tfshadow("ghost", "disable", "localcloud_instance.web", "--no-color", cwd=infra)

    assert disabled.code == 0, disabled.err
    assert json.loads(tfshadow("output", "-json", "web_pid", cwd=infra).out) == original


def test_ghost_enable_again_refuses_an_active_ghost_and_keeps_its_traffic(
    infra: Path, tfshadow: Tfshadow
) -> None:
    """Enabled again, an active ghost was paused with the traffic still switched to it, and its
    switches were lost from the registry: `ghost disable` then left the switch in force, on a
    ghost no longer declared, and every plan failed."""
    original, ghost = _ghost_active_behind_an_output(infra, tfshadow)
    versions = len(_versions(tfshadow, infra))

    again = tfshadow("ghost", "enable", "localcloud_instance.web", "--no-color", cwd=infra)

    assert again.code == 2, again.err + again.out
    (line,) = again.err.strip().splitlines()
    assert "is active" in line and "tfshadow ghost disable localcloud_instance.web" in line
    assert ghost is not None and _proc_state(ghost) in ("R", "S")
    assert len(_versions(tfshadow, infra)) == versions
    (listed,) = _ghost_list(tfshadow, infra)
    assert listed["status"] == "running" and listed["traffic"] == ["output.web_pid=pid"]
    assert json.loads(tfshadow("output", "-json", "web_pid", cwd=infra).out) == ghost
    disabled = tfshadow("ghost", "disable", "localcloud_instance.web", "--no-color", cwd=infra)
    assert disabled.code == 0, disabled.err
    assert not (infra / OVERRIDE_FILE).exists()
    assert json.loads(tfshadow("output", "-json", "web_pid", cwd=infra).out) == original


def test_ghost_enable_again_says_what_it_replaced(infra: Path, tfshadow: Tfshadow) -> None:
    _ghost_behind_an_output(infra, tfshadow)  # enabled from version 2, switching web_pid
    same = tfshadow(
        "ghost",
        "enable",
        "localcloud_instance.web",
        "--traffic",
        "output.web_pid=pid",
        "--no-color",
        cwd=infra,
    )
    assert same.code == 0, same.err
    # Its own enabling recorded version 3, the newest it is declared from by default.
    assert "is declared from version 3 now (it was from version 2)" in same.err
    assert "switches traffic" not in same.err

    again = tfshadow(
        "ghost", "enable", "localcloud_instance.web", "--from", "1", "--no-color", cwd=infra
    )

    assert again.code == 0, again.err
    said = " ".join(again.err.split())
    assert (
        "the ghost of localcloud_instance.web is declared from version 1 now (it was from "
        "version 3) and switches traffic none now (it switched output.web_pid=pid)"
    ) in said
    assert _ghost_list(tfshadow, infra)[0]["traffic"] == []


def test_a_running_ghost_the_registry_lost_is_refused_by_enable_and_taken_out_by_disable(
    infra: Path, tfshadow: Tfshadow
) -> None:
    """A damaged registry is removed, as its error says, while the ghost is active: enabling
    it again paused it with the traffic still on it. Now enable refuses, and disable, which
    needs no entry for a ghost the directory declares, gives the traffic back."""
    original, ghost = _ghost_active_behind_an_output(infra, tfshadow)
    (registry,) = (infra / ".tfshadow").rglob("ghosts.json")
    registry.write_text("{")
    damaged = tfshadow("ghost", "list", cwd=infra)
    assert damaged.code == 2 and "remove it and enable the ghosts again" in damaged.err
    registry.unlink()

    again = tfshadow("ghost", "enable", "localcloud_instance.web", "--no-color", cwd=infra)

    assert again.code == 2, again.err + again.out
    (line,) = again.err.strip().splitlines()
    assert "is active: enabling it again would pause it with the traffic still on it" in line
    assert "tfshadow ghost disable localcloud_instance.web" in line
    assert _pid(tfshadow, infra, "localcloud_instance.web_ghost") == ghost
    assert json.loads(tfshadow("output", "-json", "web_pid", cwd=infra).out) == ghost

    disabled = tfshadow("ghost", "disable", "localcloud_instance.web", "--no-color", cwd=infra)

    assert disabled.code == 0, disabled.err + disabled.out
    assert not (infra / OVERRIDE_FILE).exists() and not (infra / GHOSTS_FILE).exists()
    assert json.loads(tfshadow("output", "-json", "web_pid", cwd=infra).out) == original
    planned = tfshadow("plan", "-no-color", "-detailed-exitcode", cwd=infra)
    assert planned.code == 0, planned.err + planned.out
    enabled = tfshadow("ghost", "enable", "localcloud_instance.web", "--no-color", cwd=infra)
    assert enabled.code == 0, enabled.err


def test_ghost_disable_without_an_entry_or_a_declaration_says_there_is_no_ghost(
    infra: Path, tfshadow: Tfshadow
) -> None:
    disabled = tfshadow("ghost", "disable", "localcloud_instance.web", "--no-color", cwd=infra)

    assert disabled.code == 2
    assert "localcloud_instance.web has no ghost (ghosts: none)" in disabled.err


def test_ghost_traffic_switch_errors(infra: Path, tfshadow: Tfshadow) -> None:
    malformed = tfshadow(
        "ghost", "enable", "localcloud_instance.web", "--traffic", "web_pid", cwd=infra
    )
    assert malformed.code == 2 and "is not TARGET=ATTRIBUTE" in malformed.err
    assert not (infra / GHOSTS_FILE).exists()
    versions = len(_versions(tfshadow, infra))
    undeclared = tfshadow(
        "ghost", "enable", "localcloud_instance.web", "--traffic", "output.nope=pid", cwd=infra
    )
    assert undeclared.code == 2
    assert "the configuration has no output 'nope'" in undeclared.err
    nowhere = tfshadow(
        "ghost",
        "enable",
        "localcloud_instance.web",
        "--traffic",
        "localcloud_network.x.to=pid",
        cwd=infra,
    )
    assert nowhere.code == 2
    assert "no resource localcloud_network.x" in nowhere.err
    # Found before anything was applied: no ghost was created, no version recorded.
    assert not (infra / OVERRIDE_FILE).exists()
    assert not (infra / GHOSTS_FILE).exists()
    assert _pid(tfshadow, infra, "localcloud_instance.web_ghost") is None
    assert _ghost_list(tfshadow, infra) == []
    assert len(_versions(tfshadow, infra)) == versions

    # An attribute the ghost does not have shows in the activation's plan only: the ghost
    # created before it is destroyed again, not left behind.
    (infra / "outputs.tf").write_text(
        'output "web_pid" {\n  value = localcloud_instance.web.pid\n}\n'
    )
    no_argument = tfshadow(
        "ghost",
        "enable",
        "localcloud_instance.web",
        "--traffic",
        "output.web_pid=no_such",
        cwd=infra,
    )
    assert no_argument.code == 2
    assert "could not plan the ghost's activation" in no_argument.err
    assert not (infra / OVERRIDE_FILE).exists()
    assert not (infra / GHOSTS_FILE).exists()
    assert _pid(tfshadow, infra, "localcloud_instance.web_ghost") is None
    assert _ghost_list(tfshadow, infra) == []


FIXED_PORT = """\
terraform {
  required_providers {
    localcloud = { source = "local/tfshadow/localcloud" }
  }
}

resource "localcloud_instance" "web" {
  command = [
    "python3", "-c",
    "import socket,time;s=socket.socket();s.bind(('127.0.0.1', PORT));s.listen();time.sleep(600)",
  ]
  ready_port = PORT
}
"""


def test_ghost_of_a_fixed_port_service_is_refused_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tfshadow: Tfshadow
) -> None:
    """The ghost copies the command, which cannot listen on the port its original holds: the
    original answering on that port must not pass for the ghost being ready."""
    config = FIXED_PORT.replace("PORT", str(free_port()))
    with instances_ended(workspace(tmp_path, monkeypatch, config)) as work:
        assert tfshadow("init", "-no-color", cwd=work).code == 0
        assert tfshadow("apply", "-auto-approve", "-no-color", cwd=work).code == 0
        refused = tfshadow("ghost", "enable", "localcloud_instance.web", "--no-color", cwd=work)
        assert refused.code == 2
        assert "could not create the ghost" in refused.err
        assert "nothing of the ghost was kept" in refused.err
        assert "the instance did not become ready" in refused.err
        assert not (work / GHOSTS_FILE).exists()
        assert _ghost_list(tfshadow, work) == []
        assert _pid(tfshadow, work, "localcloud_instance.web_ghost") is None
        # The next apply has no half-made ghost to try again.
        again = tfshadow("apply", "-auto-approve", "-no-color", cwd=work)
        assert again.code == 0, again.err
        assert "web_ghost" not in again.out


VARIABLE_CONFIG = CONFIG.replace(
    '["python3", "-c", "import time; time.sleep(600)"]',
    '["python3", "-c", "import time; time.sleep(600)", var.label]',
) + (
    'variable "label" {\n  default = "one"\n}\n\n'
    'output "web_pid" { value = localcloud_instance.web.pid }\n'
)


def test_ghost_disable_keeps_the_variables_the_original_was_applied_with(
    infra: Path, tfshadow: Tfshadow
) -> None:
    """The applies a ghost makes target the original too; they must not put the directory's
    defaults back where `-var` set other values."""
    (infra / "main.tf").write_text(VARIABLE_CONFIG)
    applied = tfshadow("apply", "-auto-approve", "-no-color", "-var", "label=two", cwd=infra)
    assert applied.code == 0, applied.err
    original = _pid(tfshadow, infra, "localcloud_instance.web")
    enabled = tfshadow(
        "ghost", "enable", "localcloud_instance.web", "--traffic", "output.web_pid=pid", cwd=infra
    )
    assert enabled.code == 0, enabled.err
    activated = tfshadow("ghost", "activate", "localcloud_instance.web", "--no-color", cwd=infra)
    assert activated.code == 0, activated.err

    disabled = tfshadow("ghost", "disable", "localcloud_instance.web", "--no-color", cwd=infra)

    assert disabled.code == 0, disabled.err
    assert _pid(tfshadow, infra, "localcloud_instance.web") == original
    assert json.loads(tfshadow("output", "-json", "web_pid", cwd=infra).out) == original
    clean = tfshadow("plan", "-detailed-exitcode", "-no-color", "-var", "label=two", cwd=infra)
    assert clean.code == 0, clean.out


SECRET_CONFIG = CONFIG + (
    'variable "db_pass" {\n  type      = string\n  sensitive = true\n}\n\n'
    'resource "terraform_data" "db" {\n  input = var.db_pass\n}\n'
)
GHOST_SECRET = "ghost-plan-s3cr3t"


def _private_bytes(work: Path) -> bytes:
    """Everything the store keeps beside git's data, zipped plan files opened."""
    out = b""
    for path in sorted((work / ".tfshadow" / ".git" / "tfshadow").rglob("*")):
        if not path.is_file():
            continue
        out += path.read_bytes()
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                out += b"".join(archive.read(name) for name in archive.namelist())
    return out


@pytest.mark.parametrize("key", [None, "ghost-test-key"])
def test_ghost_activation_plan_keeps_no_secret_in_clear(
    infra: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    """A saved plan holds every variable and the whole state in clear: it is kept encrypted
    with TFSHADOW_KEY, and without the key it is not kept (the activation plans anew)."""
    if key is not None:
        monkeypatch.setenv("TFSHADOW_KEY", key)
    monkeypatch.setenv("TF_VAR_db_pass", GHOST_SECRET)
    (infra / "main.tf").write_text(SECRET_CONFIG)
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0

    enabled = tfshadow("ghost", "enable", "localcloud_instance.web", "--no-color", cwd=infra)

    assert enabled.code == 0, enabled.err + enabled.out
    assert GHOST_SECRET.encode() not in _private_bytes(infra)
    listed = tfshadow("ghost", "list", "--json", cwd=infra).json()["ghosts"][0]
    assert listed["plan"] == ("saved" if key else "missing")
    activated = tfshadow("ghost", "activate", "localcloud_instance.web", "--no-color", cwd=infra)
    assert activated.code == 0, activated.err + activated.out
    assert ("planned again" in activated.out) == (key is None)
    if key is None:
        assert "TFSHADOW_KEY" in activated.out
    ghost = _pid(tfshadow, infra, "localcloud_instance.web_ghost")
    assert ghost is not None and _proc_state(ghost) in ("R", "S")
    assert GHOST_SECRET.encode() not in _private_bytes(infra)


def test_ghost_activate_whose_process_died_plans_again_and_starts_it(
    infra: Path, tfshadow: Tfshadow
) -> None:
    """A saved plan does not refresh: applied, it fails on a ghost whose process is gone (the
    state has not changed, so the plan is not stale); the activation must not fail every time."""
    import os
    import signal

    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    dead = _pid(tfshadow, infra, "localcloud_instance.web_ghost")
    assert dead is not None
    os.kill(dead, signal.SIGKILL)
    assert _wait_gone(dead)

    activated = tfshadow("ghost", "activate", "localcloud_instance.web", "--no-color", cwd=infra)

    assert activated.code == 0, activated.err + activated.out
    assert "planned again: applying the saved plan failed" in activated.out
    ghost = _pid(tfshadow, infra, "localcloud_instance.web_ghost")
    assert ghost is not None and ghost != dead and _proc_state(ghost) in ("R", "S")
    assert _ghost_list(tfshadow, infra)[0]["status"] == "running"


@pytest.mark.parametrize("failure", ["terraform", "interrupt"])
def test_ghost_activation_that_fails_leaves_the_ghost_declared_stopped(
    infra: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    """Left declared running (and its traffic switched), the ghost would be started by the
    next apply of anything, unasked."""
    from tfshadow.ops import ghost as ops
    from tfshadow.ops.record import RecordOutcome

    _ghost_behind_an_output(infra, tfshadow)
    declared = (infra / GHOSTS_FILE).read_text()
    ghost = _pid(tfshadow, infra, "localcloud_instance.web_ghost")

    def failing(*args: object, **kwargs: object) -> RecordOutcome:
        if failure == "interrupt":
            raise KeyboardInterrupt
        return RecordOutcome(exit_code=1)

    real = ops._recorded_apply
    monkeypatch.setattr(ops, "_recorded_apply", failing)
    failed = tfshadow("ghost", "activate", "localcloud_instance.web", "--no-color", cwd=infra)
    monkeypatch.setattr(ops, "_recorded_apply", real)

    assert failed.code != 0
    assert (infra / GHOSTS_FILE).read_text() == declared
    assert not (infra / OVERRIDE_FILE).exists()
    applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=infra)
    assert applied.code == 0, applied.err
    assert ghost is not None and _proc_state(ghost) == "T"
    assert _ghost_list(tfshadow, infra)[0]["status"] == "stopped"


_TERMINATED = """
import os, signal, sys

sent = []
mode = sys.argv[1]

def hook(event, args):
    # SIGTERM (how CI cancels a job; passed on to Terraform) as the Terraform command that
    # argv[1] names (`apply` of a saved plan, or the targeted `apply`) starts: Terraform stops
    # before it has changed anything.
    if event != "subprocess.Popen":
        return
    argv = [str(a) for a in (args[1] if isinstance(args[1], (list, tuple)) else [args[1]])]
    saved = argv[-1].endswith(".tfplan")
    targeted = any(a.startswith("-target=") for a in argv)
    wanted = saved if mode == "saved" else targeted
    if not sent and "apply" in argv and wanted:
        sent.append(argv)
        os.kill(os.getpid(), signal.SIGTERM)

sys.addaudithook(hook)
from tfshadow.cli import main
sys.argv = ["tfshadow", *sys.argv[2:]]
main()
"""


def _terminated(work: Path, apply: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`tfshadow ARGS` in a child sent SIGTERM as Terraform's first `apply` of a saved plan
    (``apply`` "saved") or targeted apply ("targeted") starts."""
    import sys

    return subprocess.run(
        [sys.executable, "-c", _TERMINATED, apply, *args],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _one_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("tfshadow: error:")]
    return line


def test_ghost_activation_interrupted_stops_there_and_leaves_the_ghost_stopped(
    infra: Path, tfshadow: Tfshadow
) -> None:
    """An interrupted apply fails like a failed one: taken for a saved plan gone stale, it was
    planned and applied again, so the ghost started though the user had stopped it."""
    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    declared = (infra / GHOSTS_FILE).read_text()
    ghost = _pid(tfshadow, infra, "localcloud_instance.web_ghost")
    before = len(_versions(tfshadow, infra))

    stopped = _terminated(infra, "saved", "ghost", "activate", "localcloud_instance.web")

    assert stopped.returncode == 130, stopped.stdout + stopped.stderr
    assert "planned again" not in stopped.stdout + stopped.stderr
    line = _one_error(stopped)
    assert "interrupted" in line and "tfshadow ghost activate localcloud_instance.web" in line
    assert ghost is not None and _proc_state(ghost) == "T"
    assert (infra / GHOSTS_FILE).read_text() == declared
    assert len(_versions(tfshadow, infra)) == before
    assert _ghost_list(tfshadow, infra)[0]["status"] == "stopped"
    # The activation is whole when run again.
    again = tfshadow("ghost", "activate", "localcloud_instance.web", "--no-color", cwd=infra)
    assert again.code == 0, again.err + again.out
    assert _proc_state(ghost) in ("R", "S")


def test_ghost_enable_and_disable_interrupted_say_so_and_what_to_run(
    infra: Path, tfshadow: Tfshadow
) -> None:
    """Terraform stopped by the signal was reported as an error to fix (exit 2)."""
    enabling = _terminated(infra, "targeted", "ghost", "enable", "localcloud_instance.web")

    assert enabling.returncode == 130, enabling.stdout + enabling.stderr
    line = _one_error(enabling)
    assert "enabling the ghost of localcloud_instance.web was interrupted" in line
    assert "fix" not in line and "tfshadow ghost enable localcloud_instance.web" in line
    assert not (infra / GHOSTS_FILE).exists()
    assert _ghost_list(tfshadow, infra) == []
    assert _pid(tfshadow, infra, "localcloud_instance.web_ghost") is None

    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    disabling = _terminated(infra, "targeted", "ghost", "disable", "localcloud_instance.web")

    assert disabling.returncode == 130, disabling.stdout + disabling.stderr
    line = _one_error(disabling)
    assert "disabling the ghost of localcloud_instance.web was interrupted" in line
    assert "tfshadow ghost disable localcloud_instance.web" in line
    finished = tfshadow("ghost", "disable", "localcloud_instance.web", "--no-color", cwd=infra)
    assert finished.code == 0, finished.err
    assert _pid(tfshadow, infra, "localcloud_instance.web_ghost") is None


def test_apply_json_stdout_holds_only_terraform_json_when_a_ghost_follows(
    infra: Path, tfshadow: Tfshadow
) -> None:
    """The ghost's own apply after the user's is tfshadow's doing: its Terraform output goes
    to stderr, never into the JSON lines a program reads from `apply -json`."""
    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    (infra / "main.tf").write_text(CONFIG.replace("time.sleep(600)", "time.sleep(601)"))
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    latest = _versions(tfshadow, infra)[0]["version"]
    assert tfshadow("mark", str(latest), "good", cwd=infra).code == 0

    applied = tfshadow("apply", "-auto-approve", "-json", cwd=infra)

    assert applied.code == 0, applied.err
    assert f"now follows version {latest}" in applied.err
    assert "web_ghost" in applied.err  # the ghost's apply is shown, on stderr
    for line in applied.out.splitlines():
        json.loads(line)


def test_ghost_list_and_activate_say_when_the_ghost_or_its_plan_is_behind(
    infra: Path, tfshadow: Tfshadow
) -> None:
    """A plan made against another state is not "saved" (Terraform refuses it; the activation
    plans anew), and a ghost that has not followed a version marked good since says so."""
    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    (infra / "main.tf").write_text(CONFIG.replace("time.sleep(600)", "time.sleep(601)"))
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    latest = _versions(tfshadow, infra)[0]["version"]
    assert tfshadow("mark", str(latest), "good", cwd=infra).code == 0
    listed = _ghost_list(tfshadow, infra)[0]
    assert (listed["from_version"], listed["newer_good"], listed["plan"]) == (1, latest, "saved")
    text = tfshadow("ghost", "list", "--no-color", cwd=infra).out
    assert f"from v1 (follows last-good; v{latest} is good: `tfshadow ghost refresh`)" in text

    assert tfshadow("taint", "localcloud_instance.web", "-no-color", cwd=infra).code == 0
    assert _ghost_list(tfshadow, infra)[0]["plan"] == "stale"
    activated = tfshadow("ghost", "activate", "localcloud_instance.web", "--no-color", cwd=infra)

    assert activated.code == 0, activated.err
    assert "planned again: the state had changed" in activated.out
    assert f"a copy of version 1, not of version {latest}, the newest marked good" in (
        " ".join(activated.err.split())
    )


def test_two_ghosts_each_activate_from_a_saved_plan(infra: Path, tfshadow: Tfshadow) -> None:
    """Enabling, activating or disabling one ghost changes the state the other's plan was made
    against: that plan is made again, so the other's activation is still one saved apply."""
    (infra / "main.tf").write_text(
        CONFIG
        + 'resource "localcloud_instance" "api" {\n'
        + '  command = ["python3", "-c", "import time; time.sleep(600)", "api"]\n}\n'
    )
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    assert tfshadow("ghost", "enable", "localcloud_instance.api", cwd=infra).code == 0
    assert [g["plan"] for g in _ghost_list(tfshadow, infra)] == ["saved", "saved"]

    web = tfshadow("ghost", "activate", "localcloud_instance.web", "--no-color", cwd=infra)
    assert web.code == 0, web.err
    assert "planned again" not in web.out
    assert [g["plan"] for g in _ghost_list(tfshadow, infra)] == ["saved", "missing"]
    api = tfshadow("ghost", "activate", "localcloud_instance.api", "--no-color", cwd=infra)
    assert api.code == 0, api.err
    assert "planned again" not in api.out
    assert [g["status"] for g in _ghost_list(tfshadow, infra)] == ["running", "running"]


def _revert_with_the_ghost_active(
    infra: Path, tfshadow: Tfshadow, version: str
) -> tuple[int | None, str]:
    """v2 enables the ghost of web, v3 replaces web, the ghost is activated, then `revert
    version`: the ghost's pid and the revert's output."""
    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    ghost = _pid(tfshadow, infra, "localcloud_instance.web_ghost")
    (infra / "main.tf").write_text(CONFIG.replace("time.sleep(600)", "time.sleep(601)"))
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    activated = tfshadow("ghost", "activate", "localcloud_instance.web", "--no-color", cwd=infra)
    assert activated.code == 0, activated.err
    args = ("revert", version, "-auto-approve", "-no-color", "--write-config")
    reverted = tfshadow(*args, cwd=infra)
    assert reverted.code == 0, reverted.err + reverted.out
    return ghost, reverted.out


def test_revert_pauses_the_active_ghost_only_once_the_original_is_back(
    infra: Path, tfshadow: Tfshadow
) -> None:
    """Reverting to a version where the ghost stood by replaces the original and pauses the
    ghost in one apply: paused meanwhile, neither would run while the original is recreated."""
    ghost, out = _revert_with_the_ghost_active(infra, tfshadow, "2")
    assert "localcloud_instance.web: Destroying" in out
    back = out.index("localcloud_instance.web: Creation complete")
    assert back < out.index("localcloud_instance.web_ghost: Modifying")
    assert "State now equals version 2 on every recorded attribute" in out
    assert ghost is not None and _proc_state(ghost) == "T"
    original = _pid(tfshadow, infra, "localcloud_instance.web")
    assert original is not None and _proc_state(original) in ("R", "S")
    # The order is the revert's own: the declaration in the directory does not pull the
    # original into the ghost's targeted applies.
    assert "depends_on" not in (infra / GHOSTS_FILE).read_text()
    assert _ghost_list(tfshadow, infra)[0]["status"] == "stopped"
    # Nor does the order stay in the state, where the next apply would drop it: a version
    # with no change.
    state = json.loads(tfshadow("state", "pull", cwd=infra).out)
    assert all("dependencies" not in r["instances"][0] for r in state["resources"])
    versions = len(_versions(tfshadow, infra))
    applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=infra)
    assert applied.code == 0, applied.err
    assert "nothing recorded" in applied.err
    assert len(_versions(tfshadow, infra)) == versions


def test_revert_to_a_version_older_than_the_ghost_keeps_it_and_pauses_it_after_the_original(
    infra: Path, tfshadow: Tfshadow
) -> None:
    """Version 1 has no ghost: a revert to it changes the infrastructure, not which ghosts are
    enabled. Destroyed in the same apply as the original's replacement, the ghost would leave
    neither running; kept, it is paused once the original is back, the same process."""
    ghost, out = _revert_with_the_ghost_active(infra, tfshadow, "1")
    assert "localcloud_instance.web_ghost: Destroying" not in out
    back = out.index("localcloud_instance.web: Creation complete")
    assert back < out.index("localcloud_instance.web_ghost: Modifying")
    # The ghost is none of version 1's resources: set aside, not "another" difference.
    assert "State now equals version 1 on every recorded attribute" in out, out
    assert ghost is not None and _pid(tfshadow, infra, "localcloud_instance.web_ghost") == ghost
    assert _proc_state(ghost) == "T"
    original = _pid(tfshadow, infra, "localcloud_instance.web")
    assert original is not None and _proc_state(original) in ("R", "S")
    (listed,) = _ghost_list(tfshadow, infra)
    assert listed["status"] == "stopped"
    state = json.loads(tfshadow("state", "pull", cwd=infra).out)
    assert all("dependencies" not in r["instances"][0] for r in state["resources"])
    versions = len(_versions(tfshadow, infra))
    applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=infra)
    assert applied.code == 0, applied.err
    assert _pid(tfshadow, infra, "localcloud_instance.web_ghost") == ghost
    assert len(_versions(tfshadow, infra)) == versions, applied.out + applied.err


@pytest.mark.parametrize("version", ["2", "3"])
def test_revert_to_a_version_whose_ghost_was_disabled_since_leaves_the_ghost_out(
    infra: Path, tfshadow: Tfshadow, version: str
) -> None:
    """A revert changes the infrastructure, not which ghosts are enabled: the ghost version 2
    held stopped and version 3 running, disabled since, is not created again by the revert,
    unregistered (`ghost list` would not show it, nor `ghost disable` remove it) and, for
    version 3, running."""
    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    activated = tfshadow("ghost", "activate", "localcloud_instance.web", "--no-color", cwd=infra)
    assert activated.code == 0, activated.err
    disabled = tfshadow("ghost", "disable", "localcloud_instance.web", "--no-color", cwd=infra)
    assert disabled.code == 0, disabled.err
    original = _pid(tfshadow, infra, "localcloud_instance.web")

    reverted = tfshadow("revert", version, "--auto-approve", "-no-color", cwd=infra)

    assert reverted.code == 0, reverted.err + reverted.out
    assert _pid(tfshadow, infra, "localcloud_instance.web_ghost") is None
    assert "web_ghost: Creat" not in reverted.out
    assert "disabled since" in reverted.out + reverted.err
    # Nothing else differs: the ghost is set aside, not a difference no apply brings back.
    assert f"The infrastructure already matches version {version}" in reverted.err
    assert _pid(tfshadow, infra, "localcloud_instance.web") == original
    assert tfshadow("ghost", "list", "--json", cwd=infra).json() == {"ghosts": []}
    assert not (infra / GHOSTS_FILE).exists()


def test_checkout_leaves_the_ghost_files_to_the_ghosts_enabled_now(
    infra: Path, tfshadow: Tfshadow
) -> None:
    """tfshadow's ghost files follow `ghost enable|disable`, not the version: written as version
    3 had them, the next apply would start a ghost disabled since, unregistered, and switch the
    traffic to it; removed as version 1 had none, it would destroy the ghost enabled now."""
    _ghost_active_behind_an_output(infra, tfshadow)
    active = _versions(tfshadow, infra)[0]["version"]
    assert tfshadow("ghost", "disable", "localcloud_instance.web", cwd=infra).code == 0

    reverted = tfshadow(
        "revert", str(active), "--auto-approve", "--write-config", "-no-color", cwd=infra
    )

    assert reverted.code == 0, reverted.err + reverted.out
    assert not (infra / GHOSTS_FILE).exists() and not (infra / OVERRIDE_FILE).exists()
    applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=infra)
    assert applied.code == 0, applied.err
    assert _pid(tfshadow, infra, "localcloud_instance.web_ghost") is None
    state = json.loads(tfshadow("state", "pull", cwd=infra).out)
    assert state["outputs"]["web_pid"]["value"] == _pid(tfshadow, infra, "localcloud_instance.web")

    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    ghost = _pid(tfshadow, infra, "localcloud_instance.web_ghost")
    declared = (infra / GHOSTS_FILE).read_text()
    checked_out = tfshadow("checkout", "1", cwd=infra)
    assert checked_out.code == 0, checked_out.err
    assert (infra / GHOSTS_FILE).read_text() == declared
    applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=infra)
    assert applied.code == 0, applied.err
    assert "web_ghost: Destr" not in applied.out
    assert _pid(tfshadow, infra, "localcloud_instance.web_ghost") == ghost


MODULE_APP = """\
terraform {
  required_providers {
    localcloud = { source = "local/tfshadow/localcloud" }
  }
}

variable "label" {
  type = string
}

resource "localcloud_instance" "app" {
  command = ["python3", "-c", "import time; time.sleep(600)", var.label]
}
"""

MODULES = """
resource "localcloud_instance" "app" {
  command = ["python3", "-c", "import time; time.sleep(600)", "root"]
}

module "a" {
  source = "./app"
  label  = "a"
}

module "b" {
  source = "./app"
  label  = "b"
}
"""


def _state_pids(tfshadow: Tfshadow, work: Path) -> dict[str, int]:
    state = json.loads(tfshadow("state", "pull", cwd=work).out)
    return {
        ".".join(filter(None, (r.get("module"), r["type"], r["name"]))): int(
            r["instances"][0]["attributes"]["pid"]
        )
        for r in state["resources"]
    }


def test_resources_of_the_same_name_in_modules_each_get_a_ghost(
    infra: Path, tfshadow: Tfshadow
) -> None:
    """Ghosts are declared in the root module: the module path goes into a module resource's
    ghost name, so `module.a.x.app`, `module.b.x.app` and a root `x.app` all get one."""
    (infra / "app").mkdir()
    (infra / "app" / "main.tf").write_text(MODULE_APP)
    (infra / "main.tf").write_text(CONFIG + MODULES)
    assert tfshadow("init", "-no-color", cwd=infra).code == 0
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    for address in (
        "localcloud_instance.app",
        "module.a.localcloud_instance.app",
        "module.b.localcloud_instance.app",
    ):
        enabled = tfshadow("ghost", "enable", address, "--no-color", cwd=infra)
        assert enabled.code == 0, enabled.err + enabled.out

    assert {g["original"]: g["ghost"] for g in _ghost_list(tfshadow, infra)} == {
        "localcloud_instance.app": "localcloud_instance.app_ghost",
        "module.a.localcloud_instance.app": "localcloud_instance.module_a__app_ghost",
        "module.b.localcloud_instance.app": "localcloud_instance.module_b__app_ghost",
    }
    declared = json.loads((infra / GHOSTS_FILE).read_text())["resource"]["localcloud_instance"]
    assert declared["module_a__app_ghost"]["command"][-1] == "a"
    assert declared["module_b__app_ghost"]["command"][-1] == "b"
    activated = tfshadow(
        "ghost", "activate", "module.b.localcloud_instance.app", "--no-color", cwd=infra
    )
    assert activated.code == 0, activated.err + activated.out
    pids = _state_pids(tfshadow, infra)
    assert _proc_state(pids["localcloud_instance.module_b__app_ghost"]) in ("R", "S")
    assert _proc_state(pids["localcloud_instance.module_a__app_ghost"]) == "T"
    assert _proc_state(pids["localcloud_instance.app_ghost"]) == "T"


def test_a_ghost_keeps_the_name_it_was_enabled_with_when_it_follows(
    infra: Path, tfshadow: Tfshadow
) -> None:
    """A module resource's ghost enabled under the name without the module path keeps it:
    renamed, following would destroy the ghost and create another."""
    (infra / "app").mkdir()
    (infra / "app" / "main.tf").write_text(MODULE_APP)
    (infra / "main.tf").write_text(CONFIG + MODULES)
    assert tfshadow("init", "-no-color", cwd=infra).code == 0
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    address = "module.a.localcloud_instance.app"
    assert tfshadow("ghost", "enable", address, cwd=infra).code == 0
    # As it was enabled before module paths went into ghost names.
    old, new = "localcloud_instance.module_a__app_ghost", "localcloud_instance.app_ghost"
    moved = tfshadow("state", "mv", old, new, cwd=infra)
    assert moved.code == 0, moved.err
    registry = infra / ".tfshadow" / ".git" / "tfshadow" / "ghosts" / "ghosts.json"
    for path in (registry, infra / GHOSTS_FILE):
        path.write_text(path.read_text().replace("module_a__app_ghost", "app_ghost"))
    ghost = _state_pids(tfshadow, infra)[new]

    refreshed = tfshadow("ghost", "refresh", "--no-color", cwd=infra)

    assert refreshed.code == 0, refreshed.err + refreshed.out
    assert _ghost_list(tfshadow, infra)[0]["ghost"] == new
    assert _state_pids(tfshadow, infra)[new] == ghost and _proc_state(ghost) == "T"
    assert old not in _state_pids(tfshadow, infra)


def test_ghost_enable_refuses_a_name_the_configuration_declares(
    infra: Path, tfshadow: Tfshadow
) -> None:
    """Terraform would refuse it as a duplicate resource after the ghost was half made."""
    (infra / "standby.tf").write_text(
        'resource "localcloud_instance" "web_ghost" {\n'
        '  command = ["python3", "-c", "import time; time.sleep(600)", "mine"]\n'
        '  state   = "stopped"\n}\n'
    )
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    mine = _pid(tfshadow, infra, "localcloud_instance.web_ghost")
    versions = len(_versions(tfshadow, infra))

    refused = tfshadow("ghost", "enable", "localcloud_instance.web", "--no-color", cwd=infra)

    assert refused.code == 2
    (line,) = refused.err.strip().splitlines()
    assert "standby.tf already declares the resource localcloud_instance.web_ghost" in line
    assert "rename or remove that resource" in line
    assert not (infra / GHOSTS_FILE).exists()
    assert _ghost_list(tfshadow, infra) == []
    assert len(_versions(tfshadow, infra)) == versions
    assert _pid(tfshadow, infra, "localcloud_instance.web_ghost") == mine


def test_ghost_list_says_when_its_status_is_from_and_refresh_asks_the_provider(
    infra: Path, tfshadow: Tfshadow
) -> None:
    """A ghost whose process died still shows stopped in the last state: the list says which
    state that is, and --refresh asks the provider without writing the state."""
    import os
    import signal

    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    dead = _pid(tfshadow, infra, "localcloud_instance.web_ghost")
    assert dead is not None
    os.kill(dead, signal.SIGKILL)
    assert _wait_gone(dead)
    latest = _versions(tfshadow, infra)[0]
    stamp = str(latest["timestamp"]).replace("T", " ").replace("Z", " UTC")

    listed = tfshadow("ghost", "list", "--no-color", cwd=infra)

    assert listed.code == 0, listed.err
    assert "  stopped  " in listed.out
    assert f"as of version {latest['version']}'s state ({stamp}), not refreshed" in (
        " ".join(listed.out.split())
    )
    assert "`tfshadow ghost list --refresh`" in listed.out
    serial = json.loads(tfshadow("state", "pull", cwd=infra).out)["serial"]
    refreshed = tfshadow("ghost", "list", "--refresh", "--json", cwd=infra)
    assert refreshed.code == 0, refreshed.err
    (entry,) = refreshed.json()["ghosts"]
    assert (entry["status"], entry["refreshed"], entry["status_version"]) == ("absent", True, None)
    assert json.loads(tfshadow("state", "pull", cwd=infra).out)["serial"] == serial
    assert len(_versions(tfshadow, infra)) == latest["version"]


def test_mark_good_says_the_ghosts_follow_at_the_next_apply(
    infra: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    (infra / "main.tf").write_text(CONFIG.replace("time.sleep(600)", "time.sleep(601)"))
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    latest = _versions(tfshadow, infra)[0]["version"]

    marked = tfshadow("mark", str(latest), "good", "--no-color", cwd=infra)

    assert marked.code == 0, marked.err
    assert (
        f"The ghost of localcloud_instance.web is a copy of version 1: it follows version "
        f"{latest}, the newest marked good, at the next `tfshadow apply` or `tfshadow ghost "
        "refresh`."
    ) in " ".join(marked.err.split())
    assert tfshadow("ghost", "refresh", cwd=infra).code == 0
    again = tfshadow("mark", str(latest), "good", "--no-color", cwd=infra)
    assert again.code == 0 and "ghost" not in again.err


def test_revert_to_a_version_older_than_two_ghosts_of_for_each_instances_keeps_both(
    infra: Path, tfshadow: Tfshadow
) -> None:
    """Both ghosts of a for_each resource stay enabled across a revert to before them: the
    active one is paused after the originals are back, the one standing by is left alone."""
    two = CONFIG.replace(
        'resource "localcloud_instance" "web" {',
        'resource "localcloud_instance" "web" {\n  for_each = toset(["a", "b"])',
    )
    (infra / "main.tf").write_text(two)
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    before = len(_versions(tfshadow, infra))
    for key in ("a", "b"):
        enabled = tfshadow("ghost", "enable", f'localcloud_instance.web["{key}"]', cwd=infra)
        assert enabled.code == 0, enabled.err
    ghosts = {
        key: _pid(tfshadow, infra, f"localcloud_instance.web_{key}_ghost") for key in ("a", "b")
    }
    (infra / "main.tf").write_text(two.replace("time.sleep(600)", "time.sleep(601)"))
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    activated = tfshadow("ghost", "activate", 'localcloud_instance.web["a"]', cwd=infra)
    assert activated.code == 0, activated.err

    reverted = tfshadow(
        "revert", str(before), "-auto-approve", "-no-color", "--write-config", cwd=infra
    )

    assert reverted.code == 0, reverted.err + reverted.out
    out = reverted.out
    assert "_ghost: Destroying" not in out, out
    back = out.index('localcloud_instance.web["a"]: Creation complete')
    assert back < out.index("localcloud_instance.web_a_ghost: Modifying")
    assert "localcloud_instance.web_b_ghost: Modifying" not in out
    assert f"State now equals version {before} on every recorded attribute" in out, out
    for key, pid in ghosts.items():
        assert (
            pid is not None and _pid(tfshadow, infra, f"localcloud_instance.web_{key}_ghost") == pid
        )
        assert _proc_state(pid) == "T"
    assert [g["status"] for g in _ghost_list(tfshadow, infra)] == ["stopped", "stopped"]


def _with_remote(work: Path, tmp_path: Path, settings: str = "") -> Path:
    """A git remote for ``work``'s store (the next recorded command pushes to it)."""
    remote = tmp_path / "shadows.git"
    subprocess.run(["git", "init", "--bare", "-q", str(remote)], check=True)
    (work / "tfshadow.hcl").write_text(f'store {{\n  remote = "{remote}"\n}}\n{settings}')
    return remote


def test_an_apply_whose_ghost_records_too_tries_an_unreachable_remote_once(
    infra: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    remote = _with_remote(
        infra, tmp_path, 'ghost {\n  resources = ["localcloud_instance.web"]\n}\n'
    )
    remote.rename(tmp_path / "away.git")

    # The apply records, then the ghost the settings declare is enabled: a recorded apply too.
    applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=infra)

    assert applied.code == 0, applied.err
    assert "Enabled the ghost of localcloud_instance.web" in applied.err
    warnings = [line for line in applied.err.splitlines() if "warning" in line]
    assert len(warnings) == 1, applied.err
    assert "could not take the remote's newer versions before recording" in warnings[0]
    # The next command asks again: with the remote back, it takes the whole history.
    (tmp_path / "away.git").rename(remote)
    again = tfshadow("apply", "-auto-approve", "-no-color", cwd=infra)
    assert again.code == 0 and "warning" not in again.err, again.err
    store = infra / ".tfshadow"
    head = subprocess.run(
        ["git", "-C", str(store), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout
    tip = subprocess.run(
        ["git", "-C", str(remote), "rev-parse", "tfshadow"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert head == tip


def test_ghost_activate_judges_behind_with_a_mark_another_copy_made(
    infra: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    remote = _with_remote(infra, tmp_path)
    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    (infra / "main.tf").write_text(CONFIG.replace("time.sleep(600)", "time.sleep(601)"))
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    latest = _versions(tfshadow, infra)[0]["version"]
    # A colleague's copy of the store marks the newest version good; this copy has not seen it.
    colleague = tmp_path / "colleague"
    colleague.mkdir()
    (colleague / "tfshadow.hcl").write_text(f'store {{\n  remote = "{remote}"\n}}\n')
    assert tfshadow("store", "pull", cwd=colleague).code == 0
    marked = tfshadow("mark", str(latest), "good", cwd=colleague)
    assert marked.code == 0, marked.err

    activated = tfshadow("ghost", "activate", "localcloud_instance.web", "--no-color", cwd=infra)

    assert activated.code == 0, activated.err
    said = " ".join(activated.err.split())
    assert "Took 1 commit(s) from" in said
    assert f"a copy of version 1, not of version {latest}, the newest marked good" in said


def test_ghost_refresh_exits_0_when_only_the_stores_remote_is_out_of_reach(
    infra: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    """As `tfshadow apply`: the ghost followed and its version is recorded; the push that
    failed is a warning the next recorded command retries. A ghost that cannot follow is a
    failure."""
    remote = tmp_path / "shadows.git"
    subprocess.run(["git", "init", "--bare", "-q", str(remote)], check=True)
    (infra / "tfshadow.hcl").write_text(f'store {{\n  remote = "{remote}"\n}}\n')
    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    (infra / "main.tf").write_text(CONFIG.replace("time.sleep(600)", "time.sleep(601)"))
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    latest = _versions(tfshadow, infra)[0]["version"]
    assert tfshadow("mark", str(latest), "good", cwd=infra).code == 0
    remote.rename(tmp_path / "away.git")

    refreshed = tfshadow("ghost", "refresh", "--no-color", cwd=infra)

    assert refreshed.code == 0, refreshed.err + refreshed.out
    assert f"recorded version {int(str(latest)) + 1}" in refreshed.err
    assert f"now follows version {latest}" in refreshed.err
    assert "warning:" in refreshed.err and "kept locally" in refreshed.err
    assert "Ghosts are up to date." in refreshed.out
    assert _ghost_list(tfshadow, infra)[0]["from_version"] == latest

    registry = infra / ".tfshadow" / ".git" / "tfshadow" / "ghosts" / "ghosts.json"
    registry.write_text('{"localcloud_instance.web": {"gho')  # cut short by a full disk
    failed = tfshadow("ghost", "refresh", "--no-color", cwd=infra)
    assert failed.code == 1, failed.err + failed.out
    assert "ghosts were not brought up to date" in failed.err
    assert "Some ghosts did not follow." in failed.out


def test_completion_offers_what_a_ghost_can_be_made_of_and_the_ghosts_enabled(
    infra: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    (infra / "extra.tf").write_text('resource "terraform_data" "note" {\n  input = 1\n}\n')
    applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=infra)
    assert applied.code == 0, applied.err
    # No ghost can be made of a terraform_data.
    assert complete(tfshadow, monkeypatch, infra, "tfshadow ghost enable ") == [
        "localcloud_instance.web"
    ]
    assert complete(tfshadow, monkeypatch, infra, "tfshadow ghost activate ") == []
    assert tfshadow("ghost", "enable", "localcloud_instance.web", cwd=infra).code == 0
    # The ghost itself is no original to enable a ghost of.
    assert complete(tfshadow, monkeypatch, infra, "tfshadow ghost enable ") == [
        "localcloud_instance.web"
    ]
    for command in ("activate", "disable"):
        assert complete(tfshadow, monkeypatch, infra, f"tfshadow ghost {command} l") == [
            "localcloud_instance.web"
        ]


def test_ghost_commands_in_one_workspace_warn_that_the_others_apply_the_ghost_too(
    infra: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("workspace", "new", "-no-color", "staging", cwd=infra).code == 0
    applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=infra)
    assert applied.code == 0, applied.err
    enabled = tfshadow("ghost", "enable", "localcloud_instance.web", "--no-color", cwd=infra)
    assert enabled.code == 0, enabled.err
    assert "the next apply in default creates it there too, stopped" in enabled.err
    activated = tfshadow("ghost", "activate", "localcloud_instance.web", "--no-color", cwd=infra)
    assert activated.code == 0, activated.err
    assert "the next apply in default starts it there too" in activated.err
    # As said: default's plan now creates the ghost, running.
    assert tfshadow("workspace", "select", "-no-color", "default", cwd=infra).code == 0
    planned = tfshadow("plan", "-no-color", cwd=infra)
    assert "localcloud_instance.web_ghost will be created" in planned.out
