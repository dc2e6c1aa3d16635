"""`tfshadow profile list` and `tfshadow profile validate`: the reversion profiles of
``tfshadow.hcl`` against the resources of the latest shadow version.

Both only read. Loading the settings already rejects what cannot work (a ``SettingsError`` naming
the line); ``validate`` adds what can be declared but is probably a mistake: criteria matching no
resource, trigger metrics no ``resource_metrics`` block reads for the resources or no Prometheus
query of their source defines (or that a
two-column CSV file, which names no metric, stands in for), a version to
return to that the store does not hold, and an ``activate_ghost`` action for resources without an
enabled ghost. Without a recorded version the resources cannot be checked, and are not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tfshadow.metrics.base import ResourceRef
    from tfshadow.project import Project
    from tfshadow.settings.analysis import (
        MetricsSettings,
        ProfileSettings,
        SourceSettings,
        TriggerSettings,
    )

LISTED = 3  # resources named in a warning before "and N more"


@dataclass(frozen=True)
class ProfileMatches:
    """A profile and the resources of the latest version it covers now.

    ``resources`` is None when no version is recorded yet. ``decided_by`` pairs a covered
    resource with the other profile whose stricter (or earlier declared) action applies to it.
    """

    profile: ProfileSettings
    resources: tuple[str, ...] | None
    decided_by: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ProfileListing:
    workspace: str
    version: int | None  # the latest version, None when none is recorded
    profiles: tuple[ProfileMatches, ...]


@dataclass(frozen=True)
class ProfileWarning:
    """Something declared that is probably not what was meant, at ``line`` of the file."""

    line: int
    profile: str
    message: str

    def one_line(self, filename: str) -> str:
        return f'{filename}:{self.line}: profile "{self.profile}": {self.message}'


@dataclass(frozen=True)
class ProfileValidation:
    profiles: int
    warnings: tuple[ProfileWarning, ...]
    workspace: str
    version: int | None  # None: no version recorded, resources were not checked


@dataclass(frozen=True)
class _Latest:
    workspace: str
    version: int | None
    versions: tuple[int, ...]
    resources: tuple[ResourceRef, ...]
    ghosts: frozenset[str] = frozenset()


def list_profiles(project: Project, workspace: str | None = None) -> ProfileListing:
    """Every declared profile with the resources of the latest version it covers."""
    from tfshadow.profiles import decide, matching

    profiles = project.settings.metrics.profiles
    latest = _latest(project, workspace)
    listed = []
    for profile in profiles:
        if latest.version is None:
            listed.append(ProfileMatches(profile, None))
            continue
        covered = [r for r in latest.resources if matching(profile, r)]
        decided_by = []
        for resource in covered:
            decision = decide(resource, profiles)
            if decision is not None and decision.profile.name != profile.name:
                decided_by.append((resource.address, decision.profile.name))
        listed.append(ProfileMatches(profile, tuple(r.address for r in covered), tuple(decided_by)))
    return ProfileListing(latest.workspace, latest.version, tuple(listed))


def validate_profiles(project: Project, workspace: str | None = None) -> ProfileValidation:
    """The warnings about the declared profiles (see the module docstring)."""
    settings = project.settings.metrics
    latest = _latest(project, workspace)
    warnings: list[ProfileWarning] = []
    for profile in settings.profiles:
        warnings.extend(_warnings(profile, latest, settings))
        warnings.extend(_unnamed(profile, latest, settings, project.workdir))
    return ProfileValidation(
        len(settings.profiles), tuple(warnings), latest.workspace, latest.version
    )


def _latest(project: Project, workspace: str | None) -> _Latest:
    from tfshadow.ops.analyze import resource_refs

    ws = workspace or project.workspace
    if not project.store_exists():
        return _Latest(ws, None, (), ())
    store = project.open_store(create=False)
    metas = store.versions(ws)
    if not metas and workspace is not None and store.workspaces():
        # A workspace named on the command line that holds nothing, where others do, is most
        # likely mistyped: "no version recorded yet" would send the user to record one there.
        from tfshadow.ops.history import no_versions_error

        raise no_versions_error(store, workspace)
    if not metas:
        return _Latest(ws, None, (), ())
    numbers = tuple(int(m["version"]) for m in metas)
    state = store.reconstruct(ws, numbers[-1]).state
    from tfshadow.ops.ghost import enabled_ghosts, ghost_resources, is_ghost

    # The ghosts stand in for their originals, as `check` judges them: none of a profile's.
    ghosts = ghost_resources(store)
    refs = tuple(r for r in resource_refs(state, ws) if not is_ghost(r.address, ghosts))
    return _Latest(ws, numbers[-1], numbers, refs, enabled_ghosts(store))


def _warnings(
    profile: ProfileSettings,
    latest: _Latest,
    settings: MetricsSettings,
) -> list[ProfileWarning]:
    from tfshadow.metrics.registry import matches
    from tfshadow.profiles import has_tag, matching

    found: list[ProfileWarning] = []

    def warn(message: str, line: int = profile.line) -> None:
        found.append(ProfileWarning(line, profile.name, message))

    if profile.action == "activate_ghost":
        matched = [r.address for r in latest.resources if matching(profile, r)]
        missing = [a for a in matched if a not in latest.ghosts]
        if not matched:
            warn(
                "action activate_ghost starts ghost instances: enable them with "
                "`tfshadow ghost enable ADDRESS`; without one it recommends instead"
            )
        elif missing:
            from tfshadow.ghost.adapters import ADAPTERS

            shown = ", ".join(missing[:3]) + (" …" if len(missing) > 3 else "")
            types = {r.type for r in latest.resources if r.address in missing}
            # `ghost enable` refuses a type without an adapter: naming it would be a dead end.
            unsupported = sorted(t for t in types if t not in ADAPTERS)
            remedy = (
                f"no ghost adapter for {', '.join(unsupported)}"
                if unsupported
                else f"`tfshadow ghost enable {missing[0]}`"
            )
            warn(
                f"action activate_ghost: {shown} {'has' if len(missing) == 1 else 'have'} no "
                f"ghost ({remedy}): it recommends instead"
            )
    if latest.version is None:
        return found
    version = f"version {latest.version}"
    resources = latest.resources
    if profile.to.isascii() and profile.to.isdigit() and int(profile.to) not in latest.versions:
        first, last = latest.versions[0], latest.versions[-1]
        kept = f"version {first}" if first == last else f"versions {first}–{last}"
        warn(
            f"to = {profile.to}: workspace {latest.workspace} holds no version {profile.to} "
            f"(it holds {kept})"
        )
    unmatched = [
        *(f'resource type "{t}"' for t in profile.resource_types if not _of_type(t, resources)),
        *(
            f'resources glob "{g}"'
            for g in profile.resources
            if not any(matches(g, r.address) for r in resources)
        ),
        *(
            f'tag {k} = "{v}"'
            for k, v in profile.tags
            if not any(has_tag(r, k, v) for r in resources)
        ),
    ]
    for criterion in unmatched:
        warn(f"{criterion} matches no resource in {version}")
    covered = [r for r in resources if matching(profile, r)]
    if not covered and not unmatched:
        warn(f"matches no resource in {version}: each criterion matches some, none all of them")
    for trigger in profile.triggers:
        found.extend(_unread(profile, trigger, covered, settings))
    return found


def _unnamed(
    profile: ProfileSettings, latest: _Latest, settings: MetricsSettings, workdir: Path
) -> list[ProfileWarning]:
    """Warnings for triggers whose metric a covered resource reads from a two-column CSV file:
    the file names no metric, so its one series is taken as the trigger's, whatever it holds."""
    from tfshadow.metrics.csvfile import CsvSource
    from tfshadow.metrics.registry import matches
    from tfshadow.profiles import matching

    read: list[tuple[str, tuple[str, ...]]] = []  # each file, and the metrics asked of it
    for resource in (r for r in latest.resources if matching(profile, r)):
        mapping = next(
            (m for m in settings.resources if matches(m.pattern, resource.address)), None
        )
        source = settings.source(mapping.source) if mapping is not None else None
        if mapping is None or source is None or source.kind != "csv" or not source.path:
            continue
        csv = CsvSource(source, workdir)
        path = csv.single_series(resource)
        if path is not None:
            read.append((csv.shown(path), mapping.metrics))
    found: list[ProfileWarning] = []
    for trigger in profile.triggers:
        # A metric its resource_metrics block does not list is not read at all (_unread says so).
        files = [f for f, listed in read if not listed or trigger.metric in listed]
        if trigger.metric == "value" or not files:
            continue
        has = "has" if len(files) == 1 else "have"
        found.append(
            ProfileWarning(
                trigger.line,
                profile.name,
                f'trigger on "{trigger.metric}": {_names(files)} {has} no metric column: its '
                f"one series is taken as {trigger.metric} (to name it, put ${{metric}} in the "
                "csv path or write timestamp,resource,metric,value)",
            )
        )
    return found


