"""`tfshadow ghost`: stopped copies of a resource from a known-good version."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from tfshadow.cli.commands import CliContext, commands, json_option, no_color_option, pass_cli
from tfshadow.cli.output import EXIT_OK, print_recorded, stderr_console, stdout_console

if TYPE_CHECKING:
    from tfshadow.ops.ghost import GhostResult


@commands.group()
def ghost() -> None:
    """Ghosts: stopped copies of resources, ready to start in one apply."""


def _report(result: GhostResult, *, no_color: bool) -> None:
    console = stderr_console(no_color=no_color)
    for meta in result.recorded:
        print_recorded(console, meta)
    for note in result.notes:
        console.print(f"[bold]tfshadow:[/] {note}")
    for warning in result.warnings:
        console.print(f"[bold yellow]tfshadow: warning:[/] {warning}")


@ghost.command()
@click.argument("address")
@click.option(
    "--from",
    "from_version",
    metavar="VERSION",
    help="The version to copy the resource from (default: last-good, else latest).",
)
@no_color_option
@pass_cli
def enable(cli: CliContext, address: str, from_version: str | None, no_color: bool) -> int:
    """Declare and create a stopped ghost of ADDRESS, and save the plan that starts it."""
    from tfshadow.ops import ghost as ops

    result = ops.enable(cli.project(), address, from_version=from_version)
    _report(result, no_color=no_color)
    click.echo(f"Ghost {result.ghost} of {address} is stopped; its activation plan is saved.")
    return EXIT_OK


@ghost.command()
@click.argument("address")
@no_color_option
@pass_cli
def activate(cli: CliContext, address: str, no_color: bool) -> int:
    """Start the ghost of ADDRESS by applying its saved plan."""
    from tfshadow.ops import ghost as ops

    result = ops.activate(cli.project(), address)
    _report(result, no_color=no_color)
    again = " (planned again: the state had changed)" if result.replanned else ""
    click.echo(f"Ghost {result.ghost} of {address} activated in {result.seconds:.1f}s{again}.")
    return EXIT_OK


@ghost.command()
@click.argument("address")
@no_color_option
@pass_cli
def disable(cli: CliContext, address: str, no_color: bool) -> int:
    """Remove the ghost of ADDRESS from the configuration and destroy it."""
    from tfshadow.ops import ghost as ops

    result = ops.disable(cli.project(), address)
    _report(result, no_color=no_color)
    click.echo(f"Ghost {result.ghost} of {address} disabled.")
    return EXIT_OK


@ghost.command(name="list")
@json_option
@no_color_option
@pass_cli
def list_(cli: CliContext, as_json: bool, no_color: bool) -> int:
    """List the ghosts: original, ghost, source version, stopped or running, plan saved."""
    from dataclasses import asdict

    from rich.markup import escape

    from tfshadow.cli.commands import _emit_json
    from tfshadow.ops import ghost as ops

    ghosts = ops.list_ghosts(cli.project())
    if as_json:
        _emit_json({"ghosts": [asdict(g) for g in ghosts]})
        return EXIT_OK
    console = stdout_console(no_color=no_color)
    if not ghosts:
        console.print("No ghosts.")
    for g in ghosts:
        console.print(
            f"{escape(g.original)} → {escape(g.ghost)}  from v{g.from_version}  "
            f"{g.status}  plan {g.plan}"
        )
    return EXIT_OK
