"""Rendering of an analysis: the terminal tables, ``--json`` and markdown for PR comments.

Terminal output is built from :class:`rich.text.Text` cells with styles only, never markup, so
user text (a version's description, an author's name) prints as it is: ``[bold]`` in a
description stays literal text, like :func:`rich.markup.escape` would leave it. A console without
colour gets plain text. Windows are shown in UTC as ``2024-05-01 12:00–13:00``.

JSON shape (``analysis_json``)::

    {"analysed_at": "2024-05-01T12:00:00Z" | null,
     "sensitivity": "medium" | "3.5",
     "summary": {"series": n, "ok": n, "deviation": n, "predicted_breach": n,
                 "inconclusive": n, "error": n, "warnings": n, "recommendations": n},
     "recommendations": [Recommendation.to_json(), …],
     "series": [{"resource", "metric", "source", "verdict", "score", "points", "missing",
                 "model", "detail", "notes"}, …],
     "warnings": ["…", …],
     "workspace": "default",
     "marks": [{"version": n, "mark": "good" | "suspect", "note": "…"}, …],
     "alerts_sent": n,
     "post_mortem": false | true}

Every verdict name of :data:`~tfshadow.forecast.results.VERDICTS` is always present in
``summary``; a score that is not a finite number is ``null``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tfshadow.forecast.results import VERDICTS, AnalysisReport, Recommendation, SeriesVerdict
from tfshadow.report.tables import print_plain, print_unwrapped, titled_table
from tfshadow.report.text import first_line, iso, one_line, plural, utc

__all__ = [
    "analysis_json",
    "analysis_markdown",
    "format_number",
    "format_score",
    "format_window",
    "recommendation_markdown",
    "render_analysis",
    "summary_line",
]

_SEVERITY_STYLE = {"critical": "bold red", "warning": "bold yellow", "info": "cyan"}
_VERDICT_STYLE = {
    "ok": "green",
    "deviation": "bold red",
    "predicted_breach": "bold yellow",
    "inconclusive": "yellow",
    "error": "red",
}
_SEVERITY_ICON = {"critical": "🔴", "warning": "🟠", "info": "🔵"}
_KIND_WORDS = {
    "deviation": "deviation",
    "predicted_breach": "predicted breach",
    "threshold": "limit crossed",
}
_NO_SUSPECT = "none fits"
POST_MORTEM = (
    "post-mortem (--until in the past): nothing was logged, posted to the webhook or marked"
)
# Characters with a meaning in GitHub markdown (and HTML, which GitHub renders in comments).
_MARKDOWN_SPECIAL = re.compile(r"([\\`|*_\[\]<>#~])")


# --- terminal ----------------------------------------------------------------------------------


# Without -v, at most this many series in error, and warnings, are listed; the rest counted.
ERRORS_SHOWN = 10


def render_analysis(console: Console, report: AnalysisReport, *, verbose: bool = False) -> None:
    """The recommendations, the series that were not ok (all with ``verbose``; at most
    :data:`ERRORS_SHOWN` in error without it, the others counted), the warnings (as many), and
    a one-line summary.

    Each recommendation is a numbered row of the table; its suspect, reason and proposed command
    follow the table on lines of their own, so the command is never wrapped and copies whole.
    """
    render_recommendations(console, report.recommendations)

    shown = [v for v in report.verdicts if verbose or v.verdict != "ok"]
    errors = [v for v in shown if v.verdict == "error"]
    left_out = len(errors) - ERRORS_SHOWN if not verbose and len(errors) > ERRORS_SHOWN else 0
    if left_out:
        # Thousands of resources without metrics (most of a large state, by design) would bury
        # the series that matter: a few stand for the others, which -v and --json list.
        dropped = {id(v) for v in errors[ERRORS_SHOWN:]}
        shown = [v for v in shown if id(v) not in dropped]
    if shown:
        print_plain(console, Text())
        print_plain(console, _verdicts_table(shown, console.width))
    if left_out:
        print_line(
            console,
            f"… and {plural(left_out, 'more series', 'more series')} in error, like those above "
            "(`tfshadow analyze -v` lists every series, `--json` each one's detail).",
            style="dim",
        )
    warnings = report.warnings
    if not verbose and len(warnings) > ERRORS_SHOWN:
        warnings = warnings[:ERRORS_SHOWN]
    if warnings:
        print_plain(console, Text())
    for warning in warnings:
        print_unwrapped(console, Text(f"warning: {one_line(warning)}", style="yellow"))
    if len(warnings) < len(report.warnings):
        print_line(
            console,
            f"… and {plural(len(report.warnings) - len(warnings), 'more warning')} "
            "(`-v` shows them all).",
            style="dim",
        )
    print_plain(console, Text())
    print_plain(console, Text(summary_line(report), style="bold"))
    if report.extra.get("post_mortem"):
        print_unwrapped(console, Text(POST_MORTEM))


def render_recommendations(console: Console, recommendations: Sequence[Recommendation]) -> None:
    """The recommendations table and each one's details, or a line saying there are none."""
    if not recommendations:
        print_plain(console, Text("No recommendations: nothing to revert.", style="bold green"))
        return
    print_plain(console, _recommendations_table(tuple(recommendations), console.width))
    for number, rec in enumerate(recommendations, 1):
        for line in _details(number, rec):
            print_plain(console, line)


