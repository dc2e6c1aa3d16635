"""The Prometheus source against a real Prometheus scraping a real node_exporter.

Both run from the Debian packages' binaries (``prometheus``, ``prometheus-node-exporter``) on free
loopback ports with a throwaway configuration and TSDB directory, scraping every second. Without
the binaries the tests are skipped, except in CI (``CI=true``), which must install them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from tests.func.conftest import Tfshadow, stop_process
from tfshadow.errors import MetricsError
from tfshadow.metrics.base import ResourceRef, TimeRange
from tfshadow.metrics.prometheus import PrometheusSource
from tfshadow.settings.analysis import PrometheusQuery, SourceSettings

# Read at import: the autouse fixture of tests/conftest.py removes CI from each test's environment.
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
PROMETHEUS = "/usr/bin/prometheus"
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
READY_TIMEOUT = 30.0
# Enough scrapes (1 s apart) for rate() over 5 s to give several points.
READY_SAMPLES = 10

CPU_PERCENT = (
    '100 * (1 - avg(rate(node_cpu_seconds_total{mode="idle",'
    'instance="${attr.private_ip}:${attr.monitoring_port}"}[5s])))'
)


@dataclass(frozen=True)
class Servers:
    url: str
    exporter_port: int


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _require(binary: str) -> str:
    path = shutil.which(binary) or (binary if os.access(binary, os.X_OK) else None)
    if path is None:
        why = f"{binary} is not installed (apt-get install prometheus prometheus-node-exporter)"
        if IN_CI:
            pytest.fail(f"{why}; CI must install it")
        pytest.skip(f"{why}; CI=true makes this a failure")
    return path


def _scrapes(url: str) -> float:
    """Successful scrapes of node_exporter in the last minute (0 while Prometheus starts)."""
    query = urllib.parse.urlencode({"query": 'sum_over_time(up{job="node"}[1m])'})
    try:
        with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=2) as answer:
            result = json.load(answer)["data"]["result"]
        return float(result[0]["value"][1]) if result else 0.0
    except (OSError, ValueError, KeyError, IndexError):
        return 0.0


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    prometheus, exporter = _require(PROMETHEUS), _require(NODE_EXPORTER)
    work = tmp_path_factory.mktemp("prometheus")
    exporter_port, prometheus_port = _free_port(), _free_port()
    config = work / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: node\n    static_configs:\n"
        f'      - targets: ["127.0.0.1:{exporter_port}"]\n'
    )
    processes: list[tuple[str, subprocess.Popen[bytes], Path]] = []

    def start(name: str, *argv: str) -> None:
        log = work / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=work)
        processes.append((name, process, log))

    try:
        # Only the collectors the tests read: the others are slow or noisy in containers.
        start(
            "node_exporter",
            exporter,
            f"--web.listen-address=127.0.0.1:{exporter_port}",
            "--collector.disable-defaults",
            "--collector.cpu",
            "--collector.meminfo",
        )
        start(
            "prometheus",
            prometheus,
            f"--config.file={config}",
            f"--storage.tsdb.path={work / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prometheus_port}",
        )
        url = f"http://127.0.0.1:{prometheus_port}"
        deadline = time.monotonic() + READY_TIMEOUT
        while _scrapes(url) < READY_SAMPLES:
            for name, process, log in processes:
                if process.poll() is not None:
                    pytest.fail(f"{name} exited: {log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                logs = " | ".join(log.read_text()[-500:] for _, _, log in processes)
                pytest.fail(
                    f"Prometheus did not scrape node_exporter in {READY_TIMEOUT:g} s: {logs}"
                )
            time.sleep(0.5)
        yield Servers(url, exporter_port)
    finally:
        for _, process, _ in processes:
            stop_process(process)


def _source(url: str, expr: str, retries: int = 0) -> PrometheusSource:
    settings = SourceSettings(
        kind="prometheus",
        name="prometheus",
        url=url,
        timeout=5.0,
        retries=retries,
        queries=(PrometheusQuery("cpu", expr),),
    )
    return PrometheusSource(settings)


def _resource(port: int) -> ResourceRef:
    return ResourceRef(
        "aws_instance.web",
        "aws_instance",
        "web",
        {"id": "i-0123", "private_ip": "127.0.0.1", "monitoring_port": port},
    )


def _last(seconds: float) -> TimeRange:
    end = datetime.now(UTC)
    return TimeRange(end - timedelta(seconds=seconds), end)


def test_prometheus_e2e_cpu_percent_of_node_exporter(servers: Servers) -> None:
    window = _last(60)
    series = _source(servers.url, CPU_PERCENT).fetch(
        _resource(servers.exporter_port), "cpu", window
    )

    assert series.resource == "aws_instance.web"
    assert series.metric == "cpu"
    assert series.source == "prometheus"
    assert series.timestamps.dtype == np.dtype("datetime64[ns]")
    assert len(series) >= 5
    assert np.isfinite(series.values).all()
    # rate() of counters read at slightly uneven scrape times can overshoot by a hair.
    assert (series.values >= -1.0).all() and (series.values <= 101.0).all()
    steps = np.diff(series.timestamps).astype(np.int64)
    assert (steps > 0).all()
    # A 60 s range is short: 1 s steps, on whole seconds inside the window.
    assert set(steps.tolist()) == {1_000_000_000}
    assert series.timestamps[0] >= np.datetime64(window.start.replace(tzinfo=None), "ns")
    assert series.timestamps[-1] <= np.datetime64(window.end.replace(tzinfo=None), "ns")


def test_prometheus_e2e_bad_promql_quotes_prometheus(servers: Servers) -> None:
    source = _source(servers.url, "rate(node_cpu_seconds_total[5s]")
    with pytest.raises(MetricsError) as caught:
        source.fetch(_resource(servers.exporter_port), "cpu", _last(60))
    message = caught.value.one_line()
    assert "Prometheus rejected the cpu query for aws_instance.web" in message
    assert "unclosed left parenthesis" in message
    assert "\n" not in message


def test_prometheus_e2e_several_series_asks_for_aggregation(servers: Servers) -> None:
    source = _source(
        servers.url, 'node_cpu_seconds_total{instance="${attr.private_ip}:${attr.monitoring_port}"}'
    )
    with pytest.raises(MetricsError, match=r"returned \d+ series") as caught:
        source.fetch(_resource(servers.exporter_port), "cpu", _last(60))
    assert "sum(...)" in caught.value.one_line()


def test_prometheus_e2e_no_data_for_other_instance(servers: Servers) -> None:
    source = _source(servers.url, CPU_PERCENT)
    other = ResourceRef(
        "aws_instance.db", "aws_instance", "db", {"private_ip": "10.9.9.9", "monitoring_port": 1}
    )
    with pytest.raises(MetricsError, match=r"^no data for aws_instance\.db cpu in \d{4}-"):
        source.fetch(other, "cpu", _last(60))


def test_prometheus_e2e_unreachable_port_names_url() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    source = _source(url, CPU_PERCENT, retries=1)
    with pytest.raises(MetricsError) as caught:
        source.fetch(_resource(9100), "cpu", _last(60))
    assert caught.value.message == f"cannot reach Prometheus at {url}"
    assert "is Prometheus running?" in caught.value.one_line()


def _recorded_node(servers: Servers, tmp_path: Path, tfshadow: Tfshadow) -> Path:
    """A real apply records a resource whose attributes name the exporter, and the settings
    query its CPU from the real Prometheus."""
    workdir = tmp_path / "infra"
    workdir.mkdir()
    (workdir / "main.tf").write_text(
        'resource "terraform_data" "node" {\n'
        f'  input = {{ private_ip = "127.0.0.1", port = "{servers.exporter_port}" }}\n'
        "}\n"
    )
    expr = CPU_PERCENT.replace(
        "${attr.private_ip}:${attr.monitoring_port}",
        "${attr.output.value.private_ip}:${attr.output.value.port}",
    )
    (workdir / "tfshadow.hcl").write_text(
        f'metrics "prometheus" {{\n  url = "{servers.url}"\n'
        f'  query "cpu" {{ expr = {json.dumps(expr)} }}\n}}\n'
        'resource_metrics "terraform_data.*" { source = "prometheus" }\n'
    )
    assert tfshadow("init", "-no-color", cwd=workdir).code == 0
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    return workdir


def test_prometheus_e2e_analyze_reads_a_recorded_resource(
    servers: Servers, tmp_path: Path, tfshadow: Tfshadow
) -> None:
    """`tfshadow analyze` end to end: the query is filled from the recorded attributes and run
    against the real Prometheus."""
    workdir = _recorded_node(servers, tmp_path, tfshadow)
    result = tfshadow("analyze", "--since", "2m", "--json", "--no-mark", cwd=workdir)
    assert result.code == 0, result.err
    doc = result.json()
    (series,) = doc["series"]
    assert series["resource"] == "terraform_data.node" and series["source"] == "prometheus"
    assert series["verdict"] != "error", series["detail"]
    assert series["points"] > 0
    assert doc["warnings"] == []


def test_prometheus_e2e_analyze_until_ahead_of_the_clock_warns_of_the_zone(
    servers: Servers, tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # A local time typed east of UTC is read as UTC, hours ahead: Prometheus has nothing there,
    # and "no data: check that query selects this resource's labels" alone sent the user to
    # the query instead.
    workdir = _recorded_node(servers, tmp_path, tfshadow)
    local = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")
    args = ("analyze", "--since", "2m", "--json", "--no-mark", "--until")

    result = tfshadow(*args, local, cwd=workdir)

    assert result.code == 2, result.err  # nothing there to analyse
    first = result.err.splitlines()[0]
    assert first == (
        f"tfshadow: warning: --until {local} is 2.0 h ahead of the clock (read as UTC: give its "
        "zone, e.g. +02:00): the range ends in the future"
    )
    zoned = (datetime.now(UTC) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S+02:00")
    assert "warning: --until" not in tfshadow(*args, zoned, cwd=workdir).err


def _wait_for_a_whole_step(servers: Servers, step: int) -> None:
    """Until the series has a value at the last multiple of ``step`` seconds: a series seconds
    old (this test alone, on a Prometheus just started) may have none at any whole step yet,
    and then no range can read it."""
    source, resource = _source(servers.url, CPU_PERCENT), _resource(servers.exporter_port)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        end = datetime.now(UTC)
        last = datetime.fromtimestamp(end.timestamp() // step * step, UTC)
        try:
            if len(source.fetch(resource, "cpu", TimeRange(last - timedelta(seconds=1), last))):
                return
        except MetricsError:
            pass
        time.sleep(1)
    pytest.fail(f"no value at a whole {step} s step in {READY_TIMEOUT:g} s")


def test_prometheus_e2e_a_series_younger_than_the_range_is_read_over_its_life(
    servers: Servers,
) -> None:
    # This Prometheus began scraping moments ago: at a 7-day range's 10-minute step its series
    # has no point yet (it began after the last whole step), and "no data … check the query"
    # sent the user to a query that was right.
    _wait_for_a_whole_step(servers, 10)
    window = _last(7 * 86400)
    series = _source(servers.url, CPU_PERCENT).fetch(
        _resource(servers.exporter_port), "cpu", window
    )

    assert len(series) >= 1 and np.isfinite(series.values).any()
    (note,) = series.notes
    found = re.fullmatch(r"younger than the range: read from .* UTC at a (\d+) s step", note)
    assert found, note
    # Its life read as a range that long is: 10 s under 15 min, 15 s beyond (how long it is
    # depends on where the range's last whole 10 minutes fell), never the range's 600 s.
    step = int(found.group(1))
    assert step in (10, 15)
    spacing = np.diff(series.timestamps).astype(np.int64) // 1_000_000_000
    assert set(spacing.tolist()) <= {step}
    assert series.window == pytest.approx(7 * 86400)


def test_prometheus_e2e_analyze_a_young_series_says_when_it_will_be_judged(
    servers: Servers, tmp_path: Path, tfshadow: Tfshadow
) -> None:
    workdir = _recorded_node(servers, tmp_path, tfshadow)

    result = tfshadow("analyze", "--json", "--no-mark", cwd=workdir)  # the default 7 days

    assert result.code == 0, result.err
    (series,) = result.json()["series"]
    assert series["verdict"] == "inconclusive", series
    assert re.fullmatch(
        r"too little history: \d+ points?, 63 needed: it began \d+ (s|min) ago and is judged "
        r"once it has 16 min of data \(in about \d+ min\)",
        series["detail"],
    ), series["detail"]

    short = tfshadow("analyze", "--since", "10m", "--json", "--no-mark", cwd=workdir)
    (series,) = short.json()["series"]
    # 10 minutes are read at a 10 s step: even grown old, the series would need a longer range.
    assert re.fullmatch(
        r"too little history: \d+ points?, 63 needed: it began \d+ (s|min) ago and is judged "
        r"once it has 16 min of data \(in about \d+ min\) in a range of at least 16 min",
        series["detail"],
    ), series["detail"]
