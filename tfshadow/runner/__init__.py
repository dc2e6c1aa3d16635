"""How Terraform is run: the Engine interface, its two implementations, tfshadow's own calls."""

from tfshadow.runner.commands import current_workspace, data_dir, pull_state
from tfshadow.runner.engine import (
    Captured,
    Engine,
    SubprocessEngine,
    embedded_engine,
    executable_engine,
    without_cli_args,
)

__all__ = [
    "Captured",
    "Engine",
    "SubprocessEngine",
    "current_workspace",
    "data_dir",
    "embedded_engine",
    "executable_engine",
    "pull_state",
    "without_cli_args",
]
