"""`tfshadow gate`: which logged recommendations are still open.

Open means: logged within ``since``; the newest for its (resource, metric), since a later
analysis supersedes an earlier one; about this workspace (a recommendation whose suspect
version belongs to another workspace is that workspace's business); and not followed by a
revert that changed the resource and succeeded, recorded after the recommendation was made (or
in the same second).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tfshadow.ci.gate import severity_rank
from tfshadow.forecast import journal

if TYPE_CHECKING:
    from tfshadow.project import Project


def open_recommendations(
    project: Project, since: float, workspace: str | None, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The open recommendations (``Recommendation.to_json()`` form), most severe first.

    ``since`` is in seconds before ``now`` (default: the current time). Raises StoreError when
    there is no shadow store.
    """
    from tfshadow.ops.analyze import ANALYSIS_DIR, JOURNAL

    store = project.open_store(create=False)
    ws = workspace or project.workspace
    moment = now or datetime.now(UTC)
    records, _skipped = journal.read(
        store.private_dir(ANALYSIS_DIR) / JOURNAL, since=moment - timedelta(seconds=since)
    )
    newest: dict[tuple[str, str], tuple[datetime, dict[str, Any]]] = {}
    for record in records:
        if not journal.in_workspace(record, ws):
            continue
        created = journal.created_at(record)
        if created is None:
            continue
        key = (str(record.get("resource")), str(record.get("metric")))
        # The log is oldest first: on equal times the later line is the newer record.
        if key not in newest or created >= newest[key][0]:
            newest[key] = (created, record)
    reverts = _reverts(store.versions(ws))
    kept = [
        record
        for created, record in newest.values()
        if not _reverted(str(record.get("resource")), created, reverts)
    ]
    kept.sort(
        key=lambda r: (
            -severity_rank(r.get("severity")),
            str(r.get("resource")),
            str(r.get("metric")),
        )
    )
    return kept


def _reverts(metas: list[dict[str, Any]]) -> list[tuple[datetime, list[str] | None]]:
    """(when, the addresses it changed — None when the version does not say) per revert."""
    found: list[tuple[datetime, list[str] | None]] = []
    for meta in metas:
        # A revert that failed part-way restored nothing: what it was about is still open.
        if meta.get("kind") != "revert" or meta.get("outcome") != "success":
            continue
        moment = journal.parse_time(meta.get("timestamp"))
        if moment is None:
            continue
        changes = meta.get("changes")
        addresses = changes.get("addresses") if isinstance(changes, dict) else None
        found.append((moment, [str(a) for a in addresses] if isinstance(addresses, list) else None))
    return found


def _reverted(
    resource: str, created: datetime, reverts: list[tuple[datetime, list[str] | None]]
) -> bool:
    # Both times are whole seconds, and `check --act` logs its recommendation (made before it
    # acted) after the revert it caused: a revert in the same second came after it.
    return any(
        moment >= created and (addresses is None or any(_covers(resource, a) for a in addresses))
        for moment, addresses in reverts
    )


def _covers(resource: str, address: str) -> bool:
    """Whether a change at ``address`` touches ``resource`` (one of its instances, or a resource
    inside the module ``resource`` names)."""
    return address == resource or address.startswith((resource + "[", resource + "."))
