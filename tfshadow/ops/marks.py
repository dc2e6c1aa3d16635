"""Marking versions good or bad, and naming versions by their marks (``last-good``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tfshadow.errors import UnknownVersionError, UsageError
from tfshadow.ops.author import detect_author, printable
from tfshadow.ops.history import open_history, parse_version

if TYPE_CHECKING:
    from tfshadow.project import Project
    from tfshadow.store import GitShadowStore

MARKS = ("good", "bad")
LAST_GOOD = "last-good"


def mark(
    project: Project,
    version: str,
    mark: str,
    *,
    workspace: str | None,
    note: str | None = None,
) -> tuple[dict[str, Any], list[str], list[str]]:
    """Mark a version good or bad, and push the mark as a recording pushes its version.

    Returns the stored mark (version, mark, author, timestamp), the notes (the versions taken
    from the remote first) and the warnings of a fetch, push or mirror upload that failed (the
    mark is kept locally all the same).
    """
    from tfshadow.ops.record import RecordOutcome, pull_before_recording, push_marks
    from tfshadow.store.git import git_identity

    value = mark.strip().lower()
    if value not in MARKS:
        raise UsageError(f"`{mark}` is not a mark", hint="mark a version good or bad")
    store, ws = open_history(project, workspace)
    author = detect_author(project.environ, lambda: git_identity(project.workdir))
    with store.lock(project.lock_timeout, command="mark"):
        # A mark is a commit: on a store behind its remote it would part the two histories.
        pulled = RecordOutcome(exit_code=0)
        pull_before_recording(store, pulled)
        number = resolve_version(store, ws, version)
        entry = store.set_mark(ws, number, value, author, note=printable(note or "") or None)
        return entry, pulled.notes, pulled.warnings + push_marks(store)


def resolve_version(store: GitShadowStore, workspace: str, text: str) -> int:
    """A kept version named as :func:`~tfshadow.ops.history.parse_version` understands it
    (``3``, ``v3``, ``latest``, ``latest~1``), or ``last-good``: the newest version marked good.

    UnknownVersionError when that version is not, or no longer, stored.
    """
    if text.strip().lower() == LAST_GOOD:
        number = store.last_good(workspace)
        if number is None:
            gone = store.last_good(workspace, kept=False)
            removed = f" (version {gone} was; retention removed it)" if gone is not None else ""
            raise UnknownVersionError(
                f"no kept version of workspace {workspace} is marked good{removed}",
                hint="mark one with `tfshadow mark N good`",
            )
        return number
    numbers = store.version_numbers(workspace)
    number = parse_version(text, numbers)
    if number not in numbers:
        store.meta(workspace, number)  # raises UnknownVersionError saying why
    return number
