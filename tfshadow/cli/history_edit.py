"""Commands that act on the history without running Terraform: mark, checkout."""

from __future__ import annotations

import json
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
from tfshadow.cli.output import EXIT_OK, print_outcome, stderr_console, stdout_console

if TYPE_CHECKING:
    from tfshadow.project import Project


def _emit_json(doc: dict[str, Any]) -> None:
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False, default=str))


@commands.command(name="mark")
@click.argument("version", shell_complete=completion.versions)
@click.argument("mark", type=click.Choice(["good", "bad"], case_sensitive=False))
@click.option("--note", metavar="TEXT", help="Why: kept with the mark.")
@workspace_option
@json_option
@no_color_option
@pass_cli
def mark_command(
    cli: CliContext,
    version: str,
    mark: str,
    note: str | None,
    workspace: str | None,
    as_json: bool,
    no_color: bool,
) -> int:
    """Mark VERSION good or bad (`tfshadow revert last-good` goes to the newest good one)."""
    from tfshadow.ops.marks import mark as mark_version

    project = cli.project()
    entry, notes, warnings = mark_version(project, version, mark, workspace=workspace, note=note)
    print_outcome(
        stderr_console(no_color=no_color),
        notes=[*notes, *_ghosts_behind(project, workspace or project.workspace)],
        warnings=warnings,
    )
    if as_json:
        _emit_json(entry)
        return EXIT_OK
    text = f"Marked version {entry['version']} [bold]{entry['mark']}[/]"
    if entry.get("note"):
        text += f": {escape(str(entry['note']))}"
    stdout_console(no_color=no_color).print(text)
    return EXIT_OK


def _ghosts_behind(project: Project, workspace: str) -> list[str]:
    """Ghosts are declared from the newest good version, but a mark moves none of them."""
    from tfshadow.errors import TfshadowError
    from tfshadow.ops.ghost import ghosts_behind

    try:
        good, behind = ghosts_behind(project, workspace)
    except TfshadowError:
        return []  # the mark is made; `ghost list` says what is wrong with the ghosts
    return [
        f"The ghost of {escape(address)} is a copy of version {copied}: it follows version "
        f"{good}, the newest marked good, at the next `tfshadow apply` or `tfshadow ghost "
        "refresh`."
        for address, copied in behind
    ]


@commands.command(name="checkout")
@click.argument("version", shell_complete=completion.versions)
@click.option("--force", is_flag=True, help="Overwrite local changes that no version holds.")
@workspace_option
@json_option
@no_color_option
@pass_cli
def checkout_command(
    cli: CliContext,
    version: str,
    force: bool,
    workspace: str | None,
    as_json: bool,
    no_color: bool,
) -> int:
    """Write VERSION's configuration files into this directory (refuses to overwrite local
    changes that no version holds, unless --force)."""
    from tfshadow.ops.checkout import backend_note, checkout, init_note

    result = checkout(cli.project(), version, force=force, workspace=workspace)
    if as_json:
        _emit_json(
            {
                "version": result.version,
                "written": list(result.written),
                "removed": list(result.removed),
                "unchanged": list(result.unchanged),
                "needs_secrets": list(result.needs_secrets),
                "backend_changed": result.backend_changed,
                "init_needed": result.init_needed,
            }
        )
        return EXIT_OK
    console = stdout_console(no_color=no_color)
    if not result.written and not result.removed:
        console.print(f"The configuration files already are version {result.version}'s.")
        return EXIT_OK
    console.print(f"Checked out the configuration of version {result.version}:")
    for path in result.written:
        console.print(f"  [green]wrote[/]    {escape(path)}")
    for path in result.removed:
        console.print(f"  [red]removed[/]  {escape(path)}")
    if result.unchanged:
        console.print(f"  {len(result.unchanged)} file(s) already matched")
    if result.needs_secrets:
        names = ", ".join(result.needs_secrets)
        console.print(
            f"[bold yellow]Sealed in the store:[/] {escape(names)}: supply them with -var, "
            "-var-file or TF_VAR_<name> when you plan or apply"
        )
    if result.backend_changed:
        console.print(f"[bold yellow]Backend:[/] {escape(backend_note(result.version))}")
    if result.init_needed:
        console.print(f"[bold yellow]Init:[/] {escape(init_note(result.version))}")
    return EXIT_OK
