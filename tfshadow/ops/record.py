"""Run a state-changing Terraform command and record what it did as a shadow version.

The sequence: validate → lock the store → pull the state before (recording a baseline or a
recovered version first if the store is behind) → run Terraform with the user's terminal →
pull the state after → capture (normalise, redact, delta, commit) → push.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tfshadow.errors import (
    CaptureError,
    CaptureInterruptedError,
    EngineError,
    PushInterruptedError,
    StoreDivergedError,
    StoreHalfJoinedError,
    StoreLockedError,
    StoreNotWritableError,
    TfshadowError,
    UsageError,
)
from tfshadow.ops.author import ci_description, detect_author, printable

if TYPE_CHECKING:
    from pathlib import Path

    from tfshadow.project import Project
    from tfshadow.state.redact import Redactor
    from tfshadow.store import GitShadowStore
    from tfshadow.store.base import Reconstructed

RECORDED_COMMANDS = frozenset({"apply", "destroy", "import", "refresh", "taint", "untaint"})
RECORDED_STATE_SUBCOMMANDS = frozenset({"mv", "rm", "push", "replace-provider"})


# What Go's flag package takes for true in `-flag=value`.
_GO_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})


def bool_flag(args: Sequence[str], name: str) -> bool:
    """Whether the boolean flag ``name`` is set in ``args`` as Terraform reads it: ``-name``,
    ``--name`` or ``-name=VALUE``, the last one winning, none after ``--``."""
    on = False
    for arg in args:
        if arg == "--":
            break
        if not arg.startswith("-") or arg.startswith("---"):
            continue
        flag, equals, value = arg.lstrip("-").partition("=")
        if flag == name:
            on = not equals or value in _GO_TRUE
    return on


def recorded_command_name(command: str, rest: Sequence[str]) -> str | None:
    """``"apply"``, ``"state rm"``…: the name under which a command is recorded, if it is.

    Asking for a command's help or Terraform's version changes nothing; ``apply -destroy`` is
    recorded as a destroy, ``apply -refresh-only`` as a refresh (what it does, and what
    Terraform advises over ``terraform refresh``).
    """
    from tfshadow.runner.commands import runs_no_command

    if runs_no_command(rest):
        return None
    if command == "apply" and bool_flag(rest, "destroy"):
        return "destroy"
    if command == "apply" and bool_flag(rest, "refresh-only"):
        return "refresh"
    if command in RECORDED_COMMANDS:
        return command
    if command == "state":
        sub = next((a for a in rest if not a.startswith("-")), None)
        if sub in RECORDED_STATE_SUBCOMMANDS:
            return f"state {sub}"
    return None


@dataclass
class RecordOutcome:
    exit_code: int
    kind: str = ""  # what the command was recorded as ("destroy" for a saved destroy plan's apply)
    recorded: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CommandInputs:
    variables: Mapping[str, str] = field(default_factory=dict)
    var_files: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    # False for what is given no variables (`state rm`, `taint`, a change found made outside
    # tfshadow): its version keeps those of the version before, which still configure the
    # infrastructure, rather than reading as if they had been removed.
    takes_variables: bool = True


# Commands Terraform gives no input variables to.
_WITHOUT_VARIABLES = frozenset(
    {"state mv", "state rm", "state push", "state replace-provider", "taint", "untaint"}
)


@dataclass(frozen=True)
class Capture:
    """One observation of the working directory, ready to be recorded."""

    state: dict[str, Any]
    config: dict[str, Any]


def run_recorded(
    project: Project,
    tf_args: Sequence[str],
    command: str,
    rest: Sequence[str],
    *,
    message: str | None,
    store: GitShadowStore | None = None,
    warn_now: Callable[[str], None] | None = None,
) -> RecordOutcome:
    """Run ``terraform <tf_args>`` and record the state change it makes.

    ``store`` is the shadow store when the caller has it open already. ``warn_now`` shows a
    warning at once (before Terraform runs); without it, warnings are all in the outcome.
    """
    from tfshadow.runner.cli_args import command_index, effective_args
    from tfshadow.store.layout import validate_workspace

    name = recorded_command_name(command, rest)
    assert name is not None, command
    refuse_unreadable_cli_args(project.environ, tf_args)
    # `TF_CLI_ARGS_apply=-destroy` makes a destroy as `apply -destroy` does.
    given = effective_args(tf_args, project.environ)
    command_at = command_index(given)
    if command_at is not None:
        name = recorded_command_name(command, given[command_at + 1 :]) or name
    if name == "apply":
        name = _saved_plan_kind(project, tf_args) or name
    engine = project.require_ready()
    # Before Terraform runs: a workspace the store cannot hold would leave its change unrecorded.
    validate_workspace(project.workspace)
    environ = project.environ
    outcome = RecordOutcome(exit_code=0, kind=name)

    inputs = command_inputs(project, tf_args)
    if name in _WITHOUT_VARIABLES:
        inputs = CommandInputs(targets=inputs.targets, takes_variables=False)
    state_file = legacy_state_file(project, tf_args)
    from tfshadow.runner.commands import DEFAULT_WORKSPACE

    if state_file is not None and project.workspace != DEFAULT_WORKSPACE:
        # Terraform uses the file whatever the workspace: recorded as this workspace's, its
        # state and the workspace's own would alternate in one history.
        raise UsageError(
            f"-state and -state-out name a state file Terraform uses whatever the workspace: "
            f"tfshadow keeps one history per workspace and cannot record it as workspace "
            f"{project.workspace}'s; nothing was run",
            hint="drop -state/-state-out (the backend holds each workspace's state), or run it "
            "in the default workspace",
        )
    # Read now: a bad value is refused before Terraform runs.
    terraform_wait = terraform_lock_timeout(given)
    lock_timeout = project.lock_timeout_given(terraform_wait)
    with _recording_lock(
        project,
        store,
        state_file,
        lock_timeout,
        terraform_wait=terraform_wait is not None and project.lock_timeout_option is None,
    ) as store:
        # Read under the lock: a state pulled before another apply finished would look like a
        # change made outside tfshadow.
        before_raw, read_before = pull_or_none(project, state_file) if store else (None, True)
        if store is not None:
            pull_before_recording(store, outcome, warn_now)
            if read_before:
                # A state that could not be read is no state gone.
                record_drift(project, store, before_raw, outcome, before_writing=True)
            # Said before Terraform runs, while an apply can still be declined at its prompt.
            warning = key_warning(project.redactor(store), store, project.workspace)
            if warning is not None:
                (warn_now or outcome.warnings.append)(warning)
        with _loaded_meanwhile(_USED_AFTER_TERRAFORM):
            outcome.exit_code = engine.run(tf_args, cwd=project.workdir, environ=environ)
        try:
            after_raw, ok = pull_or_none(project, state_file)
        except KeyboardInterrupt:
            raise interrupted_after_terraform(project) from None
        if not ok or after_raw is None:
            # A state unread before is not a state that was not there: the store holds one.
            if outcome.exit_code == 0 and (before_raw is not None or not read_before):
                raise CaptureError(
                    "Terraform succeeded but its state could not be read afterwards",
                    hint="run `tfshadow log` once the backend is reachable: the change is "
                    "recorded then as a recovered version",
                )
            outcome.notes.append("No state to record.")
            return outcome
        try:
            if store is None:
                # The store is created by the first state there is to record, and this
                # recording holds its lock like any other.
                store = project.open_store(create=True)
                with store.lock(lock_timeout):
                    _record_after(project, store, None, after_raw, inputs, name, message, outcome)
            else:
                _record_after(project, store, before_raw, after_raw, inputs, name, message, outcome)
        except KeyboardInterrupt:
            raise interrupted_after_terraform(project) from None
        except CaptureError:
            raise
        except TfshadowError as exc:
            # Terraform has run: whatever stops the recording now (a tampered store, an
            # unreadable configuration…) leaves a change unrecorded, not bad input.
            raise CaptureError(
                f"Terraform's change was not recorded: {exc.message}",
                hint=f"{exc.hint or 'fix the store'}; then run `tfshadow log`: the change is "
                "recorded then as a recovered version",
            ) from exc
        if outcome.recorded:
            push_versions(store, outcome)
        else:
            if store.has_unpushed():
                # An earlier push failed; its warning promised this command would send it.
                _push(store, outcome)
            _resume_mirror(store, outcome)
    return outcome


def refuse_unreadable_cli_args(environ: Mapping[str, str], tf_args: Sequence[str]) -> None:
    """A :class:`UsageError` naming the ``TF_CLI_ARGS*`` variable Terraform would refuse to
    read (an unclosed quote…) before it runs the command ``tf_args`` name.

    Said before the store is locked or Terraform runs: Terraform would only stop with its own
    error, after which tfshadow could say no more than that the state did not change, and a
    change made outside tfshadow would be recorded on the way by a command that never ran.
    """
    from tfshadow.runner.cli_args import check_cli_args, terraform_subcommand

    found = terraform_subcommand(tf_args)
    problem = check_cli_args(environ, found[0] if found else "")
    if problem is not None:
        variable, what = problem
        raise UsageError(
            f"Terraform cannot read {variable}: {what}",
            hint=f"fix the quoting in {variable} (every quote closed, as in a shell), or "
            "unset it; nothing was run",
        )


def terraform_lock_timeout(given: Sequence[str]) -> float | None:
    """The seconds of the ``-lock-timeout`` Terraform's arguments ``given`` (``TF_CLI_ARGS*``
    merged in) set, the last one winning; None without one.

    ``-lock=false`` changes nothing here: it spares Terraform the state's lock at the user's
    own risk, while the store's lock keeps two recordings from interleaving, which no flag
    makes safe.
    """
    from tfshadow.runner.cli_args import command_index, flag_value, go_duration_seconds

    command_at = command_index(given)
    raw = flag_value(given[command_at + 1 :], {"lock-timeout"}) if command_at is not None else None
    if raw is None:
        return None
    try:
        return go_duration_seconds(raw)
    except ValueError:
        raise UsageError(
            f"-lock-timeout={raw} is not a duration",
            hint="write it as Terraform reads it, e.g. -lock-timeout=30s or -lock-timeout=2m",
        ) from None


# What recording, printing and following up a change import, loaded while Terraform runs:
# about 0.05 s of every recorded command that would otherwise come after it.
_USED_AFTER_TERRAFORM = (
    "rich.console",
    "rich.text",
    "tfshadow.state.changes",
    "tfshadow.ops.history",
    "tfshadow.ops.marks",
    "tfshadow.ops.ghost",
    "tfshadow.mirror.ops",
)


@contextmanager
def _loaded_meanwhile(modules: Sequence[str]) -> Iterator[None]:
    """Import ``modules`` in a thread while the body runs (it waits on a child process).

    The thread is joined before the body's caller goes on, so no import of the main thread
    ever runs beside it (two threads importing modules that import each other can deadlock).
    """
    import importlib
    import threading

    def load() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # the real import, later, reports it
                return

    loader = threading.Thread(target=load, name="tfshadow-preload", daemon=True)
    loader.start()
    try:
        yield
    finally:
        loader.join()


def interrupted_after_terraform(project: Project) -> CaptureInterruptedError:
    """The error for Ctrl-C between Terraform's run and the version's commit."""
    # Silence here would hide that Terraform's change is not in the store yet.
    if not project.store_exists():
        # A first apply stopped before the store was made: `log` has no history to catch up.
        return CaptureInterruptedError(
            "interrupted after Terraform ran: its change is not recorded",
            hint="run `tfshadow apply` again: it records the state Terraform left as a baseline "
            "version first",
        )
    return CaptureInterruptedError(
        "interrupted after Terraform ran: its change may not be recorded",
        hint="run `tfshadow log`: a change not recorded yet is recorded then as a recovered "
        "version",
    )


def _record_after(
    project: Project,
    store: GitShadowStore,
    before_raw: dict[str, Any] | None,
    after_raw: dict[str, Any],
    inputs: CommandInputs,
    name: str,
    message: str | None,
    outcome: RecordOutcome,
) -> None:
    """Record the state Terraform left (appended to ``outcome``)."""
    redactor = project.redactor(store)
    latest = store.latest(project.workspace)
    recorded = latest_recorded(store, project.workspace, latest)
    previous = recorded.state if recorded is not None else None
    capture = capture_now(project, redactor, after_raw, inputs, recorded)
    state = capture.state
    if latest is not None and same_state(latest, state, previous):
        # "failed" would be wrong for an apply the user declined at its prompt.
        verb = f"exited with code {outcome.exit_code}" if outcome.exit_code else "finished"
        outcome.notes.append(f"Terraform {verb}; the state did not change: nothing recorded.")
        return
    if latest is not None and previous is not None and before_raw is None:
        # A new state where the store has versions: recreated, or another configuration's store.
        _warn_if_another_state(store, previous, state, latest, outcome)
    meta = version_meta(
        project,
        store,
        capture,
        kind=name,
        outcome="success" if outcome.exit_code == 0 else "partial",
        message=message,
        extra=_inputs_meta(project, inputs),
    )
    outcome.recorded.append(record_version(store, meta, capture, outcome.warnings))


def legacy_state_file(project: Project, tf_args: Sequence[str]) -> Path | None:
    """The state file a command's legacy ``-state``/``-state-out`` names (relative to the
    working directory; what it writes wins), None when it names none: the backend holds it.
    ``TF_CLI_ARGS*`` count, as Terraform reads them."""
    from tfshadow.runner.cli_args import effective_args, flag_value

    given = effective_args(tf_args, project.environ)
    chosen = flag_value(given, {"state-out"}) or flag_value(given, {"state"})
    return project.workdir / chosen if chosen else None


@contextmanager
def _recording_lock(
    project: Project,
    store: GitShadowStore | None,
    state_file: Path | None,
    timeout: float,
    *,
    terraform_wait: bool = False,
) -> Iterator[GitShadowStore | None]:
    """The store, locked for a recorded command; None while there is no store and no state to
    record. A first apply has no store to lock yet: first applies in this directory take turns
    on the directory itself, as later ones do on the store's lock. ``terraform_wait``: the
    timeout is Terraform's ``-lock-timeout``, which the error then names."""
    from tfshadow.store.lock import creation_lock

    with ExitStack() as held:
        try:
            if store is None and not project.store_exists():
                held.enter_context(creation_lock(project.workdir, timeout))
            store = store or _store_with_something_to_hold(project, state_file)
            if store is not None:
                held.enter_context(store.lock(timeout))
        except StoreLockedError as exc:
            if not terraform_wait:
                raise
            # "a longer --lock-timeout" alone would read as if -lock-timeout had been ignored.
            raise StoreLockedError(
                exc.message,
                hint=f"wait for it to finish, or retry with a longer -lock-timeout (waited "
                f"{timeout:g} s; --lock-timeout SECS sets tfshadow's wait alone)",
            ) from None
        yield store


