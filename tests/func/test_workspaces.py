"""Workspaces and backends other than the default local file: what tfshadow reads and records
when the state lives elsewhere, is unreachable, or a workspace comes and goes."""

from __future__ import annotations

import shutil
from pathlib import Path

from .conftest import FIXTURES, Tfshadow
from .http_state import http_state

APPLY = ("apply", "-auto-approve", "-no-color")


def test_revert_names_terraforms_error_when_the_backend_cannot_be_reached(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    work = tmp_path / "infra"
    shutil.copytree(FIXTURES / "basic", work)
    with http_state() as backend:
        (work / "backend.tf").write_text(backend.backend())
        assert tfshadow("init", "-no-color", cwd=work).code == 0
        assert tfshadow(*APPLY, cwd=work).code == 0
        assert tfshadow(*APPLY, "-var", "size=large", cwd=work).code == 0
    # The backend went down: the directory is initialised, and saying it is not would send
    # the user to re-run init in the middle of an incident.
    for args in (("--dry-run",), ("--state-only", "--auto-approve")):
        result = tfshadow("revert", "1", *args, "--no-color", cwd=work)
        assert result.code == 2, result.err
        error = result.err.strip().splitlines()[-1]
        assert error.startswith("tfshadow: error: cannot read the current state: "), error
        assert "connection refused" in error, error
        assert "nothing was reverted" in error, error
    assert len(tfshadow("log", "--json", cwd=work).json()["versions"]) == 2
