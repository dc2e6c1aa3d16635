"""The command-line interface."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn


def main() -> NoReturn:
    """Console-script entry point."""
    try:
        from tfshadow.cli.main import run as run_command
    except KeyboardInterrupt:
        # Ctrl-C while the modules load, before anything started: an end like any other
        # interruption's, not a traceback of whichever import it fell in.
        sys.exit(130)
    sys.exit(run_command(sys.argv[1:]))


def run(argv: Sequence[str]) -> int:
    """Run tfshadow with ``argv`` (without the program name); the exit code."""
    from tfshadow.cli.main import run as run_command

    return run_command(argv)


__all__ = ["main", "run"]
