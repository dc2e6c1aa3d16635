"""Which shadow version most likely caused a deviation, and what to run about it.

A version is a suspect when it was applied within ``window`` seconds before the deviation began (or
a little after: five minutes, or two sampling steps of a coarser series, since the start of a
departure is only known to a step or so). On a coarse series the window reaches back at least
:data:`EARLY_STEPS` sampling steps: the start is dated from the errors, and those of a slow change
(a leak, a burst of noise) stand out only some points after it began (a median 7–9 points, up to
about 20, on the evaluation set), so an hourly metric's deviation would otherwise never find the
version that caused it. A revert applied after the departure began is never a suspect: it
answers the departure. Of the suspects, a version that changed the deviating resource itself beats
one that did not; then one applied before the series was seen departed beats one
applied after it, which cannot have started it (two applies a minute apart, the change showing
between them); then the latest wins, being the last change before the departure. A revert goes
back to the version before the suspect, or to the newest version marked good when that is older.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tfshadow.forecast.engine import Finding
from tfshadow.forecast.results import Recommendation, Suspect
from tfshadow.moments import parse_stamp
from tfshadow.state.addresses import resource_of

LATE_MARGIN = timedelta(minutes=5)
EARLY_STEPS = 24


@dataclass(frozen=True)
class VersionInfo:
    """What attribution reads of a version's metadata."""

    workspace: str
    version: int
    applied: datetime
    author: str
    description: str
    addresses: frozenset[str]
    outcome: str = "success"
    kind: str = "apply"

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> VersionInfo | None:
        """From a stored ``meta.json``; None when it has no usable timestamp."""
        applied = parse_stamp(meta.get("timestamp"))
        if applied is None:
            return None
        changes = meta.get("changes") or {}
        addresses = changes.get("addresses") or []
        flat: set[str] = set()
        if isinstance(addresses, Mapping):
            for group in addresses.values():
                flat.update(str(a) for a in group)
        else:
            flat.update(str(a) for a in addresses)
        return cls(
            workspace=str(meta.get("workspace", "default")),
            version=int(meta["version"]),
            applied=applied,
            author=_author_name(meta.get("author")),
            description=str(meta.get("description", "")),
            addresses=frozenset(flat),
            outcome=str(meta.get("outcome", "success")),
            kind=str(meta.get("kind", "apply")),
        )


def _author_name(author: Any) -> str:
    if isinstance(author, Mapping):
        return str(author.get("name") or author.get("email") or "")
    return str(author or "")


def suspect_for(
    resource: str,
    start: datetime,
    versions: Sequence[VersionInfo],
    window: float,
    step: float = 0.0,
    departed: datetime | None = None,
) -> VersionInfo | None:
    """The likeliest cause of a deviation of ``resource`` that began at ``start`` and had shown
    by ``departed``, read from a series sampled every ``step`` seconds (the start is only known
    to a step or two)."""
    earliest = start - timedelta(seconds=reach(window, step))
    latest = start + max(LATE_MARGIN, timedelta(seconds=2 * step))
    # A revert applied after the departure began answers it: it is someone's (or a profile's)
    # remedy, and naming it would propose undoing the remedy.
    near = [
        v
        for v in versions
        if earliest <= v.applied <= latest and not (v.kind == "revert" and v.applied > start)
    ]
    if not near:
        return None
    return max(
        near,
        key=lambda v: (
            _touches(v, resource),
            departed is None or v.applied <= departed,
            v.applied,
            v.version,
        ),
    )


def reach(window: float, step: float) -> float:
    """Seconds before a deviation's start that a version stays a suspect: ``window``, or
    :data:`EARLY_STEPS` steps of a series sampled every ``step`` seconds when that is longer."""
    return max(window, EARLY_STEPS * step)


def _touches(version: VersionInfo, resource: str) -> bool:
    base = resource_of(resource)
    return any(a == resource or resource_of(a) == base for a in version.addresses)


def recommend(
    resource: str,
    metric: str,
    source: str,
    finding: Finding,
    versions: Sequence[VersionInfo],
    window: float,
    last_good: int | None,
    created: datetime,
) -> Recommendation:
    """A recommendation for ``finding``: its suspect version and the proposed revert."""
    suspect = suspect_for(resource, finding.start, versions, window, finding.step, finding.departed)
    command: str | None = None
    if suspect is None:
        reason = (
            f"{finding.reason}; no shadow version was applied in the "
            f"{_minutes(reach(window, finding.step))} before it began, so none is proposed"
        )
        named = None
    else:
        older = [v.version for v in versions if v.version < suspect.version]
        target: str | None = None
        good = ""
        if last_good is not None and last_good < suspect.version:
            # By number, not `last-good`: a later mark moves that word, and a command copied
            # from an older alert or PR comment would then go somewhere else.
            target = str(last_good)
            good = f"; version {last_good} is the newest marked good"
        elif older:
            target = str(max(older))
        touched = _touches(suspect, resource)
        lead = f"version {suspect.version} ({suspect.description}) was applied " + _ago(
            suspect.applied, finding.start
        )
        lead += " and changed this resource" if touched else ""
        if finding.harmless:
            # Information only: a departure to the side that is no trouble is no reason to
            # revert, whichever version came before it.
            reason = f"{finding.reason}, so no revert is proposed; {lead}"
        elif target is None:
            reason = f"{finding.reason}; {lead}; no earlier version is kept to revert to"
        else:
            command = f"tfshadow revert {target}"
            reason = f"{finding.reason}; {lead}{good}"
        named = Suspect(
            workspace=suspect.workspace,
            version=suspect.version,
            timestamp=suspect.applied.isoformat(timespec="seconds").replace("+00:00", "Z"),
            author=suspect.author,
            description=suspect.description,
            changed_resource=touched,
        )
    return Recommendation(
        resource=resource,
        metric=metric,
        source=source,
        kind=finding.kind,
        window_start=finding.start,
        window_end=finding.end,
        observed=finding.observed,
        expected=finding.expected,
        score=finding.score,
        threshold=finding.threshold,
        severity=finding.severity,
        suspect=named,
        command=command,
        reason=reason,
        created=created,
    )


def _ago(applied: datetime, start: datetime) -> str:
    delta = (start - applied).total_seconds()
    if delta < 0:
        return f"{_minutes(-delta)} after it began"
    return f"{_minutes(delta)} before it began"


def _minutes(seconds: float) -> str:
    if seconds >= 7200:
        return f"{seconds / 3600:.0f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"
