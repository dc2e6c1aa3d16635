"""Where the demo runs, and how it leaves nothing behind.

A workspace is one directory::

    <root>/home/            HOME of every command (the provider caches its TLS certificate there)
    <root>/mirror/          the localcloud provider, as a Terraform filesystem mirror
    <root>/localcloud.tfrc  the CLI configuration naming that mirror (TF_CLI_CONFIG_FILE)
    <root>/infra/           the Terraform working directory: examples/localcloud-demo copied,
                            and demo.auto.tfvars naming its service.py by absolute path

Cleaning up ends every process the story started, then removes the directory. A localcloud
instance outlives Terraform by design (it leads its own session), so it is found two ways: by the
pid and start time Terraform's state records, and by what the kernel says it holds open in the
provider's work directory (its log file, its database) or in a revert's scratch directory under
``.terraform`` (its working directory). The second finds an instance whose apply was interrupted
before the state recorded it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfshadow import env
from tfshadow.errors import UsageError

EXAMPLE = "localcloud-demo"
WORK_DIR = ".localcloud"  # the localcloud provider's default work_dir: instance logs, databases
VARIABLES = "demo.auto.tfvars"  # the absolute path of the service the api runs
STATE_FILES = ("terraform.tfstate", "terraform.tfstate.backup")
IDENTITY = "[user]\n\tname = tfshadow demo\n\temail = demo@tfshadow.invalid\n"
# Not copied from the example: what an earlier run there may have left.
_NOT_COPIED = ("__pycache__", ".terraform", ".tfshadow", ".localcloud", "*.tfstate*")
_GONE = frozenset("ZXx")


@dataclass(frozen=True)
class Workspace:
    """The demo's directories and the environment every command of the story runs with."""

    root: Path
    environ: Mapping[str, str]

    @property
    def infra(self) -> Path:
        """The Terraform working directory."""
        return self.root / "infra"


@dataclass(frozen=True)
class Cleanup:
    """What :func:`clean_up` did."""

    stopped: tuple[int, ...]
    removed: bool


def example_dir() -> Path:
    """The demo's Terraform configuration, next to the package in a source checkout."""
    here = Path(__file__).resolve().parents[2] / "examples" / EXAMPLE
    if not (here / "main.tf").is_file():
        raise UsageError(
            f"the demo's configuration is not at {here}",
            "run the demo from a source checkout of tfshadow (`make demo`)",
        )
    return here


def new_root(keep: Path | None = None) -> Path:
    """The workspace's directory: ``keep`` (which must be new or empty: the cleanup of an
    interrupted run removes it whole), else a new temporary directory."""
    if keep is None:
        return Path(tempfile.mkdtemp(prefix="tfshadow-demo-"))
    root = keep.absolute()
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise UsageError(f"{root} is not an empty directory", "name a new directory for --keep")
    root.mkdir(parents=True, exist_ok=True)
    return root


def create(root: Path, example: Path) -> Workspace:
    """Fill ``root`` (see the module docstring) with ``example`` as the working directory."""
    from tfshadow.localcloud import install

    home = root / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(IDENTITY)
    rc = install.cli_config(install.mirror(root / "mirror"), root / "localcloud.tfrc")
    workspace = Workspace(root=root, environ=demo_environ(os.environ, home, rc))
    infra = workspace.infra
    shutil.copytree(example, infra, ignore=shutil.ignore_patterns(*_NOT_COPIED))
    (infra / VARIABLES).write_text(f"service = {json.dumps(str(infra / 'service.py'))}\n")
    return workspace


def demo_environ(environ: Mapping[str, str], home: Path, cli_config: Path) -> dict[str, str]:
    """``environ`` without the user's Terraform, tfshadow and git settings, with the demo's."""
    kept = {
        k: v
        for k, v in environ.items()
        if not k.startswith(("TF_", "TFSHADOW_", "GIT_")) and k != "NO_COLOR"
    }
    kept.update(
        {
            "HOME": str(home),
            "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
            "GIT_CONFIG_NOSYSTEM": "1",
            env.TF_CLI_CONFIG_FILE: str(cli_config),
            env.TF_IN_AUTOMATION: "1",
            # Output interleaves in the order it was written, as on a terminal.
            "PYTHONUNBUFFERED": "1",
        }
    )
    return kept


# -- finding the processes ---------------------------------------------------------------------


@dataclass(frozen=True)
class Process:
    """A process as /proc shows it: the start time tells a reused pid apart. ``address`` is the
    instance's, when a state recorded it."""

    pid: int
    started_at: int
    address: str = ""


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, process group, start time) of ``pid``, or None when there is none."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[2]), int(fields[19])


def alive(process: Process) -> bool:
    """Whether ``process`` is still running (a zombie is not, nor a pid reused since)."""
    now = _stat(process.pid)
    return now is not None and now[2] == process.started_at and now[0] not in _GONE


