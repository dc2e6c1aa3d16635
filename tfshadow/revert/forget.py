"""Objects imported since version N, let go of by a revert instead of destroyed.

At version N Terraform did not manage an object that an `import` (the command or an `import`
block) brought in later; the object itself existed all along, made outside Terraform. Planned
as is, a revert to N would destroy it, since N's configuration does not declare it. Going back
to N means Terraform no longer managing it, so the scratch copy gets a `removed` block with
`destroy = false` for its resource, as the user would write (Terraform 1.7 and later), and the
plan shows it "will no longer be managed by Terraform".

Only where that is all the block can do: a resource of which every object Terraform manages now
(in every instance of its modules: a block's ``from`` names no instance) was imported since N,
that N's state and N's files do not have. A resource in a module is named from the root module,
which Terraform accepts whether N calls that module or not; where N calls it from a source whose
files N does not hold (a registry, a repository), whether N declares the resource cannot be
told, and it is left to the plan. Anything else (an object created since N, a resource N
declares) is planned as before, its destruction shown and confirmed as any other.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from tfshadow.state.addresses import matches_pattern, split_address, without_keys
from tfshadow.state.changes import address_sort_key

if TYPE_CHECKING:
    from tfshadow.store import GitShadowStore

__all__ = [
    "FORGET_NAME",
    "forget_file",
    "imported_since",
    "managed_entries",
    "resources_to_forget",
]

FORGET_NAME = "tfshadow_revert_removed.tf"


def imported_since(
    store: GitShadowStore, workspace: str, number: int, candidates: Iterable[str]
) -> set[str]:
    """Which of ``candidates`` (addresses a revert to ``number`` would destroy) an import brought
    into the state after that version: the `import` command's versions, and the `import`
    blocks of the versions that changed them."""
    from tfshadow.state.config_files import config_intents

    wanted = set(candidates)
    found: set[str] = set()
    for meta in store.versions(workspace):
        if int(meta["version"]) <= number:
            continue
        changes = meta.get("changes")
        touched = (
            wanted & set(changes.get("addresses") or []) if isinstance(changes, dict) else set()
        )
        if not touched:
            continue
        if meta.get("kind") == "import":
            found |= touched
        elif meta.get("kind") in ("apply", "revert"):
            config = store.reconstruct(workspace, int(meta["version"])).config
            patterns = config_intents(config)[0]
            found |= {a for a in touched if any(matches_pattern(a, p) for p in patterns)}
    return found


def resources_to_forget(
    live: Mapping[str, Any] | None,
    target: Mapping[str, Any],
    imported: set[str],
    files: Mapping[str, bytes],
) -> list[str]:
    """The resources (named without instance keys) whose every managed object in ``live`` is
    in ``imported`` and that ``target`` (N's state) and N's ``files`` (every file of N, by its
    path from the root module) do not have."""
    live_resources = managed_entries(live)
    target_resources = {without_keys(a) for a in managed_entries(target)}
    by_resource: dict[str, list[str]] = {}
    for address in live_resources:
        by_resource.setdefault(without_keys(address), []).append(address)
    return sorted(
        (
            resource
            for resource, addresses in by_resource.items()
            if all(a in imported for a in addresses)
            and resource not in target_resources
            and not _may_declare(resource, files)
        ),
        key=address_sort_key,
    )


def forget_file(resources: Iterable[str]) -> bytes:
    """HCL `removed` blocks keeping each of ``resources``' objects, unmanaged."""
    blocks = [
        f"removed {{\n  from = {resource}\n  lifecycle {{\n    destroy = false\n  }}\n}}\n"
        for resource in resources
    ]
    return "\n".join(blocks).encode()


def managed_entries(state: Mapping[str, Any] | None) -> dict[str, Any]:
    """The managed instances of a canonical state, by address."""
    resources = state.get("resources") if isinstance(state, Mapping) else None
    if not isinstance(resources, Mapping):
        return {}
    return {
        address: entry
        for address, entry in resources.items()
        if isinstance(entry, Mapping) and entry.get("mode", "managed") == "managed"
    }


def _may_declare(resource: str, files: Mapping[str, bytes]) -> bool:
    """Whether N's files declare ``resource`` (then a `removed` block would be an error), or
    might: it is in a module N calls from files N does not hold."""
    from tfshadow.state.config_files import module_calls

    *modules, kind, name = split_address(resource)
    directory = ""
    calls = module_calls(files) if modules else frozenset()
    for module in modules[1::2]:
        call = next((c for c in calls if c.directory == directory and c.name == module), None)
        if call is None:
            return False  # N does not call this module: nothing of it is declared
        if not (call.source or "").startswith(("./", "../")):
            return True
        directory = posixpath.normpath(posixpath.join(directory, call.source or ""))
        directory = "" if directory == "." else directory
    return _declared(
        f"{kind}.{name}",
        {
            path[len(directory) + 1 :] if directory else path: data
            for path, data in files.items()
            if posixpath.dirname(path) == directory
        },
    )


def _declared(resource: str, files: Mapping[str, bytes]) -> bool:
    """Whether the root files of ``files`` declare ``resource``; a file that cannot be read
    counts as declaring it."""
    kind, _, name = resource.partition(".")
    native = re.compile(
        rb'\bresource\s+"?'
        + re.escape(kind.encode())
        + rb'"?\s+"?'
        + re.escape(name.encode())
        + rb'"?\s*\{'
    )
    for path, data in files.items():
        if "/" in path:
            continue
        if path.endswith(".tf.json"):
            try:
                doc = json.loads(data)
            except ValueError:
                return True
            declared = doc.get("resource") if isinstance(doc, dict) else None
            for block in declared if isinstance(declared, list) else [declared]:
                if isinstance(block, dict) and name in (block.get(kind) or {}):
                    return True
        elif path.endswith(".tf") and native.search(data):
            return True
    return False
