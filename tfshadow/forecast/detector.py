"""Online deviation scoring: how far each point is from what the past said it would be.

The score at point t reads only points ≤ t, so the same code scores a live series and a file
row by row (``tfshadow detect``). Per point:

1. **Expected value** (the baseline forecast). Without seasonality: the median of the last
   ``window`` points. With a period K (detected by :mod:`tfshadow.forecast.seasonality`): the
   level (the mean over the last :data:`LEVEL_SEASONS` seasons, which the shape does not move)
   plus the shape, the median of how far the same phase ±1 point stood above its own level in
   up to :data:`MAX_SEASONS` previous seasons. A level change seasons ago is in the level, not
   re-flagged; the shape's noise shrinks with every season read (a forecast from three seasons'
   points and a short-window correction carried two to three times the noise on autocorrelated
   metrics). Medians: one spike or hole in the past does not move the shape.
2. **Scale**: the model's own past errors over the trailing ``scale_window``, excluding the last
   ``persistence`` points so a deviation does not hide itself by widening its own yardstick:
   the larger of 1.4826 × the median absolute error and 1.2533 × the mean absolute error with
   errors capped at 4 of the former (the median under-reads heavy-tailed noise, the mean
   over-reads spikes; quantised metrics whose median error is 0 still get a scale), and never
   below :data:`RESOLUTION_SCALE` steps of the resolution the values are reported to, when they
   are (whole percent): a move of one step is rounding.
3. **z** = error / scale, clipped to ±:data:`CLIP`.
4. **Statistic**: the largest of five tests, each standardised by its own recent past (median,
   and the larger of the MAD and the standard deviation; never narrower than N(0, 1)): sums of
   real metrics' errors are wider and heavier-tailed than their theory, by an amount that
   differs per series.
   - *error shift*: the sum of the last ``persistence`` z over √count, leaving out one z at the
     clip (a lone spike cannot raise an alarm; a run of them can), weighed by
     :data:`ERROR_GAIN`. It sees big steps and ramps whole.
   - *innovation shift*: most metrics carry part of each error over to the next point (φ, the
     lag-1 autocorrelation of the past z over the trailing ``4 × scale_window``), so sums of raw
     errors wander. What was new at each point, e_t - φ·e_{t-1}, on its own yardstick and
     clipped to ±:data:`HUBER`, is summed as a shift of δ would show in it: δ where it starts,
     (1 - φ)·δ at each point after (a matched filter; the plain sum when φ = 0).
   - *long innovation shift*: the same over ``LONG_WINDOWS × persistence`` points, weighed down
     by :data:`LONG_GAIN`: a small shift in strongly carried-over noise needs that many points to
     stand out, and the forecast absorbs a shift after about half a baseline ``window``.
   - *variance*: the sum of the last ``2 × persistence`` z², clipped lower, as a χ² mapped to a
     normal quantile by Wilson–Hilferty.
   - *innovation variance*: the same on the innovations, weighed by
     :data:`INNOVATION_VARIANCE_GAIN`: where the noise carries over, a burst of noise shows more
     plainly in what is new at each point than in the errors, whose squares wander with it.
   An alarm is the statistic at or above the sensitivity in σ.

Missing points are not evidence: a statistic needs at least half of its window present, else the
point is *inconclusive*. The first points, before the baseline has its history, are *warm-up*.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import bottleneck
import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

CLIP = 5.0
VARIANCE_CLIP = 3.0  # squares weigh outliers more: clipped lower so spikes stay spikes
SEASONS = 3  # seasons of history before a seasonal forecast is made (its warm-up)
# The most seasons a seasonal forecast reads: the noise of each phase's median shrinks with every
# season, and a season long past that no longer fits is outvoted.
MAX_SEASONS = 8
LEVEL_SEASONS = 2  # seasons the level of a seasonal series is the mean over
MIN_SEASON_POINTS = 4  # same-phase points, of three per season, a seasonal forecast needs
DEFAULT_WINDOW = 48
DEFAULT_PERSISTENCE = 5
HUBER = 3.0  # innovations are clipped here: one wild point is not a shift
MAX_CARRY = 0.8  # φ above this would leave a shift test of a single point
# Clipped innovations have lighter tails than the sums the sensitivities were measured on: this
# weighs the innovation test up to the others' rate of false alarms.
SHIFT_GAIN = 1.05
# Sums of raw errors wander where the noise carries over; this weighs their test down to the
# others' rate of false alarms, measured on the evaluation set.
ERROR_GAIN = 0.95
LONG_WINDOWS = 4  # the long innovation test reads this many persistence windows
# Weighs the long test down to keep false alarms within what the short tests alone raise.
LONG_GAIN = 0.9
# Weighs the variance test on innovations down to keep false alarms where the others put them.
INNOVATION_VARIANCE_GAIN = 0.95
# The scale of a series measured to a resolution q is at least this many q: an error of one q
# held for the long test's whole window then stays below the highest sensitivity (3σ).
RESOLUTION_SCALE = 1.5


@dataclass(frozen=True)
class Params:
    """Tuning of the detector, measured on the evaluation set in ``bench/forecast_eval.py``."""

    window: int = DEFAULT_WINDOW
    persistence: int = DEFAULT_PERSISTENCE
    scale_window: int = 96


Calibration = tuple[FloatArray, FloatArray]  # per point: centre (0 when unknown), spread


@dataclass(frozen=True)
class Trace:
    """What :func:`rescore` needs of a run besides its values: every part of a point's statistic
    that reads only the points before it."""

    params: Params
    residual: FloatArray
    phi: FloatArray
    innovation_scale: FloatArray
    zf: FloatArray  # z with missing points 0
    u: FloatArray  # clipped innovations, missing points 0
    count: FloatArray
    count_long: FloatArray
    count_v: FloatArray
    error_shift: Calibration
    innovation_shift: Calibration
    long_shift: Calibration
    variance: Calibration
    innovation_variance: Calibration


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
    trace: Trace | None = field(default=None, repr=False, compare=False)


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
    half = max(2, params.window // 2)
    if not period:
        return _shifted(_moving_median(values, params.window, half), 1)
    n = values.shape[0]
    if n == 0:
        return np.full(0, np.nan)
    # The level is the mean over whole seasons, which the seasonal shape does not move; what
    # each past season's point stood above its own level is that phase's shape.
    span = LEVEL_SEASONS * period
    data = np.ascontiguousarray(values, dtype=np.float64)
    level = np.asarray(bottleneck.move_mean(data, min(span, n), min_count=min(period, n)))
    deviation = data - level
    lags = [s * period + o for s in range(1, MAX_SEASONS + 1) for o in (-1, 0, 1)]
    lagged = [_shifted(deviation, lag) for lag in lags if lag < n]
    if not lagged:
        return np.full(n, np.nan)
    stack = np.vstack(lagged)
    with np.errstate(all="ignore"):
        enough = np.sum(np.isfinite(stack), axis=0) >= MIN_SEASON_POINTS
        shape = np.full(n, np.nan)
        if enough.any():
            shape[enough] = np.nanmedian(stack[:, enough], axis=0)
    return np.asarray(shape + _shifted(level, 1), dtype=np.float64)


def score(
    values: FloatArray,
    period: int,
    threshold: float,
    params: Params | None = None,
    model_expected: FloatArray | None = None,
    resolution: float = 0.0,
) -> Scores:
    """Score every point of ``values`` (see the module docstring); ``threshold`` in σ.

    ``model_expected`` replaces the baseline forecast where it is finite (a darts model's
    one-step forecasts); the scale then measures that model's own errors. ``resolution`` is the
    step the values are measured to (:mod:`tfshadow.forecast.quantum`), 0 for none: the scale is
    never below :data:`RESOLUTION_SCALE` of it, so that a move of one step is not a deviation.
    """
    params = params or Params()
    x = np.asarray(values, dtype=np.float64)
    n = x.shape[0]
    expected = expected_values(x, period, params)
    if model_expected is not None:
        expected = np.where(np.isfinite(model_expected), model_expected, expected)
    m = params.persistence
    residual = x - expected
    level = _shifted(_moving_median(np.abs(x), params.window, 1), 1)
    floor = 1e-6 * np.where(np.isnan(level), 0.0, level) + 1e-12
    floor = np.fmax(floor, RESOLUTION_SCALE * resolution)
    scale = _scale(residual, params, floor)
    with np.errstate(all="ignore"):
        z = np.clip(residual / scale, -CLIP, CLIP)
    present = np.isfinite(z).astype(np.float64)
    count = pd.Series(present).rolling(m, min_periods=1).sum().to_numpy()

    zf = np.where(np.isfinite(z), z, 0.0)
    # Shift tests, each standardised by its own past: the raw errors' sum sees big steps and
    # ramps whole, the innovations' does not take carried-over wandering for a change, and their
    # long sum sees the small shifts the forecast would absorb before a short one could.
    history = params.scale_window * 4
    error_raw = _error_shift(zf, count, m)
    error_cal = _calibration(error_raw, history, m)
    u, phi, innovation_scale = _innovations(residual, z, params, floor)
    innovation_raw = _innovation_shift(u, phi, z, count, m)
    innovation_cal = _calibration(innovation_raw, history, m)
    long_m = LONG_WINDOWS * m
    count_long = pd.Series(present).rolling(long_m, min_periods=1).sum().to_numpy()
    long_raw = _innovation_shift(u, phi, z, count_long, long_m)
    long_cal = _calibration(long_raw, history, m)
    mv = 2 * m
    count_v = pd.Series(present).rolling(mv, min_periods=1).sum().to_numpy()
    variance_raw = _variance(zf, count_v, mv)
    variance_cal = _calibration(variance_raw, history, mv)
    # Where the noise carries over, its errors' squares wander with it; what is new at each
    # point shows a burst of noise more plainly.
    innovation_variance_raw = _variance(u, count_v, mv)
    innovation_variance_cal = _calibration(innovation_variance_raw, history, mv)
    if resolution > 0:
        # Errors within the resolution are mostly 0: a past of zeros would centre the variance
        # tests far below the theory, and a single step's rounding would read as a burst of
        # noise. Centred no lower than the theory's N(0, 1) errors, which the floor of the
        # scale already keeps rounding below.
        variance_cal = _centred_at_least(variance_cal, 0.0)
        innovation_variance_cal = _centred_at_least(innovation_variance_cal, 0.0)
    statistic = _combined(
        _apply(error_raw, error_cal),
        _apply(innovation_raw, innovation_cal),
        _apply(long_raw, long_cal),
        _apply(variance_raw, variance_cal),
        _apply(innovation_variance_raw, innovation_variance_cal),
    )

    warm = min(n, warmup_points(period, params))
    evidence = (count >= (m + 1) // 2 + 1) & (count_v >= m) & np.isfinite(x)
    evidence[:warm] = False
    statistic = np.where(evidence, statistic, np.nan)
    alarm = evidence & (statistic >= threshold)
    trace = Trace(
        params,
        residual,
        phi,
        innovation_scale,
        zf,
        u,
        count,
        count_long,
        count_v,
        error_cal,
        innovation_cal,
        long_cal,
        variance_cal,
        innovation_variance_cal,
    )
    return Scores(expected, scale, z, statistic, alarm, evidence, warm, period, threshold, trace)


def _combined(
    error_shift: FloatArray,
    innovation_shift: FloatArray,
    long_shift: FloatArray,
    variance: FloatArray,
    innovation_variance: FloatArray,
) -> FloatArray:
    """The statistic: the largest of the five calibrated tests, each weighed by its gain."""
    shift_stat = np.fmax(
        np.fmax(ERROR_GAIN * np.abs(error_shift), SHIFT_GAIN * np.abs(innovation_shift)),
        LONG_GAIN * np.abs(long_shift),
    )
    return np.asarray(
        np.fmax(np.fmax(shift_stat, variance), INNOVATION_VARIANCE_GAIN * innovation_variance),
        dtype=np.float64,
    )


def rescore(scores: Scores, at: IntArray, values: FloatArray) -> FloatArray:
    """The statistic point ``at[i]`` would have had holding ``values[i]``, every point before it
    as scored: what a run ending at that point sees while its last step is not complete yet
    (rows of an irregularly sampled file that share a step, scored as each arrives). NaN where
    the point is no evidence. Windows are summed directly here, where :func:`score` keeps
    running sums, so the two agree to rounding."""
    trace = scores.trace
    if trace is None:
        raise ValueError("scores without a trace cannot be rescored")
    at = np.asarray(at, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    m = trace.params.persistence
    residual = v - scores.expected[at]
    with np.errstate(all="ignore"):
        z = np.clip(residual / scores.scale[at], -CLIP, CLIP)
        before = np.where(at > 0, trace.residual[np.maximum(at - 1, 0)], np.nan)
        innovation = residual - trace.phi[at] * before
        u = np.clip(innovation / trace.innovation_scale[at], -HUBER, HUBER)
    zf = np.where(np.isfinite(z), z, 0.0)
    u = np.where(np.isfinite(u), u, 0.0)
    zs = np.where(np.isfinite(scores.z), scores.z, np.nan)
    long_m, mv = LONG_WINDOWS * m, 2 * m
    error_raw = _error_shift_at(_window(trace.zf, at, zf, m), trace.count[at])
    weight = 1.0 - trace.phi[at]
    innovation_raw = _innovation_shift_at(
        _window(trace.u, at, u, m), _window(zs, at, z, m), weight, trace.count[at]
    )
    long_raw = _innovation_shift_at(
        _window(trace.u, at, u, long_m), _window(zs, at, z, long_m), weight, trace.count_long[at]
    )
    variance_raw = _variance_at(_window(trace.zf, at, zf, mv), trace.count_v[at])
    innovation_variance_raw = _variance_at(_window(trace.u, at, u, mv), trace.count_v[at])
    statistic = _combined(
        _apply(error_raw, trace.error_shift, at),
        _apply(innovation_raw, trace.innovation_shift, at),
        _apply(long_raw, trace.long_shift, at),
        _apply(variance_raw, trace.variance, at),
        _apply(innovation_variance_raw, trace.innovation_variance, at),
    )
    return np.where(scores.evidence[at], statistic, np.nan)


@dataclass(frozen=True)
class _Windows:
    """The last ``width`` points ending at each of k points, the newest replaced: k × width,
    ``valid`` False before the series' start."""

    values: FloatArray
    valid: BoolArray


