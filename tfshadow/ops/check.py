"""`tfshadow check` and `tfshadow watch`: reversion profiles evaluated over current metrics.

One cycle: the latest shadow version's resources → the profiles matching each → every trigger
of those profiles judged on the resource's metric (from the source its ``resource_metrics``
names) → of the profiles whose trigger fired, the strictest action decides → a recommendation
naming the suspect version and the version the profile reverts to. With ``act`` (``--act``, and
always in ``watch``), a ``revert`` action runs: a targeted revert of the resource, auto-approved,
recorded as a version like any revert; one action per cycle at most, none for a resource in its
cooldown. After a revert the resource is judged only on what came after it. A revert Terraform
finds nothing to change for is no action: the resource is as the version has it already. Every
action (done or failed) is announced on the ``alerts`` webhook.
"""

from __future__ import annotations

import shlex
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
    from tfshadow.revert.verify import VerificationReport
    from tfshadow.settings.analysis import (
        MetricSettings,
        MetricsSettings,
        ProfileSettings,
        TriggerSettings,
    )
    from tfshadow.store import GitShadowStore

PROFILES_DIR = "profiles"
COOLDOWNS = "cooldowns.json"


@dataclass(frozen=True)
class CheckRequest:
    act: bool = False
    fail_on: str = "critical"
    workspace: str | None = None
    now: datetime | None = None
    no_color: bool = False  # also in the output of the Terraform a revert or activation runs
    # Warnings about the settings rather than the metrics, said once: a watch's cycles share
    # this set (``replace`` keeps it), so they are not repeated every interval.
    told: set[str] = field(default_factory=set, compare=False)


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
    action_failed: bool = False  # a revert or ghost activation was tried and failed

    def warn(self, line: str) -> None:
        """Add ``line`` to the warnings once: several profiles reading one resource's metric
        meet the same failure."""
        if line not in self.warnings:
            self.warnings.append(line)

    @property
    def failing(self) -> list[Recommendation]:
        """Recommendations at or above ``fail_on`` still open: one a profile's revert acted on
        is handled, by the rule `tfshadow gate` and the plan report follow."""
        from tfshadow.ops.handled import acted_on

        floor = SEVERITIES.index(self.fail_on)
        return [
            r
            for r in self.recommendations
            if SEVERITIES.index(r.severity if r.severity in SEVERITIES else "critical") >= floor
            # Dated at the start of the check: the only reverts since are its own, which the
            # rule finds in the action logged with the recommendation.
            and acted_on(r.to_json(), ()) is None
        ]

    @property
    def exit_code(self) -> int:
        """2 when an action failed, so that a pipeline tells it apart from a trigger nothing was
        done about (1: something open reaches ``fail_on``) and from one acted on and handled
        (0); 2 also when no trigger could be judged and a source failed (the others had no
        data): a gate must not pass on metrics it never read. Missing data alone is
        inconclusive, not a failure."""
        if self.action_failed:
            return 2
        if self.failing:
            return 1
        states = {t.state for t in self.triggers}
        if "error" in states and not states & {"fired", "quiet"}:
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
    settings = _declared(project)
    store, workspace = open_history(project, request.workspace)
    # Each cycle of `check --watch` is a command of its own: a remote out of reach in the last
    # one is tried again.
    store.ask_remote_again()
    now = request.now or datetime.now(UTC)
    report = CheckReport(fail_on=request.fail_on)
    resources = _resources(store, workspace)
    mapping_of = _source_of(project, store, settings)
    metas = store.versions(workspace)
    versions = [v for v in (VersionInfo.from_meta(m) for m in metas) if v is not None]
    numbers = [v.version for v in versions]
    book = CooldownBook(store.private_dir(PROFILES_DIR) / COOLDOWNS)
    acted = False
    done: list[Recommendation] = []  # what the profiles did by themselves, to announce
    for resource in resources:
        matched = [p for p in settings.profiles if matching(p, resource)]
        if not matched:
            continue
        fired, since = _fired(
            matched, resource, mapping_of(resource), book, now, settings, report, request.told
        )
        if not fired:
            continue
        decision = decide(resource, [p for p, _, _ in fired.values()])
        assert decision is not None
        profile, result, trigger = fired[decision.profile.name]
        # Only while the judging starts at the action (within the history read) does a
        # deviation seem to begin after it.
        cut = (
            since
            if since is not None and now - since < timedelta(seconds=settings.analysis.since)
            else None
        )
        remedies = _remedies(metas, resource.address, cut)
        rec = _recommendation(
            store,
            workspace,
            resource,
            profile,
            trigger,
            result,
            [v for v in versions if v.version not in remedies],
            numbers,
            settings,
            now,
        )
        rec = replace(rec, profile=profile.name)
        rec, in_place = _unless_already_reverted(rec, metas, versions, remedies)
        if decision.also:
            rec = replace(
                rec,
                reason=f"{rec.reason}; profile {profile.name} decided "
                f"(also matched: {', '.join(decision.also)})",
            )
        if in_place is not None and profile.action == "revert":
            rec, did_act = replace(rec, action=f"not reverted again: {in_place}"), False
        else:
            rec, did_act = _act(
                project, store, request, ui, book, resource, profile, rec, acted, now, report
            )
        acted = acted or did_act
        report.recommendations.append(rec)
        if did_act:
            done.append(rec)
    if report.recommendations:
        _log(store, report)
    if done and settings.alerts.webhook:
        _announce(settings, done, report)
    return report


