"""Turning a source's series into a regular grid the models can read.

Sources give irregular timestamps, duplicates and holes. The grid step is the median spacing
(robust to a few late scrapes); points are placed in the nearest step, duplicates averaged, and
holes stay NaN: missing data is counted and reported, never invented as evidence. Models that need
a complete series get a filled copy (:func:`filled`), the detector reads the gaps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


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
        step = float(np.median(positive)) if positive.size else 60.0
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