def _window(series: FloatArray, at: IntArray, newest: FloatArray, width: int) -> _Windows:
    index = at[:, None] + np.arange(-width + 1, 1)[None, :]
    valid = index >= 0
    values = series[np.clip(index, 0, None)].copy()
    values[:, -1] = newest
    return _Windows(values, valid)


def _error_shift_at(zf: _Windows, count: FloatArray) -> FloatArray:
    """:func:`_error_shift` at the windows' last points."""
    total = np.where(zf.valid, zf.values, 0.0).sum(axis=1)
    highest = np.where(zf.valid, zf.values, -np.inf).max(axis=1)
    lowest = np.where(zf.valid, zf.values, np.inf).min(axis=1)
    extreme = np.where(np.abs(highest) >= np.abs(lowest), highest, lowest)
    return _spike_left_out(total, extreme, count)


def _innovation_shift_at(
    u: _Windows, z: _Windows, weight: FloatArray, count: FloatArray
) -> FloatArray:
    """:func:`_innovation_shift` at the windows' last points."""
    width = u.values.shape[1]
    values = np.where(u.valid, u.values, 0.0)
    numerator = values[:, 0] + weight * values[:, 1:].sum(axis=1)
    power = 1.0 + (width - 1) * weight * weight
    wild = u.valid & np.isfinite(z.values) & (np.abs(z.values) >= CLIP)
    wild_count = wild.sum(axis=1)
    # The newest wild point in the window (the only one where a spike is left out).
    latest = width - 1 - np.argmax(wild[:, ::-1], axis=1)
    spike = (wild_count == 1) & (count > 1)
    spike_weight = np.where(latest == 0, 1.0, weight)
    at_spike = values[np.arange(values.shape[0]), latest]
    numerator = np.where(spike, numerator - spike_weight * at_spike, numerator)
    power = np.where(spike, power - spike_weight * spike_weight, power)
    with np.errstate(all="ignore"):
        return np.asarray(numerator / np.sqrt(power), dtype=np.float64)


