"""Real git repositories in tmp_path, with no git identity configured: the store brings its own.

Shared helpers come through the ``kit`` fixture (tests are imported in importlib mode).
"""

from __future__ import annotations

import resource
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tfshadow.store import GitShadowStore, StoreConfig

USER = ("-c", "user.name=Repo Owner", "-c", "user.email=owner@example.com")


def git(cwd: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", *USER, *args], cwd=cwd, capture_output=True, text=True)
    if check and proc.returncode:
        raise AssertionError(f"git {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
    return proc.stdout


def state_doc(serial: int, count: int = 12) -> dict[str, Any]:
    """A small canonical state whose resources change a little with every serial."""
    resources = {
        f'aws_instance.web["{i}"]': {
            "mode": "managed",
            "type": "aws_instance",
            "name": "web",
            "each": "map",
            "index_key": str(i),
            "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
            "schema_version": 1,
            "attributes": {
                "id": f"i-{i:08x}",
                "instance_type": "t3.large" if (serial + i) % 4 else "t3.xlarge",
                "tags": {"Name": f"web-{i}", "Serial": str(serial if i == serial % count else 0)},
                "ports": [22, 80, 443 + (serial if i == 0 else 0)],
            },
            "sensitive_attributes": [],
        }
        for i in range(count + serial % 3)
    }
    return {
        "format": 1,
        "version": 4,
        "terraform_version": "1.15.5",
        "serial": serial,
        "lineage": "7f1d3c2e-0000-4000-8000-000000000001",
        "outputs": {"url": {"value": f"https://example.com/{serial}", "type": "string"}},
        "resources": resources,
    }


def config_doc(serial: int) -> dict[str, Any]:
    lines = [f'resource "aws_instance" "web" {{  # {n}\n' for n in range(30)]
    lines[serial % 30] = f"# changed in {serial}\n"
    return {"format": 1, "files": {"main.tf": lines}, "variables": {"size": str(serial)}}


def meta_doc(
    serial: int, name: str = "Ann Operator", email: str = "ann@example.com"
) -> dict[str, Any]:
    return {
        "author": {"name": name, "email": email},
        "description": f"apply number {serial}",
        "terraform_version": "1.15.5",
    }


def open_store(workdir: Path, *, create: bool = True, **settings: Any) -> GitShadowStore:
    return GitShadowStore.open(StoreConfig(workdir=workdir, **settings), create=create)


def record(store: GitShadowStore, serial: int, workspace: str = "default") -> dict[str, Any]:
    return store.record(workspace, meta_doc(serial), state_doc(serial), config_doc(serial))


@contextmanager
def file_size_limit(size: int) -> Iterator[None]:
    """Writes past ``size`` bytes fail (EFBIG) in this process and the git it starts, as on a
    full disk, until the block ends."""
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills us
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, limits[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, previous)


class StoreKit:
    """The helpers above, for tests: ``kit.record(store, 3)``."""

    git = staticmethod(git)
    state_doc = staticmethod(state_doc)
    config_doc = staticmethod(config_doc)
    meta_doc = staticmethod(meta_doc)
    open_store = staticmethod(open_store)
    record = staticmethod(record)
    file_size_limit = staticmethod(file_size_limit)


@pytest.fixture
def kit() -> StoreKit:
    return StoreKit()


@pytest.fixture(autouse=True)
def empty_git_config(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path_factory.mktemp("store-home")
    config = home / "gitconfig"
    config.write_text("")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in (
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
    ):
        monkeypatch.delenv(name, raising=False)
