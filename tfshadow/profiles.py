"""Reversion profiles: which resources a profile covers, whether its triggers fire, which action
wins, and how long a profile keeps quiet after it acted.

Plain data in and out; :mod:`tfshadow.ops.check` fetches the series and carries out the action.

Matching: every criterion a profile sets must hold. ``resource_types`` lists types;
``resources`` lists address globs (``*`` any run of characters, ``?`` one; see
:func:`tfshadow.metrics.registry.matches`), any of which may match; ``tags`` are key/value pairs
that must all be found in the resource's ``tags``, ``tags_all``, ``labels``,
``terraform_labels`` or ``effective_labels`` map. A sealed (sensitive) tag value never matches:
what it holds is not known here.

Triggers, judged as of a moment ``now`` (points after it are ignored):

* a limit (``above``/``below``) with ``for``: fires when every point of ``[now - for, now]`` is
  beyond the limit and the points cover that span; a hole of more than :data:`MAX_GAP_STEPS`
  sampling steps makes it inconclusive, never fired. With no ``for`` the latest point decides.
  A limit a person set, held that long, is ``critical``.
* an anomaly: the forecast engine's deviation detector at the trigger's sensitivity; fires on a
  deviation that is still going on, with the engine's severity.
* a forecast breach: fires when the forecast crosses the limit within the horizon, or the
  latest point is already beyond it.

Every trigger is inconclusive when the latest point is more than :data:`MAX_GAP_STEPS` sampling
steps older than ``now``: old data says nothing about now.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from tfshadow.atomic_write import replace_file
from tfshadow.errors import StoreError
from tfshadow.metrics.registry import matches
from tfshadow.settings.analysis import ACTIONS, ProfileSettings, Sensitivity, TriggerSettings
from tfshadow.state.redact import is_sealed

if TYPE_CHECKING:
    from tfshadow.forecast.engine import SeriesConfig
    from tfshadow.metrics.base import ResourceRef, Series

__all__ = [
    "MAX_GAP_STEPS",
    "TAG_ATTRIBUTES",
    "TRIGGER_STATES",
    "CooldownBook",
    "Decision",
    "TriggerResult",
    "decide",
    "evaluate",
    "has_tag",
    "matching",
    "profiles_for",
]

TAG_ATTRIBUTES = ("tags", "tags_all", "labels", "terraform_labels", "effective_labels")
TRIGGER_STATES = ("fired", "quiet", "inconclusive")
MAX_GAP_STEPS = 2.0
"""Sampling steps without a point that still count as data: one missed scrape is tolerated,
two in a row are a hole."""
_JITTER = 0.1  # of a step: scrapes arrive a little early or late

# --- matching and deciding ---------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """The profile whose action applies to a resource, and the other profiles that matched it."""

    profile: ProfileSettings
    action: str
    also: tuple[str, ...] = ()


def matching(profile: ProfileSettings, resource: ResourceRef) -> bool:
    """Whether ``profile`` covers ``resource`` (see the module docstring)."""
    if profile.resource_types and resource.type not in profile.resource_types:
        return False
    if profile.resources and not any(matches(g, resource.address) for g in profile.resources):
        return False
    return all(has_tag(resource, key, value) for key, value in profile.tags)


def has_tag(resource: ResourceRef, key: str, value: str) -> bool:
    """Whether ``resource`` holds tag (or label) ``key`` with the value ``value``, in plain text."""
    for name in TAG_ATTRIBUTES:
        found = resource.attributes.get(name)
        if isinstance(found, Mapping):
            held = found.get(key)
            if isinstance(held, str) and not is_sealed(held) and held == value:
                return True
    return False


def profiles_for(
    resource: ResourceRef, profiles: Sequence[ProfileSettings]
) -> tuple[ProfileSettings, ...]:
    """The profiles covering ``resource``, in the order they are declared."""
    return tuple(p for p in profiles if matching(p, resource))


def decide(resource: ResourceRef, profiles: Sequence[ProfileSettings]) -> Decision | None:
    """Of the profiles covering ``resource``, the one with the strictest action (by
    :data:`~tfshadow.settings.analysis.ACTIONS`; the first declared among equals). None when
    no profile covers it."""
    found = profiles_for(resource, profiles)
    if not found:
        return None
    # max() keeps the first of equal keys: declaration order breaks ties.
    chosen = max(found, key=lambda p: _strictness(p.action))
    return Decision(chosen, chosen.action, tuple(p.name for p in found if p is not chosen))


def _strictness(action: str) -> int:
    return ACTIONS.index(action) if action in ACTIONS else 0


# --- triggers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TriggerResult:
    """How a trigger fared.

    ``state`` is ``fired``, ``quiet`` or ``inconclusive`` (too little or too old data: never a
    pass, never a fire); ``detail`` one line for people. ``observed`` is the value behind the
    verdict (the latest point, or the mean over the window), NaN without data; ``limit`` the
    limit judged against (None for anomalies). The window is where the evidence lies: for a
    limit, the whole current run beyond it (which may be longer than ``for``), so the version
    that caused it can be found. ``severity`` is ``warning`` or ``critical`` when fired, else
    ``info``.
    """

    fired: bool
    state: str
    detail: str
    observed: float
    limit: float | None
    window_start: datetime
    window_end: datetime
    severity: str
    # An anomaly's forecast, departure (standard deviations) and the sensitivity's threshold.
    expected: float = math.nan
    score: float = math.nan
    threshold: float = math.nan
    # When an anomaly's series first stood departed beyond the threshold: a version applied
    # after it did not start it (see :class:`~tfshadow.forecast.engine.Finding`).
    departed: datetime | None = None


@dataclass(frozen=True)
class _Points:
    """A series up to ``now``: its times (seconds since the epoch), values, sampling step."""

    times: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64]
    step: float

    @property
    def present(self) -> npt.NDArray[np.bool_]:
        return np.isfinite(self.values)


def evaluate(
    trigger: TriggerSettings,
    series: Series,
    now: datetime,
    *,
    default_sensitivity: Sensitivity = "medium",
    model: str = "default",
    resolution: float | None = None,
    trouble: str = "both",
) -> TriggerResult:
    """Judge ``trigger`` on ``series`` as of ``now`` (see the module docstring).

    ``default_sensitivity`` applies to a trigger that sets neither a limit nor ``anomaly``
    (the settings file does not allow one, but a trigger made in code may): it is judged as an
    anomaly. ``model`` is the forecasting model of anomaly and breach triggers; ``resolution``
    and ``trouble`` how an anomaly is judged (the metric's block: the step its values are
    reported to, and the side of the forecast that is trouble, a departure to the other never
    firing).
    """
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    cut = _until(series, now)
    name = series.metric or trigger.metric
    seconds = _seconds(cut.timestamps)
    values = np.asarray(cut.values, dtype=np.float64)
    present = np.isfinite(values)
    if not present.any():
        return _inconclusive(f"{name}: no data", now, now)
    positive = np.diff(seconds)
    positive = positive[positive > 0]
    if positive.size == 0:
        return _inconclusive(f"{name}: too few points to tell how often it is sampled", now, now)
    points = _Points(seconds, values, float(np.median(positive)))
    latest = int(np.flatnonzero(present)[-1])
    age = now.timestamp() - float(seconds[latest])
    if age > _allowed_gap(points.step):
        return _inconclusive(
            f"{name}: no recent data (latest point {_span(age)} old, sampled every "
            f"{_span(points.step)})",
            _moment(float(seconds[latest])),
            now,
            observed=float(values[latest]),
        )
    if trigger.anomaly is not None or (trigger.above is None and trigger.below is None):
        sensitivity = trigger.anomaly if trigger.anomaly is not None else default_sensitivity
        from tfshadow.forecast.engine import SeriesConfig
        from tfshadow.forecast.sensitivity import threshold

        config = SeriesConfig(
            threshold=threshold(sensitivity), model=model, resolution=resolution, trouble=trouble
        )
        return _anomaly(name, cut, config)
    if trigger.forecast_breach_within is not None:
        return _breach(name, trigger, cut, points, trigger.forecast_breach_within, model)
    return _limit(name, trigger, points, now)


def _limit(name: str, trigger: TriggerSettings, points: _Points, now: datetime) -> TriggerResult:
    present = points.present
    index = np.flatnonzero(present)
    latest = int(index[-1])
    value = float(points.values[latest])
    limit = _limit_crossed(trigger, value)
    phrase = _limit_phrase(trigger)
    run_start = _run_start(trigger, points)
    if trigger.for_seconds <= 0:
        at = _moment(float(points.times[latest]))
        if limit is None:
            return _quiet(f"{name} {value:.4g}, not {phrase}", value, _side(trigger), at, at)
        return _fired(
            f"{name} {value:.4g}, {phrase}", value, limit, _moment(run_start), at, "critical"
        )
    start = now.timestamp() - trigger.for_seconds
    inside = index[points.times[index] >= start]
    if inside.size == 0:
        # A `for` shorter than the sampling step: the latest point is all there is.
        inside = index[-1:]
    hole = _largest_hole(points.times[inside], start, now.timestamp())
    span = _span(trigger.for_seconds)
    if hole is not None and hole[1] > _allowed_gap(points.step):
        began, length = hole
        return _inconclusive(
            f"{name}: missing data in the last {span} (no point for {_span(length)} from "
            f"{_moment(began):%H:%M})",
            _moment(start),
            now,
            observed=value,
            limit=_side(trigger),
        )
    window = points.values[inside]
    beyond = np.array([_limit_crossed(trigger, float(v)) is not None for v in window])
    mean = float(np.mean(window))
    if beyond.all():
        # A limit held: the least extreme point says by how much at the very least.
        upper = _upper(trigger, value)
        edge = float(np.min(window)) if upper else float(np.max(window))
        word = "lowest" if upper else "highest"
        return _fired(
            f"{name} {phrase} for {span}: all {window.size} points ({word} {edge:.4g})",
            mean,
            trigger.above if upper else trigger.below,
            _moment(min(run_start, start)),
            _moment(float(points.times[latest])),
            "critical",
        )
    return _quiet(
        f"{name} {phrase} at {int(beyond.sum())} of {window.size} points in the last {span} "
        f"(latest {value:.4g})",
        value,
        _side(trigger),
        _moment(start),
        _moment(float(points.times[latest])),
    )


def _upper(trigger: TriggerSettings, value: float) -> bool:
    """Whether ``value`` is judged against the upper limit (``above``) of ``trigger``."""
    if trigger.above is None:
        return False
    if trigger.below is None:
        return True
    return value >= trigger.below


def _limit_crossed(trigger: TriggerSettings, value: float) -> float | None:
    """The limit ``value`` is beyond, None when it is within (or not a number)."""
    if not math.isfinite(value):
        return None
    if trigger.above is not None and value > trigger.above:
        return trigger.above
    if trigger.below is not None and value < trigger.below:
        return trigger.below
    return None


def _side(trigger: TriggerSettings) -> float | None:
    return trigger.above if trigger.above is not None else trigger.below


def _limit_phrase(trigger: TriggerSettings) -> str:
    if trigger.above is not None and trigger.below is not None:
        return f"outside {trigger.below:g}–{trigger.above:g}"
    if trigger.above is not None:
        return f"above {trigger.above:g}"
    return f"below {trigger.below:g}"


def _run_start(trigger: TriggerSettings, points: _Points) -> float:
    """When the current run of points beyond the limit began (seconds): it reaches back over
    present points beyond the limit, and over holes no longer than allowed."""
    index = np.flatnonzero(points.present)
    start = float(points.times[index[-1]])
    allowed = _allowed_gap(points.step)
    for i in index[::-1]:
        moment = float(points.times[i])
        if start - moment > allowed or _limit_crossed(trigger, float(points.values[i])) is None:
            break
        start = moment
    return start


def _largest_hole(
    times: npt.NDArray[np.float64], start: float, end: float
) -> tuple[float, float] | None:
    """The longest stretch of ``[start, end]`` without a point: (where it began, its length)."""
    edges = np.concatenate(([start], times, [end]))
    gaps = np.diff(edges)
    if gaps.size == 0:
        return None
    widest = int(np.argmax(gaps))
    return float(edges[widest]), float(gaps[widest])


def _anomaly(name: str, cut: Series, config: SeriesConfig) -> TriggerResult:
    from tfshadow.forecast.engine import judge

    judgement = judge(cut, config)
    verdict, finding = judgement.verdict, judgement.finding
    times = _seconds(cut.timestamps)
    first, last = _moment(float(times[0])), _moment(float(times[-1]))
    latest = _latest_value(cut.values)
    harmless = finding is not None and finding.harmless
    if finding is not None and finding.kind == "deviation" and finding.ongoing and not harmless:
        fired = _fired(
            f"{name} anomaly: {finding.reason}",
            finding.observed,
            None,
            finding.start,
            finding.end,
            finding.severity if finding.severity in ("warning", "critical") else "warning",
        )
        return replace(
            fired,
            expected=finding.expected,
            score=finding.score,
            threshold=finding.threshold,
            departed=finding.departed,
        )
    if verdict.verdict == "inconclusive":
        return _inconclusive(f"{name}: {verdict.detail}", first, last, observed=latest)
    return _quiet(f"{name} {verdict.detail}", latest, None, first, last)


def _breach(
    name: str,
    trigger: TriggerSettings,
    cut: Series,
    points: _Points,
    horizon: float,
    model: str,
) -> TriggerResult:
    from tfshadow.forecast.engine import SeriesConfig, judge

    index = np.flatnonzero(points.present)
    latest = int(index[-1])
    value = float(points.values[latest])
    at = _moment(float(points.times[latest]))
    crossed = _limit_crossed(trigger, value)
    phrase = _limit_phrase(trigger)
    if crossed is not None:
        start = _moment(_run_start(trigger, points))
        return _fired(
            f"{name} {value:.4g}, already {phrase}", value, crossed, start, at, "critical"
        )
    # The deviation detector is switched off (an infinite threshold): a departure it found
    # would take the place of the breach forecast in the judgement, and a sudden jump towards
    # the limit is exactly when the forecast matters.
    config = SeriesConfig(
        threshold=math.inf,
        model=model,
        above=trigger.above,
        below=trigger.below,
        horizon=horizon,
    )
    judgement = judge(cut, config)
    finding = judgement.finding
    if finding is not None and finding.kind == "predicted_breach":
        return _fired(
            f"{name} {finding.reason} (latest {value:.4g}, horizon {_span(horizon)})",
            finding.observed,
            finding.threshold,
            finding.start,
            finding.end,
            finding.severity if finding.severity in ("warning", "critical") else "warning",
        )
    if judgement.verdict.verdict == "inconclusive":
        return _inconclusive(
            f"{name}: {judgement.verdict.detail}", at, at, observed=value, limit=_side(trigger)
        )
    return _quiet(
        f"{name} forecast not to go {phrase} within {_span(horizon)} (latest {value:.4g})",
        value,
        _side(trigger),
        at,
        at + timedelta(seconds=horizon),
    )


def _fired(
    detail: str,
    observed: float,
    limit: float | None,
    start: datetime,
    end: datetime,
    severity: str,
) -> TriggerResult:
    return TriggerResult(True, "fired", detail, observed, limit, start, end, severity)


def _quiet(
    detail: str, observed: float, limit: float | None, start: datetime, end: datetime
) -> TriggerResult:
    return TriggerResult(False, "quiet", detail, observed, limit, start, end, "info")


def _inconclusive(
    detail: str,
    start: datetime,
    end: datetime,
    *,
    observed: float = math.nan,
    limit: float | None = None,
) -> TriggerResult:
    return TriggerResult(False, "inconclusive", detail, observed, limit, start, end, "info")


def _until(series: Series, now: datetime) -> Series:
    """``series`` without the points after ``now``, in time order."""
    stamps = np.asarray(series.timestamps).astype("datetime64[ns]")
    order = np.argsort(stamps, kind="stable")
    stamps = stamps[order]
    values = np.asarray(series.values, dtype=np.float64)[order]
    limit = np.datetime64(now.astimezone(UTC).replace(tzinfo=None), "ns")
    keep = stamps <= limit
    return replace(series, timestamps=stamps[keep], values=values[keep])


def _seconds(stamps: npt.NDArray[np.datetime64]) -> npt.NDArray[np.float64]:
    nanos = np.asarray(stamps).astype("datetime64[ns]").astype(np.int64)
    return np.asarray(nanos / 1e9, dtype=np.float64)


def _latest_value(values: npt.NDArray[np.float64]) -> float:
    finite = np.flatnonzero(np.isfinite(values))
    return float(values[finite[-1]]) if finite.size else math.nan


def _allowed_gap(step: float) -> float:
    return (MAX_GAP_STEPS + _JITTER) * step


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _span(seconds: float) -> str:
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"


# --- cooldowns ---------------------------------------------------------------------------------

_SEPARATOR = "\x1f"


class CooldownBook:
    """When each profile last acted on each resource, kept in a JSON file.

    The file maps ``"<profile>\\x1f<resource address>"`` to the ISO 8601 time of the last action.
    It is read on every question (another process may have acted) and replaced whole on every
    record (a temporary file renamed over it), so a reader never sees half a file. Two writers
    at once may lose one record: callers that may run side by side hold the store's lock.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def last(self, profile: str, resource: str) -> datetime | None:
        """When ``profile`` last acted on ``resource``; None if it never did."""
        raw = self._read().get(_key(profile, resource))
        return None if raw is None else _parse_time(raw, self.path)

    def muted_until(self, profile: str, resource: str, cooldown: float) -> datetime | None:
        """When the cooldown after the last action ends; None if there was no action."""
        last = self.last(profile, resource)
        return None if last is None else last + timedelta(seconds=cooldown)

    def remaining(self, profile: str, resource: str, now: datetime, cooldown: float) -> float:
        """Seconds of cooldown left at ``now`` (0 when ``profile`` may act)."""
        until = self.muted_until(profile, resource, cooldown)
        if until is None:
            return 0.0
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        return max(0.0, (until - now).total_seconds())

    def ready(self, profile: str, resource: str, now: datetime, cooldown: float) -> bool:
        """Whether ``profile`` may act on ``resource`` at ``now``."""
        return self.remaining(profile, resource, now, cooldown) <= 0.0

    def record(self, profile: str, resource: str, now: datetime) -> None:
        """Note that ``profile`` acted on ``resource`` at ``now``."""
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        book = self._read()
        book[_key(profile, resource)] = now.astimezone(UTC).isoformat()
        self._write(book)

    def put_back(self, profile: str, resource: str, last: datetime | None) -> None:
        """Undo a :meth:`record` whose action did not happen: the last action is ``last`` again
        (none when None)."""
        book = self._read()
        book.pop(_key(profile, resource), None)
        if last is not None:
            book[_key(profile, resource)] = last.astimezone(UTC).isoformat()
        self._write(book)

    def _write(self, book: dict[str, str]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            replace_file(self.path, json.dumps(book, indent=1, sort_keys=True) + "\n", mode=0o600)
        except OSError as exc:
            raise StoreError(
                f"cannot write the profile cooldowns {self.path}: {exc.strerror or exc}",
                hint="check the store directory's permissions and free space",
            ) from None

    def _read(self) -> dict[str, str]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StoreError(
                f"cannot read the profile cooldowns {self.path}: {exc.strerror or exc}",
                hint="check the file's permissions",
            ) from None
        try:
            book = json.loads(text)
        except ValueError:
            book = None
        if not isinstance(book, dict) or not all(isinstance(v, str) for v in book.values()):
            raise _corrupt(self.path)
        return book


def _key(profile: str, resource: str) -> str:
    return f"{profile}{_SEPARATOR}{resource}"


def _parse_time(raw: str, path: Path) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise _corrupt(path) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _corrupt(path: Path) -> StoreError:
    return StoreError(
        f"the profile cooldowns {path} are not a JSON object of timestamps",
        hint="delete the file: profiles then forget when they last acted, and may act again",
    )
