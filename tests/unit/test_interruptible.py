from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from tfshadow.interruptible import stop_signals


def _signal_from_another_thread(signum: int, after: float) -> threading.Thread:
    """Deliver ``signum`` to a thread that is not the main one, as the kernel may do with a
    signal sent to the process."""

    def deliver() -> None:
        time.sleep(after)
        signal.pthread_kill(threading.get_ident(), signum)

    thread = threading.Thread(target=deliver)
    thread.start()
    return thread


def test_a_signal_landing_on_another_thread_ends_the_wait_at_once() -> None:
    with stop_signals() as stop:
        sender = _signal_from_another_thread(signal.SIGTERM, 0.3)
        started = time.monotonic()
        assert stop.wait(60.0) is True
        waited = time.monotonic() - started
        sender.join()
    assert waited < 10  # not the whole minute: the main thread was woken, not left to sleep
    assert stop.is_set()


def test_ctrl_c_requests_the_stop_too() -> None:
    with stop_signals() as stop:
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.wait(60.0) is True


def test_without_a_stop_request_the_wait_runs_its_time() -> None:
    with stop_signals() as stop:
        started = time.monotonic()
        assert stop.wait(0.5) is False
        assert time.monotonic() - started >= 0.5
        assert not stop.is_set()


def test_the_handlers_and_wakeup_descriptor_before_are_back_after() -> None:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    mine_r, mine_w = os.pipe()
    os.set_blocking(mine_w, False)
    outer = signal.set_wakeup_fd(mine_w)
    try:
        with stop_signals():
            pass
        assert signal.set_wakeup_fd(outer) == mine_w
    finally:
        os.close(mine_r)
        os.close(mine_w)
    assert {sig: signal.getsignal(sig) for sig in before} == before


def test_the_stop_handler_may_run_at_any_line_of_the_wait() -> None:
    # Python runs a signal's handler between any two lines of the main thread, also while the
    # wait holds a lock: a handler that took that lock too (Event.set inside Event.wait) waited
    # for itself forever. Here the handler runs at each line the wait executes in turn; in a
    # child process, so that such a hang is a failed test, not a stuck run.
    script = """
import signal, sys
from tfshadow.interruptible import stop_signals
stopped = 0
for at in range(1, 200):
    with stop_signals() as stop:
        handler, lines = signal.getsignal(signal.SIGTERM), 0
        def trace(frame, event, arg):
            global lines
            if event == "line":
                lines += 1
                if lines == at:
                    handler(signal.SIGTERM, frame)
            return trace
        sys.settrace(trace)
        stop.wait(0.01)
        sys.settrace(None)
        stopped += stop.is_set()
print(stopped)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True
    )
    assert int(done.stdout) >= 1
