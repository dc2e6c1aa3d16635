"""`tfshadow store pull --rebase`: join a store whose history parted from its remote's.

Two copies of a store part when one records while the remote is out of its reach and the other
records meanwhile: no push can join them. As `git pull --rebase` would, but version by version:
the versions this copy recorded since the histories parted are rebuilt (and verified) from its
own history before anything moves, the store is put at the remote's tip, and each is recorded
again on top through the store's normal path, numbered after the remote's, its delta and its
`changes` taken against its new previous version. The old history stays under a ref.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tfshadow.errors import (
    RebaseInterruptedError,
    StoreError,
    StoreHalfJoinedError,
    TfshadowError,
)

if TYPE_CHECKING:
    from tfshadow.project import Project
    from tfshadow.store import GitShadowStore, Reconstructed
    from tfshadow.store.gitstore import Divergence, PullResult

# What the store's record() fills in, and what a rebased version takes from its new place.
_RECOMPUTED = frozenset(
    {"version", "parent", "state_sha256", "config_sha256", "keyframe", "format", "changes"}
)


@dataclass(frozen=True)
class Moved:
    workspace: str
    old: int
    new: int


@dataclass(frozen=True)
class Dropped:
    """A version whose state and configuration the remote's history already ends with."""

    workspace: str
    old: int
    same_as: int


@dataclass
class RebaseResult:
    pull: PullResult | None  # set when the histories had not diverged: a plain pull
    remote: str = ""
    pulled: int = 0  # commits taken from the remote
    ref: str | None = None  # where the history before the rebase is kept
    tip: str | None = None  # the remote's tip the versions were recorded again on
    ahead: int = 0  # commits of the joined history the remote still lacks (its push failed)
    rebased: list[Moved] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)  # workspaces whose marks were carried
    ghosts: list[tuple[str, int, int]] = field(default_factory=list)  # address, old, new
    warnings: list[str] = field(default_factory=list)


def pull_rebase(project: Project) -> RebaseResult:
    """Bring the store up to its remote; when the two have diverged, record this copy's own
    versions again after the remote's and push (see the module docstring)."""
    from tfshadow.ops.record import RecordOutcome, push_versions
    from tfshadow.store import GitShadowStore
    from tfshadow.store.gitstore import Divergence

    config = project.store_config()
    if not config.remote:
        raise StoreError(
            "the shadow store has no remote to pull from",
            hint='set `remote = "…"` in the store block of tfshadow.hcl',
        )
    if not project.store_exists():
        return RebaseResult(GitShadowStore.pull(config, project.lock_timeout))
    store = project.open_store(create=False)
    with store.lock(project.lock_timeout, command="store pull --rebase"):
        if store.half_joined() is not None:
            # Run again, it would keep the half-joined history as the one before the rebase.
            from tfshadow.store.gitstore import HALF_JOINED

            raise StoreHalfJoinedError(
                HALF_JOINED, hint="run `tfshadow store pull --undo-rebase` first"
            )
        with store.fetched_for_rebase() as fetched:
            if not isinstance(fetched, Divergence):
                return RebaseResult(fetched)
            result = _rebase(project, store, fetched)
        outcome = RecordOutcome(exit_code=0)
        push_versions(store, outcome)
        result.warnings.extend(outcome.warnings)
        head = store.head()
        if store.has_unpushed() and head is not None and result.tip is not None:
            result.ahead = store.commit_count(head) - store.commit_count(result.tip)
    return result


