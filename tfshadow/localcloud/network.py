"""Loopback port mappings kept as small JSON files, written atomically.

A mapping file reads::

    {"address": "127.0.0.1", "listen_port": 8080, "target_port": 5000, "name": "web"}

Whatever forwards traffic reads it; Terraform only keeps the file as configured.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tfshadow.atomic_write import replace_file

ADDRESS = "127.0.0.1"
SUFFIX = ".network.json"


@dataclass(frozen=True)
class Mapping:
    """One port mapping; a port is None when the file does not hold a valid one."""

    listen_port: int | None
    target_port: int | None


def write(path: Path, name: str, mapping: Mapping) -> None:
    """Write `mapping` to `path` so that readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "name": name,
        "address": ADDRESS,
        "listen_port": mapping.listen_port,
        "target_port": mapping.target_port,
    }
    replace_file(path, json.dumps(document, indent=2, sort_keys=True) + "\n", mode=0o644)


def _port(document: object, key: str) -> int | None:
    value = document.get(key) if isinstance(document, dict) else None
    # bool is an int to Python, but `true` is no port.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read(path: Path) -> Mapping | None:
    """The mapping in `path` now, or None when the file does not exist.

    A file edited into something that is not a mapping reads as one without ports, so Terraform
    shows the difference and writes the file again.
    """
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    return Mapping(_port(document, "listen_port"), _port(document, "target_port"))
