"""The darts models by name: forecasts ahead, one-step forecasts without look-ahead."""

from __future__ import annotations

import numpy as np
import pytest

from tfshadow.errors import UsageError
from tfshadow.forecast import models

MODELS = ("default", "ets", "theta", "seasonal", "arima", "autoarima", "lstm")


def _series(n: int = 400) -> np.ndarray:
    t = np.arange(n)
    return 50 + 5 * np.sin(2 * np.pi * t / 24) + np.random.default_rng(3).normal(0, 0.5, n)


def _period(name: str) -> int:
    # A seasonal auto-ARIMA search costs minutes: the tests give it a series without a season.
    return 0 if name == "autoarima" else 24


@pytest.mark.parametrize("name", MODELS)
def test_models_forecast_ahead_follows_the_series(name: str) -> None:
    ahead = models.forecast_ahead(_series(), _period(name), name, 12)
    assert ahead.shape == (12,)
    assert np.isfinite(ahead).all()
    assert (np.abs(ahead - 50) < 12).all()


@pytest.mark.parametrize("name", [m for m in MODELS if m != "default"])
def test_models_one_step_expected_reads_no_later_points(name: str) -> None:
    x = _series()
    changed = x.copy()
    changed[350:] += 100.0
    a = models.one_step_expected(x, _period(name), name, scored=100)
    b = models.one_step_expected(changed, _period(name), name, scored=100)
    assert np.isnan(a[:300]).all() and np.isfinite(a[300:]).all()
    np.testing.assert_allclose(a[300:350], b[300:350], rtol=1e-6)
    # Forecasts up to 50 points ahead: near the series, within the daily swing of ±5.
    assert np.nanmean(np.abs(a[300:] - x[300:])) < 8.0


@pytest.mark.parametrize("period", [0, 16])
def test_models_lstm_on_a_short_series_waits_for_enough_history(period: int) -> None:
    x = _series(150)
    expected = models.one_step_expected(x, period, "lstm", scored=None)
    assert expected.shape == (150,)
    assert np.isfinite(expected[-20:]).all()
    assert np.isnan(models.forecast_ahead(x[:30], period, "lstm", 3)).all()


def test_models_forecast_ahead_of_too_little_data_is_nan() -> None:
    assert np.isnan(models.forecast_ahead(np.array([1.0, 2.0]), 0, "default", 3)).all()


def test_models_unknown_name() -> None:
    with pytest.raises(UsageError, match="unknown model `prophet`"):
        models.check_model("prophet")
    assert models.check_model("lstm") == "lstm"  # the lstm extra is part of the test set-up
