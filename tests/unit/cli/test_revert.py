"""`tfshadow revert`'s command line: its own options among Terraform's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfshadow.cli import run


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("--dryrun", "--dry-run"), ("-dry-run", "--dry-run"), ("--auto-aprove", "--auto-approve"),
     ("-state-only", "--state-only"), ("--write_config", "--write-config"), ("--jsn", "--json")],
)  # fmt: skip
def test_revert_misspelt_own_option_is_named_before_anything_runs(
    typed: str,
    meant: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "main.tf").write_text('resource "terraform_data" "a" {}\n')
    monkeypatch.chdir(tmp_path)

    assert run(["revert", "1", typed]) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"did you mean {meant}" in err
    assert not (tmp_path / ".tfshadow").exists()


@pytest.mark.parametrize("arg", ["--var=size=large", "-var-file=prod.tfvars", "--parallelism=2"])
def test_revert_terraform_options_with_two_dashes_still_go_to_terraform(
    arg: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    assert run(["revert", "1", arg]) == 2

    # Refused for the empty directory, not for the option.
    assert "holds no Terraform configuration" in capsys.readouterr().err


@pytest.mark.parametrize(
    "arg", ["-var-file=/home/me/prod.tfvars", "-var=region=the-north", "-refresh=false"]
)
def test_revert_terraform_option_holding_an_h_is_not_a_request_for_help(
    arg: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Read as a cluster of one-letter options, the h was -h: help shown, exit 0, nothing done.
    monkeypatch.chdir(tmp_path)

    code = run(["revert", "1", "--auto-approve", arg])

    captured = capsys.readouterr()
    assert code == 2
    assert "Usage:" not in captured.out
    assert "holds no Terraform configuration" in captured.err


@pytest.mark.parametrize(
    "args",
    [["revert", "-h"], ["revert", "3", "-h"], ["revert", "--help"], ["revert", "3", "-help"]],
)
def test_revert_short_help_still_shows_help(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(args) == 0

    assert "Usage: tfshadow revert" in capsys.readouterr().out
