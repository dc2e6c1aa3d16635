"""The history's reports through a pager on a terminal, as ``git log`` shows them.

The pager is ``TFSHADOW_PAGER``, else ``PAGER``, else ``less`` where there is one; empty or
``cat`` means none.
``less`` is given ``LESS=FRX`` unless the user has set ``LESS`` (git's choice: quit when the
text fits one screen, keep the colours, leave the text on the screen).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

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
    """A console for a report on stdout; what is printed to it goes through the pager when
    stdout is a terminal (and ``no_pager`` is false), once the block ends."""
    console = stdout_console(no_color=no_color)
    command = None if no_pager or not sys.stdout.isatty() else pager_command(os.environ)
    if command == _DEFAULT and shutil.which(_DEFAULT) is None:
        command = None  # no pager asked for, and none here to offer
    if command is None:
        yield console
        return
    with console.capture() as captured:
        yield console
    _show(command, captured.get(), console, no_color=no_color)


def _show(command: str, text: str, console: Console, *, no_color: bool) -> None:
    try:
        program = shlex.split(command)[0]
    except (ValueError, IndexError):
        program = command
    if shutil.which(program) is None:
        stderr_console(no_color=no_color).print(
            f"tfshadow: warning: the pager `{command}` cannot be run: output not paged (set "
            f"{env.TFSHADOW_PAGER}, or give --no-pager)",
            markup=False,
            highlight=False,
        )
        console.file.write(text)
        console.file.flush()
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
        with contextlib.suppress(BrokenPipeError):  # quit before reading it all
            proc.stdin.write(text.encode(sys.stdout.encoding or "utf-8", errors="replace"))
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.close()
        proc.wait()
    finally:
        signal.signal(signal.SIGINT, interrupted)
