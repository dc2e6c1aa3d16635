"""`tfshadow check` and `tfshadow watch`: reversion profiles evaluated over current metrics.

One cycle: the latest shadow version's resources → the profiles matching each → every trigger
of those profiles judged on the resource's metric (from the source its ``resource_metrics``
names) → of the profiles whose trigger fired, the strictest action decides → a recommendation
naming the suspect version and the version the profile reverts to. With ``act`` (``--act``, and
always in ``watch``), a ``revert`` action runs: a targeted revert of the resource, auto-approved,
recorded as a version like any revert; one action per cycle at most, none for a resource in its
cooldown. After a revert the resource is judged only on what came after it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tfshadow.errors import MetricsError, NoDataError, TfshadowError, UsageError
from tfshadow.forecast.results import SEVERITIES, Recommendation

if TYPE_CHECKING:
    from tfshadow.forecast.attribution import VersionInfo
    from tfshadow.metrics.base import MetricSource, ResourceRef
    from tfshadow.ops.revert import RevertUI
    from tfshadow.profiles import CooldownBook, TriggerResult
    from tfshadow.project import Project
    from tfshadow.settings.analysis import MetricsSettings, ProfileSettings, TriggerSettings
    from tfshadow.store import GitShadowStore

PROFILES_DIR = "profiles"
COOLDOWNS = "cooldowns.json"


@dataclass(frozen=True)
class CheckRequest:
    act: bool = False
    fail_on: str = "critical"
    workspace: str | None = None
    now: datetime | None = None


@dataclass(frozen=True)
class TriggerOutcome:
    """How one trigger of one profile fared on one resource."""

    profile: str
    resource: str
    metric: str
    state: str  # fired | quiet | inconclusive | error
    detail: str


@dataclass
class CheckReport:
    recommendations: list[Recommendation] = field(default_factory=list)
    triggers: list[TriggerOutcome] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fail_on: str = "critical"

    @property
    def failing(self) -> list[Recommendation]:
        """Recommendations at or above ``fail_on``."""
        floor = SEVERITIES.index(self.fail_on)
        return [
            r
            for r in self.recommendations
            if SEVERITIES.index(r.severity if r.severity in SEVERITIES else "critical") >= floor
        ]

    @property
    def exit_code(self) -> int:
        """1 when something reaches ``fail_on``; 2 when no trigger could be judged at all (every
        source failed): a gate must not pass on metrics it never read."""
        if self.failing:
            return 1
        if self.triggers and all(t.state == "error" for t in self.triggers):
            return 2
        return 0


def check(project: Project, request: CheckRequest, ui: RevertUI | None = None) -> CheckReport:
    """One evaluation of every profile (see the module docstring)."""
    from tfshadow.forecast.attribution import VersionInfo
    from tfshadow.ops.history import open_history
    from tfshadow.profiles import CooldownBook, decide, matching

    if request.fail_on not in SEVERITIES:
        raise UsageError(
            f"--fail-on {request.fail_on} is not a severity", hint="use warning or critical"
        )
    settings = project.settings.metrics
    if not settings.profiles:
        raise UsageError(
            "no reversion profile is declared",
            hint='declare one in tfshadow.hcl: profile "name" { resource_types = [...] trigger '
            '{ … } action = "recommend" }',
        )
    store, workspace = open_history(project, request.workspace)
    now = request.now or datetime.now(UTC)
    report = CheckReport(fail_on=request.fail_on)
    resources = _resources(store, workspace)
    mapping_of = _source_of(project, store, settings)
    versions = [
        v for v in (VersionInfo.from_meta(m) for m in store.versions(workspace)) if v is not None
    ]
    numbers = [v.version for v in versions]
    book = CooldownBook(store.private_dir(PROFILES_DIR) / COOLDOWNS)
    acted = False
    for resource in resources:
        matched = [p for p in settings.profiles if matching(p, resource)]
        if not matched:
            continue
        fired = _fired(matched, resource, mapping_of(resource), book, now, settings, report)
        if not fired:
            continue
        decision = decide(resource, [p for p, _, _ in fired.values()])
        assert decision is not None
        profile, result, trigger = fired[decision.profile.name]
        rec = _recommendation(
            store, workspace, resource, profile, trigger, result, versions, numbers, settings, now
        )
        rec = replace(rec, profile=profile.name)
        if decision.also:
            rec = replace(
                rec,
                reason=f"{rec.reason}; profile {profile.name} decided "
                f"(also matched: {', '.join(decision.also)})",
            )
        action_note, did_act = _act(
            project, store, request, ui, book, resource, profile, rec, acted, now, report
        )
        acted = acted or did_act
        report.recommendations.append(replace(rec, action=action_note))
    if report.recommendations:
        _log(store, report)
    return report


def _fired(
    matched: list[ProfileSettings],
    resource: ResourceRef,
    source: MetricSource | None,
    book: CooldownBook,
    now: datetime,
    settings: MetricsSettings,
    report: CheckReport,
) -> dict[str, tuple[ProfileSettings, TriggerResult, TriggerSettings]]:
    """The profiles whose trigger fired on ``resource``, each with its first firing trigger;
    every trigger's outcome (and every muted profile) goes into ``report``."""
    fired: dict[str, tuple[ProfileSettings, TriggerResult, TriggerSettings]] = {}
    # An action by any profile mutes the resource for all of them: another profile judging the
    # run the action is undoing would blame the revert and put the bad version back.
    left, actor = max(
        (book.remaining(p.name, resource.address, now, p.cooldown), p.name) for p in matched
    )
    if left > 0:
        for profile in matched:
            report.triggers.append(
                TriggerOutcome(
                    profile.name,
                    resource.address,
                    ", ".join(t.metric for t in profile.triggers),
                    "quiet",
                    f"muted: cooldown after an action of profile {actor}, {_minutes(left)} left",
                )
            )
        return fired
    actions = [book.last(p.name, resource.address) for p in matched]
    since = max((a for a in actions if a is not None), default=None)
    for profile in matched:
        for trigger in profile.triggers:
            result = _evaluate(
                source, profile, resource, trigger, now, settings.analysis.since, since, report
            )
            if result is None:
                continue
            report.triggers.append(
                TriggerOutcome(
                    profile.name, resource.address, trigger.metric, result.state, result.detail
                )
            )
            if result.fired and profile.name not in fired:
                fired[profile.name] = (profile, result, trigger)
    return fired


