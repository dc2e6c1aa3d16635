"""The rich table style and the plain printing every terminal renderer shares."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text


def titled_table(title: str) -> Table:
    """A table with a bold title and a light frame: readable at 80 columns, header rows still
    visible in plain text."""
    return Table(
        title=Text(title, style="bold"),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        expand=False,
        show_edge=False,
        padding=(0, 1, 0, 0),
    )


def print_plain(console: Console, renderable: Text | Table) -> None:
    """Print without markup or highlighting; soft-wrap off, or a console set to soft-wrap would
    let table rows overflow the width."""
    console.print(renderable, soft_wrap=False, highlight=False, markup=False)


def print_unwrapped(console: Console, text: Text) -> None:
    """Print ``text`` on one line, never wrapped at the console's width (80 columns when output
    is piped): a warning stays whole on its line, for logs and grep."""
    console.print(text, soft_wrap=True, highlight=False, markup=False)
