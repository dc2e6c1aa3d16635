"""`tfshadow analyze --scheduler`: the same analysis judged on a real Dask cluster (a
LocalCluster of two worker processes on this machine) as on this machine alone."""

from __future__ import annotations

import json
import socket
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.func.conftest import STEP, Tfshadow, write_series


@pytest.fixture(scope="module")
def scheduler(dask_scheduler: str) -> str:
    return dask_scheduler


def _fleet(workdir: Path, applied: datetime, analysis: str = "") -> tuple[str, ...]:
    """Two resources with cpu and memory each, one of them a deviation after the second
    version and one file missing; the arguments of an analysis an hour after that version."""
    (workdir / "tfshadow.hcl").write_text(
        'metrics "csv" { path = "metrics/${address}.${metric}.csv" }\n'
        'resource_metrics "terraform_data.*" {\n'
        '  source  = "csv"\n  metrics = ["cpu", "memory"]\n}\n'
        f"analysis {{\n{analysis}}}\n"
    )
    start, end = applied - timedelta(days=1), applied + timedelta(hours=1)
    metrics = workdir / "metrics"
    write_series(metrics / "terraform_data.web.cpu.csv", start, end, applied + 2 * STEP)
    write_series(metrics / "terraform_data.web.memory.csv", start, end, None, seed=2)
    write_series(metrics / "terraform_data.auth.cpu.csv", start, end, None, seed=3)
    return ("analyze", "--until", end.isoformat(), "--json", "--no-mark")


def _dead_port() -> int:
    with socket.socket() as probe:  # bound, never listening: connections are refused
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_analyze_on_dask_gives_the_same_json_as_a_local_run(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime], scheduler: str
) -> None:
    args = _fleet(workdir, two_versions[2])
    here = tfshadow(*args, cwd=workdir)
    there = tfshadow(*args, "--scheduler", scheduler, cwd=workdir)
    assert (here.code, there.code) == (0, 0), there.err
    assert there.json() == here.json()
    assert there.err == here.err  # nothing from Dask on the terminal either
    doc = there.json()
    verdicts = {(s["resource"], s["metric"]): s["verdict"] for s in doc["series"]}
    assert verdicts[("terraform_data.web", "cpu")] == "deviation"
    assert verdicts[("terraform_data.auth", "cpu")] == "ok"
    assert [r["suspect"]["version"] for r in doc["recommendations"]] == [2]
    (warning,) = doc["warnings"]  # the missing file, as in a local run
    assert "terraform_data.auth.memory.csv" in warning


def test_analyze_scheduler_of_the_settings_and_the_flag_that_wins(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime], scheduler: str
) -> None:
    dead = f"tcp://127.0.0.1:{_dead_port()}"
    args = _fleet(workdir, two_versions[2], f'  scheduler = "{dead}"\n  scheduler_timeout = "1s"\n')
    started = time.monotonic()
    result = tfshadow(*args, cwd=workdir)
    assert time.monotonic() - started < 15.0
    assert result.code == 2 and result.out == ""
    (line,) = result.err.strip().splitlines()
    assert f"cannot reach the Dask scheduler at {dead} within 1 s" in line
    assert "leave out --scheduler" in line
    result = tfshadow(*args, "--scheduler", scheduler, cwd=workdir)
    assert result.code == 0, result.err
    assert [r["resource"] for r in result.json()["recommendations"]] == ["terraform_data.web"]


def test_analyze_bad_scheduler_flag_is_a_usage_error(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    args = _fleet(workdir, two_versions[2])
    result = tfshadow(*args, "--scheduler", "scheduler:8786", cwd=workdir)
    assert result.code == 2
    (line,) = result.err.strip().splitlines()
    assert "--scheduler must be a Dask scheduler address such as tcp://scheduler:8786" in line


def test_analyze_scheduler_file_and_an_address_ending_in_a_slash_reach_the_cluster(
    workdir: Path,
    tfshadow: Tfshadow,
    two_versions: dict[int, datetime],
    scheduler: str,
    tmp_path: Path,
) -> None:
    args = _fleet(workdir, two_versions[2])
    scheduler_file = tmp_path / "scheduler.json"
    scheduler_file.write_text(json.dumps({"type": "Scheduler", "address": scheduler}))

    by_file = tfshadow(*args, "--scheduler", str(scheduler_file), cwd=workdir)
    slashed = tfshadow(*args, "--scheduler", scheduler + "/", cwd=workdir)

    assert by_file.code == 0, by_file.err
    assert slashed.code == 0, slashed.err
    assert by_file.json() == slashed.json()


@pytest.mark.parametrize("content", ["{not json", "[]", '{"type": "Scheduler"}', ""])
def test_analyze_scheduler_file_that_is_not_one_is_a_usage_error(
    workdir: Path,
    tfshadow: Tfshadow,
    two_versions: dict[int, datetime],
    tmp_path: Path,
    content: str,
) -> None:
    args = _fleet(workdir, two_versions[2])
    scheduler_file = tmp_path / "scheduler.json"
    scheduler_file.write_text(content)
    started = time.monotonic()

    result = tfshadow(*args, "--scheduler", str(scheduler_file), cwd=workdir)

    assert time.monotonic() - started < 15.0
    assert result.code == 2 and result.out == ""
    (line,) = result.err.strip().splitlines()
    assert f"{scheduler_file} is not a Dask scheduler file" in line
    assert "dask scheduler --scheduler-file" in line