def _resources(store: GitShadowStore, workspace: str) -> list[ResourceRef]:
    from tfshadow.ops.analyze import resource_refs

    latest = store.latest(workspace)
    assert latest is not None
    return resource_refs(store.reconstruct(workspace, int(latest["version"])).state)


def _source_of(
    project: Project, store: GitShadowStore, settings: Any
) -> Callable[[ResourceRef], MetricSource | None]:
    """The metric source of a resource: the one its first matching ``resource_metrics`` names."""
    from tfshadow.metrics.registry import matches, sources_from_settings
    from tfshadow.ops.analyze import AGENT_DIR

    sources = sources_from_settings(settings.sources, project.workdir, store.private_dir(AGENT_DIR))

    def mapping_of(resource: ResourceRef) -> MetricSource | None:
        for mapping in settings.resources:
            if matches(mapping.pattern, resource.address):
                return sources.get(mapping.source)
        return None

    return mapping_of


def _evaluate(
    source: MetricSource | None,
    profile: ProfileSettings,
    resource: ResourceRef,
    trigger: TriggerSettings,
    now: datetime,
    history: float,
    since_action: datetime | None,
    report: CheckReport,
) -> TriggerResult | None:
    from tfshadow.metrics.base import TimeRange
    from tfshadow.profiles import evaluate

    if source is None:
        report.warnings.append(
            f"{resource.address}: no resource_metrics block gives it metrics, so its "
            f"profile trigger on {trigger.metric} cannot be judged"
        )
        return None
    start = now - timedelta(seconds=history)
    if since_action is not None and since_action > start:
        # Judged against what came after the last action, not the behaviour it undid.
        start = since_action
    try:
        series = source.fetch(resource, trigger.metric, TimeRange(start, now))
    except MetricsError as exc:
        report.warnings.append(exc.one_line())
        # An empty answer is missing data, not a failure: inconclusive (and a gate does not
        # fail closed on it, as it does when every source failed).
        state = "inconclusive" if isinstance(exc, NoDataError) else "error"
        report.triggers.append(
            TriggerOutcome(profile.name, resource.address, trigger.metric, state, exc.message)
        )
        return None
    return evaluate(trigger, series, now, default_sensitivity="medium")


