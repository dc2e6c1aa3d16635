"""Processes are recognised by PID and start time, paused, continued and ended as a group."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tfshadow.localcloud import process


@pytest.fixture
def sleeper(tmp_path: Path) -> Iterator[process.ProcessInfo]:
    info = process.spawn([sys.executable, "-c", "import time; time.sleep(60)"], tmp_path / "x.log")
    yield info
    process.terminate(info, timeout=1)


def test_process_find_rejects_a_reused_pid(sleeper: process.ProcessInfo) -> None:
    assert process.find(sleeper.pid, sleeper.started_at) == sleeper
    assert process.find(sleeper.pid, sleeper.started_at + 1) is None


def test_process_terminate_ends_a_stopped_process(sleeper: process.ProcessInfo) -> None:
    process.pause(sleeper)
    paused = process.find(sleeper.pid, sleeper.started_at)
    assert paused is not None and paused.stopped
    process.resume(sleeper)
    running = process.find(sleeper.pid, sleeper.started_at)
    assert running is not None and not running.stopped
    process.pause(sleeper)
    process.terminate(sleeper, timeout=2)
    assert process.find(sleeper.pid, sleeper.started_at) is None  # reaped, not a zombie


def test_process_wait_ready_fails_when_the_process_exits(tmp_path: Path) -> None:
    info = process.spawn([sys.executable, "-c", "import time; time.sleep(0.2)"], tmp_path / "y.log")
    with pytest.raises(process.ProcessError, match="exited before port"):
        process.wait_ready(info, 1, timeout=5)


def test_process_spawn_reports_a_missing_program(tmp_path: Path) -> None:
    with pytest.raises(process.ProcessError, match="cannot start"):
        process.spawn(["/nonexistent/program"], tmp_path / "z.log")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


LISTEN = (
    "import socket, sys, time; s = socket.socket(); "
    "s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(); time.sleep(60)"
)


def test_process_wait_ready_needs_the_instance_itself_to_listen(
    tmp_path: Path, sleeper: process.ProcessInfo
) -> None:
    port = _free_port()
    # Through a shell: the listener is a child of the instance, in its session.
    owner = process.spawn(
        ["sh", "-c", f'"{sys.executable}" -c "{LISTEN}" {port}'], tmp_path / "owner.log"
    )
    try:
        process.wait_ready(owner, port, 10)
        assert process.listens(owner.pid, port)
        assert not process.listens(sleeper.pid, port)
        # Another process holding the port does not make this one ready.
        with pytest.raises(process.ProcessError, match="another process listens on it"):
            process.wait_ready(sleeper, port, 0.5)
    finally:
        process.terminate(owner, timeout=2)
