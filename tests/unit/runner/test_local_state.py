"""The local backend's state is read from its file; every other case asks Terraform."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tfshadow.errors import EngineError
from tfshadow.runner import pull_state
from tfshadow.runner.commands import local_state_file
from tfshadow.runner.engine import SubprocessEngine

STATE = {"version": 4, "terraform_version": "1.15.5", "serial": 3, "lineage": "l", "resources": []}


def _failing_engine(tmp_path: Path) -> SubprocessEngine:
    """An engine whose every run fails: a test passing with it never asked Terraform."""
    script = tmp_path / "terraform"
    script.write_text("#!/bin/sh\necho 'asked Terraform' >&2\nexit 1\n")
    script.chmod(0o755)
    return SubprocessEngine("fake", "a Terraform that always fails", [str(script)])


def _backend_cache(workdir: Path, backend: dict[str, object]) -> None:
    (workdir / ".terraform").mkdir(exist_ok=True)
    (workdir / ".terraform" / "terraform.tfstate").write_text(json.dumps({"backend": backend}))


def test_local_state_file_default_and_workspaces(tmp_path: Path) -> None:
    assert local_state_file(tmp_path, {}) == tmp_path / "terraform.tfstate"
    assert local_state_file(tmp_path, {"TF_WORKSPACE": "prod"}) == (
        tmp_path / "terraform.tfstate.d" / "prod" / "terraform.tfstate"
    )
    _backend_cache(
        tmp_path, {"type": "local", "config": {"path": "s/a.tfstate", "workspace_dir": "ws"}}
    )
    assert local_state_file(tmp_path, {}) == tmp_path / "s" / "a.tfstate"
    assert local_state_file(tmp_path, {"TF_WORKSPACE": "prod"}) == (
        tmp_path / "ws" / "prod" / "terraform.tfstate"
    )


@pytest.mark.parametrize(
    ("backend", "files", "environ"),
    [
        ({"type": "s3", "config": {"bucket": "b"}}, {}, {}),
        ({"type": "cloud", "config": {}}, {}, {}),
        (None, {"backend.tf": 'terraform {\n  backend "s3" {}\n}\n'}, {}),
        (None, {"main.tf.json": '{"terraform": {"cloud": {}}}'}, {}),
        (None, {}, {"TF_CLI_ARGS": "-state=elsewhere.tfstate"}),
    ],
)
def test_local_state_file_other_backends_ask_terraform(
    tmp_path: Path,
    backend: dict[str, object] | None,
    files: dict[str, str],
    environ: dict[str, str],
) -> None:
    if backend is not None:
        _backend_cache(tmp_path, backend)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert local_state_file(tmp_path, environ) is None


def test_pull_state_reads_the_local_file_without_terraform(tmp_path: Path) -> None:
    engine = _failing_engine(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    assert pull_state(engine, work, {}) is None
    (work / "terraform.tfstate").write_text("")
    assert pull_state(engine, work, {}) is None
    (work / "terraform.tfstate").write_text(json.dumps(STATE))
    assert pull_state(engine, work, {}) == STATE


@pytest.mark.parametrize("text", ["{half a docu", json.dumps({**STATE, "version": 3})])
def test_pull_state_asks_terraform_about_an_unusual_file(tmp_path: Path, text: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "terraform.tfstate").write_text(text)
    with pytest.raises(EngineError, match="asked Terraform"):
        pull_state(_failing_engine(tmp_path), work, {})
