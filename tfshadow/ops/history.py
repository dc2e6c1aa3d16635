"""Reading the history: log, inspect, diff, and checking that all of it can be read."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tfshadow.errors import StoreError, UnknownVersionError, UsageError
from tfshadow.moments import parse_stamp
from tfshadow.state.addresses import is_targeted

if TYPE_CHECKING:
    from tfshadow.project import Project
    from tfshadow.state.changes import ConfigChanges, StateChanges
    from tfshadow.state.redact import Redactor
    from tfshadow.store import GitShadowStore, Reconstructed
    from tfshadow.store.gitstore import StoreCheck


@dataclass(frozen=True)
class VersionChange:
    """What happened between two versions (``before`` is None for the first one)."""

    before: dict[str, Any] | None
    after: dict[str, Any]
    state: StateChanges
    config: ConfigChanges
    # What the reader must know to trust the changes (secrets sealed under different keys).
    notes: tuple[str, ...] = ()

    @property
    def parent_removed(self) -> bool:
        """Whether ``after`` has a parent that retention removed: the changes are then what
        ``after`` holds, not what it changed."""
        return self.before is None and self.after.get("parent") is not None


def open_history(project: Project, workspace: str | None) -> tuple[GitShadowStore, str]:
    store = project.open_store(create=False)
    # `--workspace ""` names no workspace: refused by name, not read as the selected one.
    ws = project.workspace if workspace is None else workspace
    if not store.version_numbers(ws):
        raise no_versions_error(store, ws)
    return store, ws


def no_versions_error(store: GitShadowStore, workspace: str) -> StoreError:
    """The error for a workspace without versions, naming the workspaces that have some."""
    known = ", ".join(store.workspaces()) or "none"
    return StoreError(
        f"no shadow versions in workspace `{workspace}` (workspaces with versions: {known})",
        hint="run `tfshadow apply` to record one",
    )


def check_store(project: Project) -> StoreCheck:
    """Every kept version of every workspace rebuilt and hash-checked, and git's objects."""
    store = project.open_store(create=False)
    with store.read_lock(project.lock_timeout, command="store check"):
        return store.check()


@dataclass(frozen=True)
class LogFilter:
    """Which versions ``log`` lists, as ``git log`` narrows its commits: every field set must
    hold. ``addresses`` are read as ``-target`` reads them (a module holds what is in it)."""

    addresses: tuple[str, ...] = ()
    author: re.Pattern[str] | None = None
    grep: re.Pattern[str] | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __bool__(self) -> bool:
        return bool(self.addresses) or any(
            v is not None for v in (self.author, self.grep, self.since, self.until)
        )

    def admits(self, meta: Mapping[str, Any]) -> bool:
        if self.addresses:
            changes = meta.get("changes")
            changed = (
                [
                    *(changes.get("addresses") or ()),
                    *(changes.get("moved_from") or ()),
                ]
                if isinstance(changes, Mapping)
                else []
            )
            if not any(is_targeted(str(a), self.addresses) for a in changed):
                return False
        if self.author is not None:
            author = meta.get("author")
            who = (
                f"{author.get('name', '')} <{author.get('email', '')}>"
                if isinstance(author, Mapping)
                else ""
            )
            if not self.author.search(who):
                return False
        if self.grep is not None and not self.grep.search(str(meta.get("description") or "")):
            return False
        if self.since is not None or self.until is not None:
            moment = parse_stamp(meta.get("timestamp"))
            if moment is None:
                return False
            if self.since is not None and moment < self.since:
                return False
            if self.until is not None and moment > self.until:
                return False
        return True


def log(
    project: Project,
    *,
    workspace: str | None,
    limit: int | None,
    where: LogFilter = LogFilter(),
) -> list[dict[str, Any]]:
    """Version metadata, newest first: those ``where`` admits, at most ``limit``."""
    from tfshadow.state.intents import upgraded_counts

    store, ws = open_history(project, workspace)
    marks = store.marks(ws)
    newest_first = store.version_numbers(ws)[::-1]
    if limit is None:
        chosen = store.metas(ws, newest_first)
    else:
        # `log -n 5` of a long history reads the newest versions until five are admitted, not
        # every version's meta first.
        chosen = []
        batch = max(limit, _LOG_BATCH)
        for start in range(0, len(newest_first), batch):
            chosen.extend(store.metas(ws, newest_first[start : start + batch]))
            if sum(1 for meta in chosen if where.admits(meta)) >= limit:
                break
    metas = [with_mark(upgraded_counts(meta), marks) for meta in chosen if where.admits(meta)]
    return metas[:limit] if limit is not None else metas


