"""Bad input: one line on stderr, exit code 2, nothing written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import Tfshadow, plain_apply


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("tfshadow: error: ")
    return lines[0]


def test_not_a_terraform_directory(tmp_path: Path, tfshadow: Tfshadow) -> None:
    result = tfshadow("apply", "-auto-approve", cwd=tmp_path)
    assert result.code == 2
    assert "no Terraform configuration" in _one_error_line(result.err)
    assert list(tmp_path.iterdir()) == []


def test_no_versions_yet(workdir: Path, tfshadow: Tfshadow) -> None:
    result = tfshadow("log", cwd=workdir)
    assert result.code == 2
    assert "tfshadow apply" in _one_error_line(result.err)
    assert not (workdir / ".tfshadow").exists()


def test_unknown_version(workdir: Path, tfshadow: Tfshadow) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    for args in (("inspect", "7"), ("diff", "1", "9"), ("inspect", "seven")):
        result = tfshadow(*args, cwd=workdir)
        assert result.code == 2, args
        _one_error_line(result.err)


def test_empty_workspace_option_is_refused_not_read_as_the_selected_one(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    for args in (("log",), ("inspect", "1"), ("mark", "1", "good")):
        result = tfshadow(*args, "--workspace", "", cwd=workdir)
        assert result.code == 2, args
        assert "workspace name ''" in _one_error_line(result.err), args
        assert result.out == "", args


def test_invalid_settings_stop_before_terraform_runs(workdir: Path, tfshadow: Tfshadow) -> None:
    (workdir / "tfshadow.hcl").write_text("store {\n  retian = 3\n}\n")
    result = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert result.code == 2
    line = _one_error_line(result.err)
    assert "tfshadow.hcl:2" in line and "retian" in line
    assert not (workdir / ".tfshadow").exists()
    assert not (workdir / "terraform.tfstate").exists()


def test_missing_terraform_binary(workdir: Path, tfshadow: Tfshadow) -> None:
    result = tfshadow(
        "--terraform-bin", "/nonexistent/terraform", "apply", "-auto-approve", cwd=workdir
    )
    assert result.code == 2
    assert "/nonexistent/terraform" in _one_error_line(result.err)
    assert not (workdir / ".tfshadow").exists()


def test_bad_input_to_a_detailed_exitcode_plan_exits_1_not_changes_present(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Under -detailed-exitcode 2 means "changes present": a drift check must not read it so.
    wrong_bin = ("--terraform-bin", "/nonexistent/terraform")
    result = tfshadow(*wrong_bin, "plan", "-detailed-exitcode", cwd=workdir)
    assert result.code == 1
    assert "/nonexistent/terraform" in _one_error_line(result.err)
    missing_dir = tfshadow("-chdir=nowhere", "plan", "-detailed-exitcode=true", cwd=workdir)
    assert missing_dir.code == 1
    assert "nowhere" in _one_error_line(missing_dir.err)
    monkeypatch.setenv("TF_CLI_ARGS_plan", "-detailed-exitcode")
    assert tfshadow("plan", "--message", "no", cwd=workdir).code == 1
    assert tfshadow("plan", "--chdir", cwd=workdir).code == 1
    monkeypatch.delenv("TF_CLI_ARGS_plan")
    # Elsewhere bad input keeps its 2.
    assert tfshadow(*wrong_bin, "plan", cwd=workdir).code == 2
    assert tfshadow(*wrong_bin, "plan", "-detailed-exitcode=false", cwd=workdir).code == 2
    assert tfshadow(*wrong_bin, "apply", "-auto-approve", cwd=workdir).code == 2


def test_a_chdir_naming_no_directory_exits_as_terraform_does_when_passed_through(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    from tfshadow.runner import embedded_engine

    (workdir / "notes.txt").write_text("not a directory")
    given = (
        ("-chdir=nowhere", "plan"),
        ("-chdir=nowhere", "state", "list"),
        ("-chdir=notes.txt", "state", "list"),
        ("-chdir=", "validate"),
        ("-chdir=.", "-chdir=..", "validate"),
        ("-chdir=nowhere", "apply", "-help"),  # help: nothing is recorded
        ("-chdir=nowhere",),
    )
    for args in given:
        terraform = embedded_engine().run(list(args), cwd=workdir, environ=dict(os.environ))
        assert terraform == 1, args
        result = tfshadow(*args, cwd=workdir)
        assert result.code == terraform, args
        assert "-chdir" in _one_error_line(result.err), args
    # The commands tfshadow records or runs itself keep its own bad input's 2, before anything
    # runs; so does its own --chdir.
    for args in (
        ("-chdir=nowhere", "apply", "-auto-approve"),
        ("-chdir=notes.txt", "destroy", "-auto-approve"),
        ("-chdir=", "apply"),
        ("-chdir=nowhere", "log"),
        ("--chdir", "nowhere", "state", "list"),
    ):
        result = tfshadow(*args, cwd=workdir)
        assert result.code == 2, args
        assert "chdir" in _one_error_line(result.err), args
    assert not (workdir / ".tfshadow").exists()
    assert not (workdir / "terraform.tfstate").exists()


def test_store_path_that_is_not_git(workdir: Path, tfshadow: Tfshadow, tmp_path: Path) -> None:
    other = tmp_path / "not-a-repo"
    other.mkdir()
    (other / "precious.txt").write_text("keep me")
    os.environ["TFSHADOW_STORE"] = str(other)
    try:
        result = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    finally:
        del os.environ["TFSHADOW_STORE"]
    assert result.code == 2
    assert str(other) in _one_error_line(result.err)
    assert [p.name for p in other.iterdir()] == ["precious.txt"]
    assert not (workdir / "terraform.tfstate").exists()


def test_tampered_version_is_refused_by_name(workdir: Path, tfshadow: Tfshadow) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    assert tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=x", cwd=workdir).code == 0
    version_dir = workdir / ".tfshadow" / "workspaces" / "default" / "000002"
    target = next(p for p in version_dir.iterdir() if p.name.startswith("state"))
    original = target.read_bytes()
    target.chmod(0o644)
    target.write_text(target.read_text().replace("x", "y"))
    result = tfshadow("inspect", "2", cwd=workdir)
    assert result.code == 2
    assert "2" in _one_error_line(result.err)
    assert "tamper" in result.err.lower() or "modified" in result.err.lower()
    # `store check` finds it without being asked for version 2, and says what else it saw.
    check = tfshadow("store", "check", "--json", cwd=workdir)
    assert check.code == 1, check.err
    report = check.json()
    assert report["ok"] is False and report["versions"] == 2
    [damaged] = report["damaged"]
    assert damaged["problem"].startswith("version 2 of workspace default has been tampered")
    assert report["writable"] == [str(target.relative_to(workdir / ".tfshadow"))]
    target.write_bytes(original)
    sound = tfshadow("store", "check", "--no-color", cwd=workdir)
    assert sound.code == 0, sound.err
    assert "Checked 2 version(s) in 1 workspace(s)" in sound.out
    assert "not read-only:" in sound.out


def test_revert_target_without_an_address(workdir: Path, tfshadow: Tfshadow) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    before = (workdir / "terraform.tfstate").read_bytes()
    for args in (("-target",), ("-target=",), ("--target", ""), ("-target", "--dry-run")):
        result = tfshadow("revert", "1", "--auto-approve", *args, cwd=workdir)
        assert result.code == 2, args
        assert "target" in _one_error_line(result.err)
    assert (workdir / "terraform.tfstate").read_bytes() == before


def test_message_on_an_own_command_is_refused_not_dropped(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    for args in (("revert", "1", "--dry-run"), ("log",)):
        result = tfshadow(*args, "--message", "why it was done", cwd=workdir)
        assert result.code == 2, args
        assert "--message" in _one_error_line(result.err)


def test_workspace_name_the_store_cannot_hold_stops_before_terraform_runs(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("workspace", "new", "-no-color", "team:prod", cwd=workdir).code == 0
    result = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert result.code == 2
    assert "team:prod" in _one_error_line(result.err)
    assert "Apply complete" not in result.out
    assert tfshadow("state", "list", cwd=workdir).out.strip() == ""


def test_lock_timeout_nan_is_refused_not_an_endless_wait(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = tfshadow("apply", "-auto-approve", "--lock-timeout", "nan", cwd=workdir)
    assert result.code == 2
    assert "--lock-timeout" in _one_error_line(result.err)
    # Terraform's own flag written with two dashes, as Go allows: the user is told which is which.
    result = tfshadow("apply", "-auto-approve", "--lock-timeout=5s", cwd=workdir)
    assert result.code == 2
    assert "Terraform's wait for the state lock is -lock-timeout=5s" in _one_error_line(result.err)
    monkeypatch.setenv("TFSHADOW_LOCK_TIMEOUT", "NaN")
    result = tfshadow("apply", "-auto-approve", cwd=workdir)
    assert result.code == 2
    assert "TFSHADOW_LOCK_TIMEOUT" in _one_error_line(result.err)
    assert not (workdir / "terraform.tfstate").exists()


def test_store_path_that_cannot_be_created(workdir: Path, tfshadow: Tfshadow) -> None:
    (workdir / "tfshadow.hcl").write_text('store {\n  path = "main.tf/shadows"\n}\n')
    result = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert result.code == 2
    assert "main.tf/shadows" in _one_error_line(result.err)
    assert not (workdir / "terraform.tfstate").exists()


def test_relative_terraform_bin_is_relative_to_where_tfshadow_runs(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path
) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    script = tools / "terraform"
    script.write_text('#!/bin/sh\necho fake terraform "$@"\n')
    script.chmod(0o755)
    result = tfshadow(
        "--chdir", str(workdir), "--terraform-bin", "tools/terraform", "version", cwd=tmp_path
    )
    assert (result.code, result.out) == (0, "fake terraform version\n"), result.err
    os.environ["TFSHADOW_TERRAFORM_BIN"] = "./tools/terraform"
    try:
        result = tfshadow(f"-chdir={workdir}", "version", cwd=tmp_path)
    finally:
        del os.environ["TFSHADOW_TERRAFORM_BIN"]
    assert (result.code, result.out) == (0, "fake terraform version\n"), result.err


def test_missing_terraform_binary_in_settings_names_file_and_line(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    (workdir / "tfshadow.hcl").write_text('terraform {\n  binary = "bin/tofu"\n}\n')
    result = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert result.code == 2
    line = _one_error_line(result.err)
    assert "tfshadow.hcl:2" in line and "bin/tofu" in line
    assert not (workdir / "terraform.tfstate").exists()


def test_store_that_cannot_be_written_reads_and_refuses_to_record_without_a_crash(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    state_before = (workdir / "terraform.tfstate").read_bytes()
    # The lock file cannot be opened for writing, as on a read-only mount or a store owned by
    # another user (a directory in its place fails the same way for root, which chmod does not).
    lock = workdir / ".tfshadow" / ".git" / "tfshadow" / "lock"
    lock.unlink()
    lock.mkdir()
    log = tfshadow("log", "--no-color", cwd=workdir)
    assert log.code == 0, log.err
    assert log.out.startswith("1 ")
    assert (
        "warning: cannot write to the shadow store" in log.err and "lock: Is a directory" in log.err
    )
    assert "unexpected error" not in log.err
    result = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=x", cwd=workdir)
    assert result.code == 2
    assert "cannot write to the shadow store" in _one_error_line(result.err)
    assert (workdir / "terraform.tfstate").read_bytes() == state_before
    # A dry run writes nothing to the store: it plans the revert and says what it cannot record.
    plain_apply(workdir, "-var", "size=outside")
    dry = tfshadow("revert", "1", "--dry-run", "-no-color", cwd=workdir)
    assert dry.code == 0, dry.err
    assert "Dry run: nothing was changed." in dry.out + dry.err
    assert "cannot write to the shadow store" in dry.err and "not recorded" in dry.err
    state_outside = (workdir / "terraform.tfstate").read_bytes()
    real = tfshadow("revert", "1", "--auto-approve", "-no-color", cwd=workdir)
    assert real.code == 2
    assert "cannot write to the shadow store" in _one_error_line(real.err)
    assert (workdir / "terraform.tfstate").read_bytes() == state_outside
    # Checkout writes the working directory only.
    checkout = tfshadow("checkout", "1", "--force", "-no-color", cwd=workdir)
    assert checkout.code == 0, checkout.err
