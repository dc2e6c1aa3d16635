"""Small helpers every source shares: time conversions and the common error messages."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from tfshadow.errors import NoDataError
from tfshadow.metrics.base import ResourceRef, Series, TimeRange


def utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def epoch(moment: datetime) -> float:
    return utc(moment).timestamp()


def minute(moment: datetime) -> str:
    """``2024-05-01 10:00 UTC``: a moment as a note on a series shows it."""
    return utc(moment).strftime("%Y-%m-%d %H:%M UTC")


def describe(window: TimeRange) -> str:
    """``2024-05-01T10:00:00Z..2024-05-01T11:00:00Z``: a range as messages show it."""
    return f"{_iso(window.start)}..{_iso(window.end)}"


def _iso(moment: datetime) -> str:
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_ns(seconds: Sequence[float] | npt.NDArray[np.float64]) -> npt.NDArray[np.datetime64]:
    """Epoch seconds as ``datetime64[ns]``, rounded to the millisecond.

    Sources report at most millisecond precision; rounding there keeps float noise
    (``1700000000.1229999``) out of the timestamps.
    """
    millis = np.round(np.asarray(seconds, dtype=np.float64) * 1000.0).astype(np.int64)
    return (millis * 1_000_000).astype("datetime64[ns]")


def finite_or_nan(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Infinities carry no usable value: they become NaN like any other unusable point."""
    out = np.asarray(values, dtype=np.float64).copy()
    out[~np.isfinite(out)] = np.nan
    return out


def series_of_points(
    resource: ResourceRef,
    metric: str,
    source: str,
    seconds: Sequence[float],
    values: Sequence[float],
    notes: Sequence[str] = (),
) -> Series:
    """A :class:`Series` from epoch seconds and values in any order (sorted, infinities NaN,
    repeated notes said once)."""
    secs = np.array(seconds, dtype=np.float64)
    vals = finite_or_nan(np.array(values, dtype=np.float64))
    order = np.argsort(secs, kind="stable")
    return Series(
        resource=resource.address,
        metric=metric,
        source=source,
        timestamps=epoch_ns(secs[order]),
        values=vals[order],
        notes=tuple(dict.fromkeys(notes)),
    )


def no_data(resource: ResourceRef, metric: str, window: TimeRange, hint: str) -> NoDataError:
    return NoDataError(f"no data for {resource.address} {metric} in {describe(window)}", hint)


def within(series: Series, window: TimeRange) -> Series:
    """The points of ``series`` inside ``window`` (both ends included)."""
    start = np.datetime64(round(epoch(window.start) * 1e9), "ns")
    end = np.datetime64(round(epoch(window.end) * 1e9), "ns")
    keep = (series.timestamps >= start) & (series.timestamps <= end)
    return Series(
        resource=series.resource,
        metric=series.metric,
        source=series.source,
        timestamps=series.timestamps[keep],
        values=series.values[keep],
        notes=series.notes,
    )


def one_line(text: str, limit: int = 300) -> str:
    """``text`` on one line and not longer than ``limit``: messages are one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def younger_than(
    series: Series | None,
    window: TimeRange,
    step: int,
    *,
    step_for: Callable[[float], int],
    finest: int,
) -> TimeRange | None:
    """The part of ``window`` a series read at ``step`` lives in, when that is shorter and would
    be read finer (``step_for`` of its length); else None. Its first point is known to a step:
    the part begins a step before it. A series with no point at all may have begun after the
    last whole step (a range read at ``step`` ends on one): the last step is the part to look
    in. Steps down to ``finest`` (the source's usual sampling) gain no real points."""
    if step <= finest:
        return None
    if series is None or not len(series):
        begun = epoch(window.end) - step
    else:
        first = float(series.timestamps[0].astype("datetime64[ns]").astype(np.int64)) / 1e9
        if first <= math.ceil(epoch(window.start) / step) * step + step:
            return None  # there from the start: as old as the range, or older
        begun = first - step
    start = max(utc(window.start), datetime.fromtimestamp(begun, UTC))
    life = TimeRange(start, window.end)
    return life if step_for(life.seconds) < step else None
