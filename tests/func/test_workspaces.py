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


def test_a_deleted_workspace_ends_its_history_and_one_made_again_starts_anew(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("workspace", "new", "-no-color", "staging", cwd=workdir).code == 0
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    assert tfshadow("workspace", "select", "-no-color", "default", cwd=workdir).code == 0

    # Refused by Terraform (the workspace still manages objects): nothing recorded.
    refused = tfshadow("workspace", "delete", "-no-color", "staging", cwd=workdir)
    assert refused.code == 1
    assert "tfshadow: recorded" not in refused.err
    deleted = tfshadow("workspace", "delete", "-force", "-no-color", "staging", cwd=workdir)
    assert deleted.code == 0, deleted.err
    assert "recorded version 2 (workspace delete" in deleted.err
    staging = tfshadow("log", "--json", "--workspace", "staging", cwd=workdir).json()["versions"]
    end = staging[0]
    assert (end["version"], end["kind"], end["description"]) == (
        2,
        "workspace delete",
        "Workspace staging deleted",
    )
    # The objects still exist, unmanaged: forgotten, not destroyed.
    assert (end["changes"]["destroy"], end["changes"]["forget"]) == (0, 2)

    assert tfshadow("workspace", "new", "-no-color", "staging", cwd=workdir).code == 0
    again = tfshadow(*APPLY, cwd=workdir)
    assert again.code == 0, again.err
    assert "recorded version 3 (apply, success; +2 ~0 -0)" in again.err
    assert "another state" not in again.err
    assert tfshadow("log", "--json", cwd=workdir).json()["versions"][0]["changes"]["destroy"] == 0

    # A workspace without a history is deleted as Terraform deletes it, nothing recorded.
    assert tfshadow("workspace", "new", "-no-color", "scratch", cwd=workdir).code == 0
    assert tfshadow("workspace", "select", "-no-color", "default", cwd=workdir).code == 0
    plain = tfshadow("workspace", "delete", "-no-color", "scratch", cwd=workdir)
    assert plain.code == 0, plain.err
    assert "tfshadow:" not in plain.err