def _store_with_something_to_hold(
    project: Project, state_file: Path | None
) -> GitShadowStore | None:
    """The store to hold while Terraform runs; None while there is no store and no state.

    A first apply that fails (a syntax error, providers not installed) must not leave an empty
    store behind, so a new store is made only for a state to record: the one found here (the
    baseline) or the one Terraform leaves.
    """
    from tfshadow.store import GitShadowStore

    if project.store_exists():
        return project.open_store(create=True)
    raw, _ = pull_or_none(project, state_file)
    if raw is None or not (raw.get("resources") or raw.get("outputs")):
        # Where the store will go is still checked now: after Terraform ran, a store that
        # cannot be made there would leave its change unrecorded.
        GitShadowStore.check_creatable(project.store_config())
        return None
    return project.open_store(create=True)


def catch_up(project: Project, store: GitShadowStore) -> RecordOutcome:
    """Record the live state if it moved since the newest version (crash, or a plain apply).

    For reading commands: when another tfshadow command holds the store it is about to record
    the state itself, so this neither waits nor records.
    """
    outcome = RecordOutcome(exit_code=0)
    try:
        with store.lock(0):
            raw, ok = pull_or_none(project)
            drift = _drift(project, store, raw) if ok else None
            if drift is not None:
                # Another copy may have recorded it: taken from the remote, it is no drift
                # (and a version recorded here would part the two histories). Only then, so
                # that reading the history does not wait on the network.
                took = pull_before_recording(store, outcome)
                record_drift(project, store, raw, outcome, None if took else drift)
    except StoreLockedError:
        return outcome
    except StoreNotWritableError as exc:
        # Reading a store one may not write (a read-only mount, a copy owned by CI, a full
        # disk) still works.
        outcome.warnings.append(
            f"{exc.message}: a change made outside tfshadow since the newest version would not "
            "be recorded"
        )
        return outcome
    if outcome.recorded:
        push_versions(store, outcome)
    return outcome


def pull_before_recording(
    store: GitShadowStore, outcome: RecordOutcome, warn: Callable[[str], None] | None = None
) -> bool:
    """Bring the store up to its remote's newer versions (recorded by another copy: CI, a
    colleague), so that what this command records goes on from them and can be pushed. The
    caller holds the store's lock; a change made outside tfshadow is judged against the
    result. Nothing stops the command: the store records on its own history when the remote
    cannot be reached or has diverged (the push then says so). ``warn`` shows a warning at
    once; without it, it goes in the outcome. True when commits were taken."""
    try:
        pulled = store.pull_before_recording()
    except StoreDivergedError:
        return False  # the push after the recording says it, with the way out
    except TfshadowError as exc:
        (warn or outcome.warnings.append)(
            f"could not take the remote's newer versions before recording: {exc.message}; "
            "recording on this copy's history, kept locally: the next recorded command pushes "
            "it (a copy that recorded meanwhile makes the histories diverge)"
        )
        return False
    if pulled is None or not pulled.pulled:
        return False
    outcome.notes.append(
        f"Took {pulled.pulled} commit(s) from {pulled.remote} that another copy of the "
        "store recorded, before recording."
    )
    return True


@dataclass(frozen=True)
class _Drift:
    """A version the live state calls for before anything else is recorded."""

    kind: str  # "baseline" or "recovered"
    description: str
    recorded: Reconstructed | None  # the newest version it goes on from
    state: dict[str, Any]  # the live state's document
    latest: dict[str, Any] | None  # the newest version's meta
    # The state recorded when there is none at all: an empty one going on from the newest
    # version's, whose managed objects (``forgotten``) are let go of, not destroyed.
    raw: dict[str, Any] | None = None
    forgotten: tuple[str, ...] = ()
    warning: str | None = None  # said when it is recorded