def _rebase(project: Project, store: GitShadowStore, fetched: Divergence) -> RebaseResult:
    if fetched.base is None or fetched.head is None:
        raise StoreError(
            f"the shadow store and its remote {fetched.remote} share no history: they were "
            "started apart",
            hint="keep one: move the store aside and run `tfshadow store pull` to take the "
            "remote's",
        )
    # Everything to record again is rebuilt, and so verified, before anything moves: a version
    # that cannot be rebuilt stops the rebase with the store as it was.
    local = {
        ws: [store.reconstruct(ws, n) for n in numbers]
        for ws, numbers in store.versions_after(fetched.base).items()
    }
    summarised = {
        (ws, int(v.meta["version"]))
        for ws, versions in local.items()
        for v in versions
        if _described_by_summary(project, store, ws, v, versions)
    }
    head = fetched.head
    local_marks = {ws: store.marks_at(head, ws) for ws in store.workspaces()}
    base_marks = {ws: store.marks_at(fetched.base, ws) for ws in local_marks}
    pulled = store.commit_count(fetched.tip) - store.commit_count(fetched.base)
    ref = store.reset_to_remote(fetched)
    result = RebaseResult(None, fetched.remote, pulled, ref, fetched.tip)
    try:
        renumbered = _record_all_again(
            project, store, local, summarised, result, after_each=store.note_rebase_progress
        )
        _carry_marks(store, local_marks, base_marks, renumbered, result)
        store.note_rebase_progress()
    except TfshadowError as exc:
        raise _stopped(
            store, fetched, ref, StoreError, f"the rebase stopped: {exc.message}"
        ) from exc
    except KeyboardInterrupt:
        raise _stopped(
            store,
            fetched,
            ref,
            RebaseInterruptedError,
            "interrupted while recording this copy's versions again after the remote's",
        ) from None
    store.rebase_joined()
    from tfshadow.ops.ghost import renumber

    moved = renumbered.get(project.workspace, {})
    failed = _keep_renumbering(store, fetched.head, store.head(), moved)
    if failed is not None:
        # The rebase is done: only its undo would leave the ghosts on the new numbers.
        result.warnings.append(
            f"could not note the versions' new numbers in {store.private_dir(_PRIVATE_DIR)} "
            f"({failed.strerror or failed}): `tfshadow store pull --undo-rebase` would leave the "
            "ghosts on them"
        )
    result.ghosts = renumber(store, moved)
    return result


@dataclass(frozen=True)
class UndoResult:
    """What `store pull --undo-rebase` did: the ref it went back to (now dropped), the commit
    the store is at, the one it left (None: it was there already, put back by hand), the
    ghosts that name their numbers of before the rebase again (address, old, new), and the
    versions recorded on top of a half-joined store, recorded again on the history it went
    back to (``carried``; ``dropped``: those whose state and configuration that history's
    newest version has), with ``warnings``."""

    ref: str
    commit: str
    left: str | None
    ghosts: list[tuple[str, int, int]]
    carried: list[Moved] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def undo_pull_rebase(project: Project) -> UndoResult:
    """Put the store back on the history it had before its last `store pull --rebase`, every
    file read-only, and its ghosts on the numbers that history gives their versions. The
    remote keeps the joined history: the store has diverged from it again.

    A rebase that stopped part-way and could not put the store back leaves it half-joined:
    a command that records then keeps its version here, unpushed (see
    :meth:`GitShadowStore.half_joined`). Such versions are in no other history, so they are
    recorded again on top of the history the store goes back to, as a rebase would."""
    from tfshadow.ops.ghost import renumber

    store = project.open_store(create=False)
    with store.lock(project.lock_timeout, command="store pull --undo-rebase"):
        _, before = store.before_rebase()
        joined, moved = _renumbering(store, before)
        if joined is None:
            # Killed part-way, the rebase said nothing, but the store noted where it got to.
            joined = store.rebase_progress()
        head = store.head()
        on_top: dict[str, list[Reconstructed]] = {}
        marks_on_top: dict[str, dict[int, dict[str, Any]]] = {}
        summarised: set[tuple[str, int]] = set()
        kept, carrying = joined, False
        if (
            store.half_joined() is not None
            and joined is not None
            and head is not None
            and head != joined
            and store.contains(joined, head)
        ):
            # Rebuilt (and so verified) before anything moves, as a rebase does.
            on_top = {
                ws: [store.reconstruct(ws, n) for n in numbers]
                for ws, numbers in store.versions_after(joined).items()
            }
            summarised = {
                (ws, int(v.meta["version"]))
                for ws, versions in on_top.items()
                for v in versions
                if _described_by_summary(project, store, ws, v, versions)
            }
            for ws in store.workspaces():
                then = store.marks_at(joined, ws)
                made = {n: m for n, m in store.marks_at(head, ws).items() if then.get(n) != m}
                if made:
                    marks_on_top[ws] = made
            kept, carrying = head, True
        # Carrying versions over, the ref (and the note that the store is half-joined) stays
        # until they are all recorded again: an undo run again after a failure still works.
        ref, commit, left = store.back_before_rebase(kept, keep_ref=carrying)
        result = RebaseResult(None)
        if carrying:
            try:
                _carry_on_top(project, store, on_top, summarised, marks_on_top, result)
            except (TfshadowError, KeyboardInterrupt) as exc:
                said = exc.message if isinstance(exc, TfshadowError) else "interrupted"
                kind = StoreError if isinstance(exc, TfshadowError) else RebaseInterruptedError
                raise kind(
                    "the store went back to the history before the rebase, but the versions "
                    f"recorded on top of the half-joined one were not all recorded again: {said}",
                    hint=f"`git -C {store.root} reset --hard {head}` brings the half-joined "
                    "history back with them; then run `tfshadow store pull --undo-rebase` again",
                ) from None
            store.drop_before_rebase()
        # ``moved`` holds the versions dropped for the remote's equal ones too: a ghost the
        # rebase put on the remote's version goes back to this copy's, of the same content.
        ghosts = renumber(store, {new: old for old, new in moved.items()})
        (store.private_dir(_PRIVATE_DIR) / _RENUMBERED).unlink(missing_ok=True)
    return UndoResult(ref, commit, left, ghosts, result.rebased, result.dropped, result.warnings)


