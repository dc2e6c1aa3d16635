"""Processes that outlive the provider: start, pause, resume, stop, and recognise them again.

A process is identified by its PID *and* its start time (field 22 of /proc/<pid>/stat, in clock
ticks since boot): a PID alone may have been reused by an unrelated process since it was recorded.
Every process is started as the leader of a new session, so signals go to its process group and
reach whatever it spawned, and Terraform ending the provider does not end the process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# /proc states of a process that will never run again.
_GONE = frozenset("ZXx")
# Stopped by a signal, or stopped under a tracer.
_STOPPED = frozenset("Tt")


class ProcessError(Exception):
    """A process could not be started or did not become ready."""


@dataclass(frozen=True)
class ProcessInfo:
    """What /proc says about one process."""

    pid: int
    started_at: int
    state: str

    @property
    def stopped(self) -> bool:
        """The process is paused (SIGSTOP): it keeps its memory and uses no CPU."""
        return self.state in _STOPPED


_TCP_LISTEN = "0A"  # the LISTEN state in /proc/net/tcp


def read_stat(pid: int) -> ProcessInfo | None:
    """The process `pid` as /proc shows it now, or None when there is none."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
    fields = raw[raw.rindex(")") + 2 :].split()
    return ProcessInfo(pid=pid, state=fields[0], started_at=int(fields[19]))


def _reap(pid: int) -> None:
    """Collect the exit status of `pid` if it is our own child, so it leaves no zombie."""
    # Not our child: its own parent (or init) reaps it.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def find(pid: int, started_at: int) -> ProcessInfo | None:
    """The process started as (`pid`, `started_at`) if it is still alive, else None."""
    info = read_stat(pid)
    if info is None or info.started_at != started_at:
        return None
    if info.state in _GONE:
        _reap(pid)
        return None
    return info


def spawn(command: Sequence[str], log_file: Path, cwd: Path | None = None) -> ProcessInfo:
    """Start `command` in a new session in `cwd`, its output appended to `log_file`."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        with log_file.open("ab") as log:
            child = subprocess.Popen(
                list(command),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=cwd,
            )
    except OSError as exc:
        raise ProcessError(f"cannot start {command[0]!r}: {exc.strerror or exc}") from exc
    info = read_stat(child.pid)
    if info is None:
        child.wait()
        raise ProcessError(f"{command[0]!r} exited at once (exit code {child.returncode})")
    return info


def _signal_group(info: ProcessInfo, sig: signal.Signals) -> None:
    try:
        os.killpg(info.pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        # The leader may have left its group; signal it alone.
        os.kill(info.pid, sig)


def _await_state(info: ProcessInfo, stopped: bool, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = find(info.pid, info.started_at)
        if now is None or now.stopped == stopped:
            return
        time.sleep(0.01)


def pause(info: ProcessInfo) -> None:
    """Stop the process group (SIGSTOP) and wait until the leader shows as stopped."""
    _signal_group(info, signal.SIGSTOP)
    _await_state(info, stopped=True)


def resume(info: ProcessInfo) -> None:
    """Continue a stopped process group (SIGCONT)."""
    _signal_group(info, signal.SIGCONT)
    _await_state(info, stopped=False)


def terminate(info: ProcessInfo, timeout: float = 5.0) -> None:
    """End the process group: SIGTERM, then SIGKILL after `timeout` seconds."""
    if find(info.pid, info.started_at) is None:
        return
    # A stopped process cannot act on SIGTERM until it is continued.
    _signal_group(info, signal.SIGCONT)
    _signal_group(info, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if find(info.pid, info.started_at) is None:
            return
        time.sleep(0.02)
    _signal_group(info, signal.SIGKILL)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline and find(info.pid, info.started_at) is not None:
        time.sleep(0.02)


def wait_ready(info: ProcessInfo, port: int, timeout: float) -> None:
    """Wait until the process (or one it started) listens on `port` and 127.0.0.1:`port`
    accepts connections; raise if the process dies or time is up.

    The listener must be the instance's own: a port another process holds (the original of a
    ghost, say) would otherwise make an instance that cannot bind it look ready.
    """
    deadline = time.monotonic() + timeout
    while True:
        if listens(info.pid, port) and _accepts(port):
            return
        if find(info.pid, info.started_at) is None:
            raise ProcessError(f"process {info.pid} exited before port {port} accepted connections")
        if time.monotonic() >= deadline:
            held = " (another process listens on it)" if _accepts(port) else ""
            raise ProcessError(
                f"process {info.pid} did not listen on port {port} within {timeout:g} s{held}"
            )
        time.sleep(0.05)


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def listens(session: int, port: int) -> bool:
    """Whether a process of session `session` (an instance and what it started: it leads its
    own session) holds a listening TCP socket on `port`."""
    inodes = _listening_sockets(port)
    if not inodes:
        return False
    for pid in _session_members(session):
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in inodes:
                        return True
    return False


def _listening_sockets(port: int) -> set[str]:
    """The `socket:[inode]` links of every TCP socket listening on `port` (IPv4 and IPv6)."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == _TCP_LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                    found.add(f"socket:[{inode}]")
    return found


def _session_members(session: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            raw = stat.read_text()
            # After the parenthesised name: state, ppid, pgrp, session…
            if int(raw[raw.rindex(")") + 2 :].split()[3]) == session:
                members.append(int(stat.parent.name))
    return members
