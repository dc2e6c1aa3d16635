"""Fleet analysis: judging many series on this machine vs on a Dask cluster, and the cost of one
series, which is what sizing a cluster needs.

The series (the evaluation set's clean series, one in ten with a level shift near its end) are
made in memory and handed to ``analyze``'s judging stage through a source that only returns
them: what is timed is the stage a scheduler distributes, not reading a metric store, which
depends on the source and happens on this machine either way. Both runs go through
``tfshadow.ops.analyze._judge_all``: locally its process pool (one process per core), on Dask a
``LocalCluster`` of 2 worker processes with 1 thread each, started before the clock runs.
"""

from __future__ import annotations

import os
import resource
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from bench.forecast_eval import _times
from bench.run import row, timed
from bench.series import clean, faulty
from tfshadow.forecast.engine import Judgement, SeriesConfig, judge
from tfshadow.forecast.sensitivity import LEVELS
from tfshadow.metrics.base import ResourceRef, Series, TimeRange
from tfshadow.ops.analyze import _judge_all, _Task

COST_SAMPLE = 200  # series judged one after another in this process for the per-series cost


@dataclass(frozen=True)
class Prepared:
    """A metric source that returns series made beforehand."""

    series: dict[str, Series]
    name: str = "bench"

    def metric_names(self, resource: ResourceRef) -> tuple[str, ...]:
        return ("cpu",)

    def fetch(self, resource: ResourceRef, metric: str, window: TimeRange) -> Series:
        return self.series[resource.address]


def fleet(count: int, points: int) -> list[_Task]:
    rng = np.random.default_rng(11)
    config = SeriesConfig(threshold=LEVELS["medium"])
    made: dict[str, Series] = {}
    for i in range(count):
        case = faulty(rng, points, "level_shift", 5.0) if i % 10 == 0 else clean(rng, points)
        address = f"terraform_data.n{i}"
        made[address] = Series(address, "cpu", "bench", _times(case), case.values)
    source = Prepared(made)
    return [
        _Task(ResourceRef(address, "terraform_data", address.split(".")[1]), source, "cpu", config)
        for address in made
    ]


def _fingerprint(outcome: Any) -> str:
    # repr holds every field at full precision (NaN included): equal reprs, equal results.
    return repr(outcome)


def _cost(tasks: list[_Task], window: TimeRange) -> tuple[float, float]:
    """CPU and wall seconds to judge one series here, one after another (after a warm-up)."""
    series = [(t.source.fetch(t.resource, t.metric, window), t.config) for t in tasks]
    judge(*series[0])
    cpu, wall = time.process_time(), time.perf_counter()
    for job in series:
        judge(*job)
    return (time.process_time() - cpu) / len(series), (time.perf_counter() - wall) / len(series)


def bench_fleet(count: int, points: int) -> None:
    from distributed import LocalCluster

    workers, threads = 2, 1
    print(f"\nfleet analysis: {count:,} series × {points:,} points (judging; see bench/fleet.py)")
    tasks, made_in = timed(lambda: fleet(count, points))
    row("series made in memory", f"{made_in:.0f} s")
    window = TimeRange(datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(days=1))
    sample = tasks[: min(COST_SAMPLE, count)]
    cost, cost_wall = _cost(sample, window)
    row(
        f"cost of one series, 1 thread (mean of {len(sample)})",
        f"{cost * 1000:.1f} ms CPU, {cost_wall * 1000:.1f} ms wall",
    )
    row("load average before the runs (2 cores, shared)", f"{os.getloadavg()[0]:.1f}")
    ideal = count * cost / (workers * threads)
    row("ideal: series × CPU cost / (workers × threads)", f"{ideal:.1f} s")

    local, local_s = timed(lambda: _judge_all(tasks, window, None))
    row(
        f"local: process pool of {workers} (wall)",
        f"{local_s:.1f} s  ({count / local_s:.0f} series/s, {local_s - ideal:+.1f} s over ideal)",
    )
    cluster, start_s = timed(
        lambda: LocalCluster(  # type: ignore[no-untyped-call]  # distributed ships no hints here
            n_workers=workers, threads_per_worker=threads, processes=True, dashboard_address=None
        )
    )
    try:
        row(f"Dask LocalCluster start ({workers} workers × {threads} thread)", f"{start_s:.1f} s")
        address = cluster.scheduler_address
        cold, cold_s = timed(lambda: _judge_all(tasks, window, None, address))
        cpu = time.process_time()
        warm, warm_s = timed(lambda: _judge_all(tasks, window, None, address))
        # The client and (in a LocalCluster) the scheduler run in this process: their CPU per
        # series bounds how many series a second any cluster can be fed from one client.
        feed = (time.process_time() - cpu) / count
    finally:
        cluster.close()
    for label, seconds in (("new workers", cold_s), ("warm workers, second run", warm_s)):
        rate = count / seconds
        row(
            f"Dask, {label} (wall, connect included)",
            f"{seconds:.1f} s  ({rate:.0f} series/s, {seconds - ideal:+.1f} s over ideal)",
        )
    overhead = warm_s - ideal
    row("Dask overhead per series (warm, over ideal)", f"{overhead / count * 1000:+.2f} ms")
    row(
        "client + scheduler CPU per series (this process, warm run)",
        f"{feed * 1000:.2f} ms  (feeds at most {1 / feed:,.0f} series/s)",
    )
    same = sum(
        _fingerprint(a) == _fingerprint(b) == _fingerprint(c)
        for (_, a), (_, b), (_, c) in zip(local, cold, warm, strict=True)
    )
    row("identical judgements, local vs Dask (both runs)", f"{same:,} of {count:,}")
    verdicts = Counter(j.verdict.verdict if isinstance(j, Judgement) else None for _, j in warm)
    row("verdicts", ", ".join(f"{k} {n:,}" for k, n in sorted(verdicts.items(), key=str)))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row("peak memory (RSS) of this process", f"{peak:.0f} MiB")
    row(
        "sizing: series × CPU cost / (workers × threads) + overhead",
        f"{count:,} × {cost * 1000:.1f} ms / {workers * threads} + {overhead:.1f} s",
    )
    row("one worker thread judges", f"{1 / cost:.0f} series/s, {3600 / cost:,.0f} an hour")
