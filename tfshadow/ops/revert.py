"""Put the infrastructure back to a shadow version.

Reconstruct version N → materialise its configuration in a scratch copy of the working
directory (same backend, same workspace) → plan to a file → verify the plan against state N →
confirm → apply exactly that plan → record the result as a ``revert`` version → report what
still differs. ``state_only`` writes state N back with ``terraform state push`` instead.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tfshadow import env
from tfshadow.errors import (
    CaptureError,
    EngineError,
    TfshadowError,
    UnknownVersionError,
    UsageError,
)
from tfshadow.ops.record import (
    Capture,
    RecordOutcome,
    interrupted_after_terraform,
    known_secrets,
    latest_recorded,
    pull_before_recording,
    pull_or_none,
    push_versions,
    record_drift,
    record_version,
    same_state,
    state_document,
    terraform_lock_timeout,
    version_meta,
)
from tfshadow.revert.keep import keep_objects, move_targeted_back, take_back
from tfshadow.revert.variables import (
    Given,
    absolute_var_files,
    expression_variables,
    given_values,
    given_var_files,
    held_var_files,
    provided_variables,
    recorded_var_files,
    var_file_text,
    variables_used_by,
)

if TYPE_CHECKING:
    from tfshadow.project import Project
    from tfshadow.revert.materialise import Scratch
    from tfshadow.revert.verify import Mismatch, VerificationReport
    from tfshadow.runner.engine import EngineSession
    from tfshadow.state.changes import StateChanges
    from tfshadow.state.redact import Redactor
    from tfshadow.store import GitShadowStore, Reconstructed

EXIT_CANCELLED = 1
EXIT_INTERRUPTED = 130  # as Ctrl-C anywhere else


class RevertError(TfshadowError):
    """Terraform could not plan or apply the revert (exit 1: not bad input)."""

    exit_code = 1


@dataclass(frozen=True)
class RevertRequest:
    version: str
    tf_args: tuple[str, ...] = ()  # -var, -var-file, -parallelism…: passed to plan
    targets: tuple[str, ...] = ()
    dry_run: bool = False
    auto_approve: bool = False
    state_only: bool = False
    force: bool = False
    write_config: bool = False
    workspace: str | None = None


class RevertUI(Protocol):
    """What the revert needs from whoever runs it: the core never prints or prompts."""

    def drift_recorded(self, meta: dict[str, Any]) -> None: ...

    def verification(self, report: VerificationReport) -> None: ...

    def state_changes(self, version: int, changes: StateChanges) -> None: ...

    def confirm(self, question: str) -> bool: ...


@dataclass
class RevertOutcome:
    exit_code: int
    version: int
    report: VerificationReport | None = None
    recorded: dict[str, Any] | None = None
    remaining: list[Mismatch] = field(default_factory=list)
    # What --write-config wrote of version N's files, and the files here N did not have.
    written_config: list[str] = field(default_factory=list)
    removed_config: list[str] = field(default_factory=list)
    # Objects the apply created (anew, or recreated): N's in shape, not data, whatever their
    # attributes say (the verification said so before the apply).
    anew: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # The other ends of moves a targeted revert took back, targeted with it.
    targeted: tuple[str, ...] = ()
    # Whether the recorded version holds more than N's configuration: the variable files and
    # values the revert was given.
    given: bool = False


def revert(project: Project, request: RevertRequest, ui: RevertUI) -> RevertOutcome:
    project.require_ready()
    with _early_session(project, request) as early:
        return _revert(project, request, ui, early)


def _revert(
    project: Project, request: RevertRequest, ui: RevertUI, early: EngineSession | None
) -> RevertOutcome:
    from tfshadow.ops.marks import resolve_version

    store = project.open_store(create=False)
    workspace = project.workspace if request.workspace is None else request.workspace
    if workspace != project.workspace:
        raise UsageError(
            f"`--workspace {workspace}` is not the selected Terraform workspace "
            f"`{project.workspace}`",
            hint=f"run `tfshadow workspace select {workspace}` first",
        )
    if not request.state_only:
        _refuse_other_plans(request.tf_args)
    # Refused before anything is planned: once the infrastructure is reverted, files that cannot
    # be written leave a directory whose next apply undoes the revert.
    refused = _write_config_refused(project, request, workspace) if request.write_config else None
    if refused is not None and not request.dry_run:
        reason, hint = refused
        raise UsageError(
            f"--write-config cannot write the version's files here: {reason}; nothing was reverted",
            hint=hint,
        )
    # The revert's plan and apply are given the user's -lock-timeout (TF_CLI_ARGS* are not
    # theirs): the store's lock is waited for as long.
    lock_timeout = project.lock_timeout_given(terraform_lock_timeout(["plan", *request.tf_args]))
    # A dry run writes nothing to the store, so one the user cannot write still serves.
    locking = store.read_lock if request.dry_run else store.lock
    with locking(lock_timeout) as read_only:
        drift = RecordOutcome(exit_code=0)
        if read_only is None and not request.dry_run:
            # Before the version is named: `latest~1` and `last-good` are the team's.
            pull_before_recording(store, drift)
        number = resolve_version(store, workspace, request.version)
        target = store.reconstruct(workspace, number)
        live_raw = _live_state(project)
        if read_only is None and not request.dry_run:
            record_drift(project, store, live_raw, drift, before_writing=True)
        elif read_only is not None:
            drift.warnings.append(
                f"{read_only.message}: a change made outside tfshadow since the newest "
                "version is planned against, not recorded"
            )
        for meta in drift.recorded:
            ui.drift_recorded(meta)
        redactor = project.redactor(store)
        if request.state_only:
            outcome = _state_only(project, store, request, ui, target, live_raw, redactor)
        else:
            outcome = _full(project, store, request, ui, target, redactor, early, live_raw)
        if outcome.recorded is not None or drift.recorded:
            push_versions(store, drift)
        outcome.notes[:0] = drift.notes
        outcome.warnings.extend(drift.warnings)
    if refused is not None:
        reason, hint = refused
        outcome.warnings.append(
            f"--write-config would not write the version's files: {reason}: {hint}"
        )
    # Also when nothing needed applying: the infrastructure may be version N already (the note
    # below suggests this very command after a revert without --write-config).
    matched = outcome.report is not None and outcome.report.is_noop and not request.dry_run
    holder = _holder_of_configuration(store, workspace, number, outcome)
    if (outcome.recorded is not None or matched) and request.write_config and not outcome.exit_code:
        from tfshadow.ops.checkout import backend_note, checkout, init_note

        try:
            result = checkout(
                project,
                str(holder),
                force=False,
                workspace=workspace,
                keep=given_var_files(project, request.tf_args),
            )
        except TfshadowError as exc:
            outcome.warnings.append(f"configuration not written: {exc.one_line()}")
        else:
            outcome.written_config = list(result.written)
            outcome.removed_config = list(result.removed)
            if result.needs_secrets:
                outcome.notes.append(
                    f"Left out of the files written, as the store holds them only sealed: "
                    f"{', '.join(result.needs_secrets)}: supply them with -var, -var-file or "
                    f"TF_VAR_<name> when you plan or apply."
                )
            if result.backend_changed:
                outcome.warnings.append(backend_note(result.version))
            if result.init_needed:
                outcome.notes.append(f"{init_note(result.version)}.")
    if outcome.recorded is not None and not request.write_config:
        from tfshadow.ops.checkout import holds_configuration

        recorded = store.reconstruct(workspace, holder).config if outcome.given else target.config
        if holds_configuration(project, recorded, redactor):
            pass  # the next apply keeps the revert, targeted or not
        elif request.targets:
            # The revert's own version holds N's files; the one before it, this directory's.
            before = outcome.recorded.get("parent")
            shown = f"`tfshadow diff {holder} {before}` shows it" if before else "`tfshadow log`"
            outcome.notes.append(
                f"The files in this directory still configure the targeted resources as before: "
                f"the next apply would undo this revert for them. Bring their configuration back "
                f"to version {number}'s by hand ({shown}): "
                f"`tfshadow checkout {number}` would write every file of version {number}, and "
                f"the next apply would then revert the other resources too."
            )
        else:
            held = (
                ""
                if holder == number
                else f" (version {holder}, this revert, holds it with the variable files and "
                "values it was given)"
                if outcome.given
                else f" (version {holder}, this revert, holds it: retention removed {number})"
            )
            outcome.notes.append(
                f"The files in this directory are not version {number}'s configuration: the "
                f"next apply would undo this revert. Run `tfshadow checkout {holder}` to write "
                f"version {number}'s configuration here{held} (or revert with --write-config)."
            )
    variables = sorted(target.config.get("variables") or {})
    if request.targets and variables:
        # Only those the targeted resources can use: an apply without the others does not
        # touch them. The files cannot always tell (JSON syntax): then every one is named.
        used = variables_used_by(target.config, (*request.targets, *outcome.targeted))
        variables = variables if used is None else [v for v in variables if v in used]
    if outcome.recorded is not None and variables:
        outcome.notes.append(
            f"Version {number} was applied with -var or TF_VAR_ values for "
            f"{', '.join(variables)}: an apply without them would undo this revert."
        )
    return outcome


def _full(
    project: Project,
    store: GitShadowStore,
    request: RevertRequest,
    ui: RevertUI,
    target: Reconstructed,
    redactor: Redactor,
    early: EngineSession | None,
    live_raw: Mapping[str, Any] | None,
) -> RevertOutcome:
    from tfshadow.revert.materialise import materialise
    from tfshadow.revert.verify import (
        computed_attributes,
        remaining_differences,
        unmatched_targets,
        verify_plan,
    )
    from tfshadow.runner import data_dir
    from tfshadow.runner.engine import interruptions
    from tfshadow.state.normalise import canonicalise

    number = int(target.meta["version"])
    user_args = absolute_var_files(project, list(request.tf_args))
    provided = provided_variables(project, user_args)
    # Read before the plan: the given files as Terraform reads them, and unreadable ones refused
    # before anything changed.
    given = given_values(project, redactor, target, request.tf_args)
    from tfshadow.ops.checkout import with_values_here

    with (
        _local_state_file_present(project),
        materialise(
            with_values_here(project, target.config, redactor, project.store_fingerprinter(store)),
            project.workdir,
            data_dir(project.workdir, project.environ),
            redactor,
            provided_variables=provided,
            version=number,
        ) as scratch,
        _session_for(project, scratch, early) as terraform,
    ):
        if _needs_init(target.config, project):
            init = terraform.capture(
                ["init", "-input=false", "-no-color", "-backend=false"], cwd=scratch.root
            )
            if init.returncode != 0:
                raise RevertError(
                    f"`terraform init` for version {number}'s configuration failed: "
                    f"{init.error_line()}",
                    hint="its providers or modules must be installable here",
                )
        forgotten: list[str] = []
        taken_back: dict[str, str] = {}
        moved_targets: list[str] = []
        if not request.targets:
            # Terraform refuses `moved` and `removed` statements that are not all targeted.
            forgotten = keep_objects(project, store, scratch.root, target, live_raw)
            taken_back = take_back(project, store, scratch.root, target, live_raw)
        else:
            moved_targets = move_targeted_back(
                project, scratch.root, target, live_raw, request.targets
            )
        targets = (*request.targets, *moved_targets)
        from tfshadow.ops import ghost

        # A ghost disabled since N stays disabled: left out, not created again.
        left_out = ghost.leave_out_disabled(store, scratch.root, live_raw)
        # A ghost N is older than stays enabled: declared stopped, it is paused, not destroyed.
        kept_ghosts = ghost.keep_ghosts_declared(store, scratch.root, targets)
        # A ghost version N declares stopped is paused once its original is back, not meanwhile.
        ordered = ghost.order_pauses_after_originals(store, scratch.root, targets)
        # The values recorded at N go in a variable file (not -var: they may be secrets opened
        # with TFSHADOW_KEY, which must not show in the process list); the user's own -var and
        # -var-file come after it and win, as on Terraform's command line.
        recorded = {k: v for k, v in scratch.variables.items() if k not in provided}
        var_file = scratch.root / ".tfshadow-revert.tfvars"
        fd = os.open(var_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(var_file_text(recorded, expression_variables(target.config)))
        plan_file = scratch.root / ".tfshadow-revert.tfplan"
        var_args = [
            # N's own -var-file files first, as N was applied with them; the values recorded
            # from -var came after them there too (most often), and the user's own args win.
            *[f"-var-file={scratch.root / key}" for key in recorded_var_files(target)],
            f"-var-file={var_file}",
            *user_args,
        ]
        plan_args = [
            "plan",
            "-input=false",
            f"-out={plan_file}",
            *[f"-target={t}" for t in targets],
            *var_args,
        ]
        warnings: list[str] = []
        planned = _planned_codes(plan_args)
        rc, taken_back = _plan(
            terraform, plan_args, scratch.root, taken_back, number, warnings, planned
        )
        if rc not in planned:
            raise RevertError(
                f"Terraform could not plan the revert to version {number} (exit code {rc})",
                hint="see Terraform's message above; nothing was changed",
            )
        shown = terraform.capture(["show", "-json", str(plan_file)], cwd=scratch.root)
        if shown.returncode != 0:
            raise RevertError(f"`terraform show` of the revert plan failed: {shown.error_line()}")
        plan = json.loads(shown.stdout)
        aside = [*kept_ghosts, *left_out]
        report = verify_plan(
            plan, target.state, number, seal=redactor.seal, targets=targets, aside=aside
        )
        ui.verification(report)
        outcome = RevertOutcome(
            exit_code=0,
            version=number,
            report=report,
            warnings=warnings,
            targeted=tuple(moved_targets),
        )
        from tfshadow.state.addresses import is_targeted

        if any(is_targeted(address, targets) for address in left_out):
            outcome.notes.append(
                f"Left out {', '.join(left_out)}: the ghost version {number} declares was "
                "disabled since (`tfshadow ghost enable` brings a ghost back)."
            )
        current = canonicalise(live_raw) if live_raw is not None else None
        for name in unmatched_targets(plan, target.state, request.targets, current):
            outcome.warnings.append(
                f"--target {name} names no resource of version {number} nor of the current "
                "state: nothing was reverted for it"
            )
        if request.dry_run:
            outcome.notes.append("Dry run: nothing was changed.")
            differs = bool(report.mismatches)
            outcome.notes.extend(_unknown_values_note(target, provided, differs=differs))
            return outcome
        if report.is_noop and not report.needs_confirmation:
            outcome.notes.append(f"The infrastructure already matches version {number}.")
            return outcome
        if report.is_noop:
            # What the verification lists (another object than N's, one N did not have) is no
            # change Terraform can make: "already matches" would contradict it.
            outcome.notes.append(
                f"Nothing to apply: this is as near to version {number} as a revert brings the "
                f"infrastructure, yet it differs from version {number} as listed above."
            )
            outcome.notes.extend(_unknown_values_note(target, provided, differs=True))
            return outcome
        if not _approved(project, request, ui, number, report.needs_confirmation, outcome):
            return outcome
        with interruptions() as interrupted:
            rc = terraform.run(
                ["apply", "-input=false", *_apply_args(user_args), str(plan_file)],
                cwd=scratch.root,
            )
        outcome.exit_code = rc
        try:
            if rc == 0 and ordered:
                _drop_pause_order(terraform, scratch.root, ordered, var_args)
            after_raw, ok = pull_or_none(project)
            if not ok or after_raw is None:
                raise RevertError(
                    "the state could not be read after the revert",
                    hint="run `tfshadow log` once the backend is reachable: the change is recorded "
                    "then",
                )
            latest = store.latest(target.meta["workspace"])
            replaced = latest_recorded(store, str(target.meta["workspace"]), latest)
            capture = _capture_revert(redactor, after_raw, target, replaced, given)
            if latest is not None and same_state(
                latest, capture.state, replaced.state if replaced else None
            ):
                outcome.notes.append("Terraform changed nothing: no version recorded.")
                return outcome
            outcome.recorded = _record(
                project,
                store,
                capture,
                number,
                partial=rc != 0,
                extra={
                    **_revert_meta(request, given.var_files),
                    # N's files, which the version holds, have no `removed` block to say so.
                    **({"forgotten": forgotten} if forgotten else {}),
                    **({"imported": sorted(taken_back)} if taken_back else {}),
                },
                warnings=outcome.warnings,
            )
            outcome.given = given.config is not target.config
        except KeyboardInterrupt:
            raise interrupted_after_terraform(project) from None
        except RevertError:
            raise
        except TfshadowError as exc:
            # Terraform has applied the revert: a store that cannot take the version (a full
            # disk, a tampered store) leaves a change unrecorded, which the next command records.
            raise CaptureError(
                f"the revert was applied but not recorded: {exc.message}",
                hint=f"{exc.hint or 'fix the store'}; then run `tfshadow log`: the change is "
                "recorded then as a recovered version",
            ) from exc
        outcome.remaining = remaining_differences(
            capture.state,
            target.state,
            targets=targets,
            computed=computed_attributes(plan),
            aside=aside,
        )
        differs = bool(outcome.remaining)
        outcome.notes.extend(_unknown_values_note(target, provided, differs=differs))
        outcome.anew = _made_anew(
            (*report.recreated, *report.created_anew), capture.state, target.state
        )
        if rc != 0:
            import shlex

            # With its --targets: without them, the command run again would revert everything.
            again = shlex.join(
                ["tfshadow", "revert", str(number)]
                + [arg for t in request.targets for arg in ("--target", t)]
            )
            if interrupted:
                outcome.notes.append(
                    f"The apply was interrupted part-way: recorded as a partial version. Run "
                    f"`{again}` again to finish."
                )
            else:
                outcome.notes.append(
                    f"The apply failed part-way: recorded as a partial version. Fix the cause and "
                    f"run `{again}` again to finish."
                )
        return outcome


def _made_anew(
    planned: Sequence[str], after: Mapping[str, Any], target_state: Mapping[str, Any]
) -> list[str]:
    """Those of ``planned`` (the instances the plan creates anew or recreates) that the apply
    made: present after it with another id than version N's (an apply that failed part-way may
    have left one as it was), or with no id to tell."""
    from tfshadow.state.changes import address_sort_key

    now = after.get("resources") or {}
    then = target_state.get("resources") or {}

    def object_id(instance: Any) -> Any:
        attributes = instance.get("attributes") if isinstance(instance, dict) else None
        return attributes.get("id") if isinstance(attributes, dict) else None

    made = {
        address
        for address in planned
        if address in now
        and (
            address not in then
            or object_id(now[address]) is None
            or object_id(now[address]) != object_id(then[address])
        )
    }
    return sorted(made, key=address_sort_key)


def _unknown_values_note(
    target: Reconstructed, provided: Collection[str], *, differs: bool
) -> list[str]:
    """Why a revert to a ``recovered`` version does not return to it, when that may be the
    values it was applied with: a change made outside tfshadow (`terraform apply -var …`) is
    recorded with the variable values of the version before it, as tfshadow never saw its own.
    ``differs``: whether the infrastructure (planned or applied) still differs from it."""
    from tfshadow.state import config_files

    if target.meta.get("kind") != "recovered" or not differs:
        return []
    declared = config_files.root_variable_names(config_files.files_from_document(target.config))
    unknown = sorted(declared - set(provided))
    if not unknown:
        return []  # every value was given: they are not why it differs
    number = target.meta["version"]
    return [
        f"Version {number} is a recovered version (a change made outside tfshadow): it carries "
        f"the variable values of the version before it, as the values it was applied with are "
        f"not known. If it was applied with other values, revert with them (-var NAME=VALUE) "
        f"for {', '.join(unknown)}."
    ]


def _drop_pause_order(
    terraform: EngineSession, scratch_root: Path, ghosts: Sequence[str], var_args: Sequence[str]
) -> None:
    """Drop the order the ghosts were paused in from the state, where Terraform keeps it as
    their dependencies: the next apply of the directory's declaration would drop it, a version
    of its own with no change. A targeted apply of N's declaration, which changes nothing else;
    should it fail, that next apply drops them, so it is no failure of the revert."""
    from tfshadow.ops.ghost import drop_pause_order

    try:
        drop_pause_order(scratch_root)
        terraform.capture(
            ["apply", "-input=false", "-auto-approve", "-no-color"]
            + [f"-target={t}" for t in ghosts]
            + list(var_args),
            cwd=scratch_root,
        )
    except (TfshadowError, OSError):
        pass


@contextmanager
def _early_session(project: Project, request: RevertRequest) -> Iterator[EngineSession | None]:
    """One Terraform process for init, plan, show and apply (the embedded engine then loads
    and starts once instead of four times), started before the store is read so that loading
    it overlaps that work. None when the scratch must exist first (TF_DATA_DIR names its copy),
    or when no Terraform command will run."""
    from tfshadow.revert.materialise import scratch_environ
    from tfshadow.runner import without_cli_args

    environ = scratch_environ(without_cli_args(project.environ), project.workdir)
    if request.state_only or environ is None:
        yield None
        return
    with project.engine.session(cwd=project.workdir, environ=environ) as session:
        yield session


def _session_for(
    project: Project, scratch: Scratch, early: EngineSession | None
) -> AbstractContextManager[EngineSession]:
    from tfshadow.runner import without_cli_args

    if early is not None:
        return nullcontext(early)
    return project.engine.session(
        cwd=scratch.root, environ=scratch.environ(without_cli_args(project.environ))
    )


def _state_only(
    project: Project,
    store: GitShadowStore,
    request: RevertRequest,
    ui: RevertUI,
    target: Reconstructed,
    live_raw: dict[str, Any] | None,
    redactor: Redactor,
) -> RevertOutcome:
    from tfshadow.revert.verify import state_for_push
    from tfshadow.state.changes import compare_states
    from tfshadow.state.normalise import canonicalise
    from tfshadow.state.redact import align_seals, unseal_document

    number = int(target.meta["version"])
    if request.targets:
        raise UsageError("--state-only cannot be combined with --target", hint="drop --target")
    if any(a.startswith("-var") for a in request.tf_args):
        raise UsageError(
            "--state-only writes the recorded state back; it takes no variables",
            hint="drop -var/-var-file",
        )
    raw = state_for_push(
        target.state,
        live_raw,
        unseal_document=lambda doc: unseal_document(doc, redactor),
        force=request.force,
    )
    known = known_secrets(target)
    live = redactor.redact_state(canonicalise(live_raw), known) if live_raw else None
    if live is not None:
        # A secret sealed under the same key by another copy of the store, or before seals
        # carried fingerprints, is the same secret.
        (live,) = align_seals((live,), (target.state,), project.seal_matcher(store))
    # A state push destroys nothing: an object version N lacks is forgotten, as its version
    # records it.
    ui.state_changes(number, compare_states(live, target.state).removals_forgotten())
    outcome = RevertOutcome(exit_code=0, version=number)
    if live is not None and _same_but_serial(live, target.state):
        # Pushing would only raise the serial, and record a version that changes nothing.
        outcome.notes.append(f"Terraform's record already equals version {number}: nothing pushed.")
        return outcome
    if request.dry_run:
        outcome.notes.append("Dry run: nothing was changed.")
        return outcome
    if not _approved(project, request, ui, number, True, outcome):
        return outcome
    fd, name = tempfile.mkstemp(prefix="tfshadow-state-", suffix=".tfstate")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(raw, fh, indent=2)
        args = [
            "state",
            "push",
            *(["-force"] if request.force else []),
            *_push_args(request.tf_args),
            name,
        ]
        pushed = project.engine.capture(args, cwd=project.workdir, environ=project.environ)
    finally:
        os.unlink(name)
    if pushed.returncode != 0:
        raise RevertError(
            f"`terraform state push` failed: {pushed.error_line()}",
            hint="nothing was pushed; a state locked by another run can be waited for with "
            "-lock-timeout=DURATION",
        )
    after_raw, _ = pull_or_none(project)
    if after_raw is None:
        raise RevertError("the state could not be read after `terraform state push`")
    workspace = str(target.meta["workspace"])
    replaced = latest_recorded(store, workspace, store.latest(workspace))
    capture = _capture_revert(redactor, after_raw, target, replaced)
    outcome.recorded = _record(
        project,
        store,
        capture,
        number,
        partial=False,
        extra={"state_only": True, **_revert_meta(request, held_var_files(target.meta))},
        warnings=outcome.warnings,
    )
    return outcome


def _same_but_serial(live: dict[str, Any], recorded: dict[str, Any]) -> bool:
    # Terraform writes its own version into a pushed state: that difference is no change either.
    ignored = ("serial", "terraform_version")
    return {k: v for k, v in live.items() if k not in ignored} == {
        k: v for k, v in recorded.items() if k not in ignored
    }


def _approved(
    project: Project,
    request: RevertRequest,
    ui: RevertUI,
    number: int,
    risky: bool,
    outcome: RevertOutcome,
) -> bool:
    """Whether the revert may go on; if not, ``outcome`` says why and how it exits."""
    if request.auto_approve:
        return True
    if _non_interactive(project):
        raise UsageError(
            f"the revert to version {number} needs approval and this run cannot prompt "
            "(CI, TF_IN_AUTOMATION or no terminal)",
            hint="review the plan above and rerun with --auto-approve",
        )
    question = (
        f"Revert to version {number}? Some of the changes above cannot restore data."
        if risky
        else f"Revert to version {number}?"
    )
    try:
        approved = ui.confirm(question)
    except KeyboardInterrupt:
        # Ctrl-C at the prompt: an answer too, and nothing was changed, which the user wants
        # to read rather than guess from a silent exit.
        outcome.exit_code = EXIT_INTERRUPTED
        outcome.notes.append("Revert interrupted at the prompt: nothing was changed.")
        return False
    if not approved:
        outcome.exit_code = EXIT_CANCELLED
        outcome.notes.append("Revert cancelled: nothing was changed.")
    return approved


def _non_interactive(project: Project) -> bool:
    environ = project.environ
    # CI=false or CI=0 say "not a CI job"; Terraform takes any TF_IN_AUTOMATION as set.
    in_ci = environ.get(env.CI, "").strip().lower() not in ("", "false", "0", "no")
    if in_ci or environ.get(env.TF_IN_AUTOMATION):
        return True
    try:
        return not os.isatty(0)
    except OSError:
        return True


def _needs_init(config: dict[str, Any], project: Project) -> bool:
    """Whether the copied data dir may lack what version N needs (providers, modules).

    The copy already holds the current providers and modules; `init` (a few tenths of a
    second, more with a registry) is only worth it when N's lock file selects other providers
    (see state.provider_lock) or N calls modules, whose set may differ from the current one.
    """
    from tfshadow.state.config_files import LOCK_FILE, calls_modules, files_from_document
    from tfshadow.state.provider_lock import needs_init

    files = files_from_document(config)
    try:
        current_lock: bytes | None = (project.workdir / LOCK_FILE).read_bytes()
    except OSError:
        current_lock = None
    return needs_init(files.get(LOCK_FILE), current_lock) or calls_modules(files)


# The user's flags that act on the apply of a saved plan as well (variables do not: the plan
# holds them, and Terraform refuses them there).
_APPLY_FLAGS = frozenset({"no-color", "compact-warnings", "parallelism", "lock", "lock-timeout"})
_APPLY_FLAGS_WITH_VALUE = frozenset({"parallelism", "lock-timeout"})


def _apply_args(args: Sequence[str], kept: Collection[str] = _APPLY_FLAGS) -> list[str]:
    """The user's arguments among ``kept``, with their values."""
    out: list[str] = []
    it = iter(args)
    for arg in it:
        name, eq, _value = arg.lstrip("-").partition("=")
        if not arg.startswith("-") or name not in kept:
            continue
        out.append(arg)
        if not eq and name in _APPLY_FLAGS_WITH_VALUE:
            out.append(next(it, ""))  # `-parallelism 2`, as Terraform reads it too
    return out