def _drift(
    project: Project,
    store: GitShadowStore,
    raw: dict[str, Any] | None,
    *,
    before_writing: bool = False,
) -> _Drift | None:
    """The version the live state ``raw`` calls for; None when it calls for none (the
    newest version's state, or no state). ``before_writing``: Terraform is about to write a
    state here, so no state at all where the newest version holds objects is recorded as
    such (see :func:`_state_gone`). Reading the history alone never does: a copy of the store
    taken where the state is not (a new clone, a CI runner not initialised yet) would record,
    and push, the team's objects as let go of."""
    if raw is None:
        return _state_gone(project, store) if before_writing else None
    latest = store.latest(project.workspace)
    recorded = latest_recorded(store, project.workspace, latest)
    previous = recorded.state if recorded is not None else None
    # The secrets the latest version knew: the configuration is read only if there is drift.
    state = state_document(project.redactor(store), raw, known_secrets(recorded), previous=previous)
    if latest is None or previous is None:
        if not state.get("resources") and not state.get("outputs"):
            return None
        description = "Baseline: the state as tfshadow first found it"
        return _Drift("baseline", description, recorded, state, latest)
    if same_state(latest, state, previous):
        return None
    description = (
        f"Recovered: the state changed outside tfshadow (serial "
        f"{previous.get('serial')} → {state.get('serial')})"
    )
    return _Drift("recovered", description, recorded, state, latest)


def _state_gone(project: Project, store: GitShadowStore) -> _Drift | None:
    """The version to record when the backend holds no state at all while the newest version
    holds objects and the configuration declares another backend than that version's: the
    backend changed without its state brought along (`init -reconfigure`). No destroy leaves
    that (it leaves an empty state), so the objects still exist, in the state left behind:
    Terraform no longer manages them from here. Recorded so, the next command's version
    counts what it creates, not the objects it never saw as destroyed.

    With the same backend, no state is no sign of a move: another configuration sharing the
    store looks the same, and is warned about when its state is recorded."""
    latest = store.latest(project.workspace)
    recorded = latest_recorded(store, project.workspace, latest)
    if latest is None or recorded is None:
        return None
    resources = recorded.state.get("resources") or {}
    managed = tuple(
        sorted(
            address
            for address, entry in resources.items()
            if isinstance(entry, Mapping) and entry.get("mode") == "managed"
        )
    )
    if not managed or not _backend_changed(recorded.config, project.workdir):
        return None
    before = recorded.state
    empty = empty_state_after(before)
    state = state_document(project.redactor(store), empty, previous=before)
    count = f"the {len(managed)} object(s) of version {latest['version']}"
    description = (
        f"Recovered: the backend changed without its state; {count} are no longer managed here"
    )
    warning = (
        f"the backend changed without its state: {count} still exist but are no longer "
        "managed here (recorded as forgotten, not destroyed); `tfshadow init -migrate-state` "
        "brings a state to a new backend"
    )
    return _Drift("recovered", description, recorded, state, latest, empty, managed, warning)


def empty_state_after(before: Mapping[str, Any], *, serial_step: int = 0) -> dict[str, Any]:
    """A state (Terraform's form) holding nothing, of the lineage and Terraform version of the
    canonical state ``before``; its serial ``serial_step`` past ``before``'s."""
    from tfshadow.runner.commands import LOCAL_STATE_VERSION

    return {
        "version": LOCAL_STATE_VERSION,
        "terraform_version": before.get("terraform_version"),
        "serial": int(before.get("serial") or 0) + serial_step,
        "lineage": before.get("lineage") or "",
        "outputs": {},
        "resources": [],
    }


