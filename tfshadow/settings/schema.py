"""What ``tfshadow.hcl`` may contain, and the settings objects built from it.

Each top-level block is declared once, as a :class:`BlockSchema`: its name, its allowed keys with
their types and bounds, and a ``build`` function turning the validated values into a frozen
dataclass. The loader (``load.py``) is generic over :data:`BLOCKS`, so adding a block means:

1. a frozen dataclass for its settings (with defaults);
2. a ``BlockSchema`` listing its keys and a ``build`` function, appended to :data:`BLOCKS`;
3. a field of that dataclass's type on :class:`Settings`, named like the block.

Unknown blocks and keys, wrong types and out-of-range values are reported by the loader with the
file and line; ``build`` only sees values that passed the declared checks.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfshadow import env

SETTINGS_FILE = "tfshadow.hcl"
DEFAULT_STORE_DIR = ".tfshadow"
DEFAULT_KEYFRAME_INTERVAL = 25


# --- the settings objects ----------------------------------------------------------------------


@dataclass(frozen=True)
class StoreSettings:
    """Where versions are kept.

    ``path`` is the resolved absolute store directory; it is None only when ``branch`` is set
    (the store is then an orphan branch of the configuration's own git repository).
    ``retain`` None keeps every version reconstructible.
    """

    path: Path | None = None
    branch: str | None = None
    remote: str | None = None
    retain: int | None = None
    keyframe_interval: int = DEFAULT_KEYFRAME_INTERVAL


@dataclass(frozen=True)
class TerraformSettings:
    """Which Terraform runs: ``binary`` None means the embedded engine."""

    binary: str | None = None


@dataclass(frozen=True)
class Settings:
    """A project's settings; ``source`` is the file they were read from (None: defaults)."""

    store: StoreSettings
    terraform: TerraformSettings = field(default_factory=TerraformSettings)
    source: Path | None = None


# --- the schema --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """One allowed setting inside a block.

    ``kind`` is one of str, int, float, bool, list (a list of ``item`` values).
    ``check`` returns an error phrase ("must …") for a value of the right type, or None.
    """

    name: str
    kind: type
    item: type | None = None
    minimum: int | None = None
    choices: tuple[str, ...] = ()
    check: Callable[[Any], str | None] | None = None


@dataclass(frozen=True)
class BuildContext:
    """What ``build`` functions may consult besides the file: the working dir and environment."""

    workdir: Path
    environ: Mapping[str, str]


@dataclass(frozen=True)
class BlockSchema:
    """A top-level block: its keys, keys that exclude each other, and how to build its object.

    ``build`` receives the values set in the file (only keys that were set; the block may be
    absent altogether, in which case the mapping is empty) and returns the settings object.
    """

    name: str
    keys: tuple[Key, ...]
    build: Callable[[Mapping[str, Any], BuildContext], Any]
    exclusive: tuple[tuple[str, str], ...] = ()

    def key(self, name: str) -> Key | None:
        return next((k for k in self.keys if k.name == name), None)

    @property
    def allowed(self) -> str:
        return ", ".join(k.name for k in self.keys)


def _non_empty(value: Any) -> str | None:
    return "must not be empty" if isinstance(value, str) and not value.strip() else None


_BAD_REF = re.compile(r"(^[-/.])|([/.]$)|\.\.|@\{|//|\.lock$|[\s~^:?*\[\\\x00-\x1f\x7f]")


def _branch_name(value: Any) -> str | None:
    if not isinstance(value, str) or not value or _BAD_REF.search(value) or value == "@":
        return "must be a valid git branch name"
    return None


def resolve_path(value: str, workdir: Path) -> Path:
    """A settings path: ``~`` expanded, relative to the working directory, made absolute."""
    path = Path(os.path.expanduser(value))
    if not path.is_absolute():
        path = workdir / path
    return Path(os.path.abspath(path))


def _build_store(values: Mapping[str, Any], ctx: BuildContext) -> StoreSettings:
    branch: str | None = values.get("branch")
    raw_path: str | None = values.get("path")
    override = ctx.environ.get(env.TFSHADOW_STORE, "").strip()
    if override:
        # The environment names the store directory outright, which rules out the branch store.
        raw_path, branch = override, None
    path = None
    if raw_path is not None:
        path = resolve_path(raw_path, ctx.workdir)
    elif branch is None:
        path = resolve_path(DEFAULT_STORE_DIR, ctx.workdir)
    return StoreSettings(
        path=path,
        branch=branch,
        remote=values.get("remote"),
        retain=values.get("retain"),
        keyframe_interval=values.get("keyframe_interval", DEFAULT_KEYFRAME_INTERVAL),
    )


def _build_terraform(values: Mapping[str, Any], ctx: BuildContext) -> TerraformSettings:
    return TerraformSettings(binary=values.get("binary"))


STORE = BlockSchema(
    name="store",
    keys=(
        Key("path", str, check=_non_empty),
        Key("branch", str, check=_branch_name),
        Key("remote", str, check=_non_empty),
        Key("retain", int, minimum=1),
        Key("keyframe_interval", int, minimum=1),
    ),
    exclusive=(("path", "branch"),),
    build=_build_store,
)

TERRAFORM = BlockSchema(
    name="terraform",
    keys=(Key("binary", str, check=_non_empty),),
    build=_build_terraform,
)

BLOCKS: Sequence[BlockSchema] = (STORE, TERRAFORM)
