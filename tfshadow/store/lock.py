"""The store's inter-process lock: ``flock`` on a file in the git directory.

The kernel drops an ``flock`` when its holder dies, so a crashed command never leaves the store
locked. The holder writes its pid and command into the file for the message others see.
Holding is re-entrant within a process (a command that locked the store may call code that locks it
again); a forked child does not inherit the holding.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tfshadow.errors import StoreLockedError, StoreNotWritableError

_POLL_START = 0.02
_POLL_MAX = 0.25


@dataclass
class _Held:
    fd: int
    depth: int
    pid: int


# Keyed by the lock file's real path: a process holds each store's lock at most once.
_held: dict[str, _Held] = {}


def default_command() -> str:
    """The tfshadow subcommand this process runs, for the lock message."""
    for arg in sys.argv[1:]:
        if arg and not arg.startswith("-"):
            return os.path.basename(arg)
    return os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"


class FileLock:
    """An exclusive lock on ``path``, shared by every process that opens the same store."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def holds(self) -> bool:
        """Whether this process holds the lock."""
        held = _held.get(self._key())
        return held is not None and held.pid == os.getpid()

    @contextmanager
    def hold(self, timeout: float, command: str | None = None) -> Iterator[None]:
        """Hold the lock, waiting up to ``timeout`` seconds for another holder to let go."""
        key = self._key()
        held = _held.get(key)
        if held is not None and held.pid == os.getpid():
            with _again(held):
                yield
            return
        fd = self._acquire(timeout)
        try:
            self._write_holder(fd, command or default_command())
        except OSError as exc:
            os.close(fd)
            # A full disk: say so now, before the command does anything it could not record.
            raise StoreNotWritableError(
                f"cannot write to the shadow store ({self.path}: {exc.strerror or exc})",
                hint="free space on its file system, or point TFSHADOW_STORE at a writable store",
            ) from None
        _held[key] = _Held(fd=fd, depth=1, pid=os.getpid())
        try:
            yield
        finally:
            del _held[key]
            try:
                os.ftruncate(fd, 0)
            finally:
                os.close(fd)  # closing releases the flock

    def try_hold(self) -> int | None:
        """Take the lock without waiting; the descriptor to :meth:`release`, or None if busy
        (or if the store cannot be written)."""
        if self.holds():
            return None
        try:
            fd = self._open()
        except StoreNotWritableError:
            return None  # a reader of a read-only store: there is nothing it could clean up
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return fd

    @staticmethod
    def release(fd: int) -> None:
        os.close(fd)

    def _key(self) -> str:
        return os.path.realpath(self.path)

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StoreNotWritableError(
                f"cannot write to the shadow store ({self.path}: {exc.strerror or exc})",
                hint="make the store writable by this user, or point TFSHADOW_STORE at a "
                "writable copy",
            ) from None

    def _acquire(self, timeout: float) -> int:
        fd = self._open()
        try:
            if _flock_within(fd, timeout):
                return fd
            holder = self._read_holder()
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
        raise StoreLockedError(
            f"the shadow store is locked by {holder}",
            hint="wait for it to finish, or retry with a longer --lock-timeout "
            f"(waited {timeout:g} s)",
        )

    @staticmethod
    def _write_holder(fd: int, command: str) -> None:
        info = json.dumps({"pid": os.getpid(), "command": command, "since": time.time()})
        os.ftruncate(fd, 0)
        os.pwrite(fd, info.encode(), 0)

    def _read_holder(self) -> str:
        try:
            info = json.loads(self.path.read_text(encoding="utf-8"))
            return f"tfshadow (pid {int(info['pid'])}: {info['command']})"
        except (OSError, ValueError, KeyError, TypeError):
            # Between taking the lock and writing its name the holder is anonymous.
            return "another tfshadow process"


# Directories whose creation lock this process holds, with its depth: flock is per open file,
# so a second open of the same directory by its holder would wait for itself.
_creating: dict[str, _Held] = {}


@contextmanager
def creation_lock(directory: Path, timeout: float | None = None) -> Iterator[None]:
    """Exclusive among processes creating a store in ``directory`` (an ``flock`` on it).

    Before a store exists it has no git directory to hold its lock file; two first applies at
    once would otherwise both run `git init` on the same path and one would fail half-way, or
    both run Terraform unserialised. The lock is on the directory itself, so it leaves no file
    behind. Re-entrant within a process; ``timeout`` None waits as long as it takes.
    """
    key = os.path.realpath(directory)
    held = _creating.get(key)
    if held is not None and held.pid == os.getpid():
        with _again(held):
            yield
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        yield  # nothing to create in a directory that cannot be opened: the caller says why
        return
    try:
        if not _flock_within(fd, timeout):
            raise StoreLockedError(
                f"another tfshadow command is recording the first version in {directory}",
                hint="wait for it to finish, or retry with a longer --lock-timeout "
                f"(waited {timeout:g} s)",
            )
        _creating[key] = _Held(fd=fd, depth=1, pid=os.getpid())
        try:
            yield
        finally:
            del _creating[key]
    finally:
        os.close(fd)  # closing releases the flock


def _flock_within(fd: int, timeout: float | None) -> bool:
    """Take an exclusive ``flock`` on ``fd``, polling for up to ``timeout`` seconds (None: as
    long as it takes); False when the time ran out."""
    if timeout is None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return True
    deadline = time.monotonic() + max(timeout, 0.0)
    pause = _POLL_START
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, _POLL_MAX)


@contextmanager
def _again(held: _Held) -> Iterator[None]:
    """A lock this process holds, taken once more (released by its first holder)."""
    held.depth += 1
    try:
        yield
    finally:
        held.depth -= 1
