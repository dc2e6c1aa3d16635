"""What an analysis produces: a verdict per series and recommendations (plain data only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

VERDICTS = ("ok", "deviation", "predicted_breach", "inconclusive", "error")
"""``ok``: observed as forecast. ``deviation``: beyond the sensitivity now. ``predicted_breach``:
the forecast crosses a threshold within the horizon. ``inconclusive``: too little or missing data
to tell (never read as a pass). ``error``: the series could not be read."""

SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True)
class Suspect:
    """The shadow version most likely to have caused a deviation."""

    workspace: str
    version: int
    timestamp: str  # ISO 8601, as recorded
    author: str
    description: str
    changed_resource: bool  # whether the version changed the deviating resource itself


@dataclass(frozen=True)
class Recommendation:
    """A reversion recommendation (never acted on by itself).

    ``observed``/``expected`` are the means over the window; ``score`` is in standard deviations
    of the model's own past errors; ``threshold`` the sensitivity it was judged against.
    ``command`` is the proposed command (``tfshadow revert 4``), None when no version fits;
    ``reason`` one sentence saying why, shown to people as is.
    """

    resource: str
    metric: str
    source: str
    kind: str  # "deviation" or "predicted_breach"
    window_start: datetime
    window_end: datetime
    observed: float
    expected: float
    score: float
    threshold: float
    severity: str
    suspect: Suspect | None
    command: str | None
    reason: str
    created: datetime | None = None
    profile: str | None = None  # the reversion profile that decided, when one did
    action: str | None = None  # what was done about it ("reverted to version 3", …)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (ISO timestamps), as logged, printed with ``--json`` and sent."""
        return {
            "resource": self.resource,
            "metric": self.metric,
            "source": self.source,
            "kind": self.kind,
            "window": {"start": _iso(self.window_start), "end": _iso(self.window_end)},
            "observed": _finite(self.observed),
            "expected": _finite(self.expected),
            "score": _finite(self.score),
            "threshold": _finite(self.threshold),
            "severity": self.severity,
            "suspect": None
            if self.suspect is None
            else {
                "workspace": self.suspect.workspace,
                "version": self.suspect.version,
                "timestamp": self.suspect.timestamp,
                "author": self.suspect.author,
                "description": self.suspect.description,
                "changed_resource": self.suspect.changed_resource,
            },
            "command": self.command,
            "reason": self.reason,
            "created": _iso(self.created) if self.created else None,
            "profile": self.profile,
            "action": self.action,
        }


@dataclass(frozen=True)
class SeriesVerdict:
    """How one (resource, metric) series was judged; ``detail`` says why in a phrase."""

    resource: str
    metric: str
    source: str
    verdict: str
    score: float | None = None
    points: int = 0
    missing: int = 0  # points missing or NaN in the analysed window
    model: str = ""
    detail: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnalysisReport:
    """The result of one ``tfshadow analyze``: every verdict, the recommendations, warnings."""

    verdicts: tuple[SeriesVerdict, ...]
    recommendations: tuple[Recommendation, ...]
    warnings: tuple[str, ...] = ()
    analysed_at: datetime | None = None
    sensitivity: str = "medium"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def analysed(self) -> int:
        """Series that were actually judged: not errors, and not empty answers."""
        return sum(
            1
            for v in self.verdicts
            if v.verdict != "error" and not (v.verdict == "inconclusive" and v.points == 0)
        )


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _finite(value: float) -> float | None:
    return None if value != value or value in (float("inf"), float("-inf")) else round(value, 6)
