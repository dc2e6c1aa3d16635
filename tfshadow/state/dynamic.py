"""Recognising a dynamically typed value as Terraform stores it in state.

An attribute of dynamic type (``terraform_data.input``) is stored as
``{"value": …, "type": <cty type>}``; plan JSON and ``terraform state show`` write the value
plainly. This module imports nothing of tfshadow: the change model
(:mod:`tfshadow.state.changes`) imports the secret choke point (:mod:`tfshadow.state.redact`), and
both need this test.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = ["is_dynamic"]

_CTY_PRIMITIVES: Final = frozenset({"string", "number", "bool", "dynamic"})
_CTY_COLLECTIONS: Final = frozenset({"list", "set", "map", "object", "tuple"})
_WRAPPER_KEYS: Final = frozenset({"value", "type"})


def is_dynamic(value: Any) -> bool:
    """Whether ``value`` is a dynamically typed value as Terraform stores it in state.

    That is exactly the keys ``value`` and ``type``, the type being a cty type in its JSON form:
    a primitive's name, or a list starting with a collection kind. The list may be longer than
    two: an object type with optional attributes is ``["object", {…}, ["name", …]]``.
    """
    # The length test first: redaction asks this of every object in a state.
    if not isinstance(value, Mapping) or len(value) != 2 or value.keys() != _WRAPPER_KEYS:
        return False
    cty = value["type"]
    if isinstance(cty, str):
        return cty in _CTY_PRIMITIVES
    # Checked to be a string first: user data shaped like a wrapper can hold anything there,
    # and an unhashable kind would make the set lookup raise.
    return (
        isinstance(cty, list)
        and len(cty) >= 2
        and isinstance(cty[0], str)
        and cty[0] in _CTY_COLLECTIONS
    )
