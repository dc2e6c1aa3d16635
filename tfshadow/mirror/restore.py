"""Rebuild a shadow store, git history included, from its mirror alone.

The newest history step (the one with the most commits) is followed back, base by base, to the
first; their bundles, each checked against its SHA-256, are fetched into a new repository in
that order, and the store is opened (which checks its layout) and every version's meta read
(which checks every meta file against git). Version files are not needed: the bundles hold them.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from tfshadow.errors import MirrorError
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


def restore(config: StoreConfig, mirror: Mirror) -> RestoreResult:
    """Create the store ``config`` describes from ``mirror`` (which must hold a history)."""
    chain = history_chain(mirror)
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


def history_chain(mirror: Mirror) -> list[HistoryStep]:
    """The history steps from the first to the newest; MirrorError if there are none or a link
    is missing."""
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
    tip: str | None = max(steps, key=lambda t: steps[t][0])
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