def _backend_changed(config: Mapping[str, Any], workdir: Path) -> bool:
    """Whether the configuration in ``workdir`` declares another backend than the recorded
    configuration document ``config`` (False when either cannot be read)."""
    from tfshadow.revert.backend import backend_differs
    from tfshadow.state.config_files import collect_files, files_from_document

    try:
        return backend_differs(files_from_document(config), collect_files(workdir))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def record_drift(
    project: Project,
    store: GitShadowStore,
    raw: dict[str, Any] | None,
    outcome: RecordOutcome,
    drift: _Drift | None = None,
    *,
    before_writing: bool = False,
) -> None:
    """Record the version the live state ``raw`` calls for, if any. ``drift``: that version
    as :func:`_drift` found it against the store as it is now, when the caller has it;
    ``before_writing``: as :func:`_drift` takes it."""
    drift = drift or _drift(project, store, raw, before_writing=before_writing)
    raw = raw if raw is not None else drift.raw if drift is not None else None
    if drift is None or raw is None:
        return
    recorded = drift.recorded
    if drift.kind == "recovered" and recorded is not None and drift.latest is not None:
        _warn_if_another_state(store, recorded.state, drift.state, drift.latest, outcome)
    if drift.warning is not None:
        outcome.warnings.append(drift.warning)
    redactor = project.redactor(store)
    capture = capture_now(project, redactor, raw, CommandInputs(takes_variables=False), recorded)
    warning = key_warning(redactor, store, project.workspace, recorded)
    if warning is not None:
        outcome.warnings.append(warning)
    meta = version_meta(
        project,
        store,
        capture,
        kind=drift.kind,
        outcome="success",
        message=drift.description,
        extra={"forgotten": list(drift.forgotten)} if drift.forgotten else None,
    )
    outcome.recorded.append(record_version(store, meta, capture, outcome.warnings))


def record_version(
    store: GitShadowStore, meta: dict[str, Any], capture: Capture, warnings: list[str]
) -> dict[str, Any]:
    """Record ``capture`` as the next version of ``meta["workspace"]`` and return its meta.

    A failed retention does not undo the version: it is said in ``warnings``, not raised."""
    from tfshadow.errors import RetentionError

    try:
        return store.record(str(meta["workspace"]), meta, capture.state, capture.config)
    except RetentionError as exc:
        warnings.append(
            f"version {exc.recorded['version']} is recorded, but the oldest versions were not "
            f"removed: {exc.one_line()}"
        )
        return exc.recorded


def key_warning(
    redactor: Redactor,
    store: GitShadowStore,
    workspace: str,
    recorded: Reconstructed | None = None,
) -> str | None:
    """The warning when TFSHADOW_KEY (``redactor``'s) is not the key the latest version's
    secrets were encrypted with: unset, mistyped, rotated or another person's, which nothing
    else tells. ``recorded``: that version reconstructed, when the caller has it.

    The version's meta names its key by id (``key_id``), so this costs nothing; a version
    recorded before versions did is looked into, once.
    """
    from tfshadow.errors import SecretError
    from tfshadow.state.redact import SEAL_PREFIX, seals_in

    latest = store.latest(workspace)
    if latest is None:
        return None
    version = int(latest["version"])
    if "key_id" in latest:
        recorded_with = latest["key_id"]
        if recorded_with is None or recorded_with == redactor.key_id:
            return None
        return _key_warning(version, redactor, str(recorded_with))
    if recorded is None or recorded.meta.get("version") != version:
        recorded = store.reconstruct(workspace, version)
    encrypted = [
        seal
        for seal in seals_in((recorded.state, recorded.config))
        if seal.startswith(SEAL_PREFIX + "enc:")
    ]
    if not encrypted or not redactor.encrypts:
        return _key_warning(version, redactor, None) if encrypted else None
    for seal in encrypted:
        try:
            redactor.unseal(seal)
        except SecretError:
            continue
        return None
    return _key_warning(version, redactor, None)


def _key_warning(version: int, redactor: Redactor, recorded_with: str | None) -> str:
    if not redactor.encrypts:
        return (
            f"TFSHADOW_KEY is not set, but version {version} was recorded with it: a version "
            "recorded without it keeps only fingerprints of its secrets, so a revert to it needs "
            "them supplied; set TFSHADOW_KEY for the commands that record"
        )
    ids = f" (key id {recorded_with}; this one's is {redactor.key_id})" if recorded_with else ""
    return (
        f"TFSHADOW_KEY does not open the secrets of version {version}: it is not the key that "
        f"version was recorded with{ids}. If the key was not changed on purpose (a typo, "
        "another person's key), set the right one: each version can be reverted only with the "
        "key it was recorded with"
    )


def _warn_if_another_state(
    store: GitShadowStore,
    previous: dict[str, Any],
    state: dict[str, Any],
    latest: dict[str, Any],
    outcome: RecordOutcome,
) -> None:
    """Warn when the state is not the one the latest version was recorded from (its lineage
    differs): a store shared by two configurations takes each for a change of the other."""
    before, after = previous.get("lineage"), state.get("lineage")
    if not before or not after or before == after:
        return
    if latest.get("kind") == "workspace delete" or (
        latest.get("forgotten") and not previous.get("resources")
    ):
        # The workspace was deleted since, or its state was found gone (and its objects let
        # go of): a new state is expected, not another configuration's.
        return
    # Two configurations of one repository that both set `branch = "tfshadow"` share a store;
    # a path would not part them while the branch setting stands.
    own = (
        "store.branch in tfshadow.hcl: one branch per configuration"
        if store.config.branch is not None
        else "store.path in tfshadow.hcl, or TFSHADOW_STORE"
    )
    outcome.warnings.append(
        f"version {latest['version']} was recorded from another state (lineage {before}, this "
        f"one is {after}): if another configuration uses this store, give each its own ({own})"
    )


