"""SQLite database files with settings Terraform manages: journal mode and cache size.

Only the WAL journal mode is stored in the database file by SQLite itself; every other mode, and
the cache size, last only as long as one connection. So both settings are also kept in a small
table inside the database::

    CREATE TABLE settings (key TEXT PRIMARY KEY, value NOT NULL)
    -- rows: ('journal_mode', 'wal'), ('cache_size', -2000)

An application that wants the managed settings applies them on each connection it opens::

    conn = sqlite3.connect(path)
    for key, value in conn.execute("SELECT key, value FROM settings"):
        conn.execute(f"PRAGMA {key} = {value}")

Terraform reads the journal mode back from the file itself when the file is in WAL mode, so a
database switched in or out of WAL outside Terraform shows as drift.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

JOURNAL_MODES = ("delete", "truncate", "persist", "memory", "wal", "off")
DEFAULT_JOURNAL_MODE = "delete"
DEFAULT_CACHE_SIZE = -2000
# Files SQLite may keep next to the database.
COMPANION_SUFFIXES = ("-wal", "-shm", "-journal")


class DatastoreError(Exception):
    """A database file could not be created, changed or read."""


@dataclass(frozen=True)
class Settings:
    """The managed settings of one database."""

    journal_mode: str = DEFAULT_JOURNAL_MODE
    cache_size: int = DEFAULT_CACHE_SIZE


@contextlib.contextmanager
def _connect(path: Path, *, create: bool) -> Iterator[sqlite3.Connection]:
    mode = "rwc" if create else "rw"
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode={mode}", uri=True)
    except sqlite3.Error as exc:
        raise DatastoreError(f"cannot open {path}: {exc}") from exc
    try:
        yield conn
    except sqlite3.Error as exc:
        raise DatastoreError(f"{path}: {exc}") from exc
    finally:
        conn.close()


def write(path: Path, settings: Settings, *, create: bool) -> None:
    """Apply `settings` to the database at `path` (a new one when `create`) and record them."""
    # PRAGMA takes no bound parameters: the mode goes into the SQL text, so only known words pass.
    if settings.journal_mode not in JOURNAL_MODES:
        raise DatastoreError(f"unknown journal mode {settings.journal_mode!r}")
    if create:
        if path.exists():
            raise DatastoreError(f"{path} already exists")
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.exists():
        raise DatastoreError(f"{path} does not exist")
    with _connect(path, create=create) as conn:
        # The journal mode first: SQLite refuses to leave WAL while the database is in use, and a
        # refused change must leave the recorded settings as they were.
        (mode,) = conn.execute(f"PRAGMA journal_mode = {settings.journal_mode}").fetchone()
        if str(mode).lower() != settings.journal_mode:
            raise DatastoreError(
                f"{path}: SQLite kept journal mode {mode!r} instead of {settings.journal_mode!r}"
            )
        conn.execute("CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value NOT NULL)")
        conn.executemany(
            "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
            [("journal_mode", settings.journal_mode), ("cache_size", settings.cache_size)],
        )
        conn.commit()
        conn.execute(f"PRAGMA cache_size = {int(settings.cache_size)}")


def read(path: Path) -> Settings | None:
    """The settings of the database at `path` as they are now, or None when it does not exist."""
    if not path.exists():
        return None
    with _connect(path, create=False) as conn:
        (file_mode,) = conn.execute("PRAGMA journal_mode").fetchone()
        try:
            rows = dict(conn.execute("SELECT key, value FROM settings").fetchall())
        except sqlite3.OperationalError:
            rows = {}  # table dropped outside Terraform: everything reads as SQLite's defaults
    recorded = rows.get("journal_mode")
    if str(file_mode).lower() == "wal":
        journal_mode = "wal"
    elif recorded in JOURNAL_MODES and recorded != "wal":
        journal_mode = str(recorded)
    else:
        # Recorded as WAL, but the file has left WAL mode: the file is what applications get.
        journal_mode = DEFAULT_JOURNAL_MODE
    cache_size = rows.get("cache_size")
    return Settings(
        journal_mode=journal_mode,
        cache_size=cache_size if isinstance(cache_size, int) else DEFAULT_CACHE_SIZE,
    )


def remove(path: Path) -> None:
    """Delete the database at `path` and the journal files SQLite keeps next to it."""
    path.unlink(missing_ok=True)
    for suffix in COMPANION_SUFFIXES:
        path.with_name(path.name + suffix).unlink(missing_ok=True)
