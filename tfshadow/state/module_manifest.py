"""Whether the modules `terraform init` installed serve a configuration's module calls.

Before it plans, Terraform reads its module manifest (``modules/modules.json`` in its data
directory) and refuses until `terraform init` runs again when a call has no record there
("Module not installed"), another source than its record ("Module source has changed"), or a
version constraint the installed version does not meet ("Module version requirements have
changed"). :func:`needs_install` asks the same of the manifest, without Terraform, so that
writing a version's files says "run init" only when Terraform would.

Calls inside modules installed from elsewhere (a registry, git) are not among the
configuration's files: they came with their module, which is checked itself.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tfshadow.state.config_files import ModuleCall

__all__ = ["Installed", "needs_install", "read_manifest"]

MANIFEST = Path("modules") / "modules.json"


@dataclass(frozen=True)
class Installed:
    """A module the manifest records as installed for one call."""

    source: str  # the source address as Terraform normalised it
    version: str | None  # the version installed (registry modules only)


def read_manifest(data_dir: Path) -> dict[str, Installed] | None:
    """The manifest's records by module key (``"app.db"``: the call ``db`` inside the call
    ``app``); ``{}`` where nothing was installed, None where the manifest cannot be read."""
    try:
        doc = json.loads((data_dir / MANIFEST).read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return None
    records = doc.get("Modules") if isinstance(doc, dict) else None
    if not isinstance(records, list):
        return None
    out: dict[str, Installed] = {}
    for record in records:
        if not isinstance(record, dict) or not isinstance(record.get("Key"), str):
            return None
        version = record.get("Version")
        out[record["Key"]] = Installed(
            str(record.get("Source") or ""), version if isinstance(version, str) else None
        )
    return out


def needs_install(calls: Iterable[ModuleCall], manifest: Mapping[str, Installed] | None) -> bool:
    """Whether Terraform would refuse to plan ``calls`` (the module calls of a configuration's
    files) with the modules ``manifest`` records, until `terraform init` runs. An unreadable
    manifest, or a call that cannot be told apart, counts as needing it."""
    by_directory: dict[str, list[ModuleCall]] = {}
    for call in calls:
        by_directory.setdefault(call.directory, []).append(call)
    if not by_directory:
        return False
    if manifest is None:
        return True
    # The root module's calls, then those of the local modules they call, by module key: a
    # local module called twice is installed (and checked) under both keys.
    pending = [("", "")]
    seen: set[tuple[str, str]] = set()
    while pending:
        directory, key = pending.pop()
        if (directory, key) in seen:
            continue
        seen.add((directory, key))
        for call in by_directory.get(directory, ()):
            child = f"{key}.{call.name}" if key else call.name
            installed = manifest.get(child)
            if installed is None or call.source is None:
                return True
            if installed.source not in _spellings(call.source):
                return True
            if call.version is not None and (
                installed.version is None or not _meets(installed.version, call.version)
            ):
                return True
            if _is_local(call.source):
                called = posixpath.normpath(posixpath.join(directory, call.source))
                pending.append(("" if called == "." else called, child))
    return False


def _is_local(source: str) -> bool:
    return source.startswith(("./", "../", ".\\", "..\\"))


# `[hostname/]namespace/name/system[//subdirectory]`: a module registry's address.
_REGISTRY = re.compile(r"^(?:([^/:]+\.[^/:]+)/)?([^/.:][^/:]*)/([^/:]+)/([^/:]+)(//.*)?$")
_DEFAULT_REGISTRY = "registry.terraform.io"


def _spellings(source: str) -> set[str]:
    """``source`` as written and as Terraform records it: a local path cleaned (keeping its
    leading ``./``), a registry address with its host, the GitHub and ``git@host:path``
    shorthands as the git addresses go-getter makes of them. Other addresses go through more of
    go-getter's rewriting, which is not repeated here: one that only it makes equal counts as
    changed (`init` is then asked for where it was not needed, never the other way)."""
    spellings = {source}
    if _is_local(source):
        clean = posixpath.normpath(source.replace("\\", "/"))
        spellings.add(clean if clean.startswith("../") else f"./{clean}")
        return spellings
    github = _GITHUB.match(source)
    if github is not None:
        repository, subdir, query = github.groups()
        repository = repository if repository.endswith(".git") else f"{repository}.git"
        spellings.add(_git_address(f"https://github.com/{repository}", subdir, query))
        return spellings
    scp = _SCP_LIKE.match(source)
    if scp is not None:
        user, host, path, subdir, query = scp.groups()
        spellings.add(_git_address(f"ssh://{user}@{host}/{path}", subdir, query))
        return spellings
    found = _REGISTRY.match(source)
    if found is not None:
        host, namespace, name, system, subdir = found.groups()
        host = (host or _DEFAULT_REGISTRY).lower()
        spellings.add(f"{host}/{namespace}/{name}/{system}{subdir or ''}")
    return spellings


# `github.com/owner/repository[//subdirectory][?query]` and `[git::]user@host:path[//subdirectory]
# [?query]` (git over ssh), as go-getter's GitHub and git detectors read them.
_GITHUB = re.compile(r"^github\.com/([^/?]+/[^/?]+?)(?:/+([^?]*?))?(?:\?(.*))?$")
_SCP_LIKE = re.compile(r"^(?:git::)?([^@/:]+)@([^/:]+):/?([^?]+?)(?://([^?]*))?(?:\?(.*))?$")


def _git_address(url: str, subdir: str | None, query: str | None) -> str:
    """A git source as Terraform writes it: ``git::URL[//subdirectory][?query]``."""
    return f"git::{url}{f'//{subdir}' if subdir else ''}{f'?{query}' if query else ''}"


# --- version constraints, as Terraform's (hashicorp/go-version) -------------------------------

_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")
_CONSTRAINT = re.compile(r"^\s*(=|!=|>=|<=|>|<|~>)?\s*(\S+)\s*$")


@dataclass(frozen=True)
class _Version:
    segments: tuple[int, int, int]
    given: int  # how many segments were written (``~> 1.2`` differs from ``~> 1.2.0``)
    prerelease: str

    def key(self) -> tuple[tuple[int, int, int], int, tuple[tuple[int, int | str], ...]]:
        # A pre-release sorts before its release; its parts compare as numbers where they are.
        parts = tuple(
            (0, int(p)) if p.isdigit() else (1, p) for p in self.prerelease.split(".") if p
        )
        return self.segments, 0 if self.prerelease else 1, parts


def _version(text: str) -> _Version | None:
    found = _VERSION.match(text.strip())
    if found is None:
        return None
    numbers = [int(n) for n in found[1].split(".")]
    if len(numbers) > 3:
        return None
    padded = [*numbers, 0, 0, 0][:3]
    return _Version((padded[0], padded[1], padded[2]), len(numbers), found[2] or "")


def _meets(installed: str, constraints: str) -> bool:
    """Whether version ``installed`` meets every constraint of ``constraints``
    (``">= 1.2, < 2.0"``); False where either cannot be read."""
    version = _version(installed)
    if version is None:
        return False
    for part in constraints.split(","):
        found = _CONSTRAINT.match(part)
        wanted = _version(found[2]) if found is not None else None
        if found is None or wanted is None or not _meets_one(version, found[1] or "=", wanted):
            return False
    return True


def _meets_one(version: _Version, operator: str, wanted: _Version) -> bool:
    # A pre-release meets only a constraint on a pre-release of the same release.
    if version.prerelease and (not wanted.prerelease or version.segments != wanted.segments):
        return False
    have, want = version.key(), wanted.key()
    if operator == "=":
        return have == want
    if operator == "!=":
        return have != want
    if operator == ">":
        return have > want
    if operator == ">=":
        return have >= want
    if operator == "<":
        return have < want
    if operator == "<=":
        return have <= want
    # ~>: at least the constraint, and the same in all but the last segment written.
    if wanted.prerelease and not version.prerelease:
        return False
    if have < want:
        return False
    fixed = wanted.given - 1
    return version.segments[:fixed] == wanted.segments[:fixed]
