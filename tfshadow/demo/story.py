"""The story: every step a real ``tfshadow`` command, explained in one line, its output shown.

Each command runs as its own process (``python -m tfshadow …``), as a person would type it: its
output and exit code are the real ones, process-wide state (the working directory, signal
handlers, an embedded Terraform's runtime) stays out of the story, and the story can stop a
command halfway, on Ctrl-C or SIGTERM, and still clean up. A command runs in a session of its
own, so the terminal's Ctrl-C reaches the story alone, which ends the command's whole process
group, then every localcloud process, then the directory.

Nothing is staged: whether ``analyze`` names the bad version, and whether the CPU is back to
normal after the revert, is read from the commands' output and said as it is.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from rich.console import Console
from rich.markup import escape

from tfshadow.demo import workspace as ws

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130

INTERVAL = 0.25  # seconds between samples: enough points for a forecast within seconds
BASELINE_SAMPLES = 80  # the detector warms up on 63 points; the rest is its evidence
CHANGED_SAMPLES = 48
REVERTED_SAMPLES = 32
API = "localcloud_instance.api"
BAD_VARS = ("-var", "load=0.9", "-var", "cache_size=16")
BAD_MESSAGE = "faster checkout"
SHOWN_SAMPLES = 3  # an agent's first and last few samples are shown, the middle counted

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_RECORDED = re.compile(r"recorded version (\d+)")
_SUSPECT = re.compile(r"suspect:\s+v(\d+)")
_CPU = re.compile(r"(?:^|\s)cpu=([0-9.eE+-]+)")


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived while the story ran."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class StepFailed(Exception):
    """A command of the story exited non-zero."""


class Job:
    """A command running in its own session; a thread collects its output lines."""

    def __init__(self, args: Sequence[str], cwd: Path, environ: Mapping[str, str]) -> None:
        self.args = tuple(args)
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tfshadow", *args],
            cwd=cwd,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._shown = 0
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = _ANSI.sub("", raw.decode("utf-8", "replace").rstrip("\r\n"))
            with self._lock:
                self.lines.append(line)
        self.proc.stdout.close()

    def unseen(self) -> list[str]:
        """The lines since the last call."""
        with self._lock:
            new, self._shown = self.lines[self._shown :], len(self.lines)
        return new

    def samples(self) -> int:
        with self._lock:
            return sum(1 for line in self.lines if _CPU.search(line))

    def wait(self) -> int:
        """The exit code, once the command has ended and its output is read (unless something
        it started still holds the pipe open after a while)."""
        code = self.proc.wait()
        self._reader.join(30.0)
        return code

    def end(self) -> None:
        """End the command and what it started in its session, if it still runs."""
        if self.proc.poll() is None:
            end_process_group(self.proc)
        self._reader.join(5.0)

    def ran(self) -> Ran:
        code = self.wait()
        with self._lock:
            return Ran(code, tuple(self.lines))


@dataclass(frozen=True)
class Ran:
    """A finished command: exit code and its output (stdout and stderr, as interleaved)."""

    code: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def recorded(self, description: str | None = None) -> int | None:
        """The last version the command says it recorded (with ``description``, if given: an
        apply may record a ghost following it as well)."""
        found = [
            int(m.group(1))
            for line in self.lines
            if (m := _RECORDED.search(line))
            and (description is None or line.endswith(f": {description}"))
        ]
        return found[-1] if found else None

    def cpu(self) -> list[float]:
        """The ``cpu=`` values of an agent's samples."""
        return [float(m.group(1)) for line in self.lines if (m := _CPU.search(line))]


