"""Stopping a loop between its cycles on SIGTERM or Ctrl-C: how ``watch`` and ``agent`` wait."""

from __future__ import annotations

import os
import select
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Protocol

__all__ = ["StopSignals", "Stoppable", "stop_signals"]

# An interval beyond what select can wait is waited in pieces.
_LONGEST_SELECT = 86_400.0


class Stoppable(Protocol):
    """What a loop waits on between its cycles: a :class:`threading.Event` is one."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


class StopSignals:
    """A stop that SIGTERM or SIGINT requests; made by :func:`stop_signals`."""

    def __init__(self, wakeup: int) -> None:
        self._wakeup = wakeup
        self._requested = False

    def request(self, signum: int, frame: FrameType | None) -> None:
        # Only a flag: Python runs a handler between any two bytecodes of the main thread, also
        # while it holds a lock, and a handler that takes that lock (Event.set does) waits for
        # itself forever. A watch stopped that way once in a loaded test run.
        self._requested = True

    def is_set(self) -> bool:
        return self._requested

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds for a stop request; True as soon as there is one."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._requested:
            remaining = _LONGEST_SELECT if deadline is None else deadline - time.monotonic()
            if remaining <= 0:
                return False
            # A signal may land on any thread (numpy's, pyarrow's); Python runs its handler in
            # the main thread only once that thread runs Python code again. The wakeup pipe,
            # written by the signal's C handler on whichever thread, ends this wait at once.
            readable, _, _ = select.select([self._wakeup], [], [], min(remaining, _LONGEST_SELECT))
            if readable:
                _drain(self._wakeup)
        return True


@contextmanager
def stop_signals() -> Iterator[StopSignals]:
    """While in the block, SIGTERM and SIGINT request a stop instead of ending the process.

    Main thread only (as for any signal handler). The handlers and wakeup descriptor in place
    before are back after the block.
    """
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)
    stop = StopSignals(read_end)
    previous_fd = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    previous = {sig: signal.signal(sig, stop.request) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(previous_fd)
        os.close(read_end)
        os.close(write_end)


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass
