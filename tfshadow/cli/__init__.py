"""The command-line interface."""

from tfshadow.cli.main import main, run

__all__ = ["main", "run"]
