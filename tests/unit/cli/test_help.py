"""Every command of tfshadow's own explains itself."""

from __future__ import annotations

import pytest

from tfshadow.cli import run
from tfshadow.cli.commands import commands


def test_help_every_own_command_has_help_text() -> None:
    assert set(commands.commands) >= {"log", "inspect", "diff", "revert", "mark", "checkout"}
    for name, command in commands.commands.items():
        assert command.help and len(command.help.strip()) > 20, name


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
