"""The latest version's documents per workspace, kept outside the tree.

Rebuilding the newest version of a long history means parsing a keyframe and patching up to
``keyframe_interval - 1`` deltas, each checked by hash (seconds at 10,000 instances); this file lets
reading the latest version and recording the next one skip that. It is only trusted when its
content hashes to the version's recorded ``state_sha256`` / ``config_sha256``.

File layout: one JSON header line, then the canonical state bytes, a newline, the canonical config
bytes (canonical JSON never contains a raw newline).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from tfshadow.atomic_write import replace_file

_FORMAT = 1


@dataclass(frozen=True)
class CachedDocuments:
    version: int
    state_sha256: str
    config_sha256: str
    state: bytes
    config: bytes


def _path(directory: Path, workspace: str) -> Path:
    return directory / f"{workspace}.latest"


def load(directory: Path, workspace: str, version: int) -> CachedDocuments | None:
    """The cached documents of ``version``, if the cache holds exactly that version intact."""
    try:
        data = _path(directory, workspace).read_bytes()
    except OSError:
        return None
    parts = data.split(b"\n", 2)
    if len(parts) != 3:
        return None
    try:
        header = json.loads(parts[0])
        cached = CachedDocuments(
            version=int(header["version"]),
            state_sha256=str(header["state_sha256"]),
            config_sha256=str(header["config_sha256"]),
            state=parts[1],
            config=parts[2],
        )
        if header["format"] != _FORMAT:
            return None
    except (ValueError, KeyError, TypeError):
        return None
    if (
        cached.version != version
        or hashlib.sha256(cached.state).hexdigest() != cached.state_sha256
        or hashlib.sha256(cached.config).hexdigest() != cached.config_sha256
    ):
        return None
    return cached


def save(directory: Path, workspace: str, cached: CachedDocuments) -> None:
    """Replace the workspace's cache atomically; a failure only costs speed, so it is ignored."""
    header = {
        "format": _FORMAT,
        "version": cached.version,
        "state_sha256": cached.state_sha256,
        "config_sha256": cached.config_sha256,
    }
    target = _path(directory, workspace)
    data = b"".join((json.dumps(header).encode(), b"\n", cached.state, b"\n", cached.config))
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # A cache torn by a power loss fails its hash check and is rebuilt from the store.
        replace_file(target, data, durable=False)
    except OSError:
        pass


def drop(directory: Path, workspace: str) -> None:
    _path(directory, workspace).unlink(missing_ok=True)
