"""Where a version's files live in the store's tree, and how they are written.

tfshadow-store.json                     marks the tree as a store (format number)
workspaces/<workspace>/<NNNNNN>/
    meta.json                           the version's metadata (indented, sorted keys)
    state.json + config.json            a keyframe: the full canonical documents
    state.delta.json + config.delta.json    otherwise: deltas against the previous version
"""

from __future__ import annotations

import gc
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from tfshadow.errors import StoreError
from tfshadow.state import delta

STORE_FORMAT = 1
MARKER = "tfshadow-store.json"
WORKSPACES = "workspaces"

META = "meta.json"
STATE = "state.json"
CONFIG = "config.json"
STATE_DELTA = "state.delta.json"
CONFIG_DELTA = "config.delta.json"
KEYFRAME_FILES = (STATE, CONFIG)
DELTA_FILES = (STATE_DELTA, CONFIG_DELTA)

READ_ONLY = 0o444

# Terraform allows URL-safe names without path separators; this is the subset that is also a
# portable, unambiguous directory name on every filesystem a store may be cloned to.
_WORKSPACE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.~@+=,-]{0,89}")
_VERSION_DIR = re.compile(r"[0-9]{6,}")


def validate_workspace(name: str) -> str:
    """``name`` if it is safe as a single path segment, else :class:`StoreError`."""
    if not isinstance(name, str) or not _WORKSPACE_NAME.fullmatch(name):
        raise StoreError(
            f"workspace name {name!r} cannot be stored",
            hint="use a workspace name of letters, digits and `_.-~@+=,` that does not start "
            "with `.` or `-` (at most 90 characters)",
        )
    return name


def marker_bytes() -> bytes:
    return dumps_meta({"format": STORE_FORMAT, "kind": "tfshadow shadow store"})


def marker_format(data: bytes) -> int | None:
    """The format number a store's marker file holds; None when it holds none that can be read.

    Every store written so far is format 1. A later tfshadow that writes what this one cannot
    read raises the number, so that this one refuses the store instead of misreading it (and
    recording over it).
    """
    try:
        doc = json.loads(data)
    except ValueError:
        return None
    number = doc.get("format") if isinstance(doc, dict) else None
    return number if isinstance(number, int) and not isinstance(number, bool) else None


def newer_format_error(where: str, number: int) -> StoreError:
    """The error of a store (or a version of one) written by a tfshadow newer than this one."""
    return StoreError(
        f"{where} was written by a newer tfshadow (store format {number}; this tfshadow reads "
        f"format {STORE_FORMAT}): nothing was read or changed",
        hint="upgrade tfshadow here to the release the other copies of the store record with",
    )


def workspace_dir(workspace: str) -> str:
    return f"{WORKSPACES}/{workspace}"


def version_name(version: int) -> str:
    return f"{version:06d}"


def version_dir(workspace: str, version: int) -> str:
    return f"{WORKSPACES}/{workspace}/{version_name(version)}"


def parse_version_name(name: str) -> int | None:
    return int(name) if _VERSION_DIR.fullmatch(name) and int(name) > 0 else None


def dumps_meta(meta: dict[str, Any]) -> bytes:
    """meta.json bytes: sorted and indented so a version reads well in ``git show``."""
    try:
        return orjson.dumps(meta, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"
    except TypeError:
        return (json.dumps(meta, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def write_read_only(path: Path, data: bytes) -> None:
    """Create ``path`` (which must not exist) with ``data``, mode 0444."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, READ_ONLY)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fchmod(fd, READ_ONLY)
    finally:
        os.close(fd)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector (nests; restores its previous state)."""
    # Parsing a 26 MB state allocates millions of containers, and the collector would make
    # dozens of passes over them for nothing: 0.2 s instead of 0.09 s per parse, measured.
    # Canonical documents hold no reference cycles; reference counting frees them.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_document(data: bytes) -> Any:
    """The document whose canonical bytes (:func:`delta.dumps`) are ``data``.

    orjson is several times faster than the standard module but reads integers beyond 64 bits
    as floats; a document that does not dump back to the same bytes is read again exactly.
    """
    with gc_paused():
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError:
            return delta.loads(data)
        if delta.dumps(doc) == data:
            return doc
        return delta.loads(data)
