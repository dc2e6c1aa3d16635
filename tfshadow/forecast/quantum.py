"""The resolution a series is measured to: the step of the grid its values lie on.

A gauge reported in whole percent (disk usage, memory) moves one step at a time; its learnt
noise scale is a fraction of that step (most errors are 0), so each one-step move would read
as many standard deviations. A step that is small against the level it measures (one percent
at 41%) is rounding, not news. A count near zero is also on a grid of 1, but there a step is
the news (errors going from 0 to 1, replicas from 3 to 2), so a series is only taken as rounded
when a step is at most :data:`SMALL_STEP` of its level; ``resolution`` in a ``metric`` block
says so for the cases the values cannot show.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# Points per distinct value, on average, below which values are not taken to lie on a grid:
# continuous values are nearly all distinct.
MIN_REPEATS = 4
MIN_POINTS = 16
# A step of the grid at most this share of the series' typical magnitude is rounding.
SMALL_STEP = 0.1
# How far from a whole number of steps a gap between two values may be (in steps): decimal
# steps such as 0.1 are not exact in binary.
TOLERANCE = 1e-6


def grid_step(values: FloatArray) -> float:
    """The step of the grid the finite ``values`` lie on (every gap between two of them a whole
    number of steps, few distinct values), 0.0 when they lie on none."""
    finite = values[np.isfinite(values)]
    if finite.size < MIN_POINTS:
        return 0.0
    distinct = np.unique(finite)
    if distinct.size < 2 or distinct.size * MIN_REPEATS > finite.size:
        return 0.0
    gaps = np.diff(distinct)
    step = float(gaps.min())
    if not step > 0:
        return 0.0
    ratio = gaps / step
    if float(np.max(np.abs(ratio - np.rint(ratio)))) > TOLERANCE:
        return 0.0
    return step


def rounding(values: FloatArray) -> float:
    """The step of the grid ``values`` lie on when one step is small against their typical
    magnitude (the median of their absolute values): a move of one step is then rounding.
    0.0 otherwise."""
    step = grid_step(values)
    if not step:
        return 0.0
    level = float(np.median(np.abs(values[np.isfinite(values)])))
    return step if step <= SMALL_STEP * level else 0.0
