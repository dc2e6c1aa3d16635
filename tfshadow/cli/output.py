"""Consoles and the one place errors become a line on stderr and an exit code.

rich is imported when a console is made: a Terraform pass-through never pays for it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import tempfile
import traceback
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from tfshadow.errors import TfshadowError

if TYPE_CHECKING:
    from rich.console import Console

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_UNEXPECTED = 3
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a program SIGPIPE ends


def stdout_console(*, no_color: bool = False) -> Console:
    return _console(sys.stdout, no_color)


def stderr_console(*, no_color: bool = False) -> Console:
    return _console(sys.stderr, no_color)


def _console(file: TextIO, no_color: bool) -> Console:
    console = _console_class()
    if no_color:
        # As Terraform's -no-color: no escape codes at all. rich's own no_color keeps bold.
        return console(file=file, color_system=None, highlight=False, soft_wrap=True)
    return console(file=file, highlight=False, soft_wrap=True)


@functools.cache
def _console_class() -> type[Console]:
    from rich.console import Console

    class PipedConsole(Console):
        def on_broken_pipe(self) -> None:
            # rich exits with 1 when the reader went away (`tfshadow log | head -1`), which
            # reads as a failure: the command line ends it as git does (see cli.main.run).
            self.quiet = True
            raise BrokenPipeError

    return PipedConsole


def print_recorded(console: Console, meta: dict[str, Any]) -> None:
    """One line on a version just recorded (descriptions are user text: never markup)."""
    from rich.markup import escape

    from tfshadow.report.terminal import count_columns

    counts = count_columns(meta.get("changes", {})).plain  # as `log` shows them
    extra = f"revert to {meta['reverted_to']}, " if meta.get("reverted_to") is not None else ""
    console.print(
        f"[bold]tfshadow:[/] recorded version {meta['version']} ({escape(str(meta['kind']))}, "
        f"{extra}{meta['outcome']}; {counts}): {escape(str(meta['description']))}"
    )


def print_outcome(
    console: Console,
    recorded: Iterable[dict[str, Any]] = (),
    notes: Iterable[str] = (),
    warnings: Iterable[str] = (),
) -> None:
    """The versions a command recorded, then its notes and warnings."""
    for meta in recorded:
        print_recorded(console, meta)
    for note in notes:
        console.print(f"[bold]tfshadow:[/] {note}")
    for warning in warnings:
        console.print(f"[bold yellow]tfshadow: warning:[/] {warning}")


def report_error(exc: TfshadowError) -> int:
    print(f"tfshadow: error: {exc.one_line()}", file=sys.stderr)
    return exc.exit_code


def report_crash(exc: BaseException) -> int:
    """An unexpected error: one line for the user, the traceback in a log file."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    fd, path = tempfile.mkstemp(prefix=f"tfshadow-crash-{stamp}-", suffix=".log")
    with os.fdopen(fd, "w") as fh:
        traceback.print_exception(exc, file=fh)
    print(
        f"tfshadow: unexpected error: {type(exc).__name__}; details in {path} "
        "(please include them when reporting it)",
        file=sys.stderr,
    )
    return EXIT_UNEXPECTED


@contextlib.contextmanager
def terraform_output_to_stderr() -> Iterator[None]:
    """Send everything written to standard output, by us or by Terraform runs we start, to
    standard error for the block: a ``--json`` document on stdout must stay the only thing there."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
