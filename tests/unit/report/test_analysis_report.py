"""Terminal, JSON and markdown rendering of an analysis report."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from rich.console import Console

from tfshadow.forecast.results import (
    VERDICTS,
    AnalysisReport,
    Recommendation,
    SeriesVerdict,
    Suspect,
)
from tfshadow.ops.check import CheckReport, TriggerOutcome
from tfshadow.report.analysis import (
    analysis_json,
    analysis_markdown,
    format_number,
    recommendation_markdown,
    render_analysis,
)
from tfshadow.report.check import check_json

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _suspect(**fields: object) -> Suspect:
    values: dict[str, object] = {
        "workspace": "default",
        "version": 7,
        "timestamp": "2024-05-01T11:50:00Z",
        "author": "alice",
        "description": "Bump instance size to m5.large\n\nLonger body that is not shown.",
        "changed_resource": True,
    }
    values.update(fields)
    return Suspect(**values)  # type: ignore[arg-type]


def _rec(**fields: object) -> Recommendation:
    values: dict[str, object] = {
        "resource": 'module.web.aws_instance.app["blue"]',
        "metric": "cpu",
        "source": "prometheus",
        "kind": "deviation",
        "window_start": START,
        "window_end": START + timedelta(hours=1),
        "observed": 87.4321,
        "expected": 42.1,
        "score": 4.23,
        "threshold": 3.5,
        "severity": "critical",
        "suspect": _suspect(),
        "command": "tfshadow revert 6",
        "reason": "cpu rose after version 7 changed the instance type.",
        "created": START + timedelta(hours=1, minutes=5),
    }
    values.update(fields)
    return Recommendation(**values)  # type: ignore[arg-type]


def _verdict(resource: str, verdict: str, **fields: object) -> SeriesVerdict:
    values: dict[str, object] = {
        "resource": resource,
        "metric": "cpu",
        "source": "prometheus",
        "verdict": verdict,
        "score": 0.4,
        "points": 60,
        "missing": 0,
        "model": "ets",
        "detail": f"{verdict} detail",
    }
    values.update(fields)
    return SeriesVerdict(**values)  # type: ignore[arg-type]


def _report(**fields: object) -> AnalysisReport:
    values: dict[str, object] = {
        "verdicts": (
            _verdict("aws_instance.dev", "deviation", score=4.23),
            _verdict("aws_instance.calm", "ok"),
            _verdict("aws_instance.few", "inconclusive", score=None, points=5, missing=55),
            _verdict("aws_instance.gone", "error", score=None, points=0, model=""),
        ),
        "recommendations": (_rec(),),
        "warnings": ("metrics/x.csv is missing", "source agent has no data"),
        "analysed_at": START + timedelta(hours=1, minutes=5),
    }
    values.update(fields)
    return AnalysisReport(**values)  # type: ignore[arg-type]


def _render(report: AnalysisReport, *, width: int = 100, verbose: bool = False) -> str:
    console = Console(file=io.StringIO(), no_color=True, width=width)
    render_analysis(console, report, verbose=verbose)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(output, str)
    return output


def test_analysis_report_render_shows_recommendation() -> None:
    text = _render(_report())

    assert 'module.web.aws_instance.app["blue"]' in text
    assert "2024-05-01" in text
    assert "12:00–13:00" in text
    assert "87.4 vs 42.1" in text
    assert "4.2σ (≥ 3.5)" in text
    assert "critical" in text
    assert "suspect: v7 by alice: Bump instance size to m5.large" in text
    assert "Longer body" not in text
    assert "reason:  cpu rose after version 7 changed the instance type." in text
    assert "run:     tfshadow revert 6" in text
    assert "\x1b[" not in text


def test_analysis_report_render_lists_only_non_ok_series() -> None:
    text = _render(_report())

    assert "aws_instance.dev" in text
    assert "aws_instance.few" in text
    assert "inconclusive" in text
    assert "aws_instance.gone" in text
    assert "aws_instance.calm" not in text


def test_analysis_report_render_verbose_lists_every_series() -> None:
    text = _render(_report(), verbose=True)

    assert "aws_instance.calm" in text
    assert "ok detail" in text


def test_analysis_report_render_summary_and_warnings() -> None:
    text = _render(_report())
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]

    assert lines[-1] == (
        "4 series: 1 deviation, 0 predicted breaches, 1 inconclusive, 1 error; 2 warnings"
    )
    assert "warning: metrics/x.csv is missing" in lines
    assert "warning: source agent has no data" in lines


def test_analysis_report_render_summary_pluralises() -> None:
    report = _report(
        verdicts=(
            _verdict("a", "predicted_breach"),
            _verdict("b", "error"),
            _verdict("c", "error"),
            _verdict("d", "deviation"),
            _verdict("e", "deviation"),
        ),
        warnings=("only one",),
    )

    text = _render(report)

    assert "5 series: 2 deviations, 1 predicted breach, 0 inconclusive, 2 errors; 1 warning" in text


def test_analysis_report_render_without_recommendations_or_suspect() -> None:
    empty = _render(_report(recommendations=(), verdicts=(_verdict("a", "ok"),), warnings=()))
    assert "No recommendations: nothing to revert." in empty
    assert "Series" not in empty

    none_fits = _render(_report(recommendations=(_rec(suspect=None, command=None),)))
    assert "suspect: none fits" in none_fits
    assert "run:     nothing: no version fits: nothing to revert to" in none_fits


def test_analysis_report_render_keeps_user_text_literal() -> None:
    suspect = _suspect(author="[red]mallory[/red]", description="[bold]x[/bold] and [link=y]z")
    text = _render(_report(recommendations=(_rec(suspect=suspect),)))

    assert "v7 by [red]mallory[/red]: [bold]x[/bold] and [link=y]z" in text


def test_analysis_report_render_fits_80_columns() -> None:
    report = _report(
        recommendations=(
            _rec(),
            _rec(
                resource="aws_db_instance.main",
                metric="memory",
                kind="predicted_breach",
                severity="warning",
                window_start=datetime(2024, 5, 1, 23, 30, tzinfo=UTC),
                window_end=datetime(2024, 5, 2, 0, 30, tzinfo=UTC),
            ),
        )
    )

    text = _render(report, width=80)

    assert all(len(line) <= 80 for line in text.splitlines())
    # The command and the suspect stay on lines of their own, whole.
    assert "run:     tfshadow revert 6" in text
    assert "suspect: v7 by alice: Bump instance size to m5.large" in text
    assert "…" not in text  # nothing cut with an ellipsis
    assert "predicted breach" in text
    assert "23:30–" in text
    assert "2024-05-02" in text


def test_analysis_report_window_shown_in_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    rec = _rec(
        window_start=datetime(2024, 5, 1, 14, 0, tzinfo=plus_two),
        window_end=datetime(2024, 5, 1, 15, 0, tzinfo=plus_two),
    )

    text = _render(_report(recommendations=(rec,)), width=140)

    assert "2024-05-01" in text and "12:00–13:00" in text
    assert "14:00" not in text


def test_analysis_report_format_number_precision() -> None:
    assert format_number(87.4321) == "87.4"
    assert format_number(42.0) == "42"
    assert format_number(0.012345) == "0.0123"
    assert format_number(12345.6) == "12346"
    assert format_number(-3.14159) == "-3.14"
    assert format_number(0.0) == "0"
    assert format_number(float("nan")) == "n/a"
    assert format_number(2.5e12) == "2.5e+12"


def test_analysis_report_json_shape() -> None:
    report = _report()

    data = analysis_json(report)

    assert list(data) == [
        "analysed_at",
        "sensitivity",
        "summary",
        "recommendations",
        "series",
        "warnings",
        "workspace",
        "marks",
        "alerts_sent",
        "post_mortem",
    ]
    assert data["marks"] == [] and data["alerts_sent"] == 0 and data["post_mortem"] is False
    assert data["analysed_at"] == "2024-05-01T13:05:00Z"
    assert data["sensitivity"] == "medium"
    assert data["summary"] == {
        "series": 4,
        "ok": 1,
        "deviation": 1,
        "predicted_breach": 0,
        "inconclusive": 1,
        "error": 1,
        "warnings": 2,
        "recommendations": 1,
    }
    assert set(VERDICTS) <= set(data["summary"])
    assert data["recommendations"] == [report.recommendations[0].to_json()]
    assert data["series"][2] == {
        "resource": "aws_instance.few",
        "metric": "cpu",
        "source": "prometheus",
        "verdict": "inconclusive",
        "score": None,
        "points": 5,
        "missing": 55,
        "model": "ets",
        "detail": "inconclusive detail",
        "notes": [],
    }
    assert data["warnings"] == ["metrics/x.csv is missing", "source agent has no data"]
    json.dumps(data, allow_nan=False)  # strictly serialisable


def test_analysis_report_json_non_finite_score_is_null() -> None:
    report = _report(verdicts=(_verdict("a", "deviation", score=float("inf")),), analysed_at=None)

    data = analysis_json(report)

    assert data["series"][0]["score"] is None
    assert data["analysed_at"] is None
    json.dumps(data, allow_nan=False)


def test_analysis_report_recommendation_markdown() -> None:
    text = recommendation_markdown(_rec())

    assert text.startswith("#### ")
    assert 'Critical deviation: cpu on module.web.aws\\_instance.app\\["blue"\\]' in text
    assert "| window (UTC) | 2024-05-01 12:00–13:00 |" in text
    assert "| score | 4.2σ (≥ 3.5) |" in text
    assert "| suspect | v7 by alice: Bump instance size to m5.large |" in text
    assert "```sh\ntfshadow revert 6\n```" in text


def test_analysis_report_markdown_escapes_user_text() -> None:
    suspect = _suspect(author="eve`s | bot", description="drop | table `rm -rf` <b>x</b>")
    text = recommendation_markdown(_rec(suspect=suspect))

    row = next(line for line in text.splitlines() if line.startswith("| suspect |"))
    assert row == (
        "| suspect | v7 by eve\\`s \\| bot: drop \\| table \\`rm -rf\\` \\<b\\>x\\</b\\> |"
    )
    # Only the two cell borders remain as unescaped pipes.
    assert len(re.findall(r"(?<!\\)\|", row)) == 3


def test_analysis_report_markdown_fence_outlasts_backticks() -> None:
    text = recommendation_markdown(_rec(command="tfshadow revert 6 ```"))

    assert "````sh\ntfshadow revert 6 ```\n````" in text


def test_analysis_report_analysis_markdown() -> None:
    report = _report(recommendations=(_rec(), _rec(suspect=None, command=None, severity="info")))

    text = analysis_markdown(report)

    lines = text.splitlines()
    assert lines[0] == "### tfshadow analysis"
    header = next(line for line in lines if line.startswith("| resource |"))
    columns = header.count("|") - 1
    rows = [line for line in lines if line.startswith("| module.web")]
    assert len(rows) == 2
    assert all(len(re.findall(r"(?<!\\)\|", row)) - 1 == columns for row in rows)
    assert "| none fits |" in rows[1]
    assert text.count("```sh") == 1
    assert "No version fits: nothing to revert to." in text
    assert "- warning: metrics/x.csv is missing" in text


def test_analysis_report_analysis_markdown_without_recommendations() -> None:
    text = analysis_markdown(_report(recommendations=(), warnings=()))

    assert "No recommendations: nothing to revert." in text
    assert "| resource |" not in text


def test_analysis_report_render_counts_one_point_as_one() -> None:
    one = _verdict("aws_instance.one", "inconclusive", score=None, points=1, missing=59)
    text = _render(_report(verdicts=(one,)), width=160)

    assert "1 point, 59 missing" in text and "1 points" not in text


def test_analysis_report_render_wraps_a_long_reason_under_itself() -> None:
    reason = "cpu rose after version 7 changed the instance type " + "and more words " * 8
    text = _render(_report(recommendations=(_rec(reason=reason.strip()),)), width=60)

    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("   reason:  cpu rose"))
    follow = lines[first + 1]
    assert follow.startswith(" " * 12) and follow[12] != " " and "more words" in follow
    assert all(len(line.rstrip()) <= 60 for line in lines)


def _readme_item(start: str) -> str:
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    at = readme.index(start)
    # To the end of its paragraph or list item.
    end = min(i for i in (readme.find("\n\n", at), readme.find("\n- ", at)) if i > 0)
    return readme[at:end]


def test_analysis_report_json_keys_are_the_readmes() -> None:
    data = analysis_json(_report(extra={"workspace": "default", "marks": [{"version": 1}]}))
    keys = set(data) | set(data["summary"]) | set(data["series"][0])
    keys |= {"version", "mark", "note"}  # a mark, as ops.analyze makes it
    documented = _readme_item("- `tfshadow analyze --json` →")
    rec_doc = _readme_item("`REC` (also each line")

    assert set(re.findall(r'"(\w+)"', documented)) == keys
    for key in _rec().to_json():
        assert f"`{key}`" in rec_doc, key
    for key in ("workspace", "version", "timestamp", "author", "description", "changed_resource"):
        assert f"`{key}`" in rec_doc, key


def test_check_json_keys_are_the_readmes() -> None:
    trigger = TriggerOutcome("web-cpu", "terraform_data.web", "cpu", "fired", "above 80")
    data = check_json(CheckReport(recommendations=[_rec()], triggers=[trigger]))
    documented = _readme_item("- `tfshadow check --json` →")

    assert set(re.findall(r'"(\w+)"', documented)) == (
        set(data) | set(data["triggers"][0]) | {"fired", "quiet", "inconclusive", "error"}
    )


def test_analysis_report_a_named_version_without_a_command_says_the_reason_tells_why() -> None:
    # A fall where only a rise is trouble names its version as information: "no version fits"
    # would say the opposite.
    rec = _rec(command=None, severity="info")
    assert rec.suspect is not None
    text = _render(_report(recommendations=(rec,)))
    assert "run:     nothing: no revert is proposed (see the reason)" in text
    assert "no version fits" not in text
    assert "No revert is proposed (see the reason)." in analysis_markdown(
        _report(recommendations=(rec,))
    )


def test_analysis_report_counts_the_series_in_error_beyond_the_first_few() -> None:
    # A large state where most resources have no metrics file: a row and a warning each would
    # bury the series that matter.
    missing = tuple(
        _verdict(f"terraform_data.worker[{i}]", "error", score=None, points=0, model="")
        for i in range(40)
    )
    report = _report(
        verdicts=(_verdict("aws_instance.dev", "deviation", score=4.23), *missing),
        warnings=tuple(f"no metrics file for terraform_data.worker[{i}]" for i in range(40)),
    )

    text = _render(report)

    assert "aws_instance.dev" in text
    assert "terraform_data.worker[9]" in text and "terraform_data.worker[10]" not in text
    assert "… and 30 more series in error, like those above" in text
    assert "… and 30 more warnings (`-v` shows them all)." in text
    assert text.count("warning: ") == 10
    assert "41 series: 1 deviation, 0 predicted breaches, 0 inconclusive, 40 errors" in text
    every = _render(report, verbose=True)
    assert "terraform_data.worker[39]" in every and "more series" not in every
    assert every.count("warning: ") == 40
