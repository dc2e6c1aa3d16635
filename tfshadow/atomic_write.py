"""Rewriting a file whole or not at all: the one way tfshadow replaces a file it owns or writes
for the user (checked-out configuration, reports, registries, its own bookkeeping)."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

__all__ = ["replace_file"]


def replace_file(
    path: Path, data: bytes | str, *, mode: int | None = None, durable: bool = True
) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8, newlines untouched).

    A reader sees the old file or the new one, never half of one. ``mode`` defaults to the mode
    of the file replaced, or to what a plain ``open(path, "w")`` gives (0o666 less the umask).
    ``durable`` flushes the data before the rename and the directory after it: without that, a
    power loss soon after can leave an empty file where either version was whole (a rename
    may reach the disk before the data it names). Caches that can be rebuilt skip it.
    Raises OSError; no temporary file is left behind.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if mode is None:
        with contextlib.suppress(FileNotFoundError):
            mode = path.stat().st_mode & 0o7777
    temp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    # Created the way open() creates a file, so the umask applies without being read (reading
    # it means setting it, which races with other threads creating files).
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    if durable:
        _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        # Some file systems refuse fsync on a directory; the rename is then as durable as
        # they make it, and the data itself was already flushed.
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
