"""Small text helpers every renderer shares: one-line user text, UTC timestamps, plurals,
padding to terminal cells."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.cells import cell_len

# Descriptions can be whole commit messages: a table cell shows the first line, cut here.
DESCRIPTION_LIMIT = 80


def pad_cells(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal cells: a wide character (CJK) takes two, so
    padding by characters would push what follows out of its column."""
    return text + " " * max(width - cell_len(text), 0)


def one_line(text: str) -> str:
    """``text`` with every run of whitespace, newlines included, made one space."""
    return " ".join(text.split())


def first_line(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """The first line of ``text``, cut to ``limit`` characters with an ellipsis."""
    lines = text.strip().splitlines()
    first = lines[0].strip() if lines else ""
    if len(first) > limit:
        first = first[: limit - 1].rstrip() + "…"
    return first


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive one is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """``2024-05-01T12:00:00Z``."""
    return utc(moment).isoformat(timespec="seconds").replace("+00:00", "Z")


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 version``, ``2 versions`` (``many`` for irregular plurals)."""
    return f"{count} {word if count == 1 else many or word + 's'}"