def _recommendation(
    store: GitShadowStore,
    workspace: str,
    resource: ResourceRef,
    profile: ProfileSettings,
    trigger: TriggerSettings,
    result: TriggerResult,
    versions: list[VersionInfo],
    numbers: list[int],
    settings: Any,
    now: datetime,
) -> Recommendation:
    from tfshadow.forecast.attribution import recommend
    from tfshadow.forecast.engine import Finding

    finding = Finding(
        kind="threshold" if trigger.above is not None or trigger.below is not None else "deviation",
        start=result.window_start,
        end=result.window_end,
        observed=result.observed,
        expected=result.limit if result.limit is not None else result.expected,
        score=result.score,
        threshold=result.limit if result.limit is not None else result.threshold,
        severity=result.severity,
        ongoing=True,
        reason=f"profile {profile.name}: {result.detail}",
    )
    if trigger.forecast_breach_within is not None:
        finding = replace(finding, kind="predicted_breach")
    rec = recommend(
        resource.address,
        trigger.metric,
        "profile",
        finding,
        versions,
        settings.analysis.attribution_window,
        store.last_good(workspace),
        now,
    )
    target = _target(profile, rec, numbers, store.last_good(workspace))
    command = f"tfshadow revert {target} --target {resource.address}" if target else None
    return replace(rec, command=command)


def _target(
    profile: ProfileSettings, rec: Recommendation, numbers: list[int], last_good: int | None
) -> int | None:
    """The version the profile returns to: ``previous`` is the one before the suspect (or
    before the latest version when no suspect fits), ``last-good`` the newest marked good."""
    if profile.to == "last-good":
        return last_good
    if profile.to not in ("previous", ""):
        number = int(profile.to)
        return number if number in numbers else None
    pivot = rec.suspect.version if rec.suspect is not None else (max(numbers) if numbers else 0)
    older = [n for n in numbers if n < pivot]
    return max(older) if older else None


def _act(
    project: Project,
    store: GitShadowStore,
    request: CheckRequest,
    ui: RevertUI | None,
    book: CooldownBook,
    resource: ResourceRef,
    profile: ProfileSettings,
    rec: Recommendation,
    acted: bool,
    now: datetime,
    report: CheckReport,
) -> tuple[str, bool]:
    """What was done about ``rec``: a phrase for the output and the log, and whether it acted."""
    if profile.action == "recommend":
        return "recommended", False
    if profile.action == "activate_ghost":
        return _activate_ghost(project, store, request, resource, profile, acted, now, book, report)
    if rec.command is None:
        return "no version to revert to", False
    target = rec.command.split()[2]
    if not request.act:
        return f"would revert to version {target} (run with --act)", False
    if acted:
        return "waiting: one action per cycle", False
    from tfshadow.ops.revert import RevertRequest, revert

    last = book.last(profile.name, resource.address)
    try:
        with store.lock(project.lock_timeout, command="check"):
            if not _claim(book, profile, resource, now):
                return "waiting: another tfshadow acted on it first", False
            try:
                outcome = revert(
                    project,
                    RevertRequest(
                        version=target,
                        targets=(resource.address,),
                        auto_approve=True,
                        # The version number is of this workspace's history: never another's.
                        workspace=request.workspace,
                    ),
                    ui or _QuietUI(),
                )
            except TfshadowError:
                # Refused, nearly always before Terraform applied anything (a failed apply
                # returns an exit code): muting would hide a problem nothing was done about.
                book.put_back(profile.name, resource.address, last)
                raise
    except TfshadowError as exc:
        report.warnings.append(f"profile {profile.name}: revert failed: {exc.one_line()}")
        return f"revert to version {target} failed: {exc.message}", True
    recorded = outcome.recorded["version"] if outcome.recorded else "?"
    if outcome.exit_code != 0:
        report.warnings.append(
            f"profile {profile.name}: the revert of {resource.address} to version {target} "
            f"failed part-way (exit {outcome.exit_code}; recorded as version {recorded}): "
            "see Terraform's message above"
        )
        return f"revert to version {target} failed (exit {outcome.exit_code})", True
    report.actions.append(
        f"profile {profile.name}: reverted {resource.address} to version {target} "
        f"(recorded as version {recorded})"
    )
    return f"reverted to version {target}", True


