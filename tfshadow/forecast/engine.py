"""Judging one series: regular grid, seasonality, scores, the latest deviation, breaches.

Plain data in, plain data out: a :class:`~tfshadow.forecast.results.SeriesVerdict` and, when
something needs a person, a :class:`Finding` that :mod:`tfshadow.forecast.attribution` turns
into a recommendation naming a shadow version.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from tfshadow.forecast import detector, models, quantum
from tfshadow.forecast.prepare import Regular, format_step, regularise, too_sparse
from tfshadow.forecast.results import SeriesVerdict
from tfshadow.forecast.seasonality import detect_period
from tfshadow.metrics.base import Series

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

CRITICAL_FACTOR = 1.5  # an ongoing deviation this many times the threshold is critical
# Silence at the end of the range this long (s) is a gap, not a lag: Prometheus's staleness too.
STALE_AFTER = 300.0
LONGEST_RANGE = 400 * 86400.0  # seconds: no range longer is suggested to a user


@dataclass(frozen=True)
class SeriesConfig:
    """How one series is judged: threshold in σ, model, breach limits, horizon (s)."""

    threshold: float
    model: str = "default"
    above: float | None = None
    below: float | None = None
    horizon: float = 7200.0
    end: datetime | None = None  # the end of the range read: later silence is a gap, not data
    # The step the values are measured to (1 for whole percent): a move of about one step is
    # not a deviation. None: read from the values (:func:`quantum.rounding`); 0: none.
    resolution: float | None = None
    # Which side of the forecast is trouble ("above", "below", "both"): a departure only to the
    # other side (memory falling at a restart) is information, never a reason to revert.
    trouble: str = "both"


@dataclass(frozen=True)
class Finding:
    """Something a person should look at, before attribution to a version."""

    kind: str  # "deviation" | "predicted_breach"
    start: datetime
    end: datetime
    observed: float
    expected: float
    score: float
    threshold: float
    severity: str
    ongoing: bool
    reason: str
    step: float = 60.0  # the series' sampling step (s): how precisely ``start`` is known
    # Still departed at the last points there were, but the metric stopped reporting since:
    # not a verdict (missing data is not evidence), yet not a departure that is over either.
    last_seen: bool = False
    # The first point that stood departed beyond the threshold on its own (else the first
    # alarm): the series had departed by then, so a version applied after it did not start the
    # departure (``start`` may be dated a point or two early, from errors of half a σ, which is
    # why versions just after it stay suspects).
    departed: datetime | None = None
    # Departed only to the side that is no trouble for the metric (its ``trouble``): reported
    # as information, with no revert proposed.
    harmless: bool = False


@dataclass(frozen=True)
class Judgement:
    """The verdict, and the finding behind it. A finding that is over (``ongoing`` False) leaves
    the verdict ``ok``: whether it deserves a word depends on whether a version explains it."""

    verdict: SeriesVerdict
    finding: Finding | None
    deviations: tuple[tuple[datetime, datetime], ...] = ()  # every episode, for soak marking
    covered: tuple[datetime, datetime] | None = None  # span with evidence, for soak marking


def judge(series: Series, config: SeriesConfig) -> Judgement:
    """Judge ``series`` (see the module docstring). Never raises for bad data: too little or
    missing data gives an ``inconclusive`` verdict saying why."""
    sparse = too_sparse(series.timestamps)
    if sparse:
        detail = f"the timestamps span {sparse}: check for a mistyped timestamp"
        verdict = SeriesVerdict(
            resource=series.resource,
            metric=series.metric,
            source=series.source,
            verdict="inconclusive",
            score=None,
            points=len(series),
            missing=0,
            model=config.model,
            detail=detail,
            notes=series.notes,
        )
        return Judgement(verdict, None)
    grid = regularise(series.timestamps, series.values)
    if config.end is not None:
        grid = _through(grid, config.end)
    notes = series.notes + grid.notes()
    model_label = config.model

    def verdict_of(kind: str, detail: str, score: float | None = None) -> SeriesVerdict:
        return SeriesVerdict(
            resource=series.resource,
            metric=series.metric,
            source=series.source,
            verdict=kind,
            score=score,
            points=int(grid.values.shape[0]),
            missing=grid.missing,
            model=model_label,
            detail=detail,
            notes=notes,
        )

    present = int(np.isfinite(grid.values).sum())
    period = detect_period(grid.values, grid.step) if present >= 16 else 0
    params = detector.Params()
    needed = detector.warmup_points(period, params) + params.persistence
    if present < needed:
        return Judgement(
            verdict_of("inconclusive", _too_little(series, grid, present, needed, config.end)),
            None,
        )
    model_expected = None
    if config.model != "default":
        model_expected = models.one_step_expected(grid.values, period, config.model)
    resolution = quantum.rounding(series.values) if config.resolution is None else config.resolution
    scores = detector.score(
        grid.values, period, config.threshold, params, model_expected, resolution
    )
    times = grid.times
    found = detector.episodes(scores)
    # A departure to the harmless side does not keep a version from its good mark.
    spans = tuple(
        (_moment(times[e.start]), _moment(times[e.end]))
        for e in found
        if not _harmless(e.sign, config.trouble)
    )
    evidence_idx = np.flatnonzero(scores.evidence)
    covered = (
        (_moment(times[evidence_idx[0]]), _moment(times[evidence_idx[-1]]))
        if evidence_idx.size
        else None
    )
    model_label = config.model + (f", period {period}" if period else "")
    finding = _deviation(grid, scores, found, config) if found else None
    if finding is None:
        finding = _breach(grid, period, config)
    tail = scores.evidence[-params.persistence :]
    if finding is not None and finding.ongoing and finding.harmless:
        verdict = verdict_of("ok", finding.reason, _rounded(finding.score))
    elif finding is not None and finding.ongoing:
        verdict = verdict_of(finding.kind, finding.reason, _rounded(finding.score))
    elif not tail.any():
        detail = _silent_end(grid, params.persistence * 4)
        if finding is not None and finding.last_seen:
            detail += f"; {finding.reason}"
        verdict = verdict_of("inconclusive", detail)
    else:
        latest = float(np.nanmax(scores.statistic[-params.persistence :]))
        detail = f"within {config.threshold:g}σ of the forecast"
        if finding is not None:
            detail += f"; recovered from a departure at {finding.start:%Y-%m-%d %H:%M}"
        verdict = verdict_of("ok", detail, _rounded(latest))
    return Judgement(verdict, finding, spans, covered)


def _silent_end(grid: Regular, recent: int) -> str:
    """Why the end of the range is no evidence. A metric that stopped (a crashed service, a
    scrape that stopped after a change) says since when, which a count of the last points
    missing would hide: 20 of the last 20 may be 90."""
    present = np.flatnonzero(np.isfinite(grid.values))
    n = grid.values.shape[0]
    silent = n - 1 - int(present[-1]) if present.size else n
    if present.size and silent >= recent:
        since = _moment(grid.times[int(present[-1])])
        return (
            f"no usable data at the end of the range: none since {since:%Y-%m-%d %H:%M} "
            f"({silent} points missing at the end)"
        )
    missing = int((~np.isfinite(grid.values[-recent:])).sum())
    return f"no usable data at the end of the range ({missing} recent points missing)"


def _too_little(
    series: Series, grid: Regular, present: int, needed: int, end: datetime | None
) -> str:
    """Why a series is not judged yet, and what would judge it. Points as sampled need a
    longer history at the same step. A source whose step grows with the range (Prometheus)
    reads a longer range more coarsely: the range that holds enough points is found with its
    own step rule; a series younger than the range needs that much life, and is told how soon
    it gets it."""
    have = f"too little history: {present} point{'' if present == 1 else 's'}, {needed} needed"
    step = format_step(grid.step)
    if series.step_for is None or series.window is None or not grid.values.shape[0]:
        soon = f", in about {_span((needed - present) * grid.step)}" if series.grows else ""
        return f"{have} ({_span(needed * grid.step)} at this {step} step{soon})"
    shortest = shortest_range(needed, series.step_for)
    if shortest is None:
        return f"{have} (more than any range is read as at this source's steps)"
    first = grid.times[int(np.flatnonzero(np.isfinite(grid.values))[0])] if present else None
    last = end.timestamp() if end is not None else _moment(grid.times[-1]).timestamp()
    age = last - _moment(first).timestamp() if first is not None else 0.0
    if age + 2 * grid.step < series.window:
        # Younger than the range: it was read over its life, which grows.
        wait = max(shortest - age, grid.step)
        return (
            f"{have}: it began {_ago(age)} ago and is judged once it has "
            f"{_span(shortest)} of data (in about {_span(wait)})"
            + ("" if series.window >= shortest else f" in a range of at least {_span(shortest)}")
        )
    if series.window < shortest:
        soon = f" (in about {_span(shortest - series.window)})" if series.grows else ""
        return (
            f"{have}: a {_span(series.window)} range is read at a {step} step; a range is "
            f"judged from {_span(shortest)} on{soon}"
        )
    return f"{have} ({grid.missing} of {grid.values.shape[0]} steps missing)"


def shortest_range(needed: int, step_for: Callable[[float], int]) -> float | None:
    """The shortest range, in whole minutes, that ``step_for`` reads as at least ``needed``
    points (one more, for the alignment of its ends to the step); None when no range up to
    :data:`LONGEST_RANGE` is (more points than the source ever reads over a range)."""
    minutes = 1
    while minutes * 60 <= LONGEST_RANGE:
        step = step_for(minutes * 60.0)
        if minutes * 60 >= (needed + 1) * step:
            return minutes * 60.0
        minutes += max(1, minutes // 50)  # within 2%: a range is typed to about that
    return None


def _ago(seconds: float) -> str:
    """How long ago, rounded down: a series is at least that old (what it still needs is
    rounded up by :func:`_span`)."""
    if seconds >= 7200:
        return f"{math.floor(seconds / 3600)} h"
    if seconds >= 60:
        return f"{math.floor(seconds / 60)} min"
    return f"{math.floor(seconds)} s"


def _span(seconds: float) -> str:
    """A duration rounded up to what a user would widen a range by."""
    if seconds >= 7200:
        return f"{math.ceil(seconds / 3600)} h"
    if seconds >= 60:
        return f"{math.ceil(seconds / 60)} min"
    return f"{math.ceil(seconds)} s"


EPISODES_CHECKED = 5
SUSTAINED = 0.6  # share of points since the start still ≥ 1σ off for a deviation to be ongoing
# How far (σ) the median of an episode's first points must stand from the forecast, beyond the
# points before it, for the episode to be a change that began then (see _changed_at_start): at
# 1.5, drifting clean series are judged deviating 3% of the time instead of 93%, and lasting 3σ
# shifts as often as before.
ONSET_SHIFT = 1.5


def _deviation(
    grid: Regular, scores: detector.Scores, found: list[detector.Episode], config: SeriesConfig
) -> Finding:
    """The deviation to report: of the recent episodes still ongoing, the one that stayed
    departed most consistently since it began (the change that started it, not a blip just
    before), one to the side that is trouble first; when none is ongoing, the latest one."""
    candidates = [_episode_finding(grid, scores, e, config) for e in found[-EPISODES_CHECKED:]]
    ongoing = [c for c in candidates if c[0].ongoing]
    if ongoing:
        return max(ongoing, key=lambda c: (not c[0].harmless, c[1]))[0]
    return candidates[-1][0]


def _harmless(sign: float, trouble: str) -> bool:
    """Whether a departure to ``sign`` (+1 above, -1 below, 0 a burst of noise: no side) is
    to the side that is no trouble for a metric whose ``trouble`` side is given."""
    return bool((trouble == "above" and sign < 0) or (trouble == "below" and sign > 0))


def _episode_finding(
    grid: Regular, scores: detector.Scores, latest: detector.Episode, config: SeriesConfig
) -> tuple[Finding, float]:
    """The finding of one episode, and the share of points since it began that departed."""
    x = grid.values
    n = x.shape[0]
    start = latest.start
    # Judge what follows against the forecast made *before* the departure: the rolling baseline
    # adapts to a lasting change, which would otherwise read as a recovery.
    frozen = _frozen(scores, start, np.arange(start, n))
    scale = float(scores.scale[start]) if np.isfinite(scores.scale[start]) else 1.0
    gap = (x[start:] - frozen) / max(scale, 1e-12)
    m = detector.DEFAULT_PERSISTENCE
    present = np.flatnonzero(np.isfinite(gap))
    # A metric that stopped reporting is judged by the last points it gave.
    silent = present.size > 0 and present[-1] < gap.shape[0] - m
    recent = gap[present[-m:]] if silent else gap[-m:][np.isfinite(gap[-m:])]
    current = float(abs(recent.mean()) * np.sqrt(recent.size)) if recent.size else 0.0
    finite = gap[present]
    # Ongoing means departed then and still departed now, most of the time in between: a blip
    # long ago is not made current by a later, different change.
    share = float(np.mean(np.abs(finite) >= 1.0)) if finite.size else 0.0
    departed = (
        share >= SUSTAINED
        and current >= config.threshold
        and _changed_at_start(x, scores, start, gap, np.sign(recent.mean()) if recent.size else 0)
    )
    ongoing = departed and not silent
    last_seen = departed and silent
    stop = start + int(present[-1]) + 1 if last_seen else n if ongoing else latest.end + 1
    window = x[start:stop]
    observed = float(np.nanmean(window)) if np.isfinite(window).any() else float("nan")
    expected = float(np.nanmean(frozen[: stop - start]))
    if departed and latest.peak >= CRITICAL_FACTOR * config.threshold:
        severity = "critical"
    elif departed:
        severity = "warning"
    else:
        severity = "info"
    mean_gap = float(np.nanmean(gap[: stop - start])) if finite.size else 0.0
    direction = "above" if mean_gap > 0 else "below"
    if abs(mean_gap) < 1.0:
        direction = "more erratic than"
    harmless = _harmless(np.sign(mean_gap) if abs(mean_gap) >= 1.0 else 0, config.trouble)
    if harmless:
        severity = "info"
    state = "still" if ongoing else "last seen" if last_seen else "was"
    reason = (
        f"{grid_metric_phrase(observed, expected)}: {state} {direction} the forecast "
        f"(peak {latest.peak:.1f}σ, threshold {config.threshold:g}σ)"
        + ("; no data since" if last_seen else "")
        + (
            f"; {direction} is no trouble for this metric (trouble = {config.trouble})"
            if harmless
            else ""
        )
    )
    times = grid.times
    end = times[-1] if ongoing else times[stop - 1] if last_seen else times[latest.end]
    finding = Finding(
        kind="deviation",
        start=_moment(times[start]),
        end=_moment(end),
        observed=observed,
        expected=expected,
        score=latest.peak,
        threshold=config.threshold,
        severity=severity,
        ongoing=ongoing,
        reason=reason,
        step=grid.step,
        last_seen=last_seen,
        departed=_moment(times[_first_departed(scores, latest, config.threshold)]),
        harmless=harmless,
    )
    return finding, share


def _first_departed(scores: detector.Scores, episode: detector.Episode, threshold: float) -> int:
    """The first point of ``episode`` whose error alone was beyond ``threshold`` on its side,
    else its first alarm (a lone point at the clip raises none: the alarm comes a point later)."""
    if not episode.sign:  # a burst of variance: no side to stand beyond
        return episode.first_alarm
    z = scores.z[episode.start : episode.first_alarm + 1]
    beyond = np.flatnonzero(np.isfinite(z) & (episode.sign * z >= threshold))
    return episode.start + int(beyond[0]) if beyond.size else episode.first_alarm


def _frozen(scores: detector.Scores, start: int, index: IntArray) -> FloatArray:
    """The forecast held still at ``start`` for the points ``index``: the last one made before
    it, or for a seasonal series the one made a season before each point's phase, seasons back
    to before the start (one season back for points before it)."""
    n = scores.expected.shape[0]
    if scores.period:
        seasons_back = np.maximum((index - start) // scores.period + 1, 1)
        source = index - seasons_back * scores.period
    else:
        source = np.full(index.shape[0], max(start - 1, 0))
    frozen = scores.expected[np.clip(source, 0, n - 1)]
    if scores.period:
        # Soon after the seasonal warm-up the season before has no forecast: the live one still
        # follows the season, where a single value would read the season itself as a departure.
        frozen = np.where(np.isfinite(frozen), frozen, scores.expected[index])
    return np.asarray(np.where(np.isfinite(frozen), frozen, scores.expected[start]))


TREND_WINDOWS = 4  # windows of points before a departure its trend is read from


def _changed_at_start(
    x: FloatArray, scores: detector.Scores, start: int, gap: FloatArray, side: float
) -> bool:
    """Whether the series moved to ``side`` of its forecast when the episode began.

    The frozen forecast keeps a lasting change (a step, a leak) departed after the rolling
    baseline took it in; but a series that drifts (a trend, a daily cycle the range is too short
    to show, a counter, a filling disk) drifts from any frozen value, and a noise blip would make
    the drift since then read as a deviation still going on. A change that began with the
    episode shows in its first points; a drift does not: those points are compared with where
    the points before the start, against the same frozen forecast, were heading (their trend,
    read robustly over a few windows). With too few points before the start to read where they
    were heading (the episode began with the range's first forecasts), nothing shows a change.
    """
    k = detector.DEFAULT_WINDOW
    onset = gap[:k]
    onset_at = np.flatnonzero(np.isfinite(onset))
    if not onset_at.size or not side:
        return False
    scale = float(scores.scale[start]) if np.isfinite(scores.scale[start]) else 1.0
    first = max(start - TREND_WINDOWS * k, 0)
    before_index = np.arange(first, start)
    before = (x[first:start] - _frozen(scores, start, before_index)) / max(scale, 1e-12)
    known = np.isfinite(before) & np.isfinite(scores.expected[first:start])
    if int(known.sum()) < k:
        return False
    at = (before_index[known] - start).astype(np.float64)
    slope, intercept = _robust_line(at, before[known])
    if abs(slope) * TREND_WINDOWS * k < 2.0:
        # No trend worth 2σ over the window: the level of the last points before the start
        # alone (a line read from noise would tilt half of what follows).
        slope, intercept = 0.0, float(np.median(before[known][at >= -k]))
    heading = intercept + slope * onset_at.astype(np.float64)
    moved = float(np.median(onset[onset_at] - heading))
    return bool(side * moved >= ONSET_SHIFT)


def _robust_line(at: FloatArray, values: FloatArray) -> tuple[float, float]:
    """Slope and intercept (Theil–Sen: medians of the pairwise slopes and of what is left): a
    spike or a blip before the start neither tilts nor lifts the line."""
    i, j = np.triu_indices(at.shape[0], 1)
    slope = float(np.median((values[j] - values[i]) / (at[j] - at[i])))
    return slope, float(np.median(values - slope * at))


def _breach(grid: Regular, period: int, config: SeriesConfig) -> Finding | None:
    if config.above is None and config.below is None:
        return None
    points = max(1, int(config.horizon // grid.step))
    ahead = models.forecast_ahead(grid.values, period, config.model, points)
    last = grid.times[-1]
    for limit, side in ((config.above, 1), (config.below, -1)):
        if limit is None:
            continue
        crossed = np.flatnonzero(side * (ahead - limit) >= 0)
        if crossed.size == 0:
            continue
        steps = int(crossed[0]) + 1
        eta = steps * grid.step
        severity = "critical" if eta <= config.horizon / 4 else "warning"
        word = "above" if side == 1 else "below"
        tail = grid.values[-detector.DEFAULT_PERSISTENCE :]
        observed = float(np.nanmean(tail)) if np.isfinite(tail).any() else float("nan")
        moment = _moment(last)
        return Finding(
            kind="predicted_breach",
            start=moment,
            end=_moment(last + np.timedelta64(int(eta * 1e9), "ns")),
            observed=observed,
            expected=float(ahead[crossed[0]]),
            score=float("nan"),
            threshold=float(limit),
            severity=severity,
            ongoing=True,
            reason=f"forecast to go {word} {limit:g} in {_duration(eta)}",
            step=grid.step,
        )
    return None


def _rounded(value: float) -> float | None:
    return round(value, 3) if np.isfinite(value) else None


def grid_metric_phrase(observed: float, expected: float) -> str:
    return f"observed {observed:.3g} vs expected {expected:.3g}"


def _through(grid: Regular, end: datetime) -> Regular:
    """``grid`` with holes up to ``end`` once its source has been silent for a detector's
    persistence of steps and :data:`STALE_AFTER`: a source that stopped answering leaves a scrape
    gap at the end, never a quiet series. The holes are at most as many as the points, which is
    already more than the tail that is read."""
    n = grid.values.shape[0]
    if n == 0:
        return grid
    silent = end.timestamp() - grid.times[-1].astype(np.int64) / 1e9
    if silent < max(detector.DEFAULT_PERSISTENCE * grid.step, STALE_AFTER):
        return grid
    holes = min(int(silent // grid.step), n)
    return replace(
        grid,
        values=np.concatenate([grid.values, np.full(holes, np.nan)]),
        missing=grid.missing + holes,
    )


def _moment(value: np.datetime64) -> datetime:
    seconds = value.astype("datetime64[ns]").astype(np.int64) / 1e9
    return datetime.fromtimestamp(float(seconds), tz=UTC)


def _duration(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"
