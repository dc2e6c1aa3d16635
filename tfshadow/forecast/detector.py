"""Online deviation scoring: how far each point is from what the past said it would be.

The score at point t reads only points ≤ t, so the same code scores a live series and a file
row by row (``tfshadow detect``). Per point:

1. **Expected value** (the baseline forecast). Without seasonality: the median of the last
   ``window`` points. With a period K (detected by :mod:`tfshadow.forecast.seasonality`): the
   median of the same phase ±1 point in the previous three seasons, corrected by the median
   recent offset from that seasonal value (so a level change seasons ago is not re-flagged).
   Medians, not means: one spike or hole in the past does not move the forecast.
2. **Scale**: the model's own past errors over the trailing ``scale_window``, excluding the last
   ``persistence`` points so a deviation does not hide itself by widening its own yardstick:
   the larger of 1.4826 × the median absolute error and 1.2533 × the mean absolute error with
   errors capped at 4 of the former (the median under-reads heavy-tailed noise, the mean
   over-reads spikes; quantised metrics whose median error is 0 still get a scale).
3. **z** = error / scale, clipped to ±:data:`CLIP`.
4. **Statistic**: the larger of the persistent-shift test (sum of the last ``persistence`` z over
   √count, leaving out one z at the clip, so a lone spike cannot raise an alarm) and the
   variance test (sum of the last ``2 × persistence`` z², clipped lower, as a χ² mapped to a
   normal quantile by Wilson–Hilferty). Each is then standardised by its own recent past
   (median and MAD, never narrower than N(0, 1)): neighbouring errors of real metrics are
   correlated, which widens sums beyond their theory, by an amount that differs per series.
   An alarm is the statistic at or above the sensitivity in σ.

Missing points are not evidence: a statistic needs at least half of its window present, else the
point is *inconclusive*. The first points, before the baseline has its history, are *warm-up*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

CLIP = 5.0
VARIANCE_CLIP = 3.0  # squares weigh outliers more: clipped lower so spikes stay spikes
SEASONS = 3  # previous seasons a seasonal forecast reads
DEFAULT_WINDOW = 48
DEFAULT_PERSISTENCE = 5


@dataclass(frozen=True)
class Params:
    """Tuning of the detector, measured on the evaluation set in ``bench/forecast_eval.py``."""

    window: int = DEFAULT_WINDOW
    persistence: int = DEFAULT_PERSISTENCE
    scale_window: int = 96


@dataclass(frozen=True)
class Scores:
    """Per point: expected value, scale, z, statistic (σ), and the alarm at ``threshold``.

    ``evidence`` is False where the point is warm-up or its window lacks data; there the
    statistic is NaN and no alarm is raised.
    """

    expected: FloatArray
    scale: FloatArray
    z: FloatArray
    statistic: FloatArray
    alarm: BoolArray
    evidence: BoolArray
    warmup: int
    period: int
    threshold: float


@dataclass(frozen=True)
class Episode:
    """A run of alarms: ``start`` is the first point that departed, ``first_alarm`` the point
    where the statistic first crossed, ``end`` the last alarmed point (indices, inclusive)."""

    start: int
    first_alarm: int
    end: int
    peak: float
    sign: int  # +1 above the forecast, -1 below, 0 variance only


def warmup_points(period: int, params: Params) -> int:
    """Points before a forecast has the history it reads."""
    if period:
        return SEASONS * period + 1 + params.window
    return params.window + 2 * params.persistence


def expected_values(values: FloatArray, period: int, params: Params) -> FloatArray:
    """The baseline forecast of each point from points before it (NaN when it has none)."""
    series = pd.Series(values)
    half = max(2, params.window // 2)
    if not period:
        return series.rolling(params.window, min_periods=half).median().shift(1).to_numpy()
    n = values.shape[0]
    lagged = []
    for season in range(1, SEASONS + 1):
        for offset in (-1, 0, 1):
            lag = season * period + offset
            shifted = np.full(n, np.nan)
            if lag < n:
                shifted[lag:] = values[: n - lag]
            lagged.append(shifted)
    stack = np.vstack(lagged)
    with np.errstate(all="ignore"):
        enough = np.sum(np.isfinite(stack), axis=0) >= len(lagged) // 2
        seasonal = np.full(n, np.nan)
        if enough.any():
            seasonal[enough] = np.nanmedian(stack[:, enough], axis=0)
    offset_series = pd.Series(values - seasonal)
    correction = offset_series.rolling(params.window, min_periods=half).median().shift(1)
    return np.asarray(seasonal + correction.fillna(0.0).to_numpy(), dtype=np.float64)


def score(
    values: FloatArray,
    period: int,
    threshold: float,
    params: Params | None = None,
    model_expected: FloatArray | None = None,
) -> Scores:
    """Score every point of ``values`` (see the module docstring); ``threshold`` in σ.

    ``model_expected`` replaces the baseline forecast where it is finite (a darts model's
    one-step forecasts); the scale then measures that model's own errors.
    """
    params = params or Params()
    x = np.asarray(values, dtype=np.float64)
    n = x.shape[0]
    expected = expected_values(x, period, params)
    if model_expected is not None:
        expected = np.where(np.isfinite(model_expected), model_expected, expected)
    m = params.persistence
    residual = x - expected
    abs_res = pd.Series(np.abs(residual))
    # Past errors only, and not the newest `m`: a deviation must not widen its own yardstick.
    min_scale_points = max(4, params.window // 4)
    mad = abs_res.rolling(params.scale_window, min_periods=min_scale_points).median().shift(m)
    robust = 1.4826 * mad.to_numpy()
    # The median under-reads heavy-tailed noise (real metrics' is), the mean over-reads spikes:
    # the mean absolute error with errors capped at 4 robust σ, whichever is larger.
    cap = np.where(np.isfinite(robust) & (robust > 0), 4.0 * robust, np.inf)
    capped = pd.Series(np.fmin(np.abs(residual), cap))
    mean_abs = capped.rolling(params.scale_window, min_periods=min_scale_points).mean().shift(m)
    level = pd.Series(np.abs(x)).rolling(params.window, min_periods=1).median().shift(1)
    scale = np.fmax(robust, 1.2533 * mean_abs.to_numpy())
    scale = np.fmax(scale, 1e-6 * level.fillna(0.0).to_numpy() + 1e-12)
    with np.errstate(all="ignore"):
        z = np.clip(residual / scale, -CLIP, CLIP)

    present = np.isfinite(z).astype(np.float64)
    zf = np.where(np.isfinite(z), z, 0.0)
    count = pd.Series(present).rolling(m, min_periods=1).sum().to_numpy()
    total = pd.Series(zf).rolling(m, min_periods=1).sum().to_numpy()
    mv = 2 * m
    count_v = pd.Series(present).rolling(mv, min_periods=1).sum().to_numpy()
    zv = np.clip(zf, -VARIANCE_CLIP, VARIANCE_CLIP)
    squares = pd.Series(zv * zv).rolling(mv, min_periods=1).sum().to_numpy()
    # A spike (an error at the clip) is left out of its window: one wild point, however large,
    # is not a shift. Windows without one keep every point.
    highest = pd.Series(zf).rolling(m, min_periods=1).max().to_numpy()
    lowest = pd.Series(zf).rolling(m, min_periods=1).min().to_numpy()
    extreme = np.where(np.abs(highest) >= np.abs(lowest), highest, lowest)
    spike = np.abs(extreme) >= CLIP
    with np.errstate(all="ignore"):
        shift_stat = np.where(
            spike & (count > 1),
            (total - extreme) / np.sqrt(np.fmax(count - 1, 1)),
            total / np.sqrt(count),
        )
        k = count_v
        wh = ((squares / k) ** (1.0 / 3.0) - (1.0 - 2.0 / (9.0 * k))) / np.sqrt(2.0 / (9.0 * k))
    shift_stat = np.abs(_calibrated(shift_stat, params.scale_window * 4, m))
    statistic = np.fmax(shift_stat, _calibrated(wh, params.scale_window * 4, mv))

    warm = min(n, warmup_points(period, params))
    evidence = (count >= (m + 1) // 2 + 1) & (count_v >= m) & np.isfinite(x)
    evidence[:warm] = False
    statistic = np.where(evidence, statistic, np.nan)
    alarm = evidence & (statistic >= threshold)
    return Scores(expected, scale, z, statistic, alarm, evidence, warm, period, threshold)


def _calibrated(stat: FloatArray, window: int, lag: int) -> FloatArray:
    """``stat`` standardised by its own recent past (median, MAD), never more sensitive than
    the independent-errors theory: neighbouring errors of real metrics are correlated, which
    widens sums of z beyond N(0, 1), and by how much differs per series."""
    series = pd.Series(stat)
    past = series.shift(lag)
    centre = past.rolling(window, min_periods=window // 4).median()
    spread = (past - centre).abs().rolling(window, min_periods=window // 4).median() * 1.4826
    centre_v = centre.fillna(0.0).to_numpy()
    spread_v = np.fmax(spread.fillna(1.0).to_numpy(), 1.0)
    return np.asarray((stat - centre_v) / spread_v, dtype=np.float64)


def episodes(scores: Scores, gap: int | None = None) -> list[Episode]:
    """Runs of alarms, merging runs separated by at most ``gap`` points (default persistence)."""
    alarm = scores.alarm
    idx = np.flatnonzero(alarm)
    if idx.size == 0:
        return []
    gap = DEFAULT_PERSISTENCE if gap is None else gap
    breaks = np.flatnonzero(np.diff(idx) > gap + 1)
    starts = np.concatenate(([idx[0]], idx[breaks + 1]))
    ends = np.concatenate((idx[breaks], [idx[-1]]))
    found = []
    z = np.where(np.isfinite(scores.z), scores.z, 0.0)
    for first, last in zip(starts, ends, strict=True):
        # The departure began before the alarm: walk back while the errors keep the alarm's
        # side by at least half a σ (a slow leak shows before it crosses the threshold).
        lookback = max(0, int(first) - 8 * DEFAULT_PERSISTENCE)
        side = np.sign(z[max(0, int(first) - DEFAULT_PERSISTENCE + 1) : int(first) + 1].sum())
        start = int(first)
        while start - 1 >= lookback and side * z[start - 1] >= 0.5:
            start -= 1
        if side == 0:  # variance only: where the errors grew large
            while start - 1 >= lookback and abs(z[start - 1]) >= 1.0:
                start -= 1
        segment = z[start : int(last) + 1]
        mean = float(segment.mean()) if segment.size else 0.0
        sign = 0 if abs(mean) < 1.0 else (1 if mean > 0 else -1)
        peak = float(np.nanmax(scores.statistic[int(first) : int(last) + 1]))
        found.append(Episode(start, int(first), int(last), peak, sign))
    return found


def anomaly_score(statistic: FloatArray, threshold: float) -> FloatArray:
    """The statistic mapped to [0, 1): 0.5 exactly at the threshold, 0 without evidence."""
    s = np.where(np.isfinite(statistic), np.fmax(statistic, 0.0), 0.0)
    return s / (s + threshold)