def same_state(
    latest: dict[str, Any], state: dict[str, Any], recorded: dict[str, Any] | None = None
) -> bool:
    """Whether ``state`` is the state of the version ``latest`` describes.

    With ``recorded`` (that version's stored state), also when only seal strings differ while
    lineage and serial are the same: the secrets were sealed under another key (TFSHADOW_KEY
    unset, or not the one the history was recorded with), and Terraform raises the serial
    whenever it writes a changed state.
    """
    from tfshadow.state.delta import sha256_hex

    if latest.get("state_sha256") == sha256_hex(state):
        return True
    if recorded is None:
        return False
    if any(recorded.get(key) != state.get(key) for key in ("lineage", "serial")):
        return False
    return bool(_without_seals(recorded) == _without_seals(state))


def _without_seals(value: Any) -> Any:
    from tfshadow.state.redact import is_sealed

    if isinstance(value, dict):
        return {k: _without_seals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_seals(v) for v in value]
    return "(sealed)" if isinstance(value, str) and is_sealed(value) else value


def state_document(
    redactor: Redactor,
    raw_state: dict[str, Any],
    known: Collection[str] = (),
    secrets: set[str] | None = None,
    previous: Mapping[str, Any] | None = None,
    given: Collection[str] = (),
) -> dict[str, Any]:
    """The canonical, secret-free form of a pulled state; ``known``: seals of secrets known
    from elsewhere (:func:`known_secrets`), sealed wherever the state holds them; ``secrets``
    receives the values sealed; ``previous``: the version before's state, whose sealed places
    stay sealed; ``given``: secrets known in plain, sealed also where the state holds them
    inside a longer string (see :meth:`Redactor.redact_state`)."""
    from tfshadow.state.normalise import canonicalise

    return redactor.redact_state(canonicalise(raw_state), known, secrets, previous, given)


def capture_now(
    project: Project,
    redactor: Redactor,
    raw_state: dict[str, Any],
    inputs: CommandInputs,
    recorded: Reconstructed | None,
) -> Capture:
    """The state Terraform left and the working directory's configuration, secret-free: each
    sealed where it holds a secret the other one told."""
    from tfshadow.state.config_seal import seal_known_literals, seal_secret_strings
    from tfshadow.state.redact import keep_seals

    config, config_secrets = config_document_now(project, redactor, inputs)
    if not inputs.takes_variables and recorded is not None:
        config["variables"] = dict(recorded.config.get("variables") or {})
    secrets: set[str] = set()
    state = state_document(
        redactor,
        raw_state,
        known_secrets(recorded, config),
        secrets,
        recorded.state if recorded is not None else None,
        given=config_secrets,
    )
    config = seal_secret_strings(config, secrets, redactor.seal)
    if recorded is not None:
        # What the state sealed before and no longer holds (a targeted destroy, `state rm`)
        # may still be a literal of the files.
        known = redactor.known_value(known_secrets(recorded))
        config = seal_known_literals(config, known, redactor.seal)
        state, config = keep_seals((state, config), known_secrets(recorded))
    return Capture(state, config)


def latest_recorded(
    store: GitShadowStore, workspace: str, latest: dict[str, Any] | None
) -> Reconstructed | None:
    """The version ``latest`` describes, reconstructed (None for none)."""
    if latest is None:
        return None
    return store.reconstruct(workspace, int(latest["version"]))


def known_secrets(
    recorded: Reconstructed | None, config: dict[str, Any] | None = None
) -> frozenset[str]:
    """Seals of the secrets a state may hold unmarked: whatever a recorded version sealed, in
    its state and its configuration (so a command not given a secret, such as `state mv` or a
    drift check, still seals it where an apply did), and ``config``'s secret variables and
    literals."""
    from tfshadow.state.redact import seals_in

    seals = seals_in(config) if config is not None else frozenset()
    if recorded is not None:
        seals |= seals_in(recorded.state) | seals_in(recorded.config)
    return seals


def config_document_now(
    project: Project, redactor: Redactor, inputs: CommandInputs
) -> tuple[dict[str, Any], frozenset[str]]:
    """The working directory's configuration and this command's variables, secret-free; and
    its secrets in plain, to be looked for in the state
    (:func:`~tfshadow.state.config_seal.sealed_configuration`)."""
    from tfshadow.state import config_files, config_seal
    from tfshadow.state.redact import SECRET_NAME

    files = config_files.collect_files(project.workdir, inputs.var_files)
    # TF_VAR_* of other configurations are in the environment too: Terraform ignores them, and
    # their values have no business in this store.
    declared = config_files.root_variable_names(files)
    variables = {name: value for name, value in inputs.variables.items() if name in declared}
    return config_seal.sealed_configuration(files, variables, redactor.seal, SECRET_NAME)


def _inputs_meta(project: Project, inputs: CommandInputs) -> dict[str, Any] | None:
    from tfshadow.state import config_files

    extra: dict[str, Any] = {}
    if inputs.targets:
        # A targeted command applied part of the configuration: the version must say which.
        extra["targets"] = list(inputs.targets)
    var_files = config_files.var_file_keys(project.workdir, inputs.var_files)
    if var_files:
        # Their contents are among the version's files; a revert passes them again.
        extra["var_files"] = var_files
    return extra or None


def command_inputs(project: Project, tf_args: Sequence[str]) -> CommandInputs:
    """The variable values and files given to this command (``TF_CLI_ARGS*`` included).

    An apply of a saved plan takes its variables and targets from the plan (Terraform refuses
    ``-var`` then), so they are read from it: a revert to the version needs them.
    """
    from tfshadow.state import config_files

    plan_file = saved_plan_file(tf_args)
    if plan_file is not None:
        from tfshadow.runner.planfile import saved_plan_targets

        return CommandInputs(
            variables=_plan_variables(project, plan_file),
            targets=saved_plan_targets(project.workdir / plan_file),
        )
    return CommandInputs(
        variables=config_files.parse_variable_args(tf_args, project.environ, project.workdir),
        var_files=config_files.parse_var_files(tf_args, project.environ, project.workdir),
        targets=config_files.parse_targets(tf_args, project.environ),
    )


