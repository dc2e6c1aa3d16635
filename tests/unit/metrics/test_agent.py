"""The agent samples this machine for real (psutil); intervals are short to keep tests fast."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tfshadow.errors import MetricsError, UsageError
from tfshadow.metrics.agent import AgentSource, Sampler, run_agent, sample
from tfshadow.metrics.base import ResourceRef, TimeRange
from tfshadow.metrics.series_store import SeriesWriter

RESOURCE = "aws_instance.web"


def _busy(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_agent_host_sample() -> None:
    values = sample(interval=0.1)
    assert {"cpu", "memory"} <= set(values) <= {"cpu", "memory", "network_io", "disk_io"}
    assert 0.0 <= values["cpu"] <= 100.0
    assert 0.0 < values["memory"] <= 100.0
    assert all(values[k] >= 0.0 for k in values)


def test_agent_process_sample_sums_own_process() -> None:
    sampler = Sampler([os.getpid()])
    _busy(0.2)
    values = sampler.sample()
    assert "network_io" not in values
    assert values["cpu"] > 0.0
    assert values["memory"] > 1_000_000  # resident bytes of this Python process
    assert values.get("disk_io", 0.0) >= 0.0


def test_agent_process_gone() -> None:
    child = subprocess.Popen(["sleep", "30"])
    sampler = Sampler([child.pid])
    child.kill()
    child.wait()
    with pytest.raises(MetricsError, match=f"the sampled processes are gone: {child.pid}"):
        sampler.sample()
    with pytest.raises(MetricsError, match=f"no process with pid {child.pid}"):
        Sampler([child.pid])


def test_agent_process_zombie_is_gone() -> None:
    child = subprocess.Popen(["sleep", "30"])
    sampler = Sampler([child.pid])
    child.kill()
    # Not reaped yet: a zombie, which must not read as an idle process.
    deadline = time.monotonic() + 5
    while Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    try:
        with pytest.raises(MetricsError, match=f"the sampled processes are gone: {child.pid}"):
            sampler.sample()
    finally:
        child.wait()


def test_agent_run_writes_samples_the_source_reads(tmp_path: Path) -> None:
    seen: list[tuple[float, Mapping[str, float]]] = []
    start = time.time()
    written = run_agent(
        tmp_path, RESOURCE, 0.05, count=3, on_sample=lambda t, v: seen.append((t, v))
    )
    assert written == 3 and len(seen) == 3
    source = AgentSource(tmp_path)
    names = source.metric_names(ResourceRef(RESOURCE, "aws_instance", "web"))
    assert names[:2] == ("cpu", "memory")
    window = TimeRange(datetime.fromtimestamp(start, UTC) - timedelta(seconds=1), datetime.now(UTC))
    cpu = source.fetch(ResourceRef(RESOURCE, "aws_instance", "web"), "cpu", window)
    assert cpu.values.tolist() == [v["cpu"] for _, v in seen]


def test_agent_run_stops_on_event(tmp_path: Path) -> None:
    stop = threading.Event()

    calls: list[float] = []

    def on_sample(stamp: float, _: Mapping[str, float]) -> None:
        calls.append(stamp)
        if len(calls) == 2:
            stop.set()

    assert run_agent(tmp_path, RESOURCE, 0.02, stop=stop, on_sample=on_sample) == 2


def test_agent_refuses_second_agent_for_same_resource(tmp_path: Path) -> None:
    with SeriesWriter(tmp_path, RESOURCE):
        started = time.monotonic()
        with pytest.raises(MetricsError, match=r"another agent is recording aws_instance\.web"):
            run_agent(tmp_path, RESOURCE, 10.0, count=1)
        assert time.monotonic() - started < 5.0


@pytest.mark.parametrize(("interval", "count"), [(0.0, 1), (-1.0, 1), (1.0, -1)])
def test_agent_rejects_bad_arguments(tmp_path: Path, interval: float, count: int) -> None:
    with pytest.raises(UsageError):
        run_agent(tmp_path, RESOURCE, interval, count=count)


def test_agent_run_follows_a_replaced_process(tmp_path: Path) -> None:
    first = subprocess.Popen(["sleep", "30"])
    second = subprocess.Popen(["sleep", "30"])
    current = [first.pid]
    samples: list[Mapping[str, float]] = []

    def on_sample(_: float, values: Mapping[str, float]) -> None:
        samples.append(values)
        if len(samples) == 2:
            # The resource is replaced: its old process ends, the state names the new one.
            first.kill()
            first.wait()
            current[0] = second.pid

    try:
        written = run_agent(
            tmp_path,
            RESOURCE,
            0.05,
            pids=[first.pid],
            count=5,
            on_sample=on_sample,
            follow=lambda: list(current),
        )
    finally:
        second.kill()
        second.wait()
    assert written == 5
    # Every sample is a process's (resident bytes), never the host's (a percentage).
    assert all(s["memory"] > 100 for s in samples)


def test_agent_run_without_follow_stops_when_the_process_is_gone(tmp_path: Path) -> None:
    child = subprocess.Popen(["sleep", "30"])

    def on_sample(_: float, __: Mapping[str, float]) -> None:
        child.kill()
        child.wait()

    with pytest.raises(MetricsError, match="the sampled processes are gone"):
        run_agent(tmp_path, RESOURCE, 0.05, pids=[child.pid], count=5, on_sample=on_sample)