class Story:
    """Tells the story in ``workspace`` on ``console``; see :meth:`tell`."""

    def __init__(self, console: Console, workspace: ws.Workspace) -> None:
        self.console = console
        self.workspace = workspace
        self.number = 0
        self.started = time.monotonic()
        self.environ = dict(workspace.environ)
        # The commands write to a pipe: their tables take the terminal's width, or 100 columns.
        self.environ["COLUMNS"] = str(console.width if console.is_terminal else 100)
        self.jobs: list[Job] = []
        self._jobs_lock = threading.Lock()
        self._stop = threading.Event()
        self._watchers: list[threading.Thread] = []
        self._held: list[str] = []  # agent samples not shown yet

    # -- telling -------------------------------------------------------------------------------

    def step(self, text: str) -> None:
        self.number += 1
        self.console.print()
        self.console.print(
            f"[bold cyan]{self.number}/{STEPS}[/] [dim]{self.elapsed():3.0f} s[/] "
            f"[bold]{escape(text)}[/]"
        )

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def say(self, text: str, style: str = "") -> None:
        self.console.print(f"[{style}]{escape(text)}[/]" if style else escape(text))

    def command(self, args: Sequence[str], *, background: bool = False, note: str = "") -> None:
        self._flush()
        line = shlex.join(["tfshadow", *args]) + (" &" if background else "")
        text = f"[bold]$ {escape(line)}[/]"
        self.console.print(text + (f"  [dim]{escape(note)}[/]" if note else ""))

    def aside(self, text: str) -> None:
        self._flush()
        self.console.print(f"[dim]{escape(text)}[/]")

    def tfshadow(self, *args: str) -> Ran:
        """Run ``tfshadow ARGS`` in the working directory, showing the command and its output
        as it comes (of an agent's samples only the first and last few). Raises
        :class:`StepFailed` when it exits non-zero."""
        self.command(args)
        job = self._start(args)
        while True:
            ended = job.proc.poll() is not None
            new = job.unseen()
            self.show(new, held=True)
            if ended and not new:
                break
            time.sleep(0.05)
        ran = job.ran()
        self.show(job.unseen())
        self.show([], held=False)
        if ran.code != 0:
            raise StepFailed(f"`tfshadow {args[0]}` exited with code {ran.code}")
        return ran

    def background(self, *args: str, note: str = "") -> Job:
        """Start ``tfshadow ARGS`` and let it run: its output is shown when asked for."""
        self.command(args, background=True, note=note)
        return self._start(args)

    def _start(self, args: Sequence[str]) -> Job:
        # An interruption between starting a command and noting it would leave it running.
        with self._jobs_lock, _deferred_signals():
            if self._stop.is_set():
                raise Interrupted(signal.SIGTERM)
            job = Job(args, self.workspace.infra, self.environ)
            self.jobs.append(job)
        return job

    def close(self) -> None:
        """End every command still running (also those a watcher was about to start)."""
        self._stop.set()
        for watcher in self._watchers:
            watcher.join(5.0)
        with self._jobs_lock:
            jobs = list(self.jobs)
        for job in jobs:
            job.end()

    def show(self, lines: Sequence[str], *, held: bool = False) -> None:
        """Print ``lines``; a run of agent samples shows its first and last few, the middle
        counted. ``held`` keeps the end of a run back until the next call."""
        for line in lines:
            if _CPU.search(line):
                self._held.append(line)
                if len(self._held) <= SHOWN_SAMPLES:
                    self._echo(line)
                continue
            self._flush()
            self._echo(line)
        if not held:
            self._flush()

    def _flush(self) -> None:
        held = self._held
        hidden = held[SHOWN_SAMPLES:-SHOWN_SAMPLES]
        if hidden:
            self.console.print(f"[dim]… {len(hidden)} more samples …[/]")
        for line in held[max(SHOWN_SAMPLES, len(held) - SHOWN_SAMPLES) :]:
            self._echo(line)
        self._held = []

    def _echo(self, line: str) -> None:
        # tfshadow's own lines stand out from Terraform's.
        style = "bold" if line.startswith("tfshadow:") else ""
        self.console.print(line, markup=False, highlight=False, style=style)

    # -- the api and its samples ---------------------------------------------------------------

    def api_pid(self) -> int:
        """The api's pid, as the state records it."""
        for process in ws.recorded_instances(self.workspace.infra, ws.STATE_FILES[:1]):
            if process.address == API:
                return process.pid
        raise StepFailed(f"the state records no running process for {API}")

    def agent_args(self, pid: int, count: int | None = None) -> list[str]:
        args = ["agent", "--resource", API, "--pid", str(pid), "--interval", f"{INTERVAL:g}s"]
        return args + (["--count", str(count)] if count is not None else [])

    def wait_samples(self, job: Job, count: int) -> None:
        while job.samples() < count and job.proc.poll() is None:
            time.sleep(0.05)

    def follow_new_instance(self, known: set[int], count: int) -> Callable[[], Job | None]:
        """Start an agent on the first instance that appears which is not in ``known``: the
        replacement of the api, sampled from its first moments, while its apply goes on.

        Returns the function that stops looking and gives the agent started, if any.
        """
        started: list[Job] = []
        work_dir = self.workspace.infra / ws.WORK_DIR
        done = threading.Event()

        def watch() -> None:
            while not (done.wait(0.05) or self._stop.is_set()):
                new = [p for p in ws.instance_processes(work_dir) if p.pid not in known]
                if new:
                    with suppress(Interrupted):
                        started.append(self._start(self.agent_args(new[0].pid, count)))
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        self._watchers.append(watcher)
        watcher.start()

        def stop() -> Job | None:
            done.set()
            watcher.join(5.0)
            return started[0] if started else None

        return stop

    def mean(self, cpu: Sequence[float], what: str) -> None:
        if cpu:
            self.say(
                f"{what}: {statistics.fmean(cpu):.1f} % of a CPU on average over "
                f"{len(cpu)} samples.",
                "green",
            )

    # -- the story -----------------------------------------------------------------------------

    def tell(self) -> bool:
        """Tell the story; True when ``analyze`` named the bad version."""
        self.step("Terraform installs the localcloud provider from a local mirror: no registry.")
        self.tfshadow("init", "-no-color")
        old, baseline = self._first_version()
        bad, follower = self._bad_change()
        before, during = self._sampled_change(old, baseline, follower, bad)
        found = self._analysis(bad)
        self._recovery(before, during)
        self.step("The whole history, newest first.")
        self.tfshadow("log", "--no-color")
        return found

    def _first_version(self) -> tuple[int, Job]:
        """Version 1 applied, its api sampled in the background, a ghost enabled and the quiet
        version marked good: the api's pid and the agent sampling it."""
        self.step(
            "Version 1: an api (a real process), its orders database (SQLite) and an edge "
            "port mapping. tfshadow records the apply as a shadow version."
        )
        self.tfshadow(
            "apply", "-auto-approve", "-no-color", "--message", "api, orders database, edge"
        )

        old = self.api_pid()
        self.step(
            f"From now on the agent samples the api's process (pid {old}) every {INTERVAL:g} s, "
            "in the background, into the series analyze reads."
        )
        baseline = self.background(*self.agent_args(old))

        self.step(
            "A ghost of the api: a paused copy from version 1, and the saved plan that starts it."
        )
        ghost = self.tfshadow("ghost", "enable", API, "--no-color")
        standby = ghost.recorded()

        self.wait_samples(baseline, BASELINE_SAMPLES)
        good = str(standby) if standby is not None else "latest"
        self.step(
            f"The baseline so far. All quiet: mark version {good} good, so that "
            "`tfshadow revert last-good` comes back to it."
        )
        self.aside(f"[the agent of pid {old}, in the background]")
        self.show(baseline.unseen())
        self.tfshadow("mark", good, "good", "--note", "quiet baseline", "--no-color")
        return old, baseline

    def _bad_change(self) -> tuple[int | None, Job | None]:
        """The bad version applied: its number, and the agent that caught its new api starting
        (None when it was not caught)."""
        self.step(
            "The bad change: the api now computes 90 % of the time, and the database's "
            "page cache is cut to 16 pages. The api is replaced by a new process."
        )
        infra = self.workspace.infra
        known = {p.pid for p in ws.instance_processes(infra / ws.WORK_DIR)}
        caught = self.follow_new_instance(known, CHANGED_SAMPLES)
        change = self.tfshadow(
            "apply", "-auto-approve", "-no-color", *BAD_VARS, "--message", BAD_MESSAGE
        )
        return change.recorded(BAD_MESSAGE), caught()

    def _sampled_change(
        self, old: int, baseline: Job, follower: Job | None, bad: int | None
    ) -> tuple[list[float], list[float]]:
        """The api's CPU samples before the bad change and with it."""
        new = self.api_pid()
        self.step(
            f"The agent of pid {old} stops once its process is gone; another one has sampled "
            f"the new api (pid {new}) since it started."
        )
        deadline = time.monotonic() + 5
        while baseline.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        baseline.end()  # still sampling: the api was not replaced after all
        self.aside(f"[the agent of pid {old}, in the background, to its end]")
        self.show(baseline.unseen())
        before = baseline.ran().cpu()
        self.mean(before, f"The api (pid {old}, version 1)")
        if follower is None or follower.args != tuple(self.agent_args(new, CHANGED_SAMPLES)):
            if follower is not None:
                follower.end()
            self.say("The new process was not caught starting: sampling it from now.", "yellow")
            during = self.tfshadow(*self.agent_args(new, CHANGED_SAMPLES)).cpu()
        else:
            self.command(
                follower.args,
                background=True,
                note=f"(started at {follower.started - self.started:.0f} s, as pid {new} appeared)",
            )
            self.show(follower.unseen(), held=True)
            ran = follower.ran()
            self.show(follower.unseen())
            if ran.code != 0:
                raise StepFailed(f"`tfshadow agent` exited with code {ran.code}")
            during = ran.cpu()
        self.mean(during, f"The api (pid {new}, version {bad})")
        return before, during

    def _analysis(self, bad: int | None) -> bool:
        """``analyze`` run; True when it named version ``bad``."""
        self.step(
            "analyze forecasts the api's CPU from its history, flags the deviation and names "
            "the version that explains it."
        )
        analysis = self.tfshadow("analyze", "--no-color")
        named = [int(v) for v in _SUSPECT.findall(analysis.text)]
        found = bad is not None and bad in named
        if found:
            self.say(f"analyze named version {bad}, the bad change, as the cause.", "bold green")
        else:
            said = f"it named version {named[0]}" if named else "it named no version"
            self.say(
                f"analyze did not name version {bad}, the bad change ({said}); its output above "
                "says what it saw. The story goes on.",
                "bold yellow",
            )
        return found

    def _recovery(self, before: list[float], during: list[float]) -> None:
        """The ghost activated, then the revert to the last good version, sampled again."""
        self.step("Relief first: the ghost, still warm, starts from its saved plan in one apply.")
        self.tfshadow("ghost", "activate", API, "--no-color")
        self.tfshadow("ghost", "list", "--no-color")

        self.step(
            "Then the fix: revert to the last good version. The api is recreated as it was, "
            "the database's cache restored, and the ghost paused again."
        )
        self.tfshadow("revert", "last-good", "--auto-approve", "--no-color")

        pid = self.api_pid()
        self.step(f"Back to normal? The reverted api (pid {pid}), sampled again.")
        after = self.tfshadow(*self.agent_args(pid, REVERTED_SAMPLES)).cpu()
        self.mean(after, f"The api (pid {pid}, reverted)")
        self._compare(before, during, after)

    def _compare(self, before: list[float], during: list[float], after: list[float]) -> None:
        if not (before and during and after):
            return
        base, bad, now = (statistics.fmean(x) for x in (before, during, after))
        self.say(
            f"The api's CPU: {base:.1f} % before the change, {bad:.1f} % with it, "
            f"{now:.1f} % after the revert."
        )
        spread = statistics.pstdev(before)
        if now <= base + max(3 * spread, 5.0):
            self.say("Back to normal.", "bold green")
        else:
            self.say("Not back to the baseline yet: this machine is busy.", "bold yellow")


