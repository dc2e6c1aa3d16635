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


def test_versions_are_shown_with_the_collector_held_off_and_run_every_twenty() -> None:
    import gc

    from tfshadow.cli.commands import _collected

    was = gc.isenabled()
    gc.enable()
    try:
        full = gc.get_stats()[2]["collections"]
        seen = []
        for item in _collected(iter(range(45))):
            seen.append((item, gc.isenabled(), gc.get_stats()[2]["collections"] - full))
        assert [s[0] for s in seen] == list(range(45))
        assert not any(enabled for _, enabled, _ in seen)
        # The cycles showing versions may leave are collected after the 20th and the 40th.
        assert [runs for _, _, runs in seen][19:22] == [0, 1, 1]
        assert seen[-1][2] == 2
        assert gc.isenabled()  # on again once all are shown
    finally:
        if not was:
            gc.disable()
