"""`tfshadow ghost activate` vs `tfshadow revert`: time until a slow-starting service accepts.

The service is a `localcloud_instance` whose command warms up for 5 s of wall-clock time, then
listens on an ephemeral port and writes that port to `<ports>/<pid>`. An ephemeral port is used
because a ghost copies the original's command: a fixed port would be the original's, so the
ghost could never listen on it, and a `ready_port` check would be answered by the original.
Healthy means: the process accepts a connection on the port it wrote (the ghost's own pid; for
the revert, a process that started during the command), polled while the command runs.

Each is measured three times and the medians compared. The ghost is enabled from version 1 and
paused at once (no `ready_port` to await); its warm-up ends 5 s after the process started, a
deadline that passes while it is paused, so at activation it is as warm as a ghost paused after
its `ready_port` accepted. The revert recreates the instance that the version before removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.run import isolated_env, row, scratch
from tfshadow.localcloud import install

WARM_UP = 5.0
ROUNDS = 3  # medians: one run on a shared machine can be off by a second
SCRIPT = (
    "import os,socket,sys,time\n"
    # The warm-up counts from the process's start (boot-clock ticks), not from when Python runs.
    "ticks = int(open('/proc/self/stat').read().rsplit(')', 1)[1].split()[19])\n"
    f"deadline = ticks / os.sysconf('SC_CLK_TCK') + {WARM_UP}\n"
    "while time.clock_gettime(time.CLOCK_BOOTTIME) < deadline: time.sleep(0.02)\n"
    "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
    "p = os.path.join(sys.argv[1], str(os.getpid()))\n"
    "open(p + '.tmp', 'w').write(str(s.getsockname()[1])); os.replace(p + '.tmp', p)\n"
    "while True: s.accept()[0].close()\n"
)
HEADER = """\
terraform {
  required_providers {
    localcloud = { source = "local/tfshadow/localcloud" }
  }
}
"""


def _config(ports: Path, with_api: bool) -> str:
    if not with_api:
        return HEADER
    command = json.dumps(["python3", "-c", SCRIPT, str(ports)])
    return HEADER + f'\nresource "localcloud_instance" "api" {{\n  command = {command}\n}}\n'


def _pids_logging_to(logs: list[Path]) -> set[int]:
    wanted = {str(log) for log in logs}
    pids = set()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) in wanted for fd in fd_dir.iterdir()):
                pids.add(int(fd_dir.parent.name))
        except OSError:
            continue
    return pids


def bench_ghost() -> None:
    """Time from command start to a listening service: ghost activation vs revert."""
    print(
        f"\n`tfshadow ghost activate` vs `tfshadow revert`: localcloud_instance with a "
        f"{WARM_UP:g} s warm-up"
    )
    with scratch() as tmp:
        env = isolated_env(tmp / "home")
        (tmp / "home" / ".cache").mkdir(parents=True, exist_ok=True)
        rc = install.cli_config(install.mirror(tmp / "mirror"), tmp / "localcloud.tfrc")
        env["TF_CLI_CONFIG_FILE"] = str(rc)
        ports = tmp / "ports"
        ports.mkdir()
        works = [tmp / "ghost", tmp / "revert"]
        pids: set[int] = set()

        def tfshadow(work: Path, *args: str) -> str:
            done = subprocess.run(
                [sys.executable, "-m", "tfshadow", *args],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise RuntimeError(f"tfshadow {' '.join(args)} failed:\n{done.stderr}{done.stdout}")
            return done.stdout

        def pid_of(work: Path, name: str) -> int:
            for resource in json.loads(tfshadow(work, "state", "pull"))["resources"]:
                if resource["type"] == "localcloud_instance" and resource["name"] == name:
                    pid = int(resource["instances"][0]["attributes"]["pid"])
                    pids.add(pid)
                    return pid
            raise RuntimeError(f"localcloud_instance.{name} is not in the state of {work}")

        def accepting(port_file: Path) -> bool:
            try:
                port = int(port_file.read_text())
                with socket.create_connection(("127.0.0.1", port), 0.5):
                    return True
            except (OSError, ValueError):
                return False

        def until_healthy(work: Path, args: list[str], ghost: int | None = None) -> float:
            """Seconds from starting `tfshadow <args>` until the service accepts: the ghost
            `ghost`, else a process that started during the command. Polled while the command
            runs, since the service is healthy before tfshadow has finished recording."""
            before = set(ports.iterdir())
            start = time.perf_counter()
            proc = subprocess.Popen(
                [sys.executable, "-m", "tfshadow", *args],
                cwd=work,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            healthy_after: float | None = None
            while healthy_after is None and time.perf_counter() - start < 60:
                files = [ports / str(ghost)] if ghost else set(ports.iterdir()) - before
                if any(accepting(f) for f in files):
                    healthy_after = time.perf_counter() - start
                elif proc.poll() is not None and proc.returncode != 0:
                    break
                else:
                    time.sleep(0.01)
            output = proc.communicate()[0]
            if proc.returncode != 0 or healthy_after is None:
                raise RuntimeError(f"tfshadow {' '.join(args)} (exit {proc.returncode}):\n{output}")
            return healthy_after

        def apply(work: Path, with_api: bool) -> None:
            (work / "main.tf").write_text(_config(ports, with_api))
            tfshadow(work, "apply", "-auto-approve", "-no-color")

        try:
            for work in works:
                work.mkdir()
                (work / "main.tf").write_text(_config(ports, True))
                tfshadow(work, "init", "-no-color")
                apply(work, True)  # version 1: the api
                pid_of(work, "api")

            # (a) ghost of version 1's api, paused; activated once its warm-up has passed.
            ghost_dir = works[0]
            activations: list[float] = []
            for _ in range(ROUNDS):
                tfshadow(ghost_dir, "ghost", "enable", "localcloud_instance.api", "--from", "1")
                ghost = pid_of(ghost_dir, "api_ghost")
                time.sleep(WARM_UP + 1)
                activations.append(
                    until_healthy(
                        ghost_dir, ["ghost", "activate", "localcloud_instance.api"], ghost
                    )
                )
                tfshadow(ghost_dir, "ghost", "disable", "localcloud_instance.api", "--no-color")

            # (b) the next version removes the api; reverting to version 1 starts it again, cold.
            revert_dir = works[1]
            reverts: list[float] = []
            for _ in range(ROUNDS):
                apply(revert_dir, False)
                reverts.append(until_healthy(revert_dir, ["revert", "1", "--auto-approve"]))
                pid_of(revert_dir, "api")
        finally:
            logs = [log for work in works for log in work.glob(".localcloud/instance-*.log")]
            for pid in pids | _pids_logging_to(logs):
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)

        activated, reverted = statistics.median(activations), statistics.median(reverts)
        row(
            f"ghost activate: command to healthy, median of {ROUNDS} (ghost warm, paused)",
            f"{activated:.2f} s  ({', '.join(f'{t:.2f}' for t in activations)})",
        )
        row(
            f"revert recreating it: command to healthy, median of {ROUNDS} (cold start)",
            f"{reverted:.2f} s  ({', '.join(f'{t:.2f}' for t in reverts)})",
        )
        row("ratio (target ≤ 0.20)", f"{activated / reverted:.2f}")
