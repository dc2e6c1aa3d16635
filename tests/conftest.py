"""Every test runs with its own HOME, git identity and Terraform CLI configuration."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# In CI the property tests run a fixed, repeatable set of examples with no per-example deadline
# (a shared 2-core runner is slow and noisy); locally they keep exploring new ones.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

# The local S3-compatible server and its fixtures, for the mirror's unit and end-to-end tests.
pytest_plugins = ["tests.unit.mirror.s3server"]

ISOLATED_PREFIXES = ("TF_", "TFSHADOW_", "GITHUB_", "GITLAB_", "CI_")
ISOLATED_NAMES = ("CI", "GIT_DIR", "GIT_WORK_TREE", "NO_COLOR")


@pytest.fixture(autouse=True)
def isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith(ISOLATED_PREFIXES) or name in ISOLATED_NAMES:
            monkeypatch.delenv(name)
    gitconfig = home / ".gitconfig"
    gitconfig.write_text("[user]\n\tname = Test User\n\temail = test@example.com\n")
    terraformrc = home / ".terraformrc"
    terraformrc.write_text("")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(terraformrc))
    return home


@pytest.fixture(scope="module")
def dask_scheduler() -> Iterator[str]:
    """The address of a real Dask LocalCluster: two worker processes of one thread each."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address
