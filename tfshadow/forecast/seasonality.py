"""Which seasonal period a series has, read from the data."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from tfshadow.forecast.detector import SEASONS
from tfshadow.forecast.prepare import filled

# A period must repeat often enough for the forecast to read SEASONS of it plus a margin.
MIN_PERIOD = 4
# At least this many of the last points are tested; more when a cycle that fits in the series
# needs more to repeat SEASONS + 1 times (a day of 1-minute samples is 1,440 points).
MAX_TEST_POINTS = 3000


CYCLES = (3600.0, 86400.0, 7 * 86400.0)  # hourly, daily and weekly rhythms of workloads


MIN_STRENGTH = 0.2  # autocorrelation at the period below this is too weak to forecast with


def detect_period(values: npt.NDArray[np.float64], step: float) -> int:
    """The seasonal period in points, or 0 when none is significant.

    Infrastructure metrics follow the clock: the candidates are an hour, a day and a week at this
    sampling step. A candidate counts when the autocorrelation at that lag of the series less its
    trend (below) is significant (beyond noise's 1.96/√n), at least :data:`MIN_STRENGTH`, a local
    peak (±2 lags, sampling jitter moves it) and higher than the dip before it; the longest that
    counts wins, since a weekly shape contains the daily one. A free search over every lag
    mistakes trends and noise for short cycles. A period needs ``SEASONS + 1`` repetitions in the
    series; the last :data:`MAX_TEST_POINTS` are tested, or as many as the longest cycle with that
    many repetitions in the series needs: a week of 1-minute samples holds a day seven times,
    which the last 3,000 points (two days) could never show.
    """
    periods = {cycle: round(cycle / step) for cycle in CYCLES}
    fitting = [
        period
        for cycle, period in periods.items()
        if MIN_PERIOD <= period <= values.shape[0] // (SEASONS + 1)
        and abs(period * step - cycle) <= step / 2
    ]
    tested = max([MAX_TEST_POINTS] + [(SEASONS + 1) * period for period in fitting])
    x = filled(values[-tested:])
    n = x.shape[0]
    max_lag = n // (SEASONS + 1)
    candidates = [period for period in fitting if period <= max_lag]
    if not candidates or np.ptp(x) == 0:
        return 0
    peak = np.abs(x).max()
    if np.isfinite(peak):
        x = x / peak  # in a unit whose trend and correlation cannot overflow (autocorrelation)
    # The trend is the mean over the longest candidate cycle, which holds every shorter one
    # whole: what is left keeps the seasons, and a leak or a ramp that began lately (a straight
    # line cannot take it out) no longer hides them.
    trend = pd.Series(x).rolling(max(candidates), center=True, min_periods=1).mean().to_numpy()
    x = x - trend
    acf = autocorrelation(x, max_lag + 2)
    best = 0
    for period in candidates:
        bound = 1.96 / np.sqrt(n)
        near = acf[max(1, period - 2) : period + 3]
        # A cycle dips before it returns; a slow drift only decays.
        dips = acf[1:period].min() <= acf[period] - MIN_STRENGTH / 2
        strong = acf[period] >= max(bound, MIN_STRENGTH)
        if strong and dips and acf[period] >= near.max() - 0.02:
            best = period
    return best


def longer_spans(step: float) -> tuple[int, ...]:
    """The lengths past :data:`MAX_TEST_POINTS` at which a cycle first repeats ``SEASONS + 1``
    times at this sampling step (a day of 1-minute samples: 5,760 points), shortest first: what
    a reader of a series as it grows tests again to see a longer season."""
    spans = {(SEASONS + 1) * round(cycle / step) for cycle in CYCLES}
    return tuple(sorted(span for span in spans if span > MAX_TEST_POINTS))


def autocorrelation(x: npt.NDArray[np.float64], lags: int) -> npt.NDArray[np.float64]:
    """Sample autocorrelation at lags 0..``lags`` (FFT, biased estimator as statsmodels)."""
    # Sums and squares of values past 1e150 overflow to inf and those below 1e-150 vanish,
    # losing the season: the correlation does not depend on the unit, so compute it in one.
    peak = np.abs(x).max() if x.shape[0] else 0.0
    if np.isfinite(peak) and peak > 0:
        x = x / peak
    centred = x - x.mean()
    n = centred.shape[0]
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spectrum = np.fft.rfft(centred, size)
    acov = np.fft.irfft(spectrum * np.conj(spectrum), size)[: lags + 1]
    return np.asarray(acov / acov[0], dtype=np.float64)