# What a `--state-only` revert's `terraform state push` takes of the user's arguments: the
# state's lock is waited for (or skipped) as the user asked, as a full revert's apply does.
_PUSH_FLAGS = frozenset({"lock", "lock-timeout"})


def _push_args(args: Sequence[str]) -> list[str]:
    return _apply_args(args, _PUSH_FLAGS)


# Plan options that make another plan than the one of version N's configuration the revert
# verifies and applies, and why each is refused.
_OTHER_PLANS = {
    "destroy": "it plans to destroy everything, not to go back to the version",
    "refresh-only": "it plans no change to the infrastructure, only to Terraform's record "
    "(--state-only writes the version's record back)",
    "out": "the revert plans to a file of its own, which it verifies, applies and removes",
}


@contextmanager
def _local_state_file_present(project: Project) -> Iterator[None]:
    """The local backend's state file of the selected workspace, made (empty) for the revert
    when there is none yet, and taken away again when the revert left it empty.

    The scratch reaches the user's state file through a symlink. One that points at nothing
    loses the state: Terraform's plan creates the file to lock it, then removes what it
    created, the symlink, so the apply writes the state inside the scratch, which is deleted.
    A file that exists is one Terraform neither creates nor removes: it writes through it.
    """
    from tfshadow.runner.commands import local_state_file

    path = local_state_file(project.workdir, project.environ)
    if path is None or os.path.lexists(path):
        yield
        return
    made = [d for d in [path.parent, *path.parent.parents] if not d.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(exist_ok=False)
    try:
        yield
    finally:
        try:
            if path.stat().st_size == 0:
                path.unlink()
                for directory in made:
                    directory.rmdir()
        except OSError:
            pass  # written, or filled meanwhile: the state is the user's now


def _live_state(project: Project) -> dict[str, Any] | None:
    """The state the revert starts from; :class:`EngineError` naming Terraform's own error when
    it cannot be read. An unreachable backend (a remote one down, credentials expired) is as
    likely as a directory never initialised, and only Terraform's message tells which."""
    from tfshadow.runner import pull_state

    try:
        return pull_state(project.engine, project.workdir, project.environ)
    except EngineError as exc:
        raise EngineError(
            f"cannot read the current state: {exc.message}",
            hint="fix what Terraform says (`tfshadow init` if it asks for it, the backend if "
            "it cannot be reached), then run the revert again; nothing was reverted",
        ) from None


def _refuse_other_plans(tf_args: Sequence[str]) -> None:
    """UsageError for a plan option in ``tf_args`` that makes another plan than a revert's
    (``TF_CLI_ARGS*`` do not reach the revert's plan: see
    :func:`tfshadow.revert.variables.given_environ`)."""
    from tfshadow.ops.record import bool_flag
    from tfshadow.runner.cli_args import flag_value
    from tfshadow.runner.commands import VERSION_FLAGS

    # Anywhere on the line, Terraform takes these for `terraform version`: the plan would print
    # the version and plan nothing, and the revert would find no plan to verify.
    for arg in tf_args:
        if arg in VERSION_FLAGS:
            raise UsageError(
                f"revert does not take {arg}: Terraform would print its version instead of "
                "planning",
                hint=f"run `tfshadow {arg}` for Terraform's version, or the revert without {arg}",
            )
    for name, why in _OTHER_PLANS.items():
        found = (
            flag_value(tf_args, {name}) is not None if name == "out" else bool_flag(tf_args, name)
        )
        if found:
            raise UsageError(
                f"revert does not take -{name}: {why}", hint=f"run the revert without -{name}"
            )


def _planned_codes(plan_args: Sequence[str]) -> frozenset[int]:
    """The exit codes of a plan that was made: 0, and 2 ("changes present") with
    -detailed-exitcode."""
    from tfshadow.ops.record import bool_flag

    return frozenset({0, 2}) if bool_flag(plan_args, "detailed-exitcode") else frozenset({0})


def _plan(
    terraform: EngineSession,
    plan_args: list[str],
    scratch_root: Path,
    taken_back: dict[str, str],
    number: int,
    warnings: list[str],
    planned: frozenset[int],
) -> tuple[int, dict[str, str]]:
    """Terraform's plan of the revert (its exit code: one of ``planned`` when it made one), and
    the objects it takes back. Taking back is tried first, its output kept until it succeeds;
    an id the provider cannot import (or an object gone since) fails the whole plan, which is
    then made again without the `import` blocks."""
    from tfshadow.revert.adopt import ADOPT_NAME
    from tfshadow.state.changes import address_sort_key

    if not taken_back:
        return terraform.run(plan_args, cwd=scratch_root), {}
    tried = terraform.capture(plan_args, cwd=scratch_root)
    if tried.returncode in planned:
        for stream, data in ((sys.stdout, tried.stdout), (sys.stderr, tried.stderr)):
            stream.flush()
            stream.buffer.write(data)
            stream.buffer.flush()
        return tried.returncode, taken_back
    (scratch_root / ADOPT_NAME).unlink()
    names = ", ".join(sorted(taken_back, key=address_sort_key))
    warnings.append(
        f"{names} could not be taken back by the id version {number} recorded "
        f"({tried.error_line()}): planned to be created anew"
    )
    return terraform.run(plan_args, cwd=scratch_root), {}


def _write_config_refused(
    project: Project, request: RevertRequest, workspace: str
) -> tuple[str, str] | None:
    """Why ``--write-config`` could not write the version's files here (local edits no version
    holds, secrets the files would lose) and what to do, or None."""
    from tfshadow.ops.checkout import checkout

    try:
        checkout(
            project,
            request.version,
            force=False,
            workspace=workspace,
            dry_run=True,
            keep=given_var_files(project, request.tf_args),
        )
    except UsageError as exc:
        reason = exc.message.removesuffix("; nothing was written")
        return reason, f"{exc.hint}, then revert" if exc.hint else "revert without --write-config"
    except TfshadowError:
        return None  # the revert meets it too (an unknown version, a secret it cannot open)
    return None


def _holder_of_configuration(
    store: GitShadowStore, workspace: str, number: int, outcome: RevertOutcome
) -> int:
    """Version ``number``, or the revert recorded to it when it holds what ``number`` lacks
    (the variable files and values it was given) or once retention removed ``number``: a
    revert records version N's configuration as its own."""
    recorded = outcome.recorded
    if recorded is None:
        return number
    if outcome.given:
        return int(recorded["version"])
    try:
        store.meta(workspace, number)
    except UnknownVersionError:
        return int(recorded["version"])
    return number


def _revert_meta(request: RevertRequest, var_files: list[str] | None) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if request.targets:
        extra["targets"] = list(request.targets)
    if var_files is not None:
        # The revert records N's configuration and the files it was given: reverting to it
        # needs those var files too.
        extra["var_files"] = var_files
    return extra


def _capture_revert(
    redactor: Redactor,
    raw: dict[str, Any],
    target: Reconstructed,
    replaced: Reconstructed | None,
    given: Given | None = None,
) -> Capture:
    # The configuration that was applied is version N's, as the store holds it, with what the
    # revert was given. Its secrets are known, and so are those of the version it replaces.
    from tfshadow.state.redact import keep_seals

    known = known_secrets(target) | known_secrets(replaced)
    secrets = given.secrets if given is not None else frozenset()
    state = state_document(redactor, raw, known, given=secrets)
    (state,) = keep_seals((state,), known)
    return Capture(state=state, config=given.config if given is not None else target.config)


def _record(
    project: Project,
    store: GitShadowStore,
    capture: Capture,
    number: int,
    *,
    partial: bool,
    extra: dict[str, Any],
    warnings: list[str],
) -> dict[str, Any]:
    meta = version_meta(
        project,
        store,
        capture,
        kind="revert",
        outcome="partial" if partial else "success",
        message=f"Revert to version {number}",
        extra={"reverted_to": number, **extra},
    )
    return record_version(store, meta, capture, warnings)
