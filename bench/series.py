"""Realistic metric series with faults injected at known points: the evaluation set of the
deviation detector (benchmarks) and the fixtures of its tests.

A clean series is level + daily (and for hourly data weekly) seasonality + slow trend +
noise with occasional spikes (Student-t tails), sometimes quantised, with random gaps. Faults
are the kinds a bad change causes: ``level_shift``, ``leak`` (a trend), ``variance`` (a burst of
noise), ``season_break`` (the daily shape lost). Sizes are in σ of the series' noise, in one of
two units (:data:`UNITS`): ``innovation``, the σ of what is new at each point where the noise is
autoregressive (the errors of the best one-step forecast), or ``marginal``, the σ of the noise
itself, σ_innovation / √(1 - φ²) for AR(1), what a graph shows around the seasonal pattern. Both
are the same for independent noise, and the series are the same in either unit: only the size
of a fault differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FAULTS = ("level_shift", "leak", "variance", "season_break")
UNITS = ("innovation", "marginal")


@dataclass(frozen=True)
class Case:
    name: str
    step: float  # seconds
    period: int  # true seasonal period in points (0: none)
    values: np.ndarray
    sigma: float  # of the noise's innovations
    fault: str | None = None
    at: int | None = None  # first faulty point
    size: float = 0.0
    noise_sigma: float = 0.0  # of the noise itself: sigma / √(1 - φ²)
    # What the generator knew, for bounds that no detector can know (bench/oracle.py): the
    # noise-free signal, the noise before any rounding (NaN in gaps, a level shift included),
    # its carry-over, and a level shift's signed size.
    signal: np.ndarray | None = None
    noise: np.ndarray | None = None
    phi: float = 0.0
    shift: float = 0.0


def clean(
    rng: np.random.Generator, n: int, kind: int | None = None, keep: slice | None = None
) -> Case:
    """One clean series; ``kind`` picks the sampling (0: 5 min, 1: 1 min, 2: 1 h, 3: flat).

    Gaps are never placed in ``keep``, where a fault's first points must be measurable.
    """
    kind = int(rng.integers(0, 4)) if kind is None else kind
    step, period = [(300.0, 288), (60.0, 60), (3600.0, 168), (60.0, 0)][kind]
    t = np.arange(n)
    level = rng.uniform(5, 80)
    sigma = rng.uniform(0.5, 3.0)
    amplitude = rng.uniform(2, 8) * sigma if period else 0.0
    shape = np.sin(2 * np.pi * t / period) if period else np.zeros(n)
    if period:
        shape = shape + 0.3 * np.sin(4 * np.pi * t / period + rng.uniform(0, np.pi))
    if kind == 2:  # hourly: a daily shape, quieter at weekends
        shape = np.sin(2 * np.pi * t / 24) + np.where((t // 24) % 7 >= 5, -0.5, 0.0)
    trend = rng.uniform(-1, 1) * sigma * t / n
    noise = rng.standard_t(5, n) * sigma / np.sqrt(5 / 3)
    phi = 0.0
    if rng.random() < 0.5:  # most real metrics carry over from one sample to the next
        phi = rng.uniform(0.3, 0.7)
        noise = _ar1(noise, phi)  # σ stays the size of what is new each step
    signal = level + amplitude * shape + trend
    values = signal + noise
    if rng.random() < 0.25:
        values = np.round(values)  # integer-valued gauges
    values = values.astype(np.float64)
    gaps = np.zeros(n, dtype=bool)
    for _ in range(int(rng.integers(0, 4))):
        start = int(rng.integers(0, n))
        gaps[start : start + int(rng.integers(1, 12))] = True
    if keep is not None:
        gaps[keep] = False
    values[gaps] = np.nan
    noise_sigma = sigma / np.sqrt(1.0 - phi * phi)
    return Case(
        f"clean-{kind}-ar{phi:.1f}",
        step,
        period,
        values,
        sigma,
        noise_sigma=noise_sigma,
        signal=signal,
        noise=np.where(gaps, np.nan, noise),
        phi=phi,
    )


def _ar1(shocks: np.ndarray, phi: float) -> np.ndarray:
    out = np.empty_like(shocks)
    previous = 0.0
    for i, shock in enumerate(shocks):
        previous = phi * previous + shock
        out[i] = previous
    return out


def faulty(
    rng: np.random.Generator, n: int, fault: str, size: float, unit: str = "innovation"
) -> Case:
    """A clean series with ``fault`` of ``size`` σ (in ``unit``, one of :data:`UNITS`) from a
    random point in its last third."""
    if unit not in UNITS:
        raise ValueError(unit)
    at = int(rng.integers(2 * n // 3, n - 60))
    case = clean(rng, n, keep=slice(at - 5, at + 10))
    sigma = case.sigma if unit == "innovation" else case.noise_sigma
    values = case.values.copy()
    sign = 1.0 if rng.random() < 0.5 else -1.0
    tail = np.arange(n - at)
    shift = 0.0
    noise = case.noise
    if fault == "level_shift":
        shift = sign * size * sigma
        values[at:] += shift
        noise = None if noise is None else np.concatenate([noise[:at], noise[at:] + shift])
    elif fault == "leak":
        values[at:] += size * sigma * tail / 20.0  # +size σ after 20 points
    elif fault == "variance":
        burst = min(40, n - at)
        values[at : at + burst] += rng.normal(0, size * sigma, burst)
    elif fault == "season_break":
        period = case.period or 60
        values[at:] += size * sigma * np.sin(2 * np.pi * tail / period + np.pi / 2)
    else:
        raise ValueError(fault)
    return Case(
        f"{fault}-{case.name}",
        case.step,
        case.period,
        values,
        case.sigma,
        fault,
        at,
        size,
        case.noise_sigma,
        case.signal,
        noise,
        case.phi,
        shift,
    )
