"""The story's telling: commands shown and run for real, samples condensed, processes ended."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from tfshadow import __version__
from tfshadow.demo import story
from tfshadow.demo.workspace import Workspace


def _story(tmp_path: Path) -> tuple[story.Story, io.StringIO]:
    (tmp_path / "infra").mkdir()
    out = io.StringIO()
    console = Console(file=out, no_color=True, width=100, highlight=False)
    return story.Story(console, Workspace(tmp_path, dict(os.environ))), out


def test_story_ran_reads_versions_and_samples() -> None:
    ran = story.Ran(
        0,
        (
            "tfshadow: recorded version 2 (apply, success; +1 ~0 -0): ghost enabled",
            "tfshadow: recorded version 3 (apply, success; +0 ~1 -0): ghost follows",
            "cpu=4  disk_io=0  memory=1.6e+07",
            "cpu=88.5  disk_io=0  memory=1.6e+07",
            "series written under /tmp/x",
        ),
    )
    assert ran.recorded() == 3
    assert ran.recorded("ghost enabled") == 2
    assert ran.cpu() == [4.0, 88.5]
    assert story.Ran(0, ("nothing recorded",)).recorded() is None


def test_story_show_condenses_a_run_of_samples(tmp_path: Path) -> None:
    teller, out = _story(tmp_path)
    samples = [f"cpu={n}  memory=1" for n in range(10)]
    teller.show(["started", *samples[:4]], held=True)
    teller.show([*samples[4:], "done"])
    assert out.getvalue().splitlines() == [
        "started",
        "cpu=0  memory=1",
        "cpu=1  memory=1",
        "cpu=2  memory=1",
        "… 4 more samples …",
        "cpu=7  memory=1",
        "cpu=8  memory=1",
        "cpu=9  memory=1",
        "done",
    ]


def test_story_runs_a_command_and_shows_it(tmp_path: Path) -> None:
    teller, out = _story(tmp_path)
    ran = teller.tfshadow("--version")
    assert ran.code == 0 and ran.lines == (f"tfshadow {__version__}",)
    assert out.getvalue().splitlines() == ["$ tfshadow --version", f"tfshadow {__version__}"]


def test_story_stops_at_a_failed_command(tmp_path: Path) -> None:
    teller, out = _story(tmp_path)
    with pytest.raises(story.StepFailed, match="`tfshadow inspect` exited with code 2"):
        teller.tfshadow("inspect", "1")
    assert out.getvalue().startswith("$ tfshadow inspect 1\n")


def test_story_close_ends_background_commands(tmp_path: Path) -> None:
    teller, _ = _story(tmp_path)
    job = teller.background("agent", "--interval", "0.1s")
    deadline = time.monotonic() + 30
    while job.samples() < 1 and job.proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.samples() >= 1
    teller.close()
    assert job.proc.poll() is not None
    with pytest.raises(story.Interrupted):
        teller.background("--version")


def test_story_end_process_group_ends_what_the_command_started() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, time; subprocess.Popen(['sleep', '30']); "
            "print('ready', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    story.end_process_group(proc, timeout=2.0)
    assert proc.returncode == -signal.SIGTERM
    # The sleep it started ended too (an exited child may wait a moment to be reaped).
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("a process of the group outlived it")
    proc.stdout.close()
