"""`tfshadow agent` samples this host with psutil into the store's series; `analyze` reads them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.func.conftest import STEP, Tfshadow, write_series


def test_agent_samples_into_the_store_and_analyze_reads_them(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    result = tfshadow(
        "agent",
        "--interval",
        "0.2s",
        "--count",
        "3",
        "--resource",
        "terraform_data.web",
        cwd=workdir,
    )
    assert result.code == 0, result.err
    lines = [line for line in result.out.splitlines() if "cpu=" in line]
    assert len(lines) == 3 and "memory=" in lines[0]
    series_dir = workdir / ".tfshadow" / ".git" / "tfshadow" / "metrics"
    files = {p.name for p in series_dir.rglob("*.csv")}
    assert {"cpu.csv", "memory.csv", "network_io.csv", "disk_io.csv"} <= files
    cpu = next(series_dir.rglob("cpu.csv")).read_text().splitlines()
    assert len([line for line in cpu if line and line[0].isdigit()]) == 3

    (workdir / "tfshadow.hcl").write_text(
        'metrics "agent" {}\nresource_metrics "terraform_data.web" { source = "agent" }\n'
    )
    result = tfshadow("analyze", "--json", "--no-mark", cwd=workdir)
    assert result.code == 0, result.err
    series = {s["metric"]: s for s in result.json()["series"]}
    assert set(series) == {"cpu", "memory", "network_io", "disk_io"}
    assert all(s["verdict"] == "inconclusive" for s in series.values())
    assert all("too little history: 3 points" in s["detail"] for s in series.values())


def test_agent_bad_interval(workdir: Path, tfshadow: Tfshadow) -> None:
    result = tfshadow("agent", "--interval", "soon", cwd=workdir)
    assert result.code == 2 and "--interval soon" in result.err
    result = tfshadow("agent", "--interval", "99999999999d", cwd=workdir)
    assert result.code == 2 and "longer than a day" in result.err
    result = tfshadow("agent", "--interval", "0.001s", "--count", "1", cwd=workdir)
    assert result.code == 2 and "shorter than 0.1 s" in result.err
    assert result.err.count("\n") == 1 and not (workdir / ".tfshadow").exists()


@pytest.mark.parametrize("pid", ["-1", "0"])
def test_agent_pid_below_one_is_a_usage_error(workdir: Path, tfshadow: Tfshadow, pid: str) -> None:
    # -1 reached psutil, whose ValueError came out as an unexpected error with a crash log.
    result = tfshadow("agent", "--pid", pid, "--count", "1", cwd=workdir)

    assert result.code == 2, result.err
    assert result.err.strip() == (
        f"tfshadow: error: agent: invalid value for '--pid': {pid} is not in the range x>=1: "
        "see `tfshadow agent --help`"
    )
    assert not (workdir / ".tfshadow").exists()


def test_agent_of_no_process_makes_no_store(tmp_path: Path, tfshadow: Tfshadow) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()

    result = tfshadow("agent", "--pid", str(gone.pid), "--count", "1", cwd=tmp_path)

    assert result.code == 2, result.err
    assert result.err.strip() == (
        f"tfshadow: error: no process with pid {gone.pid}: check the --pid values"
    )
    assert list(tmp_path.iterdir()) == []  # bad input: nothing written, no store started


def test_agent_host_series_are_analysed(workdir: Path, tfshadow: Tfshadow) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    result = tfshadow("agent", "--interval", "0.2s", "--count", "3", cwd=workdir)
    assert result.code == 0, result.err
    (workdir / "tfshadow.hcl").write_text(
        'metrics "agent" {}\nresource_metrics "host" { source = "agent" }\n'
    )
    for extra in ((), ("--resource", "host")):
        result = tfshadow("analyze", "--json", "--no-mark", *extra, cwd=workdir)
        assert result.code == 0, result.err
        series = result.json()["series"]
        named = {(s["resource"], s["metric"]) for s in series}
        assert {("host", "cpu"), ("host", "memory")} <= named
        assert all(s["verdict"] == "inconclusive" for s in series)


def test_agent_host_series_are_left_alone_when_mapped_to_another_source(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    assert tfshadow("agent", "--interval", "0.2s", "--count", "2", cwd=workdir).code == 0
    (workdir / "tfshadow.hcl").write_text(
        'metrics "agent" {}\nmetrics "csv" { path = "m/${address}.csv" }\n'
        'resource_metrics "*" { source = "csv" }\n'
    )
    now = datetime.now(UTC)
    for name in ("web", "auth"):
        write_series(workdir / "m" / f"terraform_data.{name}.csv", now - STEP, now, None)
    result = tfshadow("analyze", "--json", "--no-mark", cwd=workdir)
    assert result.code == 0, result.err
    assert {s["resource"] for s in result.json()["series"]} == {
        "terraform_data.web",
        "terraform_data.auth",
    }


def test_agent_of_a_process_that_exits_ends_normally(workdir: Path, tfshadow: Tfshadow) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    short = subprocess.Popen(["sleep", "0.6"])
    try:
        result = tfshadow("agent", "--interval", "0.1s", "--pid", str(short.pid), cwd=workdir)
    finally:
        short.kill()
        short.wait()
    # Samples were written: the process ending is the end of the run, not bad input.
    assert result.code == 0, result.err
    assert f"the sampled processes are gone: {short.pid}: the agent stopped" in result.err
    assert "series written under" in result.err
    assert [line for line in result.out.splitlines() if "cpu=" in line]


def test_agent_stops_on_ctrl_c_and_says_where_the_series_are(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    script = str(Path(sys.executable).parent / "tfshadow")
    agent = subprocess.Popen(
        [script, "agent", "--interval", "0.1s"],
        cwd=workdir,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert agent.stdout is not None
    assert "cpu=" in agent.stdout.readline()  # one sample written
    agent.send_signal(signal.SIGINT)
    _out, err = agent.communicate(timeout=30)
    assert agent.returncode == 0, err
    assert "series written under" in err
    assert "Traceback" not in err