# Versions whose meta `log -n N` reads at a time, newest first, until N are admitted.
_LOG_BATCH = 50


def other_workspaces(project: Project, workspace: str | None) -> list[str]:
    """The store's workspaces with versions other than the one ``log`` shows."""
    shown = project.workspace if workspace is None else workspace
    return [w for w in project.open_store(create=False).workspaces() if w != shown]


_VERSION_HINT = "use a version number from `tfshadow log`, latest, latest~N or last-good"


def parse_version(text: str, numbers: Sequence[int]) -> int:
    """``3``, ``v3``, ``latest`` or ``latest~1`` → a version number (``numbers``: those kept,
    oldest first)."""
    raw = text.strip().lower().removeprefix("v")
    back = 0
    if raw.startswith("latest"):
        suffix = raw.removeprefix("latest")
        if suffix and not (suffix.startswith("~") and _is_number(suffix[1:])):
            raise UsageError(f"`{text}` is not a version", hint=_VERSION_HINT)
        back = int(suffix[1:]) if suffix else 0
        if back >= len(numbers):
            raise UnknownVersionError(
                f"`{text}` goes back further than the {_count(len(numbers))} kept",
                hint="`tfshadow log` lists them",
            )
        return numbers[-1 - back]
    if not _is_number(raw):
        raise UsageError(
            f"`{text}` is not a version",
            hint=_VERSION_HINT,
        )
    return int(raw)


def _count(n: int) -> str:
    return f"{n} version" if n == 1 else f"{n} versions"


def _is_number(text: str) -> bool:
    # ASCII only: str.isdigit() also holds for "²", which int() refuses, and for "٣".
    return text.isascii() and text.isdigit()


def inspect(
    project: Project, version: str, *, workspace: str | None, targets: Sequence[str] = ()
) -> VersionChange:
    """Version ``version`` against its parent; with ``targets``, only the resources they name."""
    return next(inspect_each(project, [version], workspace=workspace, targets=targets))


def inspect_each(
    project: Project,
    versions: Iterable[str | int],
    *,
    workspace: str | None,
    targets: Sequence[str] = (),
) -> Iterator[VersionChange]:
    """:func:`inspect` of each of ``versions`` in turn, as each is asked for. Shown newest
    first (``log -p``), the parent rebuilt for one version is the next version shown: it is
    used again, not rebuilt and parsed a second time."""
    from tfshadow.ops.marks import resolve_version
    from tfshadow.state.intents import upgraded_counts

    store, ws = open_history(project, workspace)
    spare: Reconstructed | None = None
    for version in versions:
        number = resolve_version(store, ws, str(version))
        if spare is not None and spare.meta.get("version") == number:
            after = spare
        else:
            after = store.reconstruct(ws, number)
        parent = after.meta.get("parent")
        before = None
        if parent is not None and _kept(store, ws, int(parent)):
            before = store.reconstruct(ws, int(parent))
        spare = before
        change = _targeted(
            _change(before, after, project.seal_matcher(store), targets), targets, before, after
        )
        yield replace(change, after=with_mark(upgraded_counts(change.after), store.marks(ws)))


def diff(
    project: Project,
    v1: str,
    v2: str | None,
    *,
    workspace: str | None,
    targets: Sequence[str] = (),
) -> VersionChange:
    """From ``v1`` to ``v2`` (latest); with ``targets``, only the resources they name."""
    from tfshadow.ops.marks import resolve_version
    from tfshadow.state.intents import upgraded_counts

    store, ws = open_history(project, workspace)
    a = store.reconstruct(ws, resolve_version(store, ws, v1))
    b = store.reconstruct(ws, resolve_version(store, ws, v2 or "latest"))
    change = _targeted(_change(a, b, project.seal_matcher(store), targets), targets, a, b)
    return replace(
        change,
        before=None if change.before is None else upgraded_counts(change.before),
        after=upgraded_counts(change.after),
    )