def _record_all_again(
    project: Project,
    store: GitShadowStore,
    versions: Mapping[str, list[Reconstructed]],
    summarised: set[tuple[str, int]],
    result: RebaseResult,
    after_each: Callable[[], None] | None = None,
) -> dict[str, dict[int, int]]:
    """Record ``versions`` again after the store's newest, in order; returns each workspace's
    new numbers by old one. ``after_each`` runs once each is recorded."""
    renumbered: dict[str, dict[int, int]] = {}
    for ws, recorded in versions.items():
        moved = renumbered.setdefault(ws, {})
        for version in recorded:
            number = int(version.meta["version"])
            moved[number] = _record_again(
                project, store, ws, version, moved, (ws, number) in summarised, result
            )
            if after_each is not None:
                after_each()
    return renumbered


def _carry_on_top(
    project: Project,
    store: GitShadowStore,
    on_top: Mapping[str, list[Reconstructed]],
    summarised: set[tuple[str, int]],
    marks: Mapping[str, dict[int, dict[str, Any]]],
    result: RebaseResult,
) -> None:
    """Record ``on_top`` again after the store's newest versions, and their marks (``marks``:
    those made on top of the half-joined history) on their new numbers; a mark of another
    version of that history names a number the store no longer gives it: said, not carried."""
    renumbered = _record_all_again(project, store, on_top, summarised, result)
    for ws, made in marks.items():
        moved = renumbered.get(ws, {})
        merged = store.marks(ws)
        for number, mark in sorted(made.items()):
            if number in moved:
                merged[moved[number]] = {**mark, "version": moved[number]}
            else:
                result.warnings.append(
                    f"the mark {mark.get('mark')} of version {number} of workspace {ws}, made "
                    "on the half-joined history, was not carried: that number names another "
                    "version here (`tfshadow mark` gives it again)"
                )
        if merged != store.marks(ws):
            store.carry_marks(
                ws, merged, f"Carry the marks of workspace {ws} over `store pull --undo-rebase`"
            )


# How the last rebase renumbered this copy's versions of the project's workspace, and the tip
# it left (or got to, where it stopped and could not put the store back), for its undo: to give
# the ghosts (this copy's own registry, not in the history) their old numbers back, and to tell
# the rebase's own commits from versions recorded since.
_PRIVATE_DIR = "rebase"
_RENUMBERED = "renumbered.json"


def _keep_renumbering(
    store: GitShadowStore, before: str | None, joined: str | None, moved: Mapping[int, int]
) -> OSError | None:
    """Note what :func:`_renumbering` reads back; the error when it could not be written."""
    from tfshadow.atomic_write import replace_file

    doc = {
        "before": before,
        "joined": joined,
        "moved": sorted([old, new] for old, new in moved.items()),
    }
    try:
        replace_file(store.private_dir(_PRIVATE_DIR) / _RENUMBERED, json.dumps(doc), mode=0o600)
    except OSError as exc:
        return exc
    return None


