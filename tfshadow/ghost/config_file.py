"""The two Terraform JSON files tfshadow owns in the working directory for ghosts.

``tfshadow_ghosts.tf.json`` declares the ghosts themselves. ``tfshadow_ghosts_override.tf.json``
exists only while a ghost with a traffic switch is active: Terraform's override files replace
single arguments of blocks declared elsewhere, so an output or a resource argument of the user's
own configuration can point at the ghost without tfshadow editing the user's files.

Both files are written atomically and hold only what tfshadow put there; a fragment is merged in
or taken out by ``TYPE.NAME`` (resources) or ``NAME`` (outputs, variables).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tfshadow.atomic_write import replace_file
from tfshadow.errors import GhostError

GHOSTS_FILE = "tfshadow_ghosts.tf.json"
OVERRIDE_FILE = "tfshadow_ghosts_override.tf.json"


def read(workdir: Path, name: str = GHOSTS_FILE) -> dict[str, Any]:
    """The document in ``workdir/name``; empty when the file does not exist."""
    path = workdir / name
    if not path.exists():
        return {}
    try:
        doc = json.loads(path.read_text())
    except ValueError as exc:
        raise GhostError(f"{name} is not JSON ({exc})", "fix or remove the file") from exc
    if not isinstance(doc, dict):
        raise GhostError(f"{name} is not a JSON object", "fix or remove the file")
    return doc


def write(workdir: Path, doc: Mapping[str, Any], name: str = GHOSTS_FILE) -> None:
    """Write ``doc`` to ``workdir/name``; an empty document removes the file."""
    path = workdir / name
    if not doc:
        path.unlink(missing_ok=True)
        return
    write_json(path, doc)


def write_json(path: Path, doc: Mapping[str, Any], *, mode: int | None = None) -> None:
    """Replace ``path`` with ``doc`` in one rename, so a reader never sees half a file."""
    replace_file(path, json.dumps(doc, indent=2, sort_keys=True) + "\n", mode=mode)


def merge(doc: Mapping[str, Any], fragment: Mapping[str, Any]) -> dict[str, Any]:
    """``doc`` with the blocks of ``fragment`` set (``resource.TYPE.NAME``, ``output.NAME``…)."""
    out: dict[str, Any] = {key: dict(value) for key, value in doc.items()}
    for key, value in fragment.items():
        section = out.setdefault(key, {})
        for kind, body in value.items():
            if key == "resource":
                section[kind] = {**section.get(kind, {}), **body}
            else:
                section[kind] = body
    return out


def remove(doc: Mapping[str, Any], fragment: Mapping[str, Any]) -> dict[str, Any]:
    """``doc`` without the blocks that ``fragment`` names."""
    out: dict[str, Any] = {key: dict(value) for key, value in doc.items()}
    for key, value in fragment.items():
        section = out.get(key, {})
        for kind, body in value.items():
            if key == "resource":
                remaining = {n: b for n, b in section.get(kind, {}).items() if n not in body}
                if remaining:
                    section[kind] = remaining
                else:
                    section.pop(kind, None)
            else:
                section.pop(kind, None)
        if not section:
            out.pop(key, None)
    return out


def contains(doc: Mapping[str, Any], fragment: Mapping[str, Any]) -> bool:
    """Whether every block of ``fragment`` is in ``doc`` exactly as ``fragment`` has it."""
    return merge(doc, fragment) == merge({}, doc)


def update(workdir: Path, fragment: Mapping[str, Any], name: str = GHOSTS_FILE) -> None:
    """Merge ``fragment`` into ``workdir/name``."""
    write(workdir, merge(read(workdir, name), fragment), name)


def take_out(workdir: Path, fragment: Mapping[str, Any], name: str = GHOSTS_FILE) -> None:
    """Remove the blocks ``fragment`` names from ``workdir/name``."""
    write(workdir, remove(read(workdir, name), fragment), name)


@contextmanager
def declared(
    workdir: Path,
    restore: Mapping[str, Any],
    temporary: Mapping[str, Any],
    override: Mapping[str, Any] | None = None,
) -> Iterator[None]:
    """The ghost declared as ``temporary`` (with ``override`` in force) for the block's
    duration, then as ``restore`` with the override taken out again."""
    update(workdir, temporary)
    if override:
        update(workdir, override, OVERRIDE_FILE)
    try:
        yield
    finally:
        update(workdir, restore)
        if override:
            take_out(workdir, override, OVERRIDE_FILE)
