from __future__ import annotations

import threading
import time

from tfshadow.interruptible import wait_for_stop


def test_a_stop_request_ends_the_wait_at_once() -> None:
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    assert wait_for_stop(stop, 30.0) is True
    assert time.monotonic() - started < 2


def test_without_a_stop_request_the_wait_runs_its_time() -> None:
    started = time.monotonic()
    assert wait_for_stop(threading.Event(), 0.5) is False
    assert time.monotonic() - started >= 0.5
