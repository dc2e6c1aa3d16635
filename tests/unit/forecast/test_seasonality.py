"""Seasonal periods read from the data."""

from __future__ import annotations

import numpy as np
import pytest

from bench.series import clean, faulty
from tfshadow.forecast.seasonality import autocorrelation, detect_period


@pytest.mark.parametrize(("kind", "period"), [(0, 288), (1, 60), (2, 168), (3, 0)])
def test_detect_period_finds_the_true_cycle(kind: int, period: int) -> None:
    rng = np.random.default_rng(kind)
    for _ in range(5):
        case = clean(rng, 4000, kind)
        assert detect_period(case.values, case.step) == period


def test_detect_period_ignores_a_trend() -> None:
    t = np.arange(3000, dtype=float)
    values = 0.05 * t + np.random.default_rng(1).normal(0, 1, 3000)
    assert detect_period(values, 60.0) == 0


@pytest.mark.parametrize(("kind", "period"), [(0, 288), (1, 60), (2, 168)])
def test_detect_period_sees_the_cycle_under_a_late_leak(kind: int, period: int) -> None:
    # A leak that began in the last third (the kind of fault analyze is asked about) grows far
    # beyond the daily swing; a straight-line detrend leaves its bend, which then hid the cycle.
    rng = np.random.default_rng(10 + kind)
    for _ in range(5):
        case = faulty(rng, 4000, "leak", 3.0)
        while case.period != period or (case.at or 0) > 3300:  # leaking 700 points or more
            case = faulty(rng, 4000, "leak", 3.0)
        assert detect_period(case.values, case.step) == period


def test_detect_period_needs_enough_repetitions() -> None:
    t = np.arange(500, dtype=float)
    values = np.sin(2 * np.pi * t / 288)
    assert detect_period(values, 300.0) == 0  # fewer than four days


def test_detect_period_flat_and_short_series() -> None:
    assert detect_period(np.full(1000, 3.0), 60.0) == 0
    assert detect_period(np.array([1.0, 2.0]), 60.0) == 0


def test_autocorrelation_matches_the_definition() -> None:
    x = np.random.default_rng(2).normal(0, 1, 200)
    acf = autocorrelation(x, 5)
    c = x - x.mean()
    expected = [np.sum(c[: 200 - k] * c[k:]) / np.sum(c * c) for k in range(6)]
    np.testing.assert_allclose(acf, expected, atol=1e-9)


@pytest.mark.parametrize("unit", [1e-300, 1e-200, 1e150, 1e300])
def test_detect_period_does_not_depend_on_the_unit(unit: float) -> None:
    # Squared in the autocorrelation, values this large overflowed to inf and this small
    # vanished: the season was lost, with a numpy warning on stderr.
    case = clean(np.random.default_rng(0), 4000, 0)
    with np.errstate(all="raise"):
        assert detect_period(case.values * unit, case.step) == 288


@pytest.mark.parametrize(("step", "days", "period"), [(60.0, 7, 1440), (300.0, 28, 2016)])
def test_detect_period_reads_a_cycle_longer_than_the_default_span(
    step: float, days: int, period: int
) -> None:
    # A week of 1-minute samples holds a day seven times, four weeks of 5-minute samples a week
    # four times: the last 3,000 points alone (two days, ten days) never showed either.
    t = np.arange(round(days * 86400 / step), dtype=float)
    cycle = np.sin(2 * np.pi * t / period) + 0.3 * np.sin(2 * np.pi * t * step / 86400)
    values = 40.0 + 10.0 * cycle + np.random.default_rng(3).normal(0.0, 1.0, t.shape[0])
    assert detect_period(values, step) == period
