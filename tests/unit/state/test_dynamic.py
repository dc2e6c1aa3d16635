from __future__ import annotations

from typing import Any

import pytest

from tfshadow.state.dynamic import is_dynamic


@pytest.mark.parametrize(
    "value",
    [
        {"value": "x", "type": "string"},
        {"value": None, "type": "dynamic"},
        {"value": ["a"], "type": ["list", "string"]},
        {"value": {"a": 1}, "type": ["map", "number"]},
        {"value": {"a": 1}, "type": ["object", {"a": "number"}]},
        {"value": [1, "a"], "type": ["tuple", ["number", "string"]]},
        # cty's JSON for an object type with optional attributes has a third element.
        {"value": {"a": 1}, "type": ["object", {"a": "number"}, ["a"]]},
    ],
)
def test_is_dynamic_true_for_terraforms_wrapper(value: dict[str, Any]) -> None:
    assert is_dynamic(value)


@pytest.mark.parametrize(
    "value",
    [
        "string",
        ["value", "type"],
        {"value": "x"},
        {"value": "x", "type": "string", "extra": 1},
        {"value": "x", "kind": "string"},
        {"value": "x", "type": "text"},
        {"value": "x", "type": ["list"]},
        {"value": "x", "type": ["array", "string"]},
        {"value": "x", "type": None},
        # An object of the user's that only looks like a wrapper: no error either.
        {"value": None, "type": [[], None]},
        {"value": None, "type": [{"list": 1}, "string"]},
    ],
)
def test_is_dynamic_false_for_other_values(value: Any) -> None:
    assert not is_dynamic(value)
