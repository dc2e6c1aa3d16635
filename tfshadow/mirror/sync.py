"""Upload to the mirror what the store recorded since the last upload.

One sync sends, in this order: version by version, its files new since the mirrored commit (by
content) and its manifest; then a git bundle of the commits since then, and last the history
step naming the bundle. A restore reads only complete history steps, so an upload cut anywhere
before the last one is as if it never started, and the next sync sends it again (objects
already there are not sent twice). ``--full`` checks every object of the store's versions and
every history step down to the first, and sends what is missing or altered: a history step
only when the steps to the head are not all sound (from the newest one that is).

A step's count is the commits of its history, and more once a history was rewritten
(`store pull --rebase`): such a history goes on from the newest step it still holds, and its
step counts past every step the mirror lists, since a restore takes the step with the highest
count and the history it replaced may have had more commits; the steps after it count on from
it. Each step names its base's count, so that a lost step's key is known exactly, and the copy
of the store that uploaded it, the versions it brought and the history it replaced (the one
this copy uploaded before it left it), so that two copies uploading histories that parted are
told apart (:mod:`tfshadow.mirror.histories`).

When an upload fails, the versions it carried whose files and manifest it did not all upload
are queued (:mod:`tfshadow.mirror.queue`) and the error is raised: the versions stay in git, and
the next sync, by ``tfshadow store sync`` or by the next command that records a version,
completes the upload.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tfshadow.errors import MirrorError, StoreHalfJoinedError, TfshadowError
from tfshadow.mirror import queue
from tfshadow.mirror.base import (
    HISTORY,
    HistoryStep,
    Mirror,
    StoredFile,
    manifest,
    object_key,
    parse_history_key,
    sha256_hex,
)
from tfshadow.mirror.histories import OtherHistory, parted, read_steps
from tfshadow.store import GitShadowStore
from tfshadow.store.gitstore import HALF_JOINED, UNDO_HALF_JOINED

PRIVATE_DIR = "mirror"
SYNC_LOCK_TIMEOUT = 30.0


@dataclass(frozen=True)
class SyncResult:
    """What one sync sent: the versions some object of which it uploaded (workspace, number)
    and the objects; ``tip`` is the commit the mirror now holds the history up to (None: the
    store has no history yet)."""

    url: str
    versions: tuple[tuple[str, int], ...]
    objects: int
    tip: str | None
    was_queued: tuple[tuple[str, int], ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """What a sync is to send: the version files whose objects it checks (path -> blob id),
    their versions' manifests, and the history step from ``base`` (None: the whole history)
    to ``head``, none when ``base`` is ``head``; ``replaces``: see :class:`HistoryStep`."""

    base: str | None
    base_count: int | None
    head: str
    count: int
    replaces: str | None
    files: dict[str, str]
    # `sync --full` where the store's own steps are not sound but a newer history in the
    # mirror holds the store's (:func:`tfshadow.mirror.restore.history_holding`): the
    # objects are checked, no step is sent, and this copy's last upload stays as it was.
    covered: bool = False

    @property
    def versions(self) -> list[tuple[str, int]]:
        return sorted({_version_of(path) for path in self.files})

    @property
    def sends_step(self) -> bool:
        return self.base != self.head


@dataclass
class _Progress:
    """How far an upload got: what a failure leaves queued, and what a sync reports."""

    objects: int = 0
    uploaded: set[tuple[str, int]] = field(default_factory=set)  # some object of it sent
    complete: set[tuple[str, int]] = field(default_factory=set)  # its files and manifest there


def sync(
    store: GitShadowStore,
    mirror: Mirror,
    *,
    full: bool = False,
    lock_timeout: float = SYNC_LOCK_TIMEOUT,
    warn_parted: bool = False,
) -> SyncResult:
    """Send what the mirror lacks of the store's history; raises MirrorError (after queueing
    the versions still missing) when an upload fails, StoreLockedError when the store stays
    locked.

    ``full`` checks every object of the store's current versions, and every history step and
    bundle down to the first, whatever was sent before, and sends what is missing or altered:
    the repair for a mirror that lost objects (:func:`plan_sync`). ``warn_parted``: then read
    every history step, and warn of another copy's history that parted from the store's (as
    `store verify` reports it), which an upload alone never joins.
    """
    private = store.private_dir(PRIVATE_DIR)
    with store.lock(lock_timeout, command="store sync"):
        if store.half_joined() is not None:
            # A restore takes the history with the highest count: part of a join uploaded
            # could come back in place of the store's own.
            raise StoreHalfJoinedError(HALF_JOINED + ": nothing is uploaded", hint=UNDO_HALF_JOINED)
        pending = queue.load_pending(private)
        current = pending if pending and pending.target == mirror.target else None
        was_queued = current.versions if current else ()
        head = store.head()
        if head is None:
            return SyncResult(mirror.url, (), 0, None, was_queued)
        progress = _Progress()
        plan: Plan | None = None
        try:
            plan = plan_sync(store, mirror, head, full=full)
            if plan.files or plan.sends_step:
                _upload(store, mirror, plan, progress)
        except (TfshadowError, KeyboardInterrupt) as exc:
            # Interrupted is queued like failed: the next recording command then finishes the
            # upload even when it records nothing itself, and `store verify` names the versions.
            error = exc.message if isinstance(exc, TfshadowError) else "the upload was interrupted"
            lacking = plan.versions if plan else _versions_since_mirrored(store, mirror, head)
            queued = (current or queue.Pending(mirror.target)).lacking(
                [v for v in lacking if v not in progress.complete], error
            )
            queue.save_pending(private, queued)
            if isinstance(exc, TfshadowError):
                raise MirrorError(exc.message, hint=exc.hint) from exc
            raise
        if not plan.covered:
            queue.save_mirrored_tip(private, mirror.target, head, plan.count)
        queue.clear_pending(private)
        uploaded = tuple(sorted(progress.uploaded))
        warnings = (parted_warning(store, mirror, head),) if warn_parted else ()
        return SyncResult(
            mirror.url,
            uploaded,
            progress.objects,
            head,
            was_queued,
            tuple(w for w in warnings if w is not None),
        )


def parted_histories(store: GitShadowStore, mirror: Mirror, head: str) -> list[OtherHistory]:
    """The histories in the mirror that parted from the store's at ``head``: another copy's
    (or one this copy left since its last upload), with the versions they hold that it lacks;
    not one that goes on from ``head`` (`tfshadow store pull` takes it)."""
    every = read_steps(mirror, [key for _count, _tip, key in listed_steps(mirror)])
    ours = {tip: step for tip, step in every.items() if store.contains(tip, head)}
    rest = {tip: step for tip, step in every.items() if tip not in ours}
    found = parted(rest, lambda commit: store.contains(commit, head), ours.values())
    return [other for other in found if other.parted_at != head]


def parted_warning(store: GitShadowStore, mirror: Mirror, head: str) -> str | None:
    """One line naming the histories :func:`parted_histories` finds, and what joins them."""
    found = parted_histories(store, mirror, head)
    if not found:
        return None
    own = queue.own_copy(store.private_dir(PRIVATE_DIR))
    said = "; ".join(
        f"the history to commit {other.tip[:12]} that "
        f"{'this copy' if own is not None and other.copy == own else 'another copy'} uploaded, "
        + (
            f"parted at {other.parted_at[:12]}"
            if other.parted_at
            else "sharing no history step with this store's"
        )
        + f" ({other.brought()})"
        for other in found
    )
    return (
        f"{mirror.url} holds histories of the store that parted from this store's ({said}): a "
        "restore brings back one of them only; join them with `tfshadow store pull --rebase` "
        "in one copy (its next upload holds both), or mirror from one copy"
    )


def plan_sync(store: GitShadowStore, mirror: Mirror, head: str, *, full: bool = False) -> Plan:
    """What a sync of ``head`` sends (``full``: see :func:`sync`). Without ``full``, the version
    files new since the commit this copy mirrored last, and a step from it; a copy that never
    synced here (a CI runner's fresh clone of the store) goes on from the newest step the
    mirror holds of its history, rather than sending the whole history again, and checking
    every object of it, on every run. MirrorError when the mirror holds another store's
    history."""
    private = store.private_dir(PRIVATE_DIR)
    base = queue.mirrored_tip(private, mirror.target)
    # Not an ancestor: this copy left the history it uploaded for another (`store pull
    # --rebase`, `--undo-rebase`), so the whole new one is sent, naming the one it left.
    replaced = base if base is not None and not store.contains(base, head) else None
    if full:
        steps = listed_steps(mirror)
        _refuse_another_store(store, mirror, head, steps)
        chained = _sound_chain(store, mirror, head, steps)
        files = store.version_files(head)
        if chained == head:
            return Plan(head, step_counts(steps)[head], head, step_counts(steps)[head], None, files)
        from tfshadow.mirror.restore import history_holding

        if history_holding(store, mirror, head, steps) is not None:
            return Plan(head, None, head, 0, None, files, covered=True)
        count = count_past(store, steps, chained, head)
        counts = step_counts(steps)
        if head in counts:
            # Its step is there but not sound: a step of its own beside it, as no key is ever
            # written again with other content.
            count = max(count, max(counts.values()) + 1)
        base_count = None if chained is None else counts[chained]
        return Plan(chained, base_count, head, count, replaced, files)
    if base is not None and replaced is None:
        known = queue.mirrored_count(private, mirror.target)
        base_count = store.commit_count(base) if known is None else known
        count = base_count + store.commit_count(head) - store.commit_count(base)
        return Plan(base, base_count, head, count, None, _new_files(store, base, head))
    steps = listed_steps(mirror)
    mirrored = _mirrored_base(store, mirror, head, steps)
    base_count = None if mirrored is None else step_counts(steps)[mirrored]
    count = count_past(store, steps, mirrored, head)
    return Plan(mirrored, base_count, head, count, replaced, _new_files(store, mirrored, head))


def _versions_since_mirrored(
    store: GitShadowStore, mirror: Mirror, head: str
) -> list[tuple[str, int]]:
    """The versions recorded since the commit this copy mirrored last (all of them when none
    is known), for a queue when no plan could be made."""
    base = queue.mirrored_tip(store.private_dir(PRIVATE_DIR), mirror.target)
    if base is not None and not store.contains(base, head):
        base = None
    return sorted({_version_of(path) for path in _new_files(store, base, head)})


def _new_files(store: GitShadowStore, base: str | None, head: str) -> dict[str, str]:
    """Version files of ``head`` (path -> blob id) that ``base`` does not hold as they are."""
    now = store.version_files(head)
    before = store.version_files(base) if base is not None else {}
    return {path: oid for path, oid in now.items() if before.get(path) != oid}


def _version_of(path: str) -> tuple[str, int]:
    _, workspace, version, _ = path.split("/")
    return workspace, int(version)


def _upload(store: GitShadowStore, mirror: Mirror, plan: Plan, progress: _Progress) -> None:
    """Each version's new files then its manifest, version by version (so that a cut upload
    leaves whole versions behind it, which ``progress`` names), then the history step's bundle
    and last the step."""
    mirror.check_ready()
    base, head = plan.base, plan.head
    all_files = store.version_files(head)
    touched = plan.versions
    by_version: dict[tuple[str, int], dict[str, str]] = {version: {} for version in touched}
    for path, oid in all_files.items():
        if (version := _version_of(path)) in by_version:
            by_version[version][path] = oid
    blobs = store.read_blobs([oid for own in by_version.values() for oid in own.values()])
    stored = {oid: StoredFile(sha256_hex(data), len(data)) for oid, data in blobs.items()}
    checked: set[str] = set()  # blobs two versions share are sent once
    for version, own in by_version.items():
        workspace, number = version
        prefix = f"workspaces/{workspace}/{number:06d}/"
        for path, oid in sorted(own.items()):
            if path in plan.files and oid not in checked:
                checked.add(oid)
                sha = stored[oid].sha256
                if _put_once(mirror, object_key(sha), blobs[oid], sha):
                    progress.objects += 1
                    progress.uploaded.add(version)
        files = {path.removeprefix(prefix): stored[oid] for path, oid in own.items()}
        key, data = manifest(workspace, number, files)
        if _put_once(mirror, key, data, sha256_hex(data)):
            progress.objects += 1
            progress.uploaded.add(version)
        progress.complete.add(version)
    if not plan.sends_step:
        return

    with tempfile.TemporaryDirectory(prefix="tfshadow-bundle-") as scratch:
        bundle_path = Path(scratch) / "history.bundle"
        store.write_bundle(bundle_path, head, base)
        bundle = bundle_path.read_bytes()
    bundle_sha = sha256_hex(bundle)
    progress.objects += _put_once(mirror, object_key(bundle_sha), bundle, bundle_sha)
    step = HistoryStep(
        tip=head,
        base=base,
        count=plan.count,
        branch=store.branch,
        bundle_sha256=bundle_sha,
        bundle_size=len(bundle),
        base_count=plan.base_count,
        copy=queue.copy_name(store.private_dir(PRIVATE_DIR)),
        replaces=plan.replaces,
        # What the step brings: the versions new since its base (a full sync checks more).
        versions=tuple(
            touched
            if base is None
            else sorted({_version_of(path) for path in _new_files(store, base, head)})
        ),
    )
    data = step.dumps()
    progress.objects += _put_once(mirror, step.key, data, sha256_hex(data))


def listed_steps(mirror: Mirror) -> list[tuple[int, str, str]]:
    """The mirror's history steps as (count, tip, key), the highest count first."""
    return sorted(
        (
            (*parsed, key)
            for key in mirror.list_keys(f"{HISTORY}/")
            if (parsed := parse_history_key(key))
        ),
        reverse=True,
    )


