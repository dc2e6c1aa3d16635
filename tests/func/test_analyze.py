"""`tfshadow analyze` end to end: real applies recorded in a real store, metrics from CSV files,
recommendations naming the version that caused a deviation, the webhook, the log and the marks.

The webhook receiver (conftest's ``webhook``) is a local HTTP server standing in for Slack,
which cannot be reached here; it records what it is sent so the test can check the requests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.func.conftest import STEP, Tfshadow, write_series


def _settings(workdir: Path, extra: str = "") -> None:
    (workdir / "tfshadow.hcl").write_text(
        'metrics "csv" { path = "metrics/${address}.csv" }\n'
        'resource_metrics "terraform_data.web" {\n'
        '  source  = "csv"\n'
        '  metrics = ["cpu"]\n'
        "}\n"
        'analysis {\n  soak = "1h"\n  attribution_window = "1h"\n}\n' + extra
    )


def _web_metrics(workdir: Path, applied: datetime, shift_at: datetime | None) -> None:
    """Settings reading CSV metrics, and a day of terraform_data.web's CPU up to an hour after
    ``applied`` (shifted from ``shift_at``)."""
    _settings(workdir)
    write_series(
        workdir / "metrics" / "terraform_data.web.csv",
        applied - timedelta(days=1),
        applied + timedelta(hours=1),
        shift_at=shift_at,
    )


def _alerting_shift(workdir: Path, webhook_url: str, applied: datetime) -> str:
    """Settings posting to ``webhook_url``, and terraform_data.web's CPU shifted two steps after
    ``applied``; the ``--until`` that ends the series."""
    _settings(workdir, f'alerts {{ webhook = "{webhook_url}" }}\n')
    write_series(
        workdir / "metrics" / "terraform_data.web.csv",
        applied - timedelta(days=1),
        applied + timedelta(hours=1),
        shift_at=applied + 2 * STEP,
    )
    return (applied + timedelta(hours=1)).isoformat()


def test_analyze_names_the_version_that_caused_a_deviation(
    workdir: Path,
    tfshadow: Tfshadow,
    two_versions: dict[int, datetime],
    webhook: tuple[str, list[tuple[str, str, Any]]],
) -> None:
    url, received = webhook
    applied = two_versions[2]
    until = _alerting_shift(workdir, url, applied)
    result = tfshadow("analyze", "--until", until, "--json", cwd=workdir)
    assert result.code == 0, result.err
    doc = result.json()
    (rec,) = doc["recommendations"]
    assert rec["resource"] == "terraform_data.web" and rec["metric"] == "cpu"
    assert rec["kind"] == "deviation" and rec["severity"] == "critical"
    assert rec["suspect"]["version"] == 2
    assert rec["suspect"]["description"] == "bigger web"
    assert rec["suspect"]["changed_resource"] is True
    assert rec["command"] == "tfshadow revert 1"
    assert rec["observed"] == pytest.approx(42.0, abs=1.0)
    assert rec["expected"] == pytest.approx(30.0, abs=1.0)
    start = datetime.fromisoformat(rec["window"]["start"].replace("Z", "+00:00"))
    assert abs(start - (applied + 2 * STEP)) <= 3 * STEP

    # The webhook got one Slack-compatible message with the recommendation.
    (path, content_type, body) = received[0]
    assert path == "/hooks/secret-token" and content_type.startswith("application/json")
    assert "1 critical" in body["text"]
    assert "terraform_data.web" in json.dumps(body["blocks"])
    assert body["recommendations"][0]["command"] == "tfshadow revert 1"

    # Logged as JSON lines under the store, never committed.
    journal = workdir / ".tfshadow" / ".git" / "tfshadow" / "analysis" / "recommendations.jsonl"
    logged = [json.loads(line) for line in journal.read_text().splitlines()]
    assert logged[-1]["suspect"]["version"] == 2

    # The version behind a critical deviation is marked suspect.
    marks = {m["version"]: m["mark"] for m in doc["marks"]}
    assert marks == {2: "suspect"}


def test_analyze_again_does_not_post_an_ongoing_deviation_twice(
    workdir: Path,
    tfshadow: Tfshadow,
    two_versions: dict[int, datetime],
    webhook: tuple[str, list[tuple[str, str, Any]]],
) -> None:
    # `analyze` from cron every few minutes: people hear of a deviation once, not every run.
    url, received = webhook
    applied = two_versions[2]
    until = _alerting_shift(workdir, url, applied)
    runs = [
        tfshadow("analyze", "--until", until, "--json", "--no-mark", cwd=workdir) for _ in range(2)
    ]
    assert [r.code for r in runs] == [0, 0], runs[-1].err
    # Both runs still report and log it: only the webhook is spared the repeat.
    assert [len(r.json()["recommendations"]) for r in runs] == [1, 1]
    assert [r.json()["alerts_sent"] for r in runs] == [1, 0]
    assert len(received) == 1


def test_analyze_until_in_the_past_only_reports(
    workdir: Path,
    tfshadow: Tfshadow,
    two_versions: dict[int, datetime],
    webhook: tuple[str, list[tuple[str, str, Any]]],
) -> None:
    # A post-mortem of an hour ago: the deviation then is reported, but not logged as open
    # (gate would fail on history), not posted as news, and no version is marked.
    url, received = webhook
    # The series and its shift end an hour before the versions were applied.
    until = _alerting_shift(workdir, url, two_versions[2] - timedelta(hours=2))
    result = tfshadow("analyze", "--until", until, "--json", cwd=workdir)
    assert result.code == 0, result.err
    doc = result.json()
    assert [r["severity"] for r in doc["recommendations"]] == ["critical"]
    assert doc["post_mortem"] is True
    assert doc["alerts_sent"] == 0 and doc["marks"] == []
    assert received == []
    analysis = workdir / ".tfshadow" / ".git" / "tfshadow" / "analysis"
    assert not (analysis / "recommendations.jsonl").exists()
    assert not (analysis / "alerted.json").exists()
    assert tfshadow("gate", cwd=workdir).code == 0

    text = tfshadow("analyze", "--until", until, "--no-color", cwd=workdir)
    assert text.out.rstrip().endswith(
        "post-mortem (--until in the past): nothing was logged, posted to the webhook or marked"
    )
    assert received == []


def test_analyze_until_ahead_of_the_clock_logs_what_a_revert_now_handles(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    # The series runs an hour past the clock, as a local time read as UTC puts --until ahead.
    applied = two_versions[2]
    _web_metrics(workdir, applied, shift_at=applied + 2 * STEP)
    until = (applied + timedelta(hours=1)).isoformat()
    before = datetime.now(UTC)
    result = tfshadow("analyze", "--until", until, "--json", "--no-mark", cwd=workdir)
    assert result.code == 0, result.err
    assert [r["command"] for r in result.json()["recommendations"]] == ["tfshadow revert 1"]
    journal = workdir / ".tfshadow" / ".git" / "tfshadow" / "analysis" / "recommendations.jsonl"
    (logged,) = [json.loads(line) for line in journal.read_text().splitlines()]
    created = datetime.fromisoformat(logged["created"].replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= created <= datetime.now(UTC)
    assert tfshadow("gate", cwd=workdir).code == 1

    reverted = tfshadow("revert", "1", "--auto-approve", "--no-color", cwd=workdir)
    assert reverted.code == 0, reverted.err

    gate = tfshadow("gate", cwd=workdir)
    assert gate.code == 0, gate.out  # the revert handled it, as one after a past --until does
    assert "0 open recommendations" in gate.out


def _quiet_soak_after(workdir: Path, applied: datetime) -> str:
    """terraform_data.web's CPU quiet from a day before ``applied`` to two hours after (a
    whole soak); the ``--until`` that ends it."""
    write_series(
        workdir / "metrics" / "terraform_data.web.csv",
        applied - timedelta(days=1),
        applied + timedelta(hours=2),
        shift_at=None,
        seed=3,
    )
    return (applied + timedelta(hours=2)).isoformat()


def test_analyze_marks_versions_good_after_a_quiet_soak(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    _settings(workdir)
    until = _quiet_soak_after(workdir, two_versions[2])
    result = tfshadow("analyze", "--until", until, "--json", cwd=workdir)
    assert result.code == 0, result.err
    doc = result.json()
    assert doc["recommendations"] == []
    assert {m["version"]: m["mark"] for m in doc["marks"]} == {1: "good", 2: "good"}
    # `revert last-good` now has a version to go to.
    assert tfshadow("analyze", "--until", until, "--json", cwd=workdir).json()["marks"] == []


def _pushed_to_a_remote(workdir: Path, tmp_path: Path) -> Path:
    """A bare remote holding ``workdir``'s store as its `tfshadow` branch."""
    remote = tmp_path / "shadows.git"
    subprocess.run(["git", "init", "--bare", "-q", str(remote)], check=True)
    subprocess.run(
        ["git", "-C", str(workdir / ".tfshadow"), "push", "-q", str(remote), "HEAD:tfshadow"],
        check=True,
    )
    return remote


