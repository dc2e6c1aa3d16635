"""tfshadow's own commands. Any other command goes to Terraform (recorded if it changes state)."""

from __future__ import annotations

import gc
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tfshadow.cli import completion
from tfshadow.cli.output import EXIT_OK, print_outcome, stderr_console, stdout_console
from tfshadow.cli.pager import paged_stdout
from tfshadow.cli.wrapped_help import (
    END_OF_OPTIONS,
    EVERY_COMMAND_HEADING,
    EVERY_COMMAND_OPTIONS,
    MESSAGE_OPTION,
)
from tfshadow.errors import UsageError
from tfshadow.project import Project

if TYPE_CHECKING:
    from tfshadow.ops.history import VersionChange

HELP = f"""Shadow versions of Terraform state and configuration.

\b
Use tfshadow in place of terraform:
  tfshadow apply [terraform args] [--message TEXT]   apply, then record a shadow version
  tfshadow destroy | import | refresh | taint | untaint
  tfshadow state mv | rm | push | replace-provider   recorded the same way
  tfshadow plan [terraform args]                     plan, and report on what it would change
      [--format markdown|json|text]                  the report on stdout, Terraform's on stderr
      [--report-file PATH]                           the report written to PATH as well
  tfshadow <any other terraform command>             passed straight through to Terraform

\b
{EVERY_COMMAND_HEADING}
{EVERY_COMMAND_OPTIONS}
{MESSAGE_OPTION}
{END_OF_OPTIONS}

\b
The help of each Terraform command above (`tfshadow apply -help`) shows what tfshadow adds
to it, then Terraform's help; any other Terraform command's help is Terraform's alone.
"""


@dataclass(frozen=True)
class CliContext:
    workdir: Path
    terraform_bin: str | None
    lock_timeout: float | None
    _projects: list[Project] = field(default_factory=list, compare=False, repr=False)

    def project(self) -> Project:
        """The command's project: one per command, so its settings and store are read once."""
        if not self._projects:
            self._projects.append(
                Project(
                    self.workdir,
                    os.environ,
                    terraform_bin=self.terraform_bin,
                    lock_timeout=self.lock_timeout,
                )
            )
        return self._projects[0]


pass_cli = click.make_pass_decorator(CliContext)

workspace_option = click.option(
    "--workspace",
    metavar="NAME",
    help="Terraform workspace (default: the selected one).",
    shell_complete=completion.workspaces,
)
json_option = click.option("--json", "as_json", is_flag=True, help="One JSON document.")
# Terraform's one-dash spelling too: typed by habit, `-no-color` would otherwise read as `-n`.
no_color_option = click.option("--no-color", "-no-color", is_flag=True, help="Plain text output.")
no_pager_option = click.option(
    "--no-pager", is_flag=True, help="Print to the terminal directly, not through the pager."
)


class _TopLevel(click.Group):
    """tfshadow itself: ``tfshadow -help`` is Terraform's help (``main`` sends it there), so
    tfshadow's own help does not offer that spelling; its commands do."""

    def get_help_option_names(self, ctx: click.Context) -> list[str]:
        return [name for name in super().get_help_option_names(ctx) if name != "-help"]


# Terraform's -help too: typed by habit, click would read it as the options -h -e -l -p.
@click.group(
    cls=_TopLevel,
    name="tfshadow",
    help=HELP,
    context_settings={"help_option_names": ["--help", "-h", "-help"]},
)
@click.version_option(package_name="tfshadow", prog_name="tfshadow")
def commands() -> None:
    pass


def _emit_json(doc: dict[str, Any]) -> None:
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False, default=str))


@commands.command()
@click.argument("addresses", nargs=-1, metavar="[ADDRESS]...", shell_complete=completion.addresses)
@click.option("-n", "--max-count", "limit", type=click.IntRange(min=1), help="Show N versions.")
@click.option("--author", metavar="PATTERN", help="Versions whose author matches (name <email>).")
@click.option("--grep", metavar="PATTERN", help="Versions whose description matches.")
@click.option("--since", metavar="WHEN", help="Versions recorded since WHEN: 2d, 2026-11-01, …")
@click.option("--until", metavar="WHEN", help="Versions recorded until WHEN.")
@click.option("-p", "--patch", is_flag=True, help="Each version's change too, as inspect shows it.")
@workspace_option
@json_option
@no_color_option
@no_pager_option
@pass_cli
def log(
    cli: CliContext,
    addresses: tuple[str, ...],
    limit: int | None,
    author: str | None,
    grep: str | None,
    since: str | None,
    until: str | None,
    patch: bool,
    workspace: str | None,
    as_json: bool,
    no_color: bool,
    no_pager: bool,
) -> int:
    """List shadow versions, newest first; with ADDRESS, those that changed it (a resource,
    one of its instances, or a module and all it holds, as -target reads them). Patterns are
    regular expressions, matched ignoring case; WHEN is a time ago (90m, 2d, 1w) or a UTC date
    or time (2026-11-01, 2026-11-01T14:30)."""
    from tfshadow.ops import history
    from tfshadow.report import jsonout, terminal

    now = datetime.now(UTC)
    where = history.LogFilter(
        addresses=addresses,
        author=_pattern(author, "--author"),
        grep=_pattern(grep, "--grep"),
        since=_when(since, "--since", now),
        until=_when(until, "--until", now),
    )
    project = cli.project()
    _catch_up(project, no_color=no_color)
    metas = history.log(project, workspace=workspace, limit=limit, where=where)
    if patch and metas:
        _log_patches(cli, metas, addresses, workspace, as_json, no_color, no_pager)
    elif as_json:
        _emit_json(jsonout.log_json(metas))
    elif not metas and where:
        from rich.text import Text

        terminal.print_line(stdout_console(no_color=no_color), Text("No version matches."))
    else:
        others = history.other_workspaces(project, workspace)
        with paged_stdout(no_color=no_color, no_pager=no_pager) as console:
            terminal.render_log(console, metas, others)
    return EXIT_OK