def step_counts(steps: list[tuple[int, str, str]]) -> dict[str, int]:
    """The count of the newest step to each commit of ``steps`` (:func:`listed_steps`): a
    commit `sync --full` sent again has two, and a count past every step is past both."""
    counts: dict[str, int] = {}
    for count, tip, _ in steps:
        counts[tip] = max(count, counts.get(tip, count))
    return counts


def count_past(
    store: GitShadowStore, steps: list[tuple[int, str, str]], base: str | None, head: str
) -> int:
    """The count of the step to ``head`` from ``base`` (one of ``steps``, or None): on from
    ``base``'s, and past every other step listed (see the module docstring)."""
    counts = step_counts(steps)
    if base is not None and base == head:
        return counts[head]
    if base is None and head in counts:
        # The whole history again (`sync --full`, or the step to this tip lost its bundle):
        # a step of its own, as no key is ever written twice with other content.
        return max(counts.values()) + 1
    count = store.commit_count(head)
    if base is not None and base in counts:
        count += counts[base] - store.commit_count(base)
    others = [n for tip, n in counts.items() if tip != head]
    return max(count, max(others) + 1) if others else count


def _mirrored_base(
    store: GitShadowStore, mirror: Mirror, head: str, steps: list[tuple[int, str, str]]
) -> str | None:
    """The tip of the newest history step in the mirror that is part of this store's history
    (None: the mirror holds none, or that step or its bundle is not sound); MirrorError when
    another store's history is there (:func:`_refuse_another_store`). ``steps``:
    :func:`listed_steps`."""
    _refuse_another_store(store, mirror, head, steps)
    for _count, tip, key in steps:
        if store.contains(tip, head):
            # New steps are based on it: a step or bundle altered or lost since would break
            # the chain a restore follows, so the whole history is sent again instead.
            return tip if _sound_step(mirror, key, tip) else None
    return None


