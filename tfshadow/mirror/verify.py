"""Compare the store with its mirror: every version file, manifest and history step of the
store's current commit must be in the mirror with the content its key or manifest names, and no
other copy's history may have parted from the store's there (two copies of the store upload to
the mirror, each history holding versions the other lacks: a restore then refuses to pick one,
see :mod:`tfshadow.mirror.histories`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from tfshadow.errors import MirrorError
from tfshadow.mirror import queue
from tfshadow.mirror.base import (
    HistoryStep,
    Mirror,
    ObjectState,
    StoredFile,
    history_key,
    manifest,
    object_key,
    sha256_hex,
)
from tfshadow.mirror.histories import parted, read_steps
from tfshadow.mirror.restore import history_holding
from tfshadow.mirror.sync import (
    PRIVATE_DIR,
    SYNC_LOCK_TIMEOUT,
    Plan,
    count_past,
    listed_steps,
    plan_sync,
)
from tfshadow.store import GitShadowStore


@dataclass(frozen=True)
class Finding:
    """One thing the mirror lacks (``missing``) or holds with other content (``altered``),
    or another copy's history that parted from the store's (``parted``, its newest step): its
    key in the mirror, and what of the store it stands for; ``commit``: the commit of the
    history step it is (or whose bundle it is), for a step of the store's own history."""

    problem: Literal["missing", "altered", "parted"]
    key: str
    what: str
    commit: str | None = None


Repair = Literal["sync", "sync --full"]


@dataclass(frozen=True)
class VerifyReport:
    url: str
    head: str | None
    checked: int
    findings: tuple[Finding, ...]
    queued: tuple[tuple[str, int], ...] = ()
    # The least `tfshadow store` command that uploads what is missing or altered (None:
    # nothing is): a plain sync when every such object is one it sends.
    repair: Repair | None = None
    # The store holds part of a join (a rebase that stopped and could not put it back): no
    # sync uploads it until `store pull --undo-rebase`.
    half_joined: bool = False

    @property
    def ok(self) -> bool:
        return not self.findings


def verify(
    store: GitShadowStore, mirror: Mirror, *, lock_timeout: float = SYNC_LOCK_TIMEOUT
) -> VerifyReport:
    """Check every object the store's current commit needs in the mirror (see module doc)."""
    with store.lock(lock_timeout, command="store verify"):
        pending = queue.load_pending(store.private_dir(PRIVATE_DIR))
        queued = pending.versions if pending and pending.target == mirror.target else ()
        head = store.head()
        if head is None:
            return VerifyReport(mirror.url, None, 0, (), queued)
        files = store.version_files(head)
        blobs = store.read_blobs(list(files.values()))
        findings: list[Finding] = []
        checked: dict[str, ObjectState] = {}  # key -> its state, so shared content is checked once

        def check(key: str, sha256: str, what: str, commit: str | None = None) -> None:
            if key not in checked:
                checked[key] = mirror.state(key, sha256)
            state = checked[key]
            if state == "missing" or state == "altered":
                findings.append(Finding(state, key, what, commit))

        versions: dict[tuple[str, int], dict[str, StoredFile]] = {}
        for path, oid in sorted(files.items()):
            data = blobs[oid]
            stored = StoredFile(sha256_hex(data), len(data))
            check(object_key(stored.sha256), stored.sha256, path)
            _, workspace, version_name, name = path.split("/")
            versions.setdefault((workspace, int(version_name)), {})[name] = stored
        for (workspace, number), version_files in sorted(versions.items()):
            key, data = manifest(workspace, number, version_files)
            check(key, sha256_hex(data), f"the manifest of version {number} of {workspace}")
        findings.extend(_check_history(mirror, store, head, check))
        if any(f.commit is not None for f in findings) and (
            history_holding(store, mirror, head, listed_steps(mirror)) is not None
        ):
            # The store's own steps are not sound, but a newer history in the mirror (one
            # this copy has not pulled) holds its history, as a restore brings it back.
            findings = [f for f in findings if f.commit is None]
        plain = _plain_sync_keys(store, mirror, head, blobs, versions)
        half_joined = store.half_joined() is not None
        repair = None if half_joined else _repair(store, findings, plain)
        return VerifyReport(
            mirror.url, head, len(checked), tuple(findings), queued, repair, half_joined
        )


def _plain_sync_keys(
    store: GitShadowStore,
    mirror: Mirror,
    head: str,
    blobs: dict[str, bytes],
    versions: dict[tuple[str, int], dict[str, StoredFile]],
) -> tuple[Plan, set[str]] | None:
    """What a plain `tfshadow store sync` would send (:func:`plan_sync`): its plan and the
    keys of the objects and manifests it checks; None when it could not send anything (the
    mirror holds another store's history: sync names the problem)."""
    try:
        plan = plan_sync(store, mirror, head)
    except MirrorError:
        return None
    keys = {object_key(sha256_hex(blobs[oid])) for oid in plan.files.values()}
    keys |= {manifest(ws, n, versions[ws, n])[0] for ws, n in plan.versions}
    return plan, keys