def _announce(settings: MetricsSettings, done: list[Recommendation], report: CheckReport) -> None:
    """Tell the webhook what the profiles did (reverted, tried and failed, activated a ghost):
    people learn of a change made without them where they learn of recommendations."""
    from tfshadow.errors import AlertError
    from tfshadow.forecast.alerts import announce_actions

    assert settings.alerts.webhook is not None
    try:
        announce_actions(settings.alerts.webhook, done, timeout=settings.alerts.timeout)
    except AlertError as exc:
        report.warn(f"could not announce the action on the webhook: {exc.one_line()}")


def _declared(project: Project) -> MetricsSettings:
    """The metrics settings, which declare at least one profile (else a UsageError; a settings
    file with errors raises its SettingsError)."""
    settings = project.settings.metrics
    if not settings.profiles:
        raise UsageError(
            "no reversion profile is declared",
            hint='declare one in tfshadow.hcl: profile "name" { resource_types = [...] trigger '
            '{ … } action = "recommend" }',
        )
    return settings


def _fired(
    matched: list[ProfileSettings],
    resource: ResourceRef,
    source: MetricSource | None,
    book: CooldownBook,
    now: datetime,
    settings: MetricsSettings,
    report: CheckReport,
    told: set[str],
) -> tuple[dict[str, tuple[ProfileSettings, TriggerResult, TriggerSettings]], datetime | None]:
    """The profiles whose trigger fired on ``resource``, each with its first firing trigger,
    and when a profile last acted on it (None if none ever did); every trigger's outcome (and
    every muted profile) goes into ``report``."""
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
        return fired, None
    actions = [book.last(p.name, resource.address) for p in matched]
    since = max((a for a in actions if a is not None), default=None)
    for profile in matched:
        for trigger in profile.triggers:
            result = _evaluate(
                source,
                profile,
                resource,
                trigger,
                now,
                settings.analysis.since,
                since,
                report,
                told,
                settings.metric(trigger.metric),
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
    return fired, since


def _remedies(metas: list[dict[str, Any]], address: str, since: datetime | None) -> set[int]:
    """The reverts covering ``address`` recorded since a profile last acted on it: the action's
    own (also one that failed part-way), and any made about the same deviation since.

    After an action the resource is judged only on what came after it, so a deviation that
    outlasted the revert seems to begin just after it: blaming the revert, or returning to the
    version before it, would put back the very change the profile took away.
    """
    from tfshadow.moments import parse_stamp
    from tfshadow.ops.handled import about

    if since is None:
        return set()
    # Versions are dated to the second, the cooldown book finer: the same second is after.
    floor = since.replace(microsecond=0)
    found = set()
    for meta in metas:
        moment = parse_stamp(meta.get("timestamp"))
        targets = meta.get("targets")
        covers = not isinstance(targets, list) or any(about(str(t), address) for t in targets)
        if meta.get("kind") == "revert" and moment is not None and moment >= floor and covers:
            found.add(int(meta["version"]))
    return found


def _unless_already_reverted(
    rec: Recommendation,
    metas: list[dict[str, Any]],
    versions: list[VersionInfo],
    remedies: set[int],
) -> tuple[Recommendation, str | None]:
    """``rec`` without its command when the revert it proposes is in place already (a remedy
    went back to that version and no version changed the resource since), with a phrase
    saying so; else ``rec`` as it is and None. The deviation outlasted the revert: another
    would change nothing, and people must look."""
    from tfshadow.ops.handled import about, reverts

    if not remedies or rec.command is None:
        return rec, None
    target = rec.command.split()[2]
    done = {r.version: r for r in reverts(metas)}  # succeeded, and not --state-only
    touching = [v.version for v in versions if any(about(rec.resource, a) for a in v.addresses)]
    last = max(touching, default=None)
    remedy = done.get(last) if last in remedies else None
    if remedy is None or str(remedy.reverted_to) != target:
        return rec, None
    said = f"version {remedy.version} already reverted it to version {target}"
    return replace(
        rec,
        command=None,
        reason=f"{rec.reason}; {said} and it still deviates: reverting again would change nothing",
    ), said


def _resources(store: GitShadowStore, workspace: str) -> list[ResourceRef]:
    """The resources the profiles judge: the latest version's, but the ghosts. A ghost is of its
    original's type, yet stands in for it: it has none of its metrics, and reverting it or
    starting a ghost of it is nothing a profile should do."""
    from tfshadow.ops.analyze import resource_refs
    from tfshadow.ops.ghost import ghost_resources, is_ghost

    latest = store.latest(workspace)
    assert latest is not None
    ghosts = ghost_resources(store)
    return [
        ref
        for ref in resource_refs(
            store.reconstruct(workspace, int(latest["version"])).state, workspace
        )
        if not is_ghost(ref.address, ghosts)
    ]


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
    told: set[str],
    metric: MetricSettings | None = None,
) -> TriggerResult | None:
    """``trigger`` judged on ``resource``'s series (None when it cannot be read: a warning
    says why); an anomaly as the metric's block (``metric``) says it is read."""
    from tfshadow.metrics.base import TimeRange
    from tfshadow.profiles import evaluate

    if source is None:
        report.warn(
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
        report.warn(exc.one_line())
        # An empty answer is missing data, not a failure: inconclusive (and a gate does not
        # fail closed on it, as it does when every source failed).
        state = "inconclusive" if isinstance(exc, NoDataError) else "error"
        report.triggers.append(
            TriggerOutcome(profile.name, resource.address, trigger.metric, state, exc.message)
        )
        return None
    _unnamed_metric(source, profile, resource, trigger, report, told)
    if start == since_action:
        series = replace(series, grows=True)
    return evaluate(
        trigger,
        series,
        now,
        default_sensitivity="medium",
        resolution=metric.resolution if metric else None,
        trouble=(metric.trouble if metric else None) or "both",
    )


def _unnamed_metric(
    source: MetricSource,
    profile: ProfileSettings,
    resource: ResourceRef,
    trigger: TriggerSettings,
    report: CheckReport,
    told: set[str],
) -> None:
    """Warn (once: ``told`` outlives a watch's cycles) when the trigger's metric came from a
    two-column CSV file, which names no metric: its one series is taken as this one, as it
    would be as any other, and a file of the wrong metric would fire or silence the trigger."""
    from tfshadow.metrics.csvfile import CsvSource

    if trigger.metric == "value" or not isinstance(source, CsvSource):
        return
    path = source.single_series(resource)
    if path is None:
        return
    line = (
        f"profile {profile.name}: {source.shown(path)} has no metric column: its one series "
        f"is taken as {trigger.metric} (to name it, put ${{metric}} in the csv path or write "
        "timestamp,resource,metric,value)"
    )
    if line not in told:
        told.add(line)
        report.warn(line)


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
    """The recommendation for a fired trigger; ``versions`` are those that may be blamed for
    it, ``numbers`` every version that may be returned to."""
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
        departed=result.departed,
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
    latest = max((v.version for v in versions), default=0)
    last_good = store.last_good(workspace)
    target = _target(profile, rec, numbers, latest, last_good)
    # Quoted for a shell: an instance key's quotes (`web["a"]`) would otherwise be lost.
    address = shlex.quote(resource.address)
    command = f"tfshadow revert {target} --target {address}" if target else None
    reason = rec.reason
    if profile.to == "last-good" and last_good is not None and target is None:
        pivot = rec.suspect.version if rec.suspect is not None else latest
        reason += (
            f"; the newest version marked good, {last_good}, is not older than version "
            f"{pivot}: going back to it would undo nothing"
        )
    elif profile.to == "last-good" and last_good is None:
        reason += (
            "; no version is marked good to go back to (`tfshadow mark N good`, or a quiet "
            "soak seen by `tfshadow analyze`)"
        )
    return replace(rec, command=command, reason=reason)


def _target(
    profile: ProfileSettings,
    rec: Recommendation,
    numbers: list[int],
    latest: int,
    last_good: int | None,
) -> int | None:
    """The version the profile returns to: ``previous`` is the one before the suspect (or
    before ``latest``, the newest version that may be blamed, when no suspect fits),
    ``last-good`` the newest marked good when it is older than that (a mark given to the
    suspect itself, or after it, points at what is to be undone)."""
    if profile.to not in ("previous", "last-good", ""):
        number = int(profile.to)
        return number if number in numbers else None
    pivot = rec.suspect.version if rec.suspect is not None else latest
    if profile.to == "last-good":
        return last_good if last_good is not None and last_good < pivot else None
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
) -> tuple[Recommendation, bool]:
    """``rec`` with what was done about it (its ``action``: a phrase for the output and the
    log), and whether it acted."""
    if profile.action == "recommend":
        return replace(rec, action="recommended"), False
    if profile.action == "activate_ghost":
        note, did_act = _activate_ghost(
            project, store, request, resource, profile, acted, now, book, report
        )
        return replace(rec, action=note), did_act
    if rec.command is None:
        return replace(rec, action="no version to revert to"), False
    target = rec.command.split()[2]
    if not request.act:
        return replace(rec, action=f"would revert to version {target} (run with --act)"), False
    if acted:
        return replace(rec, action="waiting: one action per cycle"), False
    from tfshadow.ops.revert import RevertRequest, revert

    last = book.last(profile.name, resource.address)
    try:
        with store.lock(project.lock_timeout, command="check"):
            if not _claim(book, profile, resource, now):
                return replace(rec, action="waiting: another tfshadow acted on it first"), False
            try:
                outcome = revert(
                    project,
                    RevertRequest(
                        version=target,
                        tf_args=("-no-color",) if request.no_color else (),
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
            unchanged = outcome.exit_code == 0 and outcome.recorded is None
            if unchanged:
                # No action either: muting would hide the deviation, and the judging must not
                # start again as if after a revert.
                book.put_back(profile.name, resource.address, last)
    except TfshadowError as exc:
        report.warnings.append(f"profile {profile.name}: revert failed: {exc.one_line()}")
        report.action_failed = True
        return replace(rec, action=f"revert to version {target} failed: {exc.message}"), True
    if unchanged:
        # Terraform found nothing to change: the deviation is not the doing of anything a revert
        # could undo. Not an action (nor handled): the command is withdrawn, since running it
        # would change nothing, and the recommendation stays open for people.
        reason, action = _nothing_to_change(rec.reason, target, outcome.report)
        return replace(rec, command=None, reason=reason, action=action), False
    recorded = (
        f"recorded as version {outcome.recorded['version']}"
        if outcome.recorded
        else "Terraform found nothing to change: no version recorded"
    )
    if outcome.exit_code != 0:
        report.warnings.append(
            f"profile {profile.name}: the revert of {resource.address} to version {target} "
            f"failed part-way (exit {outcome.exit_code}; {recorded}): "
            "see Terraform's message above"
        )
        report.action_failed = True
        failed = f"revert to version {target} failed (exit {outcome.exit_code})"
        return replace(rec, action=failed), True
    report.actions.append(
        f"profile {profile.name}: reverted {resource.address} to version {target} ({recorded})"
    )
    return replace(rec, action=f"reverted to version {target}"), True


def _nothing_to_change(
    reason: str, target: int | str, report: VerificationReport | None
) -> tuple[str, str]:
    """The reason and action of a profile's revert Terraform found nothing to change for,
    worded by the revert's own rule: "already at version N" only when the verification found
    the resource as N has it; another object than N's (replaced since), or one that differs
    from N in what no apply brings back, is said to be so."""
    from tfshadow.revert.verify import IDENTITY_PATH

    if report is None or not report.needs_confirmation:
        return (
            f"{reason}; it is already as version {target} has it (Terraform found nothing to "
            "change): reverting would change nothing",
            f"not reverted: already at version {target}",
        )
    if any(m.path == IDENTITY_PATH for m in report.mismatches):
        what = f"another object than version {target}'s (replaced since)"
        short = f"another object than version {target}'s"
    else:
        what = short = f"not as version {target} has it"
    return (
        f"{reason}; Terraform found nothing to change, yet it is {what}: reverting brings it "
        f"no nearer to version {target}",
        f"not reverted: nothing to change, yet {short}",
    )


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
        from tfshadow.ghost.adapters import ADAPTERS

        # Naming `ghost enable` for a type it refuses would send people to a dead end.
        remedy = (
            f"`tfshadow ghost enable {resource.address}`"
            if resource.type in ADAPTERS
            else f"and {resource.type} cannot have one"
        )
        report.warnings.append(
            f"profile {profile.name}: {resource.address} has no ghost instance ({remedy}); "
            "recommending instead"
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
            result = ghost.activate(project, resource.address, no_color=request.no_color)
    except TfshadowError as exc:
        report.warnings.append(f"profile {profile.name}: ghost activation failed: {exc.one_line()}")
        report.action_failed = True
        return f"ghost activation failed: {exc.message}", True
    if not result.recorded:
        # Terraform changed nothing: started before (by hand, or by this profile before its
        # cooldown ran out). No action to announce; muted all the same, as a start would be.
        return f"its ghost {result.ghost} runs already: nothing done", False
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

    A cycle that fails (metrics down, store busy) is reported and the loop goes on; settings
    that cannot be read, or declare no profile, raise before the first cycle. The stop request
    is honoured between cycles, never in the middle of an action. Returns the cycles run.
    """
    import threading

    # Settings are read once: an error in them, or no profile, would fail every cycle alike
    # while the watcher looked alive. Said once, before the first cycle.
    _declared(project)
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
        # An interval beyond what a timer can wait is, in effect, forever.
        if pause(min(interval, threading.TIMEOUT_MAX)):
            break
    return run