def print_line(console: Console, text: str, style: str = "") -> None:
    """One line of plain text (never read as markup)."""
    print_plain(console, Text(text, style=style))


def summary_line(report: AnalysisReport) -> str:
    """``12 series: 1 deviation, 0 predicted breaches, 2 inconclusive, 1 error; 3 warnings``
    (every series counts, errors included, so the parts add up with the ok ones)."""
    counts = Counter(v.verdict for v in report.verdicts)
    parts = [
        plural(counts["deviation"], "deviation"),
        plural(counts["predicted_breach"], "predicted breach", "predicted breaches"),
        f"{counts['inconclusive']} inconclusive",
        plural(counts["error"], "error"),
    ]
    return (
        f"{plural(len(report.verdicts), 'series', 'series')}: {', '.join(parts)}; "
        f"{plural(len(report.warnings), 'warning')}"
    )


def format_window(start: datetime, end: datetime) -> str:
    """``2024-05-01 12:00–13:00`` in UTC; the end date is repeated when the day changes."""
    start, end = utc(start), utc(end)
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M}–{end:%Y-%m-%d %H:%M}"


def format_number(value: float) -> str:
    """Three significant digits without an exponent for everyday magnitudes (``87.4``,
    ``0.0123``, ``12345``); ``n/a`` for a value that is not a finite number."""
    if not math.isfinite(value):
        return "n/a"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e9 or magnitude < 1e-4:
        return f"{value:.3g}"
    if magnitude >= 1000:
        return f"{value:.0f}"
    decimals = max(0, 2 - math.floor(math.log10(magnitude)))
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_score(score: float, threshold: float) -> str:
    """``4.2σ (≥ 3.5)``: the score in standard deviations and the sensitivity it crossed."""
    shown = f"{score:.1f}σ" if math.isfinite(score) else "n/a"
    return f"{shown} (≥ {format_number(threshold)})"


def _recommendations_table(recommendations: tuple[Recommendation, ...], width: int) -> Table:
    """The headline per recommendation; its window, suspect, reason and command follow below."""
    room = _address_width(recommendations, width - 48)
    table = titled_table("Recommendations")
    table.add_column("#", justify="right")
    table.add_column("resource", overflow="fold", min_width=room, max_width=room)
    table.add_column("metric", overflow="fold")
    table.add_column("severity", no_wrap=True)
    table.add_column("score", no_wrap=True)
    table.add_column("observed vs expected", overflow="fold", max_width=20)
    for number, rec in enumerate(recommendations, 1):
        table.add_row(
            Text(str(number)),
            Text(rec.resource),
            Text(rec.metric),
            Text(rec.severity, style=_SEVERITY_STYLE.get(rec.severity, "bold")),
            Text(format_score(rec.score, rec.threshold)),
            Text(f"{format_number(rec.observed)} vs {format_number(rec.expected)}"),
        )
    return table