def _repair(
    store: GitShadowStore, findings: list[Finding], plain: tuple[Plan, set[str]] | None
) -> Repair | None:
    """The least sync that uploads what ``findings`` name missing or altered: a plain one
    when it sends every one of them (the versions and history after the commit it last
    mirrored), `--full` otherwise (what was sent before and got lost or altered since)."""
    lacking = [f for f in findings if f.problem != "parted"]
    if not lacking:
        return None
    if plain is None:
        return "sync --full"
    plan, keys = plain

    def sent(finding: Finding) -> bool:
        if finding.commit is None:
            return finding.key in keys
        # The step a plain sync sends goes from its base: steps up to the base stay as they are.
        return plan.sends_step and (
            plan.base is None or not store.contains(finding.commit, plan.base)
        )

    return "sync" if all(sent(f) for f in lacking) else "sync --full"


def _check_history(
    mirror: Mirror,
    store: GitShadowStore,
    head: str,
    check: Callable[[str, str, str, str | None], None],
) -> list[Finding]:
    """Findings on the chain of history steps from ``head`` back to the first, and on the
    histories that parted from it; ``check`` reports on each step's bundle."""
    listed = listed_steps(mirror)
    # Two steps to one commit (`sync --full` sent the history again beside a step whose
    # bundle was lost): the one with the highest count, as a restore follows it.
    steps = {tip: key for _, tip, key in reversed(listed)}
    findings: list[Finding] = []
    ours: list[HistoryStep] = []
    tip: str | None = head
    newer: HistoryStep | None = None  # the sound step whose base ``tip`` is
    while tip is not None:
        key = steps.get(tip)
        if key is None:
            count = _missing_count(mirror, store, listed, head, tip, newer)
            findings.append(
                Finding("missing", history_key(count, tip), f"the history up to {tip[:12]}", tip)
            )
            tip, newer = _older_step(store, steps, tip), None
            continue
        data = mirror.get(key)  # listed just now: a failure here is the network's, not data's
        try:
            step: HistoryStep | None = HistoryStep.loads(data)
        except ValueError:
            step = None
        if step is None or step.tip != tip:
            findings.append(Finding("altered", key, f"the history step to {tip[:12]}", tip))
            # Its base cannot be trusted: the walk goes on from the newest step before it.
            tip, newer = _older_step(store, steps, tip), None
            continue
        what = f"the history to {tip[:12]}"
        check(object_key(step.bundle_sha256), step.bundle_sha256, what, tip)
        ours.append(step)
        tip, newer = step.base, step
    walked = {step.tip for step in ours}
    rest = [key for _, tip, key in listed if tip not in walked]
    own = queue.own_copy(store.private_dir(PRIVATE_DIR))
    for other in parted(read_steps(mirror, rest), lambda t: store.contains(t, head), ours):
        if other.parted_at == head:
            continue  # it goes on from this store's history: `tfshadow store pull` takes it
        by = "this copy" if own is not None and other.copy == own else "another copy"
        where = (
            f"parted from this store's at {other.parted_at[:12]}"
            if other.parted_at
            else "sharing no history step with this store's"
        )
        what = f"the history to {other.tip[:12]} that {by} of the store uploaded, {where}"
        findings.append(Finding("parted", other.key, f"{what}: its {other.brought()}"))
    return findings


def _missing_count(
    mirror: Mirror,
    store: GitShadowStore,
    listed: list[tuple[int, str, str]],
    head: str,
    tip: str,
    newer: HistoryStep | None,
) -> int:
    """The count in the key of the missing step to ``tip``, as sync counts steps: after
    `store pull --rebase` rewrote the history, its steps count past the history it replaced,
    more than their commits (see :mod:`tfshadow.mirror.sync`), so the commits alone would name
    another key. ``newer``: the step found to go on from ``tip``, if any, which names that
    count (but for steps uploaded before steps named it, where the count is worked out)."""
    commits = store.commit_count(tip)
    if tip == head:
        # The step sync wrote, or will write, from the newest commit it mirrored.
        private = store.private_dir(PRIVATE_DIR)
        mirrored = queue.mirrored_tip(private, mirror.target)
        if mirrored is not None and store.contains(mirrored, head):
            known = queue.mirrored_count(private, mirror.target)
            return commits + (0 if known is None else known - store.commit_count(mirrored))
    elif newer is not None and newer.base_count is not None:
        return newer.base_count  # the step that goes on from it names its count
    elif newer is not None and not _parted_at(store, listed, tip, newer.tip):
        # A step goes on counting from its base's.
        return newer.count - (store.commit_count(newer.tip) - commits)
    # As sync counts a step that goes on from the newest step before it: past every step
    # listed of the history it replaced (not past the steps that went on from it since).
    before = [s for s in listed if not (s[1] != tip and store.contains(tip, s[1]))]
    older = _older_step(store, {t: k for _, t, k in before}, tip)
    return count_past(store, before, older, tip)


def _parted_at(
    store: GitShadowStore, listed: list[tuple[int, str, str]], tip: str, newer: str
) -> bool:
    """Whether a listed history parted from ``newer``'s at ``tip``: the step after ``tip``
    may then be the first of a rewritten history, counted past the other."""
    return any(
        t not in (tip, newer)
        and store.contains(tip, t)
        and not store.contains(t, newer)
        and not store.contains(newer, t)
        for _, t, _ in listed
    )


def _older_step(store: GitShadowStore, steps: dict[str, str], tip: str) -> str | None:
    """The tip of the newest step the mirror lists before ``tip`` in the store's history."""
    older = [t for t in steps if t != tip and store.contains(t, tip)]
    return max(older, key=store.commit_count) if older else None
