"""`terraform workspace delete` of a workspace with a history: its end recorded in it.

Terraform deletes the workspace's state; with ``-force`` the objects it held still exist,
unmanaged. Without a version saying so, the workspace's history would end on objects Terraform
still managed, and a workspace created again under the same name would start from them: its
first apply would read as destroying them, from a state taken for another configuration's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tfshadow.errors import CaptureError, StoreError, TfshadowError
from tfshadow.ops.record import (
    Capture,
    RecordOutcome,
    empty_state_after,
    latest_recorded,
    pull_or_none,
    push_versions,
    record_drift,
    record_version,
    terraform_lock_timeout,
    version_meta,
)

if TYPE_CHECKING:
    from tfshadow.project import Project
    from tfshadow.store import GitShadowStore

DELETE_KIND = "workspace delete"
# `workspace delete`'s flags that take a value, which may be the next argument (Go's flags).
_VALUE_FLAGS = frozenset({"lock-timeout"})


def deleted_workspace(given: Sequence[str]) -> str | None:
    """The workspace ``terraform workspace delete …`` deletes (``given``: Terraform's arguments,
    ``TF_CLI_ARGS*`` merged in); None for any other command or when none is named."""
    from tfshadow.runner.cli_args import command_index, first_operand
    from tfshadow.runner.commands import runs_no_command

    if runs_no_command(given):
        return None  # Terraform prints its help or version and deletes nothing
    at = command_index(given)
    if at is None or given[at] != "workspace" or given[at + 1 : at + 2] != ["delete"]:
        return None
    return first_operand(given[at + 2 :], _VALUE_FLAGS)


def run_workspace_delete(project: Project, tf_args: Sequence[str]) -> RecordOutcome:
    """Run ``terraform <tf_args>`` (a ``workspace delete``) and, when it deleted a workspace
    whose history is in the store, record its end there: a version of kind ``workspace
    delete`` whose state is empty, the objects it held counted forgotten (they still exist)."""
    from tfshadow.runner.cli_args import effective_args
    from tfshadow.store.layout import validate_workspace

    given = effective_args(tf_args, project.environ)
    name = deleted_workspace(given)
    engine = project.engine
    outcome = RecordOutcome(exit_code=0, kind=DELETE_KIND)
    try:
        storable = name is not None and validate_workspace(name) == name
    except StoreError:
        storable = False  # the store holds no history of it
    if name is None or not storable or not project.store_exists():
        outcome.exit_code = engine.run(tf_args, cwd=project.workdir, environ=project.environ)
        return outcome
    store = project.open_store(create=False)
    if store.latest(name) is None:
        outcome.exit_code = engine.run(tf_args, cwd=project.workdir, environ=project.environ)
        return outcome
    # The deleted workspace, read as Terraform reads a workspace that is not selected.
    there = project.in_workspace(name)
    with store.lock(project.lock_timeout_given(terraform_lock_timeout(given))):
        # What the workspace holds now (a change made outside tfshadow is recorded first), so
        # that the version of its end forgets what Terraform actually let go of.
        raw, ok = pull_or_none(there)
        if ok:
            record_drift(there, store, raw, outcome)
        outcome.exit_code = engine.run(tf_args, cwd=project.workdir, environ=project.environ)
        if outcome.exit_code == 0:
            try:
                _record_end(there, store, name, outcome)
            except TfshadowError as exc:
                # Terraform has deleted it: what stops the recording now is no bad input.
                raise CaptureError(
                    f"workspace {name} was deleted, but its end was not recorded: {exc.message}",
                    hint=f"{exc.hint or 'fix the store'}; the history of {name} ends on its "
                    "last version",
                ) from exc
    if outcome.recorded:
        push_versions(store, outcome)
    return outcome


def _record_end(project: Project, store: GitShadowStore, name: str, outcome: RecordOutcome) -> None:
    from tfshadow.state.normalise import canonicalise

    latest = store.latest(name)
    if latest is None or latest.get("kind") == DELETE_KIND:
        return  # deleted before, and never applied since it was created again
    recorded = latest_recorded(store, name, latest)
    assert recorded is not None
    empty = canonicalise(empty_state_after(recorded.state, serial_step=1))
    # The configuration is the one the workspace was last recorded with: the deletion changes
    # no file.
    capture = Capture(state=empty, config=recorded.config)
    meta = version_meta(
        project,
        store,
        capture,
        kind=DELETE_KIND,
        outcome="success",
        message=f"Workspace {name} deleted",
    )
    outcome.recorded.append(record_version(store, meta, capture, outcome.warnings))
