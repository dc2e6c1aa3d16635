"""A local S3-compatible server (moto's standalone server, see s3server.py) for the session,
dummy AWS credentials for every test, and small stores to mirror."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfshadow.store import GitShadowStore, StoreConfig


@pytest.fixture(autouse=True)
def _aws(aws_credentials: None) -> None:
    """Dummy AWS credentials in every mirror test (the fixtures live in s3server.py)."""


@pytest.fixture
def store(tmp_path: Path) -> GitShadowStore:
    return GitShadowStore.open(StoreConfig(workdir=tmp_path / "infra"), create=True)
