"""The ``tfshadow`` command: tfshadow's own commands, recorded Terraform commands, pass-through.

Only what a command needs is imported: a pass-through such as ``tfshadow state list`` loads
neither click nor rich, and an own command loads the one module that defines it.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from tfshadow import __version__, env
from tfshadow.cli.args import ArgumentError, ChdirArgumentError, Invocation, split_arguments
from tfshadow.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_BROKEN_PIPE,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    print_outcome,
    report_crash,
    report_error,
    stderr_console,
    terraform_output_to_stderr,
)
from tfshadow.errors import ChdirError, TfshadowError, UsageError

if TYPE_CHECKING:
    import click

# tfshadow's own commands and the module that registers each with the click group.
OWN_COMMANDS = {
    "agent": "tfshadow.cli.analysis",
    "analyze": "tfshadow.cli.analysis",
    "check": "tfshadow.cli.check",
    "checkout": "tfshadow.cli.history_edit",
    "comment": "tfshadow.cli.ci",
    "demo": "tfshadow.cli.demo",
    "detect": "tfshadow.cli.analysis",
    "diff": "tfshadow.cli.commands",
    "gate": "tfshadow.cli.ci",
    "ghost": "tfshadow.cli.ghost",
    "inspect": "tfshadow.cli.commands",
    "log": "tfshadow.cli.commands",
    "mark": "tfshadow.cli.history_edit",
    "profile": "tfshadow.cli.profiles",
    "revert": "tfshadow.cli.revert",
    "store": "tfshadow.cli.store",
    "watch": "tfshadow.cli.check",
}


def command_group(*names: str) -> click.Group:
    """The click group with the commands ``names`` registered (all of them when none)."""
    from tfshadow.cli.commands import commands

    for module in sorted({OWN_COMMANDS[n] for n in names} if names else set(OWN_COMMANDS.values())):
        importlib.import_module(module)
    return commands


def main() -> NoReturn:
    """Console-script entry point."""
    sys.exit(run(sys.argv[1:]))


def run(argv: Sequence[str]) -> int:
    import signal
    import threading

    # SIGTERM (CI cancelling a job) is an interruption like Ctrl-C: left at its default it ends
    # tfshadow on the spot, saying nothing of a change Terraform made and tfshadow did not
    # record yet, and leaving scratch copies behind. While Terraform runs, the engine passes it
    # on to Terraform instead (see runner.engine).
    terminate = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is not threading.main_thread():
        terminate = None  # only the main thread may set handlers
    try:
        if terminate is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, signal.default_int_handler)
        completion = os.environ.get(env.TFSHADOW_COMPLETE)
        if completion:
            from tfshadow.cli import completion as shell_completion

            return shell_completion.respond(completion, command_group)
        return _dispatch(argv)
    except TfshadowError as exc:
        code = report_error(exc)
        if code == EXIT_BAD_INPUT and isinstance(exc, ChdirError) and _passed_through(argv):
            # Terraform refuses such a -chdir with 1: a command it decides the exit code of
            # exits as it would (a script may tell 1 from 2).
            return EXIT_FAILED
        if code == EXIT_BAD_INPUT and _detailed_exitcode_plan(argv, os.environ):
            # There 2 means "changes present", as Terraform's own errors exit 1: a pipeline
            # would take a wrong -chdir or --terraform-bin for a plan with changes to apply.
            return EXIT_FAILED
        return code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`tfshadow log | head -1`): end quietly as git does, and keep
        # the interpreter from failing again on flushing stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as exc:
        return report_crash(exc)
    finally:
        if terminate is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, terminate)


def _passed_through(argv: Sequence[str]) -> bool:
    """Whether Terraform decides the exit code of ``argv``: a Terraform command tfshadow does
    not record (``plan`` included), as opposed to tfshadow's own and the recorded ones."""
    from tfshadow.ops.record import recorded_command_name

    try:
        inv = split_arguments(argv, check_chdir=False)
    except ArgumentError:
        return False  # a tfshadow option without its value: tfshadow's own bad input
    if inv.command in OWN_COMMANDS:
        return False
    return recorded_command_name(inv.command or "", [*inv.global_args, *inv.rest]) is None


def _detailed_exitcode_plan(argv: Sequence[str], environ: Mapping[str, str]) -> bool:
    """Whether ``argv`` asks for ``plan -detailed-exitcode`` (also through ``TF_CLI_ARGS*``)."""
    from tfshadow.ops.record import bool_flag
    from tfshadow.runner.cli_args import command_index, effective_args

    try:
        tf_args = split_arguments(argv).tf_args
    except ArgumentError:
        tf_args = list(argv)  # a tfshadow option without its value: the rest is still read
    given = effective_args(tf_args, environ)
    command_at = command_index(given)
    if command_at is None or given[command_at] != "plan":
        return False
    return bool_flag(given[command_at + 1 :], "detailed-exitcode")


