"""Who and what a version says it came from."""

from __future__ import annotations

from tfshadow.ops.author import printable


def test_printable_drops_terminal_controls_and_keeps_lines_and_text() -> None:
    title = "fix \x1b[31mred\x1b[0m\x07 in caf\u00e9\ttabs\nsecond line\x9b2J"
    assert printable(title) == "fix [31mred[0m in caf\u00e9\ttabs\nsecond line2J"
