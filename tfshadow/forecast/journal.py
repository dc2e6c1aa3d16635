"""The recommendation log: one JSON object per line, each a ``Recommendation.to_json()``.

Each :func:`append` writes its whole batch on a file opened for appending, under an exclusive
``flock`` on it (a batch larger than one ``write`` takes, and the check for a torn last line
before it, must not interleave with another analysis' batch), then syncs it; a crash loses at
most the batch being written. A torn last line (a crash mid-write, a full disk) is left where
it is: :func:`read` skips lines it cannot parse and says how many.

Values are written exactly as the recommendation holds them. A recommendation holds nothing
secret, but should a seal string (``tfshadow:sensitive:v1:…``) reach one, it is logged as that
seal: this module never opens seals.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tfshadow.forecast.results import Recommendation
from tfshadow.moments import parse_stamp

# A logged timestamp is read as any tfshadow writes.
parse_time = parse_stamp

__all__ = ["append", "read"]

_MODE = 0o600


def append(path: Path, recommendations: Iterable[Recommendation]) -> None:
    """Add one line per recommendation to the log at ``path`` (created with mode 0600, and its
    parent directories too). Raises OSError when the file cannot be written."""
    lines = [_dumps(rec.to_json()) for rec in recommendations]
    if not lines:
        return
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, _MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # released when the descriptor is closed
        # The log predates this write or was created under a wider umask: keep it private.
        os.fchmod(fd, _MODE)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            # A torn last line must not swallow the first record of this batch.
            data = b"\n" + data
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    if size == 0:
        _sync_dir(path.parent)


def read(path: Path, *, since: datetime | None = None) -> tuple[list[dict[str, Any]], int]:
    """The logged records, oldest first, and how many lines were skipped as corrupt.

    A missing log reads as empty. With ``since``, only records created at or after it are kept
    (a record without ``created`` is dated by the end of its window; one with neither is left
    out); ``since`` without a timezone is taken as UTC.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return [], 0
    floor = _utc(since) if since is not None else None
    records: list[dict[str, Any]] = []
    skipped = 0
    for line in raw.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            skipped += 1
            continue
        if not isinstance(record, dict):
            skipped += 1
            continue
        if floor is not None:
            moment = created_at(record)
            if moment is None or moment < floor:
                continue
        records.append(record)
    return records, skipped


def _dumps(record: dict[str, Any]) -> str:
    # Strict JSON (no NaN): other tools read this log too.
    return json.dumps(_finite(record), ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _sync_dir(directory: Path) -> None:
    # The new file's directory entry must be durable too, or a crash can lose the whole log.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def created_at(record: Mapping[str, Any]) -> datetime | None:
    """When a logged recommendation was made (``created``, else its window's end), in UTC."""
    stamp = record.get("created")
    if not isinstance(stamp, str):
        window = record.get("window")
        stamp = window.get("end") if isinstance(window, dict) else None
    return parse_stamp(stamp)


def in_workspace(record: Mapping[str, Any], workspace: str) -> bool:
    """Whether a logged recommendation belongs to ``workspace`` (by its suspect; one without a
    suspect belongs to every workspace)."""
    suspect = record.get("suspect")
    if not isinstance(suspect, dict) or not isinstance(suspect.get("workspace"), str):
        return True
    return bool(suspect["workspace"] == workspace)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
