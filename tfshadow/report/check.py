"""Rendering of `tfshadow check` and of each `tfshadow watch` cycle."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.text import Text

from tfshadow.ops.check import CheckReport
from tfshadow.report.analysis import print_line, render_recommendations
from tfshadow.report.tables import print_unwrapped
from tfshadow.report.text import one_line


def render_check(console: Console, report: CheckReport) -> None:
    """Recommendations with the profile that decided and what was done, the triggers that did
    not simply stay quiet, warnings, and a summary line."""
    render_recommendations(console, report.recommendations)
    notable = [t for t in report.triggers if t.state != "quiet" or t.detail.startswith("muted")]
    if notable:
        print_line(console, "")
        print_line(console, "Triggers", "bold")
        for t in notable:
            where = f"{t.profile}: " if t.profile else ""
            print_line(console, f"  {where}{t.resource} {t.metric}: {t.state}: {t.detail}")
    for action in report.actions:
        print_line(console, f"action: {action}", "bold")
    for warning in report.warnings:
        print_unwrapped(console, Text(f"warning: {one_line(warning)}", style="yellow"))
    print_line(console, "")
    print_line(console, summary(report), "bold")


def render_cycle(console: Console, number: int, report: CheckReport) -> None:
    """One watch cycle: a timestamped summary, then any action and recommendation."""
    moment = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    # A watch's output is a log: each line stays whole (not wrapped at 80 columns when piped), so
    # that grep finds a cycle's summary and a revert's version on the line it is after.
    print_unwrapped(console, Text(f"[{moment} UTC] cycle {number}: {summary(report)}", "bold"))
    for action in report.actions:
        print_unwrapped(console, Text(f"  action: {action}", "bold"))
    for rec in report.recommendations:
        print_unwrapped(
            console,
            Text(f"  {rec.severity}: {rec.resource} {rec.metric} ({rec.profile}): {rec.action}"),
        )
    for warning in report.warnings:
        print_unwrapped(console, Text(f"  warning: {one_line(warning)}", style="yellow"))


def summary(report: CheckReport) -> str:
    states = Counter(t.state for t in report.triggers)
    parts = [f"{states[s]} {s}" for s in ("fired", "quiet", "inconclusive", "error") if states[s]]
    triggers = ", ".join(parts) if parts else "no trigger evaluated"
    failing = len(report.failing)
    return (
        f"{len(report.triggers)} trigger{'s' if len(report.triggers) != 1 else ''} ({triggers}); "
        f"{len(report.recommendations)} "
        f"recommendation{'s' if len(report.recommendations) != 1 else ''}, {failing} open at or "
        f"above {report.fail_on}; {len(report.actions)} "
        f"action{'s' if len(report.actions) != 1 else ''}"
    )


def check_json(report: CheckReport) -> dict[str, Any]:
    """``{"recommendations": [...], "triggers": [...], "actions": [...], "warnings": [...],
    "fail_on", "failing", "exit_code"}``."""
    return {
        "recommendations": [r.to_json() for r in report.recommendations],
        "triggers": [
            {
                "profile": t.profile,
                "resource": t.resource,
                "metric": t.metric,
                "state": t.state,
                "detail": t.detail,
            }
            for t in report.triggers
        ],
        "actions": list(report.actions),
        "warnings": list(report.warnings),
        "fail_on": report.fail_on,
        "failing": len(report.failing),
        "exit_code": report.exit_code,
    }