# Flags of `terraform apply` that take the next argument as their value when written without
# `=` (Go's flag package): the plan file is the first argument after the flags.
_APPLY_VALUE_FLAGS = frozenset(
    {
        "backup",
        "exclude",
        "invoke",  # an action to run (Terraform 1.14 and later)
        "lock-timeout",
        "parallelism",
        "replace",
        "state",
        "state-out",
        "target",
        "var",
        "var-file",
    }
)


def saved_plan_file(tf_args: Sequence[str]) -> str | None:
    """The plan file of ``apply PLAN``, None for any other command."""
    from tfshadow.runner.cli_args import command_index, first_operand

    command_at = command_index(tf_args)
    if command_at is None or tf_args[command_at] != "apply":
        return None
    return first_operand(tf_args[command_at + 1 :], _APPLY_VALUE_FLAGS)


def _saved_plan_kind(project: Project, tf_args: Sequence[str]) -> str | None:
    """``"destroy"`` or ``"refresh"`` for the apply of a saved ``plan -destroy`` or ``plan
    -refresh-only``, recorded as ``apply -destroy`` and ``apply -refresh-only`` are; None for any
    other command or plan (or a plan that cannot be read: Terraform says why)."""
    from tfshadow.runner.planfile import saved_plan_mode

    plan_file = saved_plan_file(tf_args)
    if plan_file is None:
        return None
    return {"destroy": "destroy", "refresh-only": "refresh"}.get(
        saved_plan_mode(project.workdir / plan_file) or ""
    )


def _plan_variables(project: Project, plan_file: str) -> dict[str, str]:
    """The root module's variable values a saved plan was made with, as ``-var`` would give
    them; empty when the plan cannot be read (Terraform then says why)."""
    import json

    shown = project.engine.capture(
        ["show", "-json", plan_file], cwd=project.workdir, environ=project.environ
    )
    if shown.returncode != 0:
        return {}
    try:
        doc = json.loads(shown.stdout)
    except ValueError:
        return {}
    variables = doc.get("variables") if isinstance(doc, dict) else None
    values: dict[str, str] = {}
    if not isinstance(variables, dict):
        return values
    declared = ((doc.get("configuration") or {}).get("root_module") or {}).get("variables") or {}
    for name, entry in variables.items():
        value = entry.get("value") if isinstance(entry, dict) else None
        if value is None:
            continue
        default = declared.get(name) if isinstance(declared, dict) else None
        if isinstance(default, dict) and "default" in default and default["default"] == value:
            # A plan holds every variable's value, defaults too: recorded as given, they would
            # read as -var values an apply must repeat (a revert warns of them), and be passed
            # as -var to every later ghost apply, which records them again.
            continue
        # -var takes strings as they are and other types as HCL, of which JSON is a part.
        values[name] = value if isinstance(value, str) else json.dumps(value)
    return values


def home_relative(text: str, home: str | None = None) -> str:
    """``text``, a path under the user's home directory written from ``~``: the store is pushed
    and mirrored, and the home directory's name is often the user's login."""
    home = home if home is not None else os.path.expanduser("~")
    if home.rstrip("/") and text.startswith(home.rstrip("/") + "/"):
        return "~" + text[len(home.rstrip("/")) :]
    return text


def version_meta(
    project: Project,
    store: GitShadowStore,
    capture: Capture,
    *,
    kind: str,
    outcome: str,
    message: str | None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    from tfshadow import env
    from tfshadow.state.redact import SEAL_PREFIX, key_id, seals_in
    from tfshadow.store.git import git_identity

    workspace = project.workspace
    change = version_change(project, store, workspace, capture, kind=kind, extra=extra)
    key = project.environ.get(env.TFSHADOW_KEY)
    sealed = seals_in((capture.state, capture.config))
    # Which key the version's secrets open with, so that a command can tell before Terraform
    # runs that TFSHADOW_KEY is not that key (None: nothing of it is encrypted).
    encrypted_with = (
        key_id(key) if key and any(s.startswith(SEAL_PREFIX + "enc:") for s in sealed) else None
    )
    given = message or ci_description(project.environ)
    description = printable(given or change.summary)
    author = detect_author(project.environ, lambda: git_identity(project.workdir))
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "author": {key: printable(value) for key, value in author.items()},
        "description": description,
        # Said so that a version recorded again on another (`store pull --rebase`) gets the
        # summary of what it changes there, while a description someone gave stays.
        "description_generated": not given,
        "kind": kind,
        "outcome": outcome,
        "terraform": {
            "engine": project.engine.name,
            # The version that wrote this state: what a revert must be able to read it with.
            "version": capture.state.get("terraform_version"),
            "binary": home_relative(project.engine.description),
        },
        "workspace": workspace,
        "changes": change.changes,
        "key_id": encrypted_with,
        **(extra or {}),
    }


@dataclass(frozen=True)
class VersionChange:
    """What a version changes against the newest version of its workspace."""

    changes: dict[str, Any]  # the meta's `changes`
    summary: str  # the description it gets when it is given none
    # Whether its state and configuration are the newest version's (a secret whose seal alone
    # differs counts as the same where the seals can be matched).
    unchanged: bool


