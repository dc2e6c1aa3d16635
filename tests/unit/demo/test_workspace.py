"""The demo's workspace: its layout, and finding and ending the processes started in it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tfshadow.demo import workspace as ws
from tfshadow.errors import UsageError


def _state(pid: int) -> str | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw.rsplit(")", 1)[1].split()[0]


def _started_at(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a test starts; killed and reaped afterwards whatever happened."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for child in started:
        if child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
        child.wait()


def _instance(
    children: list[subprocess.Popen[bytes]], log: Path, script: str = "exec sleep 30"
) -> subprocess.Popen[bytes]:
    """A process started as localcloud starts one: its own session, output to a log file."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        child = subprocess.Popen(
            ["sh", "-c", script],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    children.append(child)
    return child


def _write_state(path: Path, instances: dict[str, tuple[int, int]]) -> None:
    path.write_text(
        json.dumps(
            {
                "version": 4,
                "resources": [
                    {
                        "mode": "managed",
                        "type": "localcloud_instance",
                        "name": name,
                        "instances": [{"attributes": {"pid": pid, "started_at": started}}],
                    }
                    for name, (pid, started) in instances.items()
                ],
            }
        )
    )


def test_workspace_demo_environ_drops_the_users_settings(tmp_path: Path) -> None:
    environ = {
        "PATH": "/usr/bin",
        "TF_VAR_load": "1",
        "TF_CLI_ARGS": "-lock=false",
        "TFSHADOW_KEY": "k",
        "GIT_DIR": "/elsewhere",
        "NO_COLOR": "1",
    }
    got = ws.demo_environ(environ, tmp_path / "home", tmp_path / "rc")
    assert got["PATH"] == "/usr/bin"
    assert not {"TF_VAR_load", "TF_CLI_ARGS", "TFSHADOW_KEY", "GIT_DIR", "NO_COLOR"} & set(got)
    assert got["HOME"] == str(tmp_path / "home")
    assert got["GIT_CONFIG_GLOBAL"] == str(tmp_path / "home" / ".gitconfig")
    assert got["TF_CLI_CONFIG_FILE"] == str(tmp_path / "rc")
    assert got["TF_IN_AUTOMATION"] == "1"


def test_workspace_new_root_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(UsageError, match="not an empty directory"):
        ws.new_root(tmp_path)
    assert (tmp_path / "mine.txt").read_text() == "keep me"
    assert ws.new_root(tmp_path / "new") == tmp_path / "new"
    assert (tmp_path / "new").is_dir()


def test_workspace_create_lays_out_the_mirror_and_the_configuration(tmp_path: Path) -> None:
    workspace = ws.create(ws.new_root(tmp_path / "demo"), ws.example_dir())
    infra = workspace.infra
    assert infra == tmp_path / "demo" / "infra"
    assert (infra / "main.tf").is_file() and (infra / "service.py").is_file()
    assert (infra / "tfshadow.hcl").is_file()
    variables = (infra / ws.VARIABLES).read_text()
    assert variables == f"service = {json.dumps(str(infra / 'service.py'))}\n"
    rc = Path(workspace.environ["TF_CLI_CONFIG_FILE"])
    assert str(tmp_path / "demo" / "mirror") in rc.read_text()
    assert list((tmp_path / "demo" / "mirror").rglob("terraform-provider-localcloud_v*"))
    assert "name = tfshadow demo" in (tmp_path / "demo" / "home" / ".gitconfig").read_text()


def test_workspace_recorded_instances_are_the_live_ones(
    tmp_path: Path, children: list[subprocess.Popen[bytes]]
) -> None:
    live = _instance(children, tmp_path / ".localcloud" / "instance-a.log")
    gone = _instance(children, tmp_path / ".localcloud" / "instance-b.log", "exit 0")
    gone.wait()
    started = _started_at(live.pid)
    _write_state(
        tmp_path / "terraform.tfstate",
        {
            "api": (live.pid, started),
            "old": (gone.pid, 1),
            # The pid of a live process with another start time: a pid reused since.
            "reused": (live.pid, started - 1),
        },
    )
    (tmp_path / "terraform.tfstate.backup").write_text('{"resources": [')  # cut short
    assert ws.recorded_instances(tmp_path) == [
        ws.Process(live.pid, started, "localcloud_instance.api")
    ]


