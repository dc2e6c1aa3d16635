"""Every command of tfshadow's own explains itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tfshadow.cli import run
from tfshadow.cli.main import OWN_COMMANDS, command_group


def test_help_every_own_command_has_help_text() -> None:
    commands = command_group()
    assert set(commands.commands) >= {"log", "inspect", "diff", "revert", "mark", "checkout"}
    for name, command in commands.commands.items():
        assert command.help and len(command.help.strip()) > 20, name


def test_help_own_commands_are_found_in_the_modules_named_for_them() -> None:
    commands = command_group()
    assert set(commands.commands) == set(OWN_COMMANDS)
    for name, command in commands.commands.items():
        assert command.callback is not None
        assert command.callback.__module__ == OWN_COMMANDS[name], name


def test_pass_through_loads_neither_click_nor_rich(tmp_path: Path) -> None:
    (tmp_path / "terraformrc").write_text("")
    script = (
        "import sys\n"
        "from tfshadow.cli.main import run\n"
        "code = run(['version'])\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'click', 'rich', 'git'})\n"
        "print('LOADED', code, loaded)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={**os.environ, "TF_CLI_CONFIG_FILE": str(tmp_path / "terraformrc")},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Terraform v" in proc.stdout
    assert "LOADED 0 []" in proc.stdout


def test_help_lists_commands_and_pass_through(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    assert "passed straight through to Terraform" in out
    for name in ("log", "inspect", "diff", "revert", "mark", "checkout"):
        assert name in out


def test_help_version_and_bad_own_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"]) == 0
    assert "tfshadow" in capsys.readouterr().out
    assert run(["log", "--no-such-option"]) == 2
    assert run(["apply", "--message"]) == 2
    assert "--message needs a value" in capsys.readouterr().err


def test_help_of_tfshadow_itself_does_not_offer_terraforms_spelling(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # `tfshadow -help` is Terraform's help; its commands take -help as their own.
    assert run(["--help"]) == 0
    top = capsys.readouterr().out
    assert "-h, --help" in top and "-help," not in top
    assert run(["log", "--help"]) == 0
    assert "-h, -help, --help" in capsys.readouterr().out
