"""Running tfshadow for real: in-process through its entry function, Terraform as a child."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tfshadow.cli import run

FIXTURES = Path(__file__).parents[2] / "fixtures"


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Tfshadow = Callable[..., Result]


@pytest.fixture
def tfshadow(capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Tfshadow:
    """Run the tfshadow command line in `cwd`; Terraform's own output is captured at fd level."""

    def invoke(*args: str, cwd: Path) -> Result:
        monkeypatch.chdir(cwd)
        capfd.readouterr()
        code = run(list(args))
        out, err = capfd.readouterr()
        return Result(code, out, err)

    return invoke


@pytest.fixture
def workdir(tmp_path: Path, tfshadow: Tfshadow) -> Path:
    """The basic fixture configuration, initialised."""
    path = tmp_path / "infra"
    shutil.copytree(FIXTURES / "basic", path)
    assert tfshadow("init", "-no-color", cwd=path).code == 0
    return path


def store_files(store: Path) -> dict[str, str]:
    """Every file of the store's tree (not git's database), as text."""
    return {
        str(p.relative_to(store)): p.read_text(errors="replace")
        for p in store.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(store).parts
    }


def git_history_text(store: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(store), "log", "--all", "-p", "--format=%an <%ae> %s%n%b"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@contextmanager
def store_locked_elsewhere(workdir: Path) -> Iterator[None]:
    """Another process holds the shadow store's lock for as long as the block runs."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, sys, time\n"
            "from pathlib import Path\n"
            "from tfshadow.project import Project\n"
            "store = Project(Path(sys.argv[1]), os.environ).open_store(create=False)\n"
            "with store.lock(5):\n"
            "    print('locked', flush=True)\n"
            "    time.sleep(30)\n",
            str(workdir),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.kill()
        holder.wait()


def plain_apply(workdir: Path, *args: str) -> None:
    """An apply made without tfshadow (by someone else, or before tfshadow was installed)."""
    import os

    from tfshadow.runner import embedded_engine

    assert (
        embedded_engine().run(
            ["apply", "-auto-approve", "-no-color", *args], cwd=workdir, environ=dict(os.environ)
        )
        == 0
    )