def _refuse_another_store(
    store: GitShadowStore, mirror: Mirror, head: str, steps: list[tuple[int, str, str]]
) -> None:
    """MirrorError when the mirror holds steps and none is this store's: another store
    mirrors there (two configurations given the same bucket and prefix), and a restore, which
    follows the step with the most commits, could bring back either store."""
    if not steps or any(store.contains(tip, head) for _count, tip, _key in steps):
        return
    raise MirrorError(
        f"{mirror.url} holds the history of another shadow store ({len(steps)} step(s), none of "
        "them in this store's history)",
        hint="give each configuration's mirror a prefix of its own in tfshadow.hcl",
    )


def _sound_step(mirror: Mirror, key: str, tip: str) -> bool:
    """Whether the history step at ``key`` is one to ``tip`` and its bundle is in the mirror
    as it names it."""
    return _read_sound_step(mirror, key, tip) is not None


def _read_sound_step(
    mirror: Mirror, key: str, tip: str, *, unchanged: bool = False
) -> HistoryStep | None:
    """The history step at ``key`` when it is one to ``tip`` whose bundle is in the mirror as
    it names it, None otherwise; ``unchanged``: and nobody wrote over the key since (a restore
    reads the locked original, but `store verify` reads what the key holds now)."""
    first = mirror.get_first(key)
    if unchanged and mirror.get(key) != first:
        return None
    try:
        step = HistoryStep.loads(first)
    except ValueError:
        return None
    if step.tip != tip:
        return None
    sound = mirror.state(object_key(step.bundle_sha256), step.bundle_sha256) == "ok"
    return step if sound else None


