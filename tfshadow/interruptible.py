"""Waiting for a stop request that a signal handler makes: the one way ``watch`` and ``agent``
sleep between their cycles."""

from __future__ import annotations

import threading
import time

__all__ = ["wait_for_stop"]

# A SIGTERM sent to the process may land on any of its threads (numpy's, pyarrow's). Python
# runs the handler in the main thread, but only once that thread runs Python code again: a
# main thread blocked in one long wait would sleep out the whole interval. Waking this often
# bounds the delay at no measurable cost.
_SLICE = 0.2


def wait_for_stop(stop: threading.Event, seconds: float) -> bool:
    """Wait up to ``seconds`` for ``stop``; True as soon as it is set (also by a signal
    handler), False when the time ran out."""
    deadline = time.monotonic() + seconds
    while not stop.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        stop.wait(min(remaining, _SLICE))
    return True
