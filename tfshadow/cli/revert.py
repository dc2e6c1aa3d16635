"""`tfshadow revert`: put the infrastructure back to a shadow version."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape

from tfshadow.cli import completion
from tfshadow.cli.commands import (
    CliContext,
    commands,
    json_option,
    no_color_option,
    pass_cli,
    workspace_option,
)
from tfshadow.cli.output import (
    print_outcome,
    print_recorded,
    stderr_console,
    stdout_console,
    terraform_output_to_stderr,
)
from tfshadow.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from tfshadow.ops.ghost import FollowReport
    from tfshadow.ops.revert import RevertOutcome, RevertRequest
    from tfshadow.revert.verify import VerificationReport
    from tfshadow.state.changes import StateChanges


class TerminalRevertUI:
    def __init__(self, out: Console, err: Console) -> None:
        self.out = out
        self.err = err

    def drift_recorded(self, meta: dict[str, Any]) -> None:
        print_recorded(self.err, meta)

    def verification(self, report: VerificationReport) -> None:
        from tfshadow.report.revert import render_verification

        render_verification(self.out, report)

    def state_changes(self, version: int, changes: StateChanges) -> None:
        from tfshadow.report.terminal import render_state_changes

        self.out.print(f"\nWriting state {version} back changes Terraform's record as follows:")
        render_state_changes(self.out, changes)

    def confirm(self, question: str) -> bool:
        self.out.print(f"\n[bold]{question}[/]\n  Only 'yes' will be accepted to approve.")
        self.out.print("  Enter a value: ", end="")
        self.out.file.flush()
        # Read directly rather than through click.prompt, which turns both Ctrl-D and Ctrl-C
        # into one silent abort: end of input is a plain "no", Ctrl-C still interrupts.
        try:
            answer = sys.stdin.readline()
        except KeyboardInterrupt:
            self.out.print()  # what follows starts on a line of its own, after the echoed ^C
            raise
        if not answer:
            self.out.print()
        return answer.strip() == "yes"


class JsonRevertUI(TerminalRevertUI):
    """``--json``: everything a person reads goes to stderr (the prompt too), and what the
    JSON document holds beyond the outcome is kept for it."""

    def __init__(self, err: Console) -> None:
        super().__init__(err, err)
        self.drift: list[dict[str, Any]] = []
        self.changes: StateChanges | None = None

    def drift_recorded(self, meta: dict[str, Any]) -> None:
        self.drift.append(meta)
        super().drift_recorded(meta)

    def state_changes(self, version: int, changes: StateChanges) -> None:
        self.changes = changes
        super().state_changes(version, changes)


# Terraform's plan options: anything else near one of revert's own names is a typo of it.
_TERRAFORM_PLAN_FLAGS = frozenset(
    {"destroy", "refresh-only", "refresh", "replace", "target", "var", "var-file", "input",
     "compact-warnings", "detailed-exitcode", "lock", "lock-timeout", "no-color", "out",
     "parallelism", "state", "generate-config-out", "json"}
)  # fmt: skip
_OWN_FLAGS = ("dry-run", "auto-approve", "target", "state-only", "force", "write-config", "json")


def _misspelt_own_option(args: list[str]) -> None:
    """Refuse a near miss of revert's own options (`--dryrun`, `-state-only`) rather than hand
    it to Terraform's plan, which would only say it does not know it."""
    import difflib

    for arg in args:
        if not arg.startswith("-"):
            continue
        name = arg.lstrip("-").partition("=")[0]
        if name in _TERRAFORM_PLAN_FLAGS:
            continue
        close = difflib.get_close_matches(name.replace("_", "-"), _OWN_FLAGS, n=1, cutoff=0.8)
        if close:
            raise UsageError(
                f"revert has no option {arg.partition('=')[0]}", hint=f"did you mean --{close[0]}?"
            )


def _terraform_style(extra: list[str]) -> tuple[list[str], list[str], bool, bool]:
    """Accept Terraform's spelling of the flags revert owns: -auto-approve, -target, -json (the
    revert's own report as JSON: Terraform's JSON lines among it would be no one document)."""
    rest: list[str] = []
    targets: list[str] = []
    approve = as_json = False
    it = iter(extra)
    for arg in it:
        if arg in ("-auto-approve", "-auto-approve=true"):
            approve = True
        elif arg in ("-json", "-json=true"):
            as_json = True
        elif arg.startswith("-target="):
            targets.append(arg.removeprefix("-target="))
        elif arg == "-target":
            targets.append(next(it, ""))
        else:
            rest.append(arg)
    return rest, targets, approve, as_json


# Terraform's spelling too: a `-help` left among the Terraform arguments would reach the plan,
# which prints its help and plans nothing.
_HELP = frozenset({"-h", "-help"})