def _address_width(rows: Sequence[Recommendation] | Sequence[SeriesVerdict], room: int) -> int:
    """Addresses stay on one line when the other columns leave ``room``; longer ones fold."""
    return max(8, min(room, max((len(r.resource) for r in rows), default=8)))


def _labelled(label: str, value: Text) -> Table:
    """``   label:   value``, the value wrapping under itself rather than under the label."""
    grid = Table.grid()
    grid.add_column(no_wrap=True)
    grid.add_column()
    grid.add_row(Text(f"   {label + ':':<9}"), value)
    return grid


def _details(number: int, rec: Recommendation) -> list[Text | Table]:
    head = Text(f"{number}. ", style="bold")
    head.append(rec.resource, style="bold")
    head.append(f" {rec.metric}: {_KIND_WORDS.get(rec.kind, rec.kind)}")
    start, end = utc(rec.window_start), utc(rec.window_end)
    lines: list[Text | Table] = [
        Text(),
        head,
        _labelled("window", Text(f"{format_window(start, end)} UTC")),
        _labelled("suspect", _suspect_text(rec)),
    ]
    if rec.reason:
        lines.append(_labelled("reason", Text(one_line(rec.reason))))
    if rec.profile:
        lines.append(_labelled("profile", Text(rec.profile)))
    if rec.action:
        lines.append(_labelled("action", Text(rec.action)))
    if rec.command:
        lines.append(_labelled("run", Text(rec.command, style="bold")))
    else:
        lines.append(_labelled("run", Text(f"nothing: {_no_command(rec)}", style="dim")))
    return lines


def _no_command(rec: Recommendation) -> str:
    """Why no command is proposed: no version fits, or (a version named) the reason says why
    none is proposed for it (no earlier version kept, a side that is no trouble)."""
    if rec.suspect is None:
        return "no version fits: nothing to revert to"
    return "no revert is proposed (see the reason)"


def _verdicts_table(verdicts: list[SeriesVerdict], width: int) -> Table:
    room = _address_width(verdicts, width - 46)
    table = titled_table("Series")
    table.add_column("resource", overflow="fold", min_width=room, max_width=room)
    table.add_column("metric", overflow="fold")
    table.add_column("verdict", no_wrap=True)
    table.add_column("detail", overflow="fold", min_width=20, ratio=1)
    for verdict in verdicts:
        detail = Text(one_line(verdict.detail))
        facts = [f"{verdict.points} point{'' if verdict.points == 1 else 's'}"]
        if verdict.missing:
            facts.append(f"{verdict.missing} missing")
        if verdict.model:
            facts.append(verdict.model)
        # Resampling and skipped rows are said here; missing points are counted above.
        facts.extend(n for n in verdict.notes if "points missing" not in n)
        detail.append(f" ({', '.join(facts)})", style="dim")
        table.add_row(
            Text(verdict.resource),
            Text(verdict.metric),
            Text(verdict.verdict, style=_VERDICT_STYLE.get(verdict.verdict, "")),
            detail,
        )
    return table


def _suspect_text(rec: Recommendation) -> Text:
    suspect = rec.suspect
    if suspect is None:
        return Text(_NO_SUSPECT, style="dim")
    text = Text(f"v{suspect.version}", style="bold yellow")
    text.append(" by ")
    text.append(suspect.author or "unknown", style="cyan")
    description = first_line(suspect.description)
    if description:
        text.append(f": {description}")
    return text


# --- JSON --------------------------------------------------------------------------------------


def analysis_json(report: AnalysisReport) -> dict[str, Any]:
    """The report as plain JSON-ready data; the shape is in this module's docstring."""
    counts = Counter(v.verdict for v in report.verdicts)
    summary: dict[str, int] = {"series": len(report.verdicts)}
    summary.update({verdict: counts[verdict] for verdict in VERDICTS})
    summary["warnings"] = len(report.warnings)
    summary["recommendations"] = len(report.recommendations)
    return {
        "analysed_at": iso(report.analysed_at) if report.analysed_at else None,
        "sensitivity": str(report.sensitivity),
        "summary": summary,
        "recommendations": [rec.to_json() for rec in report.recommendations],
        "series": [_verdict_json(v) for v in report.verdicts],
        "warnings": list(report.warnings),
        # What the run did besides judging: the workspace, version marks, alerts sent.
        "workspace": report.extra.get("workspace"),
        "marks": list(report.extra.get("marks", [])),
        "alerts_sent": report.extra.get("alerts_sent", 0),
        # An --until in the past: nothing above was logged, posted or marked.
        "post_mortem": bool(report.extra.get("post_mortem", False)),
    }


