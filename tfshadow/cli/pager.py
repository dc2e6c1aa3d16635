"""The history's reports through a pager on a terminal, as ``git log`` shows them.

The pager is ``TFSHADOW_PAGER``, else ``PAGER``, else ``less`` where there is one; empty or
``cat`` means none. ``less`` is given ``LESS=FRX`` unless the user has set ``LESS`` (git's
choice: quit when the text fits one screen, keep the colours, leave the text on the screen).
"""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, TextIO

from tfshadow import env
from tfshadow.cli.output import stderr_console, stdout_console

if TYPE_CHECKING:
    from rich.console import Console

_DEFAULT = "less"
_LESS_DEFAULT = "FRX"


def pager_command(environ: Mapping[str, str]) -> str | None:
    """The pager the environment asks for, None for none."""
    for name in (env.TFSHADOW_PAGER, env.PAGER):
        if name in environ:
            command = environ[name].strip()
            return None if command in ("", "cat") else command
    return _DEFAULT


@contextlib.contextmanager
def paged_stdout(*, no_color: bool, no_pager: bool) -> Iterator[Console]:
    """A console for a report on stdout. On a terminal (and unless ``no_pager``), what is
    printed to it streams into the pager as it is printed, as git's does: a long history shows
    at once, and once the pager is quit, the rest is not worked out."""
    console = stdout_console(no_color=no_color)
    command = None if no_pager or not sys.stdout.isatty() else pager_command(os.environ)
    if command == _DEFAULT and shutil.which(_DEFAULT) is None:
        command = None  # no pager asked for, and none here to offer
    if command is not None and not _runnable(command):
        stderr_console(no_color=no_color).print(
            f"tfshadow: warning: the pager `{command}` cannot be run: output not paged (set "
            f"{env.TFSHADOW_PAGER}, or give --no-pager)",
            markup=False,
            highlight=False,
        )
        command = None
    if command is None:
        yield console
        return
    environ = {**os.environ}
    environ.setdefault("LESS", _LESS_DEFAULT)
    sys.stdout.flush()
    # The pager owns the terminal until it ends: Ctrl-C is its to handle (less stays open), and
    # ending tfshadow first would leave it reading a terminal the shell reads too.
    interrupted = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        proc = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, env=environ)
        assert proc.stdin is not None
        stream = io.TextIOWrapper(
            proc.stdin, encoding=sys.stdout.encoding or "utf-8", errors="replace"
        )
        try:
            yield _console_like(console, stream)
        except BrokenPipeError:
            pass  # the pager was quit before the end: nothing more to show
        finally:
            with contextlib.suppress(BrokenPipeError):
                stream.close()
            proc.wait()
    finally:
        signal.signal(signal.SIGINT, interrupted)


def _runnable(command: str) -> bool:
    try:
        program = shlex.split(command)[0]
    except (ValueError, IndexError):
        return False
    return shutil.which(program) is not None


def _console_like(console: Console, stream: TextIO) -> Console:
    """A console printing to ``stream`` as ``console`` prints to the terminal: its colours
    (none with --no-color) and its width."""
    colours = console.color_system is not None
    return type(console)(
        file=stream,
        # As for the terminal itself: rich reads the colours it takes from TERM and COLORTERM.
        color_system="auto" if colours else None,
        force_terminal=colours,
        width=console.width,
        highlight=False,
        soft_wrap=True,
    )
