"""Rendering of `tfshadow profile list` and `tfshadow profile validate`.

Lines are :class:`rich.text.Text` with styles only, never markup: profile names, globs and tag
values are user text and print as they are.

JSON shape of ``profiles_json``::

    {"workspace": "default", "version": 3 | null,
     "profiles": [{"name", "line", "resource_types": [...], "resources": [...],
                   "tags": {k: v}, "action", "to", "cooldown": seconds,
                   "triggers": [{"metric", "line", "above", "below", "anomaly", "for": seconds,
                                 "forecast_breach_within": seconds | null}],
                   "matches": [address, …] | null,        # null: no version recorded yet
                   "decided_by": {address: other profile, …}}]}

and of ``validation_json``: ``{"file", "profiles": n, "workspace", "version": n | null,
"warnings": [{"line", "profile", "message"}]}``.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from tfshadow.ops.profiles import ProfileListing, ProfileMatches, ProfileValidation
from tfshadow.settings.analysis import ProfileSettings, TriggerSettings

__all__ = [
    "duration",
    "profiles_json",
    "render_profiles",
    "render_validation",
    "selection",
    "trigger_phrase",
    "validation_json",
    "validation_summary",
]

_ACTION_STYLE = {"recommend": "cyan", "activate_ghost": "bold yellow", "revert": "bold red"}


def render_profiles(console: Console, listing: ProfileListing, filename: str) -> None:
    """Each profile: what it selects, its triggers, its action, and what it covers now."""
    if not listing.profiles:
        _line(console, f"no profile is declared in {filename}")
        return
    for number, matches in enumerate(listing.profiles):
        if number:
            _line(console, "")
        _profile(console, matches, listing, filename)


def _profile(
    console: Console, matches: ProfileMatches, listing: ProfileListing, filename: str
) -> None:
    profile = matches.profile
    title = Text()
    title.append(f'profile "{profile.name}"', style="bold")
    title.append(f"  {filename}:{profile.line}", style="dim")
    _print(console, title)
    _field(console, "selects", selection(profile))
    for index, trigger in enumerate(profile.triggers):
        _field(console, "triggers" if index == 0 else "", trigger_phrase(trigger))
    action = Text()
    action.append(profile.action, style=_ACTION_STYLE.get(profile.action, ""))
    if profile.action == "revert":
        action.append(f" to {_target(profile.to)}")
    elif profile.action == "recommend" and profile.to != "previous":
        action.append(f" a revert to {_target(profile.to)}")
    action.append(f", cooldown {duration(profile.cooldown)}")
    _field(console, "action", action)
    if matches.resources is None:
        _field(console, "matches", Text("no version recorded yet", style="dim"))
        return
    if not matches.resources:
        _field(
            console, "matches", Text(f"no resource in version {listing.version}", style="yellow")
        )
        return
    elsewhere = dict(matches.decided_by)
    cell = Text()
    for index, address in enumerate(matches.resources):
        if index:
            cell.append(", ")
        cell.append(address)
        if address in elsewhere:
            cell.append(f' (profile "{elsewhere[address]}" decides)', style="dim")
    cell.append(f"  version {listing.version}", style="dim")
    _field(console, "matches", cell)


def selection(profile: ProfileSettings) -> str:
    """``types aws_db_instance · resources module.db.* · tags tier=critical``."""
    parts = []
    if profile.resource_types:
        parts.append("types " + ", ".join(profile.resource_types))
    if profile.resources:
        parts.append("resources " + ", ".join(profile.resources))
    if profile.tags:
        parts.append("tags " + ", ".join(f"{k}={v}" for k, v in profile.tags))
    return " · ".join(parts)


def trigger_phrase(trigger: TriggerSettings) -> str:
    """``latency_ms above 250 for 5 min``, ``cpu anomaly (high)``, ``disk forecast above 90
    within 2 h``."""
    if trigger.anomaly is not None or (trigger.above is None and trigger.below is None):
        level = trigger.anomaly
        shown = "" if level is None else f" ({level if isinstance(level, str) else f'{level:g}σ'})"
        return f"{trigger.metric} anomaly{shown}"
    if trigger.above is not None and trigger.below is not None:
        limit = f"outside {trigger.below:g}–{trigger.above:g}"
    elif trigger.above is not None:
        limit = f"above {trigger.above:g}"
    else:
        limit = f"below {trigger.below:g}"
    if trigger.forecast_breach_within is not None:
        return (
            f"{trigger.metric} forecast {limit} within {duration(trigger.forecast_breach_within)}"
        )
    held = f" for {duration(trigger.for_seconds)}" if trigger.for_seconds > 0 else " (latest point)"
    return f"{trigger.metric} {limit}{held}"


def duration(seconds: float) -> str:
    """``30 min``, ``2 h``, ``1.5 d``, ``90 s``."""
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:g} s"


def _target(to: str) -> str:
    return f"version {to}" if to.isdigit() else to


def profiles_json(listing: ProfileListing) -> dict[str, Any]:
    return {
        "workspace": listing.workspace,
        "version": listing.version,
        "profiles": [
            {
                **_profile_json(m.profile),
                "matches": None if m.resources is None else list(m.resources),
                "decided_by": dict(m.decided_by),
            }
            for m in listing.profiles
        ],
    }


def _profile_json(profile: ProfileSettings) -> dict[str, Any]:
    return {
        "name": profile.name,
        "line": profile.line,
        "resource_types": list(profile.resource_types),
        "resources": list(profile.resources),
        "tags": dict(profile.tags),
        "triggers": [
            {
                "metric": t.metric,
                "line": t.line,
                "above": t.above,
                "below": t.below,
                "anomaly": t.anomaly,
                "for": t.for_seconds,
                "forecast_breach_within": t.forecast_breach_within,
            }
            for t in profile.triggers
        ],
        "action": profile.action,
        "to": profile.to,
        "cooldown": profile.cooldown,
    }


def render_validation(console: Console, validation: ProfileValidation, filename: str) -> None:
    """One line per warning, then the summary."""
    for warning in validation.warnings:
        _print(console, Text(warning.one_line(filename), style="yellow"))
    _print(console, Text(validation_summary(validation, filename), style="bold"))


def validation_summary(validation: ProfileValidation, filename: str) -> str:
    """``tfshadow.hcl: 2 profiles valid, 1 warning``."""
    n, m = validation.profiles, len(validation.warnings)
    text = (
        f"{filename}: {n} profile{'' if n == 1 else 's'} valid, {m} warning{'' if m == 1 else 's'}"
    )
    if validation.version is None and n:
        text += " (no version recorded yet: resources not checked)"
    return text


def validation_json(validation: ProfileValidation, filename: str) -> dict[str, Any]:
    return {
        "file": filename,
        "profiles": validation.profiles,
        "workspace": validation.workspace,
        "version": validation.version,
        "warnings": [
            {"line": w.line, "profile": w.profile, "message": w.message}
            for w in validation.warnings
        ],
    }


def _field(console: Console, label: str, value: str | Text) -> None:
    line = Text(f"  {label:<10}", style="dim")
    line.append(value if isinstance(value, Text) else Text(value))
    _print(console, line)


def _line(console: Console, text: str) -> None:
    _print(console, Text(text))


def _print(console: Console, text: Text) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)
