"""`tfshadow plan`: Terraform's plan, and a report on what it would change.

The sequence: run ``terraform plan`` with the user's terminal and arguments, adding
``-out=<temporary file>`` unless the user (or ``TF_CLI_ARGS*``) gave ``-out`` → read the saved
plan with ``terraform show -json`` (an internal call: no ``TF_CLI_ARGS``, no prompts) → build a
:class:`PlanReport`. The temporary plan file and its directory are removed afterwards; a plan
file the user asked for is kept.

The report is plain data about the plan, never its values (a plan holds every secret in clear):

- ``changes``: each resource change that is not a no-op, its action (create, update, delete,
  replace, read, forget) and, for updates and replacements, the *names* of the top-level
  attributes that change;
- ``coverage``: which reversion profile of ``tfshadow.hcl`` covers each changed managed resource
  (the strictest matching one decides; the others are listed as ``also``); the resource is
  matched on its type, name, address and its planned (or, when deleted, prior) attributes with
  every sensitive or unknown attribute left out;
- ``recommendations``: the recommendations logged in the last 7 days on the changed resources,
  the newest per resource and metric, each with what was already done about it (``acted``: see
  :mod:`tfshadow.ops.handled`);
- ``revert_point``: the workspace's latest shadow version, the one ``tfshadow revert N`` would
  return to if the change misbehaves;
- ``ghosts``: the resources whose ghost instance stands by (``tfshadow ghost enable``).

A plan that fails (any exit code but 0, or 2 under ``-detailed-exitcode``) gives no report, and
a report saved by an earlier plan is removed so that nothing posts it as this plan's.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfshadow import env
from tfshadow.atomic_write import replace_file
from tfshadow.errors import EngineError, StoreError, TfshadowError
from tfshadow.forecast import journal
from tfshadow.ops import handled
from tfshadow.ops.handled import Acted
from tfshadow.runner.cli_args import command_index, effective_args, flag_value
from tfshadow.runner.commands import runs_no_command

if TYPE_CHECKING:
    from tfshadow.project import Project
    from tfshadow.settings.analysis import ProfileSettings
    from tfshadow.store import GitShadowStore

__all__ = [
    "PLAN_DIR",
    "RECOMMENDATION_WINDOW",
    "REPORT_JSON",
    "REPORT_MARKDOWN",
    "Acted",
    "Coverage",
    "PlanOutcome",
    "PlanReport",
    "RecentRecommendation",
    "ResourceChange",
    "RevertPoint",
    "build_report",
    "discard_reports",
    "plan",
    "plan_file_argument",
    "save_reports",
]

PLAN_DIR = "plan"
REPORT_MARKDOWN = "report.md"
REPORT_JSON = "report.json"
RECOMMENDATION_WINDOW = timedelta(days=7)

_SUCCESS = (0, 2)  # 2: changes present, under -detailed-exitcode
_ACTIONS = {
    ("create",): "create",
    ("update",): "update",
    ("delete",): "delete",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace",
    ("read",): "read",
    ("forget",): "forget",
}


@dataclass(frozen=True)
class Coverage:
    """The reversion profile that decides for a resource, and the others that match it too."""

    profile: str
    action: str
    to: str
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResourceChange:
    """One resource instance the plan changes. ``attributes`` are names only, never values."""

    address: str
    mode: str  # "managed" or "data"
    type: str
    action: str  # create | update | delete | replace | read | forget (or Terraform's own words)
    attributes: tuple[str, ...] = ()
    coverage: Coverage | None = None


@dataclass(frozen=True)
class RecentRecommendation:
    """A logged recommendation about a changed resource (the newest per resource and metric).

    ``acted`` says what was already done about it; None while it is pending. ``named``: a
    version was named though no command is proposed (none older kept, or a departure to the
    side that is no trouble for the metric).
    """

    resource: str
    metric: str
    severity: str
    created: datetime | None
    command: str | None
    acted: Acted | None = None
    named: bool = False


@dataclass(frozen=True)
class RevertPoint:
    """The workspace's latest shadow version: what a revert of this change returns to."""

    version: int
    timestamp: str
    description: str

    @property
    def command(self) -> str:
        return f"tfshadow revert {self.version}"