def _of_type(type_: str, resources: Sequence[ResourceRef]) -> bool:
    return any(r.type == type_ for r in resources)


def _unread(
    profile: ProfileSettings,
    trigger: TriggerSettings,
    covered: Sequence[ResourceRef],
    settings: MetricsSettings,
) -> list[ProfileWarning]:
    """Warnings for the covered resources whose metrics cannot include the trigger's.

    A ``resource_metrics`` block without a ``metrics`` list reads whatever its source offers,
    which only asking the source tells (CSV files, CloudWatch): those resources are given the
    benefit of the doubt. A Prometheus source offers exactly the queries it declares.
    """
    from tfshadow.metrics.registry import matches

    unmapped: list[str] = []
    unlisted: list[str] = []
    unqueried: dict[str, list[str]] = {}  # a Prometheus source's name: its resources
    for resource in covered:
        mapping = next(
            (m for m in settings.resources if matches(m.pattern, resource.address)), None
        )
        if mapping is None:
            unmapped.append(resource.address)
        elif mapping.metrics and trigger.metric not in mapping.metrics:
            unlisted.append(resource.address)
        elif _lacks_query(settings.source(mapping.source), trigger.metric):
            unqueried.setdefault(mapping.source, []).append(resource.address)
    said = []
    where = f'trigger on "{trigger.metric}"'
    if unmapped:
        said.append(
            ProfileWarning(
                trigger.line,
                profile.name,
                f"{where}: no resource_metrics block gives metrics to {_names(unmapped)}",
            )
        )
    if unlisted:
        said.append(
            ProfileWarning(
                trigger.line,
                profile.name,
                f"{where}: the resource_metrics block of {_names(unlisted)} does not list "
                f'"{trigger.metric}" in its metrics',
            )
        )
    for source, addresses in unqueried.items():
        said.append(
            ProfileWarning(
                trigger.line,
                profile.name,
                f'{where}: metrics source "{source}" of {_names(addresses)} has no query for '
                f'it (add query "{trigger.metric}" {{ expr = "…" }} to it)',
            )
        )
    return said


def _lacks_query(source: SourceSettings | None, metric: str) -> bool:
    return (
        source is not None
        and source.kind == "prometheus"
        and all(q.metric != metric for q in source.queries)
    )


def _names(addresses: Sequence[str]) -> str:
    named = ", ".join(addresses[:LISTED])
    more = len(addresses) - LISTED
    return f"{named} and {more} more" if more > 0 else named
