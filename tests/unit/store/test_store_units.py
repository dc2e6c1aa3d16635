from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tfshadow.errors import StoreError
from tfshadow.state import delta
from tfshadow.store import cache, policy
from tfshadow.store.git import Git, Identity, blob_id, scrub_url
from tfshadow.store.layout import parse_document, validate_workspace

if TYPE_CHECKING:
    from conftest import StoreKit


def test_keyframe_due_counts_from_the_last_keyframe() -> None:
    assert policy.keyframe_due(1, None, 25)
    assert not policy.keyframe_due(25, 1, 25)
    assert policy.keyframe_due(26, 1, 25)
    # After retention re-keyed version 40, the next keyframe is 25 versions later.
    assert not policy.keyframe_due(51, 40, 25)
    assert policy.keyframe_due(2, 1, 1)


def test_retention_plan_keeps_the_newest() -> None:
    assert policy.retention_plan([1, 2, 3], None) is None
    assert policy.retention_plan([1, 2, 3], 3) is None
    plan = policy.retention_plan([3, 1, 2, 4, 5], 2)
    assert plan == policy.RetentionPlan(removed=(1, 2, 3), oldest_kept=4)


@pytest.mark.parametrize("name", ["default", "staging", "prod-eu_1", "a.b", "x~y@z+1=2,3"])
def test_validate_workspace_accepts_terraform_names(name: str) -> None:
    assert validate_workspace(name) == name


@pytest.mark.parametrize("name", ["", ".", "..", ".x", "-x", "a/b", "a\\b", "a b", "é", "x" * 91])
def test_validate_workspace_rejects_unsafe_names(name: str) -> None:
    with pytest.raises(StoreError):
        validate_workspace(name)


def test_parse_document_keeps_big_integers_exact() -> None:
    doc = {"small": 5, "edge": 2**64 - 1, "big": 2**64, "neg": -(2**63) - 1, "f": 1.5e300}
    assert parse_document(delta.dumps(doc)) == doc
    assert type(parse_document(delta.dumps(doc))["big"]) is int


def test_cache_is_only_trusted_when_intact(tmp_path: Path) -> None:
    state, config = delta.dumps({"a": 1}), delta.dumps({"b": 2})
    entry = cache.CachedDocuments(
        version=3,
        state_sha256=hashlib.sha256(state).hexdigest(),
        config_sha256=hashlib.sha256(config).hexdigest(),
        state=state,
        config=config,
    )
    cache.save(tmp_path, "default", entry)
    assert cache.load(tmp_path, "default", 3) == entry
    assert cache.load(tmp_path, "default", 4) is None
    assert cache.load(tmp_path, "staging", 3) is None

    path = tmp_path / "default.latest"
    path.write_bytes(path.read_bytes().replace(b'"a":1', b'"a":2'))
    assert cache.load(tmp_path, "default", 3) is None
    path.write_bytes(b"nonsense")
    assert cache.load(tmp_path, "default", 3) is None


def test_blob_id_matches_git(kit: StoreKit, tmp_path: Path) -> None:
    data = b'{"x":"\xc3\xa9"}\n'
    (tmp_path / "f").write_bytes(data)
    assert blob_id(data) == kit.git(tmp_path, "hash-object", "f").strip()


def test_identity_is_made_acceptable_to_git() -> None:
    assert Identity.of("Ann <boss>\n", " ann@example.com ") == Identity(
        "Ann boss", "ann@example.com"
    )
    assert Identity.of("", None) == Identity("tfshadow", "")


def test_scrub_url_masks_credentials() -> None:
    assert scrub_url("https://robot:t0ken@host/x.git failed") == "https://***@host/x.git failed"
    assert scrub_url("git@host:x.git") == "git@host:x.git"
    assert scrub_url("ssh://git@host:2222/x.git") == "ssh://git@host:2222/x.git"
    assert scrub_url("git+ssh://git:pw@host/x.git") == "git+ssh://***@host/x.git"
    assert scrub_url("see https://t0ken@host/x.git") == "see https://***@host/x.git"


