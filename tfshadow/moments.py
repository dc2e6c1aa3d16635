"""Moments read from text: what a user types (``--since 2d``, ``--until 2026-11-01T14:30``) and
the timestamps tfshadow writes (a version's ``meta.json``, the recommendation log).

Both read ISO 8601 (a date, or a date and time; ``Z`` or an offset) and take a time without a
zone as UTC, as tfshadow shows and writes its times in UTC. A user may also write a time ago
(``90m``, ``2d``, ``1w``, ``1h30m``): units are required, since a bare number such as
``20261101`` is an ISO date.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tfshadow.errors import UsageError

__all__ = ["MOMENT_HINT", "has_zone", "moment_from_text", "parse_stamp"]

MOMENT_HINT = (
    "write a time ago such as 90m, 2d or 1w, or a UTC date or time such as "
    "2026-11-01 or 2026-11-01T14:30 (a zone such as Z or +02:00 may follow)"
)

# A duration with units only: a bare number is left to ISO 8601 (``20261101`` is a date).
_TIME_AGO = re.compile(r"(?:(?:\d+(?:\.\d*)?|\.\d+)[smhdw])+")


def moment_from_text(text: str, option: str, *, now: datetime, day_end: bool = False) -> datetime:
    """The moment a user's ``text`` names, for the command-line option ``option``: a time ago
    (before ``now``) or an ISO 8601 date or time, in UTC unless it gives a zone.

    With ``day_end``, a date alone runs to that day's end (``--until 2026-11-01`` holds all of
    the first of November, as one reads it); otherwise it is that day's midnight.
    Raises :class:`UsageError`, one line naming ``text`` and the forms accepted.
    """
    spelled = text.strip()
    if _TIME_AGO.fullmatch(spelled):
        from tfshadow.settings.analysis import parse_duration

        try:
            return now - timedelta(seconds=parse_duration(spelled))
        except (OverflowError, ValueError):
            raise UsageError(
                f"{option} {text}: too long ago", hint="write a time ago of less than 1000 years"
            ) from None
    moment = _iso(spelled)
    if moment is None:
        raise UsageError(f"{option} {text}: neither a time ago nor a date", hint=MOMENT_HINT)
    if day_end and _date_alone(spelled):
        try:
            moment += timedelta(days=1)
        except OverflowError:
            moment = datetime.max.replace(tzinfo=UTC)  # the last day there is: to its end
    return moment


def has_zone(text: str) -> bool:
    """Whether the user's ``text`` gives its zone (a time ago counts: it is from the clock)."""
    spelled = text.strip()
    if _TIME_AGO.fullmatch(spelled):
        return True
    try:
        return datetime.fromisoformat(spelled).tzinfo is not None
    except ValueError:
        return False


def parse_stamp(stamp: object) -> datetime | None:
    """A timestamp as tfshadow writes them (ISO 8601, ``Z`` or an offset; none means UTC), in
    UTC; None when ``stamp`` is not one (missing, not a string, not a time)."""
    if not isinstance(stamp, str):
        return None
    moment = _iso(stamp.strip())
    return None if moment is None else moment.astimezone(UTC)


def _iso(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _date_alone(text: str) -> bool:
    # fromisoformat reads a date and time separated by "T" or a space (or basic "20261101T1430").
    return "T" not in text.upper() and " " not in text
