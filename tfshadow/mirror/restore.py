"""Rebuild a shadow store, git history included, from its mirror alone.

The newest history step (the one with the highest count: the most commits, or the history that
`store pull --rebase` rewrote) is followed back, base by base, to the first; their bundles, each
checked against its SHA-256, are fetched into a new repository in that order, and the store is
opened (which checks its layout) and every version's meta read (which checks every meta file
against git). Version files are not needed: the bundles hold them.

Two newest steps of one count are two copies of the store that recorded apart and were never
joined, both uploading: each history holds versions the other lacks, and no rule can tell which
the user wants back (a key's order would pick one silently), so the restore is refused, naming
both, until the user picks one by its commit (``tip``).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from tfshadow.errors import MirrorError, UsageError
from tfshadow.mirror import queue
from tfshadow.mirror.base import HISTORY, HistoryStep, Mirror, object_key, parse_history_key
from tfshadow.mirror.sync import PRIVATE_DIR
from tfshadow.store import GitShadowStore, StoreConfig


@dataclass(frozen=True)
class RestoreResult:
    url: str
    root: Path
    tip: str
    steps: int
    versions: dict[str, int]  # workspace -> how many versions it keeps


def restore(config: StoreConfig, mirror: Mirror, tip: str | None = None) -> RestoreResult:
    """Create the store ``config`` describes from ``mirror`` (which must hold a history);
    ``tip``: the commit (or the start of it) of the step to restore the history up to,
    instead of the newest."""
    chain = history_chain(mirror, tip)
    with tempfile.TemporaryDirectory(prefix="tfshadow-restore-") as scratch:
        bundles = []
        for index, step in enumerate(chain):
            path = Path(scratch) / f"{index:06d}.bundle"
            path.write_bytes(mirror.get(object_key(step.bundle_sha256), step.bundle_sha256))
            bundles.append(path)
        store = GitShadowStore.from_bundles(config, bundles, chain[-1].branch)
    versions = {ws: len(store.versions(ws)) for ws in store.workspaces()}
    queue.save_mirrored_tip(
        store.private_dir(PRIVATE_DIR), mirror.target, chain[-1].tip, chain[-1].count
    )
    return RestoreResult(mirror.url, store.root, chain[-1].tip, len(chain), versions)


def history_chain(mirror: Mirror, chosen: str | None = None) -> list[HistoryStep]:
    """The history steps from the first to the newest (to the one whose commit starts with
    ``chosen``, when given); MirrorError if there are none or a link is missing, UsageError
    when two newest steps have one count and none was chosen (see the module docstring)."""
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
                hint="the mirror is incomplete: sync it from a store that still has the history",
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
    return chain


def _newest(mirror: Mirror, steps: dict[str, tuple[int, str]]) -> str:
    highest = max(count for count, _ in steps.values())
    newest = sorted(t for t, (count, _) in steps.items() if count == highest)
    if len(newest) > 1:
        shown = ", ".join(t[:12] for t in newest[:-1]) + f" and {newest[-1][:12]}"
        raise UsageError(
            f"{mirror.url} holds {len(newest)} histories of the store that parted and were "
            f"never joined, of one length (history steps of count {highest} to commits "
            f"{shown})",
            hint="choose one with `tfshadow store restore --tip COMMIT` (restore each into an "
            "empty directory to compare their `tfshadow log`; the other stays in the mirror)",
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
