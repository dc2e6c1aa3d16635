"""A local S3-compatible server (moto's standalone server, see s3server.py) for the session,
dummy AWS credentials for every test, and small stores to mirror."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.mirror.s3server import CuttingProxy, aws_env, moto_server
from tfshadow.store import GitShadowStore, StoreConfig


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(autouse=True)
def _aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    aws_env(monkeypatch)


@pytest.fixture
def proxy(s3_endpoint: str) -> Iterator[CuttingProxy]:
    cutting = CuttingProxy(s3_endpoint)
    yield cutting
    cutting.close()


@pytest.fixture
def store(tmp_path: Path) -> GitShadowStore:
    return GitShadowStore.open(StoreConfig(workdir=tmp_path / "infra"), create=True)
