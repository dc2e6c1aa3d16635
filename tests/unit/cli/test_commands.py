"""Options shared by tfshadow's own commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfshadow.cli import run


@pytest.mark.parametrize("args", [["log", "-no-color"], ["inspect", "1", "-no-color"]])
def test_commands_take_terraforms_spelling_of_no_color(
    args: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Terraform's -no-color, typed by habit, is not read as `-n o-color` nor refused as `-n`.
    monkeypatch.chdir(tmp_path)

    assert run(args) == 2

    assert "no shadow store" in capsys.readouterr().err