def test_analyze_marks_go_on_from_the_versions_another_copy_pushed(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime], tmp_path: Path
) -> None:
    # The remote holds a commit this store lacks (another copy's): marks made here without
    # taking it first would part the two histories, and their push would be refused.
    remote = _pushed_to_a_remote(workdir, tmp_path)
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", "-b", "tfshadow", str(remote), str(other)], check=True)
    (other / "elsewhere").write_text("x\n")
    for step in (["add", "elsewhere"], ["commit", "-qm", "recorded elsewhere"], ["push", "-q"]):
        subprocess.run(["git", "-C", str(other), *step], check=True)
    _settings(workdir, f'store {{\n  remote = "{remote}"\n}}\n')
    until = _quiet_soak_after(workdir, two_versions[2])

    result = tfshadow("analyze", "--until", until, "--json", cwd=workdir)

    assert result.code == 0, result.err
    doc = result.json()
    assert {m["version"]: m["mark"] for m in doc["marks"]} == {1: "good", 2: "good"}
    assert doc["warnings"] == []
    pushed = subprocess.run(
        ["git", "-C", str(remote), "log", "--format=%s", "tfshadow"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "recorded elsewhere" in pushed and "good" in pushed.splitlines()[0], pushed


def test_analyze_leaves_a_mark_another_copy_pushed_as_it_is(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime], tmp_path: Path
) -> None:
    # A colleague's copy marked version 2 bad and pushed it: the quiet soak this copy sees
    # must not mark it good over that, as it would not had the mark been here already.
    remote = _pushed_to_a_remote(workdir, tmp_path)
    _settings(workdir, f'store {{\n  remote = "{remote}"\n}}\n')
    other = tmp_path / "colleague"
    shutil.copytree(workdir, other, symlinks=True)
    marked = tfshadow("mark", "2", "bad", "--note", "broke checkout", cwd=other)
    assert marked.code == 0, marked.err
    until = _quiet_soak_after(workdir, two_versions[2])

    result = tfshadow("analyze", "--until", until, "--json", cwd=workdir)

    assert result.code == 0, result.err
    assert {m["version"]: m["mark"] for m in result.json()["marks"]} == {1: "good"}
    log = tfshadow("log", "--json", cwd=workdir)
    assert log.code == 0, log.err
    logged = {v["version"]: v["mark"] for v in log.json()["versions"]}
    assert logged[2]["mark"] == "bad" and logged[2]["note"] == "broke checkout"


def test_analyze_renders_a_table_with_the_proposed_command(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    applied = two_versions[2]
    _web_metrics(workdir, applied, shift_at=applied + 2 * STEP)
    until = (applied + timedelta(hours=1)).isoformat()
    result = tfshadow("analyze", "--until", until, "--no-color", "--no-mark", cwd=workdir)
    assert result.code == 0, result.err
    assert "terraform_data.web" in result.out
    assert "tfshadow revert 1" in result.out
    assert "critical" in result.out


def test_analyze_without_resource_metrics_fails_clearly(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    (workdir / "tfshadow.hcl").write_text('metrics "csv" { path = "m/${address}.csv" }\n')
    result = tfshadow("analyze", cwd=workdir)
    assert result.code == 2
    assert "no resource has metrics" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_analyze_with_a_missing_file_warns_and_exits_2_when_nothing_is_left(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    _settings(workdir)
    result = tfshadow("analyze", "--json", cwd=workdir)
    assert result.code == 2
    assert "metrics/terraform_data.web.csv" in result.err


def test_analyze_counts_bad_rows_and_short_history_as_warnings(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    _settings(workdir)
    applied = two_versions[2]
    csv = workdir / "metrics" / "terraform_data.web.csv"
    write_series(csv, applied - timedelta(minutes=20), applied, shift_at=None)
    csv.write_text(csv.read_text() + "not-a-time,5\n")
    until = applied.isoformat()
    result = tfshadow("analyze", "--until", until, "--json", "--no-mark", cwd=workdir)
    assert result.code == 0, result.err
    (series,) = result.json()["series"]
    assert series["verdict"] == "inconclusive"
    assert "too little history" in series["detail"]
    assert any("1 row skipped" in note for note in series["notes"])


def test_analyze_unknown_resource_and_bad_options(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    _settings(workdir)
    result = tfshadow("analyze", "--resource", "aws_instance.nope", cwd=workdir)
    assert result.code == 2 and "no resource in version 2 matches aws_instance.nope" in result.err
    result = tfshadow("analyze", "--sensitivity", "loud", cwd=workdir)
    assert result.code == 2 and "sensitivity `loud`" in result.err
    result = tfshadow("analyze", "--since", "7x", cwd=workdir)
    assert result.code == 2 and "--since 7x" in result.err
    # One line, the examples said once.
    assert len(result.err.strip().splitlines()) == 1 and result.err.count("7d") == 1, result.err
    result = tfshadow("analyze", "--model", "magic", cwd=workdir)
    assert result.code == 2 and "unknown model `magic`" in result.err


@pytest.mark.parametrize("fraction", ["0.5", "0.9"])
def test_analyze_sensitivity_below_one_sigma_is_refused_not_judged(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime], fraction: str
) -> None:
    # A fraction typed for a number of σ: judged, a 12σ shift came out "within 0.5σ of the
    # forecast", since a deviation is ongoing only while it stays at least 1σ off.
    applied = two_versions[2]
    _web_metrics(workdir, applied, shift_at=applied + 2 * STEP)
    until = (applied + timedelta(hours=1)).isoformat()
    args = ("analyze", "--until", until, "--no-mark", "--sensitivity")

    result = tfshadow(*args, fraction, cwd=workdir)

    assert result.code == 2, result.out
    assert result.err.strip() == (
        f"tfshadow: error: sensitivity {fraction} is below 1σ: it is a number of standard "
        "deviations, not a fraction: use e.g. --sensitivity 3.5, or high (3σ)"
    )
    assert result.out == ""
    assert tfshadow(*args, "1", "--json", cwd=workdir).json()["recommendations"]


def test_analyze_before_any_version_says_to_apply(workdir: Path, tfshadow: Tfshadow) -> None:
    _settings(workdir)
    result = tfshadow("analyze", cwd=workdir)
    assert result.code == 2
    assert "tfshadow apply" in result.err


def test_analyze_in_worker_processes_gives_the_same_result(
    workdir: Path,
    tfshadow: Tfshadow,
    two_versions: dict[int, datetime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tfshadow.ops import analyze

    (workdir / "tfshadow.hcl").write_text(
        'metrics "csv" { path = "metrics/${address}.csv" }\n'
        'resource_metrics "terraform_data.*" {\n  source = "csv"\n  metrics = ["cpu"]\n}\n'
    )
    applied = two_versions[2]
    for name, shift in (("web", applied + 2 * STEP), ("auth", None)):
        write_series(
            workdir / "metrics" / f"terraform_data.{name}.csv",
            applied - timedelta(days=1),
            applied + timedelta(hours=1),
            shift_at=shift,
        )
    args = ("analyze", "--until", (applied + timedelta(hours=1)).isoformat(), "--json", "--no-mark")
    alone = tfshadow(*args, cwd=workdir).json()
    monkeypatch.setattr(analyze, "PARALLEL_FROM", 1)
    monkeypatch.setattr(analyze.os, "cpu_count", lambda: 2)
    shared = tfshadow(*args, cwd=workdir).json()
    assert shared["series"] == alone["series"]
    assert shared["recommendations"] == alone["recommendations"]
    assert "terraform_data.web" in [r["resource"] for r in shared["recommendations"]]


def test_analyze_unreachable_prometheus_is_one_warning_and_the_rest_is_analysed(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _settings(workdir)
    with (workdir / "tfshadow.hcl").open("a") as settings:
        settings.write(
            f'metrics "prometheus" {{\n  url = "http://127.0.0.1:{port}"\n  retries = 0\n'
            '  query "cpu" { expr = "up" }\n}\n'
            'resource_metrics "terraform_data.auth" { source = "prometheus" }\n'
        )
    applied = two_versions[2]
    write_series(
        workdir / "metrics" / "terraform_data.web.csv",
        applied - timedelta(days=1),
        applied + timedelta(hours=1),
        shift_at=None,
        seed=4,
    )
    until = (applied + timedelta(hours=1)).isoformat()
    result = tfshadow("analyze", "--until", until, "--json", "--no-mark", cwd=workdir)
    assert result.code == 0, result.err
    doc = result.json()
    verdicts = {s["resource"]: s["verdict"] for s in doc["series"]}
    assert verdicts == {"terraform_data.web": "ok", "terraform_data.auth": "error"}
    (warning,) = doc["warnings"]
    assert f"127.0.0.1:{port}" in warning and "\n" not in warning
    assert doc["summary"]["warnings"] == 1


def test_series_config_precedence() -> None:
    from tfshadow.ops.analyze import AnalyzeRequest, series_config
    from tfshadow.settings.analysis import AnalysisSettings, MetricSettings, MetricsSettings

    settings = MetricsSettings(
        metrics=(MetricSettings("memory", sensitivity="high", model="ets", above=95.0),),
        analysis=AnalysisSettings(sensitivity="low", model="theta"),
    )
    plain = AnalyzeRequest()
    assert series_config(settings, plain, "cpu", None).threshold == 5.0
    assert series_config(settings, plain, "cpu", None).model == "theta"
    memory = series_config(settings, plain, "memory", None)
    assert (memory.threshold, memory.model, memory.above) == (3.0, "ets", 95.0)
    assert series_config(settings, plain, "memory", 4.5).threshold == 4.5
    forced = AnalyzeRequest(sensitivity="medium", model="seasonal")
    chosen = series_config(settings, forced, "memory", 4.5)
    assert (chosen.threshold, chosen.model) == (3.75, "seasonal")


def test_analyze_since_longer_than_history_reads_everything(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    applied = two_versions[2]
    _web_metrics(workdir, applied, shift_at=None)
    until = (applied + timedelta(hours=1)).isoformat()
    args = ("analyze", "--until", until, "--json", "--no-mark", "--since")
    result = tfshadow(*args, "99999999d", cwd=workdir)
    assert result.code == 0, result.err
    assert result.json()["series"] == tfshadow(*args, "7d", cwd=workdir).json()["series"]


@pytest.mark.parametrize("until", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_analyze_until_out_of_range_is_a_usage_error(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime], until: str
) -> None:
    _settings(workdir)
    result = tfshadow("analyze", "--until", until, cwd=workdir)
    assert result.code == 2, result.err
    assert result.err.startswith(f"tfshadow: error: --until {until}: ")
    assert len(result.err.strip().splitlines()) == 1


def test_analyze_until_a_time_ago_is_a_post_mortem_of_that_moment(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    applied = two_versions[2]
    _web_metrics(workdir, applied, shift_at=None)
    # As `log --until` reads it: 30 minutes before the clock, so a post-mortem.
    result = tfshadow("analyze", "--until", "30m", "--json", cwd=workdir)
    assert result.code == 0, result.err
    assert result.json()["post_mortem"] is True

    # A date alone runs to that day's end, as in `log`: today's to now, so not a post-mortem,
    # and not ahead of the clock either.
    today = tfshadow("analyze", "--until", f"{datetime.now(UTC):%Y-%m-%d}", "--json", cwd=workdir)
    assert today.code == 0, today.err
    assert today.json()["post_mortem"] is False
    assert "ahead of the clock" not in today.err

    refused = tfshadow("analyze", "--until", "yesterday", cwd=workdir)
    assert refused.code == 2
    assert refused.err.startswith("tfshadow: error: --until yesterday: neither a time ago nor ")
    assert "90m" in refused.err and len(refused.err.strip().splitlines()) == 1


def test_analyze_prints_each_warning_on_one_line(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    _settings(workdir)
    applied = two_versions[2]
    result = tfshadow("analyze", "--until", applied.isoformat(), "--no-mark", cwd=workdir)
    assert result.code == 2
    csv = workdir / "metrics" / "terraform_data.web.csv"
    (line,) = [line for line in result.out.splitlines() if "warning:" in line]
    assert line.startswith(f"warning: no metrics file {csv}: ")
    assert line.endswith("fix the path in the csv metrics block")


def test_analyze_series_that_stopped_reporting_is_inconclusive(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    applied = two_versions[2]
    _web_metrics(workdir, applied, shift_at=applied + 2 * STEP)
    # The metrics stopped an hour before the analysis: what the series does now is unknown.
    until = (applied + timedelta(hours=2)).isoformat()
    result = tfshadow("analyze", "--until", until, "--json", cwd=workdir)
    assert result.code == 0, result.err
    doc = result.json()
    (series,) = doc["series"]
    assert series["verdict"] == "inconclusive"
    assert "no usable data at the end" in series["detail"]
    # The departure seen before the data stopped is not over: it keeps its severity and says
    # when it was last seen.
    (rec,) = doc["recommendations"]
    assert rec["severity"] == "critical" and rec["suspect"]["version"] == 2
    assert "last seen above the forecast" in rec["reason"] and "no data since" in rec["reason"]
    assert {m["version"]: m["mark"] for m in doc["marks"]} == {2: "suspect"}


def test_analyze_resource_glob_reads_brackets_like_resource_metrics(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    with (workdir / "main.tf").open("a") as config:
        config.write(
            '\nresource "terraform_data" "pool" {\n  count = 2\n  input = count.index\n}\n'
        )
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    (workdir / "tfshadow.hcl").write_text(
        'metrics "csv" { path = "metrics/${address}.csv" }\n'
        'resource_metrics "terraform_data.pool[*]" { source = "csv" }\n'
    )
    now = datetime.now(UTC)
    for index in (0, 1):
        write_series(
            workdir / "metrics" / f"terraform_data.pool[{index}].csv",
            now - timedelta(hours=2),
            now,
            shift_at=None,
        )
    result = tfshadow(
        "analyze", "--resource", "terraform_data.pool[*]", "--json", "--no-mark", cwd=workdir
    )
    assert result.code == 0, result.err
    names = {s["resource"] for s in result.json()["series"]}
    assert names == {"terraform_data.pool[0]", "terraform_data.pool[1]"}


def test_analyze_matched_resources_whose_source_offers_no_metric(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    (workdir / "tfshadow.hcl").write_text(
        'metrics "agent" {}\nresource_metrics "terraform_data.*" { source = "agent" }\n'
    )
    result = tfshadow("analyze", cwd=workdir)
    assert result.code == 2
    assert result.err.startswith(
        "tfshadow: error: no resource has metrics: source agent offers none for "
        "terraform_data.auth (and 1 more): "
    )
    assert "no resource_metrics block matches" not in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_analyze_a_range_without_data_is_inconclusive_not_an_error(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    # Missing data is not evidence: an empty answer is inconclusive; with nothing judged at
    # all, analyze still exits 2.
    applied = two_versions[2]
    _web_metrics(workdir, applied, shift_at=None)
    until = (applied - timedelta(days=3)).isoformat()
    result = tfshadow("analyze", "--until", until, "--json", "--no-mark", cwd=workdir)
    assert result.code == 2, result.err
    [series] = result.json()["series"]
    assert series["verdict"] == "inconclusive"
    assert "no data for terraform_data.web cpu" in series["detail"]
    assert "no series could be analysed: no data for terraform_data.web" in result.err