def _dispatch(argv: Sequence[str]) -> int:
    try:
        inv = split_arguments(argv)
    except ChdirArgumentError as exc:
        raise ChdirError(str(exc), hint="see `tfshadow --help`") from None
    except ArgumentError as exc:
        raise UsageError(str(exc), hint="see `tfshadow --help`") from None
    command = inv.command
    if inv.plan_options and command != "plan":
        raise UsageError(
            f"{' and '.join(inv.plan_options)} only appl"
            f"{'ies' if len(inv.plan_options) == 1 else 'y'} to `tfshadow plan`",
            hint=f"drop {'it' if len(inv.plan_options) == 1 else 'them'}",
        )
    if command is None:
        if "--version" in inv.global_args:
            print(f"tfshadow {__version__}")
            return EXIT_OK
        if not inv.global_args or set(inv.global_args) & {"--help", "-h"}:
            return _run_own(inv, ["--help"])
    if command is not None and command in OWN_COMMANDS:
        if inv.message is not None:
            # Refused rather than dropped: a revert would record its own description.
            raise UsageError(
                f"--message only applies to the Terraform commands tfshadow records "
                f"(apply, destroy, import, …), not `{command}`",
                hint="drop --message",
            )
        # Only Terraform's -chdir means something before an own command; anything else there
        # was meant for the command, and dropping it would run it without (`--dry-run revert`).
        misplaced = [a for a in inv.global_args if not a.startswith("-chdir=")]
        if misplaced and set(misplaced) <= {"--help", "-h", "-help"}:
            return _run_own(inv, [command, "--help"])
        if misplaced:
            given = " ".join(misplaced)
            raise UsageError(
                f"`{given}` comes before `{command}`: options of tfshadow's own commands go "
                f"after `{command}`",
                hint=f"run `tfshadow {command} {given} …`",
            )
        # Terraform reads -chdir only before its command: after an own command it would reach
        # `terraform plan` (revert), or be taken for one-letter options, while tfshadow works in
        # this directory, not the one meant.
        late = [a for a in inv.rest if a == "-chdir" or a.startswith("-chdir=")]
        if late:
            where = late[0] if "=" in late[0] else "-chdir=DIR"
            raise UsageError(
                f"`{late[0]}` comes after `{command}`: -chdir only works before the command",
                hint=f"put it before the command (`tfshadow {where} {command} …`), or use "
                "--chdir DIR",
            )
        return _run_own(inv, [command, *inv.rest])
    if command is not None:
        # Terraform's options before its command have one dash (-chdir, -help, -version): a
        # `--name` there belongs to one of tfshadow's own commands, and its value was taken for
        # the command (`tfshadow --workspace staging log` would run Terraform's "staging").
        doubled = [a for a in inv.global_args if a.startswith("--") and a not in _TF_GLOBAL]
        if doubled:
            raise UsageError(
                f"`{doubled[0]}` comes before the command: tfshadow's own commands take their "
                "options after them",
                hint=f"e.g. `tfshadow log {doubled[0]} …`; Terraform's own options have one dash",
            )
    return _run_terraform(inv)


_TF_GLOBAL = frozenset({"--help", "--version"})


def _workdir(inv: Invocation) -> Path:
    base = Path(inv.chdir) if inv.chdir else Path.cwd()
    chdir = inv.terraform_chdir
    if not chdir:
        return base
    workdir = base / chdir
    # Said here, not by the project, to be told from a wrong --chdir (tfshadow's option): a
    # command Terraform decides the exit code of exits 1 for it, as Terraform does.
    if base.is_dir() and not workdir.is_dir():
        problem = "is not a directory" if workdir.exists() else "does not exist"
        raise ChdirError(
            f"-chdir={chdir}: `{workdir}` {problem}",
            hint="check -chdir: it takes the configuration's directory",
        )
    return workdir


def _lock_timeout(inv: Invocation) -> float | None:
    if inv.lock_timeout is None:
        return None
    from tfshadow.project import seconds

    try:
        return seconds(inv.lock_timeout)
    except ValueError:
        raise UsageError(
            f"--lock-timeout {inv.lock_timeout!r} is not a number of seconds",
            # Go's flags take two dashes too: `--lock-timeout=5s` may have been meant for
            # Terraform, and it is tfshadow's.
            hint="e.g. --lock-timeout 120 (tfshadow's wait for its store); Terraform's wait "
            "for the state lock is -lock-timeout=5s, with one dash",
        ) from None


def _run_own(inv: Invocation, args: list[str]) -> int:
    import click

    from tfshadow.cli.commands import CliContext

    commands = command_group(*(args[:1] if args[0] in OWN_COMMANDS else []))
    ctx = CliContext(
        workdir=_workdir(inv),
        terraform_bin=inv.terraform_bin,
        lock_timeout=_lock_timeout(inv),
    )
    try:
        result = commands.main(args=args, prog_name="tfshadow", standalone_mode=False, obj=ctx)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()  # a group given no command: its help is the answer
        return EXIT_BAD_INPUT
    except click.ClickException as exc:
        fallback = f"tfshadow {args[0]}" if args[0] in OWN_COMMANDS else "tfshadow"
        return report_error(_one_line_usage_error(exc, fallback))
    except click.exceptions.Abort:
        return EXIT_INTERRUPTED
    return int(result) if isinstance(result, int) else EXIT_OK


