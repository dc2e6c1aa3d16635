"""HCL parsing into a small model of tfshadow's own (the walk itself is in ``hcl_tree``).

python-hcl2's dictionaries drop source positions, and tfshadow needs them twice: settings errors
name ``file:line``, and secret values in configuration files are replaced in place, keeping every
other byte. So python-hcl2's raw parse tree (Lark, built with positions) is walked into a small
model of tfshadow's own: bodies, blocks, attributes and values, each with its line and its
character span in the source text. Values are interpreted only as far as they are literals;
anything else (references, function calls, templates) is kept as an opaque expression with its
span.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

ValueKind = Literal[
    "string",  # a quoted string without interpolation or directives
    "template",  # a quoted string with ${…} or %{…}
    "heredoc",
    "number",
    "bool",
    "null",
    "tuple",
    "object",
    "expression",  # anything else: references, calls, operators, for-expressions, …
]


class HclSyntaxError(Exception):
    """The text is not valid HCL (as far as python-hcl2's grammar goes)."""

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.line = line
        self.column = column
        self.message = message


@dataclass(frozen=True)
class Value:
    """An expression on the right of ``=`` (or of ``:`` in an object).

    ``start``/``end`` are character offsets into the parsed text, excluding surrounding
    whitespace and comments (and the newline a heredoc's closing marker needs), so replacing
    ``text[start:end]`` keeps the rest of the line intact.
    """

    kind: ValueKind
    start: int
    end: int
    line: int
    end_line: int
    # The Python value when the expression is a literal (string, number, bool, null, or a
    # tuple/object made only of literals); None otherwise, so check ``is_literal``.
    literal: Any
    is_literal: bool
    # True when the expression spells out any text itself (string characters, heredoc body),
    # as opposed to only referring to other values: ``"a${var.x}"`` has text, ``var.x`` has not.
    has_text: bool
    # An object's elements, or a tuple's (with name None), in source order. For other
    # expressions, the elements of the objects and tuples written inside them (function
    # arguments, conditional branches…), so ``jsonencode({ password = "x" })`` can be inspected.
    items: tuple[Entry, ...] = ()


@dataclass(frozen=True)
class Entry:
    """An attribute (``name = value``) or an object element (``key = value`` / ``key: value``)."""

    name: str | None  # None for object keys that are computed expressions
    line: int
    value: Value


@dataclass(frozen=True)
class Block:
    type: str
    labels: tuple[str, ...]
    line: int
    body: Body
    end_line: int = 0
    """The line of the closing brace (0 when not known)."""


@dataclass(frozen=True)
class Body:
    attributes: tuple[Entry, ...]
    blocks: tuple[Block, ...]

    def attribute(self, name: str) -> Entry | None:
        """The first attribute called ``name``, if any."""
        return next((a for a in self.attributes if a.name == name), None)

    def blocks_of(self, type_: str) -> tuple[Block, ...]:
        return tuple(b for b in self.blocks if b.type == type_)


def parse(text: str) -> Body:
    """Parse HCL text into a :class:`Body`; raises :class:`HclSyntaxError` with a line."""
    # python-hcl2 and Lark take ~0.07 s to import; commands that never parse HCL (a revert of a
    # configuration without secrets) do not pay for them.
    from tfshadow.settings.hcl_tree import parse_tree

    return parse_tree(text)


@dataclass(frozen=True)
class TemplatePart:
    """A piece of a quoted string: ``text`` (escapes decoded) or the source of an
    ``interpolation`` (``${…}``) or ``directive`` (``%{…}``) without its delimiters."""

    kind: Literal["text", "interpolation", "directive"]
    source: str


def template_parts(quoted: str) -> tuple[TemplatePart, ...]:
    """The pieces of a quoted string's source text, quotes included (``text[v.start:v.end]``
    of a ``string`` or ``template`` value).

    Text pieces have their escapes decoded, with ``$${`` and ``%%{`` giving a literal ``${`` and
    ``%{``; adjacent text is merged. Raises ValueError when ``quoted`` is not a quoted string.
    """
    if len(quoted) < 2 or quoted[0] != '"' or quoted[-1] != '"':
        raise ValueError("not a quoted string")
    body = quoted[1:-1]
    parts: list[TemplatePart] = []
    text: list[str] = []  # decoded text of the current piece
    raw: list[str] = []  # characters not yet decoded (escapes are decoded a run at a time)

    from hcl2.utils import process_escape_sequences

    def flush_raw() -> None:
        if raw:
            text.append(process_escape_sequences("".join(raw)))
            raw.clear()

    def flush_text() -> None:
        flush_raw()
        if text:
            parts.append(TemplatePart("text", "".join(text)))
            text.clear()

    index = 0
    while index < len(body):
        if body.startswith(("$${", "%%{"), index):
            flush_raw()
            text.append(body[index + 1 : index + 3])
            index += 3
        elif body.startswith(("${", "%{"), index):
            flush_text()
            close = _closing_brace(body, index + 2)
            kind: Literal["interpolation", "directive"] = (
                "interpolation" if body[index] == "$" else "directive"
            )
            parts.append(TemplatePart(kind, body[index + 2 : close]))
            index = close + 1
        elif body[index] == "\\" and index + 1 < len(body):
            raw.append(body[index : index + 2])
            index += 2
        else:
            raw.append(body[index])
            index += 1
    flush_text()
    return tuple(parts)


def _closing_brace(text: str, index: int) -> int:
    """The offset of the ``}`` closing the template sequence whose body starts at ``index``,
    skipping nested braces and quoted strings (the parser has already checked they balance)."""
    depth = 0
    quoted = False
    while index < len(text):
        char = text[index]
        if quoted:
            if char == "\\":
                index += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return index
            depth -= 1
        index += 1
    return len(text)


def walk_entries(body: Body) -> Iterator[tuple[tuple[Block, ...], Entry]]:
    """Every attribute, depth first, with the blocks enclosing it; each attribute is followed
    by the entries of its value (object elements, tuple items, objects inside expressions)."""
    yield from _walk(body, ())


def _walk(body: Body, path: tuple[Block, ...]) -> Iterator[tuple[tuple[Block, ...], Entry]]:
    for entry in body.attributes:
        yield from _walk_entry(entry, path)
    for block in body.blocks:
        yield from _walk(block.body, (*path, block))


def _walk_entry(entry: Entry, path: tuple[Block, ...]) -> Iterator[tuple[tuple[Block, ...], Entry]]:
    yield path, entry
    for item in entry.value.items:
        yield from _walk_entry(item, path)
