"""Rendering of a plan report (:class:`~tfshadow.ops.plan.PlanReport`): markdown, JSON, text.

Markdown is GitHub-flavoured, for a pull request comment: it begins with the hidden marker
:data:`MARKER`, by which the comment poster finds its own comment again. Lists longer than
:data:`FOLD_AFTER` rows are folded in ``<details>``. User text (addresses, descriptions) is made
inert: it can neither break a table nor become markup.

JSON shape (``plan_json``)::

    {"workspace": "default", "created": "2024-05-01T12:00:00Z", "terraform_version": "1.15.5",
     "summary": {"add": n, "change": n, "destroy": n},
     "changes": [{"address", "mode", "type", "action", "attributes": ["name", …],
                  "coverage": {"profile", "action", "to", "also": [...]} | null}, …],
     "profiles": n,
     "recommendations": [{"resource", "metric", "severity", "created", "command",
                          "acted": {"version", "reverted_to", "profile"} | null}, …],
     "revert_point": {"version", "timestamp", "description", "command"} | null,
     "store": true | false,
     "ghosts": [],
     "warnings": ["…", …]}

``attributes`` are the names of the top-level attributes an update or a replacement changes;
no value of the plan appears anywhere. ``acted`` is null while a recommendation is pending;
once a revert handled it, the version it went back to, the revert version that did it (null
when none was recorded) and the reversion profile whose action it was (or null). A handled
recommendation shows what was done instead of its command, which must not be run again.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tfshadow.ops.plan import (
    RECOMMENDATION_WINDOW,
    Acted,
    PlanReport,
    RecentRecommendation,
    ResourceChange,
)
from tfshadow.report.tables import print_plain, print_unwrapped, titled_table
from tfshadow.report.text import first_line, iso, one_line, plural, utc

__all__ = [
    "FOLD_AFTER",
    "FORMATS",
    "MARKER",
    "plan_json",
    "plan_markdown",
    "plan_text",
    "render",
    "render_plan",
    "summary_line",
]

MARKER = "<!-- tfshadow:plan -->"
FORMATS = ("markdown", "json", "text")
FOLD_AFTER = 10

_SYMBOL = {
    "create": "+",
    "update": "~",
    "delete": "-",
    "replace": "-/+",
    "read": "<=",
    "forget": ".",
}
_STYLE = {
    "create": "green",
    "update": "yellow",
    "delete": "red",
    "replace": "bold red",
    "read": "cyan",
    "forget": "magenta",
}
_SEVERITY_ICON = {"critical": "🔴", "warning": "🟠", "info": "🔵"}
_SEVERITY_STYLE = {"critical": "bold red", "warning": "bold yellow", "info": "cyan"}
_MARKDOWN_SPECIAL = re.compile(r"([\\`|*_\[\]<>#~])")
_NO_GHOSTS = "No ghost instances enabled."
_COUNTED = frozenset({"create", "update", "delete", "replace"})  # what Terraform's summary counts


def render(report: PlanReport, fmt: str, *, color: bool = False) -> str:
    """The report in ``fmt`` (one of :data:`FORMATS`) as text ending in a newline."""
    if fmt == "markdown":
        return plan_markdown(report)
    if fmt == "json":
        return json.dumps(plan_json(report), indent=2, ensure_ascii=False) + "\n"
    if fmt == "text":
        return plan_text(report, color=color)
    raise ValueError(f"unknown report format {fmt!r}")


def summary_line(report: PlanReport) -> str:
    """``Plan: 1 to add, 2 to change, 0 to destroy.`` (``No changes.`` when there are none)."""
    if not report.changes:
        return "No changes."
    add, change, destroy = report.counts
    line = f"Plan: {add} to add, {change} to change, {destroy} to destroy."
    others = [c for c in report.changes if c.action not in _COUNTED]
    if others:
        line += f" ({len(others)} other: {', '.join(sorted({c.action for c in others}))})"
    return line


# --- JSON --------------------------------------------------------------------------------------


def plan_json(report: PlanReport) -> dict[str, Any]:
    """The report as JSON-ready data; the shape is in this module's docstring."""
    add, change, destroy = report.counts
    point = report.revert_point
    return {
        "workspace": report.workspace,
        "created": iso(report.created),
        "terraform_version": report.terraform_version,
        "summary": {"add": add, "change": change, "destroy": destroy},
        "changes": [_change_json(c) for c in report.changes],
        "profiles": report.profiles,
        "recommendations": [
            {
                "resource": r.resource,
                "metric": r.metric,
                "severity": r.severity,
                "created": iso(r.created) if r.created else None,
                "command": r.command,
                "acted": None
                if r.acted is None
                else {
                    "version": r.acted.version,
                    "reverted_to": r.acted.reverted_to,
                    "profile": r.acted.profile,
                },
            }
            for r in report.recommendations
        ],
        "revert_point": None
        if point is None
        else {
            "version": point.version,
            "timestamp": point.timestamp,
            "description": point.description,
            "command": point.command,
        },
        "store": report.has_store,
        "ghosts": list(report.ghosts),
        "warnings": list(report.warnings),
    }


