"""`tfshadow demo`: the whole story on this machine, narrated."""

from __future__ import annotations

from pathlib import Path

import click

from tfshadow.cli.commands import CliContext, commands, no_color_option, pass_cli
from tfshadow.cli.output import stdout_console


@commands.command()
@click.option(
    "--keep",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Work in DIR (new or empty) and keep its files; the processes are stopped all the same.",
)
@no_color_option
@pass_cli
def demo(cli: CliContext, keep: Path | None, no_color: bool) -> int:
    """Apply, measure, break, detect, recover and revert, for real, in about 90 seconds.

    Runs in a temporary directory on the embedded Terraform and the localcloud provider: version
    1 (a process, a database, a port mapping), a ghost of the process, metrics from
    `tfshadow agent`, a bad version 3, `tfshadow analyze` naming it, the ghost activated, a
    revert, the metrics again, and the log. Every process and file it made is removed at the end,
    also on Ctrl-C. Exit code 1 when a step failed or analyze did not name the bad version.
    """
    from tfshadow.demo.story import run

    where = None if keep is None else (keep if keep.is_absolute() else cli.workdir / keep)
    return run(stdout_console(no_color=no_color), keep=where)