def _one_line_usage_error(exc: click.ClickException, fallback: str) -> UsageError:
    """click's usage message as every other error of tfshadow's: one line, with the command
    it concerns and where its usage is told (click prints three or four lines)."""
    message = exc.format_message().strip().rstrip(".")
    if message[1:2].islower():  # "No such option" reads as the rest of the line
        message = message[:1].lower() + message[1:]
    ctx = getattr(exc, "ctx", None)
    # An option's missing value is found before click makes the command's context.
    path = ctx.command_path if ctx is not None else fallback
    command = path.removeprefix("tfshadow").strip()
    return UsageError(f"{command}: {message}" if command else message, hint=f"see `{path} --help`")


def _run_terraform(inv: Invocation) -> int:
    from tfshadow.cli.wrapped_help import wrapped_help
    from tfshadow.ops.record import recorded_command_name, run_recorded
    from tfshadow.project import Project
    from tfshadow.runner.cli_args import command_index, effective_args

    project = Project(
        _workdir(inv),
        os.environ,
        terraform_bin=inv.terraform_bin,
        lock_timeout=_lock_timeout(inv),
    )
    # Terraform's -chdir is applied by running in that directory: relative paths in the other
    # arguments resolve the same way, and tfshadow's own calls see the same directory.
    tf_args = [a for a in inv.tf_args if not (a.startswith("-chdir=") and a in inv.global_args)]
    command = inv.command or ""
    # Help or version flags before the command (`-help apply`) count as they do after it, and
    # so do those `TF_CLI_ARGS*` give: Terraform prints its help then, and runs nothing.
    asked = effective_args(tf_args, project.environ)
    at = command_index(asked)
    given = asked[:at] + asked[at + 1 :] if at is not None else asked
    recorded = recorded_command_name(command, given)
    wrapped = wrapped_help(command, given)
    if wrapped is not None:
        # Before Terraform's, which it writes to the same stream itself.
        print(wrapped, flush=True)
        return project.engine.run(tf_args, cwd=project.workdir, environ=project.environ)
    if recorded is None and command == "workspace":
        from tfshadow.ops.workspaces import deleted_workspace, run_workspace_delete

        if deleted_workspace(asked) is not None:
            if inv.message is not None:
                raise UsageError(
                    "--message only applies to commands that change the state, not "
                    "`workspace delete`",
                    hint="drop --message",
                )
            outcome = run_workspace_delete(project, tf_args)
            console = stderr_console(no_color=_terraform_no_color(inv, project.environ))
            print_outcome(console, outcome.recorded, outcome.notes, outcome.warnings)
            return outcome.exit_code
    if recorded is None:
        if inv.message is not None:
            raise UsageError(
                f"--message only applies to commands that change the state, not `{command}`",
                hint="drop --message",
            )
        if command == "plan":
            # Before the pass-through: the plan is Terraform's, plus a report on it.
            from tfshadow.cli.plan import run_plan

            return run_plan(
                project, tf_args, report_format=inv.report_format, report_file=inv.report_file
            )
        return project.engine.run(tf_args, cwd=project.workdir, environ=project.environ)
    no_color = _terraform_no_color(inv, project.environ)
    console = stderr_console(no_color=no_color)
    outcome = run_recorded(
        project,
        tf_args,
        command,
        inv.rest,
        message=inv.message,
        warn_now=lambda warning: print_outcome(console, warnings=[warning]),
    )
    print_outcome(console, outcome.recorded, outcome.notes, outcome.warnings)
    if (
        command == "apply"
        and outcome.kind != "destroy"  # also a saved destroy plan's apply
        and (outcome.recorded or outcome.exit_code == 0)
    ):
        # The state moved on: every ghost's activation plan is stale, and a new good version
        # may be there to follow.
        from tfshadow.ops.ghost import follow

        # Standard output is the user's apply's alone (`apply -json` is read by programs).
        with terraform_output_to_stderr():
            followed = follow(project, no_color=no_color)
        print_outcome(console, followed.recorded, followed.notes, followed.warnings)
    return outcome.exit_code


def _terraform_no_color(inv: Invocation, environ: Mapping[str, str]) -> bool:
    """Whether Terraform was told ``-no-color``, on the command line or in ``TF_CLI_ARGS`` /
    ``TF_CLI_ARGS_<command>``: tfshadow's own lines after its output are plain then too."""
    from tfshadow.runner.cli_args import effective_args

    given = effective_args(inv.tf_args, environ)
    return "-no-color" in given or "--no-color" in given
