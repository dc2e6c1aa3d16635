"""Directories a killed tfshadow process left behind: each is named ``<prefix><pid>-…`` by the
process that made it, and removed by a later one once that process is gone. They may hold
secrets in plain text (a version's configuration filled back in, a captured `state pull`)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["pid_alive", "remove_left_by_the_dead"]


def remove_left_by_the_dead(
    directory: Path, prefixes: Sequence[str], remove: Callable[[Path], None]
) -> None:
    """``remove`` each of this user's directories in ``directory`` named by one of ``prefixes``
    and the pid of a process that no longer runs."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        prefix = next((p for p in prefixes if name.startswith(p)), None)
        pid = name[len(prefix) :].partition("-")[0] if prefix else ""
        if not (pid.isascii() and pid.isdigit()) or pid_alive(int(pid)):
            continue
        path = directory / name
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink() and path.stat().st_uid == os.getuid():
                remove(path)


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` runs (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
