"""`tfshadow check` and `tfshadow watch`: reversion profiles over current metrics."""

from __future__ import annotations

import json

import click

from tfshadow.cli.analysis import _duration
from tfshadow.cli.commands import CliContext, commands, no_color_option, pass_cli, workspace_option
from tfshadow.cli.output import (
    EXIT_OK,
    stderr_console,
    stdout_console,
    terraform_output_to_stderr,
)
from tfshadow.errors import TfshadowError, UsageError

FAIL_ON = click.Choice(["warning", "critical"])


@commands.command()
@click.option("--act", is_flag=True, help="Perform the profiles' revert actions.")
@click.option(
    "--fail-on", type=FAIL_ON, default="critical", show_default=True, help="Exit 1 from this."
)
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="One JSON document.")
@no_color_option
@pass_cli
def check(
    cli: CliContext, act: bool, fail_on: str, workspace: str | None, as_json: bool, no_color: bool
) -> int:
    """Evaluate every reversion profile once; act on them only with --act.

    Exit code 0 when no open recommendation reaches --fail-on (a profile's revert that
    succeeded handled it), 1 when one does, 2 when an action failed and on errors.
    """
    from tfshadow.ops.check import CheckRequest
    from tfshadow.ops.check import check as run_check
    from tfshadow.report.check import check_json, render_check

    request = CheckRequest(act=act, fail_on=fail_on, workspace=workspace, no_color=no_color)
    if as_json:
        with terraform_output_to_stderr():  # a revert's Terraform output must not break the JSON
            report = run_check(cli.project(), request)
    else:
        report = run_check(cli.project(), request)
    if as_json:
        click.echo(json.dumps(check_json(report), indent=2, ensure_ascii=False))
    else:
        render_check(stdout_console(no_color=no_color), report)
    return report.exit_code


@commands.command()
@click.option("--interval", default="60s", show_default=True, help="Time between cycles.")
@click.option("--cycles", type=click.IntRange(min=1), help="Stop after N cycles.")
@workspace_option
@no_color_option
@pass_cli
def watch(
    cli: CliContext, interval: str, cycles: int | None, workspace: str | None, no_color: bool
) -> int:
    """Check the profiles every --interval and act on them (revert), until stopped.

    SIGTERM stops the loop between cycles, after any action under way. Ctrl-C does too, and
    also reaches a running Terraform, which then stops as it does on Ctrl-C.
    """
    from tfshadow.interruptible import stop_signals
    from tfshadow.ops.check import CheckReport, CheckRequest
    from tfshadow.ops.check import watch as run_watch
    from tfshadow.report.check import render_cycle

    seconds = _duration(interval, "--interval")
    assert seconds is not None
    if seconds <= 0:
        raise UsageError("--interval must be positive", hint="use e.g. --interval 60s")
    out = stdout_console(no_color=no_color)
    err = stderr_console(no_color=no_color)

    def on_cycle(number: int, outcome: CheckReport | TfshadowError) -> None:
        if isinstance(outcome, TfshadowError):
            err.print(f"cycle {number}: {outcome.one_line()}", markup=False, highlight=False)
        else:
            render_cycle(out, number, outcome)

    with stop_signals() as stopping:
        ran = run_watch(
            cli.project(),
            CheckRequest(workspace=workspace, no_color=no_color),
            seconds,
            cycles=cycles,
            stop=stopping.is_set,
            on_cycle=on_cycle,
            sleep=stopping.wait,
        )
    err.print(f"watch stopped after {ran} cycle{'s' if ran != 1 else ''}", highlight=False)
    return EXIT_OK