def _variance_at(errors: _Windows, count: FloatArray) -> FloatArray:
    """:func:`_variance` at the windows' last points."""
    clipped = np.clip(np.where(errors.valid, errors.values, 0.0), -VARIANCE_CLIP, VARIANCE_CLIP)
    squares = (clipped * clipped).sum(axis=1)
    return _chi_square_z(squares, count)


def _error_shift(zf: FloatArray, count: FloatArray, m: int) -> FloatArray:
    """The sum of the last ``m`` z over √count, leaving out one z at the clip (a lone spike is
    not a shift; a run of them is). Catches big steps and ramps whole."""
    total = pd.Series(zf).rolling(m, min_periods=1).sum().to_numpy()
    highest = pd.Series(zf).rolling(m, min_periods=1).max().to_numpy()
    lowest = pd.Series(zf).rolling(m, min_periods=1).min().to_numpy()
    extreme = np.where(np.abs(highest) >= np.abs(lowest), highest, lowest)
    return _spike_left_out(total, extreme, count)


def _variance(errors: FloatArray, count: FloatArray, m: int) -> FloatArray:
    """The sum of the last ``m`` squared ``errors`` (in σ, clipped to ±:data:`VARIANCE_CLIP`,
    missing ones 0) over ``count`` present, as a χ² mapped to a normal quantile by
    Wilson–Hilferty."""
    clipped = np.clip(errors, -VARIANCE_CLIP, VARIANCE_CLIP)
    squares = pd.Series(clipped * clipped).rolling(m, min_periods=1).sum().to_numpy()
    return _chi_square_z(squares, count)