def _change_json(change: ResourceChange) -> dict[str, Any]:
    cov = change.coverage
    return {
        "address": change.address,
        "mode": change.mode,
        "type": change.type,
        "action": change.action,
        "attributes": list(change.attributes),
        "coverage": None
        if cov is None
        else {"profile": cov.profile, "action": cov.action, "to": cov.to, "also": list(cov.also)},
    }


# --- markdown ----------------------------------------------------------------------------------


def plan_markdown(report: PlanReport) -> str:
    """The PR comment: marker, heading, summary, changes table, recommendations, revert point,
    ghosts."""
    lines = [
        MARKER,
        f"### tfshadow plan: workspace {_code(report.workspace)}",
        "",
        f"**{_md(summary_line(report))}**",
    ]
    if report.changes:
        table = [
            "| | resource | action | changed attributes | profile |",
            "| --- | --- | --- | --- | --- |",
        ]
        for c in report.changes:
            attributes = ", ".join(_code(a) for a in c.attributes)
            table.append(
                f"| {_code(_SYMBOL.get(c.action, '?'))} | {_code(c.address)} | {_md(c.action)} "
                f"| {attributes} | {_coverage_markdown(c)} |"
            )
        lines += ["", *_fold(table, plural(len(report.changes), "resource change"))]
    if report.changes and not report.profiles:
        lines += ["", "No reversion profile is declared in `tfshadow.hcl`."]

    lines += ["", f"#### Recommendations ({_window_words()})", ""]
    if report.recommendations:
        table = [
            "| resource | metric | severity | created (UTC) | proposed |",
            "| --- | --- | --- | --- | --- |",
        ]
        for r in report.recommendations:
            icon = _SEVERITY_ICON.get(r.severity, "⚪")
            table.append(
                f"| {_code(r.resource)} | {_md(r.metric)} | {icon} {_md(r.severity)} "
                f"| {_when(r.created)} | {_proposed_markdown(r)} |"
            )
        lines += _fold(table, plural(len(report.recommendations), "recommendation"))
    else:
        lines.append(_no_recommendations(report))

    lines += ["", "#### Revert point", "", _revert_markdown(report)]
    lines += ["", "#### Ghosts", ""]
    if report.ghosts:
        lines += [
            f"- {_code(address)}: a stopped ghost stands by "
            f"({_code('tfshadow ghost activate ' + address)})"
            for address in report.ghosts
        ]
    else:
        lines.append(_NO_GHOSTS)
    if report.warnings:
        lines += [""] + [f"- warning: {_md(w)}" for w in report.warnings]
    return "\n".join(lines) + "\n"


def _coverage_markdown(change: ResourceChange) -> str:
    cov = change.coverage
    if cov is None:
        return "none"
    text = f"{_code(cov.profile)} ({_md(_profile_words(cov.action, cov.to))})"
    if cov.also:
        text += f"; also {', '.join(_code(name) for name in cov.also)}"
    return text


def _proposed_markdown(rec: RecentRecommendation) -> str:
    if rec.acted is not None:
        return _md(_handled_words(rec.acted))
    return _code(rec.command) if rec.command else _nothing(rec)


def _revert_markdown(report: PlanReport) -> str:
    point = report.revert_point
    if point is None:
        return _md(_no_revert_point(report))
    description = first_line(point.description)
    facts = f"version {point.version}, recorded {_md(point.timestamp)}"
    if description:
        facts += f": {_md(description)}"
    return f"If this change misbehaves: {_code(point.command)} ({facts})."


def _fold(lines: list[str], summary: str) -> list[str]:
    if len(lines) - 2 <= FOLD_AFTER:
        return lines
    return [f"<details><summary>{_md(summary)}</summary>", "", *lines, "", "</details>"]


# --- text --------------------------------------------------------------------------------------


