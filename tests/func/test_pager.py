"""`log`, `inspect` and `diff` through a pager on a terminal, as `git log` shows them.

The terminal is a real pseudo-terminal; the pager is a shell command that keeps what it is given.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests.func.conftest import Tfshadow

KEEPS = 'cat > paged.txt; printf %s "$LESS" > less.txt'


def on_terminal(cwd: Path, *args: str, **environ: str) -> tuple[int, str]:
    """Run the installed `tfshadow ARGS` with a terminal as its stdin, stdout and stderr."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("PAGER", "TFSHADOW_PAGER", "LESS")}
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "tfshadow"), *args],
        cwd=cwd,
        env={**env, **environ},
        stdin=slave,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal's other side closed: the command ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return proc.wait(timeout=60), b"".join(chunks).decode(errors="replace").replace("\r\n", "\n")


def test_on_a_terminal_the_history_goes_through_the_pager(
    workdir: Path, tfshadow: Tfshadow, two_versions: object
) -> None:
    for args in (["log"], ["inspect", "2"], ["diff", "1", "2"]):
        (workdir / "paged.txt").unlink(missing_ok=True)
        code, shown = on_terminal(workdir, *args, PAGER=KEEPS)
        assert code == 0
        paged = (workdir / "paged.txt").read_text()
        assert "bigger web" in paged or '"small" -> "large"' in paged
        assert "\x1b[" in paged  # colours kept: less is told -R
        assert "bigger web" not in shown  # the pager had it, not the terminal directly
    assert (workdir / "less.txt").read_text() == "FRX"
    # The user's own LESS, and TFSHADOW_PAGER before PAGER.
    on_terminal(workdir, "log", TFSHADOW_PAGER=KEEPS, PAGER="false", LESS="-S")
    assert (workdir / "less.txt").read_text() == "-S"
    assert "bigger web" in (workdir / "paged.txt").read_text()


def test_no_pager_when_asked_or_not_on_a_terminal(
    workdir: Path, tfshadow: Tfshadow, two_versions: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, shown = on_terminal(workdir, "log", "--no-pager", PAGER=KEEPS)
    assert code == 0 and "bigger web" in shown
    code, shown = on_terminal(workdir, "inspect", "2", TFSHADOW_PAGER="cat", PAGER=KEEPS)
    assert code == 0 and "bigger web" in shown
    code, shown = on_terminal(workdir, "log", "--json", PAGER=KEEPS)
    assert code == 0 and '"versions"' in shown
    monkeypatch.setenv("PAGER", KEEPS)
    result = tfshadow("log", cwd=workdir)  # stdout captured: no terminal
    assert result.code == 0 and "bigger web" in result.out
    assert not (workdir / "paged.txt").exists()


def test_a_pager_that_cannot_run_or_quits_early(
    workdir: Path, tfshadow: Tfshadow, two_versions: object
) -> None:
    code, shown = on_terminal(workdir, "log", "--no-color", PAGER="no-such-pager -R")
    assert code == 0
    warning = [line for line in shown.splitlines() if "no-such-pager" in line]
    assert warning == [
        "tfshadow: warning: the pager `no-such-pager -R` cannot be run: output not paged (set "
        "TFSHADOW_PAGER, or give --no-pager)"
    ]
    assert "bigger web" in shown
    # A pager that stops reading at once (`q` in less) ends the command quietly.
    code, shown = on_terminal(workdir, "inspect", "1", PAGER="head -c 1 > /dev/null")
    assert code == 0 and "Traceback" not in shown and "error" not in shown
