"""Putting source series on a regular grid."""

from __future__ import annotations

import numpy as np

from tfshadow.forecast.prepare import filled, format_step, regularise, sampling_step


def _ts(*seconds: float) -> np.ndarray:
    base = np.datetime64("2026-03-01T00:00:00", "ns")
    return base + (np.array(seconds) * 1e9).astype("timedelta64[ns]")


def test_regularise_keeps_holes_as_missing() -> None:
    grid = regularise(_ts(0, 60, 120, 300, 360), np.array([1.0, 2, 3, 6, 7]))
    assert grid.step == 60
    np.testing.assert_array_equal(grid.values, [1, 2, 3, np.nan, np.nan, 6, 7])
    assert grid.missing == 2
    assert "2 of 7 points missing" in grid.notes()


def test_regularise_merges_duplicates_and_late_scrapes() -> None:
    grid = regularise(_ts(0, 60, 61, 125, 180), np.array([1.0, 2, 4, 5, 6]))
    np.testing.assert_array_equal(grid.values, [1, 3, 5, 6])
    assert grid.merged == 1


def test_regularise_sorts_and_reports_irregular_sampling() -> None:
    grid = regularise(_ts(120, 0, 60, 220, 240), np.array([3.0, 1, 2, 9, 5]))
    assert grid.values[0] == 1 and grid.irregular
    assert any("irregular" in n for n in grid.notes())


def test_regularise_nan_values_count_as_missing() -> None:
    grid = regularise(_ts(0, 60, 120), np.array([1.0, np.nan, 3]))
    assert grid.missing == 1


def test_regularise_empty_series() -> None:
    grid = regularise(_ts(), np.array([]))
    assert grid.values.shape == (0,)


def test_filled_interpolates_and_holds_the_ends() -> None:
    np.testing.assert_array_equal(filled(np.array([np.nan, 1, np.nan, 3, np.nan])), [1, 1, 2, 3, 3])
    np.testing.assert_array_equal(filled(np.array([np.nan, np.nan])), [0, 0])


def test_format_step() -> None:
    assert format_step(300) == "5 min"
    assert format_step(3600) == "1 h"
    assert format_step(15) == "15 s"


def test_sampling_step_of_a_rate_is_its_spacing_whatever_the_jitter_and_gaps() -> None:
    rng = np.random.default_rng(4)
    jitter = np.cumsum(60 * rng.uniform(0.55, 1.45, 2000))
    step = sampling_step(_ts(*jitter))
    assert step is not None and abs(step - 60) < 3
    gaps = np.cumsum(np.where(rng.random(2000) < 0.2, 600, 60))  # an outage in every five
    assert sampling_step(_ts(*gaps)) == 60


def test_sampling_step_of_random_arrivals_leaves_few_steps_empty() -> None:
    # Events at random (a mean spacing of 60 s): the median spacing, 42 s, left half the grid
    # empty, holes that are no missing data.
    rng = np.random.default_rng(5)
    stamps = _ts(*np.cumsum(rng.exponential(60, 4000)))
    step = sampling_step(stamps)
    assert step is not None and 120 < step < 160
    grid = regularise(stamps, np.ones(4000))
    assert grid.step == step and grid.missing / grid.values.shape[0] < 0.15
