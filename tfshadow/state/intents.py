"""What a version's change was meant as, where two states alone cannot tell.

An object gone from the state was destroyed, or only forgotten by Terraform (``state rm``, a
``removed`` block with ``destroy = false``); one that appeared was created, or imported. The
command recorded (the version's ``kind``), the configuration's ``import`` and ``removed``
blocks, and what a revert recorded in its metadata tell them apart.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Only a type here: `log` reads counts without loading the change model.
    from tfshadow.state.changes import StateChanges

__all__ = ["forgets_removals", "intended", "record_only_kind", "upgraded_counts"]

# Commands that change Terraform's record of objects, not the objects.
_RECORD_ONLY_KINDS = frozenset({"import", "refresh", "taint", "untaint"})


def record_only_kind(kind: str, *, state_only: bool = False) -> bool:
    """Whether a version of ``kind`` changed Terraform's record alone (``state mv``, a
    ``--state-only`` revert…): its entries are counted, and no object was replaced."""
    return kind in _RECORD_ONLY_KINDS or kind.startswith("state ") or state_only


def forgets_removals(kind: str, *, state_only: bool = False) -> bool:
    """Whether an object gone from the state in a version of ``kind`` was forgotten, not
    destroyed: the command edits Terraform's record alone (``state rm``, ``state push``, a
    ``state mv`` to another state file, a ``--state-only`` revert) and destroys nothing.

    Not ``refresh``: what it drops from the state was found deleted outside Terraform.
    """
    return record_only_kind(kind, state_only=state_only) and kind != "refresh"


def intended(
    changes: StateChanges, meta: Mapping[str, Any], config: Mapping[str, Any] | None
) -> StateChanges:
    """``changes`` of a version whose metadata is ``meta`` (``kind``, ``state_only``, a
    revert's ``forgotten`` and ``imported``) and configuration document ``config``, with
    imports and forgets told from creations and destructions."""
    from tfshadow.state.config_files import config_intents

    kind = str(meta.get("kind") or "")
    state_only = meta.get("state_only") is True
    if record_only_kind(kind, state_only=state_only):
        # No configuration block acts in a command that edits the record: what left the
        # state was forgotten by it, or found gone by a refresh.
        return (
            changes.removals_forgotten()
            if forgets_removals(kind, state_only=state_only)
            else changes
        )
    imported, forgotten = (
        config_intents(config) if config is not None else (frozenset(), frozenset())
    )
    # A revert lets go of what N did not manage, and takes back what was let go of since N,
    # through `removed` and `import` blocks N's files lack.
    recorded, taken_back = meta.get("forgotten"), meta.get("imported")
    if isinstance(recorded, list):
        forgotten |= frozenset(str(r) for r in recorded)
    if isinstance(taken_back, list):
        imported |= frozenset(str(r) for r in taken_back)
    return changes.with_intents(imported, forgotten)


def upgraded_counts(meta: dict[str, Any]) -> dict[str, Any]:
    """``meta`` with its ``changes`` counted as versions are now: one recorded before forgets
    were counted apart counted what a ``state rm`` (or another command that forgets)
    took out of the state as destroyed, where it was forgotten."""
    changes = meta.get("changes")
    if (
        not isinstance(changes, Mapping)
        or "forget" in changes
        or not forgets_removals(
            str(meta.get("kind") or ""), state_only=meta.get("state_only") is True
        )
    ):
        return meta
    removed = changes.get("destroy")
    if not isinstance(removed, int) or removed <= 0:
        return meta
    upgraded = {**meta, "changes": {**changes, "destroy": 0, "forget": removed}}
    description = _upgraded_description(meta, changes, removed)
    if description is not None:
        upgraded["description"] = description
    return upgraded


# The summaries earlier tfshadows generated for a version whose `destroy` counted what it forgot:
# "0 to add, 0 to change, 1 to destroy: …", then "state: 0 added, 0 changed, 1 removed: …".
_EARLIER_SUMMARY = re.compile(
    r"(?:state: )?(?P<add>\d+) (?:to add|added), (?P<change>\d+) (?:to change|changed), "
    r"(?P<destroy>\d+) (?:to destroy|removed)(?P<moved>, \d+ moved)?(?P<names>: .*)",
    re.DOTALL,
)


def _upgraded_description(
    meta: Mapping[str, Any], changes: Mapping[str, Any], removed: int
) -> str | None:
    """The summary this tfshadow makes of an earlier version's forget, when its description is
    the summary the earlier one generated (which says the objects were destroyed or removed);
    None for a description someone gave, which is theirs."""
    description = meta.get("description")
    if meta.get("description_generated") is False or not isinstance(description, str):
        return None
    found = _EARLIER_SUMMARY.fullmatch(description)
    if found is None or (
        int(found["add"]),
        int(found["change"]),
        int(found["destroy"]),
    ) != (changes.get("add"), changes.get("change"), removed):
        return None
    # As `summary_line` words a change of Terraform's record alone.
    return (
        f"state: {found['add']} added, {found['change']} changed, 0 removed"
        f"{found['moved'] or ''}, {removed} forgotten{found['names']}"
    )
