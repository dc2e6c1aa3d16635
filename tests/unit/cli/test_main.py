"""The dispatcher: which arguments reach tfshadow's own commands, and how."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfshadow.cli import run


def test_main_own_option_before_its_command_is_refused_not_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `tfshadow --dry-run revert 3` must never run a real revert with --dry-run left out.
    (tmp_path / "main.tf").write_text('resource "terraform_data" "a" {}\n')
    monkeypatch.chdir(tmp_path)

    code = run(["--dry-run", "revert", "1"])

    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "--dry-run" in err and "after `revert`" in err
    assert "tfshadow revert --dry-run" in err
    assert not (tmp_path / ".tfshadow").exists()


def test_main_json_before_log_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    assert run(["--json", "--no-color", "log"]) == 2

    err = capsys.readouterr().err
    assert "`--json --no-color`" in err and "tfshadow log --json --no-color" in err


def test_main_help_before_an_own_command_shows_its_help(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    assert run(["--help", "inspect"]) == 0

    assert "Usage: tfshadow inspect" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["inspect", "-help"], ["store", "check", "-help"]])
def test_main_terraforms_spelling_of_help_after_an_own_command_shows_its_help(
    args: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Read as the one-letter options -h -e -l -p, it was "No such option '-e'".
    monkeypatch.chdir(tmp_path)

    assert run(args) == 0

    assert f"Usage: tfshadow {' '.join(args[:-1])}" in capsys.readouterr().out


def test_main_terraform_chdir_before_an_own_command_still_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "infra").mkdir()
    monkeypatch.chdir(tmp_path)

    assert run(["-chdir=infra", "log"]) == 2

    assert f"no shadow store at {tmp_path / 'infra' / '.tfshadow'}" in capsys.readouterr().err


def test_main_own_option_with_a_value_before_the_command_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Its value would be taken for the command and handed to Terraform as one.
    monkeypatch.chdir(tmp_path)

    assert run(["--workspace", "staging", "log"]) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "`--workspace` comes before the command" in err
    assert "Terraform has no command" not in err


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["mark", "1", "meh"],
            "mark: invalid value for '{good|bad}': 'meh' is not one of 'good', 'bad': "
            "see `tfshadow mark --help`",
        ),
        (["log", "-v"], "log: no such option '-v': see `tfshadow log --help`"),
        (
            ["store", "check", "--bogus"],
            "store check: no such option '--bogus': see `tfshadow store check --help`",
        ),
        (
            ["analyze", "--sensitivity"],
            "analyze: option '--sensitivity' requires an argument: see `tfshadow analyze --help`",
        ),
    ],
)
def test_main_usage_errors_of_own_commands_are_one_line(
    args: list[str],
    line: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)

    assert run(args) == 2

    captured = capsys.readouterr()
    assert captured.err == f"tfshadow: error: {line}\n"
    assert captured.out == ""


def test_main_group_without_its_command_shows_the_groups_help(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    assert run(["ghost"]) == 2

    assert "Usage: tfshadow ghost" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["revert", "3", "-chdir=.."],
        ["revert", "3", "--auto-approve", "-chdir", ".."],
        ["checkout", "3", "-chdir=.."],
        ["mark", "3", "good", "-chdir=.."],
        ["log", "-chdir=infra"],
    ],
)
def test_main_terraform_chdir_after_an_own_command_is_refused(
    args: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Terraform reads -chdir only before its command: after `revert` it reached
    # `terraform plan`, which refused it, or the store of this directory was looked for.
    (tmp_path / "infra").mkdir()
    monkeypatch.chdir(tmp_path / "infra")

    assert run(args) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"comes after `{args[0]}`" in err
    assert "put it before the command" in err and "--chdir DIR" in err
    assert "no shadow store" not in err
    assert not (tmp_path / ".tfshadow").exists() and not (tmp_path / "infra" / ".tfshadow").exists()


def test_main_interrupted_while_its_modules_load_exits_130_without_a_traceback(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    # Ctrl-C in the first moments, while Python loads tfshadow's modules.
    script = """
import os, signal, sys
def hook(event, args):
    if event == "import" and args[0] == "tfshadow.cli.main":
        os.kill(os.getpid(), signal.SIGINT)
sys.addaudithook(hook)
from tfshadow.cli import main
sys.argv = ["tfshadow", "log"]
main()
"""
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 130, proc.stderr
    assert "Traceback" not in proc.stderr
