"""What the webhook has already been told: an ongoing deviation is announced once, not on every
analysis (an `analyze` run every few minutes would otherwise post the same alert each time).

A recommendation is news when no earlier alert covers it: none for the same workspace,
resource, metric and kind, or that alert named another suspect version, or a lower severity
(a warning that became critical is sent again), or its deviation ended before this one began
(a new deviation). The file holds the latest alert per series, so its size follows the number
of series, not of analyses:

    {"<workspace>\\t<resource>\\t<metric>\\t<kind>": {"suspect": n | null, "severity": "…",
     "start": "<ISO>", "end": "<ISO>"}, …}

It is written after the webhook took the message, replaced atomically; an unreadable file is
read as empty, which sends alerts again rather than losing one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tfshadow.atomic_write import replace_file
from tfshadow.forecast.results import SEVERITIES, Recommendation
from tfshadow.moments import parse_stamp

__all__ = ["news", "remember"]


def news(
    path: Path, workspace: str, recommendations: Sequence[Recommendation]
) -> list[Recommendation]:
    """The recommendations no earlier alert recorded at ``path`` covers."""
    sent = _read(path)
    return [rec for rec in recommendations if not _covered(rec, sent.get(_key(workspace, rec)))]


def remember(path: Path, workspace: str, recommendations: Iterable[Recommendation]) -> None:
    """Record ``recommendations`` as alerted. Raises OSError when the file cannot be written."""
    sent = _read(path)
    for rec in recommendations:
        sent[_key(workspace, rec)] = {
            "suspect": rec.suspect.version if rec.suspect is not None else None,
            "severity": rec.severity,
            "start": rec.window_start.isoformat(),
            "end": rec.window_end.isoformat(),
        }
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, json.dumps(sent, sort_keys=True), mode=0o600)


def _key(workspace: str, rec: Recommendation) -> str:
    return "\t".join((workspace, rec.resource, rec.metric, rec.kind))


def _covered(rec: Recommendation, earlier: Any) -> bool:
    if not isinstance(earlier, dict):
        return False
    suspect = rec.suspect.version if rec.suspect is not None else None
    ended = parse_stamp(earlier.get("end"))
    return (
        ended is not None
        and earlier.get("suspect") == suspect
        and _rank(rec.severity) <= _rank(str(earlier.get("severity")))
        and rec.window_start <= ended
    )


def _rank(severity: str) -> int:
    # An unknown severity ranks above every known one: sent rather than held back.
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def _read(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}
