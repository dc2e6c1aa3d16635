"""Which resource instances an address names, as Terraform's ``-target`` reads it."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["is_targeted", "split_address"]


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
