"""Upload to the mirror what the store recorded since the last upload.

One sync sends, in this order: the version files new since the mirrored commit (by content), a git
bundle of the commits since then, each touched version's manifest, and last the history step
naming the bundle. A restore reads only complete history steps, so an upload cut anywhere before
the last one is as if it never started, and the next sync sends it again (objects already there
are not sent twice).

A step's count is the commits of its history, and more once a history was rewritten
(`store pull --rebase`): such a history goes on from the newest step it still holds, and its
step counts past every step the mirror lists, since a restore takes the step with the highest
count and the history it replaced may have had more commits; the steps after it count on from
it. Each step names its base's count, so that a lost step's key is known exactly, and the copy
of the store that uploaded it, the versions it brought and the history it replaced (the one
this copy uploaded before it left it), so that two copies uploading histories that parted are
told apart (:mod:`tfshadow.mirror.histories`).

When an upload fails, the versions it carried are queued (:mod:`tfshadow.mirror.queue`) and the
error is raised: the versions stay in git, and the next sync, by ``tfshadow store sync`` or by
the next command that records a version, completes the upload.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from tfshadow.errors import MirrorError, TfshadowError
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
from tfshadow.store import GitShadowStore

PRIVATE_DIR = "mirror"
SYNC_LOCK_TIMEOUT = 30.0


@dataclass(frozen=True)
class SyncResult:
    """What one sync sent: versions (workspace, number) and objects; ``tip`` is the commit the
    mirror now holds the history up to (None: the store has no history yet)."""

    url: str
    versions: tuple[tuple[str, int], ...]
    objects: int
    tip: str | None
    was_queued: tuple[tuple[str, int], ...] = ()


def sync(
    store: GitShadowStore,
    mirror: Mirror,
    *,
    full: bool = False,
    lock_timeout: float = SYNC_LOCK_TIMEOUT,
) -> SyncResult:
    """Send what the mirror lacks of the store's history; raises MirrorError (after queueing
    the versions) when an upload fails, StoreLockedError when the store stays locked.

    ``full`` checks every object of the store's current versions and sends the whole history as
    one step, whatever was sent before: the repair for a mirror that lost objects.
    """
    private = store.private_dir(PRIVATE_DIR)
    with store.lock(lock_timeout, command="store sync"):
        pending = queue.load_pending(private)
        was_queued = pending.versions if pending and pending.target == mirror.target else ()
        head = store.head()
        if head is None:
            return SyncResult(mirror.url, (), 0, None, was_queued)
        base = queue.mirrored_tip(private, mirror.target)
        # Not an ancestor: this copy left the history it uploaded for another (`store pull
        # --rebase`, `--undo-rebase`), so the whole new one is sent, naming the one it left.
        replaced = base if base is not None and not store.contains(base, head) else None
        if full or replaced is not None:
            base = None
        if base == head:
            queue.clear_pending(private)
            return SyncResult(mirror.url, (), 0, head, was_queued)
        new_files = _new_files(store, base, head)
        versions = sorted({_version_of(path) for path in new_files})
        current = pending if pending and pending.target == mirror.target else None
        try:
            base_count: int | None = None
            if base is None:
                # A copy that never synced here (a CI runner's fresh clone of the store) goes
                # on from the newest step the mirror holds of its history, rather than sending
                # the whole history again, and checking every object of it, on every run.
                steps = listed_steps(mirror)
                mirrored = _mirrored_base(store, mirror, head, steps)
                if mirrored is not None and not full:
                    base, base_count = mirrored, step_counts(steps)[mirrored]
                    new_files = _new_files(store, base, head)
                count = count_past(store, steps, base, head)
            else:
                known = queue.mirrored_count(private, mirror.target)
                base_count = store.commit_count(base) if known is None else known
                count = base_count + store.commit_count(head) - store.commit_count(base)
            step = _Step(base, base_count, head, count, replaced)
            sent = 0 if base == head else _upload(store, mirror, step, new_files)
        except TfshadowError as exc:
            queued = (current or queue.Pending(mirror.target)).with_versions(versions, exc.message)
            queue.save_pending(private, queued)
            raise MirrorError(exc.message, hint=exc.hint) from exc
        except KeyboardInterrupt:
            # Queued like a failure: the next recording command then finishes the upload even
            # when it records nothing itself, and `store verify` names the versions.
            interrupted = "the upload was interrupted"
            queued = (current or queue.Pending(mirror.target)).with_versions(versions, interrupted)
            queue.save_pending(private, queued)
            raise
        queue.save_mirrored_tip(private, mirror.target, head, count)
        queue.clear_pending(private)
        sent_versions = tuple(sorted({_version_of(path) for path in new_files}))
        return SyncResult(mirror.url, sent_versions, sent, head, was_queued)


def _new_files(store: GitShadowStore, base: str | None, head: str) -> dict[str, str]:
    """Version files of ``head`` (path -> blob id) that ``base`` does not hold as they are."""
    now = store.version_files(head)
    before = store.version_files(base) if base is not None else {}
    return {path: oid for path, oid in now.items() if before.get(path) != oid}


def _version_of(path: str) -> tuple[str, int]:
    _, workspace, version, _ = path.split("/")
    return workspace, int(version)


@dataclass(frozen=True)
class _Step:
    """What a history step is to say besides its bundle (see :class:`HistoryStep`)."""

    base: str | None
    base_count: int | None
    head: str
    count: int
    replaces: str | None


def _upload(store: GitShadowStore, mirror: Mirror, to: _Step, new_files: dict[str, str]) -> int:
    mirror.check_ready()
    sent = 0
    base, head = to.base, to.head
    all_files = store.version_files(head)
    touched = {_version_of(path) for path in new_files}
    wanted = [oid for path, oid in all_files.items() if _version_of(path) in touched]
    blobs = store.read_blobs(wanted)
    stored = {oid: StoredFile(sha256_hex(data), len(data)) for oid, data in blobs.items()}
    for oid in dict.fromkeys(new_files.values()):
        sent += _put_once(mirror, object_key(stored[oid].sha256), blobs[oid], stored[oid].sha256)

    with tempfile.TemporaryDirectory(prefix="tfshadow-bundle-") as scratch:
        path = Path(scratch) / "history.bundle"
        store.write_bundle(path, head, base)
        bundle = path.read_bytes()
    bundle_sha = sha256_hex(bundle)
    sent += _put_once(mirror, object_key(bundle_sha), bundle, bundle_sha)

    for workspace, version in sorted(touched):
        prefix = f"workspaces/{workspace}/{version:06d}/"
        files = {
            path.removeprefix(prefix): stored[oid]
            for path, oid in all_files.items()
            if path.startswith(prefix)
        }
        key, data = manifest(workspace, version, files)
        sent += _put_once(mirror, key, data, sha256_hex(data))

    step = HistoryStep(
        tip=head,
        base=base,
        count=to.count,
        branch=store.branch,
        bundle_sha256=bundle_sha,
        bundle_size=len(bundle),
        base_count=to.base_count,
        copy=queue.copy_name(store.private_dir(PRIVATE_DIR)),
        replaces=to.replaces,
        versions=tuple(sorted(touched)),
    )
    data = step.dumps()
    return sent + _put_once(mirror, step.key, data, sha256_hex(data))


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
    """The count of the step to each commit of ``steps`` (:func:`listed_steps`)."""
    return {tip: count for count, tip, _ in steps}


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
    (None: the mirror holds none, or that step or its bundle is not sound). MirrorError when
    it holds steps and none is this store's: another store mirrors there (two configurations
    given the same bucket and prefix), and a restore, which follows the step with the most
    commits, could bring back either store. ``steps``: :func:`listed_steps`."""
    for _count, tip, key in steps:
        if store.contains(tip, head):
            # New steps are based on it: a step or bundle altered or lost since would break
            # the chain a restore follows, so the whole history is sent again instead.
            return tip if _sound_step(mirror, key, tip) else None
    if not steps:
        return None
    raise MirrorError(
        f"{mirror.url} holds the history of another shadow store ({len(steps)} step(s), none of "
        "them in this store's history)",
        hint="give each configuration's mirror a prefix of its own in tfshadow.hcl",
    )


def _sound_step(mirror: Mirror, key: str, tip: str) -> bool:
    """Whether the history step at ``key`` is one to ``tip`` and its bundle is in the mirror
    as it names it."""
    try:
        step = HistoryStep.loads(mirror.get_first(key))
    except ValueError:
        return False
    return (
        step.tip == tip and mirror.state(object_key(step.bundle_sha256), step.bundle_sha256) == "ok"
    )


def _put_once(mirror: Mirror, key: str, data: bytes, sha256: str) -> int:
    """Upload unless the key already holds this content (1 when uploaded)."""
    if mirror.state(key, sha256, len(data)) == "ok":
        return 0
    mirror.put(key, data)
    return 1


def pending_versions(store: GitShadowStore, mirror: Mirror) -> tuple[tuple[str, int], ...]:
    """Versions queued for ``mirror`` after a failed upload."""
    pending = queue.load_pending(store.private_dir(PRIVATE_DIR))
    return pending.versions if pending and pending.target == mirror.target else ()
