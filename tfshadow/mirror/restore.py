"""Rebuild a shadow store, git history included, from its mirror alone.

The newest history step (the one with the highest count: the most commits, or the history that
`store pull --rebase` rewrote) is followed back, base by base, to the first; their bundles, each
checked against its SHA-256, are fetched into a new repository in that order, and the store is
opened (which checks its layout) and every version's meta read (which checks every meta file
against git). Version files are not needed: the bundles hold them.

Where two copies of the store recorded apart and both uploaded (their histories parted and were
never joined), each history holds versions the other lacks: no rule can tell which the user
wants back (two newest steps of one count would be picked by their keys' order, and the
highest count is only the longer history), so the restore is refused, naming the histories and
the versions each would leave out, until the user picks one by its commit (``tip``). A history
restored so says what it leaves out. A history the copy that uploaded it replaced itself is not
named (see :mod:`tfshadow.mirror.histories`).
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tfshadow.errors import MirrorError, StoreError, UsageError
from tfshadow.mirror import queue
from tfshadow.mirror.base import HISTORY, HistoryStep, Mirror, object_key, parse_history_key
from tfshadow.mirror.histories import CHOOSE_HINT, OtherHistory, parted, read_steps
from tfshadow.mirror.sync import PRIVATE_DIR
from tfshadow.store import GitShadowStore, StoreConfig


@dataclass(frozen=True)
class RestoreResult:
    url: str
    root: Path
    tip: str
    steps: int
    versions: dict[str, int]  # workspace -> how many versions it keeps
    left_out: tuple[OtherHistory, ...] = ()  # histories that parted from it, or go on from it
    copy: str | None = None  # the copy that uploaded the step restored


def restore(config: StoreConfig, mirror: Mirror, tip: str | None = None) -> RestoreResult:
    """Create the store ``config`` describes from ``mirror`` (which must hold a history);
    ``tip``: the commit (or the start of it) of the step to restore the history up to,
    instead of the newest."""
    chain, rest = history_chain(mirror, tip)
    others = read_steps(mirror, rest)
    with tempfile.TemporaryDirectory(prefix="tfshadow-restore-") as scratch:
        bundles = _download(mirror, chain, Path(scratch))
        # Held by the history restored, not only by its steps' tips: a step that `sync --full`
        # sent from the first commit (another copy's, once a bundle was lost) holds the
        # commits of the steps it took the place of, which parted from nothing.
        commits = {s.tip for s in others.values()} | {s.base for s in others.values() if s.base}
        held = {step.tip for step in chain} | GitShadowStore.held_by_bundles(
            bundles, commits, Path(scratch) / "history"
        )
        left_out = parted(others, held.__contains__, chain)
        if tip is None and left_out:
            raise UsageError(
                f"{mirror.url} holds histories of the store that parted and were never joined: "
                f"the newest, to commit {chain[-1].tip[:12]}, lacks "
                + "; ".join(_what_it_lacks(other, chain[-1]) for other in left_out),
                hint=CHOOSE_HINT,
            )
        store = GitShadowStore.from_bundles(config, bundles, chain[-1].branch)
    versions = {ws: len(store.versions(ws)) for ws in store.workspaces()}
    queue.save_mirrored_tip(
        store.private_dir(PRIVATE_DIR), mirror.target, chain[-1].tip, chain[-1].count
    )
    newest = chain[-1]
    return RestoreResult(
        mirror.url, store.root, newest.tip, len(chain), versions, tuple(left_out), newest.copy
    )


def _download(mirror: Mirror, chain: list[HistoryStep], scratch: Path) -> list[Path]:
    """The bundles of ``chain``, in its order, each checked against its SHA-256."""
    bundles = []
    for index, step in enumerate(chain):
        path = scratch / f"{index:06d}.bundle"
        path.write_bytes(mirror.get(object_key(step.bundle_sha256), step.bundle_sha256))
        bundles.append(path)
    return bundles


def history_holding(
    store: GitShadowStore, mirror: Mirror, head: str, steps: list[tuple[int, str, str]]
) -> str | None:
    """The commit of a history in the mirror that goes on past the store's (another copy
    uploaded it; this copy has not pulled it yet) and holds ``head``, its steps sound down to
    the first: the mirror then holds the store's history whatever became of the steps this
    copy uploaded, and a restore brings it back. None: there is none. ``steps``: the
    mirror's, the highest count first (:func:`tfshadow.mirror.sync.listed_steps`).

    Its bundles are fetched into a scratch repository to tell (the store lacks its commits),
    so this is for when the store's own steps are not sound: `store verify` and `sync --full`
    then neither report them nor send the history again beside it (a step counted past it,
    which a restore would take for the newest, or call parted)."""
    bases = set()
    for _count, _tip, key in steps:
        with contextlib.suppress(ValueError, MirrorError):
            bases.add(HistoryStep.loads(mirror.get_first(key)).base)
    for _count, tip, _key in steps:
        if tip in bases or store.contains(tip, head):
            continue  # not the end of a history, or one of the store's own
        try:
            chain, _ = history_chain(mirror, tip)
            with tempfile.TemporaryDirectory(prefix="tfshadow-history-") as scratch:
                bundles = _download(mirror, chain, Path(scratch))
                if GitShadowStore.held_by_bundles(bundles, [head], Path(scratch) / "history"):
                    return tip
        except (MirrorError, UsageError, StoreError):
            continue  # not sound, or not a history of this store: it holds nothing here
    return None


def _what_it_lacks(other: OtherHistory, newest: HistoryStep) -> str:
    by = " that another copy of the store uploaded" if other.copy != newest.copy else ""
    since = f"since they parted at {other.parted_at[:12]}" if other.parted_at else "of its own"
    return f"the history to commit {other.tip[:12]}{by} ({other.brought()} {since})"


def history_chain(mirror: Mirror, chosen: str | None = None) -> tuple[list[HistoryStep], list[str]]:
    """The history steps from the first to the newest (to the one whose commit starts with
    ``chosen``, when given), and the keys of the steps not in it; MirrorError if there are none
    or a link is missing, UsageError when two newest steps have one count and none was chosen
    (see the module docstring)."""
    steps: dict[str, tuple[int, str]] = {}
    for key in mirror.list_keys(f"{HISTORY}/"):
        parsed = parse_history_key(key)
        if parsed is not None:
            steps[parsed[1]] = (parsed[0], key)
    if not steps:
        raise MirrorError(
            f"{mirror.url} holds no shadow store history",
            hint="check the address (s3://BUCKET/PREFIX) and --endpoint",
        )
    tip: str | None = _newest(mirror, steps) if chosen is None else _chosen(mirror, steps, chosen)
    chain: list[HistoryStep] = []
    while tip is not None:
        if tip not in steps:
            raise MirrorError(
                f"{mirror.url} lacks the history step to commit {tip[:12]}",
                hint="the mirror is incomplete: run `tfshadow store sync --full` in a copy of the "
                "store that still has the history (a plain sync sends only what is newer than "
                "its last upload)",
            )
        key = steps.pop(tip)[1]
        try:
            # No checksum names a history step: read the original, not a later overwrite.
            step = HistoryStep.loads(mirror.get_first(key))
        except ValueError as exc:
            raise MirrorError(
                f"{key} in {mirror.url} is not a history step: {exc}",
                hint="the mirror has been altered: restore the object from a backup",
            ) from None
        if step.tip != tip:
            raise MirrorError(
                f"{key} in {mirror.url} names commit {step.tip[:12]}, not {tip[:12]}",
                hint="the mirror has been altered: restore the object from a backup",
            )
        chain.append(step)
        tip = step.base
    chain.reverse()
    return chain, [key for _, key in steps.values()]


def _newest(mirror: Mirror, steps: dict[str, tuple[int, str]]) -> str:
    highest = max(count for count, _ in steps.values())
    newest = sorted(t for t, (count, _) in steps.items() if count == highest)
    if len(newest) > 1:
        shown = ", ".join(t[:12] for t in newest[:-1]) + f" and {newest[-1][:12]}"
        raise UsageError(
            f"{mirror.url} holds {len(newest)} histories of the store that parted and were "
            f"never joined, of one length (history steps of count {highest} to commits "
            f"{shown})",
            hint=CHOOSE_HINT,
        )
    return newest[0]


def _chosen(mirror: Mirror, steps: dict[str, tuple[int, str]], chosen: str) -> str:
    wanted = chosen.strip().lower()
    found = sorted(t for t in steps if wanted and t.startswith(wanted))
    if len(found) == 1:
        return found[0]
    if found:
        raise UsageError(
            f"--tip {chosen} starts the commits of {len(found)} history steps in {mirror.url}",
            hint="give more of the commit",
        )
    raise UsageError(
        f"no history step in {mirror.url} goes to commit {chosen}",
        hint="give the commit of a step's key (history/<count>-<commit>.json), as a refused "
        "restore names it",
    )