@commands.command(
    context_settings={
        "ignore_unknown_options": True,
        "allow_extra_args": True,
        # No one-letter option at all: click reads an unknown `-var-file=/home/…` as the letters
        # -v -a -r …, and one h in it was -h (help shown, exit 0, nothing reverted). A lone -h is
        # answered below.
        "help_option_names": ["--help"],
    },
)
@click.argument("version", shell_complete=completion.versions)
@click.option("--dry-run", is_flag=True, help="Plan and verify only; change nothing.")
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="ADDR",
    help="Revert only this resource, instance or module (repeatable), as -target reads it.",
    shell_complete=completion.addresses,
)
@click.option("--state-only", is_flag=True, help="Write state VERSION back (terraform state push).")
@click.option("--force", is_flag=True, help="With --state-only: accept a lineage mismatch.")
@click.option("--write-config", is_flag=True, help="Also write VERSION's configuration files here.")
@workspace_option
@json_option
@no_color_option
@click.argument("terraform_args", nargs=-1, type=click.UNPROCESSED)
@pass_cli
def revert(
    cli: CliContext,
    version: str,
    dry_run: bool,
    auto_approve: bool,
    targets: tuple[str, ...],
    state_only: bool,
    force: bool,
    write_config: bool,
    workspace: str | None,
    as_json: bool,
    no_color: bool,
    terraform_args: tuple[str, ...],
) -> int:
    """Put the infrastructure back to VERSION (a number, latest~N or last-good).

    Plans VERSION's configuration and state, shows the plan and a verification report, asks,
    applies exactly that plan, records the result as a new version and reports what still
    differs. Terraform arguments (-var, -var-file, -parallelism…) go to the plan; -parallelism,
    -lock and -lock-timeout to the apply as well. With --json, standard output holds one JSON
    document and Terraform's output goes to standard error.
    """
    from tfshadow.ops.revert import RevertRequest
    from tfshadow.ops.revert import revert as run_revert

    if version in _HELP or _HELP & set(terraform_args):
        click.echo(click.get_current_context().get_help())
        return 0
    rest, tf_targets, tf_approve, tf_json = _terraform_style(list(terraform_args))
    as_json = as_json or tf_json
    _misspelt_own_option(rest)
    if force and not state_only:
        raise UsageError(
            "--force only applies to --state-only (it accepts a lineage mismatch)",
            hint="add --state-only, or drop --force",
        )
    if write_config and (targets or tf_targets):
        # N's files hold every resource's configuration: the next apply would revert the rest.
        raise UsageError(
            "--write-config writes all of the version's files, so with --target the next apply "
            "would revert every other resource too",
            hint="drop --write-config and bring the targeted resources' configuration back by "
            "hand (`tfshadow diff VERSION latest` shows it), or revert without --target",
        )
    for target in (*targets, *tf_targets):
        if not target.strip() or target.startswith("-"):
            raise UsageError(
                f"--target needs a resource address, not {target!r}",
                hint="e.g. --target aws_instance.web or -target=module.db",
            )
    if no_color and "-no-color" not in rest:
        rest.append("-no-color")  # Terraform's plan and apply output too
    no_color = "-no-color" in rest
    out = stdout_console(no_color=no_color)
    err = stderr_console(no_color=no_color)
    request = RevertRequest(
        version=version,
        tf_args=tuple(rest),
        targets=(*targets, *tf_targets),
        dry_run=dry_run,
        auto_approve=auto_approve or tf_approve,
        state_only=state_only,
        force=force,
        write_config=write_config,
        workspace=workspace,
    )
    if as_json:
        return _revert_as_json(cli, request, err)
    outcome = run_revert(cli.project(), request, TerminalRevertUI(out, err))
    _report(out, err, outcome, request)
    if outcome.recorded is not None:
        # Standard output is the revert's own: the plan and what still differs.
        with terraform_output_to_stderr():
            followed = _follow(cli, no_color)
        print_outcome(err, followed.recorded, followed.notes, followed.warnings)
    return outcome.exit_code


def _revert_as_json(cli: CliContext, request: RevertRequest, err: Console) -> int:
    """The revert with one JSON document on standard output; Terraform's output, the
    verification block and the prompt on standard error."""
    import json

    from tfshadow.ops.revert import revert as run_revert
    from tfshadow.report.revert import revert_json

    ui = JsonRevertUI(err)
    followed_metas: list[dict[str, Any]] = []
    with terraform_output_to_stderr():
        outcome = run_revert(cli.project(), request, ui)
        _report(err, err, outcome, request)
        if outcome.recorded is not None:
            followed = _follow(cli, "-no-color" in request.tf_args)
            print_outcome(err, followed.recorded, followed.notes, followed.warnings)
            followed_metas = followed.recorded
    document = revert_json(
        outcome, drift=ui.drift, state_changes=ui.changes, followed=followed_metas
    )
    click.echo(json.dumps(document, indent=2, ensure_ascii=False, default=str))
    return outcome.exit_code


def _report(out: Console, err: Console, outcome: RevertOutcome, request: RevertRequest) -> None:
    """The revert's version and what still differs from version N, the files --write-config
    wrote and removed, the revert's notes and warnings."""
    from tfshadow.report.revert import render_remaining

    version = outcome.version
    if outcome.recorded is not None:
        print_recorded(err, outcome.recorded)
        if not request.state_only:
            targeted = bool(request.targets)
            render_remaining(out, outcome.remaining, version, targeted=targeted, anew=outcome.anew)
    done = []
    if outcome.written_config:
        done.append(f"wrote version {version}'s configuration: {', '.join(outcome.written_config)}")
    if outcome.removed_config:
        done.append(
            f"removed {', '.join(outcome.removed_config)}, which version {version} did not have"
        )
    if done:
        err.print(f"[bold]tfshadow:[/] {escape('; '.join(done))}")
    print_outcome(err, notes=outcome.notes, warnings=outcome.warnings)


def _follow(cli: CliContext, no_color: bool) -> FollowReport:
    # Like after an apply: plans made against the old state are stale now.
    from tfshadow.ops.ghost import follow

    return follow(cli.project(), no_color=no_color)
