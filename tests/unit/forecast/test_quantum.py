"""The resolution a series is measured to, read from its values."""

from __future__ import annotations

import numpy as np
import pytest

from tfshadow.forecast.quantum import grid_step, rounding


def _slow_climb(step: float) -> np.ndarray:
    """A week of a gauge rising 40 → 48, reported to ``step``."""
    n = 7 * 1440
    under = 40.0 + 8.0 * np.arange(n) / n + np.random.default_rng(1).normal(0.0, 0.05, n)
    return np.round(under / step) * step


@pytest.mark.parametrize("step", [1.0, 0.1, 0.5])
def test_grid_step_of_a_rounded_gauge(step: float) -> None:
    assert grid_step(_slow_climb(step)) == pytest.approx(step)
    assert rounding(_slow_climb(step)) == pytest.approx(step)


def test_continuous_values_lie_on_no_grid() -> None:
    values = 40.0 + np.random.default_rng(2).normal(0.0, 1.0, 2000)
    assert grid_step(values) == 0.0
    # Three decimals of a CSV file are a grid too fine to matter: most values are distinct.
    assert grid_step(np.round(values, 3)) == 0.0


def test_a_count_near_zero_is_on_a_grid_but_each_step_counts() -> None:
    errors = np.random.default_rng(3).poisson(0.05, 2000).astype(float)
    replicas = np.full(2000, 3.0)
    replicas[::7] = 2.0
    for values in (errors, replicas):
        assert grid_step(values) == 1.0
        assert rounding(values) == 0.0


def test_too_few_points_or_a_constant_read_no_grid() -> None:
    assert grid_step(np.array([41.0, 42.0, 41.0])) == 0.0
    assert grid_step(np.full(100, 41.0)) == 0.0
    assert grid_step(np.full(100, np.nan)) == 0.0
