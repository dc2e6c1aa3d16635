"""Judging one series: verdicts, the reported deviation, predicted breaches."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from tfshadow.forecast.engine import SeriesConfig, judge
from tfshadow.forecast.sensitivity import LEVELS
from tfshadow.metrics.base import Series

START = np.datetime64("2026-06-01T00:00:00", "ns")
MEDIUM = SeriesConfig(threshold=LEVELS["medium"])


def _series(values: np.ndarray, step: float = 60.0) -> Series:
    times = START + (np.arange(values.shape[0]) * step * 1e9).astype("timedelta64[ns]")
    return Series("aws_instance.web", "cpu", "csv", times, values)


def _noise(n: int = 1500, seed: int = 1) -> np.ndarray:
    return 40.0 + np.random.default_rng(seed).normal(0.0, 1.0, n)


def _at(index: int, step: float = 60.0) -> datetime:
    return datetime(2026, 6, 1, tzinfo=UTC) + timedelta(seconds=index * step)


def test_judge_clean_series_is_ok() -> None:
    judgement = judge(_series(_noise(seed=2)), MEDIUM)
    assert judgement.verdict.verdict == "ok"
    assert judgement.finding is None
    assert judgement.covered is not None


def test_judge_lasting_shift_is_an_ongoing_critical_deviation() -> None:
    values = _noise()
    values[1300:] += 8.0
    judgement = judge(_series(values), MEDIUM)
    finding = judgement.finding
    assert judgement.verdict.verdict == "deviation"
    assert finding is not None and finding.ongoing and finding.severity == "critical"
    assert abs((finding.start - _at(1300)).total_seconds()) <= 5 * 60
    assert finding.observed == pytest.approx(48.0, abs=0.5)
    assert finding.expected == pytest.approx(40.0, abs=0.5)
    assert "still above" in finding.reason
    assert finding.end == _at(1499)


def test_judge_recovered_deviation_is_info() -> None:
    values = _noise(seed=2)
    values[1100:1130] -= 8.0
    judgement = judge(_series(values), MEDIUM)
    finding = judgement.finding
    assert judgement.verdict.verdict == "ok"
    assert "recovered from a departure at 2026-06-01 18:" in judgement.verdict.detail
    assert finding is not None
    assert not finding.ongoing and finding.severity == "info"
    assert "was below" in finding.reason
    assert finding.end < _at(1170)


def test_judge_too_little_history_is_inconclusive() -> None:
    verdict = judge(_series(_noise(n=30)), MEDIUM).verdict
    assert verdict.verdict == "inconclusive"
    assert "too little history: 30 points, 63 needed (63 min at this 1 min step)" in verdict.detail
    single = judge(_series(_noise(n=1)), MEDIUM).verdict
    assert "too little history: 1 point, 63 needed" in single.detail
    # What a short Prometheus range gives: 60 points 15 s apart; widening to 16 min is enough.
    short = judge(_series(_noise(n=60), step=15.0), MEDIUM).verdict
    assert "60 points, 63 needed (16 min at this 15 s step)" in short.detail


def test_judge_too_little_history_names_a_range_at_the_sources_own_step() -> None:
    # Prometheus reads 10 min every 10 s (60 points) and 15 min every 15 s (60): no range under
    # 16 min is judged, and "63 needed (11 min at this 10 s step)" sent the user to one.
    from tfshadow.metrics.prometheus import choose_step

    old = replace(_series(_noise(n=60), step=10.0), step_for=choose_step, window=600.0)
    verdict = judge(old, MEDIUM).verdict
    assert verdict.detail == (
        "too little history: 60 points, 63 needed: a 10 min range is read at a 10 s step; "
        "a range is judged from 16 min on"
    )
    # The same range, started by a profile's action and ending now: it lengthens by itself.
    growing = judge(replace(old, grows=True), MEDIUM).verdict
    assert growing.detail.endswith("a range is judged from 16 min on (in about 6 min)")
    # A series that began 5 min before the end of a 7-day range: how soon it is judged.
    young = replace(_series(_noise(n=30), step=10.0), step_for=choose_step, window=7 * 86400.0)
    end = _at(30, step=10.0)
    detail = judge(young, replace(MEDIUM, end=end)).verdict.detail
    assert detail == (
        "too little history: 30 points, 63 needed: it began 5 min ago and is judged once it "
        "has 16 min of data (in about 11 min)"
    )


def test_judge_missing_recent_data_is_inconclusive_not_ok() -> None:
    values = _noise(seed=2)
    values[-40:] = np.nan
    verdict = judge(_series(values), MEDIUM).verdict
    assert verdict.verdict == "inconclusive"
    assert "no usable data at the end" in verdict.detail
    assert verdict.missing == 40


def test_judge_series_that_stopped_before_the_end_is_inconclusive() -> None:
    # A source that stopped answering 40 minutes before the end of the range: a scrape gap.
    values = _noise(seed=2)
    values[1300:] += 8.0
    config = SeriesConfig(threshold=LEVELS["medium"], end=_at(1499 + 40))
    judgement = judge(_series(values), config)
    assert judgement.verdict.verdict == "inconclusive"
    assert "no usable data at the end" in judgement.verdict.detail
    assert judgement.verdict.missing == 40
    finding = judgement.finding
    assert finding is not None and not finding.ongoing
    # Departed when its data stopped: not over, and as serious as it was.
    assert finding.last_seen and finding.severity == "critical"
    assert "last seen above the forecast" in finding.reason
    assert "last seen above the forecast" in judgement.verdict.detail
    assert finding.end == _at(1499)


def test_judge_series_that_stopped_after_recovering_is_over() -> None:
    values = _noise(seed=2)
    values[1300:1340] += 8.0
    config = SeriesConfig(threshold=LEVELS["medium"], end=_at(1499 + 40))
    finding = judge(_series(values), config).finding
    assert finding is not None and not finding.ongoing and not finding.last_seen
    assert finding.severity == "info"


@pytest.mark.parametrize(("step", "behind"), [(60.0, 2), (0.25, 40)])
def test_judge_series_a_little_behind_the_end_is_judged(step: float, behind: int) -> None:
    # Two steps of a minute, or ten seconds of a series sampled four times a second: a lag.
    values = _noise()
    values[1300:] += 8.0
    end = _at(1499 + behind, step)
    late = judge(_series(values, step), SeriesConfig(threshold=LEVELS["medium"], end=end))
    assert late == judge(_series(values, step), MEDIUM)
    assert late.verdict.verdict == "deviation"


def test_judge_all_nan_is_inconclusive() -> None:
    verdict = judge(_series(np.full(500, np.nan)), MEDIUM).verdict
    assert verdict.verdict == "inconclusive"


def test_judge_predicted_breach_of_a_leak() -> None:
    values = _noise()
    values[1000:] += np.linspace(0, 0.5 * 500, 500) * 0.1  # +25 over 500 minutes, smoothly
    config = SeriesConfig(threshold=LEVELS["low"], above=70.0, horizon=6 * 3600.0)
    judgement = judge(_series(values), config)
    finding = judgement.finding
    assert finding is not None
    assert finding.kind == "predicted_breach"
    assert judgement.verdict.verdict == "predicted_breach"
    assert "forecast to go above 70 in" in finding.reason
    assert finding.end > finding.start


def test_judge_no_breach_when_forecast_stays_below() -> None:
    config = SeriesConfig(threshold=LEVELS["medium"], above=95.0)
    assert judge(_series(_noise(seed=2)), config).finding is None


def test_judge_reports_gaps_and_irregular_sampling_in_notes() -> None:
    values = _noise()
    values[200:210] = np.nan
    verdict = judge(_series(values), MEDIUM).verdict
    assert any("10 of 1500 points missing" in n for n in verdict.notes)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_judge_steady_series_after_a_long_scrape_gap_is_ok(seed: int) -> None:
    values = _noise(seed=seed)
    values[300:900] = np.nan  # ten hours of a scrape outage; the metric itself never moved
    judgement = judge(_series(values), MEDIUM)
    assert judgement.verdict.verdict == "ok", judgement.verdict.detail
    # Nothing dated at the return of the data (seed 1's noise has a blip of its own, later).
    finding = judgement.finding
    assert finding is None or finding.start > _at(1000)


@pytest.mark.parametrize("model", ["theta", "ets", "seasonal"])
def test_judge_with_a_darts_model(model: str) -> None:
    values = _noise(n=800)
    values[700:] += 10.0
    judgement = judge(_series(values), SeriesConfig(threshold=LEVELS["medium"], model=model))
    assert judgement.verdict.model.startswith(model)
    assert judgement.verdict.verdict == "deviation"


def test_judge_blip_soon_after_the_seasonal_warmup_is_not_an_ongoing_deviation() -> None:
    # 5-minute samples with a daily shape: the seasonal forecast starts after 3 days, and a blip
    # early in day 4 has no forecast from a season before it to be judged against.
    step = 300.0
    n = 1300
    phase = 2 * np.pi * np.arange(n) / 288
    values = 50.0 + 20.0 * np.sin(phase) + np.random.default_rng(4).normal(0.0, 1.0, n)
    values[950:956] += 12.0
    judgement = judge(_series(values, step), MEDIUM)
    assert judgement.verdict.verdict == "ok", judgement.verdict.detail
    finding = judgement.finding
    assert finding is not None and not finding.ongoing and finding.severity == "info"
    assert _at(950, step) <= finding.end <= _at(970, step)


@pytest.mark.parametrize("drift", ["trend", "cycle"])
def test_judge_drift_after_a_blip_is_not_an_ongoing_deviation(drift: str) -> None:
    # A slow trend, or a daily cycle in a range too short to show it as a season, moves away
    # from any value frozen at a blip: that is no deviation still going on.
    n = 3000
    index = np.arange(n)
    base = 6.0 * (index / n if drift == "trend" else np.sin(2 * np.pi * index / n))
    values = _noise(n, seed=5) + base
    values[1500:1505] += 3.0
    judgement = judge(_series(values, 15.0), MEDIUM)
    assert judgement.verdict.verdict == "ok", judgement.verdict.detail
    assert judgement.finding is not None and not judgement.finding.ongoing


def test_judge_lasting_shift_with_a_trend_stays_ongoing() -> None:
    n = 3000
    values = _noise(n, seed=5) + 6.0 * np.arange(n) / n
    values[2000:] += 6.0
    judgement = judge(_series(values, 15.0), MEDIUM)
    finding = judgement.finding
    assert judgement.verdict.verdict == "deviation", judgement.verdict.detail
    assert finding is not None and finding.ongoing
    assert abs((finding.start - _at(2000, 15.0)).total_seconds()) <= 5 * 15


def test_judge_mistyped_timestamp_is_inconclusive_not_out_of_memory() -> None:
    # 1-second samples and one row 9 years earlier: a regular grid would need 2 GB per array.
    series = _series(_noise(2000), step=1.0)
    times = np.concatenate([[START - np.timedelta64(9 * 365, "D")], series.timestamps])
    values = np.concatenate([[40.0], series.values])
    judgement = judge(Series("aws_instance.web", "cpu", "csv", times, values), MEDIUM)
    assert judgement.verdict.verdict == "inconclusive"
    assert "3,285 days" in judgement.verdict.detail
    assert "check for a mistyped timestamp" in judgement.verdict.detail


def test_judge_business_hours_of_minute_samples_are_a_season_not_a_deviation() -> None:
    # A week of 1-minute samples of a service busy 09:00–18:00: each evening's fall is the day's
    # shape, read as a season, and no deviation (the range ends at 23:59, after one).
    n = 7 * 1440
    minute = np.arange(n) % 1440
    values = 10.0 + 50.0 * ((minute >= 540) & (minute < 1080))
    values += np.random.default_rng(4).normal(0.0, 2.0, n)
    judgement = judge(_series(values), MEDIUM)
    assert judgement.verdict.verdict == "ok", judgement.verdict.detail
    assert "period 1440" in judgement.verdict.model


@pytest.mark.parametrize("metric", ["disk", "counter"])
def test_judge_steady_climb_from_the_range_start_is_not_an_ongoing_deviation(metric: str) -> None:
    # A disk filling at a steady rate, a counter of requests: the median forecast lags a climb
    # this steep for its noise, and the range's first statistics (not calibrated yet) alarmed;
    # against the value frozen then, the whole week read as a deviation still going on.
    n = 7 * 1440
    rng = np.random.default_rng(5)
    if metric == "disk":
        values = 50.0 + 20.0 * np.arange(n) / n + rng.normal(0.0, 0.02, n)
    else:
        values = np.cumsum(100.0 + rng.normal(0.0, 5.0, n))
    judgement = judge(_series(values), MEDIUM)
    assert judgement.verdict.verdict == "ok", judgement.verdict.detail


def test_judge_metric_that_stopped_says_since_when() -> None:
    # A service that stopped reporting 90 minutes before the end of the range (it crashed after
    # a change): "20 recent points missing" hid how long, and since when, it has been silent.
    values = _noise(seed=2)
    config = SeriesConfig(threshold=LEVELS["medium"], end=_at(1499 + 90))
    verdict = judge(_series(values), config).verdict
    assert verdict.verdict == "inconclusive"
    assert verdict.detail == (
        "no usable data at the end of the range: none since 2026-06-02 00:59 "
        "(90 points missing at the end)"
    )


def test_judge_dates_the_first_point_that_departed_beyond_the_threshold() -> None:
    # A version applied after that point did not start the departure; the first alarm comes a
    # point later (a lone point at the clip raises none), too late to tell two applies apart.
    values = _noise()
    values[1300:] += 12.0
    finding = judge(_series(values), MEDIUM).finding
    assert finding is not None and finding.departed == _at(1300)


def _whole_percent_disk(seed: int = 1) -> np.ndarray:
    """A week of disk usage each minute, filling slowly 40% → 48%, in whole percent."""
    n = 7 * 1440
    rng = np.random.default_rng(seed)
    return np.round(40.0 + 8.0 * np.arange(n) / n + rng.normal(0.0, 0.05, n))


@pytest.mark.parametrize("sensitivity", ["medium", "high"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_judge_whole_percent_steps_of_a_filling_disk_are_rounding(
    sensitivity: str, seed: int
) -> None:
    judgement = judge(
        _series(_whole_percent_disk(seed)), SeriesConfig(threshold=LEVELS[sensitivity])
    )
    assert judgement.verdict.verdict == "ok", judgement.verdict.detail
    # Not even a departure that is over: each would keep a version from its good mark.
    assert judgement.deviations == ()


def test_judge_whole_percent_disk_that_jumps_is_still_critical() -> None:
    values = _whole_percent_disk()
    values[-30:] += 15.0
    finding = judge(_series(values), MEDIUM).finding
    assert finding is not None and finding.ongoing and finding.severity == "critical"


def _error_count(to: float, seed: int = 1) -> np.ndarray:
    """A week of errors each minute, mostly none, then ``to`` a minute for the last hour."""
    rng = np.random.default_rng(seed)
    values = rng.poisson(0.02, 7 * 1440).astype(float)
    values[-60:] = to
    return values


@pytest.mark.parametrize("resolution", [None, 1.0])
def test_judge_errors_going_from_none_to_five_a_minute_are_critical(
    resolution: float | None,
) -> None:
    # Whether read from the values or declared (`resolution = 1`): five is not rounding.
    config = replace(MEDIUM, resolution=resolution)
    finding = judge(_series(_error_count(5.0)), config).finding
    assert finding is not None and finding.ongoing and finding.severity == "critical"


def test_judge_errors_going_from_none_to_one_count_unless_declared_rounding() -> None:
    # Near zero a step of 1 is no rounding: the values alone never hide it.
    finding = judge(_series(_error_count(1.0)), MEDIUM).finding
    assert finding is not None and finding.ongoing and finding.severity == "critical"
    # `resolution = 1` says a step of 1 is not news for this metric.
    declared = judge(_series(_error_count(1.0)), replace(MEDIUM, resolution=1.0))
    assert declared.verdict.verdict == "ok"


def test_judge_resolution_zero_judges_every_step() -> None:
    judgement = judge(_series(_whole_percent_disk()), replace(MEDIUM, resolution=0.0))
    assert judgement.deviations != ()


def _memory_after_a_restart(n: int = 1500, at: int = 1300) -> np.ndarray:
    """Memory steady near 85%, then a restart at ``at``: down to 35%, climbing back slowly."""
    rng = np.random.default_rng(5)
    values = 85.0 + rng.normal(0.0, 0.5, n)
    tail = n - at
    values[at:] = 35.0 + 0.01 * np.arange(tail) + rng.normal(0.0, 0.5, tail)
    return values


def test_judge_memory_falling_at_a_restart_is_trouble_by_default() -> None:
    finding = judge(_series(_memory_after_a_restart()), MEDIUM).finding
    assert finding is not None and finding.ongoing and finding.severity == "critical"
    assert not finding.harmless


def test_judge_a_fall_where_only_above_is_trouble_is_information() -> None:
    judgement = judge(_series(_memory_after_a_restart()), replace(MEDIUM, trouble="above"))
    finding = judgement.finding
    assert finding is not None and finding.ongoing and finding.harmless
    assert finding.severity == "info"
    assert "still below the forecast" in finding.reason
    assert "below is no trouble for this metric (trouble = above)" in finding.reason
    # The series is as good as forecast for what matters: no deviation to keep a version from
    # its good mark either.
    assert judgement.verdict.verdict == "ok"
    assert judgement.deviations == ()


@pytest.mark.parametrize("trouble", ["above", "both"])
def test_judge_a_rise_where_above_is_trouble_stays_critical(trouble: str) -> None:
    values = _noise()
    values[1300:] += 8.0
    judgement = judge(_series(values), replace(MEDIUM, trouble=trouble))
    finding = judgement.finding
    assert judgement.verdict.verdict == "deviation"
    assert finding is not None and finding.severity == "critical" and not finding.harmless
