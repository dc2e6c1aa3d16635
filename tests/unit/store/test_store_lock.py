from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tfshadow.errors import StoreLockedError

if TYPE_CHECKING:
    from conftest import StoreKit

# Another tfshadow process: opens the store, takes the lock as `apply`, records a version, says
# so in a file, holds on for a while, then lets go (or dies holding it).
HOLDER = """
import os, sys, time
from pathlib import Path
from tfshadow.store import GitShadowStore, StoreConfig

workdir, ready, hold, ending = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
store = GitShadowStore.open(StoreConfig(workdir=workdir), create=False)
with store.lock(5, command="apply"):
    store.record("default", {"description": "from the other process"}, {"n": 1}, {"c": 1})
    ready.write_text(str(os.getpid()))
    time.sleep(hold)
    if ending == "crash":
        os._exit(3)
"""


def start_holder(
    workdir: Path, tmp_path: Path, hold: float, ending: str = "normal"
) -> subprocess.Popen[bytes]:
    ready = tmp_path / "ready"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(workdir), str(ready), str(hold), ending]
    )
    deadline = time.monotonic() + 20
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the holder process did not take the lock")
        time.sleep(0.02)
    return proc


def test_lock_second_process_waits_then_proceeds(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    holder = start_holder(tmp_path, tmp_path, hold=1.0)

    started = time.monotonic()
    with store.lock(timeout=15):
        waited = time.monotonic() - started
        meta = store.record("default", {"description": "mine"}, {"n": 2}, {"c": 1})

    assert holder.wait(timeout=15) == 0
    assert waited > 0.5
    assert meta["version"] == 2
    assert meta["parent"] == 1


def test_lock_times_out_naming_the_holder(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    holder = start_holder(tmp_path, tmp_path, hold=30)
    try:
        started = time.monotonic()
        with pytest.raises(StoreLockedError) as caught, store.lock(timeout=0.4):
            pass
        assert 0.3 < time.monotonic() - started < 5
        assert caught.value.message == (
            f"the shadow store is locked by tfshadow (pid {holder.pid}: apply)"
        )
        assert caught.value.hint is not None
        assert caught.value.hint.startswith("wait for it to finish, or retry with")
        assert "--lock-timeout" in caught.value.hint
    finally:
        holder.terminate()
        holder.wait(timeout=15)


def test_lock_of_a_crashed_holder_is_free(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    holder = start_holder(tmp_path, tmp_path, hold=0.0, ending="crash")
    assert holder.wait(timeout=15) == 3

    started = time.monotonic()
    with store.lock(timeout=0):
        assert time.monotonic() - started < 1


def test_lock_is_reentrant_within_a_process(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    other_handle = kit.open_store(tmp_path, create=False)
    with store.lock(timeout=0), other_handle.lock(timeout=0):
        kit.record(other_handle, 1)
    with store.lock(timeout=0):
        kit.record(store, 2)


def test_open_leaves_a_writers_files_while_it_holds_the_lock(kit: StoreKit, tmp_path: Path) -> None:
    kit.open_store(tmp_path)
    holder = start_holder(tmp_path, tmp_path, hold=30)
    in_flight = tmp_path / ".tfshadow" / "workspaces" / "default" / ".tmp-000002-1"
    try:
        in_flight.mkdir()
        (in_flight / "meta.json").write_text("{}")
        kit.open_store(tmp_path, create=False)
        assert (in_flight / "meta.json").exists()
    finally:
        holder.terminate()
        holder.wait(timeout=15)
    kit.open_store(tmp_path, create=False)
    assert not in_flight.exists()


# Opens (creating) the store at the moment written in argv[2], so that every copy starts at once.
CREATOR = """
import sys, time
from pathlib import Path
from tfshadow.store import GitShadowStore, StoreConfig

workdir, start = Path(sys.argv[1]), float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
GitShadowStore.open(StoreConfig(workdir=workdir), create=True)
"""


def test_stores_created_at_once_by_several_processes_are_one_store(tmp_path: Path) -> None:
    # Three rounds of eight: without the creation lock, most rounds had a failing `git init`.
    workdirs = [tmp_path / f"infra{n}" for n in range(3)]
    start = time.time() + 2.0  # past every interpreter's start-up
    procs = []
    for workdir in workdirs:
        workdir.mkdir()
        procs += [
            subprocess.Popen(
                [sys.executable, "-c", CREATOR, str(workdir), str(start)], stderr=subprocess.PIPE
            )
            for _ in range(8)
        ]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * len(procs), errors
    for workdir in workdirs:
        log = subprocess.run(
            ["git", "-C", str(workdir / ".tfshadow"), "log", "--format=%s"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert log.stdout.splitlines() == ["Create the tfshadow shadow store"]


CREATION_HOLDER = """
import sys, time
from pathlib import Path
from tfshadow.store.lock import creation_lock

with creation_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(30)
"""


def test_creation_lock_waits_within_a_timeout_and_is_reentrant(tmp_path: Path) -> None:
    from tfshadow.store.lock import creation_lock

    # Its holder may call code that creates the store, which takes the same lock again.
    with creation_lock(tmp_path, 0), creation_lock(tmp_path, 0):
        pass
    holder = subprocess.Popen(
        [sys.executable, "-c", CREATION_HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        started = time.monotonic()
        with pytest.raises(StoreLockedError) as caught, creation_lock(tmp_path, 0.3):
            pytest.fail("taken while another process holds it")
        assert time.monotonic() - started >= 0.3
        assert "recording the first version" in caught.value.message and caught.value.hint
    finally:
        holder.kill()
        holder.wait()
    with creation_lock(tmp_path, 0):  # the kernel let go with the holder
        pass


def test_lock_on_a_full_disk_is_refused_before_anything_runs(kit: StoreKit, tmp_path: Path) -> None:
    from tfshadow.errors import StoreNotWritableError

    store = kit.open_store(tmp_path)
    kit.record(store, 1)
    # The holder's name cannot be written: the command must stop there, before Terraform runs,
    # with a clear message rather than a crash.
    with (
        kit.file_size_limit(0),
        pytest.raises(StoreNotWritableError) as caught,
        store.lock(1, command="apply"),
    ):
        pytest.fail("the lock was taken")
    assert "cannot write to the shadow store" in caught.value.message and caught.value.hint
    with store.lock(1, command="apply"):
        assert kit.record(store, 2)["version"] == 2