def version_change(
    project: Project,
    store: GitShadowStore,
    workspace: str,
    capture: Capture,
    *,
    kind: str,
    extra: Mapping[str, Any] | None = None,
) -> VersionChange:
    """What ``capture``, recorded next as a version of ``kind``, changes against the newest
    version of ``workspace`` (``extra``: the meta's own keys, such as a revert's)."""
    latest = store.latest(workspace)
    previous = store.reconstruct(workspace, int(latest["version"])) if latest else None
    return change_against(project, store, previous, capture, kind=kind, extra=extra)


def change_against(
    project: Project,
    store: GitShadowStore,
    previous: Reconstructed | None,
    capture: Capture,
    *,
    kind: str,
    extra: Mapping[str, Any] | None = None,
) -> VersionChange:
    """What ``capture``, as a version of ``kind``, changes against ``previous`` (None: the
    first version), as :func:`version_change` tells it."""
    from tfshadow.state.changes import compare_configs, compare_states, summary_line
    from tfshadow.state.intents import intended, record_only_kind
    from tfshadow.state.redact import matching_seals, replace_seals, seals_in

    sealed = seals_in((capture.state, capture.config))
    # A secret whose seal changed while its value did not (TFSHADOW_KEY set or rotated since
    # the version before) did not change.
    before_state, before_config = None, None
    if previous is not None:
        matched = matching_seals(
            seals_in((previous.state, previous.config)), sealed, project.seal_matcher(store)
        )
        before_state = replace_seals(previous.state, matched)
        before_config = replace_seals(previous.config, matched)
    changes = compare_states(before_state, capture.state)
    # Where no resource changed (Terraform rewrote only its own record, such as dependencies),
    # the configuration tells what the version was made for.
    config_changes = (
        compare_configs(before_config, capture.config)
        if previous is not None and changes.is_empty()
        else None
    )
    meta = {**(extra or {}), "kind": kind}
    changes = intended(changes, meta, capture.config)
    # Commands that change Terraform's record alone replace no object: entries are counted.
    record_only = record_only_kind(kind, state_only=meta.get("state_only") is True)
    add, change, destroy = changes.counts(record_only=record_only)
    return VersionChange(
        changes={
            "add": add,
            "change": change,
            "destroy": destroy,
            # Let go of, not destroyed (`state rm`, a `removed` block): counted apart.
            **({"forget": forgotten} if (forgotten := changes.forgotten()) else {}),
            "addresses": changes.addresses(),
            # Where moved objects were: `log ADDRESS` finds the move under the old address too.
            **({"moved_from": moved_from} if (moved_from := changes.moved_from()) else {}),
        },
        summary=summary_line(changes, record_only=record_only, config=config_changes),
        unchanged=(before_state, before_config) == (capture.state, capture.config),
    )


def pull_or_none(
    project: Project, state_file: Path | None = None
) -> tuple[dict[str, Any] | None, bool]:
    """(state, True) when the backend answered; (None, False) when it could not be reached.

    ``state_file``: the file a command's legacy ``-state``/``-state-out`` names, read instead.
    """
    from tfshadow.runner import pull_state
    from tfshadow.runner.commands import read_state_file

    if state_file is not None:
        try:
            return read_state_file(state_file), True
        except EngineError:
            return None, False
    try:
        return pull_state(project.engine, project.workdir, project.environ), True
    except EngineError:
        return None, False


def _resume_mirror(store: GitShadowStore, outcome: RecordOutcome) -> None:
    """Uploads an earlier command had to queue, finished by a command that recorded nothing
    itself. Only after Terraform has run: a mirror that hangs must not hold up the user's
    apply before it starts."""
    from tfshadow.mirror.ops import resume_queued

    warning = resume_queued(store)
    if warning is not None:
        outcome.warnings.append(warning)


def push_versions(store: GitShadowStore, outcome: RecordOutcome) -> None:
    from tfshadow.mirror.ops import after_record
    from tfshadow.store.gitstore import HALF_JOINED

    try:
        _push(store, outcome)
    except StoreHalfJoinedError as exc:
        # Neither the remote nor the mirror may get part of a join; the version stays here
        # and `--undo-rebase` records it again on the history it goes back to.
        outcome.warnings.append(
            f"{HALF_JOINED}: recorded locally only, not pushed nor uploaded to a mirror: {exc.hint}"
        )
        return
    # Every recording path ends here, so every version reaches the object-storage mirror too
    # (with what an earlier failed upload queued).
    mirror_warning = after_record(store)
    if mirror_warning is not None and mirror_warning not in outcome.warnings:
        outcome.warnings.append(mirror_warning)


def push_marks(store: GitShadowStore) -> list[str]:
    """Send marks to the remote and the mirror as a recorded version is sent; the warnings.

    A mark committed but never pushed is lost with the machine that made it: a CI job that
    marks a version and ends would have marked nothing.
    """
    outcome = RecordOutcome(exit_code=0)
    push_versions(store, outcome)
    return outcome.warnings


def _push(store: GitShadowStore, outcome: RecordOutcome) -> None:
    try:
        store.push()
    except KeyboardInterrupt:
        # Silence here would hide that the versions are recorded, and that the remote lacks them.
        recorded = ", ".join(str(meta["version"]) for meta in outcome.recorded)
        raise PushInterruptedError(
            f"interrupted while pushing the shadow store: "
            f"{f'version {recorded} is recorded and ' if recorded else ''}kept locally",
            hint="the next recorded command (`tfshadow apply`, `destroy`…) pushes it",
        ) from None
    except StoreDivergedError as exc:
        outcome.warnings.append(exc.one_line())
    except StoreHalfJoinedError:
        raise
    except TfshadowError as exc:
        outcome.warnings.append(
            f"{exc.message}; kept locally, it goes with the next recorded command "
            "(`tfshadow apply`, `destroy`, `mark`…)"
        )