def _verdict_json(verdict: SeriesVerdict) -> dict[str, Any]:
    score = verdict.score
    return {
        "resource": verdict.resource,
        "metric": verdict.metric,
        "source": verdict.source,
        "verdict": verdict.verdict,
        "score": round(score, 6) if score is not None and math.isfinite(score) else None,
        "points": verdict.points,
        "missing": verdict.missing,
        "model": verdict.model,
        "detail": verdict.detail,
        "notes": list(verdict.notes),
    }


# --- markdown ----------------------------------------------------------------------------------


def recommendation_markdown(rec: Recommendation) -> str:
    """One recommendation as a GitHub markdown section: heading, facts, reason, command."""
    icon = _SEVERITY_ICON.get(rec.severity, "⚪")
    kind = _KIND_WORDS.get(rec.kind, rec.kind)
    lines = [
        f"#### {icon} {_md(rec.severity.capitalize())} {_md(kind)}: "
        f"{_md(rec.metric)} on {_md(rec.resource)}",
        "",
        "| | |",
        "| --- | --- |",
        f"| window (UTC) | {format_window(rec.window_start, rec.window_end)} |",
        f"| observed | {format_number(rec.observed)} (expected {format_number(rec.expected)}) |",
        f"| score | {format_score(rec.score, rec.threshold)} |",
        f"| suspect | {_suspect_markdown(rec)} |",
    ]
    if rec.reason:
        lines += ["", _md(one_line(rec.reason))]
    if rec.command:
        fence = _fence(rec.command)
        lines += ["", f"{fence}sh", rec.command, fence]
    else:
        lines += ["", f"{_no_command(rec).capitalize()}."]
    return "\n".join(lines) + "\n"


def analysis_markdown(report: AnalysisReport) -> str:
    """A short PR comment: heading, summary, a table of recommendations, then each one."""
    lines = ["### tfshadow analysis", "", _md(summary_line(report))]
    if report.recommendations:
        lines += [
            "",
            "| resource | metric | window (UTC) | observed | expected | score | severity "
            "| suspect |",
            "| --- | --- | --- | ---: | ---: | --- | --- | --- |",
        ]
        for rec in report.recommendations:
            lines.append(
                f"| {_md(rec.resource)} | {_md(rec.metric)} "
                f"| {format_window(rec.window_start, rec.window_end)} "
                f"| {format_number(rec.observed)} | {format_number(rec.expected)} "
                f"| {format_score(rec.score, rec.threshold)} | {_md(rec.severity)} "
                f"| {_suspect_markdown(rec)} |"
            )
        for rec in report.recommendations:
            lines += ["", recommendation_markdown(rec).rstrip("\n")]
    else:
        lines += ["", "No recommendations: nothing to revert."]
    if report.warnings:
        lines += [""] + [f"- warning: {_md(one_line(w))}" for w in report.warnings]
    return "\n".join(lines) + "\n"


def _suspect_markdown(rec: Recommendation) -> str:
    suspect = rec.suspect
    if suspect is None:
        return _NO_SUSPECT
    text = f"v{suspect.version} by {_md(suspect.author or 'unknown')}"
    description = first_line(suspect.description)
    return f"{text}: {_md(description)}" if description else text


def _md(text: str) -> str:
    """User text made inert in markdown and safe inside a table cell (one line, ``\\|``)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text))


def _fence(body: str) -> str:
    # A fence must be longer than any run of backticks inside the block.
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    return "`" * max(3, longest + 1)


# --- helpers -----------------------------------------------------------------------------------
