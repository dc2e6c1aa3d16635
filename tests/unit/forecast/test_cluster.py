"""Judging on a real Dask cluster: a LocalCluster of two worker processes, one thread each."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import numpy as np
import pytest

from bench.series import clean, faulty
from tfshadow.errors import ClusterError, SettingsError
from tfshadow.forecast.cluster import connect, package_versions
from tfshadow.forecast.engine import Judgement, SeriesConfig, judge
from tfshadow.metrics.base import Series
from tfshadow.settings import load_settings
from tfshadow.settings.analysis import scheduler_problem

START = np.datetime64("2026-05-01T00:00:00", "ns")


@pytest.fixture(scope="module")
def scheduler(dask_scheduler: str) -> str:
    return dask_scheduler


def _series(name: str, values: np.ndarray, step: float) -> Series:
    stamps = START + (np.arange(values.shape[0]) * step * 1e9).astype("timedelta64[ns]")
    return Series(f"terraform_data.{name}", "cpu", "csv", stamps, values.astype(np.float64))


def _jobs(count: int) -> list[tuple[Series, SeriesConfig]]:
    """Clean series, series with a fault near the end, and one forecast to cross a limit."""
    rng = np.random.default_rng(7)
    steady = 30.0 + np.random.default_rng(0).normal(0.0, 0.5, 1500)
    jobs = [(_series("breach", steady, 60.0), SeriesConfig(threshold=3.75, below=31.0))]
    for i in range(count - 1):
        shifted = i % 3 == 0
        case = faulty(rng, 1500, "level_shift", 6.0) if shifted else clean(rng, 1500)
        jobs.append((_series(f"n{i}", case.values, case.step), SeriesConfig(threshold=3.75)))
    return jobs


def _dead_port() -> int:
    with socket.socket() as probe:  # bound, never listening: connections are refused
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_cluster_judges_exactly_like_a_local_run(scheduler: str) -> None:
    jobs = _jobs(12)
    local = [judge(*job) for job in jobs]
    with connect(scheduler) as cluster:
        assert cluster.threads() == 2
        streamed = list(cluster.judge(jobs))
    assert sorted(i for i, _ in streamed) == list(range(len(jobs)))
    remote = dict(streamed)
    for i, here in enumerate(local):
        there = remote[i]
        assert isinstance(there, Judgement)
        # repr compares every field, NaN included: the same numbers to the last bit.
        assert repr(there) == repr(here)
    assert any(j.finding is not None and j.finding.kind == "deviation" for j in local)
    assert local[0].verdict.verdict == "predicted_breach"


@pytest.mark.parametrize("count", [3, 40])  # one series a task; several (the failing one's too)
def test_cluster_failure_of_one_series_is_that_series_error(scheduler: str, count: int) -> None:
    jobs = _jobs(count)
    good = jobs[1][0]
    # Values shorter than the timestamps: judging it raises, on the worker.
    broken = Series(
        "terraform_data.broken", "cpu", "csv", good.timestamps, good.values[:10], good.notes
    )
    jobs.insert(1, (broken, SeriesConfig(threshold=3.75)))
    with connect(scheduler) as cluster:
        outcomes = dict(cluster.judge(jobs))
    error = outcomes.pop(1)
    assert isinstance(error, ClusterError)
    assert error.message.startswith("terraform_data.broken cpu: judging failed on the Dask cluster")
    assert "IndexError" in error.message and "\n" not in error.one_line()
    assert "--resource terraform_data.broken" in (error.hint or "")
    assert all(isinstance(outcome, Judgement) for outcome in outcomes.values())
    assert len(outcomes) == count


def test_cluster_judge_streams_more_series_than_it_keeps_in_flight(
    scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tfshadow.forecast import cluster as module

    jobs = _jobs(40)  # 2 threads: tasks of 5 series, 8 tasks, all in flight at once
    assert len(jobs) // (2 * module.BATCHES_PER_THREAD) == 5
    with connect(scheduler) as cluster:
        seen = [i for i, outcome in cluster.judge(jobs) if isinstance(outcome, Judgement)]
    assert sorted(seen) == list(range(40))
    jobs = _jobs(20) * 4
    monkeypatch.setattr(module, "BATCH_MAX", 1)  # 80 tasks of 1 series, 16 in flight at first
    with connect(scheduler) as cluster:
        seen = [i for i, outcome in cluster.judge(jobs) if isinstance(outcome, Judgement)]
    assert sorted(seen) == list(range(80))


def test_connect_unreachable_scheduler_fails_within_the_timeout() -> None:
    address = f"tcp://127.0.0.1:{_dead_port()}"
    started = time.monotonic()
    with pytest.raises(ClusterError) as caught:
        connect(address, timeout=1.0)
    assert time.monotonic() - started < 6.0
    assert caught.value.message.startswith(f"cannot reach the Dask scheduler at {address}")
    assert "within 1 s" in caught.value.message
    assert "--scheduler" in (caught.value.hint or "")
    assert "\n" not in caught.value.one_line()


def test_connect_through_a_scheduler_file(scheduler: str, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    with pytest.raises(ClusterError) as caught:
        connect(str(missing), timeout=1.0)
    assert caught.value.message == f"no Dask scheduler file at {missing}"
    assert f"--scheduler-file {missing}" in (caught.value.hint or "")
    # What `dask scheduler --scheduler-file` writes holds (among others) the address.
    written = tmp_path / "scheduler.json"
    written.write_text(json.dumps({"type": "Scheduler", "address": scheduler}))
    with connect(str(written), timeout=5.0) as cluster:
        assert cluster.threads() == 2


def test_package_versions_names_this_tfshadow() -> None:
    from importlib.metadata import version

    assert package_versions()["tfshadow"] == version("tfshadow")
    assert package_versions()["numpy"] == np.__version__


@pytest.mark.parametrize(
    "value",
    [
        "tcp://scheduler:8786",
        "tls://10.0.0.5:8786",
        "tcp://[::1]:8786",
        "scheduler.json",
        "/shared/dask/scheduler.json",
    ],
)
def test_scheduler_problem_accepts_addresses_and_scheduler_files(value: str) -> None:
    assert scheduler_problem(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "scheduler:8786",  # no scheme: read as a path, and not a scheduler file
        "http://scheduler:8786",
        "tcp://scheduler",  # no port
        "tcp://scheduler:port",
        "tcp://:8786",
        "tcp://scheduler:8786/path",
        ".json",
        "",
    ],
)
def test_scheduler_problem_rejects_anything_else(value: str) -> None:
    problem = scheduler_problem(value)
    assert problem is not None and problem.startswith("must be a Dask scheduler address")


def test_analysis_settings_scheduler(tmp_path: Path) -> None:
    (tmp_path / "tfshadow.hcl").write_text(
        'analysis {\n  scheduler = "tcp://dask:8786"\n  scheduler_timeout = "30s"\n}\n'
    )
    analysis = load_settings(tmp_path, {}).metrics.analysis
    assert (analysis.scheduler, analysis.scheduler_timeout) == ("tcp://dask:8786", 30.0)
    (tmp_path / "tfshadow.hcl").write_text('analysis {\n  scheduler = "dask/scheduler.json"\n}\n')
    analysis = load_settings(tmp_path, {}).metrics.analysis
    assert analysis.scheduler == str(tmp_path / "dask" / "scheduler.json")
    assert analysis.scheduler_timeout == 10.0
    (tmp_path / "tfshadow.hcl").write_text("analysis {}\n")
    assert load_settings(tmp_path, {}).metrics.analysis.scheduler is None


def test_analysis_settings_bad_scheduler_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "tfshadow.hcl").write_text('analysis {\n  scheduler = "dask:8786"\n}\n')
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path, {})
    assert caught.value.message.startswith(
        "tfshadow.hcl:2: setting `scheduler` in block `analysis` must be a Dask scheduler address"
    )


def test_cluster_dask_is_imported_only_when_a_scheduler_is_named() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import tfshadow.cli, tfshadow.ops.analyze, tfshadow.forecast.cluster\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_cluster_left_without_workers_is_an_error_not_a_hang() -> None:
    from distributed import LocalCluster

    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as local,
        connect(local.scheduler_address, timeout=1.0) as cluster,
    ):
        stream = cluster.judge(_jobs(200))
        next(stream)
        local.scale(0)  # every worker leaves while series are still queued
        started = time.monotonic()
        with pytest.raises(ClusterError, match="has had no workers for 1 s"):
            for _ in stream:
                pass
        assert time.monotonic() - started < 30
