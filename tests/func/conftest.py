"""Running tfshadow for real: in-process through its entry function, Terraform as a child."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tfshadow.cli import run

FIXTURES = Path(__file__).parents[2] / "fixtures"
STEP = timedelta(minutes=1)  # the sampling step of the analysis tests' metric files


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


def two_copies(workdir: Path, tfshadow: Tfshadow, tmp_path: Path, settings: str = "") -> Path:
    """A second copy of ``workdir``'s configuration (a colleague's, a CI runner's) with a
    store of its own, both stores pushing to one remote (``tmp_path / "shadows.git"``) and both
    configurations on one state (a local backend both name, as a shared remote backend would
    be). Returns the second."""
    remote = tmp_path / "shadows.git"
    subprocess.run(["git", "init", "--bare", "-q", str(remote)], check=True, cwd=tmp_path)
    shared_state = tmp_path / "shared.tfstate"
    backend = f'terraform {{\n  backend "local" {{\n    path = "{shared_state}"\n  }}\n}}\n'
    colleague = tmp_path / "colleague"
    colleague.mkdir()
    for copy in (workdir, colleague):
        shutil.copy(FIXTURES / "basic" / "main.tf", copy / "main.tf")
        (copy / "backend.tf").write_text(backend)
        (copy / "tfshadow.hcl").write_text(f'store {{\n  remote = "{remote}"\n{settings}}}\n')
        assert tfshadow("init", "-no-color", "-reconfigure", cwd=copy).code == 0
    return colleague


EXTRA = 'resource "terraform_data" "extra" {\n  input = "added in version 2"\n}\n'


def versions_with_an_extra_file(workdir: Path, tfshadow: Tfshadow) -> tuple[bytes, bytes]:
    """Versions 1 and 2 of the basic fixture in ``workdir``: version 2 changes main.tf and
    adds extra.tf. Returns main.tf as each version has it."""
    apply = ("apply", "-auto-approve", "-no-color")
    assert tfshadow(*apply, cwd=workdir).code == 0
    v1 = (workdir / "main.tf").read_bytes()
    v2 = v1.replace(b'default = "small"', b'default = "medium"')
    (workdir / "main.tf").write_bytes(v2)
    (workdir / "extra.tf").write_text(EXTRA)
    assert tfshadow(*apply, cwd=workdir).code == 0
    return v1, v2


def revert_with_token(tfshadow: Tfshadow, cwd: Path, version: str) -> Result:
    """`tfshadow revert VERSION --auto-approve` in a copy of the basic fixture, given its
    sensitive `api_token` (not in the store, so every revert needs it)."""
    return tfshadow(
        "revert",
        version,
        "--auto-approve",
        "-no-color",
        "-var",
        "api_token=fixture-token-value",
        cwd=cwd,
    )


_INTERRUPTING = """
import os, signal, sys

{interrupt_at}

def hook(event, args):
    if event == "subprocess.Popen":
        argv = [str(a) for a in (args[1] if isinstance(args[1], (list, tuple)) else [args[1]])]
        if interrupt_at(argv):
            os.kill(os.getpid(), signal.SIGINT)

sys.addaudithook(hook)
from tfshadow.cli import main
sys.argv = ["tfshadow", *sys.argv[1:]]
main()
"""


def run_interrupted(cwd: Path, interrupt_at: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The tfshadow command line ``args`` in a process of its own, sent Ctrl-C as it starts
    the subprocess (git, Terraform) for whose argv ``interrupt_at`` (the source of a function
    ``interrupt_at(argv) -> bool``) first says True."""
    return subprocess.run(
        [sys.executable, "-c", _INTERRUPTING.format(interrupt_at=interrupt_at), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@contextmanager
def store_locked_elsewhere(workdir: Path, seconds: float = 30) -> Iterator[None]:
    """Another process holds the shadow store's lock for as long as the block runs (and at
    most ``seconds``)."""
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
            "    time.sleep(float(sys.argv[2]))\n",
            str(workdir),
            str(seconds),
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


def applied_times(tfshadow: Tfshadow, workdir: Path) -> dict[int, datetime]:
    """When each version was applied, by version number."""
    log = tfshadow("log", "--json", cwd=workdir).json()
    return {
        int(v["version"]): datetime.fromisoformat(v["timestamp"].replace("Z", "+00:00"))
        for v in log["versions"]
    }


def write_series(
    path: Path, start: datetime, end: datetime, shift_at: datetime | None, seed: int = 1
) -> None:
    """A CSV of one point a minute from ``start`` to ``end``: 30 ± 1, 12 higher from
    ``shift_at`` on."""
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["timestamp,value"]
    moment = start
    while moment <= end:
        value = 30.0 + rng.normal(0.0, 1.0)
        if shift_at is not None and moment >= shift_at:
            value += 12.0
        lines.append(f"{moment:%Y-%m-%dT%H:%M:%SZ},{value:.3f}")
        moment += STEP
    path.write_text("\n".join(lines) + "\n")


def apply_small_then_large(tfshadow: Tfshadow, workdir: Path) -> None:
    """Version 1 as configured, version 2 with web made large ("bigger web")."""
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    result = tfshadow(
        "apply", "-auto-approve", "-no-color", "-var", "size=large", "--message", "bigger web",
        cwd=workdir,
    )  # fmt: skip
    assert result.code == 0, result.err


@pytest.fixture
def two_versions(workdir: Path, tfshadow: Tfshadow) -> dict[int, datetime]:
    """Two recorded applies (the second makes web large), and when each was applied."""
    apply_small_then_large(tfshadow, workdir)
    return applied_times(tfshadow, workdir)


class _Hook(BaseHTTPRequestHandler):
    received: list[tuple[str, str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["Content-Type"], json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[tuple[str, str, Any]]]]:
    """A local receiver standing in for Slack: its URL (with a secret-looking path), and the
    (path, content type, JSON body) of each POST it was sent."""
    received: list[tuple[str, str, Any]] = []
    handler = type("Hook", (_Hook,), {"received": received})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks/secret-token", received
    finally:
        server.shutdown()
        server.server_close()


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Stop a server a test started: terminate, then kill if it does not exit in 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
