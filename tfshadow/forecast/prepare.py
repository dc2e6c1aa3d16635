"""Turning a source's series into a regular grid the models can read.

Sources give irregular timestamps, duplicates and holes. The grid step is the median spacing
(robust to a few late scrapes), or for samples taken at random a wider one that few spacings
exceed (see :func:`sampling_step`); points are placed in the nearest step, duplicates averaged,
and holes stay NaN: missing data is counted and reported, never invented as evidence. Models
that need a complete series get a filled copy (:func:`filled`), the detector reads the gaps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# A grid this much larger than the points is a mistyped timestamp, not a metric with gaps: one
# point in 2062 among 1-second samples of 2026 would need gigabytes per array.
MAX_EMPTY_RATIO = 10
SPAN_ALWAYS_OK = 1_000_000  # grid points that fit in memory whatever the number of points
# Spacings whose median absolute deviation exceeds this share of their median are random, not a
# rate with jitter (uniform jitter of ±45% gives 0.25; arrivals at random, 0.7).
RANDOM_SAMPLING_SPREAD = 0.4
# At random arrivals, a step that 90% of spacings stay within leaves about a tenth empty.
RANDOM_SAMPLING_QUANTILE = 0.9


@dataclass(frozen=True)
class Regular:
    """Values on a regular grid: ``start`` + i × ``step`` (numpy datetime64[ns], step in s)."""

    start: np.datetime64
    step: float
    values: FloatArray
    missing: int  # grid points with no value (holes, NaN from the source)
    irregular: bool  # the source's spacing varied by more than half a step
    merged: int  # source points averaged into an already-taken grid point

    @property
    def times(self) -> npt.NDArray[np.datetime64]:
        offsets = (np.arange(self.values.shape[0]) * self.step * 1e9).astype("timedelta64[ns]")
        return self.start + offsets

    def notes(self) -> tuple[str, ...]:
        said = []
        if self.irregular:
            said.append(f"irregular sampling resampled to a {format_step(self.step)} grid")
        if self.merged:
            said.append(f"{self.merged} points merged into their grid step")
        if self.missing:
            said.append(f"{self.missing} of {self.values.shape[0]} points missing")
        return tuple(said)


def sampling_step(timestamps: npt.NDArray[np.datetime64]) -> float | None:
    """The grid step for ``timestamps`` (any order) in seconds; None when none differ.

    Sampled at a rate (scrapes, an agent), however late some samples or long some gaps: the
    median spacing, one sample per step. Sampled at random (events, requests; the spacings
    spread as widely as their median), the median spacing would leave half the steps empty,
    holes that are no missing data yet would make most points inconclusive: the spacing that
    :data:`RANDOM_SAMPLING_QUANTILE` of them stay within, a few samples averaged per step.
    """
    ordered = np.sort(timestamps.astype("datetime64[ns]").astype(np.int64))
    gaps = np.diff(ordered)
    positive = gaps[gaps > 0]
    if not positive.size:
        return None
    median = float(np.median(positive))
    spread = float(np.median(np.abs(positive - median)))
    if spread > RANDOM_SAMPLING_SPREAD * median:
        return float(np.quantile(positive, RANDOM_SAMPLING_QUANTILE)) / 1e9
    return median / 1e9


def too_sparse(timestamps: npt.NDArray[np.datetime64], step: float | None = None) -> str:
    """Why ``timestamps`` cannot be put on a grid of ``step`` (default: :func:`sampling_step`), as
    a phrase such as ``"3,285 days at a 1 s step: 283,826,001 points for 2,001 samples"``; empty
    when they can."""
    if timestamps.shape[0] < 2:
        return ""
    step = step or sampling_step(timestamps) or 60.0
    ns = timestamps.astype("datetime64[ns]").astype(np.int64)
    seconds = (int(ns.max()) - int(ns.min())) / 1e9
    points = seconds / step + 1
    if points <= max(SPAN_ALWAYS_OK, MAX_EMPTY_RATIO * timestamps.shape[0]):
        return ""
    return (
        f"{seconds / 86400:,.0f} days at a {format_step(step)} step: {points:,.0f} points for "
        f"{timestamps.shape[0]:,} samples"
    )


def regularise(
    timestamps: npt.NDArray[np.datetime64], values: FloatArray, step: float | None = None
) -> Regular:
    """``values`` at ``timestamps`` on a regular grid (see the module docstring).

    ``step`` None infers it from the data; a single point gives a one-point grid of step 60 s.
    """
    order = np.argsort(timestamps, kind="stable")
    ts = timestamps[order].astype("datetime64[ns]")
    vs = np.asarray(values, dtype=np.float64)[order]
    if ts.shape[0] == 0:
        return Regular(np.datetime64(0, "ns"), 60.0, np.empty(0), 0, False, 0)
    seconds = (ts - ts[0]).astype(np.int64) / 1e9
    diffs = np.diff(seconds)
    positive = diffs[diffs > 0]
    if step is None:
        step = sampling_step(ts) or 60.0
    irregular = bool(positive.size and np.any(np.abs(positive - step) > step / 2))
    slots = np.rint(seconds / step).astype(np.int64)
    size = int(slots[-1]) + 1
    sums = np.zeros(size)
    counts = np.zeros(size)
    good = np.isfinite(vs)
    np.add.at(sums, slots[good], vs[good])
    np.add.at(counts, slots[good], 1.0)
    grid = np.full(size, np.nan)
    taken = counts > 0
    grid[taken] = sums[taken] / counts[taken]
    merged = int(counts[taken].sum() - taken.sum())
    return Regular(ts[0], float(step), grid, int((~taken).sum()), irregular, merged)


def filled(values: FloatArray) -> FloatArray:
    """A complete copy for models that cannot read holes: linear between neighbours, held at
    the ends. All-NaN input gives zeros."""
    out = np.asarray(values, dtype=np.float64).copy()
    bad = ~np.isfinite(out)
    if not bad.any():
        return out
    if bad.all():
        return np.zeros_like(out)
    index = np.arange(out.shape[0])
    out[bad] = np.interp(index[bad], index[~bad], out[~bad])
    return out


def format_step(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g} s"
