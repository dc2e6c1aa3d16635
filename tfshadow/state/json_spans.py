"""JSON text parsed with the span of every value, so that a value can be edited in place.

``json.loads`` drops positions. Sealing secrets in ``.tf.json`` and ``.tfvars.json`` files
(:mod:`tfshadow.state.config_seal`) and taking sealed assignments out of them again
(:mod:`tfshadow.revert.materialise`) both replace spans of the text, so the rest of the file keeps
its formatting.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Member", "Node", "parse"]

_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class Member:
    """One member of a JSON object."""

    key: str
    start: int
    """Where the member begins: the key's opening quote."""
    value: Node


@dataclass(frozen=True)
class Node:
    """One JSON value: ``text[start:end]`` spells it and ``value`` is what it decodes to."""

    start: int
    end: int
    value: Any
    members: tuple[Member, ...] = ()
    """An object's members, in the order of the text (a repeated key appears each time)."""
    items: tuple[Node, ...] = ()
    """An array's items."""

    def contains(self, position: int) -> bool:
        """Whether ``position`` lies within the value's text."""
        return self.start <= position < self.end

    def children(self) -> Iterator[tuple[str | None, Node]]:
        """``(key, node)`` for an object's members, ``(None, node)`` for an array's items."""
        for member in self.members:
            yield member.key, member.value
        for item in self.items:
            yield None, item


def parse(text: str) -> Node:
    """The JSON document in ``text`` with the span of every value; ValueError if invalid."""
    try:
        node, end = _node(text, _skip(text, 0))
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if _skip(text, end) != len(text):
        raise ValueError("trailing data")
    return node


def _skip(text: str, position: int) -> int:
    """The position after any JSON whitespace at ``position``."""
    while position < len(text) and text[position] in " \t\n\r":
        position += 1
    return position


def _node(text: str, start: int) -> tuple[Node, int]:
    opener = text[start : start + 1]
    if opener not in ("{", "["):
        value, end = _DECODER.raw_decode(text, start)
        return Node(start, end, value), end
    closer = "}" if opener == "{" else "]"
    members: list[Member] = []
    items: list[Node] = []
    position = _skip(text, start + 1)
    if text[position : position + 1] == closer:
        return Node(start, position + 1, {} if opener == "{" else []), position + 1
    while True:
        if opener == "{":
            key_start = position
            if text[position : position + 1] != '"':
                raise ValueError("expected a key")
            key, position = _DECODER.raw_decode(text, position)
            position = _skip(text, position)
            if text[position : position + 1] != ":":
                raise ValueError("expected ':'")
            child, position = _node(text, _skip(text, position + 1))
            members.append(Member(key, key_start, child))
        else:
            child, position = _node(text, position)
            items.append(child)
        position = _skip(text, position)
        following = text[position : position + 1]
        if following == ",":
            position = _skip(text, position + 1)
        elif following == closer:
            break
        else:
            raise ValueError("expected ',' or a closing bracket")
    whole: Any = (
        {m.key: m.value.value for m in members} if opener == "{" else [n.value for n in items]
    )
    return Node(start, position + 1, whole, tuple(members), tuple(items)), position + 1
