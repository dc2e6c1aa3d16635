"""`tfshadow ghost`: stopped copies of a resource from a known-good version."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from tfshadow.cli import completion
from tfshadow.cli.commands import CliContext, commands, json_option, no_color_option, pass_cli
from tfshadow.cli.output import EXIT_FAILED, EXIT_OK, print_outcome, stderr_console, stdout_console

if TYPE_CHECKING:
    from tfshadow.ops.ghost import FollowReport, GhostResult, GhostStatus


@commands.group()
def ghost() -> None:
    """Ghosts: stopped copies of resources, ready to start in one apply."""


def _report(result: GhostResult, *, no_color: bool) -> None:
    console = stderr_console(no_color=no_color)
    print_outcome(console, result.recorded, result.notes, result.warnings)


@ghost.command()
@click.argument("address", shell_complete=completion.ghostable)
@click.option(
    "--from",
    "from_version",
    metavar="VERSION",
    help="Copy the resource from this version and stay on it (default: follow the newest "
    "version marked good, else start from the latest).",
)
@click.option(
    "--traffic",
    "switches",
    multiple=True,
    metavar="TARGET=ATTRIBUTE",
    help="On activation, point TARGET (output.NAME or TYPE.NAME.ARGUMENT) at the ghost's "
    "ATTRIBUTE ([ATTRIBUTE] for a list). Repeatable.",
)
@no_color_option
@pass_cli
def enable(
    cli: CliContext,
    address: str,
    from_version: str | None,
    switches: tuple[str, ...],
    no_color: bool,
) -> int:
    """Declare and create a stopped ghost of ADDRESS, and save the plan that starts it."""
    from tfshadow.ops import ghost as ops

    result = ops.enable(
        cli.project(), address, from_version=from_version, switches=switches, no_color=no_color
    )
    _report(result, no_color=no_color)
    click.echo(f"Ghost {result.ghost} of {address} is stopped; its activation plan is saved.")
    return EXIT_OK


@ghost.command()
@no_color_option
@pass_cli
def refresh(cli: CliContext, no_color: bool) -> int:
    """Make every ghost follow the newest good version and plan its activation again.

    `tfshadow apply` and `tfshadow revert` do this on their own; run it after marking a
    version good, or after fixing what stopped a ghost from following. Exits 1 when a ghost
    could not follow; a store remote or mirror out of reach is a warning, as on `apply`.
    """
    from tfshadow.ops import ghost as ops

    report = ops.follow(cli.project(), no_color=no_color)
    print_follow_report(report, no_color=no_color)
    # As after `tfshadow apply`, a remote or a mirror out of reach is a warning: what the ghosts
    # did is recorded, and the next recorded command sends it.
    click.echo("Some ghosts did not follow." if report.failed else "Ghosts are up to date.")
    return EXIT_FAILED if report.failed else EXIT_OK


def print_follow_report(report: FollowReport, *, no_color: bool) -> None:
    """What following did, on stderr like the apply's own notes."""
    console = stderr_console(no_color=no_color)
    print_outcome(console, report.recorded, report.notes, report.warnings)


@ghost.command()
@click.argument("address", shell_complete=completion.enabled_ghosts)
@no_color_option
@pass_cli
def activate(cli: CliContext, address: str, no_color: bool) -> int:
    """Start the ghost of ADDRESS by applying its saved plan."""
    from tfshadow.ops import ghost as ops

    result = ops.activate(cli.project(), address, no_color=no_color)
    _report(result, no_color=no_color)
    if not result.recorded:
        # Terraform changed nothing: the ghost was running already.
        click.echo(f"Ghost {result.ghost} of {address} was already active: nothing changed.")
        return EXIT_OK
    again = f" (planned again: {result.replanned})" if result.replanned else ""
    click.echo(f"Ghost {result.ghost} of {address} activated in {result.seconds:.1f}s{again}.")
    return EXIT_OK


@ghost.command()
@click.argument("address", shell_complete=completion.enabled_ghosts)
@no_color_option
@pass_cli
def disable(cli: CliContext, address: str, no_color: bool) -> int:
    """Remove the ghost of ADDRESS from the configuration and destroy it."""
    from tfshadow.ops import ghost as ops

    result = ops.disable(cli.project(), address, no_color=no_color)
    _report(result, no_color=no_color)
    click.echo(f"Ghost {result.ghost} of {address} disabled.")
    return EXIT_OK


@ghost.command(name="list")
@click.option(
    "--refresh",
    is_flag=True,
    help="Ask the providers whether each ghost still stands by or runs (a refresh-only plan: "
    "nothing is written) instead of reading the last state Terraform wrote.",
)
@json_option
@no_color_option
@pass_cli
def list_(cli: CliContext, refresh: bool, as_json: bool, no_color: bool) -> int:
    """List the ghosts: original, ghost, source version, stopped or running, plan saved."""
    from dataclasses import asdict

    from rich.markup import escape

    from tfshadow.cli.commands import _emit_json
    from tfshadow.ops import ghost as ops

    ghosts = ops.list_ghosts(cli.project(), refresh=refresh)
    if as_json:
        _emit_json({"ghosts": [asdict(g) for g in ghosts]})
        return EXIT_OK
    console = stdout_console(no_color=no_color)
    if not ghosts:
        console.print("No ghosts.")
        return EXIT_OK
    for g in ghosts:
        switched = f"  traffic {escape(', '.join(g.traffic))}" if g.traffic else ""
        newer = (
            f"; v{g.newer_good} is good: `tfshadow ghost refresh`"
            if g.newer_good is not None
            else ""
        )
        console.print(
            # "(last-good)" alone read as if that version were the one marked good.
            f"{escape(g.original)} → {escape(g.ghost)}  from v{g.from_version} "
            f"({'follows last-good' if g.follows == 'last-good' else g.follows}"
            f"{newer})  {g.status}  plan {g.plan}{switched}"
        )
    console.print(_as_of(ghosts[0]))
    return EXIT_OK


def _as_of(g: GhostStatus) -> str:
    """Where stopped/running comes from: a state says what Terraform last applied, not whether
    the process still lives."""
    if g.refreshed:
        return f"Stopped/running as the providers report it now ({_shown_time(g.status_as_of)})."
    where = (
        f"version {g.status_version}'s state ({_shown_time(g.status_as_of)})"
        if g.status_version is not None
        else "Terraform's current state (changed since the newest version: `tfshadow log`)"
    )
    return (
        f"Stopped/running as of {where}, not refreshed: `tfshadow ghost list --refresh` asks "
        "the providers."
    )


def _shown_time(stamp: str | None) -> str:
    return (stamp or "").replace("T", " ").replace("Z", " UTC")
