from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tfshadow.errors import EngineError
from tfshadow.runner import (
    current_workspace,
    embedded_engine,
    executable_engine,
    pull_state,
)
from tfshadow.runner.engine import internal_environ

FIXTURES = Path(__file__).parents[3] / "fixtures"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "basic", tmp_path / "tf")
    return tmp_path / "tf"


def test_embedded_engine_streams_output_and_keeps_exit_codes(
    workdir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    engine = embedded_engine()
    environ = dict(os.environ)
    assert engine.run(["init", "-no-color"], cwd=workdir, environ=environ) == 0
    assert "Terraform has been successfully initialized" in capfd.readouterr().out
    # -detailed-exitcode's 2 means "changes present", and must arrive as 2.
    assert (
        engine.run(["plan", "-detailed-exitcode", "-no-color"], cwd=workdir, environ=environ) == 2
    )
    assert "2 to add" in capfd.readouterr().out
    assert engine.run(["not-a-command"], cwd=workdir, environ=environ) == 1


def test_embedded_engine_state_pull(workdir: Path) -> None:
    engine = embedded_engine()
    environ = dict(os.environ)
    assert engine.run(["init", "-no-color"], cwd=workdir, environ=environ) == 0
    assert pull_state(engine, workdir, environ) is None
    assert engine.run(["apply", "-auto-approve", "-no-color"], cwd=workdir, environ=environ) == 0
    state = pull_state(engine, workdir, environ)
    assert state is not None and state["version"] == 4
    assert {r["name"] for r in state["resources"]} == {"web", "auth"}
    assert state["terraform_version"].startswith("1.15.")


def test_embedded_engine_sees_environment_set_after_start(
    workdir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    engine = embedded_engine()
    environ = dict(os.environ, TF_VAR_size="from-env")
    engine.run(["init", "-no-color"], cwd=workdir, environ=environ)
    assert engine.run(["apply", "-auto-approve", "-no-color"], cwd=workdir, environ=environ) == 0
    state = pull_state(engine, workdir, environ)
    assert state is not None
    web = next(r for r in state["resources"] if r["name"] == "web")
    assert web["instances"][0]["attributes"]["input"]["value"] == "from-env"


def test_pull_state_in_uninitialised_dir_says_what_to_do(workdir: Path) -> None:
    (workdir / "backend.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    with pytest.raises(EngineError, match="state pull"):
        pull_state(embedded_engine(), workdir, dict(os.environ))


def test_internal_environ_drops_cli_args_meant_for_the_user() -> None:
    env = internal_environ(
        {"TF_CLI_ARGS": "-no-color", "TF_CLI_ARGS_apply": "-auto-approve", "TF_VAR_x": "1"}
    )
    assert env == {"TF_VAR_x": "1", "TF_INPUT": "0", "TF_IN_AUTOMATION": "1"}


def test_executable_engine_missing_binary_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="does not exist"):
        executable_engine(str(tmp_path / "nope" / "terraform"), cwd=tmp_path)
    with pytest.raises(EngineError, match="does not exist"):
        executable_engine("no-such-terraform-binary", cwd=tmp_path)


def test_current_workspace_follows_terraform(tmp_path: Path) -> None:
    assert current_workspace(tmp_path, {}) == "default"
    (tmp_path / ".terraform").mkdir()
    (tmp_path / ".terraform" / "environment").write_text("staging")
    assert current_workspace(tmp_path, {}) == "staging"
    assert current_workspace(tmp_path, {"TF_WORKSPACE": "prod"}) == "prod"
    (tmp_path / "data").mkdir()
    assert current_workspace(tmp_path, {"TF_DATA_DIR": "data"}) == "default"
