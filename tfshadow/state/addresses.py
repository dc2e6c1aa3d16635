"""Which resource instances an address names, as Terraform's ``-target`` reads it."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["is_targeted"]


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