def plan_text(report: PlanReport, *, color: bool = False, width: int = 100) -> str:
    """The report as terminal text, rendered off-screen (plain unless ``color``)."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        no_color=not color,
        force_terminal=color,
        highlight=False,
        soft_wrap=False,
    )
    render_plan(console, report)
    return buffer.getvalue()


def render_plan(console: Console, report: PlanReport) -> None:
    """The changes with their profiles, the recent recommendations, the revert point, ghosts."""
    print_plain(console, Text(f"tfshadow plan report: workspace {report.workspace}", style="bold"))
    print_plain(console, Text(summary_line(report)))
    if report.changes:
        print_plain(console, Text())
        print_plain(console, _changes_table(report.changes))
        if not report.profiles:
            print_plain(
                console, Text("No reversion profile is declared in tfshadow.hcl.", style="dim")
            )
    print_plain(console, Text())
    if report.recommendations:
        table = titled_table(f"Recommendations ({_window_words()})")
        for name in ("resource", "metric", "severity", "created (UTC)", "proposed"):
            table.add_column(name, overflow="fold")
        for r in report.recommendations:
            table.add_row(
                Text(r.resource),
                Text(r.metric),
                Text(r.severity, style=_SEVERITY_STYLE.get(r.severity, "bold")),
                Text(_when(r.created)),
                _proposed_text(r),
            )
        print_plain(console, table)
    else:
        print_plain(console, Text(_no_recommendations(report)))
    print_plain(console, Text())
    point = report.revert_point
    if point is None:
        print_plain(console, Text(_no_revert_point(report)))
    else:
        line = Text("If this change misbehaves: ")
        line.append(point.command, style="bold")
        description = first_line(point.description)
        line.append(
            f" (version {point.version}, recorded {point.timestamp}"
            + (f": {description})" if description else ")")
        )
        print_plain(console, line)
    if report.ghosts:
        for address in report.ghosts:
            print_plain(
                console, Text(f"Ghost standing by for {address}: tfshadow ghost activate {address}")
            )
    else:
        print_plain(console, Text(_NO_GHOSTS))
    for warning in report.warnings:
        print_unwrapped(console, Text(f"warning: {one_line(warning)}", style="yellow"))


def _proposed_text(rec: RecentRecommendation) -> Text:
    if rec.acted is not None:
        return Text(_handled_words(rec.acted), style="green")
    return Text(rec.command or _nothing(rec), style="bold" if rec.command else "dim")


def _nothing(rec: RecentRecommendation) -> str:
    """What stands for a command when none is proposed: a version named without one (none
    older kept, a side that is no trouble for the metric) is no version that fails to fit."""
    return "none proposed" if rec.named else "nothing fits"


def _changes_table(changes: Sequence[ResourceChange]) -> Table:
    table = titled_table("Changes")
    table.add_column("", no_wrap=True)
    table.add_column("resource", overflow="fold")
    table.add_column("action", no_wrap=True)
    table.add_column("changed attributes", overflow="fold")
    table.add_column("profile", overflow="fold")
    for c in changes:
        style = _STYLE.get(c.action, "")
        cov = c.coverage
        if cov is None:
            profile = Text("none", style="dim")
        else:
            profile = Text(cov.profile, style="bold")
            profile.append(f" ({_profile_words(cov.action, cov.to)})")
            if cov.also:
                profile.append(f"; also {', '.join(cov.also)}")
        table.add_row(
            Text(_SYMBOL.get(c.action, "?"), style=style),
            Text(c.address),
            Text(c.action, style=style),
            Text(", ".join(c.attributes)),
            profile,
        )
    return table


# --- words -------------------------------------------------------------------------------------


def _profile_words(action: str, to: str) -> str:
    if action == "revert":
        return f"revert to {to}"
    return action.replace("_", " ")


def _handled_words(acted: Acted) -> str:
    """``handled: reverted to v3 by v7 (profile web-cpu)``: what was done instead of the
    command, which must not be run again."""
    words = f"handled: reverted to v{acted.reverted_to}"
    if acted.version is not None:
        words += f" by v{acted.version}"
    if acted.profile is not None:
        words += f" (profile {acted.profile})"
    return words


def _no_recommendations(report: PlanReport) -> str:
    if not report.changes:
        return "No resource changes, so no recommendations to show."
    return f"No recommendations on these resources in the {_window_words()}."


def _no_revert_point(report: PlanReport) -> str:
    if not report.has_store:
        return "No shadow store here yet: the first `tfshadow apply` records version 1."
    return f"No shadow version in workspace {report.workspace} yet: nothing to revert to."


def _window_words() -> str:
    days = RECOMMENDATION_WINDOW.days
    return f"last {days} days" if days != 1 else "last day"


def _when(moment: datetime | None) -> str:
    return utc(moment).strftime("%Y-%m-%d %H:%M") if moment else "unknown"


def _md(text: str) -> str:
    """User text made inert in markdown and safe inside a table cell (one line, ``\\|``)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text))


def _code(text: str) -> str:
    """A code span holding ``text`` literally, safe inside a table cell."""
    body = one_line(text).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    # A span that starts or ends with a backtick needs a space inside its fence.
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{fence}{pad}{body}{pad}{fence}"
