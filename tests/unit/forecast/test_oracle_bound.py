"""The oracle that bounds level-shift detection on the evaluation set (bench/oracle.py)."""

from __future__ import annotations

import numpy as np

from bench import oracle
from bench.series import clean, faulty


def test_oracle_bound_finds_a_6_sigma_step_within_5_points_and_is_quiet_on_clean_noise() -> None:
    # Threshold from 400,000 clean points at 1 false alarm per 100,000: a fresh 2,000 points
    # should then raise none, while a 6σ step of either sign is plain within 5 points.
    calibration = [
        oracle.statistic(
            np.random.default_rng(100 + i).normal(0.0, 1.0, 2000), 0.0, 1.0, 6.0, "normal"
        )
        for i in range(200)
    ]
    threshold, rate = oracle.calibrate(calibration, per_1000=0.01)
    assert rate < 0.01

    quiet = np.random.default_rng(1).normal(0.0, 1.0, 2000)
    stat = oracle.statistic(quiet, 0.0, 1.0, 6.0, "normal")
    assert oracle.first_alarms(stat >= threshold).size == 0

    for seed, sign in [(2, 1.0), (3, -1.0), (4, 1.0), (5, -1.0)]:
        noise = np.random.default_rng(seed).normal(0.0, 1.0, 2000)
        noise[1500:] += sign * 6.0
        firsts = oracle.first_alarms(oracle.statistic(noise, 0.0, 1.0, 6.0, "normal") >= threshold)
        assert firsts.size > 0
        assert 1500 <= firsts[0] <= 1504


def test_oracle_bound_reads_what_the_generator_knew() -> None:
    # The oracle's knowledge is the generator's own: signal plus noise is the series (where it
    # was not rounded to integers), and a level shift has the size asked for.
    rng = np.random.default_rng(7)
    twin = np.random.default_rng(7)
    for _ in range(8):
        truth = oracle.clean_truth(rng, 1000)
        case = clean(twin, 1000)
        np.testing.assert_array_equal(truth.values, case.values)
        seen = np.isfinite(truth.values)
        rebuilt = truth.signal + truth.noise
        assert np.allclose(truth.values[seen], rebuilt[seen]) or np.all(
            np.abs(truth.values[seen] - rebuilt[seen]) <= 0.5
        )
    shifted = oracle.shift_truth(rng, 1000, 3.0, "marginal")
    case = faulty(twin, 1000, "level_shift", 3.0, "marginal")
    np.testing.assert_array_equal(shifted.values, case.values)
    assert shifted.at == case.at
    assert abs(shifted.shift) == 3.0 * case.noise_sigma
    assert shifted.at is not None
    after = np.isfinite(shifted.noise[shifted.at :])
    jump = shifted.values[shifted.at :] - shifted.signal[shifted.at :]
    assert np.allclose(jump[after], shifted.noise[shifted.at :][after], atol=0.5)
