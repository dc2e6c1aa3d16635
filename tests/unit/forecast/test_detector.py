"""The online deviation detector on series whose faults sit at known points."""

from __future__ import annotations

import numpy as np
import pytest

from bench.series import clean, faulty
from tfshadow.forecast import detector
from tfshadow.forecast.sensitivity import LEVELS

MEDIUM = LEVELS["medium"]


def _noise(seed: int, n: int = 1500, sigma: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 50.0 + rng.normal(0.0, sigma, n)


def _carried_noise(seed: int, phi: float, n: int = 3000) -> np.ndarray:
    """AR(1) noise whose innovations have σ = 1, as most metrics carry errors over."""
    shocks = np.random.default_rng(seed).normal(0.0, 1.0, n)
    out = np.empty(n)
    previous = 0.0
    for i, shock in enumerate(shocks):
        previous = phi * previous + shock
        out[i] = previous
    return 50.0 + out


def test_detector_scores_use_no_later_points() -> None:
    values = _noise(1)
    changed = values.copy()
    changed[1000:] += 40.0  # a future that differs wildly
    a = detector.score(values, 0, MEDIUM)
    b = detector.score(changed, 0, MEDIUM)
    np.testing.assert_array_equal(a.statistic[:1000], b.statistic[:1000])
    np.testing.assert_array_equal(a.expected[:1000], b.expected[:1000])


def test_detector_seasonal_scores_use_no_later_points() -> None:
    t = np.arange(2000)
    values = 30 + 10 * np.sin(2 * np.pi * t / 60) + np.random.default_rng(2).normal(0, 1, 2000)
    changed = values.copy()
    changed[1500:] = 0.0
    a = detector.score(values, 60, MEDIUM)
    b = detector.score(changed, 60, MEDIUM)
    np.testing.assert_array_equal(a.statistic[:1500], b.statistic[:1500])


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_detector_level_shift_of_four_sigma_alarms_within_five_points(sign: float) -> None:
    values = _noise(3)
    values[1200:] += sign * 4.0
    scores = detector.score(values, 0, MEDIUM)
    assert not scores.alarm[:1200].any()
    first = int(np.flatnonzero(scores.alarm)[0])
    assert 1200 <= first <= 1204
    episode = next(e for e in detector.episodes(scores) if e.first_alarm >= 1200)
    assert episode.sign == int(sign)
    assert 1196 <= episode.start <= 1202


def test_detector_single_spike_is_not_a_deviation() -> None:
    values = _noise(4)
    values[900] += 50.0
    scores = detector.score(values, 0, MEDIUM)
    assert not scores.alarm.any()


def test_detector_clean_series_raise_few_alarms_at_medium() -> None:
    rng = np.random.default_rng(5)
    episodes = points = 0
    for _ in range(20):
        case = clean(rng, 3000)
        scores = detector.score(case.values, case.period, MEDIUM)
        episodes += len(detector.episodes(scores))
        points += int(scores.evidence.sum())
    assert points > 20 * 1000
    assert 1000 * episodes / points < 2.0


def test_detector_variance_burst_is_detected() -> None:
    rng = np.random.default_rng(6)
    values = _noise(6)
    values[1200:1240] += rng.normal(0.0, 5.0, 40)
    scores = detector.score(values, 0, MEDIUM)
    alarms = np.flatnonzero(scores.alarm)
    assert alarms.size and 1200 <= alarms[0] <= 1220


def test_detector_missing_points_are_not_evidence() -> None:
    values = _noise(7)
    values[800:830] = np.nan
    scores = detector.score(values, 0, MEDIUM)
    assert not scores.evidence[800:830].any()
    assert not scores.alarm[800:840].any()
    assert scores.evidence[900:].all()


def test_detector_points_right_after_a_long_gap_are_no_evidence() -> None:
    # Ten hours without data: the yardstick of the errors must be learnt again before a point
    # can count, else the first points back are scored against almost no scale at all.
    values = _noise(7)
    values[300:900] = np.nan
    scores = detector.score(values, 0, MEDIUM)
    assert not scores.alarm.any(), np.flatnonzero(scores.alarm)[:10]
    assert scores.evidence[1000:].all()


def test_detector_warmup_is_not_evidence() -> None:
    scores = detector.score(_noise(8, n=400), 0, MEDIUM)
    assert scores.warmup == detector.warmup_points(0, detector.Params())
    assert not scores.evidence[: scores.warmup].any()
    assert scores.evidence[scores.warmup + 10 :].any()
    seasonal = detector.score(_noise(8, n=400), 50, MEDIUM)
    assert seasonal.warmup > 3 * 50


def test_detector_constant_series_then_change_alarms() -> None:
    values = np.full(600, 7.0)
    values[500:] = 9.0
    scores = detector.score(values, 0, MEDIUM)
    assert not scores.alarm[:500].any()
    assert scores.alarm[500:505].any()


def test_detector_anomaly_score_is_half_at_threshold() -> None:
    stat = np.array([np.nan, 0.0, MEDIUM, 2 * MEDIUM, -1.0])
    score = detector.anomaly_score(stat, MEDIUM)
    assert score[0] == 0.0 and score[1] == 0.0 and score[4] == 0.0
    assert score[2] == pytest.approx(0.5)
    assert 0.5 < score[3] < 1.0


def test_detector_model_expected_replaces_the_baseline() -> None:
    values = _noise(9)
    perfect = values.copy()
    perfect[:1000] = np.nan  # only the newest points come from the model
    scores = detector.score(values, 0, MEDIUM, model_expected=perfect)
    np.testing.assert_array_equal(scores.expected[1000:], values[1000:])


def test_detector_detects_injected_faults_of_the_evaluation_set() -> None:
    rng = np.random.default_rng(10)
    found = 0
    for _ in range(10):
        case = faulty(rng, 3000, "level_shift", 6.0)
        assert case.at is not None
        scores = detector.score(case.values, case.period, MEDIUM)
        hits = [
            e for e in detector.episodes(scores) if case.at - 2 <= e.first_alarm <= case.at + 10
        ]
        found += bool(hits)
    assert found >= 9


def test_detector_autocorrelated_noise_scores_use_no_later_points() -> None:
    values = _carried_noise(11, 0.6)
    changed = values.copy()
    changed[2000:] += 25.0
    a = detector.score(values, 0, MEDIUM)
    b = detector.score(changed, 0, MEDIUM)
    np.testing.assert_array_equal(a.statistic[:2000], b.statistic[:2000])
    np.testing.assert_array_equal(a.z[:2000], b.z[:2000])


@pytest.mark.parametrize("phi", [0.3, 0.5, 0.7])
def test_detector_autocorrelated_noise_without_fault_raises_few_alarms(phi: float) -> None:
    episodes = points = 0
    for seed in range(8):
        scores = detector.score(_carried_noise(100 + seed, phi, 4000), 0, MEDIUM)
        episodes += len(detector.episodes(scores))
        points += int(scores.evidence.sum())
    assert points > 8 * 3500
    assert 1000 * episodes / points < 1.0


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_detector_shift_in_autocorrelated_noise_alarms_within_five_points(sign: float) -> None:
    # 5 σ of the innovations: the carried-over noise is 1.7 times wider than that.
    detected = 0
    for seed in range(10):
        values = _carried_noise(200 + seed, 0.5)
        values[2500:] += sign * 5.0
        scores = detector.score(values, 0, MEDIUM)
        hits = [e for e in detector.episodes(scores) if 2498 <= e.first_alarm <= 2504]
        detected += bool(hits) and hits[0].sign == int(sign)
    assert detected >= 9


def test_detector_additive_spike_in_autocorrelated_noise_is_not_a_deviation() -> None:
    values = _carried_noise(12, 0.6)
    values[2200] += 40.0
    scores = detector.score(values, 0, MEDIUM)
    assert not scores.alarm[2195:2215].any()


def test_evaluation_set_units_size_faults_on_the_same_series() -> None:
    # Sized in σ of the noise itself, a fault on autocorrelated noise is larger than in σ of
    # its innovations by 1/√(1 - φ²); the series and the fault's place stay the same.
    for seed in range(12):
        by_innovation = faulty(np.random.default_rng(seed), 1500, "level_shift", 3.0)
        by_noise = faulty(np.random.default_rng(seed), 1500, "level_shift", 3.0, "marginal")
        assert by_innovation.at == by_noise.at and by_innovation.name == by_noise.name
        assert by_innovation.at is not None
        before = slice(0, by_innovation.at)
        np.testing.assert_array_equal(by_innovation.values[before], by_noise.values[before])
        step = np.nanmedian(by_noise.values[by_noise.at :] - by_innovation.values[by_noise.at :])
        ratio = by_noise.noise_sigma / by_noise.sigma
        assert ratio == 1.0 if by_noise.name.endswith("ar0.0") else ratio > 1.04
        assert abs(step) == pytest.approx(3.0 * (by_noise.noise_sigma - by_noise.sigma), abs=1e-6)


def test_detector_small_shift_in_carried_over_seasonal_noise_is_caught_before_absorbed() -> None:
    # A 3σ step in noise that carries over (φ ≥ 0.4) stands out only over more points than a
    # persistence window, and the seasonal forecast absorbs it within a few dozen: the long
    # innovation test is what sees most of them (the short tests alone: 65 of these 100).
    rng = np.random.default_rng(21)
    caught = total = 0
    while total < 100:
        case = clean(rng, 3000, kind=int(rng.integers(0, 3)), keep=slice(2390, 2450))
        if float(case.name.split("ar")[1]) < 0.4:
            continue
        total += 1
        values = case.values.copy()
        values[2400:] += 3.0 * case.sigma * (1 if rng.random() < 0.5 else -1)
        scores = detector.score(values, case.period, MEDIUM)
        caught += any(2398 <= e.first_alarm <= 2500 for e in detector.episodes(scores))
    assert caught >= 70


def test_detector_burst_of_noise_in_carried_over_noise_is_detected() -> None:
    # On noise that carries over, the errors' squares wander with it; the bursts show in what is
    # new at each point (the errors' test alone: 19 of these 40).
    rng = np.random.default_rng(31)
    caught = total = 0
    while total < 40:
        case = clean(rng, 3000, keep=slice(1990, 2050))
        if float(case.name.split("ar")[1]) < 0.3:
            continue
        total += 1
        values = case.values.copy()
        values[2000:2040] += rng.normal(0, 3.0 * case.sigma, 40)
        scores = detector.score(values, case.period, MEDIUM)
        caught += any(1998 <= e.first_alarm <= 2040 for e in detector.episodes(scores))
    assert caught >= 26


def test_detector_seasonal_forecast_of_carried_over_noise_stays_near_the_signal() -> None:
    # Three seasons' medians and a short-window correction put ~0.57 σ of noise into the
    # forecast of these series; the level over whole seasons and up to eight seasons' shape
    # put ~0.41 σ.
    rng = np.random.default_rng(41)
    errors: list[float] = []
    while len(errors) < 20:
        case = clean(rng, 3000, kind=int(rng.integers(0, 3)))
        if case.phi < 0.3:
            continue
        assert case.signal is not None
        params = detector.Params()
        expected = detector.expected_values(case.values, case.period, params)
        off = (expected - case.signal)[detector.warmup_points(case.period, params) :]
        errors.append(float(np.sqrt(np.nanmean(off * off))) / case.noise_sigma)
    assert float(np.mean(errors)) < 0.48


def test_detector_seasonal_level_change_seasons_ago_is_not_flagged_again() -> None:
    period = 96
    t = np.arange(12 * period)
    late = caught = 0
    for seed in range(20):
        values = 50.0 + 5.0 * np.sin(2 * np.pi * t / period)
        values += np.random.default_rng(seed).normal(0.0, 1.0, t.shape[0])
        values[5 * period :] += 6.0
        found = detector.episodes(detector.score(values, period, MEDIUM))
        caught += any(5 * period - 2 <= e.first_alarm <= 5 * period + 5 for e in found)
        late += sum(e.first_alarm >= 8 * period for e in found)
    assert caught == 20
    assert late <= 2


@pytest.mark.parametrize("n", [0, 1, 4, 9])
def test_detector_seasonal_series_shorter_than_its_seasons_is_no_evidence(n: int) -> None:
    scores = detector.score(np.arange(n, dtype=np.float64), 4, MEDIUM)
    assert scores.expected.shape == (n,) and not scores.evidence.any()


@pytest.mark.parametrize("period", [0, 24])
def test_detector_rescore_is_the_score_of_a_run_ending_there(period: int) -> None:
    # A row of an irregular file that shares its step with later rows is scored as a run ending
    # at it: the same history, its own step's value so far.
    rng = np.random.default_rng(11 + period)
    n = 900
    t = np.arange(n)
    x = 10 + (5 * np.sin(2 * np.pi * t / period) if period else 0) + rng.standard_t(5, n)
    x[rng.integers(0, n, 30)] = np.nan
    x[rng.integers(0, n, 6)] += 40  # spikes at the clip
    full = detector.score(x, period, 4.0)
    at = np.concatenate((rng.integers(0, n, 40), [0, 1, 5, n - 1]))
    values = x[at] + rng.normal(0, 3, at.size)
    values[::5] += 30
    got = detector.rescore(full, at, values)
    for point, value, statistic in zip(at, values, got, strict=True):
        cut = x[: point + 1].copy()
        cut[point] = value
        expected = detector.score(cut, period, 4.0).statistic[point]
        if np.isnan(expected):
            assert np.isnan(statistic), point
        else:
            assert statistic == pytest.approx(expected, abs=1e-9), point
    assert np.isfinite(got).sum() > 20  # most points are evidence: the check above compared
    same = detector.rescore(full, at, np.where(np.isfinite(x[at]), x[at], 0.0))
    finite = np.isfinite(x[at])
    assert np.allclose(same[finite], full.statistic[at][finite], equal_nan=True)