@dataclass(frozen=True)
class PlanReport:
    """What a plan would change and what tfshadow knows about it (see the module docstring).

    ``has_store`` tells "no version yet" from "no shadow store here"; ``profiles`` is how many
    reversion profiles are declared.
    """

    workspace: str
    created: datetime
    changes: tuple[ResourceChange, ...]
    recommendations: tuple[RecentRecommendation, ...] = ()
    revert_point: RevertPoint | None = None
    has_store: bool = False
    profiles: int = 0
    ghosts: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    terraform_version: str | None = None

    @property
    def counts(self) -> tuple[int, int, int]:
        """(to add, to change, to destroy), counted as Terraform does: a replacement adds one
        and destroys one."""
        actions = [c.action for c in self.changes]
        replaced = actions.count("replace")
        return (
            actions.count("create") + replaced,
            actions.count("update"),
            actions.count("delete") + replaced,
        )


@dataclass(frozen=True)
class PlanOutcome:
    """Terraform's exit code; the report when the plan succeeded and one was wanted.

    ``report_dir`` is the store's directory for plan reports (None without a store);
    ``error`` is why no report could be made although the plan succeeded;
    ``temporary_plan`` whether the plan file Terraform names was tfshadow's own, now removed.
    """

    exit_code: int
    report: PlanReport | None = None
    report_dir: Path | None = None
    error: TfshadowError | None = None
    temporary_plan: bool = False


def plan(project: Project, tf_args: Sequence[str], *, want_report: bool) -> PlanOutcome:
    """Run ``terraform <tf_args>`` (a ``plan``) and report on it.

    Without ``want_report`` the plan file is only read when a shadow store exists (its report is
    saved there); otherwise the plan runs exactly as given.
    """
    engine = project.engine
    environ = project.environ
    command_at = command_index(tf_args)
    if command_at is None:
        raise ValueError("no subcommand in the arguments")
    rest = tf_args[command_at + 1 :]
    if runs_no_command(tf_args):
        return PlanOutcome(engine.run(tf_args, cwd=project.workdir, environ=environ))
    store = _store_or_none(project)
    report_dir = store.private_dir(PLAN_DIR) if store is not None else None
    if not want_report and report_dir is None:
        return PlanOutcome(engine.run(tf_args, cwd=project.workdir, environ=environ))

    given = plan_file_argument(rest, environ)
    with tempfile.TemporaryDirectory(prefix="tfshadow-plan-") as scratch:
        if given is not None:
            plan_file = project.workdir / given
            args = list(tf_args)
        else:
            plan_file = Path(scratch) / "plan.tfplan"
            args = [*tf_args[: command_at + 1], f"-out={plan_file}", *rest]
            # Terraform then does not advise applying a plan file that is removed afterwards.
            environ = {**environ, env.TF_IN_AUTOMATION: "1"}
        rc = engine.run(args, cwd=project.workdir, environ=environ)
        temporary = given is None
        if rc not in _SUCCESS or not plan_file.is_file():
            if report_dir is not None:
                discard_reports(report_dir)
            return PlanOutcome(rc, report_dir=report_dir, temporary_plan=temporary)
        try:
            document = _show(project, plan_file)
        except TfshadowError as exc:
            return PlanOutcome(rc, report_dir=report_dir, error=exc, temporary_plan=temporary)
    try:
        report = _report(project, store, document)
    except TfshadowError as exc:
        return PlanOutcome(rc, report_dir=report_dir, error=exc, temporary_plan=temporary)
    return PlanOutcome(rc, report=report, report_dir=report_dir, temporary_plan=temporary)


def plan_file_argument(rest: Sequence[str], environ: Mapping[str, str]) -> str | None:
    """The ``-out`` file a plan is given, by its arguments or ``TF_CLI_ARGS*``; the last wins.

    Terraform puts ``TF_CLI_ARGS_plan`` then ``TF_CLI_ARGS`` right after the subcommand, before
    the command line's own arguments.
    """
    return flag_value(effective_args(["plan", *rest], environ)[1:], {"out"})


def build_report(
    plan_document: Mapping[str, Any],
    *,
    workspace: str,
    profiles: Sequence[ProfileSettings] = (),
    latest: Mapping[str, Any] | None = None,
    journal_records: Sequence[Mapping[str, Any]] = (),
    history: Sequence[Mapping[str, Any]] = (),
    has_store: bool = False,
    now: datetime | None = None,
    warnings: Sequence[str] = (),
    ghosts: Iterable[str] = (),
) -> PlanReport:
    """The report on ``terraform show -json``'s document of a saved plan.

    ``latest`` is the workspace's newest version metadata; ``journal_records`` the logged
    recommendations (``Recommendation.to_json()`` form), of which those made within
    :data:`RECOMMENDATION_WINDOW` before ``now`` about this workspace count; ``history`` the
    workspace's version metadata, whose reverts tell which of them were acted on.
    """
    moment = now or datetime.now(UTC)
    values = _values_by_address(plan_document)
    changes = []
    for entry in plan_document.get("resource_changes") or []:
        change = _resource_change(entry, values, profiles)
        if change is not None:
            changes.append(change)
    addresses = [c.address for c in changes]
    return PlanReport(
        workspace=workspace,
        created=moment,
        changes=tuple(changes),
        recommendations=_recent(journal_records, addresses, workspace, moment, history),
        revert_point=_revert_point(latest),
        has_store=has_store,
        profiles=len(profiles),
        ghosts=tuple(sorted(ghosts)),
        warnings=tuple(warnings),
        terraform_version=_str_or_none(plan_document.get("terraform_version")),
    )


