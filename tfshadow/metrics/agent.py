"""``tfshadow agent``: sample this machine (or some of its processes) into the series store.

What a sample holds (psutil; a metric the platform cannot give is left out of the sample)::

                 whole host (pids None)                 given processes (summed)
    cpu          percent of all CPUs, 0 to 100          percent of one CPU, as top shows it
                                                        (a busy 4-thread process reads 400)
    memory       percent of RAM in use                  resident set size, bytes
    network_io   bytes/s sent + received                — (no per-process counters exist)
    disk_io      bytes/s read + written                 bytes/s read + written, when the OS
                                                        gives the processes' I/O counters

Rates are since the previous sample (the first since the :class:`Sampler` was made). A counter
that went backwards (a reset, a process gone) gives no rate for that sample.

psutil is imported when a :class:`Sampler` is made.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tfshadow.errors import MetricsError, UsageError
from tfshadow.interruptible import Stoppable
from tfshadow.metrics.series_store import AgentSource, SeriesWriter

__all__ = ["AgentSource", "Sampler", "run_agent", "sample"]


class Sampler:
    """Takes samples of the host, or of the processes ``pids``, with rates between samples.

    Raises :class:`MetricsError` when a pid names no process, or when every process is gone.
    """

    def __init__(self, pids: Sequence[int] | None = None) -> None:
        import psutil

        self._psutil: Any = psutil
        self._pids = tuple(pids) if pids else ()
        self._procs: dict[int, Any] = {}
        for pid in self._pids:
            try:
                proc = psutil.Process(pid)
                proc.cpu_percent(None)  # the first call only starts psutil's measurement
            except psutil.NoSuchProcess:
                raise MetricsError(f"no process with pid {pid}", "check the --pid values") from None
            self._procs[pid] = proc
        if not self._pids:
            psutil.cpu_percent(None)
        self._last = time.monotonic()
        self._net = self._net_bytes()
        self._disk = self._disk_bytes()

    def sample(self) -> dict[str, float]:
        """One sample: metric name -> value (see the module docstring)."""
        now = time.monotonic()
        elapsed, self._last = now - self._last, now
        values: dict[str, float] = {}
        if self._pids:
            cpu, rss = self._process_usage()
            values["cpu"] = cpu
            values["memory"] = rss
        else:
            values["cpu"] = float(self._psutil.cpu_percent(None))
            values["memory"] = float(self._psutil.virtual_memory().percent)
            net, self._net = self._net, self._net_bytes()
            _rate(values, "network_io", net, self._net, elapsed)
        disk, self._disk = self._disk, self._disk_bytes()
        _rate(values, "disk_io", disk, self._disk, elapsed)
        return values

    def _process_usage(self) -> tuple[float, float]:
        psutil = self._psutil
        cpu = rss = 0.0
        for pid, proc in list(self._procs.items()):
            try:
                with proc.oneshot():
                    # An exited process that its parent has not reaped yet reads 0 CPU and 0
                    # bytes: it is gone, not idle.
                    if proc.status() == psutil.STATUS_ZOMBIE:
                        raise psutil.NoSuchProcess(pid)
                    cpu += proc.cpu_percent(None)
                    rss += proc.memory_info().rss
            except psutil.NoSuchProcess:
                del self._procs[pid]
        if not self._procs:
            raise ProcessesGone(
                "the sampled processes are gone: " + ", ".join(map(str, self._pids)),
                "restart the agent with the pids of running processes",
            )
        return cpu, rss

    def _net_bytes(self) -> float | None:
        if self._pids:
            return None
        counters = self._psutil.net_io_counters()
        return None if counters is None else float(counters.bytes_sent + counters.bytes_recv)

    def _disk_bytes(self) -> float | None:
        psutil = self._psutil
        if not self._pids:
            counters = psutil.disk_io_counters()
            return None if counters is None else float(counters.read_bytes + counters.write_bytes)
        total: float | None = None
        for proc in self._procs.values():
            try:
                io = proc.io_counters()
            except (psutil.AccessDenied, psutil.NoSuchProcess, AttributeError):
                # Other users' processes, or a platform without per-process I/O counters.
                continue
            total = (total or 0.0) + io.read_bytes + io.write_bytes
        return total


class ProcessesGone(MetricsError):
    """Every process the agent samples has exited."""


def _sampler_of(pids: Sequence[int]) -> Sampler | None:
    if not pids:
        return None
    try:
        return Sampler(pids)
    except MetricsError:
        return None  # gone again between the lookup and now: the next tick asks anew


def _rate(
    values: dict[str, float], metric: str, before: float | None, after: float | None, dt: float
) -> None:
    if before is None or after is None or dt <= 0 or after < before:
        return
    values[metric] = (after - before) / dt


def sample(pids: Sequence[int] | None = None, *, interval: float = 0.5) -> dict[str, float]:
    """One sample taken over ``interval`` seconds (the rates need two readings)."""
    sampler = Sampler(pids)
    time.sleep(interval)
    return sampler.sample()


def run_agent(
    directory: Path,
    resource: str,
    interval: float,
    *,
    pids: Sequence[int] | None = None,
    count: int | None = None,
    stop: Stoppable | None = None,
    on_sample: Callable[[float, Mapping[str, float]], None] | None = None,
    follow: Callable[[], Sequence[int]] | None = None,
) -> int:
    """Sample every ``interval`` seconds into ``directory``'s series of ``resource``.

    Runs until ``count`` samples are written or ``stop`` is set; returns how many were written.
    ``on_sample(epoch_seconds, values)`` is called after each is durable. The first sample is
    taken one interval after the start, so its rates cover a whole interval. With ``follow``,
    the processes come from it (``pids`` is its first answer) and are asked for again whenever
    the sampled ones are gone: the series goes on across a replacement of the resource.

    Raises :class:`MetricsError` when another agent records ``resource`` in ``directory``.
    """
    if interval <= 0:
        raise UsageError(f"the sampling interval must be positive, not {interval:g}")
    if count is not None and count < 0:
        raise UsageError(f"the sample count must not be negative, not {count}")
    stop = stop or threading.Event()
    written = 0
    with SeriesWriter(directory, resource) as writer:
        sampler = _sampler_of(pids or ()) if follow else Sampler(pids)
        due = time.monotonic() + interval
        while count is None or written < count:
            if stop.wait(max(0.0, due - time.monotonic())):
                break
            # A tick on a fixed schedule keeps the spacing regular; after a stall (suspend,
            # slow disk) it restarts from now instead of sampling in a burst to catch up.
            due += interval
            if due < time.monotonic():
                due = time.monotonic() + interval
            try:
                if sampler is None:
                    raise MetricsError("no process to sample yet")
                values = sampler.sample()
            except MetricsError:
                if follow is None:
                    raise
                # The resource's process was replaced (or not started yet): sample the new
                # one from the next tick, so its first rates cover a whole interval.
                sampler = _sampler_of(follow())
                continue
            stamp = time.time()
            writer.write(stamp, values)
            written += 1
            if on_sample is not None:
                on_sample(stamp, values)
    return written
