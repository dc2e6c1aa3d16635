"""Moments read from what a user types and from the timestamps tfshadow writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tfshadow.errors import UsageError
from tfshadow.moments import has_zone, moment_from_text, parse_stamp

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", NOW - timedelta(minutes=90)),
        (" 2d ", NOW - timedelta(days=2)),
        ("1w", NOW - timedelta(weeks=1)),
        ("1h30m", NOW - timedelta(minutes=90)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T14:30", datetime(2026, 11, 1, 14, 30, tzinfo=UTC)),
        ("2026-11-01 14:30", datetime(2026, 11, 1, 14, 30, tzinfo=UTC)),
        ("2026-11-01T14:30:00Z", datetime(2026, 11, 1, 14, 30, tzinfo=UTC)),
        ("2026-11-01T16:30+02:00", datetime(2026, 11, 1, 14, 30, tzinfo=UTC)),
        # A bare number is an ISO date, not seconds ago.
        ("20261101", datetime(2026, 11, 1, tzinfo=UTC)),
    ],
)
def test_a_time_ago_or_an_iso_date_or_time(text: str, expected: datetime) -> None:
    assert moment_from_text(text, "--since", now=NOW) == expected


def test_a_date_alone_runs_to_its_end_only_where_asked() -> None:
    assert moment_from_text("2026-11-01", "--until", now=NOW, day_end=True) == datetime(
        2026, 11, 2, tzinfo=UTC
    )
    # A time, or a time ago, is the moment given.
    assert moment_from_text("2026-11-01T00:00", "--until", now=NOW, day_end=True) == datetime(
        2026, 11, 1, tzinfo=UTC
    )
    assert moment_from_text("2d", "--until", now=NOW, day_end=True) == NOW - timedelta(days=2)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("yesterday", "--until yesterday: neither a time ago nor a date"),
        ("3600", "--until 3600: neither a time ago nor a date"),
        ("-2d", "--until -2d: neither a time ago nor a date"),
        ("99999999999w", "--until 99999999999w: too long ago"),
    ],
)
def test_anything_else_is_refused_in_one_line_naming_the_forms(text: str, said: str) -> None:
    with pytest.raises(UsageError) as caught:
        moment_from_text(text, "--until", now=NOW)
    line = caught.value.one_line()
    assert line.startswith(said)
    assert "\n" not in line
    if "neither" in said:
        assert "90m" in line and "2026-11-01T14:30" in line


def test_has_zone() -> None:
    assert has_zone("2026-11-01T14:30Z") and has_zone("2026-11-01T14:30+02:00")
    assert has_zone("2h")
    assert not has_zone("2026-11-01T14:30") and not has_zone("nonsense")


def test_stamps_as_written_read_in_utc_and_anything_else_is_none() -> None:
    assert parse_stamp("2026-11-01T14:30:00Z") == datetime(2026, 11, 1, 14, 30, tzinfo=UTC)
    assert parse_stamp("2026-11-01T14:30:00") == datetime(2026, 11, 1, 14, 30, tzinfo=UTC)
    zoned = parse_stamp("2026-11-01T16:30:00+02:00")
    assert zoned == datetime(2026, 11, 1, 14, 30, tzinfo=UTC)
    assert zoned.utcoffset() == timedelta(0)
    for bad in (None, 17, "", "not a time", "2d"):
        assert parse_stamp(bad) is None


def test_until_the_last_day_there_is_runs_to_its_end() -> None:
    # `log --until 9999-12-31`: the day after it is past what a date holds.
    moment = moment_from_text("9999-12-31", "--until", now=NOW, day_end=True)
    assert moment == datetime.max.replace(tzinfo=UTC)
    assert moment > datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