def _sound_chain(
    store: GitShadowStore, mirror: Mirror, head: str, steps: list[tuple[int, str, str]]
) -> str | None:
    """The newest commit of ``head``'s history whose history step, and every step before it
    down to the first, the mirror holds sound (:func:`_read_sound_step`): the history a
    restore can follow, which `sync --full` need not send again. None: there is none."""
    keys: dict[str, str] = {}
    for _count, tip, key in reversed(steps):  # the lowest count first: the highest one stays
        keys[tip] = key
    known: dict[str, bool] = {}

    def whole(tip: str) -> bool:
        walked: list[str] = []
        result = True
        at: str | None = tip
        while at is not None:
            if at in known:
                result = known[at]
                break
            if at in walked:
                result = False  # a loop of steps: only an altered mirror has one
                break
            walked.append(at)
            key = keys.get(at)
            step = None if key is None else _read_sound_step(mirror, key, at, unchanged=True)
            if step is None:
                result = False
                break
            at = step.base
        known.update(dict.fromkeys(walked, result))
        return result

    for _count, tip, _key in steps:
        if store.contains(tip, head) and whole(tip):
            return tip
    return None


def _put_once(mirror: Mirror, key: str, data: bytes, sha256: str) -> int:
    """Upload unless the key already holds this content (1 when uploaded)."""
    if mirror.state(key, sha256, len(data)) == "ok":
        return 0
    mirror.put(key, data)
    return 1