def _renumbering(store: GitShadowStore, before: str | None) -> tuple[str | None, dict[int, int]]:
    """The tip the rebase that kept ``before`` left, and the old → new numbers it gave (None
    and nothing: not known)."""
    try:
        doc = json.loads((store.private_dir(_PRIVATE_DIR) / _RENUMBERED).read_text())
        if before is None or doc.get("before") != before:
            return None, {}
        joined = doc.get("joined")
        moved = {int(old): int(new) for old, new in doc["moved"]}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None, {}
    return (joined if isinstance(joined, str) else None), moved


def _stopped(
    store: GitShadowStore, fetched: Divergence, ref: str, kind: type[StoreError], what: str
) -> StoreError:
    """The error of a rebase that stopped part-way, once the store is back on its own history
    (nothing half-joined is left), or, where that failed too, naming how to go back."""
    # Noted first, for the case the store cannot be put back now: the commits the rebase made
    # hold nothing but copies of the remote's versions and of this copy's, so
    # `--undo-rebase` may drop them, unlike versions recorded on top of them later.
    noted = _note_stopped(store, fetched.head)
    try:
        store.undo_rebase(fetched, ref)
    except (TfshadowError, KeyboardInterrupt):
        back = (
            "`tfshadow store pull --undo-rebase` goes back to it"
            if noted
            else f"`git -C {store.root} reset --hard {ref}`, then `tfshadow store pull "
            "--undo-rebase`, goes back to it"
        )
        return kind(
            f"{what}; the store could not be put back on its own history",
            hint=f"this copy's history before it is kept at {ref}: {back}",
        )
    with contextlib.suppress(OSError):
        (store.private_dir(_PRIVATE_DIR) / _RENUMBERED).unlink(missing_ok=True)
    return kind(
        f"{what}; the store is back as it was",
        hint="fix what it names, then run `tfshadow store pull --rebase` again",
    )


def _note_stopped(store: GitShadowStore, before: str | None) -> bool:
    """Note where the stopped rebase got to as the tip it left, no ghost renumbered yet;
    whether that was noted."""
    try:
        return _keep_renumbering(store, before, store.head(), {}) is None
    except (TfshadowError, KeyboardInterrupt):
        return False


def _record_again(
    project: Project,
    store: GitShadowStore,
    workspace: str,
    old: Reconstructed,
    moved: Mapping[int, int],
    summarised: bool,
    result: RebaseResult,
) -> int:
    """Record ``old`` after the store's newest version; its new number (the newest version's
    when that already has its state and configuration). ``moved``: the new numbers of the
    versions recorded again before it; ``summarised``: whether its description is the summary
    of what it changed, to be made anew."""
    from tfshadow.ops.author import printable
    from tfshadow.ops.record import Capture, record_version, version_change

    number = int(old.meta["version"])
    capture = Capture(state=old.state, config=old.config)
    kept = {k: v for k, v in old.meta.items() if k not in _RECOMPUTED}
    # A revert to a version of this copy's own names it by the number it has now (its
    # description too: a revert's is always the one tfshadow gives it).
    if kept.get("reverted_to") in moved:
        if kept.get("description") == _revert_description(kept["reverted_to"]):
            kept["description"] = _revert_description(moved[kept["reverted_to"]])
        kept["reverted_to"] = moved[kept["reverted_to"]]
    # So does the description a ghost's refresh gives its version (`ops.ghost.refresh`).
    follows = _GHOST_FOLLOWS.fullmatch(str(kept.get("description", "")))
    if follows is not None and int(follows.group(2)) in moved:
        kept["description"] = f"{follows.group(1)}{moved[int(follows.group(2))]}"
    change = version_change(
        project, store, workspace, capture, kind=str(old.meta.get("kind")), extra=kept
    )
    latest = store.latest(workspace)
    if latest is not None and change.unchanged:
        result.dropped.append(Dropped(workspace, number, int(latest["version"])))
        return int(latest["version"])
    if summarised:
        kept["description"] = printable(change.summary)
    kept["description_generated"] = summarised
    meta = {**kept, "changes": change.changes, "rebased_from": number}
    recorded = record_version(store, meta, capture, result.warnings)
    result.rebased.append(Moved(workspace, number, int(recorded["version"])))
    return int(recorded["version"])