def _log_patches(
    cli: CliContext,
    metas: list[dict[str, Any]],
    addresses: tuple[str, ...],
    workspace: str | None,
    as_json: bool,
    no_color: bool,
    no_pager: bool,
) -> None:
    """``log --patch``: each version listed as ``inspect`` shows it (only what the addresses
    name, when given), newest first, each worked out as it is shown."""
    from tfshadow.ops import history

    numbers = sorted((int(meta["version"]) for meta in metas), reverse=True)
    changes = history.inspect_each(cli.project(), numbers, workspace=workspace, targets=addresses)
    _show_versions(changes, listed=True, as_json=as_json, no_color=no_color, no_pager=no_pager)


def _show_versions(
    changes: Iterable[VersionChange], *, listed: bool, as_json: bool, no_color: bool, no_pager: bool
) -> None:
    """Versions with their changes, as ``inspect`` shows one; ``listed``: in JSON, as
    ``{"versions": […]}`` rather than the one document."""
    from rich.text import Text

    from tfshadow.report import jsonout, terminal

    notes: dict[str, None] = {}
    if as_json:
        docs = []
        for c in _collected(changes):
            docs.append(
                jsonout.inspect_json(c.after, c.state, c.config, parent_removed=c.parent_removed)
            )
            notes.update(dict.fromkeys(c.notes))
        _emit_json({"versions": docs} if listed else docs[0])
    else:
        with paged_stdout(no_color=no_color, no_pager=no_pager) as console:
            for i, c in enumerate(_collected(changes)):
                if i:
                    terminal.print_line(console, Text())
                terminal.render_inspect(
                    console, c.after, c.state, c.config, parent_removed=c.parent_removed
                )
                notes.update(dict.fromkeys(c.notes))
    print_outcome(stderr_console(no_color=no_color), warnings=list(notes))


_COLLECT_EVERY = 20


def _collected(changes: Iterable[VersionChange]) -> Iterator[VersionChange]:
    """``changes``, worked out and shown with the cyclic garbage collector held off, and run
    once every 20 versions. Each version rebuilds two states of hundreds of thousands of
    objects, which the collector went through again and again for nothing (they hold no
    cycles): 35% of a ``log -p`` of a 3,000-instance state, measured. The few cycles that
    showing versions leaves (a constant 400 objects) are collected on the way."""
    from tfshadow.store.layout import gc_paused

    with gc_paused():
        for i, change in enumerate(changes, start=1):
            yield change
            if i % _COLLECT_EVERY == 0:
                gc.collect()


def _pattern(text: str | None, option: str) -> re.Pattern[str] | None:
    if text is None:
        return None
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise UsageError(
            f"{option} {text}: not a regular expression ({exc})",
            hint="escape the characters . * + ? ( ) [ ] { } | \\ meant as themselves",
        ) from None


def _when(text: str | None, option: str, now: datetime) -> datetime | None:
    """A time ago (``2d``) or a date or time, read as UTC as the log shows its times."""
    if text is None:
        return None
    from tfshadow.moments import moment_from_text

    return moment_from_text(text, option, now=now, day_end=option == "--until")


target_option = click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="ADDRESS",
    help="Only this resource, instance or module (repeatable), as -target reads it.",
    shell_complete=completion.addresses,
)


@commands.command()
@click.argument("version", shell_complete=completion.versions)
@target_option
@workspace_option
@json_option
@no_color_option
@no_pager_option
@pass_cli
def inspect(
    cli: CliContext,
    version: str,
    targets: tuple[str, ...],
    workspace: str | None,
    as_json: bool,
    no_color: bool,
    no_pager: bool,
) -> int:
    """Show one version: its metadata and its change, like `terraform plan`."""
    from tfshadow.ops import history

    change = history.inspect(cli.project(), version, workspace=workspace, targets=targets)
    _show_versions([change], listed=False, as_json=as_json, no_color=no_color, no_pager=no_pager)
    return EXIT_OK


@commands.command()
@click.argument("version1", shell_complete=completion.versions)
@click.argument("version2", required=False, shell_complete=completion.versions)
@target_option
@workspace_option
@json_option
@no_color_option
@no_pager_option
@pass_cli
def diff(
    cli: CliContext,
    version1: str,
    version2: str | None,
    targets: tuple[str, ...],
    workspace: str | None,
    as_json: bool,
    no_color: bool,
    no_pager: bool,
) -> int:
    """State and configuration differences from VERSION1 to VERSION2 (default: latest)."""
    from tfshadow.ops import history
    from tfshadow.report import jsonout, terminal

    change = history.diff(cli.project(), version1, version2, workspace=workspace, targets=targets)
    assert change.before is not None
    if as_json:
        _emit_json(jsonout.diff_json(change.before, change.after, change.state, change.config))
    else:
        with paged_stdout(no_color=no_color, no_pager=no_pager) as console:
            terminal.render_diff(console, change.before, change.after, change.state, change.config)
    print_outcome(stderr_console(no_color=no_color), warnings=change.notes)
    return EXIT_OK


def _catch_up(project: Project, *, no_color: bool) -> None:
    """Record a change made outside tfshadow (or lost to a crash) before reading history."""
    from tfshadow.errors import StoreError
    from tfshadow.ops.record import catch_up

    try:
        store = project.open_store(create=False)
    except StoreError:
        return
    outcome = catch_up(project, store)
    print_outcome(
        stderr_console(no_color=no_color), outcome.recorded, outcome.notes, outcome.warnings
    )
