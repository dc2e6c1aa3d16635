"""What the mirror still lacks, kept in the store's private directory (never committed).

``mirrored.json``  the last commit whose history the mirror holds, and which mirror that is
``queue.json``     versions recorded locally whose upload failed, with the last error: only
                   those whose files the mirror still lacks (a cut upload leaves the ones it
                   finished out, so that the next sync's report names what it then uploads)
``copy.json``      the name this copy of the store gives the history steps it uploads

Both are written whole (a temporary file renamed over the old one), so an interruption leaves
the previous content. The queue is informative: what to upload is always worked out from git
(everything after the mirrored commit), so a lost queue loses nothing.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tfshadow.atomic_write import replace_file

MIRRORED = "mirrored.json"
QUEUE = "queue.json"
COPY = "copy.json"


@dataclass(frozen=True)
class Pending:
    """Versions waiting for an upload to ``target`` (see :attr:`Mirror.target`)."""

    target: str
    versions: tuple[tuple[str, int], ...] = ()
    error: str = ""
    queued_at: str = field(default_factory=lambda: _now())

    def lacking(self, versions: list[tuple[str, int]], error: str) -> Pending:
        """The queue after a failed sync: ``versions`` are all the mirror still lacks, as the
        sync worked them out from git (the versions queued before included), so they replace
        the queued ones; the first failure's time is kept."""
        return Pending(self.target, tuple(sorted(set(versions))), error, self.queued_at)


def load_pending(directory: Path) -> Pending | None:
    doc = _read(directory / QUEUE)
    if doc is None:
        return None
    try:
        return Pending(
            target=str(doc["target"]),
            versions=tuple((str(ws), int(n)) for ws, n in doc["versions"]),
            error=str(doc.get("error", "")),
            queued_at=str(doc.get("queued_at", "")),
        )
    except (KeyError, TypeError, ValueError):
        return Pending(target="", error="the queue file was unreadable")


def save_pending(directory: Path, pending: Pending) -> None:
    _write(
        directory / QUEUE,
        {
            "target": pending.target,
            "versions": [list(v) for v in pending.versions],
            "error": pending.error,
            "queued_at": pending.queued_at,
        },
    )


def clear_pending(directory: Path) -> None:
    (directory / QUEUE).unlink(missing_ok=True)


def mirrored_tip(directory: Path, target: str) -> str | None:
    """The newest commit mirrored to ``target``, None when unknown."""
    doc = _read(directory / MIRRORED)
    if doc is None or doc.get("target") != target or not isinstance(doc.get("tip"), str):
        return None
    return str(doc["tip"])


def mirrored_count(directory: Path, target: str) -> int | None:
    """The count of the history step of the newest commit mirrored to ``target`` (more than
    its commits after a rewritten history: see :mod:`tfshadow.mirror.sync`), None when
    unknown (the commit's count then)."""
    doc = _read(directory / MIRRORED)
    if doc is None or doc.get("target") != target:
        return None
    count = doc.get("count")
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def save_mirrored_tip(directory: Path, target: str, tip: str, count: int | None = None) -> None:
    doc: dict[str, Any] = {"target": target, "tip": tip, "at": _now()}
    if count is not None:
        doc["count"] = count
    _write(directory / MIRRORED, doc)


def own_copy(directory: Path) -> str | None:
    """The name this copy of the store uploads its history steps under, None before its first
    upload. Kept beside the store's git data, never committed: a clone or a restored store is
    another copy, which names itself."""
    doc = _read(directory / COPY)
    name = None if doc is None else doc.get("copy")
    return name if isinstance(name, str) and name else None


def copy_name(directory: Path) -> str:
    """:func:`own_copy`, made on first use: random, so two copies never share one."""
    name = own_copy(directory)
    if name is None:
        name = secrets.token_hex(8)
        _write(directory / COPY, {"copy": name})
    return name


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _read(path: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _write(path: Path, doc: dict[str, Any]) -> None:
    replace_file(path, json.dumps(doc, indent=2, sort_keys=True) + "\n")