def queue_unsent(store: GitShadowStore, mirror: Mirror, error: str) -> tuple[tuple[str, int], ...]:
    """Queue what the mirror lacks since this copy's last upload when no sync could run (the
    store locked by another command); the versions now queued. Written without the lock: the
    queue only says what git already tells (see :mod:`tfshadow.mirror.queue`), and is written
    whole, so at worst it names a version another command's sync sent meanwhile, until the
    next sync clears it."""
    head = store.head()
    if head is None:
        return ()
    private = store.private_dir(PRIVATE_DIR)
    pending = queue.load_pending(private)
    current = pending if pending and pending.target == mirror.target else None
    lacking = set(_versions_since_mirrored(store, mirror, head))
    if current is not None:
        lacking |= set(current.versions)
    queued = (current or queue.Pending(mirror.target)).lacking(sorted(lacking), error)
    queue.save_pending(private, queued)
    return queued.versions


def pending_versions(store: GitShadowStore, mirror: Mirror) -> tuple[tuple[str, int], ...]:
    """Versions an upload to ``mirror`` that failed or was interrupted left for the next sync:
    those queued, or, when each one's files went up before it stopped, those whose history
    step did not (the queue then names none)."""
    pending = queue.load_pending(store.private_dir(PRIVATE_DIR))
    if pending is None or pending.target != mirror.target:
        return ()
    head = store.head()
    if pending.versions or head is None:
        return pending.versions
    return tuple(_versions_since_mirrored(store, mirror, head))