def test_git_run_passes_stdin_and_stdout_byte_for_byte(kit: StoreKit, tmp_path: Path) -> None:
    kit.git(tmp_path, "init", "-q")
    # Larger than a pipe's buffer, with NULs and a final newline that must survive.
    data = bytes(range(256)) * 4096 + b"\r\n\n"
    oid = Git(tmp_path).hash_blob(data)
    assert oid == blob_id(data)
    assert Git(tmp_path).run("cat-file", "blob", oid).stdout == data


def test_git_run_stops_a_command_at_its_timeout(kit: StoreKit, tmp_path: Path) -> None:
    kit.git(tmp_path, "init", "-q")
    kit.git(tmp_path, "config", "alias.nap", "!sleep 30")
    started = time.monotonic()
    with pytest.raises(StoreError, match=r"git nap did not finish within 0\.5 s"):
        Git(tmp_path).run("nap", timeout=0.5)
    # The alias's sleep holds git's output open: returning early means it was killed too.
    assert time.monotonic() - started < 10


def test_git_run_interrupted_leaves_no_timer_behind(kit: StoreKit, tmp_path: Path) -> None:
    import signal
    import threading

    kit.git(tmp_path, "init", "-q")
    kit.git(tmp_path, "config", "alias.nap", "!sleep 5")

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    before = set(threading.enumerate())
    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        # Ctrl-C during a push (the one command run with a timeout): the command must be able
        # to end at once, not wait out the timeout for a leftover thread.
        with pytest.raises(KeyboardInterrupt):
            Git(tmp_path).run("nap", timeout=600)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    left = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert left == []


def test_git_run_out_of_space_says_so_in_its_hint(
    kit: StoreKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import git as gitpython

    kit.git(tmp_path, "init", "-q")
    # The input handed to git cannot be written (its temporary file is past the limit)…
    with kit.file_size_limit(16 * 1024), pytest.raises(StoreError) as by_input:
        Git(tmp_path).hash_blob(os.urandom(256 * 1024))
    # …or git itself cannot write: what git says on a full disk.
    full = tmp_path / "git-on-a-full-disk"
    full.write_text(
        '#!/bin/sh\necho "error: unable to write file .git/objects/ab/cd: No space left on '
        'device" >&2\nexit 128\n'
    )
    full.chmod(0o755)
    monkeypatch.setattr(gitpython.Git, "GIT_PYTHON_GIT_EXECUTABLE", str(full))
    with pytest.raises(StoreError) as by_git:
        Git(tmp_path).run("add", "-f", "--", "x")
    # A full disk is not a damaged repository: `git fsck` would send the user the wrong way.
    for caught in (by_input, by_git):
        assert "fsck" not in (caught.value.hint or "")
        assert "free space" in (caught.value.hint or "")


def test_git_run_keeps_an_explicit_index_over_an_inherited_one(
    kit: StoreKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kit.git(tmp_path, "init", "-q")
    (tmp_path / "f").write_text("x\n")
    decoy, index = tmp_path / "decoy.index", tmp_path / ".git" / "other.index"
    monkeypatch.setenv("GIT_INDEX_FILE", str(decoy))
    Git(tmp_path).run("add", "f", env={"GIT_INDEX_FILE": str(index)})
    assert index.exists()
    assert not decoy.exists()
    assert not (tmp_path / ".git" / "index").exists()


def test_git_run_in_a_vanished_directory_says_so(tmp_path: Path) -> None:
    gone = tmp_path / "store"
    with pytest.raises(StoreError, match="has disappeared"):
        Git(gone).run("status")


def test_git_run_without_git_on_path_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(StoreError, match="git is not installed"):
        Git(tmp_path).run("status")


def test_git_run_without_git_when_first_used_says_so(tmp_path: Path) -> None:
    # GitPython runs git when it is imported, so a fresh process is the real case.
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from tfshadow.errors import StoreError\n"
        "from tfshadow.store.git import Git\n"
        "try:\n"
        "    Git(Path(sys.argv[1])).run('status')\n"
        "except StoreError as exc:\n"
        "    print(exc.one_line())\n"
    )
    env = {**os.environ, "PATH": str(tmp_path / "empty")}
    env.pop("GIT_PYTHON_REFRESH", None)
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.startswith("git is not installed")
