"""The darts forecasting models, by the names users give them.

Two uses: the forecast *ahead* (the horizon, for predicted breaches, and the expected values shown
beside observed ones), and, for models other than ``default``, the one-step-ahead forecasts the
detector compares each point with (darts ``historical_forecasts``: refit every :data:`REFIT_EVERY`
points on a trailing window, forecasting the points up to the next refit). ``default`` scores with
the detector's own robust seasonal baseline, which is fast enough for thousands of series, and
forecasts ahead with darts' Theta (seasonal series) or Holt's linear exponential smoothing (others).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import numpy.typing as npt

from tfshadow.errors import UsageError
from tfshadow.forecast.prepare import filled
from tfshadow.settings.analysis import MODELS

FloatArray = npt.NDArray[np.float64]

TRAIN_POINTS = 1000  # trailing points a model is fitted on: fits cost grow with length
REFIT_EVERY = 50  # one-step forecasts between refits of a non-default model
SCORED_POINTS = 500  # the newest points a non-default model scores (older: the baseline)
NEURAL = ("lstm",)
LSTM_LONGEST_CHUNK = 96
# The points an LSTM needs to learn from: one training window of its longest chunk, plus one.
NEURAL_MIN_POINTS = LSTM_LONGEST_CHUNK + 8 + 1


def check_model(name: str) -> str:
    """``name`` if it is a known model (and its extra is installed), else UsageError."""
    if name not in MODELS:
        raise UsageError(f"unknown model `{name}`", hint=f"use one of {', '.join(MODELS)}")
    if name == "lstm":
        try:
            import torch  # noqa: F401
        except ImportError:
            raise UsageError(
                "the lstm model needs PyTorch",
                hint="install it with `pip install 'tfshadow[lstm]'`",
            ) from None
    if name == "autoarima":
        try:
            import statsforecast  # noqa: F401
        except ImportError:
            raise UsageError(
                "the autoarima model needs statsforecast",
                hint="install it with `pip install 'tfshadow[autoarima]'`",
            ) from None
    return name


def build(name: str, period: int, train_points: int) -> Any:
    """A fresh darts model for ``name`` at seasonal ``period`` (0: none)."""
    from darts.models import ARIMA, ExponentialSmoothing, NaiveSeasonal, Theta
    from darts.utils.utils import ModelMode, SeasonalityMode

    seasonal = period if period and train_points >= 2 * period + 2 else 0
    if name == "default":
        if seasonal:
            return Theta(seasonality_period=seasonal)
        return ExponentialSmoothing(trend=ModelMode.ADDITIVE, seasonal=SeasonalityMode.NONE)
    if name == "ets":
        if seasonal:
            return ExponentialSmoothing(seasonal_periods=seasonal)
        return ExponentialSmoothing(trend=ModelMode.ADDITIVE, seasonal=SeasonalityMode.NONE)
    if name == "theta":
        return Theta(seasonality_period=seasonal or None)
    if name == "seasonal":
        return NaiveSeasonal(K=seasonal or 1)
    if name == "arima":
        return ARIMA(p=2, d=1, q=1, seasonal_order=(0, 0, 0, 0))
    if name == "autoarima":
        from darts.models import AutoARIMA

        return AutoARIMA(season_length=seasonal or 1)
    if name == "lstm":
        import logging

        from darts.models import RNNModel

        # Lightning announces the hardware it found on every fit; analyze's output is ours.
        for noisy in ("pytorch_lightning", "lightning.pytorch", "lightning_fabric"):
            logging.getLogger(noisy).setLevel(logging.ERROR)

        chunk = max(8, min(seasonal or 24, LSTM_LONGEST_CHUNK))
        return RNNModel(
            model="LSTM",
            input_chunk_length=chunk,
            training_length=chunk + 8,
            n_epochs=10,
            random_state=0,
            pl_trainer_kwargs={
                "accelerator": "cpu",
                "enable_progress_bar": False,
                "enable_model_summary": False,
                "logger": False,
                "enable_checkpointing": False,
            },
        )
    raise UsageError(f"unknown model `{name}`", hint=f"use one of {', '.join(MODELS)}")


def forecast_ahead(values: FloatArray, period: int, model: str, points: int) -> FloatArray:
    """The next ``points`` values after ``values`` (holes filled first)."""
    from darts import TimeSeries

    history = filled(values[-TRAIN_POINTS:])
    if history.shape[0] < (NEURAL_MIN_POINTS if model in NEURAL else 8) or points <= 0:
        return np.full(max(points, 0), np.nan)
    scale = _Standard(history) if model in NEURAL else _Standard.identity()
    forecaster = build(model, period, history.shape[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        forecaster.fit(TimeSeries.from_values(scale.forward(history)))
        predicted = (
            forecaster.predict(points, verbose=False)
            if model in NEURAL
            else (forecaster.predict(points))
        )
    return scale.back(np.asarray(predicted.values(copy=False)[:, 0], dtype=np.float64))


class _Standard:
    """Standardisation around a neural model, which learns badly on raw magnitudes."""

    def __init__(self, train: FloatArray) -> None:
        self.mean = float(np.mean(train))
        std = float(np.std(train))
        self.std = std if std > 0 else 1.0

    @classmethod
    def identity(cls) -> _Standard:
        return cls(np.array([-1.0, 1.0]))._as_identity()

    def _as_identity(self) -> _Standard:
        self.mean, self.std = 0.0, 1.0
        return self

    def forward(self, x: FloatArray) -> FloatArray:
        return (x - self.mean) / self.std

    def back(self, x: FloatArray) -> FloatArray:
        return x * self.std + self.mean


def one_step_expected(
    values: FloatArray, period: int, model: str, scored: int | None = SCORED_POINTS
) -> FloatArray:
    """Forecasts by ``model`` of the newest ``scored`` points (None: all it can), NaN before
    them, each from points before it only."""
    from darts import TimeSeries

    x = filled(values)
    n = x.shape[0]
    expected = np.full(n, np.nan)
    start = max(n - (scored if scored is not None else n), 2 * max(period, 16))
    if model in NEURAL:
        start = max(start, NEURAL_MIN_POINTS)
    if start >= n:
        return expected
    train = min(TRAIN_POINTS, start)
    forecaster = build(model, period, train)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if model in NEURAL:
            # A global model is trained once, on the points before the first it scores, and
            # then reads each point's past without refitting.
            scale = _Standard(x[start - train : start])
            series = TimeSeries.from_values(scale.forward(x))
            forecaster.fit(series[start - train : start], verbose=False)
            one_step = forecaster.historical_forecasts(
                series,
                start=start,
                forecast_horizon=1,
                retrain=False,
                last_points_only=True,
                verbose=False,
                show_warnings=False,
            )
            predicted = scale.back(np.asarray(one_step.values(copy=False)[:, 0], np.float64))
            expected[n - predicted.shape[0] :] = predicted
            return expected
        # darts' local models refit for every forecast they make, so each refit forecasts the
        # next REFIT_EVERY points at once: still only from points before them.
        forecasts = forecaster.historical_forecasts(
            TimeSeries.from_values(x),
            start=start,
            forecast_horizon=REFIT_EVERY,
            stride=REFIT_EVERY,
            retrain=True,
            train_length=train,
            last_points_only=False,
            overlap_end=True,
            verbose=False,
            show_warnings=False,
        )
    position = start
    for block in forecasts:
        predicted = np.asarray(block.values(copy=False)[:, 0], dtype=np.float64)
        take = min(predicted.shape[0], n - position)
        expected[position : position + take] = predicted[:take]
        position += take
    return expected
