"""JSON rendering of the history for ``--json``: plain dicts with stable key names.

Shapes::

    log_json      {"versions": [meta, …]}                          newest first
    inspect_json  {"version": meta, "changes": CHANGES, "config": CONFIG,
                   "parent_removed": true (only when retention removed the parent)}
    diff_json     {"from": meta | null, "to": meta, "changes": CHANGES, "config": CONFIG}

    CHANGES  {"resources": [{"address", "mode", "type", "name", "action", "deposed",
                             "status_before", "status_after",
                             "provider_before"?, "provider_after"? (a provider change),
                             "replaced"? (true: an update whose id changed, a new object),
                             "moved_from"? (a moved object's address before),
                             "imported"? / "forgotten"? (true: an import or removed block),
                             "attributes": [{"path", "action", "before"?, "after"?, "sensitive"}]}],
              "outputs": [{"name", "action", "before"?, "after"?, "sensitive"}],
              "summary": {"add", "change", "destroy", "import", "move", "forget"}}
    CONFIG   {"files": [{"path", "action", "diff", "added_lines", "removed_lines"}],
              "variables": [{"name", "action", "before"?, "after"?, "sensitive"}],
              "not_shown"?: N}  with --target only: how many changes it left out

A side that does not exist (the ``before`` of a creation, the ``after`` of a deletion) is left
out, so ``null`` always means Terraform's null. A sensitive value is ``null`` with
``"sensitive": true``: seal strings never leave the store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tfshadow.state.changes import (
    ABSENT,
    ConfigChanges,
    ResourceChange,
    StateChanges,
    contains_sealed,
)
from tfshadow.state.intents import record_only_kind
from tfshadow.state.redact import mask_seals

__all__ = ["diff_json", "inspect_json", "log_json", "meta_json", "state_changes_json"]


def log_json(metas: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``{"versions": [meta, …]}``, newest first like the terminal log."""
    ordered = sorted(metas, key=_version_key, reverse=True)
    return {"versions": [_plain(meta) for meta in ordered]}


def meta_json(meta: Mapping[str, Any]) -> dict[str, Any]:
    """One version's metadata (``META``), as ``log --json`` gives it."""
    plain: dict[str, Any] = _plain(meta)
    return plain


def state_changes_json(changes: StateChanges) -> dict[str, Any]:
    """State changes (``CHANGES``), as ``inspect --json`` gives them."""
    return _state(changes)


def inspect_json(
    meta: Mapping[str, Any],
    state_changes: StateChanges,
    config_changes: ConfigChanges,
    *,
    parent_removed: bool = False,
) -> dict[str, Any]:
    """One version's metadata with the state and configuration changes it made.

    With ``parent_removed`` (the parent was removed by retention) the changes are what the
    version holds, and the document says so with ``"parent_removed": true``.
    """
    # As the terminal counts it: a command that edits Terraform's record (`state push`) replaced
    # nothing, though an entry came back with another id.
    record_only = record_only_kind(
        str(meta.get("kind") or ""), state_only=meta.get("state_only") is True
    )
    doc = {
        "version": _plain(meta),
        "changes": _state(state_changes, record_only=record_only),
        "config": _config(config_changes),
    }
    if parent_removed:
        doc["parent_removed"] = True
    return doc


def diff_json(
    from_meta: Mapping[str, Any] | None,
    to_meta: Mapping[str, Any],
    state_changes: StateChanges,
    config_changes: ConfigChanges,
) -> dict[str, Any]:
    """The changes between two versions (``from`` is null when comparing with nothing)."""
    return {
        "from": None if from_meta is None else _plain(from_meta),
        "to": _plain(to_meta),
        "changes": _state(state_changes),
        "config": _config(config_changes),
    }


def _version_key(meta: Mapping[str, Any]) -> int:
    version = meta.get("version")
    return version if isinstance(version, int) else -1


def _provider_change(resource: ResourceChange) -> dict[str, Any]:
    """``provider_before``/``provider_after`` of an update that moved the instance to another
    provider (``state replace-provider``); nothing otherwise."""
    if resource.action != "update" or resource.provider_before == resource.provider_after:
        return {}
    return {
        "provider_before": resource.provider_before,
        "provider_after": resource.provider_after,
    }


def _state(changes: StateChanges, *, record_only: bool = False) -> dict[str, Any]:
    add, change, destroy = changes.counts(record_only=record_only)
    return {
        "resources": [
            {
                "address": resource.address,
                "mode": resource.mode,
                "type": resource.type,
                "name": resource.name,
                "action": resource.action,
                "deposed": resource.deposed,
                "status_before": resource.status_before,
                "status_after": resource.status_after,
                **_provider_change(resource),
                **({"replaced": True} if resource.replaced else {}),
                **({"moved_from": resource.moved_from} if resource.moved_from else {}),
                **({"imported": True} if resource.imported else {}),
                **({"forgotten": True} if resource.forgotten else {}),
                "attributes": [
                    _sides(
                        {"path": row.path, "action": row.action},
                        row.before,
                        row.after,
                        row.sensitive,
                    )
                    for row in resource.attributes
                ],
            }
            for resource in changes.resources
        ],
        "outputs": [
            _sides(
                {"name": output.name, "action": output.action},
                ABSENT if output.action == "create" else output.before,
                ABSENT if output.action == "delete" else output.after,
                output.sensitive,
            )
            for output in changes.outputs
        ],
        # As the terminal's summary line counts them: moves, imports and forgets apart.
        "summary": {
            "add": add,
            "change": change,
            "destroy": destroy,
            "import": changes.imported(),
            "move": changes.moved(),
            "forget": changes.forgotten(),
        },
    }


def _config(changes: ConfigChanges) -> dict[str, Any]:
    files = []
    for change in changes.files:
        added, removed = change.line_counts()
        files.append(
            {
                "path": change.path,
                "action": change.action,
                "diff": mask_seals(change.unified_diff),
                "added_lines": added,
                "removed_lines": removed,
            }
        )
    variables = [
        _sides(
            {"name": variable.name, "action": variable.action},
            variable.before,
            variable.after,
            variable.sensitive,
        )
        for variable in changes.variables
    ]
    doc: dict[str, Any] = {"files": files, "variables": variables}
    if changes.not_shown is not None:
        doc["not_shown"] = changes.not_shown
    return doc


def _sides(entry: dict[str, Any], before: Any, after: Any, sensitive: bool) -> dict[str, Any]:
    # Checked again here, not only trusted from the model: a seal must never reach the output.
    sensitive = sensitive or contains_sealed(before) or contains_sealed(after)
    if before is not ABSENT:
        entry["before"] = None if sensitive else _plain(before)
    if after is not ABSENT:
        entry["after"] = None if sensitive else _plain(after)
    entry["sensitive"] = sensitive
    return entry


def _plain(value: Any) -> Any:
    """A JSON-ready copy: mappings become dicts with string keys, sequences lists."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