def _claim(
    book: CooldownBook, profile: ProfileSettings, resource: ResourceRef, now: datetime
) -> bool:
    """Note the action in the cooldown book, unless another process acted since this one
    looked; the caller holds the store's lock, so two watchers never both act."""
    if not book.ready(profile.name, resource.address, now, profile.cooldown):
        return False
    book.record(profile.name, resource.address, now)
    return True


def _activate_ghost(
    project: Project,
    store: GitShadowStore,
    request: CheckRequest,
    resource: ResourceRef,
    profile: ProfileSettings,
    acted: bool,
    now: datetime,
    book: CooldownBook,
    report: CheckReport,
) -> tuple[str, bool]:
    from tfshadow.ops import ghost

    if not ghost.is_enabled(project, resource.address):
        report.warnings.append(
            f"profile {profile.name}: {resource.address} has no ghost instance "
            f"(`tfshadow ghost enable {resource.address}`); recommending instead"
        )
        return "no ghost enabled: recommended", False
    if not request.act:
        return "would activate its ghost (run with --act)", False
    if acted:
        return "waiting: one action per cycle", False
    try:
        with store.lock(project.lock_timeout, command="check"):
            if not _claim(book, profile, resource, now):
                return "waiting: another tfshadow acted on it first", False
            result = ghost.activate(project, resource.address)
    except TfshadowError as exc:
        report.warnings.append(f"profile {profile.name}: ghost activation failed: {exc.one_line()}")
        return f"ghost activation failed: {exc.message}", True
    report.actions.append(
        f"profile {profile.name}: activated the ghost of {resource.address} ({result.ghost}) "
        f"in {result.seconds:.1f} s"
    )
    return f"activated ghost {result.ghost}", True


class _QuietUI:
    """A revert started by a profile: nobody to ask, nothing to show beyond Terraform's own."""

    def drift_recorded(self, meta: dict[str, Any]) -> None:
        pass

    def verification(self, report: Any) -> None:
        pass

    def state_changes(self, version: int, changes: Any) -> None:
        pass

    def confirm(self, question: str) -> bool:
        return True


def _log(store: GitShadowStore, report: CheckReport) -> None:
    from tfshadow.forecast import journal
    from tfshadow.ops.analyze import ANALYSIS_DIR, JOURNAL

    try:
        journal.append(store.private_dir(ANALYSIS_DIR) / JOURNAL, report.recommendations)
    except OSError as exc:
        report.warnings.append(f"could not log the recommendations: {exc.strerror or exc}")


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


def watch(
    project: Project,
    request: CheckRequest,
    interval: float,
    *,
    cycles: int | None = None,
    stop: Callable[[], bool] = lambda: False,
    on_cycle: Callable[[int, CheckReport | TfshadowError], None] | None = None,
    sleep: Callable[[float], bool] | None = None,
) -> int:
    """``check`` with actions every ``interval`` seconds until ``stop()`` or ``cycles``.

    A cycle that fails (metrics down, store busy) is reported and the loop goes on; the stop
    request is honoured between cycles, never in the middle of an action. Returns the cycles run.
    """
    import threading

    waiter = threading.Event()
    pause = sleep or (lambda seconds: waiter.wait(seconds))
    run = 0
    while cycles is None or run < cycles:
        if stop():
            break
        run += 1
        try:
            outcome: CheckReport | TfshadowError = check(
                project, replace(request, act=True, now=None)
            )
        except TfshadowError as exc:
            outcome = exc
        if on_cycle is not None:
            on_cycle(run, outcome)
        if (cycles is not None and run >= cycles) or stop():
            break
        if pause(interval):
            break
    return run
