"""PrometheusSource over HTTP against a scripted local server (``http.server`` on loopback).

The fake stands in for Prometheus where a real one cannot be made to misbehave on cue (5xx
bursts, slow answers, malformed bodies); tests/func/test_prometheus_e2e.py runs the source
against a real Prometheus.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from tfshadow.errors import MetricsError
from tfshadow.metrics.base import ResourceRef, TimeRange
from tfshadow.metrics.prometheus import (
    MAX_POINTS,
    MIN_STEP,
    PrometheusSource,
    aligned,
    choose_step,
    promql_string,
)
from tfshadow.settings.analysis import PrometheusQuery, SourceSettings

START = datetime(2024, 5, 1, 10, 0, 7, tzinfo=UTC)
WINDOW = TimeRange(START, START + timedelta(hours=1))
WEB = ResourceRef(
    "aws_instance.web", "aws_instance", "web", {"private_ip": '10.0.0.5"x', "id": "i-1"}
)


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    delay: float = 0.0


@dataclass
class FakePrometheus:
    url: str
    replies: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def matrix(self, *series: list[list[Any]], warnings: list[str] | None = None) -> None:
        body: dict[str, Any] = {
            "status": "success",
            "data": {
                "resultType": "matrix",
                "result": [{"metric": {"i": str(n)}, "values": v} for n, v in enumerate(series)],
            },
        }
        if warnings:
            body["warnings"] = warnings
        self.replies.append(Reply(200, body))


@pytest.fixture
def fake() -> Iterator[FakePrometheus]:
    state = FakePrometheus(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            state.requests.append(
                {
                    "path": self.path,
                    "form": {k: v[0] for k, v in form.items()},
                    "headers": dict(self.headers),
                }
            )
            reply = state.replies.pop(0) if len(state.replies) > 1 else state.replies[0]
            time.sleep(reply.delay)
            raw = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except OSError:
                pass  # the client gave up (timeout tests)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def source(
    url: str, *, retries: int = 2, timeout: float = 5.0, session: requests.Session | None = None
) -> PrometheusSource:
    settings = SourceSettings(
        kind="prometheus",
        name="prom",
        url=url + "/",
        timeout=timeout,
        retries=retries,
        queries=(
            PrometheusQuery("cpu", 'avg(rate(cpu{instance="${attr.private_ip}"}[5m]))'),
            PrometheusQuery("memory", "mem"),
        ),
    )
    return PrometheusSource(settings, session)


@pytest.mark.parametrize(
    ("seconds", "step"),
    [
        (0, 1),
        (30, 1),
        (120, 2),
        (600, 10),
        (899, 15),
        (3600, MIN_STEP),
        (4 * 3600, MIN_STEP),  # the README's figures for since = 4h, 6h, 1d and 7d
        (6 * 3600, 30),
        (86400, 120),
        (7 * 86400, 600),
        (365 * 86400, 8 * 3600),
    ],
)
def test_prometheus_step_rule(seconds: float, step: int) -> None:
    assert choose_step(seconds) == step


@given(st.floats(min_value=900, max_value=5 * 365 * 86400))
def test_prometheus_step_keeps_points_bounded(seconds: float) -> None:
    step = choose_step(seconds)
    assert step >= MIN_STEP
    assert seconds / step <= MAX_POINTS


def test_prometheus_aligned_moves_inwards_onto_step() -> None:
    start, end = aligned(WINDOW, 15)
    assert start % 15 == 0 and end % 15 == 0
    assert WINDOW.start.timestamp() <= start < WINDOW.start.timestamp() + 15
    assert WINDOW.end.timestamp() - 15 < end <= WINDOW.end.timestamp()


def test_prometheus_promql_string_escapes() -> None:
    assert promql_string('a"b\\c\nd') == 'a\\"b\\\\c\\nd'


def test_prometheus_fetch_sends_filled_query_and_reads_matrix(fake: FakePrometheus) -> None:
    t0 = 1714557615
    fake.matrix(
        [[t0 + 30, "3"], [t0, "1.5"], [t0 + 15, "NaN"], [t0 + 45, "+Inf"], [t0 + 60.123, "2"]]
    )
    series = source(fake.url).fetch(WEB, "cpu", WINDOW)

    sent = fake.requests[0]
    assert sent["path"] == "/api/v1/query_range"
    assert sent["form"]["query"] == 'avg(rate(cpu{instance="10.0.0.5\\"x"}[5m]))'
    assert sent["form"]["step"] == "15"
    assert int(sent["form"]["start"]) == 1714557615
    assert int(sent["form"]["end"]) == 1714561200
    assert series.resource == "aws_instance.web" and series.metric == "cpu"
    assert series.source == "prom"
    assert series.timestamps.dtype == np.dtype("datetime64[ns]")
    assert series.timestamps[0] == np.datetime64(t0, "s")
    assert series.timestamps[-1] == np.datetime64((t0 + 60) * 1000 + 123, "ms")
    np.testing.assert_array_equal(series.values, [1.5, np.nan, 3.0, np.nan, 2.0])
    assert series.notes == ()


def test_prometheus_warnings_become_notes(fake: FakePrometheus) -> None:
    fake.matrix([[1714557615, "1"]], warnings=["PromQL info: metric might not be a counter"])
    series = source(fake.url).fetch(WEB, "memory", WINDOW)
    assert series.notes == ("PromQL info: metric might not be a counter",)


def test_prometheus_bad_query_quotes_error_without_retry(fake: FakePrometheus) -> None:
    fake.replies.append(
        Reply(400, {"status": "error", "errorType": "bad_data", "error": "1:5: parse error:\nboom"})
    )
    with pytest.raises(MetricsError) as caught:
        source(fake.url).fetch(WEB, "cpu", WINDOW)
    assert caught.value.message == (
        "Prometheus rejected the cpu query for aws_instance.web: 1:5: parse error: boom"
    )
    assert len(fake.requests) == 1


def test_prometheus_retries_5xx_then_succeeds(fake: FakePrometheus) -> None:
    fake.replies.extend([Reply(503, {"status": "error"}), Reply(502, b"bad gateway")])
    fake.matrix([[1714557615, "1"]])
    series = source(fake.url, retries=2).fetch(WEB, "cpu", WINDOW)
    assert len(series) == 1
    assert len(fake.requests) == 3


def test_prometheus_5xx_after_retries_is_one_line(fake: FakePrometheus) -> None:
    fake.replies.append(Reply(503, b"Service Unavailable\nstarting up"))
    with pytest.raises(MetricsError) as caught:
        source(fake.url, retries=1).fetch(WEB, "cpu", WINDOW)
    assert caught.value.message == (
        f"Prometheus at {fake.url} answered HTTP 503 to the cpu query for aws_instance.web: "
        "Service Unavailable starting up"
    )
    assert len(fake.requests) == 2


def test_prometheus_slow_answer_times_out_without_retry(fake: FakePrometheus) -> None:
    fake.replies.append(Reply(200, {}, delay=1.0))
    with pytest.raises(MetricsError, match=r"did not answer the cpu query .* within 0\.2 s"):
        source(fake.url, retries=2, timeout=0.2).fetch(WEB, "cpu", WINDOW)
    assert len(fake.requests) == 1


def test_prometheus_empty_result_says_no_data(fake: FakePrometheus) -> None:
    fake.matrix()
    with pytest.raises(MetricsError) as caught:
        source(fake.url).fetch(WEB, "cpu", WINDOW)
    assert caught.value.message == (
        "no data for aws_instance.web cpu in 2024-05-01T10:00:07Z..2024-05-01T11:00:07Z"
    )


def test_prometheus_a_series_younger_than_the_range_is_read_again_over_its_life(
    fake: FakePrometheus,
) -> None:
    # A 7-day range is read every 10 min: a resource created 30 min ago has 3 points there.
    week = TimeRange(START, START + timedelta(days=7))
    end = int(week.end.timestamp()) // 600 * 600
    fake.matrix([[end - 1200, "1"], [end - 600, "2"], [end, "3"]])
    fake.matrix([[end - 1800 + 15 * i, "1"] for i in range(120)])

    series = source(fake.url).fetch(WEB, "cpu", week)

    first, again = fake.requests
    assert first["form"]["step"] == "600"
    # Again from a step before its first point, at the step that range gets.
    assert again["form"]["step"] == "15"
    assert int(again["form"]["start"]) == end - 1800
    assert len(series) == 120
    assert series.notes == (
        "younger than the range: read from 2024-05-08 09:30 UTC at a 15 s step",
    )
    assert series.window == week.seconds and series.step_for is choose_step


def test_prometheus_no_point_at_the_range_step_looks_in_the_tail_it_did_not_read(
    fake: FakePrometheus,
) -> None:
    # Created minutes ago, after the last whole 10-minute step: not "no data", but a few points.
    week = TimeRange(START, START + timedelta(days=7))
    fake.matrix()
    fake.matrix([[int(week.end.timestamp()) - 30, "1"], [int(week.end.timestamp()) - 20, "2"]])

    series = source(fake.url).fetch(WEB, "cpu", week)

    first, tail = fake.requests
    assert first["form"]["step"] == "600" and tail["form"]["step"] == "10"
    assert int(tail["form"]["start"]) >= int(week.end.timestamp()) - 600
    assert len(series) == 2


def test_prometheus_a_series_without_values_at_the_range_step_looks_in_the_tail(
    fake: FakePrometheus,
) -> None:
    week = TimeRange(START, START + timedelta(days=7))
    fake.matrix([])  # one series, no value in the range
    fake.matrix([[int(week.end.timestamp()) - 20, "2"]])

    series = source(fake.url).fetch(WEB, "cpu", week)

    assert len(fake.requests) == 2 and len(series) == 1


def test_prometheus_a_series_as_old_as_the_range_is_read_once(fake: FakePrometheus) -> None:
    start = int(WINDOW.start.timestamp()) // 15 * 15 + 15
    fake.matrix([[start + 15 * i, "1"] for i in range(240)])

    source(fake.url).fetch(WEB, "cpu", WINDOW)

    assert len(fake.requests) == 1


def test_prometheus_several_series_must_be_aggregated(fake: FakePrometheus) -> None:
    fake.matrix([[1714557615, "1"]], [[1714557615, "2"]])
    with pytest.raises(MetricsError) as caught:
        source(fake.url).fetch(WEB, "cpu", WINDOW)
    assert caught.value.one_line() == (
        "the cpu query for aws_instance.web returned 2 series: aggregate it to one, "
        "e.g. sum(...) or avg(...)"
    )


def test_prometheus_non_json_answer_is_an_error(fake: FakePrometheus) -> None:
    fake.replies.append(Reply(200, b"<html>grafana</html>"))
    with pytest.raises(MetricsError, match=r"answered HTTP 200 .*: <html>grafana</html>"):
        source(fake.url).fetch(WEB, "cpu", WINDOW)


def test_prometheus_instant_result_is_an_error(fake: FakePrometheus) -> None:
    fake.replies.append(
        Reply(200, {"status": "success", "data": {"resultType": "scalar", "result": [1, "1"]}})
    )
    with pytest.raises(MetricsError, match="did not give a range vector"):
        source(fake.url).fetch(WEB, "cpu", WINDOW)


def test_prometheus_uses_given_session(fake: FakePrometheus) -> None:
    fake.matrix([[1714557615, "1"]])
    session = requests.Session()
    session.headers["Authorization"] = "Bearer t"
    source(fake.url, session=session).fetch(WEB, "cpu", WINDOW)
    assert fake.requests[0]["headers"]["Authorization"] == "Bearer t"


def test_prometheus_unreachable_names_url() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(MetricsError) as caught:
        source(url, retries=1).fetch(WEB, "cpu", WINDOW)
    assert caught.value.one_line() == (
        f"cannot reach Prometheus at {url}: is Prometheus running? "
        "check the url in the metrics block of tfshadow.hcl"
    )


def test_prometheus_metric_names_and_unknown_metric() -> None:
    prom = source("http://127.0.0.1:1")
    assert prom.name == "prom"
    assert prom.metric_names(WEB) == ("cpu", "memory")
    with pytest.raises(MetricsError, match="has no query for metric disk_io"):
        prom.fetch(WEB, "disk_io", WINDOW)


def test_prometheus_needs_url() -> None:
    with pytest.raises(MetricsError, match="has no url"):
        PrometheusSource(SourceSettings(kind="prometheus", name="prom"))


def test_prometheus_credentials_in_url_are_sent_but_never_shown(fake: FakePrometheus) -> None:
    fake.replies.append(Reply(401, b"Unauthorized"))
    with_user = fake.url.replace("http://", "http://admin:s3cretpw@")
    with pytest.raises(MetricsError) as caught:
        source(with_user).fetch(WEB, "cpu", WINDOW)
    assert fake.requests[0]["headers"]["Authorization"].startswith("Basic ")
    assert "s3cretpw" not in caught.value.one_line()
    assert f"Prometheus at {fake.url.replace('http://', 'http://***@')} answered HTTP 401" in (
        caught.value.one_line()
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(MetricsError) as caught:
        source(f"http://admin:s3cretpw@127.0.0.1:{port}", retries=0).fetch(WEB, "cpu", WINDOW)
    assert caught.value.one_line().startswith(
        f"cannot reach Prometheus at http://***@127.0.0.1:{port}:"
    )
