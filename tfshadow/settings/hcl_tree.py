"""python-hcl2's Lark parse tree, walked into the model of :mod:`tfshadow.settings.hcl`.

The one module that imports python-hcl2's parser and Lark (imported when HCL is first parsed).
"""

from __future__ import annotations

from typing import Any

import hcl2
from hcl2.utils import process_escape_sequences
from lark import Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from tfshadow.settings.hcl import Block, Body, Entry, HclSyntaxError, Value, ValueKind

_TEXT_TOKENS = frozenset(
    {"STRING_CHARS", "HEREDOC_TEMPLATE", "HEREDOC_TEMPLATE_TRIM", "TEMPLATE_STRING"}
)
_ESCAPE_MARKERS = {"ESCAPED_INTERPOLATION": "$${", "ESCAPED_DIRECTIVE": "%%{"}


def parse_tree(text: str) -> Body:
    """See :func:`tfshadow.settings.hcl.parse`."""
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
    end_line = getattr(node.meta, "end_line", None) if not node.meta.empty else None
    return Block(
        _name(head[0]),
        tuple(labels),
        _first_line(node),
        _body(body, text),
        int(end_line) if end_line else _first_line(node),
    )


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