def test_workspace_finds_processes_by_what_they_hold_open(
    tmp_path: Path, children: list[subprocess.Popen[bytes]]
) -> None:
    work_dir = tmp_path / ".localcloud"
    instance = _instance(children, work_dir / "instance-x.log")
    elsewhere = _instance(children, tmp_path / "other" / "instance-y.log")
    deadline = time.monotonic() + 5
    while _state(instance.pid) is None and time.monotonic() < deadline:
        time.sleep(0.01)
    found = {p.pid for p in ws.processes_using([work_dir])}
    assert instance.pid in found and elsewhere.pid not in found
    assert os.getpid() not in {p.pid for p in ws.processes_using([Path.cwd()])}
    assert [p.pid for p in ws.instance_processes(work_dir)] == [instance.pid]
    # Removed, the log still names the process: the kernel keeps its path, "(deleted)".
    (work_dir / "instance-x.log").unlink()
    assert instance.pid in {p.pid for p in ws.processes_using([work_dir])}


def test_workspace_stop_ends_a_paused_process_and_what_it_started(
    tmp_path: Path, children: list[subprocess.Popen[bytes]]
) -> None:
    leader = _instance(children, tmp_path / "instance.log", "sleep 30 & wait")
    deadline = time.monotonic() + 5
    grandchild = None
    while grandchild is None and time.monotonic() < deadline:
        kids = psutil.Process(leader.pid).children()
        grandchild = kids[0].pid if kids else None
        time.sleep(0.01)
    assert grandchild is not None
    os.killpg(leader.pid, signal.SIGSTOP)
    processes = [ws.Process(leader.pid, _started_at(leader.pid))]
    assert ws.stop(processes, timeout=3.0) == [leader.pid]
    leader.wait(5)
    deadline = time.monotonic() + 5
    while _state(grandchild) not in (None, "Z") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _state(grandchild) in (None, "Z")


def test_workspace_stop_leaves_a_reused_pid_alone(
    tmp_path: Path, children: list[subprocess.Popen[bytes]]
) -> None:
    other = _instance(children, tmp_path / "instance.log")
    recorded = ws.Process(other.pid, _started_at(other.pid) - 1)
    assert ws.stop([recorded], timeout=0.5) == []
    time.sleep(0.1)
    assert other.poll() is None


def test_workspace_clean_up_ends_the_instances_and_removes_everything(
    tmp_path: Path, children: list[subprocess.Popen[bytes]]
) -> None:
    root = ws.new_root(tmp_path / "demo")
    infra = root / "infra"
    recorded = _instance(children, infra / ".localcloud" / "instance-a.log")
    unrecorded = _instance(children, infra / ".localcloud" / "instance-b.log")
    _write_state(infra / "terraform.tfstate", {"api": (recorded.pid, _started_at(recorded.pid))})
    # The store keeps its files read-only.
    store = infra / ".tfshadow" / "versions"
    store.mkdir(parents=True)
    (store / "1.json").write_text("{}")
    (store / "1.json").chmod(0o444)
    store.chmod(0o555)

    done = ws.clean_up(root)

    assert set(done.stopped) == {recorded.pid, unrecorded.pid}
    assert done.removed and not root.exists()
    assert recorded.wait(5) is not None and unrecorded.wait(5) is not None


def test_workspace_clean_up_keeps_the_files_when_asked(
    tmp_path: Path, children: list[subprocess.Popen[bytes]]
) -> None:
    root = ws.new_root(tmp_path / "demo")
    instance = _instance(children, root / "infra" / ".localcloud" / "instance-a.log")
    done = ws.clean_up(root, keep=True)
    assert done.stopped == (instance.pid,) and not done.removed
    assert (root / "infra" / ".localcloud" / "instance-a.log").exists()
    assert instance.wait(5) is not None
