"""The command-line interface."""

from tfshadow.cli.main import main, run, tfshadow

__all__ = ["main", "run", "tfshadow"]
