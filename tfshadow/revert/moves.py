"""Objects that moved since version N, moved back by a revert instead of destroyed and recreated.

Version N's configuration declares an object at the address it had then; after a ``moved`` block
or a ``state mv`` the state holds it at another one. Planned as is, Terraform would destroy the
object (its address is no longer configured) and create an empty one at N's address: the object
and its data would be lost though nothing about it needs to change. So the scratch copy gets a
file of ``moved`` blocks taking each such object back to N's address, as the user would have
written; Terraform's plan then shows "has moved to", and applies it with the rest.

A move is one object at an address gone since N and at an address N did not have, of the same
type with the same id (:func:`tfshadow.state.changes.compare_states`). Two statements moving
objects to one address are an error to Terraform, so where N's own ``moved`` blocks lead to N's
address the object is moved to the start of their chain, and a move whose current address N's
blocks name is left out, as is one from inside a module N's blocks move whole (Terraform moves
it with the module; a statement of its own would clash with theirs). With ``-target`` only the
moves of objects targeted at either address are written, and their other address is targeted
too: Terraform refuses to plan a move whose addresses are not all targeted. N's own ``moved``
blocks are read the same way under ``-target`` (:func:`targeted_declared_moves`): one that moves
a live object targeted at either end has its other end targeted too, and one that moves only
objects targeted at neither end is taken out of the scratch copy, so the object stays where it
is, untouched, as a targeted revert leaves everything it does not target.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tfshadow.settings import hcl
from tfshadow.state.addresses import is_targeted, resource_of
from tfshadow.state.changes import compare_states, under_any

__all__ = ["MOVES_NAME", "moves_back", "moves_file", "targeted_declared_moves"]

MOVES_NAME = "tfshadow_revert_moves.tf"


def moves_back(
    live: Mapping[str, Any] | None, target: Mapping[str, Any], files: Mapping[str, bytes]
) -> dict[str, str]:
    """``{current address: address to move it to}`` for the objects a revert to N moves back.

    Where N's own ``moved`` blocks already lead to N's address (``a`` to ``b``), the object goes
    to the start of that chain (``c`` to ``a``), which Terraform follows on to ``b``: a second
    statement moving something to ``b`` would be ambiguous to it.
    """
    if live is None:
        return {}
    moved = [
        (change.moved_from, change.address)
        for change in compare_states(live, target).resources
        if change.moved_from is not None
    ]
    # Most reverts move nothing: N's files are parsed only when something moved.
    declared = _declared_moves(files) if moved else None
    if declared is None:
        return {}
    sources = {to: source for source, to in declared}
    endpoints = {end for move in declared for end in move}
    named = endpoints | {resource_of(end) for end in endpoints}
    modules = {source for source, _ in declared if source.startswith("module.")}
    moves: dict[str, str] = {}
    for origin, destination in moved:
        if origin in named or resource_of(origin) in named:
            continue
        if any(origin.startswith((module + ".", module + "[")) for module in modules):
            continue
        seen = {destination}
        while destination in sources and sources[destination] not in seen:
            destination = sources[destination]
            seen.add(destination)
        moves[origin] = destination
    return moves


def moves_file(moves: Mapping[str, str]) -> bytes:
    """HCL ``moved`` blocks for ``moves`` (addresses as the state writes them: valid HCL)."""
    blocks = [
        f"moved {{\n  from = {source}\n  to   = {target}\n}}\n"
        for source, target in sorted(moves.items())
    ]
    return "\n".join(blocks).encode()


def _declared_moves(files: Mapping[str, bytes]) -> list[tuple[str, str]] | None:
    """The ``(from, to)`` addresses of N's root ``moved`` blocks, as written; None when a root
    file cannot be read for them (then no move is added: better none than a clash).
    """
    found: list[tuple[str, str]] = []
    for name, data in files.items():
        if "/" in name:
            continue  # a module's blocks speak of its own addresses
        if name.endswith(".tf.json"):
            if b'"moved"' in data:
                return None
            continue
        if not name.endswith(".tf"):
            continue
        try:
            text = data.decode("utf-8")
            body = hcl.parse(text)
        except (UnicodeDecodeError, hcl.HclSyntaxError):
            return None
        for block in body.blocks_of("moved"):
            source, to = block.body.attribute("from"), block.body.attribute("to")
            if source is None or to is None:
                return None
            found.append(
                (
                    text[source.value.start : source.value.end],
                    text[to.value.start : to.value.end],
                )
            )
    return found


def targeted_declared_moves(
    files: Mapping[str, bytes], live: Mapping[str, Any] | None, targets: Sequence[str]
) -> tuple[dict[str, list[tuple[int, int]]], list[str]]:
    """For a revert to N with ``targets``: the line spans (1-based, inclusive) of N's root
    ``moved`` blocks to take out, by file, and the addresses to target besides ``targets``.

    A block matters only where a live object is at (or inside) its ``from``. Targeted at neither
    end, it is taken out; at one end, its other end is targeted. A block that cannot be read
    for its lines is left as it is (Terraform then says what it wants).
    """
    live_addresses = list((live or {}).get("resources") or {})
    drop: dict[str, list[tuple[int, int]]] = {}
    more: list[str] = []
    for name, data in files.items():
        if "/" in name or not name.endswith(".tf"):
            continue
        try:
            text = data.decode("utf-8")
            body = hcl.parse(text)
        except (UnicodeDecodeError, hcl.HclSyntaxError):
            continue
        for block in body.blocks_of("moved"):
            source, to = block.body.attribute("from"), block.body.attribute("to")
            if source is None or to is None or not block.end_line:
                continue
            ends = (
                text[source.value.start : source.value.end],
                text[to.value.start : to.value.end],
            )
            moving = [a for a in live_addresses if under_any(a, [ends[0]])]
            if not moving:
                continue
            if any(is_targeted(end, targets) for end in ends) or any(
                is_targeted(a, targets) for a in moving
            ):
                more.extend(end for end in ends if not is_targeted(end, targets))
            else:
                drop.setdefault(name, []).append((block.line, block.end_line))
    return drop, list(dict.fromkeys(more))
