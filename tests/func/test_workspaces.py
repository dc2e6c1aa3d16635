"""Workspaces and backends other than the default local file: what tfshadow reads and records
when the state lives elsewhere, is unreachable, or a workspace comes and goes."""

from __future__ import annotations

import shutil
import threading
from datetime import datetime, timedelta
from pathlib import Path

from .conftest import FIXTURES, STEP, Tfshadow, write_series
from .http_state import HttpState, http_state

APPLY = ("apply", "-auto-approve", "-no-color")


def _on_http_backend(
    tmp_path: Path, tfshadow: Tfshadow, backend: HttpState, main_tf: str | None = None
) -> Path:
    """The basic fixture (or a directory holding ``main_tf``) keeping its state on
    ``backend``, initialised and applied once."""
    work = tmp_path / "infra"
    if main_tf is None:
        shutil.copytree(FIXTURES / "basic", work)
    else:
        work.mkdir()
        (work / "main.tf").write_text(main_tf)
    (work / "backend.tf").write_text(backend.backend())
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, cwd=work).code == 0
    return work


def test_revert_names_terraforms_error_when_the_backend_cannot_be_reached(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    with http_state() as backend:
        work = _on_http_backend(tmp_path, tfshadow, backend)
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


def _local_backend(path: str) -> str:
    return f'terraform {{\n  backend "local" {{\n    path = "{path}"\n  }}\n}}\n'


def test_a_backend_changed_without_its_state_lets_go_of_the_objects_instead_of_destroying(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    (workdir / "backend.tf").write_text(_local_backend("first/app.tfstate"))
    assert tfshadow("init", "-no-color", "-migrate-state", "-force-copy", cwd=workdir).code == 0
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    # Another backend, its state left behind: Terraform starts from nothing there.
    (workdir / "backend.tf").write_text(_local_backend("second/app.tfstate"))
    assert tfshadow("init", "-no-color", "-reconfigure", "-input=false", cwd=workdir).code == 0
    applied = tfshadow(*APPLY, cwd=workdir)
    assert applied.code == 0, applied.err
    assert "Resources: 2 added, 0 changed, 0 destroyed" in applied.out
    assert "another configuration" not in applied.err
    assert "the backend changed without its state" in applied.err
    assert "-migrate-state" in applied.err

    gone, apply = tfshadow("log", "-n", "2", "--json", cwd=workdir).json()["versions"][::-1]
    assert gone["kind"] == "recovered"
    assert gone["description"].startswith("Recovered: the backend changed without its state")
    # The objects of the first backend's state still exist, unmanaged.
    assert (gone["changes"]["destroy"], gone["changes"]["forget"]) == (0, 2)
    assert (apply["changes"]["add"], apply["changes"]["destroy"]) == (2, 0)
    # The change of backend is in the history.
    shown = tfshadow("inspect", str(gone["version"]), "--no-pager", "--no-color", cwd=workdir)
    assert "backend.tf" in shown.out
    # Found once: the next command records nothing more.
    assert "recorded" not in tfshadow("log", "--no-pager", cwd=workdir).err


def test_a_state_that_cannot_be_read_is_not_taken_for_a_state_gone(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    with http_state() as backend:
        work = _on_http_backend(tmp_path, tfshadow, backend)
    assert tfshadow(*APPLY, cwd=work).code == 1
    assert tfshadow("log", "--no-pager", cwd=work).code == 0
    versions = tfshadow("log", "--json", cwd=work).json()["versions"]
    assert [v["kind"] for v in versions] == ["apply"]


def test_state_only_revert_waits_for_the_states_lock_as_long_as_asked(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # No secret: a state-only revert writes the recorded state back whole.
    main_tf = (
        'variable "size" {\n  default = "small"\n}\n\n'
        'resource "terraform_data" "web" {\n  input = var.size\n}\n'
    )
    with http_state() as backend:
        work = _on_http_backend(tmp_path, tfshadow, backend, main_tf)
        assert tfshadow(*APPLY, "-var", "size=large", cwd=work).code == 0
        state_only = ("revert", "1", "--state-only", "--auto-approve", "--no-color")

        # Another run holds the state's lock: refused at once without -lock-timeout.
        backend.hold_lock()
        refused = tfshadow(*state_only, cwd=work)
        assert refused.code == 1
        assert "nothing was pushed" in refused.err and "-lock-timeout" in refused.err

        # Released a moment later: the push waits for it, as the user's -lock-timeout says.
        release = threading.Timer(2.0, backend.release_lock)
        release.start()
        try:
            waited = tfshadow(*state_only, "-lock-timeout=60s", cwd=work)
        finally:
            release.cancel()
        assert waited.code == 0, waited.err
        assert "recorded version 3 (revert, revert to 1" in waited.err
        [web] = backend.document()["resources"]
        assert web["instances"][0]["attributes"]["input"]["value"] == "small"


def test_a_store_taken_where_the_state_is_not_reads_its_history_without_recording(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    # A new clone of the configuration with its store, the state kept elsewhere.
    clone = tmp_path / "clone"
    clone.mkdir()
    shutil.copy(workdir / "main.tf", clone / "main.tf")
    shutil.copytree(workdir / ".tfshadow", clone / ".tfshadow")
    shown = tfshadow("log", "--no-pager", cwd=clone)
    assert shown.code == 0, shown.err
    assert "recorded" not in shown.err
    assert len(tfshadow("log", "--json", cwd=clone).json()["versions"]) == 1


def test_analyze_reads_each_workspaces_own_series_through_the_workspace_reference(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    applied = two_versions[2]
    # Staging has the same resources at the same addresses, and quiet metrics of its own.
    assert tfshadow("workspace", "new", "-no-color", "staging", cwd=workdir).code == 0
    assert tfshadow(*APPLY, "-var", "size=large", cwd=workdir).code == 0
    (workdir / "tfshadow.hcl").write_text(
        'metrics "csv" { path = "metrics/${workspace}/${address}.csv" }\n'
        'resource_metrics "terraform_data.web" {\n'
        '  source  = "csv"\n'
        '  metrics = ["cpu"]\n'
        "}\n"
        'analysis {\n  soak = "1h"\n  attribution_window = "1h"\n}\n'
    )
    start, end = applied - timedelta(days=1), applied + timedelta(hours=1)
    shift = applied + 2 * STEP
    write_series(workdir / "metrics" / "default" / "terraform_data.web.csv", start, end, shift)
    write_series(workdir / "metrics" / "staging" / "terraform_data.web.csv", start, end, None)
    until = end.isoformat()

    staging = tfshadow("analyze", "--until", until, "--json", cwd=workdir)
    assert staging.code == 0, staging.err
    assert staging.json()["recommendations"] == []
    default = tfshadow("analyze", "--workspace", "default", "--until", until, "--json", cwd=workdir)
    assert default.code == 0, default.err
    (rec,) = default.json()["recommendations"]
    assert (rec["resource"], rec["suspect"]["workspace"], rec["suspect"]["version"]) == (
        "terraform_data.web",
        "default",
        2,
    )