def _chi_square_z(squares: FloatArray, count: FloatArray) -> FloatArray:
    """A sum of ``count`` squares of N(0, 1) errors as a normal quantile (Wilson–Hilferty)."""
    with np.errstate(all="ignore"):
        return np.asarray(
            ((squares / count) ** (1.0 / 3.0) - (1.0 - 2.0 / (9.0 * count)))
            / np.sqrt(2.0 / (9.0 * count)),
            dtype=np.float64,
        )


def _spike_left_out(total: FloatArray, extreme: FloatArray, count: FloatArray) -> FloatArray:
    """A sum of ``count`` z over √count, without its ``extreme`` when that is at the clip."""
    spike = np.abs(extreme) >= CLIP
    with np.errstate(all="ignore"):
        return np.asarray(
            np.where(
                spike & (count > 1),
                (total - extreme) / np.sqrt(np.fmax(count - 1, 1)),
                total / np.sqrt(count),
            ),
            dtype=np.float64,
        )


def _innovations(
    residual: FloatArray, z: FloatArray, params: Params, floor: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """What was new at each point, on its own yardstick and clipped to ±:data:`HUBER`, and φ:
    most metrics carry part of each error over to the next point, so sums of raw errors wander,
    and their tails, not a change, raise alarms. Missing points are 0. Also the innovations'
    yardstick."""
    phi = _carry_over(z, params.scale_window * 4, params.persistence)
    previous = np.concatenate(([np.nan], residual[:-1]))
    innovation = residual - phi * previous
    scale = _scale(innovation, params, floor)
    with np.errstate(all="ignore"):
        u = np.clip(innovation / scale, -HUBER, HUBER)
    return np.where(np.isfinite(u), u, 0.0), phi, scale


def _innovation_shift(
    u: FloatArray, phi: FloatArray, z: FloatArray, count: FloatArray, m: int
) -> FloatArray:
    """The shift test on the innovations ``u``: a shift of δ at t-m+1 adds δ to that innovation
    (e_t - φ·e_{t-1}) and (1-φ)·δ to each after it, so the last ``m`` are weighed so (a matched
    filter; for φ = 0 the plain sum), leaving out a lone error at the clip. Running sums keep
    it linear in the series' length whatever ``m``."""
    n = u.shape[0]
    index = np.arange(n)
    oldest = index - m + 1
    sums = np.concatenate(([0.0], np.cumsum(u)))
    first_newer = np.clip(oldest + 1, 0, None)
    weight = 1.0 - phi
    numerator = np.where(oldest >= 0, u[np.clip(oldest, 0, None)], 0.0)
    numerator = numerator + weight * (sums[index + 1] - sums[first_newer])
    power = 1.0 + (m - 1) * weight * weight
    # A lone error at the clip in the window is left out: one wild point is not a shift.
    wild = np.isfinite(z) & (np.abs(z) >= CLIP)
    wild_count = pd.Series(wild.astype(np.float64)).rolling(m, min_periods=1).sum().to_numpy()
    latest_wild = np.maximum.accumulate(np.where(wild, index, -1))
    spike = (wild_count == 1) & (count > 1)
    at = np.clip(latest_wild, 0, None)
    spike_weight = np.where(latest_wild == oldest, 1.0, weight)
    numerator = np.where(spike, numerator - spike_weight * u[at], numerator)
    power = np.where(spike, power - spike_weight * spike_weight, power)
    with np.errstate(all="ignore"):
        return np.asarray(numerator / np.sqrt(power), dtype=np.float64)


def _moving_median(values: FloatArray, window: int, min_periods: int) -> FloatArray:
    """The median of the last ``window`` values at each point, NaN where fewer than
    ``min_periods`` are present (pandas' rolling median, ten times faster: bottleneck's)."""
    n = values.shape[0]
    width = min(window, n)
    if n == 0 or min_periods > width:
        return np.full(n, np.nan)
    data = np.ascontiguousarray(values, dtype=np.float64)
    return np.asarray(bottleneck.move_median(data, width, min_count=max(min_periods, 1)))


def _shifted(values: FloatArray, lag: int) -> FloatArray:
    """``values`` ``lag`` points later: NaN before the start."""
    out = np.full(values.shape[0], np.nan)
    if lag < values.shape[0]:
        out[lag:] = values[: values.shape[0] - lag]
    return out


def _scale(residual: FloatArray, params: Params, floor: FloatArray) -> FloatArray:
    """The yardstick of ``residual`` from its past only, and not its newest ``persistence``
    points: a deviation must not widen its own yardstick. The larger of 1.4826 × the median
    absolute error and 1.2533 × the mean absolute error with errors capped at 4 of the former:
    the median under-reads heavy-tailed noise (real metrics' is), the mean over-reads spikes."""
    m = params.persistence
    min_points = max(4, params.window // 4)
    size = np.abs(residual)
    robust = 1.4826 * _shifted(_moving_median(size, params.scale_window, min_points), m)
    cap = np.where(np.isfinite(robust) & (robust > 0), 4.0 * robust, np.inf)
    capped = pd.Series(np.fmin(size, cap))
    mean_abs = capped.rolling(params.scale_window, min_periods=min_points).mean().shift(m)
    learnt = np.fmax(robust, 1.2533 * mean_abs.to_numpy())
    known = np.isfinite(learnt)
    # A yardstick lost to a long gap is none until the errors after it rebuild it: the floor
    # alone would make the first points back departures of many σ. (Before one is first
    # learnt, the warm-up already keeps points from counting.)
    lost = ~known & np.maximum.accumulate(known)
    return np.asarray(np.where(lost, np.nan, np.fmax(learnt, floor)))


def _carry_over(z: FloatArray, window: int, lag: int) -> FloatArray:
    """φ: the lag-1 autocorrelation of the past errors (``z``, clipped so spikes do not decide
    it) over ``window`` points ending ``lag`` points back, in [0, :data:`MAX_CARRY`]; 0 until
    a quarter of the window is known."""
    present = np.isfinite(z)
    zc = np.clip(np.where(present, z, 0.0), -HUBER, HUBER)
    pairs = (present & np.concatenate(([False], present[:-1]))).astype(np.float64)
    before = np.concatenate(([0.0], zc[:-1]))
    cross = pd.Series(zc * before * pairs).rolling(window, min_periods=window // 4).sum()
    power = pd.Series(before * before * pairs).rolling(window, min_periods=window // 4).sum()
    with np.errstate(all="ignore"):
        phi = (cross.shift(lag) / power.shift(lag)).to_numpy()
    return np.clip(np.where(np.isfinite(phi), phi, 0.0), 0.0, MAX_CARRY)


def _calibration(stat: FloatArray, window: int, lag: int) -> Calibration:
    """How ``stat`` is standardised by its own recent past (median, and the larger of the MAD and
    the standard deviation), never more sensitive than the independent-errors theory:
    neighbouring errors of real metrics are correlated, which widens sums of z beyond N(0, 1),
    and by how much differs per series."""
    past = _shifted(stat, lag)
    centre = _moving_median(past, window, window // 4)
    mad = _moving_median(np.abs(past - centre), window, window // 4) * 1.4826
    # The standard deviation reads the tails the MAD ignores (seldom and large departures).
    deviation = (
        pd.Series(past).clip(-8.0, 8.0).rolling(window, min_periods=window // 4).std().to_numpy()
    )
    # fmax passes over NaN: a spread not known yet is the theory's 1.
    spread = np.asarray(np.fmax(np.fmax(mad, deviation), 1.0), dtype=np.float64)
    centre_v = np.asarray(np.where(np.isnan(centre), 0.0, centre), dtype=np.float64)
    return centre_v, spread


def _centred_at_least(calibration: Calibration, lowest: float) -> Calibration:
    centre, spread = calibration
    return np.fmax(centre, lowest), spread


def _apply(stat: FloatArray, calibration: Calibration, at: IntArray | None = None) -> FloatArray:
    """``stat`` standardised by :func:`_calibration` (of the points ``at``, default all)."""
    centre, spread = calibration
    if at is not None:
        centre, spread = centre[at], spread[at]
    return np.asarray((stat - centre) / spread, dtype=np.float64)


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
