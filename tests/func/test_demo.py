"""`tfshadow demo` for real: the whole story, and an interrupted one, leave nothing behind."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

WORKING_IN = re.compile(r"^Working in (\S+)/infra$", re.M)


def _processes_mentioning(text: str) -> list[int]:
    """Processes whose command line holds ``text`` (the api's names its script's path)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
            state = (cmdline.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and any(text.encode() in arg for arg in args):
            found.append(int(cmdline.parent.name))
    return found


def _gone(root: Path) -> None:
    """Neither the directory nor any process started in it is left."""
    assert not root.exists()
    deadline = time.monotonic() + 5
    while _processes_mentioning(str(root)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_mentioning(str(root)) == []


def _demo(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tfshadow", "demo", "--no-color", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def test_demo_tells_the_whole_story() -> None:
    started = time.monotonic()
    proc = _demo()
    try:
        out, _ = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    took = time.monotonic() - started
    assert proc.returncode == 0, out

    bad = re.search(r"recorded version (\d+) \(apply, success[^)]*\): faster checkout", out)
    assert bad is not None, out
    assert re.findall(r"suspect:\s+v(\d+)", out) == [bad.group(1)]
    assert f"analyze named version {bad.group(1)}, the bad change" in out
    assert re.search(r"Ghost localcloud_instance\.api_ghost of \S+ activated in", out), out
    revert = re.search(r"recorded version (\d+) \(revert, revert to (\d+), success", out)
    assert revert is not None, out
    history = out.split("$ tfshadow log --no-color\n", 1)[1]
    listed = [int(n) for n in re.findall(r"^\s*(\d+)\s+\d{4}-\d\d-\d\d ", history, re.M)]
    assert listed == list(range(int(revert.group(1)), 0, -1))
    assert "Back to normal." in out or "Not back to the baseline yet" in out
    # The story takes about 90 s; a shared, busy machine may stretch it, a hang may not.
    assert took < 180, f"the demo took {took:.0f} s"

    match = WORKING_IN.search(out)
    assert match is not None
    _gone(Path(match.group(1)))


def _read_lines(proc: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.put(line)
    lines.put(None)


@pytest.mark.parametrize(
    ("signum", "after"),
    [
        # Between commands: the api of version 1 runs, the agent has just started.
        (signal.SIGINT, "tfshadow: recorded version 1 "),
        # Halfway through Terraform's apply of the ghost.
        (signal.SIGTERM, "localcloud_instance.api_ghost: Creating..."),
    ],
)
def test_demo_interrupted_leaves_nothing_behind(signum: signal.Signals, after: str) -> None:
    proc = _demo()
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_read_lines, args=(proc, lines), daemon=True).start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while not any(after in line for line in seen):
            assert time.monotonic() < deadline, "".join(seen)
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, "".join(seen)
            seen.append(line)
        proc.send_signal(signum)
        interrupted = time.monotonic()
        code = proc.wait(timeout=30)
        took = time.monotonic() - interrupted
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    while (line := lines.get(timeout=10)) is not None:
        seen.append(line)
    out = "".join(seen)
    assert code == 130, out
    assert took < 15, f"{took:.1f} s to stop"
    assert f"Interrupted ({signum.name})" in out
    match = WORKING_IN.search(out)
    assert match is not None
    assert f"removed {match.group(1)}" in out
    _gone(Path(match.group(1)))


def test_demo_sh_tells_the_short_story() -> None:
    """examples/demo.sh, as the README runs it: every step succeeds and analyze names v2."""
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        ["bash", str(root / "examples" / "demo.sh")],
        cwd=root,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "suspect: v2 " in done.stdout
    assert "run:     tfshadow revert 1" in done.stdout