def save_reports(directory: Path, files: Mapping[str, str]) -> list[Path]:
    """Write each ``name -> text`` in ``directory``, each file replaced whole or not at all."""
    written = []
    for name, text in files.items():
        target = directory / name
        replace_file(target, text)
        written.append(target)
    return written


def discard_reports(directory: Path) -> None:
    """Remove the reports an earlier plan saved in ``directory``."""
    for name in (REPORT_MARKDOWN, REPORT_JSON):
        (directory / name).unlink(missing_ok=True)


# --- running ----------------------------------------------------------------------------------


def _store_or_none(project: Project) -> GitShadowStore | None:
    if not project.store_exists():
        return None
    try:
        return project.open_store(create=False)
    except StoreError:
        return None


def _show(project: Project, plan_file: Path) -> dict[str, Any]:
    shown = project.engine.capture(
        ["show", "-json", str(plan_file)], cwd=project.workdir, environ=project.environ
    )
    if shown.returncode != 0:
        raise EngineError(
            f"`terraform show -json` of the plan failed: {shown.error_line()}",
            hint="the plan itself is above; rerun once Terraform can read it",
        )
    try:
        document = json.loads(shown.stdout)
    except ValueError as exc:
        raise EngineError(
            f"`terraform show -json` printed something that is not JSON ({exc})",
            hint="check TF_LOG",
        ) from None
    if not isinstance(document, dict):
        raise EngineError("`terraform show -json` did not print a plan document")
    return document


def _report(
    project: Project, store: GitShadowStore | None, document: Mapping[str, Any]
) -> PlanReport:
    from tfshadow.ops.analyze import ANALYSIS_DIR, JOURNAL

    workspace = project.workspace
    now = datetime.now(UTC)
    latest = None
    records: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    warnings = []
    ghosts: frozenset[str] = frozenset()
    if store is not None:
        from tfshadow.ops.ghost import enabled_ghosts

        ghosts = enabled_ghosts(store)
        latest = store.latest(workspace)
        history = store.versions(workspace)
        records, skipped = journal.read(
            store.private_dir(ANALYSIS_DIR) / JOURNAL, since=now - RECOMMENDATION_WINDOW
        )
        if skipped:
            warnings.append(
                f"{skipped} unreadable line{'' if skipped == 1 else 's'} of the recommendation "
                "log skipped"
            )
    return build_report(
        document,
        workspace=workspace,
        profiles=project.settings.metrics.profiles,
        latest=latest,
        journal_records=records,
        history=history,
        has_store=store is not None,
        now=now,
        warnings=warnings,
        ghosts=ghosts,
    )


# --- reading the plan -------------------------------------------------------------------------


def _resource_change(
    entry: Any, values: Mapping[str, Mapping[str, Any]], profiles: Sequence[ProfileSettings]
) -> ResourceChange | None:
    if not isinstance(entry, dict):
        return None
    change = entry.get("change") or {}
    actions = tuple(str(a) for a in change.get("actions") or ())
    if not actions or actions == ("no-op",):
        return None
    action = _ACTIONS.get(actions, "/".join(actions))
    address = str(entry.get("address", ""))
    mode = str(entry.get("mode", "managed"))
    attributes = _changed_attributes(change) if action in ("update", "replace") else ()
    coverage = None
    if profiles and mode == "managed":
        coverage = _coverage(entry, values.get(address, {}), change, profiles)
    return ResourceChange(
        address=address,
        mode=mode,
        type=str(entry.get("type", "")),
        action=action,
        attributes=attributes,
        coverage=coverage,
    )