def _targeted(
    change: VersionChange,
    targets: Sequence[str],
    before: Reconstructed | None,
    after: Reconstructed,
) -> VersionChange:
    """``change``'s state narrowed to the resources ``targets`` name (outputs are no resource);
    its configuration was narrowed by :func:`_change`."""
    if not targets:
        return change
    known = [
        str(address)
        for side in (before, after)
        if side is not None and isinstance(side.state.get("resources"), Mapping)
        for address in side.state["resources"]
    ]
    for target in targets:
        if not any(is_targeted(address, [target]) for address in known):
            versions = " or ".join(
                str(side.meta.get("version")) for side in (before, after) if side is not None
            )
            raise UsageError(
                f"--target {target}: no resource at that address in version {versions}",
                hint="use an address as `tfshadow inspect` shows it, such as "
                'aws_instance.web, aws_instance.web["a"] or module.db',
            )
    resources = tuple(
        r
        for r in change.state.resources
        if is_targeted(r.address, targets)
        or (r.moved_from is not None and is_targeted(str(r.moved_from), targets))
    )
    return replace(change, state=replace(change.state, resources=resources, outputs=()))


def with_mark(meta: dict[str, Any], marks: Mapping[int, Mapping[str, Any]]) -> dict[str, Any]:
    """``meta`` with the version's latest mark under ``"mark"`` (``good``, ``bad`` or
    ``suspect``, who set it, when, and the note), when it has one."""
    mark = marks.get(int(meta["version"]))
    if mark is None:
        return meta
    shown = {key: mark[key] for key in ("mark", "note", "author", "timestamp") if key in mark}
    return {**meta, "mark": shown}


def _kept(store: GitShadowStore, workspace: str, version: int) -> bool:
    return version in store.version_numbers(workspace)


def _seals(version: Reconstructed) -> frozenset[str]:
    """The seals of a version's state and configuration, from the bytes the store read or
    wrote them as when it has them."""
    from tfshadow.state.redact import seals_in, seals_in_bytes

    if version.state_bytes is not None and version.config_bytes is not None:
        return seals_in_bytes(version.state_bytes, version.config_bytes)
    return seals_in((version.state, version.config))


def _change(
    before: Reconstructed | None,
    after: Reconstructed,
    matcher: Redactor | None = None,
    targets: Sequence[str] = (),
) -> VersionChange:
    """From ``before`` to ``after``; with ``targets``, the configuration's changes narrowed to
    the blocks that declare them (the state's are narrowed by :func:`_targeted`)."""
    from tfshadow.state.changes import compare_configs, compare_states, narrow_config
    from tfshadow.state.intents import intended
    from tfshadow.state.redact import matching_seals, replace_seals, sealed_apart, seals_in

    before_state: Any = None
    before_config: Any = None
    notes: tuple[str, ...] = ()
    # Each side's seals are found once (a scan of the whole serialised state): what aligning
    # them needs, and what tells whether some cannot be compared (found again only in the
    # aligned documents, when aligning replaced some).
    after_seals = _seals(after) if before is not None else frozenset()
    before_seals = _seals(before) if before is not None else frozenset()
    if before is not None:
        matched = matching_seals(before_seals, after_seals, matcher)
        before_state = replace_seals(before.state, matched)
        before_config = replace_seals(before.config, matched)
        if matched:
            before_seals = seals_in((before_state, before_config))
    if before is not None and sealed_apart(before_seals, after_seals, matcher):
        notes = (
            f"versions {before.meta.get('version')} and {after.meta.get('version')} sealed their "
            "secrets under different keys, and some of them cannot be compared here (sealed "
            "before seals carried the store's fingerprints, under a TFSHADOW_KEY not set here; "
            "or fingerprinted by another copy of the store): a secret shown as changed may not "
            "have changed",
        )
    # The newer version's command and configuration tell a forget from a destruction and an
    # import from a creation, which the states alone cannot.
    # The store's delta from the version just before names the instances it changed; a
    # version compared with any other is compared instance by instance.
    changed = (
        after.changed
        if before is not None and before.meta.get("version") == after.meta.get("version", 0) - 1
        else None
    )
    state = intended(
        compare_states(before_state, after.state, changed=changed), after.meta, after.config
    )
    return VersionChange(
        before=before.meta if before else None,
        after=after.meta,
        state=state,
        config=narrow_config(
            compare_configs(before_config, after.config), before_config, after.config, targets
        ),
        notes=notes,
    )
