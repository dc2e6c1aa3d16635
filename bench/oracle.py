"""An upper bound on level-shift detection over the evaluation set of ``bench/series.py``.

The *oracle* detector knows what no real detector can: each series' noise-free signal (level,
seasonal shape, trend), its noise's carry-over φ, the innovations' distribution (Student-t with
5 degrees of freedom) and scale, and the size δ of the shift it looks for (not its sign: both are
tried). At each point t it takes what was new at each point, e_j = r_j - φ·r_{j-1} with
r = x - signal, and the log-likelihood ratio of "a step of ±δ began at τ" against "no step": such
a step moves e_τ by δ and each later innovation by (1 - φ)·δ. The statistic is the largest ratio
over the starts τ in t-4..t and both signs, with the exact innovation density (or, for
comparison, a Gaussian one of the same σ). Alarms are counted as ``bench/forecast_eval.py`` counts
them: runs of alarms merged over gaps of up to ``detector.DEFAULT_PERSISTENCE`` points are one
episode; false alarms are episodes per 1,000 scored points of clean series, and a shift is
detected within 5 points when an episode's first alarm falls in ``at-2 .. at+4``.

Why it bounds any detector: for one start τ and a known step, the likelihood ratio is the most
powerful test at its false-alarm rate (Neyman–Pearson), and a real detector has to estimate the
signal, φ, the scale and δ that the oracle is given. The threshold is set on the clean series of
the same set so that false alarms are just below the aim's rate, per noise kind as the benchmark
reports them. The bound is not exact in two respects, both small: the maximum over τ is a
generalised likelihood ratio rather than a test proved best for an unknown start, and where a
gauge is rounded to integers the ratio uses the unrounded density (``seen="noise"`` gives the
oracle the noise before rounding, too).

``python -m bench.oracle`` prints the figures for the series ``python -m bench.run forecast``
scores at medium (seed 7, 150 series of 4,000 points per case, faults of 3σ).
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from bench.series import UNITS, Case, clean, faulty
from tfshadow.forecast.detector import DEFAULT_PERSISTENCE

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

DF = 5  # degrees of freedom of the series' innovations (bench/series.py)
WINDOW = 5  # starts τ in t-4..t: a shift found within 5 points began at one of them
EARLY = 2  # an episode starting this many points before the fault still counts (forecast_eval)
LATE = 100  # ... and up to this many after: "detected"
DENSITIES = ("t", "normal")


@dataclass(frozen=True)
class Truth:
    """One series of the evaluation set with what its generator knew."""

    values: FloatArray  # what a detector sees (NaN in gaps)
    signal: FloatArray  # level + seasonal shape + trend
    noise: FloatArray  # the AR(1) noise before any rounding (NaN in gaps)
    phi: float
    sigma: float  # of the innovations
    noise_sigma: float  # of the noise itself
    at: int | None = None
    shift: float = 0.0  # signed size of the level shift


def _truth(case: Case) -> Truth:
    assert case.signal is not None and case.noise is not None
    return Truth(
        case.values,
        case.signal,
        case.noise,
        case.phi,
        case.sigma,
        case.noise_sigma,
        case.at,
        case.shift,
    )


def clean_truth(rng: np.random.Generator, n: int) -> Truth:
    """The next series ``series.clean(rng, n)`` draws, with what its generator knew."""
    return _truth(clean(rng, n))


def shift_truth(rng: np.random.Generator, n: int, size: float, unit: str) -> Truth:
    """The next series ``series.faulty(rng, n, "level_shift", size, unit)`` draws."""
    return _truth(faulty(rng, n, "level_shift", size, unit))


def _log_ratio(density: str, sigma: float) -> Callable[[FloatArray, float], FloatArray]:
    """log f(e - μ) - log f(e) for innovations of σ ``sigma`` under ``density``."""
    if density == "t":
        scale = sigma / np.sqrt(DF / (DF - 2))

        def student(e: FloatArray, mu: float) -> FloatArray:
            return np.asarray(
                stats.t.logpdf((e - mu) / scale, DF) - stats.t.logpdf(e / scale, DF),
                dtype=np.float64,
            )

        return student
    if density == "normal":

        def normal(e: FloatArray, mu: float) -> FloatArray:
            return np.asarray((2.0 * e * mu - mu * mu) / (2.0 * sigma * sigma), dtype=np.float64)

        return normal
    raise ValueError(density)


def statistic(
    residual: FloatArray, phi: float, sigma: float, delta: float, density: str = "t"
) -> FloatArray:
    """Per point t, the largest log-likelihood ratio of a step of ±``delta`` starting at any
    τ in t-4..t against none, for ``residual`` = value - true signal, AR(1) noise with carry-over
    ``phi`` and innovations of σ ``sigma``. NaN where the point is missing; innovations that need
    a missing point are left out of every sum (the noise goes on under a gap, so the first point
    after one has no innovation to read)."""
    r = np.asarray(residual, dtype=np.float64)
    n = r.shape[0]
    previous = np.concatenate(([np.nan], r[:-1]))
    innovation = r - phi * previous
    known = np.isfinite(innovation)
    e = np.where(known, innovation, 0.0)
    ratio = _log_ratio(density, sigma)
    index = np.arange(n)
    best = np.full(n, -np.inf)
    for sign in (1.0, -1.0):
        first = np.where(known, ratio(e, sign * delta), 0.0)
        after = np.where(known, ratio(e, sign * (1.0 - phi) * delta), 0.0)
        sums = np.concatenate(([0.0], np.cumsum(after)))
        for back in range(WINDOW):
            start = index - back
            valid = start >= 0
            begin = np.clip(start, 0, None)
            total = first[begin] + sums[index + 1] - sums[begin + 1]
            best = np.where(valid, np.fmax(best, total), best)
    return np.where(np.isfinite(r), best, np.nan)


def first_alarms(alarm: BoolArray, gap: int = DEFAULT_PERSISTENCE) -> npt.NDArray[np.intp]:
    """The first point of each episode: runs of alarms separated by at most ``gap`` points are
    one (``detector.episodes``' rule)."""
    idx = np.flatnonzero(alarm)
    if idx.size == 0:
        return idx
    breaks = np.flatnonzero(np.diff(idx) > gap + 1)
    return np.concatenate(([idx[0]], idx[breaks + 1]))


def _episodes(stats_: list[FloatArray], threshold: float) -> tuple[int, int]:
    """Episodes and scored points over the statistics of many clean series."""
    count = 0
    points = 0
    for s in stats_:
        scored = np.isfinite(s)
        count += first_alarms(scored & (np.where(scored, s, -np.inf) >= threshold)).size
        points += int(scored.sum())
    return count, points


def calibrate(stats_: list[FloatArray], per_1000: float = 1.0) -> tuple[float, float]:
    """The lowest threshold (to 1e-4) whose false alarms on these clean series' statistics are
    below ``per_1000`` per 1,000 scored points, and the rate it reaches."""
    pooled = np.concatenate([s[np.isfinite(s)] for s in stats_])
    low, high = float(np.min(pooled)) - 1.0, float(np.max(pooled)) + 1e-9

    def rate(threshold: float) -> float:
        count, points = _episodes(stats_, threshold)
        return 1000.0 * count / max(points, 1)

    while high - low > 1e-4:
        middle = 0.5 * (low + high)
        if rate(middle) < per_1000:
            high = middle
        else:
            low = middle
    return high, rate(high)


def _residual(truth: Truth, seen: str) -> FloatArray:
    if seen == "observed":
        return np.asarray(truth.values - truth.signal, dtype=np.float64)
    if seen == "noise":
        return truth.noise
    raise ValueError(seen)


def _noise_kind(truth: Truth) -> str:
    return "iid" if truth.phi == 0.0 else "ar"


def _delta(truth: Truth, size: float, unit: str) -> float:
    return size * (truth.sigma if unit == "innovation" else truth.noise_sigma)


def oracle_shift_detection(
    count: int = 150,
    n: int = 4000,
    seed: int = 7,
    size: float = 3.0,
    per_1000: float = 1.0,
    seen: str = "observed",
    densities: tuple[str, ...] = DENSITIES,
) -> dict[str, object]:
    """The oracle's detection of level shifts of ``size`` σ on the evaluation set, per density,
    unit and noise kind, at the threshold where its false alarms on the same set's clean series
    are just below ``per_1000`` per 1,000 points.

    The series are those ``forecast_eval.quality(count, n, level, seed)`` scores: ``count``
    clean series, then ``count`` with a level shift. Returns, per ``"<density> <unit> <noise>"``
    (noise ``iid``, ``ar``, or ``all`` of them, each kind at its own threshold): the threshold
    (log-likelihood ratio), the false-alarm rate reached, the share detected within 5 points and
    within 100, and for autocorrelated noise the share within 5 points per φ (as the series'
    names round it) with the number of series.
    """
    cleans: list[Truth] = []
    shifted: dict[str, list[Truth]] = {}
    for unit in UNITS:
        # Each unit is a run of its own from the seed, as in the benchmark: the same series,
        # only the shifts' sizes differ.
        rng = np.random.default_rng(seed)
        cleans = [clean_truth(rng, n) for _ in range(count)]
        shifted[unit] = [shift_truth(rng, n, size, unit) for _ in range(count)]
    out: dict[str, object] = {}
    for density in densities:
        for unit in UNITS:
            clean_stats: dict[str, list[FloatArray]] = defaultdict(list)
            for truth in cleans:
                delta = _delta(truth, size, unit)
                s = statistic(_residual(truth, seen), truth.phi, truth.sigma, delta, density)
                clean_stats[_noise_kind(truth)].append(s)
            thresholds = {k: calibrate(v, per_1000) for k, v in clean_stats.items()}
            delays: dict[str, list[int]] = defaultdict(list)
            by_phi: dict[str, list[int]] = defaultdict(list)
            for truth in shifted[unit]:
                assert truth.at is not None
                kind = _noise_kind(truth)
                delta = _delta(truth, size, unit)
                s = statistic(_residual(truth, seen), truth.phi, truth.sigma, delta, density)
                scored = np.isfinite(s)
                alarm = scored & (np.where(scored, s, -np.inf) >= thresholds[kind][0])
                firsts = first_alarms(alarm)
                hits = firsts[(firsts >= truth.at - EARLY) & (firsts <= truth.at + LATE)]
                delay = int(hits[0]) - truth.at if hits.size else 10**6
                delays[kind].append(delay)
                if kind == "ar":
                    by_phi[f"{truth.phi:.1f}"].append(delay)
            for kind in sorted(delays):
                d = np.array(delays[kind])
                threshold, rate = thresholds[kind]
                entry: dict[str, object] = {
                    "threshold": round(threshold, 4),
                    "false alarms /1000": round(rate, 4),
                    "series": int(d.size),
                    "within 5 points": float((d <= 4).mean()),
                    "within 100 points": float((d <= LATE).mean()),
                }
                if kind == "ar":
                    entry["within 5 points per φ"] = {
                        phi: (float((np.array(v) <= 4).mean()), len(v))
                        for phi, v in sorted(by_phi.items())
                    }
                out[f"{density} {unit} {kind}"] = entry
            # Both noise kinds together, each at its own threshold (so false alarms stay below
            # the rate on either, and on both).
            alarms = [_episodes(clean_stats[k], thresholds[k][0]) for k in clean_stats]
            everything = np.concatenate([np.array(v) for v in delays.values()])
            out[f"{density} {unit} all"] = {
                "false alarms /1000": round(
                    1000.0 * sum(a for a, _ in alarms) / max(sum(p for _, p in alarms), 1), 4
                ),
                "series": int(everything.size),
                "within 5 points": float((everything <= 4).mean()),
                "within 100 points": float((everything <= LATE).mean()),
            }
    return out


def main() -> None:
    """Print the bound for the benchmark's medium rows
    (``python -m bench.oracle [count] [observed|noise]``)."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 150
    seen = sys.argv[2] if len(sys.argv) > 2 else "observed"
    start = time.perf_counter()
    result = oracle_shift_detection(count=count, seen=seen)
    print(f"oracle: {count} series of 4,000 points per case, seed 7, level shifts of 3σ ({seen})")
    for label, entry in result.items():
        assert isinstance(entry, dict)
        per_phi = entry.pop("within 5 points per φ", None)
        text = ", ".join(
            f"{k} {v:.1%}" if isinstance(v, float) and "within" in k else f"{k} {v}"
            for k, v in entry.items()
        )
        print(f"  {label}: {text}")
        if per_phi:
            print(
                "      per φ: " + ", ".join(f"{p} {h:.0%} (n={c})" for p, (h, c) in per_phi.items())
            )
    print(f"  run time {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
