"""Putting source series on a regular grid."""

from __future__ import annotations

import numpy as np

from tfshadow.forecast.prepare import filled, format_step, regularise


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
