"""`tfshadow analyze`: read every resource's metrics, judge them, recommend reverts.

The sequence: the latest shadow version's resources → the metric sources ``tfshadow.hcl``
declares for them → each series fetched (in threads: sources wait on the network) and judged
→ deviations attributed to the version that most likely caused them → the recommendations
logged under the store, sent to the webhook, and versions marked good after a quiet soak or
suspect after a critical deviation. Nothing is ever reverted here.

A post-mortem (``now`` more than :data:`POST_MORTEM_AFTER` before the clock) only reports: what
was wrong then is history, so it is not logged as open, posted as news, or used to mark versions.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeGuard

from tfshadow.errors import MetricsError, NoDataError, TfshadowError, UsageError
from tfshadow.forecast.results import AnalysisReport, Recommendation, SeriesVerdict

if TYPE_CHECKING:
    from tfshadow.forecast.attribution import VersionInfo
    from tfshadow.forecast.cluster import Cluster
    from tfshadow.forecast.engine import Judgement, SeriesConfig
    from tfshadow.metrics.base import MetricSource, ResourceRef, Series
    from tfshadow.project import Project
    from tfshadow.settings.analysis import MetricsSettings
    from tfshadow.store import GitShadowStore

FETCH_THREADS = 8
PARALLEL_FROM = 64  # series per worker process below which judging stays in this process
JOURNAL = "recommendations.jsonl"
ALERTED = "alerted.json"
ANALYSIS_DIR = "analysis"
AGENT_DIR = "metrics"
POST_MORTEM_AFTER = 300.0  # seconds before the clock: an analysis as of then reports only
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # no metric source has points before the epoch

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class AnalyzeRequest:
    """What the user asked for; None means "as ``tfshadow.hcl`` says"."""

    resources: tuple[str, ...] = ()  # addresses or address globs
    since: float | None = None  # seconds of history
    sensitivity: str | float | None = None
    model: str | None = None
    workspace: str | None = None
    alert: bool = True
    mark: bool = True
    now: datetime | None = None
    scheduler: str | None = None  # a Dask scheduler to judge on (address or scheduler file)


@dataclass(frozen=True)
class _Task:
    resource: ResourceRef
    source: MetricSource
    metric: str
    config: SeriesConfig


def analyze(
    project: Project, request: AnalyzeRequest, progress: Progress | None = None
) -> AnalysisReport:
    """Judge every (resource, metric) series in scope; see the module docstring.

    Raises when nothing can be attempted (no version, no resource with metrics, a bad option);
    a series that cannot be read becomes an ``error`` verdict and a warning instead.
    """
    from tfshadow.forecast.attribution import VersionInfo, recommend
    from tfshadow.forecast.sensitivity import label
    from tfshadow.ops.history import open_history

    settings = project.settings.metrics
    _check_request(request)
    store, workspace = open_history(project, request.workspace)
    now = request.now or datetime.now(UTC)
    since = request.since if request.since is not None else settings.analysis.since
    problems: list[tuple[ResourceRef, MetricsError]] = []
    tasks = _tasks(project, store, workspace, settings, request, problems)
    window = _window(now, since)
    # Judged through the end of the window: a series that stopped early ends in a gap.
    tasks = [replace(t, config=replace(t.config, end=window.end)) for t in tasks]
    scheduler = request.scheduler or settings.analysis.scheduler
    judged = _judge_all(tasks, window, progress, scheduler, settings.analysis.scheduler_timeout)

    versions = [
        v for v in (VersionInfo.from_meta(m) for m in store.versions(workspace)) if v is not None
    ]
    last_good = store.last_good(workspace)
    verdicts: list[SeriesVerdict] = [
        SeriesVerdict(ref.address, "", "", "error", detail=error.message) for ref, error in problems
    ]
    warnings: list[str] = [error.one_line() for _, error in problems]
    recommendations: list[Recommendation] = []
    for task, outcome in judged:
        if isinstance(outcome, TfshadowError):
            # Missing data is not evidence: an empty answer is inconclusive, not a failure.
            verdict = "inconclusive" if isinstance(outcome, NoDataError) else "error"
            verdicts.append(
                SeriesVerdict(
                    task.resource.address,
                    task.metric,
                    task.source.name,
                    verdict,
                    detail=outcome.message,
                )
            )
            warnings.append(outcome.one_line())
            continue
        verdicts.append(outcome.verdict)
        if outcome.finding is not None:
            rec = recommend(
                task.resource.address,
                task.metric,
                task.source.name,
                outcome.finding,
                versions,
                settings.analysis.attribution_window,
                last_good,
                now,
            )
            # A departure that is over and that no version explains is noise, not news; one
            # whose metric went silent while departed is not over.
            finding = outcome.finding
            if finding.ongoing or finding.last_seen or rec.suspect is not None:
                recommendations.append(rec)
    post_mortem = is_post_mortem(request.now)
    report_extra: dict[str, Any] = {"workspace": workspace, "since": since}
    if post_mortem:
        report_extra["post_mortem"] = True
    if recommendations and not post_mortem:
        _log(store, recommendations, warnings)
    if request.alert and settings.alerts.webhook and recommendations and not post_mortem:
        sent = _alert(settings, store, workspace, recommendations, warnings)
        report_extra["alerts_sent"] = sent
    if request.mark and not post_mortem:
        report_extra["marks"] = _mark_versions(
            project, store, workspace, versions, judged, recommendations, settings, now, warnings
        )
    sensitivity = request.sensitivity or settings.analysis.sensitivity
    return AnalysisReport(
        verdicts=tuple(verdicts),
        recommendations=tuple(recommendations),
        warnings=tuple(warnings),
        analysed_at=now,
        sensitivity=label(sensitivity),
        extra=report_extra,
    )


def is_post_mortem(moment: datetime | None) -> bool:
    """Whether an analysis as of ``moment`` is a post-mortem: its recommendations were due then,
    and a revert, an alert or a mark made now on their account would act on history."""
    if moment is None:
        return False
    return (datetime.now(UTC) - moment).total_seconds() > POST_MORTEM_AFTER


def _check_request(request: AnalyzeRequest) -> None:
    from tfshadow.forecast.models import check_model
    from tfshadow.forecast.sensitivity import threshold

    if request.sensitivity is not None:
        threshold(request.sensitivity)
    if request.model is not None:
        check_model(request.model)
    if request.since is not None and request.since <= 0:
        raise UsageError("--since must be a positive duration", hint="use e.g. --since 7d")
    if request.scheduler is not None:
        from tfshadow.settings.analysis import scheduler_problem

        problem = scheduler_problem(request.scheduler)
        if problem is not None:
            raise UsageError(
                f"--scheduler {problem}", hint="use e.g. --scheduler tcp://scheduler:8786"
            )


def _window(now: datetime, since: float) -> Any:
    from tfshadow.metrics.base import TimeRange

    try:
        start = now - timedelta(seconds=since)
    except OverflowError:  # a --since longer than the calendar: all the history there is
        start = EARLIEST
    return TimeRange(max(start, EARLIEST), now)


def resource_refs(state: dict[str, Any], workspace: str) -> list[ResourceRef]:
    """The managed resource instances of a canonical state (deposed objects left out), of a
    version of ``workspace``."""
    from tfshadow.metrics.base import ResourceRef

    refs = []
    for address, instance in sorted(state.get("resources", {}).items()):
        if instance.get("mode", "managed") != "managed" or instance.get("deposed"):
            continue
        refs.append(
            ResourceRef(
                address=address,
                type=str(instance.get("type", "")),
                name=str(instance.get("name", "")),
                attributes=instance.get("attributes") or {},
                workspace=workspace,
            )
        )
    return refs


def _tasks(
    project: Project,
    store: GitShadowStore,
    workspace: str,
    settings: MetricsSettings,
    request: AnalyzeRequest,
    problems: list[tuple[ResourceRef, MetricsError]],
) -> list[_Task]:
    from tfshadow.metrics.registry import mapping_for, plan, sources_from_settings

    latest = store.latest(workspace)
    assert latest is not None  # open_history checked there is one
    state = store.reconstruct(workspace, int(latest["version"])).state
    resources = resource_refs(state, workspace)
    host = _host(settings, store, workspace)
    if host is not None:
        resources.append(host)
    if request.resources:
        chosen = [r for r in resources if _selected(r.address, request.resources)]
        if not chosen:
            raise UsageError(
                f"no resource in version {latest['version']} matches "
                f"{', '.join(request.resources)}",
                hint="give addresses as `tfshadow state list` shows them (globs work)",
            )
        resources = chosen
    if not settings.sources:
        raise MetricsError(
            "no metric source is declared",
            hint="declare one in tfshadow.hcl, e.g. "
            'metrics "csv" { path = "metrics/${address}.csv" }',
        )
    sources = sources_from_settings(settings.sources, project.workdir, store.private_dir(AGENT_DIR))
    skipped: list[tuple[ResourceRef, MetricsError]] = []
    planned = plan(
        resources,
        settings.resources,
        sources,
        on_error=lambda resource, error: skipped.append((resource, error)),
    )
    problems.extend(skipped)
    if not planned and skipped:
        raise MetricsError(
            f"no resource's metrics could be listed: {skipped[0][1].message}"
            + (f" (and {len(skipped) - 1} more)" if len(skipped) > 1 else ""),
            hint=skipped[0][1].hint,
        )
    if not planned:
        matched = [
            (resource.address, block.source)
            for resource in resources
            if (block := mapping_for(resource.address, settings.resources)) is not None
        ]
        if matched:
            # Matched, yet the source lists no metric for them (a Prometheus source without
            # queries, an agent that has not run): saying no block matches would mislead.
            address, named = sorted(matched)[0]
            more = f" (and {len(matched) - 1} more)" if len(matched) > 1 else ""
            raise MetricsError(
                f"no resource has metrics: source {named} offers none for {address}{more}",
                hint='name them in resource_metrics (metrics = ["cpu"]) or give the source what '
                "it reads (a query, a file, `tfshadow agent --resource ADDRESS`)",
            )
        raise MetricsError(
            "no resource has metrics: no resource_metrics block matches "
            f"{'the chosen resources' if request.resources else 'any resource in the state'}",
            hint='add e.g. resource_metrics "aws_instance.*" { source = "prometheus" }',
        )
    tasks = []
    for resource, source, metric in planned:
        mapping = mapping_for(resource.address, settings.resources)
        tasks.append(
            _Task(
                resource,
                source,
                metric,
                series_config(settings, request, metric, mapping.sensitivity if mapping else None),
            )
        )
    return tasks


def _host(settings: MetricsSettings, store: GitShadowStore, workspace: str) -> ResourceRef | None:
    """The machine itself, as the resource ``host``, when the first ``resource_metrics`` block
    matching it names an agent source and ``tfshadow agent`` (without ``--resource``) has
    sampled it: it is in no state."""
    from tfshadow.metrics.base import ResourceRef
    from tfshadow.metrics.registry import mapping_for
    from tfshadow.metrics.series_store import safe_name
    from tfshadow.ops.agent import HOST

    mapping = mapping_for(HOST, settings.resources)
    source = settings.source(mapping.source) if mapping is not None else None
    if source is None or source.kind != "agent":
        return None
    if not any((store.private_dir(AGENT_DIR) / safe_name(HOST)).glob("*.csv")):
        return None
    return ResourceRef(address=HOST, type=HOST, name=HOST, attributes={}, workspace=workspace)


def series_config(
    settings: MetricsSettings,
    request: AnalyzeRequest,
    metric: str,
    resource_sensitivity: str | float | None,
) -> SeriesConfig:
    """How one series is judged. Sensitivity: the command line, else the resource's
    ``resource_metrics``, else the ``metric`` block, else ``analysis``; model: the command line,
    else the ``metric`` block, else ``analysis``; resolution and the side that is trouble: the
    ``metric`` block."""
    from tfshadow.forecast.engine import SeriesConfig
    from tfshadow.forecast.sensitivity import threshold

    per_metric = settings.metric(metric)
    sensitivity = (
        request.sensitivity
        or resource_sensitivity
        or (per_metric.sensitivity if per_metric else None)
        or settings.analysis.sensitivity
    )
    model = request.model or (per_metric.model if per_metric else None) or settings.analysis.model
    return SeriesConfig(
        threshold=threshold(sensitivity),
        model=model,
        above=per_metric.above if per_metric else None,
        below=per_metric.below if per_metric else None,
        horizon=settings.analysis.horizon,
        resolution=per_metric.resolution if per_metric else None,
        trouble=(per_metric.trouble if per_metric else None) or "both",
    )


def _selected(address: str, wanted: Sequence[str]) -> bool:
    from tfshadow.metrics.registry import matches

    # The globs of resource_metrics: `*` and `?` only, so that `web[*]` means every instance.
    base = address.split("[", 1)[0]
    return any(address == w or base == w or matches(w, address) for w in wanted)


def _judge_all(
    tasks: list[_Task],
    window: Any,
    progress: Progress | None,
    scheduler: str | None = None,
    timeout: float = 10.0,
) -> list[tuple[_Task, Judgement | TfshadowError]]:
    """Fetch every series (threads: sources wait on the network), then judge them: on the Dask
    cluster of ``scheduler`` when one is named, else here (processes, one per core, once there
    are enough series to repay starting them)."""
    if scheduler is None:
        return _fetch_and_judge(tasks, window, progress, None)
    from tfshadow.forecast.cluster import connect

    # Connected first: an unreachable scheduler fails before any source is read.
    with connect(scheduler, timeout) as cluster:
        return _fetch_and_judge(tasks, window, progress, cluster)


def _fetch_and_judge(
    tasks: list[_Task], window: Any, progress: Progress | None, cluster: Cluster | None
) -> list[tuple[_Task, Judgement | TfshadowError]]:
    from tfshadow.forecast.engine import judge

    total = len(tasks)
    done = 0

    def fetch(task: _Task) -> Series | TfshadowError:
        try:
            return task.source.fetch(task.resource, task.metric, window)
        except TfshadowError as exc:
            return exc

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    with ThreadPoolExecutor(max_workers=min(FETCH_THREADS, max(total, 1))) as threads:
        fetched = list(threads.map(fetch, tasks))
    outcomes: list[Judgement | TfshadowError | None] = [
        f if isinstance(f, TfshadowError) else None for f in fetched
    ]
    pending = [i for i, f in enumerate(fetched) if not isinstance(f, TfshadowError)]
    for _ in range(total - len(pending)):
        tick()  # the series that could not be fetched are done with
    workers = min(os.cpu_count() or 1, len(pending) // PARALLEL_FROM)
    if cluster is not None:
        shipped = [(f, t.config) for f, t in zip(fetched, tasks, strict=True) if _is_series(f)]
        for k, outcome in cluster.judge(shipped):
            outcomes[pending[k]] = outcome
            tick()
    elif workers > 1:
        # spawn, not fork: the fetch threads' locks must not be copied into the workers.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as processes:
            jobs = [(fetched[i], tasks[i].config) for i in pending]
            for i, judgement in zip(
                pending, processes.map(_judge_one, jobs, chunksize=8), strict=True
            ):
                outcomes[i] = judgement
                tick()
    else:
        for i in pending:
            series = fetched[i]
            assert not isinstance(series, TfshadowError)
            outcomes[i] = judge(series, tasks[i].config)
            tick()
    return [(task, outcome) for task, outcome in zip(tasks, outcomes, strict=True) if outcome]


def _is_series(fetched: Series | TfshadowError) -> TypeGuard[Series]:
    return not isinstance(fetched, TfshadowError)


def _judge_one(job: tuple[Series, SeriesConfig]) -> Judgement:
    from tfshadow.forecast.engine import judge

    return judge(*job)


def _log(store: GitShadowStore, recommendations: list[Recommendation], warnings: list[str]) -> None:
    from tfshadow.forecast import journal

    # Logged as made no later than the clock: an --until ahead of it (a local time read as UTC)
    # would log a recommendation that no revert made now could handle (a revert handles those
    # made before it), keeping `gate` closed until that time had passed.
    clock = datetime.now(UTC)
    logged = [
        replace(r, created=clock) if r.created is not None and r.created > clock else r
        for r in recommendations
    ]
    try:
        journal.append(store.private_dir(ANALYSIS_DIR) / JOURNAL, logged)
    except OSError as exc:
        warnings.append(f"could not log the recommendations: {exc.strerror or exc}")


def _alert(
    settings: MetricsSettings,
    store: GitShadowStore,
    workspace: str,
    recommendations: list[Recommendation],
    warnings: list[str],
) -> int:
    from tfshadow.forecast import alerted
    from tfshadow.forecast.alerts import send_webhook, worth_sending

    assert settings.alerts.webhook is not None
    record = store.private_dir(ANALYSIS_DIR) / ALERTED
    fresh = alerted.news(record, workspace, recommendations)
    try:
        sent = send_webhook(
            settings.alerts.webhook,
            fresh,
            timeout=settings.alerts.timeout,
            min_severity=settings.alerts.min_severity,
        )
    except TfshadowError as exc:
        warnings.append(exc.one_line())
        return 0
    if sent:
        try:
            alerted.remember(
                record,
                workspace,
                [r for r in fresh if worth_sending(r, settings.alerts.min_severity)],
            )
        except OSError as exc:
            warnings.append(
                f"could not note the alerts sent ({exc.strerror or exc}): the next analysis "
                "sends them again"
            )
    return sent


def _mark_versions(
    project: Project,
    store: GitShadowStore,
    workspace: str,
    versions: list[VersionInfo],
    judged: list[tuple[_Task, Judgement | TfshadowError]],
    recommendations: list[Recommendation],
    settings: MetricsSettings,
    now: datetime,
    warnings: list[str],
) -> list[dict[str, Any]]:
    """Mark versions good after a quiet soak, suspect after a critical deviation."""
    from tfshadow.ops.author import detect_author
    from tfshadow.store.git import git_identity

    soak = timedelta(seconds=settings.analysis.soak)
    judgements = [j for _, j in judged if not isinstance(j, TfshadowError)]
    suspects = {
        r.suspect.version: r
        for r in recommendations
        if r.severity == "critical" and r.suspect is not None and r.kind == "deviation"
    }

    def wanted_given(marks: dict[int, dict[str, Any]]) -> list[tuple[int, str, str]]:
        wanted: list[tuple[int, str, str]] = []
        for number, rec in sorted(suspects.items()):
            if marks.get(number, {}).get("mark") not in ("bad", "suspect"):
                note = f"critical deviation of {rec.resource} {rec.metric}"
                wanted.append((number, "suspect", note))
        for version in versions:
            if version.version in marks or version.version in suspects:
                continue
            if version.outcome not in ("success", "ok") or version.applied + soak > now:
                continue
            if _quiet_soak(version.applied, version.applied + soak, judgements):
                wanted.append((version.version, "good", f"no deviation in the {_span(soak)} soak"))
        return wanted

    wanted = wanted_given(store.marks(workspace))
    if not wanted:
        return []
    author = detect_author(project.environ, lambda: git_identity(project.workdir))
    # Marks are commits: on a store behind its remote they would part the two histories.
    from tfshadow.ops.record import RecordOutcome, pull_before_recording

    pulled = RecordOutcome(exit_code=0)
    # A store not to be written is left to each mark to say so.
    with contextlib.suppress(TfshadowError), store.lock(project.lock_timeout, command="analyze"):
        pull_before_recording(store, pulled)
    warnings.extend(pulled.warnings)
    if pulled.notes:
        # The versions taken may bring marks made elsewhere (a person's `bad`): they stand.
        wanted = wanted_given(store.marks(workspace))
    done = []
    for number, mark, note in wanted:
        try:
            store.set_mark(workspace, number, mark, author, note=note)
        except TfshadowError as exc:
            warnings.append(f"could not mark version {number} {mark}: {exc.one_line()}")
            continue
        done.append({"version": number, "mark": mark, "note": note})
    if done:
        from tfshadow.ops.record import push_marks

        warnings.extend(push_marks(store))
    return done


def _quiet_soak(start: datetime, end: datetime, judgements: list[Judgement]) -> bool:
    """True when some series had evidence over all of [start, end] and none deviated in it."""
    covering = [
        j for j in judgements if j.covered and j.covered[0] <= start and j.covered[1] >= end
    ]
    if not covering:
        return False
    return not any(s <= end and e >= start for j in judgements for s, e in j.deviations)


def _span(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    return f"{seconds / 3600:g} h" if seconds >= 3600 else f"{seconds / 60:g} min"
