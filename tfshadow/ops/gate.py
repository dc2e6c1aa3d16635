"""`tfshadow gate`: which logged recommendations are still open.

Open means: logged within ``since``; the newest for its (resource, metric), since a later
analysis supersedes an earlier one; about this workspace (a recommendation whose suspect
version belongs to another workspace is that workspace's business); and not acted on (a
profile's revert, or a later revert that changed the resource: :mod:`tfshadow.ops.handled`, the
rule the plan report follows too).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tfshadow.ci.gate import severity_rank
from tfshadow.forecast import journal
from tfshadow.ops import handled

if TYPE_CHECKING:
    from tfshadow.project import Project


def open_recommendations(
    project: Project, since: float, workspace: str | None, *, now: datetime | None = None
) -> tuple[list[dict[str, Any]], int]:
    """The open recommendations (``Recommendation.to_json()`` form), most severe first, and how
    many lines of the log could not be read (one may have held a recommendation: the gate
    must say it judged without them).

    ``since`` is in seconds before ``now`` (default: the current time). Raises StoreError when
    there is no shadow store, or no version in the workspace: a gate on a mistyped workspace
    would otherwise pass on recommendations it never looked for.
    """
    from tfshadow.ops.analyze import ANALYSIS_DIR, JOURNAL
    from tfshadow.ops.history import open_history

    store, ws = open_history(project, workspace)
    moment = now or datetime.now(UTC)
    start: datetime | None
    try:
        start = moment - timedelta(seconds=since)
    except OverflowError:  # a --since longer than the calendar: the whole log
        start = None
    records, skipped = journal.read(store.private_dir(ANALYSIS_DIR) / JOURNAL, since=start)
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
    done = handled.reverts(store.versions(ws))
    kept = [
        record for _created, record in newest.values() if handled.acted_on(record, done) is None
    ]
    kept.sort(
        key=lambda r: (
            -severity_rank(r.get("severity")),
            str(r.get("resource")),
            str(r.get("metric")),
        )
    )
    return kept, skipped
