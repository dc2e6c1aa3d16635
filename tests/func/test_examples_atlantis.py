"""The Atlantis example's workflow run for real: its plan and apply steps, in order, through a
shell as Atlantis runs them, on a store kept on a git remote."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.func.conftest import FIXTURES

ATLANTIS = Path(__file__).parents[2] / "examples" / "atlantis" / "atlantis.yaml"


def _run_steps(stage: str, cwd: Path) -> None:
    """Every `run` step of the workflow's ``stage``, as Atlantis runs them: `sh -c`, in the
    project's directory, with $PLANFILE set, failing on the first step that fails."""
    workflow = yaml.safe_load(ATLANTIS.read_text(encoding="utf-8"))["workflows"]["tfshadow"]
    environ = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PLANFILE": str(cwd / "default.tfplan"),
        "TF_IN_AUTOMATION": "1",
        # As the example's README asks: each clone makes a fingerprint key of its own, so
        # without it every pull request's version would show its unchanged secrets changed.
        "TFSHADOW_KEY": "atlantis-example-key",
    }
    for step in workflow[stage]["steps"]:
        done = subprocess.run(
            ["sh", "-c", step["run"]], cwd=cwd, env=environ, capture_output=True, text=True
        )
        assert done.returncode == 0, f"{step['run']}: {done.stderr}"


def _pull_request(tmp_path: Path, name: str, remote: Path, state: Path | None) -> Path:
    """A fresh clone of the project for one pull request, on the state the last one left."""
    path = tmp_path / name
    shutil.copytree(FIXTURES / "basic", path)
    (path / "tfshadow.hcl").write_text(f'store {{\n  remote = "{remote}"\n}}\n')
    if state is not None:
        shutil.copy(state, path / "terraform.tfstate")
    return path


def _size(project: Path, size: str) -> None:
    main = project / "main.tf"
    main.write_text(main.read_text().replace('"small"', f'"{size}"', 1))


def test_atlantis_workflow_applies_twice_in_a_pull_request_and_again_in_the_next(
    tmp_path: Path,
) -> None:
    # The apply step pulled the store with `git -C .tfshadow pull origin tfshadow` once the
    # directory held one, but a store tfshadow made itself has no `origin`: the second apply of
    # a pull request failed there.
    remote = tmp_path / "shadows.git"
    subprocess.run(["git", "init", "--bare", "-q", str(remote)], check=True)
    first = _pull_request(tmp_path, "pr-1", remote, None)
    for size in ("small", "medium"):
        _size(first, size)
        _run_steps("plan", first)
        _run_steps("apply", first)
    second = _pull_request(tmp_path, "pr-2", remote, first / "terraform.tfstate")
    _size(second, "large")

    _run_steps("plan", second)
    _run_steps("apply", second)

    listed = subprocess.run(
        [sys.executable, "-m", "tfshadow", "log", "--json"],
        cwd=second,
        env={**os.environ, "TFSHADOW_KEY": "atlantis-example-key"},
        check=True,
        capture_output=True,
        text=True,
    )
    versions = json.loads(listed.stdout)["versions"]
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert [v["changes"]["change"] for v in versions] == [1, 1, 0]
