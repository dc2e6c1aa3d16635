"""tfshadow's own Terraform calls and lookups: state, data dir, workspace, arguments."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tfshadow import env
from tfshadow.errors import EngineError
from tfshadow.runner.engine import Engine

DEFAULT_WORKSPACE = "default"
# How a Terraform command is asked for its help (Go's flags take one dash or two).
HELP_FLAGS = frozenset({"-h", "-help", "--h", "--help"})
# Anywhere on the line, even after a command (`terraform apply -v`), these make Terraform print
# its version and run nothing else.
VERSION_FLAGS = frozenset({"-v", "-version", "--version"})
LOCAL_STATE_VERSION = 4  # the state file format Terraform 0.12 and later write
_BACKEND = re.compile(r'\bbackend\s*"|\bcloud\s*\{|"backend"\s*:|"cloud"\s*:')


def pull_state(engine: Engine, cwd: Path, environ: Mapping[str, str]) -> dict[str, Any] | None:
    """The current state through the configured backend, or None when there is none yet.

    With the local backend the state file is read directly: it is what `terraform state pull`
    would print, without starting Terraform (and its providers' schemas) for it. Anything
    unusual about the file sends the question to Terraform.
    """
    path = local_state_file(cwd, environ)
    if path is not None:
        try:
            text: str | None = path.read_text()
        except FileNotFoundError:
            return None
        except OSError:
            text = None  # unreadable here: Terraform says why
        if text is not None and not text.strip():
            return None
        doc = _json_or_none(text)
        if isinstance(doc, dict) and doc.get("version") == LOCAL_STATE_VERSION:
            return doc
    result = engine.capture(["state", "pull"], cwd=cwd, environ=environ)
    if result.returncode != 0:
        raise EngineError(
            f"`terraform state pull` failed: {result.error_line()}",
            hint="run `tfshadow init` (or `terraform init`) in this directory first",
        )
    printed = result.stdout.strip()
    if not printed:
        return None
    try:
        doc = json.loads(printed)
    except ValueError as exc:
        raise EngineError(
            f"`terraform state pull` printed something that is not JSON ({exc})",
            hint="check TF_LOG and the backend configuration",
        ) from exc
    if not isinstance(doc, dict):
        raise EngineError("`terraform state pull` did not print a state document")
    return doc


def runs_no_command(args: Sequence[str]) -> bool:
    """Whether Terraform prints its help or its version for ``args`` instead of running the
    command they name (neither changes a state nor reads a plan)."""
    return any(arg in HELP_FLAGS or arg in VERSION_FLAGS for arg in args)


def _json_or_none(text: str | None) -> Any:
    try:
        return json.loads(text) if text is not None else None
    except ValueError:
        return None  # being written, or damaged: Terraform says which


def read_state_file(path: Path) -> dict[str, Any] | None:
    """The state in the file a command's legacy ``-state``/``-state-out`` names (None when the
    file does not exist yet); :class:`EngineError` when it is not a state."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise EngineError(f"cannot read the state file {path}: {exc.strerror}") from None
    doc = _json_or_none(text) if text.strip() else None
    if text.strip() and not isinstance(doc, dict):
        raise EngineError(f"{path} is not a Terraform state file")
    return doc


def local_state_file(workdir: Path, environ: Mapping[str, str]) -> Path | None:
    """The state file of the selected workspace when the backend is the local one; None when
    another backend is configured, or Terraform's arguments might point elsewhere."""
    if any(name.startswith("TF_CLI_ARGS") for name in environ):
        return None
    config: Mapping[str, Any] = {}
    cache = data_dir(workdir, environ) / "terraform.tfstate"
    if cache.exists():
        try:
            backend = json.loads(cache.read_text()).get("backend") or {}
        except (OSError, ValueError, AttributeError):
            return None
        if backend.get("type") != "local":
            return None
        config = backend.get("config") or {}
    elif _declares_backend(workdir):
        return None  # not initialised yet: Terraform says so
    workspace = current_workspace(workdir, environ)
    if workspace == DEFAULT_WORKSPACE:
        return workdir / (config.get("path") or "terraform.tfstate")
    parent = config.get("workspace_dir") or "terraform.tfstate.d"
    return workdir / parent / workspace / "terraform.tfstate"


def _declares_backend(workdir: Path) -> bool:
    """Whether a root-module file may declare a backend or HCP Terraform (a cheap text scan:
    a false positive only costs asking Terraform)."""
    for path in [*workdir.glob("*.tf"), *workdir.glob("*.tf.json")]:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            return True
        if _BACKEND.search(text):
            return True
    return False


def data_dir(workdir: Path, environ: Mapping[str, str]) -> Path:
    # Terraform takes an empty TF_DATA_DIR as unset.
    return workdir / (environ.get(env.TF_DATA_DIR) or ".terraform")


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
