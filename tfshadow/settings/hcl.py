"""HCL parsing: the one module that imports python-hcl2.

python-hcl2's dictionaries drop source positions, and tfshadow needs them twice: settings errors
name ``file:line``, and secret values in configuration files are replaced in place, keeping every
other byte. So this module walks python-hcl2's raw parse tree (Lark, built with positions) into a
small model of its own: bodies, blocks, attributes and values, each with its line and its character
span in the source text. Values are interpreted only as far as they are literals; anything else
(references, function calls, templates) is kept as an opaque expression with its span.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import hcl2
from hcl2.utils import process_escape_sequences
from lark import Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

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

_TEXT_TOKENS = frozenset(
    {"STRING_CHARS", "HEREDOC_TEMPLATE", "HEREDOC_TEMPLATE_TRIM", "TEMPLATE_STRING"}
)
_ESCAPE_MARKERS = {"ESCAPED_INTERPOLATION": "$${", "ESCAPED_DIRECTIVE": "%%{"}


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
    try:
        tree = hcl2.parses_to_tree(text)
    except _UNEXPECTED as exc:
        raise _syntax_error(exc) from None
    except LarkError as exc:  # pragma: no cover - grammar errors other than unexpected input
        raise HclSyntaxError(1, 1, str(exc).splitlines()[0]) from None
    except RecursionError:
        raise HclSyntaxError(1, 1, "nesting too deep to parse") from None
    start = _child_trees(tree)[0]
    return _body(start, text)


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


# --- Lark errors -------------------------------------------------------------------------------

_UNEXPECTED = (UnexpectedCharacters, UnexpectedToken, UnexpectedEOF)


def _syntax_error(exc: UnexpectedCharacters | UnexpectedToken | UnexpectedEOF) -> HclSyntaxError:
    line = int(getattr(exc, "line", 0) or 0)
    column = int(getattr(exc, "column", 0) or 0)
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            message = "unexpected end of file"
        else:
            message = f"unexpected {_describe(str(token))}"
    elif isinstance(exc, UnexpectedCharacters):
        message = f"unexpected character {_describe(exc.char)}"
    else:
        message = "unexpected end of file"
    return HclSyntaxError(max(line, 1), max(column, 1), message)


def _describe(fragment: str) -> str:
    first = fragment.strip().splitlines()[0] if fragment.strip() else fragment
    if not first.strip():
        return "end of line"
    if len(first) > 20:
        first = first[:20] + "…"
    return f"`{first}`"


# --- tree walking ------------------------------------------------------------------------------


def _child_trees(node: Tree[Token]) -> list[Tree[Token]]:
    return [c for c in node.children if isinstance(c, Tree)]


def _body(node: Tree[Token], text: str) -> Body:
    attributes: list[Entry] = []
    blocks: list[Block] = []
    for child in _child_trees(node):
        if child.data == "attribute":
            name_node, expr = _child_trees(child)
            attributes.append(Entry(_name(name_node), _first_line(child), _value(expr, text)))
        elif child.data == "block":
            blocks.append(_block(child, text))
    return Body(tuple(attributes), tuple(blocks))


def _block(node: Tree[Token], text: str) -> Block:
    parts = [c for c in _child_trees(node) if c.data != "new_line_or_comment"]
    *head, body = parts
    labels: list[str] = []
    for label in head[1:]:
        if label.data == "string":
            labels.append(_plain_string(label) or "")
        else:
            labels.append(_name(label))
    return Block(_name(head[0]), tuple(labels), _first_line(node), _body(body, text))


def _name(node: Tree[Token]) -> str:
    """The text of an identifier, keyword or literal_value node."""
    return "".join(str(t) for t in node.scan_values(lambda v: isinstance(v, Token)))


def _tokens(node: Tree[Token]) -> list[Token]:
    return [
        t
        for t in node.scan_values(lambda v: isinstance(v, Token))
        if t.type != "NL_OR_COMMENT" and t.start_pos is not None
    ]


def _first_line(node: Tree[Token]) -> int:
    # Attributes and blocks start with their name, so the rule's own position is the name's.
    line = getattr(node.meta, "line", None) if not node.meta.empty else None
    return int(line) if line else 1


def _span(node: Tree[Token], text: str) -> tuple[int, int, int, int]:
    tokens = _tokens(node)
    first, last = tokens[0], tokens[-1]
    start = int(first.start_pos or 0)
    end = int(last.end_pos or start)
    end_line = int(last.end_line or last.line or 1)
    if last.type.startswith("HEREDOC_TEMPLATE"):
        # The heredoc token swallows the newline after its closing marker.
        end = start + len(text[start:end].rstrip("\r\n"))
        end_line -= 1
    return start, end, int(first.line or 1), end_line


def _unwrap(node: Tree[Token]) -> Tree[Token]:
    while node.data == "expr_term":
        inner = node.children
        trees = [c for c in inner if isinstance(c, Tree)]
        if len(inner) != 1 or len(trees) != 1:
            break  # a parenthesised expression: keep as an opaque expression
        node = trees[0]
    return node


def _value(expr: Tree[Token], text: str) -> Value:
    start, end, line, end_line = _span(expr, text)
    tokens = _tokens(expr)
    has_text = any(t.type in _TEXT_TOKENS for t in tokens)
    node = _unwrap(expr)

    def make(
        kind: ValueKind,
        literal: Any = None,
        is_literal: bool = False,
        items: tuple[Entry, ...] = (),
    ) -> Value:
        return Value(kind, start, end, line, end_line, literal, is_literal, has_text, items)

    data = node.data
    if data == "string":
        plain = _plain_string(node)
        if plain is None:
            return make("template", items=_nested_items(node, text))
        return make("string", plain, True)
    if data in ("heredoc_template", "heredoc_template_trim"):
        return make("heredoc")
    if data in ("int_lit", "float_lit"):
        number = _number(str(node.children[0]))
        return make("number", number, number is not None)
    if data == "unary_op":
        op, operand = node.children[0], node.children[1]
        if isinstance(op, Token) and op.type == "MINUS" and isinstance(operand, Tree):
            inner = _unwrap(operand)
            if inner.data in ("int_lit", "float_lit"):
                number = _number(str(inner.children[0]))
                if number is not None:
                    return make("number", -number, True)
        return make("expression", items=_nested_items(node, text))
    if data == "literal_value":
        word = _name(node)
        if word == "null":
            return make("null", None, True)
        return make("bool", word == "true", True)
    if data == "tuple":
        elements = tuple(
            Entry(None, v.line, v)
            for v in (
                _value(c, text) for c in _child_trees(node) if c.data != "new_line_or_comment"
            )
        )
        if all(e.value.is_literal for e in elements):
            return make("tuple", [e.value.literal for e in elements], True, elements)
        return make("tuple", items=elements)
    if data == "object":
        items = tuple(_object_elem(c, text) for c in _child_trees(node) if c.data == "object_elem")
        if all(i.name is not None and i.value.is_literal for i in items):
            return make("object", {i.name: i.value.literal for i in items}, True, items)
        return make("object", items=items)
    return make("expression", items=_nested_items(node, text))


def _nested_items(node: Tree[Token], text: str) -> tuple[Entry, ...]:
    """The entries of the outermost objects and tuples inside a non-literal expression."""
    found: list[Entry] = []
    for child in _child_trees(node):
        inner = _unwrap(child)
        if inner.data in ("object", "tuple"):
            found.extend(_value(child, text).items)
        else:
            found.extend(_nested_items(inner, text))
    return tuple(found)


def _object_elem(node: Tree[Token], text: str) -> Entry:
    key_node, value_node = _child_trees(node)
    key = _unwrap(_child_trees(key_node)[0]) if _child_trees(key_node) else key_node
    if key.data in ("identifier", "keyword", "literal_value", "object_elem_key"):
        name: str | None = _name(key)
    elif key.data == "string":
        name = _plain_string(key)
    else:
        name = None
    return Entry(name, _first_line(node), _value(value_node, text))


def _plain_string(node: Tree[Token]) -> str | None:
    """The value of a quoted string without interpolations or directives, else None."""
    pieces: list[str] = []
    for part in _child_trees(node):
        content = part.children[0] if part.children else None
        if not isinstance(content, Token):
            return None
        if content.type == "STRING_CHARS":
            pieces.append(process_escape_sequences(str(content)))
        elif content.type in _ESCAPE_MARKERS:
            # "$${" and "%%{" spell a literal "${" and "%{".
            pieces.append(str(content)[1:])
        else:
            return None
    return "".join(pieces)


def _number(raw: str) -> int | float | None:
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        return float(raw)
    except ValueError:
        return None
