"""tfshadow's own Terraform calls and lookups: state, data dir, workspace."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tfshadow import env
from tfshadow.errors import EngineError
from tfshadow.runner.engine import Engine

DEFAULT_WORKSPACE = "default"


def pull_state(engine: Engine, cwd: Path, environ: Mapping[str, str]) -> dict[str, Any] | None:
    """The current state through the configured backend, or None when there is none yet."""
    result = engine.capture(["state", "pull"], cwd=cwd, environ=environ)
    if result.returncode != 0:
        raise EngineError(
            f"`terraform state pull` failed: {result.error_line()}",
            hint="run `tfshadow init` (or `terraform init`) in this directory first",
        )
    text = result.stdout.strip()
    if not text:
        return None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise EngineError(
            f"`terraform state pull` printed something that is not JSON ({exc})",
            hint="check TF_LOG and the backend configuration",
        ) from exc
    if not isinstance(doc, dict):
        raise EngineError("`terraform state pull` did not print a state document")
    return doc


def data_dir(workdir: Path, environ: Mapping[str, str]) -> Path:
    return workdir / environ.get(env.TF_DATA_DIR, ".terraform")


def current_workspace(workdir: Path, environ: Mapping[str, str]) -> str:
    """The selected workspace, found the way Terraform finds it (no process started)."""
    chosen = environ.get(env.TF_WORKSPACE)
    if chosen:
        return chosen
    try:
        name = (data_dir(workdir, environ) / "environment").read_text().strip()
    except OSError:
        return DEFAULT_WORKSPACE
    return name or DEFAULT_WORKSPACE
