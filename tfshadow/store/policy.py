"""When a version is stored whole, and which versions retention removes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def keyframe_due(version: int, last_keyframe: int | None, interval: int) -> bool:
    """Whether ``version`` is stored whole.

    Counted from the newest keyframe rather than from version 1 so that rebuilding any version
    never patches more than ``interval - 1`` deltas, also after retention re-keyed an old version
    or the interval setting changed.
    """
    return last_keyframe is None or version - last_keyframe >= interval


@dataclass(frozen=True)
class RetentionPlan:
    removed: tuple[int, ...]
    oldest_kept: int


def retention_plan(versions: Sequence[int], retain: int | None) -> RetentionPlan | None:
    """Versions to remove so that the newest ``retain`` remain; None when nothing is to go."""
    if retain is None or len(versions) <= retain:
        return None
    ordered = sorted(versions)
    return RetentionPlan(removed=tuple(ordered[:-retain]), oldest_kept=ordered[-retain])