STEPS = 12


def end_process_group(proc: subprocess.Popen[bytes], timeout: float = 3.0) -> None:
    """End a command and what it started in its session: SIGTERM, then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def _interruptible() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Interrupted` in the block."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum)

    with _handlers(interrupt):
        yield


@contextmanager
def _deferred_signals() -> Iterator[None]:
    """SIGINT and SIGTERM arrive when the block is done (in the main thread; other threads
    never receive them while it runs)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    blocked = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextmanager
def _uninterruptible() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is done: a cleanup runs to its end."""
    with _handlers(signal.SIG_IGN):
        yield


Handler = Callable[[int, FrameType | None], object] | signal.Handlers


@contextmanager
def _handlers(handler: Handler) -> Iterator[None]:
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run(console: Console, *, keep: Path | None = None) -> int:
    """Tell the story in a new workspace (``keep``: there, and keep its files), then end every
    process it started and remove its files, also when interrupted. Returns the exit code."""
    example = ws.example_dir()
    started = time.monotonic()
    root = ws.new_root(keep)
    code = EXIT_FAILED
    story: Story | None = None
    try:
        with _interruptible():
            console.print(
                "[bold]tfshadow demo[/]: apply, measure, break, detect, recover, revert, on this "
                "machine, with the embedded Terraform and the localcloud provider."
            )
            console.print(f"Working in {escape(str(root / 'infra'))}", highlight=False)
            story = Story(console, ws.create(root, example))
            found = story.tell()
            code = EXIT_OK if found else EXIT_FAILED
    except Interrupted as exc:
        console.print()
        console.print(f"[bold yellow]Interrupted ({exc}).[/] Cleaning up.")
        code = EXIT_INTERRUPTED
    except StepFailed as exc:
        console.print(f"[bold red]The demo stopped: {escape(str(exc))}.[/] Cleaning up.")
        code = EXIT_FAILED
    finally:
        with _uninterruptible():
            if story is not None:
                story.close()
            done = ws.clean_up(root, keep=keep is not None)
    stopped = len(done.stopped)
    what = f"stopped {stopped} process{'es' if stopped != 1 else ''}"
    where = f"removed {root}" if done.removed else f"kept {root}"
    console.print()
    console.print(f"Cleaned up: {what}, {escape(where)}.", highlight=False)
    if keep is not None:
        env = f"TF_CLI_CONFIG_FILE={root / 'localcloud.tfrc'} HOME={root / 'home'}"
        console.print(
            f"To look around: cd {escape(str(root / 'infra'))} && {escape(env)} tfshadow log",
            highlight=False,
        )
    if code == EXIT_OK:
        console.print(f"The story took {time.monotonic() - started:.0f} s.", highlight=False)
    return code
