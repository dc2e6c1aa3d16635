"""Consoles of tfshadow's own output (tfshadow/cli/output.py)."""

from __future__ import annotations

import pytest

from tfshadow.cli.output import stdout_console


def test_output_no_color_console_writes_no_escape_codes_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A terminal would get colour and bold; --no-color must leave neither, as Terraform's does.
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    stdout_console(no_color=True).print("[bold red]tainted[/]")
    assert capsys.readouterr().out == "tainted\n"
    stdout_console().print("[bold red]tainted[/]")
    assert "\x1b[" in capsys.readouterr().out