_GHOST_FOLLOWS = re.compile(r"(ghost of \S+ follows version )(\d+)")


def _revert_description(number: int) -> str:
    return f"Revert to version {number}"


def _described_by_summary(
    project: Project,
    store: GitShadowStore,
    workspace: str,
    version: Reconstructed,
    rebuilt: list[Reconstructed],
) -> bool:
    """Whether ``version``'s description is the summary tfshadow gave it (no --message, no CI
    description), rather than words someone chose. Its meta says so; one recorded before it
    did is judged by the summary it would have had against its own previous version (one of
    ``rebuilt``, or else the store's, read before the store moves): a message that happens to
    match the summary word for word is replaced by the same words, told anew."""
    from tfshadow.ops.author import printable
    from tfshadow.ops.record import Capture, change_against
    from tfshadow.state.intents import upgraded_counts

    said = version.meta.get("description_generated")
    if isinstance(said, bool):
        return said
    parent = version.meta.get("parent")
    previous: Reconstructed | None = None
    if isinstance(parent, int):
        previous = next((v for v in rebuilt if v.meta.get("version") == parent), None)
        if previous is None:
            try:
                previous = store.reconstruct(workspace, parent)
            except TfshadowError:
                return False  # removed by retention: what it was told against is gone
    capture = Capture(state=version.state, config=version.config)
    kind = str(version.meta.get("kind"))
    change = change_against(project, store, previous, capture, kind=kind, extra=version.meta)
    # In today's words: an earlier tfshadow summarised a `state rm` as objects destroyed.
    return printable(change.summary) == upgraded_counts(version.meta).get("description")


def _carry_marks(
    store: GitShadowStore,
    local: dict[str, dict[int, dict[str, Any]]],
    base: dict[str, dict[int, dict[str, Any]]],
    renumbered: dict[str, dict[int, int]],
    result: RebaseResult,
) -> None:
    """Put the marks this copy made since the histories parted on the versions they now
    name: a mark of a version recorded again goes to its new number; a mark of a version both
    histories hold stays. Where the other copy marked that version too, its mark stands: it is
    the one the remote's readers (gates, ghosts, other copies) have seen, and no clock of two
    machines decides. The same mark is not carried again; another is said in a warning."""
    for ws, marks in local.items():
        made_here = {n: m for n, m in marks.items() if base[ws].get(n) != m}
        if not made_here:
            continue
        merged = store.marks(ws)
        moved = renumbered.get(ws, {})
        for number, mark in sorted(made_here.items()):
            target = moved.get(number, number)
            theirs = merged.get(target)
            # The remote marked it too: any mark on the number a version of this copy's now
            # has is the remote's (only one dropped for the remote's own version has one), and
            # on a version both histories hold, a mark not as it was where they parted.
            if theirs is not None and (number in moved or theirs != base[ws].get(number)):
                if theirs.get("mark") != mark.get("mark"):
                    result.warnings.append(_mark_not_carried(ws, target, theirs, mark))
                continue
            merged[target] = {**mark, "version": target}
        if merged != store.marks(ws):
            store.carry_marks(
                ws, merged, f"Carry the marks of workspace {ws} over `store pull --rebase`"
            )
            result.marks.append(ws)


def _mark_not_carried(
    workspace: str, version: int, theirs: Mapping[str, Any], mine: Mapping[str, Any]
) -> str:
    from tfshadow.ops.marks import MARKS

    again = (
        f": `tfshadow mark {version} {mine['mark']} --workspace {workspace}` gives it"
        if mine.get("mark") in MARKS
        else ""
    )
    return (
        f"version {version} of workspace {workspace} keeps the mark {theirs.get('mark')} the "
        f"remote's history gave it; this copy's mark {mine.get('mark')} was not carried{again}"
    )
