"""Objects let go of since version N, taken back by a revert instead of created anew.

`terraform state rm`, a `removed` block with `destroy = false`, and a revert that let go of an
object (see revert.forget) leave the object where it is, no longer managed. N's configuration
declares it, so a plain plan of N would create a second one, or fail on its name. The scratch
copy gets an `import` block for each such instance instead, with the id N's state recorded
(Terraform 1.5 and later: the embedded engine, or an executable that new), and the plan shows
it "will be imported". Most providers import by that id. Where one does not, or the object is
gone since, Terraform refuses the plan: the revert plans again without the blocks, and the
instance is created anew, listed and confirmed as before.

Only instances that left the state after N without being destroyed and that no later version
brought back: an object a later version destroyed is not looked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from tfshadow.revert.forget import managed_entries
from tfshadow.state.changes import address_sort_key, under_any
from tfshadow.state.redact import is_sealed

if TYPE_CHECKING:
    from tfshadow.store import GitShadowStore

__all__ = ["ADOPT_NAME", "import_file", "instances_to_take_back", "let_go_since"]

ADOPT_NAME = "tfshadow_revert_import.tf"

# Kinds whose configuration may hold `removed` blocks.
_CONFIGURED_KINDS = frozenset({"apply", "revert"})
# Kinds that take every object they remove out of the state without destroying it.
_LETTING_GO_KINDS = frozenset({"state rm", "workspace delete"})


def let_go_since(
    store: GitShadowStore, workspace: str, number: int, candidates: Iterable[str]
) -> set[str]:
    """Which of ``candidates`` (instances N's state has and the live state lacks) the last
    version after ``number`` that removed them from the state let go of rather than destroyed."""
    from tfshadow.state.config_files import config_intents

    wanted = set(candidates)
    let_go: dict[str, bool] = {}
    if not wanted:
        return set()
    for meta in store.versions(workspace):
        version = int(meta["version"])
        changes = meta.get("changes")
        if version <= number or not isinstance(changes, dict):
            continue
        touched = wanted & set(changes.get("addresses") or [])
        if not touched:
            continue
        after = store.reconstruct(workspace, version)
        present = set(after.state.get("resources") or {})
        kind = meta.get("kind")
        # What the version says it let go of: a revert's, or a state found gone's.
        recorded = meta.get("forgotten")
        kept = frozenset(str(r) for r in (recorded if isinstance(recorded, list) else []))
        if kind in _CONFIGURED_KINDS:
            kept |= config_intents(after.config)[1]
        for address in touched:
            if address in present:
                let_go.pop(address, None)
            else:
                # `workspace delete -force` lets go of what the workspace held, as `state rm`.
                let_go[address] = kind in _LETTING_GO_KINDS or under_any(address, kept)
    return {address for address, kept_object in let_go.items() if kept_object}


def instances_to_take_back(
    live: Mapping[str, Any] | None, target: Mapping[str, Any], let_go: set[str]
) -> dict[str, str]:
    """``{address: id}``: the managed instances of ``target`` (N's canonical state) that
    ``live`` lacks and that were let go of (``let_go``), with the id N recorded for them; an
    instance whose id N did not record in plain text is left to be created anew."""
    live_resources = managed_entries(live)
    found: dict[str, str] = {}
    for address, entry in managed_entries(target).items():
        # A deposed object is a leftover Terraform destroys: never one to take back.
        if address in live_resources or address not in let_go or entry.get("deposed"):
            continue
        attributes = entry.get("attributes")
        ident = attributes.get("id") if isinstance(attributes, Mapping) else None
        if isinstance(ident, str) and ident and not is_sealed(ident):
            found[address] = ident
    return found


def import_file(instances: Mapping[str, str]) -> bytes:
    """HCL `import` blocks bringing each instance back under its recorded id."""
    from tfshadow.revert.materialise import hcl_string

    blocks = [
        f"import {{\n  to = {address}\n  id = {hcl_string(instances[address])}\n}}\n"
        for address in sorted(instances, key=address_sort_key)
    ]
    return "\n".join(blocks).encode()
