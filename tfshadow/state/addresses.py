"""Which resource instances an address names, as Terraform's ``-target`` reads it."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ANY_KEY",
    "any_key_pattern",
    "is_targeted",
    "matches_pattern",
    "resource_of",
    "split_address",
    "without_keys",
]


def is_targeted(address: str, targets: Sequence[str]) -> bool:
    """Whether ``address`` is one of ``targets`` or inside one, as ``terraform -target`` reads.

    ``module.db`` holds ``module.db.x.y`` and ``module.db[0].x.y``; ``aws_instance.web`` holds
    ``aws_instance.web[0]``; any address holds its deposed objects. No targets hold everything.
    """
    if not targets:
        return True
    for target in targets:
        if address == target:
            return True
        if address.startswith(target) and address[len(target)] in ".[ ":
            return True
    return False


def split_address(address: str) -> list[str]:
    """The parts of ``address`` between its dots, a dot inside brackets or quotes kept:
    ``module.db["a.b"].x.y`` → ``module``, ``db["a.b"]``, ``x``, ``y``."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    quoted = False
    escaped = False
    for char in address:
        if quoted:
            current.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
            continue
        if char == '"':
            quoted = True
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "." and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def resource_of(address: str) -> str:
    """The resource an instance address belongs to, its last instance key taken out:
    ``module.m["a"].aws_instance.web[0]`` is ``module.m["a"].aws_instance.web`` (a module
    instance's resources are not another's)."""
    *path, last = split_address(address)
    return ".".join([*path, last.split("[", 1)[0]])


def without_keys(address: str) -> str:
    """``address`` with every instance key taken out, of its modules and of its resource:
    ``module.db["a"].x.y[0]`` is ``module.db.x.y``, as a ``removed`` block's ``from`` names all
    of them."""
    return ".".join(part.split("[", 1)[0] for part in split_address(address))


ANY_KEY = "[*]"
"""In an address pattern, any one instance key (no address holds it: keys are numbers or
quoted strings)."""


def any_key_pattern(address: str, variable: str) -> str:
    """``address`` with each instance key that refers to ``variable`` (``each``, as in an
    ``import`` block with ``for_each``) written :data:`ANY_KEY`: ``module.m[each.key].x.y`` is
    ``module.m[*].x.y``."""
    parts = []
    for part in split_address(address):
        name, bracket, key = part.partition("[")
        parts.append(name + ANY_KEY if bracket and f"{variable}." in key else part)
    return ".".join(parts)


def matches_pattern(address: str, pattern: str) -> bool:
    """Whether ``address`` is ``pattern``, where :data:`ANY_KEY` stands for any instance key."""
    if ANY_KEY not in pattern:
        return address == pattern
    here, wanted = split_address(address), split_address(pattern)
    if len(here) != len(wanted):
        return False
    for part, want in zip(here, wanted, strict=True):
        if want.endswith(ANY_KEY):
            name, bracket, _ = part.partition("[")
            if not bracket or name != want[: -len(ANY_KEY)]:
                return False
        elif part != want:
            return False
    return True
