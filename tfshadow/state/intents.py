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

# Commands that change Terraform's record of objects, not the objects. A workspace deleted
# (`workspace delete -force`) leaves the objects it held unmanaged, as `state rm` does.
_RECORD_ONLY_KINDS = frozenset({"import", "refresh", "taint", "untaint", "workspace delete"})


def record_only_kind(kind: str, *, state_only: bool = False) -> bool:
    """Whether a version of ``kind`` changed Terraform's record alone (``state mv``, a
    ``--state-only`` revert…): its entries are counted, and no object was replaced."""
    return kind in _RECORD_ONLY_KINDS or kind.startswith("state ") or state_only


def forgets_removals(kind: str, *, state_only: bool = False) -> bool:
    """Whether an object gone from the state in a version of ``kind`` was forgotten, not
    destroyed: the command edits Terraform's record alone (``state rm``, ``state push``, a
    ``state mv`` to another state file, a ``--state-only`` revert, ``workspace delete``) and
    destroys nothing.

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
    """``meta`` with its ``changes`` counted, and its generated description worded, as versions
    are now. One recorded before forgets were counted apart counted what a ``state rm`` (or
    another command that forgets) took out of the state as destroyed, where it was forgotten;
    one recorded before a change of Terraform's record alone (``import``, ``taint``, ``state
    mv``…) was told in its own words summarised it as objects to add, change and destroy."""
    changes = meta.get("changes")
    kind = str(meta.get("kind") or "")
    state_only = meta.get("state_only") is True
    if not isinstance(changes, Mapping) or not record_only_kind(kind, state_only=state_only):
        return meta
    counted = changes
    removed = changes.get("destroy")
    if (
        "forget" not in changes
        and forgets_removals(kind, state_only=state_only)
        and isinstance(removed, int)
        and removed > 0
    ):
        counted = {**changes, "destroy": 0, "forget": removed}
    description = _upgraded_description(meta, changes, counted)
    if counted is changes and description in (None, meta.get("description")):
        return meta
    upgraded = {**meta, "changes": counted}
    if description is not None:
        upgraded["description"] = description
    return upgraded


# The summaries earlier tfshadows generated for a change of Terraform's record alone, counted as
# they counted it: "0 to add, 0 to change, 1 to destroy: …", then "state: 0 added, 0 changed,
# 1 removed: …" (a forget among the removed).
_EARLIER_SUMMARY = re.compile(
    r"(?:state: )?(?P<add>\d+) (?:to add|added), (?P<change>\d+) (?:to change|changed), "
    r"(?P<destroy>\d+) (?:to destroy|removed)(?P<moved>, \d+ moved)?(?P<names>: .*)",
    re.DOTALL,
)


def _upgraded_description(
    meta: Mapping[str, Any], recorded: Mapping[str, Any], counted: Mapping[str, Any]
) -> str | None:
    """The summary this tfshadow makes of a version, when its description is the summary the
    tfshadow that recorded it generated from its ``recorded`` counts; None for a description
    someone gave, which is theirs."""
    description = meta.get("description")
    if meta.get("description_generated") is False or not isinstance(description, str):
        return None
    found = _EARLIER_SUMMARY.fullmatch(description)
    if found is None or (int(found["add"]), int(found["change"]), int(found["destroy"])) != (
        recorded.get("add"),
        recorded.get("change"),
        recorded.get("destroy"),
    ):
        return None
    # As `summary_line` words a change of Terraform's record alone.
    forgotten = counted.get("forget")
    return (
        f"state: {found['add']} added, {found['change']} changed, {counted.get('destroy')} "
        f"removed{found['moved'] or ''}{f', {forgotten} forgotten' if forgotten else ''}"
        f"{found['names']}"
    )