def recorded_instances(infra: Path, files: Iterable[str] = STATE_FILES) -> list[Process]:
    """The live ``localcloud_instance`` processes that the state ``files`` in ``infra`` record
    (the state and its backup: one may hold an instance the other has already forgotten)."""
    found: dict[int, Process] = {}
    for name in files:
        try:
            state = json.loads((infra / name).read_text())
        except (OSError, ValueError):
            continue  # absent, or cut short by an interrupted write: the /proc scan covers it
        for address, attributes in _instance_attributes(state):
            try:
                process = Process(int(attributes["pid"]), int(attributes["started_at"]), address)
            except (KeyError, TypeError, ValueError):
                continue
            if process.pid not in found and alive(process):
                found[process.pid] = process
    return sorted(found.values(), key=lambda p: p.pid)


def _instance_attributes(state: Any) -> Iterable[tuple[str, Mapping[str, Any]]]:
    if not isinstance(state, dict):
        return
    for resource in state.get("resources") or []:
        if not isinstance(resource, dict) or resource.get("type") != "localcloud_instance":
            continue
        address = f"localcloud_instance.{resource.get('name')}"
        if resource.get("module"):
            address = f"{resource['module']}.{address}"
        for instance in resource.get("instances") or []:
            if isinstance(instance, dict) and isinstance(instance.get("attributes"), dict):
                yield address, instance["attributes"]


def processes_using(directories: Iterable[Path]) -> list[Process]:
    """Processes (not this one) whose working directory or an open file is under one of
    ``directories``. A removed file still counts: the kernel keeps its path, marked
    ``(deleted)``."""
    prefixes = tuple(str(d.absolute()).rstrip("/") for d in directories)
    mine = os.getpid()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        pid = int(proc.name)
        if pid == mine:
            continue
        if any(_under(target, prefixes) for target in _held(proc)):
            info = _stat(pid)
            if info is not None and info[0] not in _GONE:
                found.append(Process(pid, info[2]))
    return sorted(found, key=lambda p: p.pid)


def instance_processes(work_dir: Path) -> list[Process]:
    """Processes whose standard output is an instance log (``instance-*.log``) in the
    localcloud provider's ``work_dir``: its instances, the moment they start."""
    prefix = str(work_dir.absolute()).rstrip("/") + "/instance-"
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            target = os.readlink(proc / "fd" / "1")
        except OSError:
            continue
        if target.startswith(prefix) and ".log" in target:
            info = _stat(int(proc.name))
            if info is not None and info[0] not in _GONE:
                found.append(Process(int(proc.name), info[2]))
    return sorted(found, key=lambda p: p.pid)


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)


def _held(proc: Path) -> Iterable[str]:
    with contextlib.suppress(OSError):
        yield os.readlink(proc / "cwd")
    try:
        fds = list((proc / "fd").iterdir())
    except OSError:
        return  # gone, or another user's
    for fd in fds:
        with contextlib.suppress(OSError):
            yield os.readlink(fd)


# -- ending them -------------------------------------------------------------------------------


def stop(processes: Iterable[Process], timeout: float = 3.0) -> list[int]:
    """End ``processes`` and what they started: SIGTERM, then SIGKILL after ``timeout``.

    Returns the pids that were signalled. A paused process is continued first, or it could not
    act on SIGTERM.
    """
    targets = [p for p in processes if alive(p)]
    for sig in (signal.SIGCONT, signal.SIGTERM):
        for process in targets:
            _signal(process, sig)
    if not _await_gone(targets, timeout):
        for process in targets:
            _signal(process, signal.SIGKILL)
        _await_gone(targets, 2.0)
    return [p.pid for p in targets]


def _signal(process: Process, sig: signal.Signals) -> None:
    info = _stat(process.pid)
    if info is None or info[2] != process.started_at:
        return  # gone, and its pid perhaps already another process's
    with contextlib.suppress(ProcessLookupError, PermissionError):
        # An instance leads its own process group: the signal reaches what it spawned too.
        if info[1] == process.pid:
            os.killpg(process.pid, sig)
        else:
            os.kill(process.pid, sig)


def _await_gone(processes: list[Process], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in processes):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def remove(root: Path) -> bool:
    """Remove ``root`` and everything in it (read-only files of the store included)."""

    def writable(func: Callable[..., Any], path: str, exc: Any) -> None:
        parent = os.path.dirname(path)
        os.chmod(parent, os.stat(parent).st_mode | stat.S_IWUSR | stat.S_IXUSR)
        func(path)

    if not root.exists():
        return False
    shutil.rmtree(root, onerror=writable)
    return True


def clean_up(root: Path, *, keep: bool = False) -> Cleanup:
    """End every process the demo started in the workspace ``root``; remove it unless ``keep``."""
    infra = Workspace(root, {}).infra
    stopped = stop(recorded_instances(infra))
    # Instances log, and keep their database, under the provider's work directory; one started
    # by a revert works in a scratch directory under Terraform's. Nothing else is looked at: a
    # shell someone opened in a kept workspace is theirs. Twice: an instance being started while
    # the first scan ran shows up in the second.
    held = [infra / WORK_DIR, infra / ".terraform"]
    for _ in range(2):
        stopped += stop(processes_using(held))
    removed = False if keep else remove(root)
    return Cleanup(stopped=tuple(sorted(set(stopped))), removed=removed)