def _changed_attributes(change: Mapping[str, Any]) -> tuple[str, ...]:
    """Top-level attributes whose value changes or becomes known only after apply."""
    before = change.get("before")
    after = change.get("after")
    unknown = change.get("after_unknown")
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    unknown = unknown if isinstance(unknown, dict) else {}
    names = set(before) | set(after) | set(unknown)
    return tuple(
        sorted(
            name
            for name in names
            if _marked(unknown.get(name)) or before.get(name) != after.get(name)
        )
    )


def _values_by_address(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each resource's attributes, planned (or prior, when the plan deletes it), with every
    sensitive or unknown one left out: they only serve to match profiles' tags."""
    found: dict[str, dict[str, Any]] = {}
    prior = document.get("prior_state")
    prior_values = prior.get("values") if isinstance(prior, dict) else None
    planned = document.get("planned_values")
    # Planned values come second: they win for every resource that still exists.
    for root in (prior_values, planned):
        module = root.get("root_module") if isinstance(root, dict) else None
        for resource in _module_resources(module):
            address = resource.get("address")
            attrs = resource.get("values")
            if not isinstance(address, str) or not isinstance(attrs, dict):
                continue
            sensitive = resource.get("sensitive_values")
            sensitive = sensitive if isinstance(sensitive, dict) else {}
            found[address] = {k: v for k, v in attrs.items() if not _marked(sensitive.get(k))}
    return found


def _module_resources(module: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(module, dict):
        return
    for resource in module.get("resources") or []:
        if isinstance(resource, dict):
            yield resource
    for child in module.get("child_modules") or []:
        yield from _module_resources(child)


def _marked(mark: Any) -> bool:
    """Whether a ``*_sensitive`` / ``after_unknown`` mark flags a value or any part of it."""
    if isinstance(mark, dict):
        return any(_marked(m) for m in mark.values())
    if isinstance(mark, list):
        return any(_marked(m) for m in mark)
    return mark is True


def _coverage(
    entry: Mapping[str, Any],
    attributes: Mapping[str, Any],
    change: Mapping[str, Any],
    profiles: Sequence[ProfileSettings],
) -> Coverage | None:
    from tfshadow.metrics.base import ResourceRef
    from tfshadow.profiles import decide

    unknown = change.get("after_unknown")
    unknown = unknown if isinstance(unknown, dict) else {}
    resource = ResourceRef(
        address=str(entry.get("address", "")),
        type=str(entry.get("type", "")),
        name=str(entry.get("name", "")),
        attributes={k: v for k, v in attributes.items() if not _marked(unknown.get(k))},
    )
    decision = decide(resource, profiles)
    if decision is None:
        return None
    return Coverage(
        profile=decision.profile.name,
        action=decision.action,
        to=decision.profile.to,
        also=tuple(decision.also),
    )


# --- what tfshadow knows ----------------------------------------------------------------------


def _recent(
    records: Sequence[Mapping[str, Any]],
    addresses: Sequence[str],
    workspace: str,
    now: datetime,
    history: Sequence[Mapping[str, Any]] = (),
) -> tuple[RecentRecommendation, ...]:
    floor = now - RECOMMENDATION_WINDOW
    newest: dict[tuple[str, str], tuple[RecentRecommendation, Mapping[str, Any]]] = {}
    for record in records:
        resource = record.get("resource")
        if not isinstance(resource, str) or not any(handled.about(resource, a) for a in addresses):
            continue
        if not journal.in_workspace(record, workspace):
            continue
        created = journal.created_at(record)
        if created is None or created < floor:
            continue
        rec = RecentRecommendation(
            resource=resource,
            metric=str(record.get("metric", "")),
            severity=str(record.get("severity", "")),
            created=created,
            command=_str_or_none(record.get("command")),
            named=isinstance(record.get("suspect"), Mapping),
        )
        key = (rec.resource, rec.metric)
        # The log is oldest first: on equal times the later line is the newer record.
        previous = newest.get(key)
        if previous is None or previous[0].created is None or created >= previous[0].created:
            newest[key] = (rec, record)
    done = handled.reverts(history)
    found = [replace(rec, acted=handled.acted_on(record, done)) for rec, record in newest.values()]
    return tuple(
        sorted(
            found,
            key=lambda r: (-_severity_rank(r.severity), r.resource, r.metric),
        )
    )


def _severity_rank(severity: str) -> int:
    from tfshadow.forecast.results import SEVERITIES

    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


def _revert_point(latest: Mapping[str, Any] | None) -> RevertPoint | None:
    if latest is None or latest.get("version") is None:
        return None
    return RevertPoint(
        version=int(latest["version"]),
        timestamp=str(latest.get("timestamp", "")),
        description=str(latest.get("description", "")),
    )


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None
