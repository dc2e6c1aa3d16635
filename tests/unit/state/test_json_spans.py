from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tfshadow.state import json_spans

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=10,
)


def test_parse_spans_spell_each_value() -> None:
    text = ' {"a": [1, {"b": "x"}],\n  "c": null } '
    tree = json_spans.parse(text)
    assert text[tree.start : tree.end] == '{"a": [1, {"b": "x"}],\n  "c": null }'
    a, c = tree.members
    assert (a.key, text[a.start : a.value.end]) == ("a", '"a": [1, {"b": "x"}]')
    assert [text[i.start : i.end] for i in a.value.items] == ["1", '{"b": "x"}']
    assert (c.key, c.value.value) == ("c", None)
    assert tree.value == {"a": [1, {"b": "x"}], "c": None}


def test_parse_children_keys_members_and_not_items() -> None:
    tree = json_spans.parse('{"k": [true, 2]}')
    [(key, array)] = list(tree.children())
    assert key == "k"
    assert [(k, n.value) for k, n in array.children()] == [(None, True), (None, 2)]


def test_parse_contains_covers_the_value_only() -> None:
    text = '{"k": "v"}'
    value = json_spans.parse(text).members[0].value
    assert [i for i in range(len(text)) if value.contains(i)] == [6, 7, 8]


@pytest.mark.parametrize(
    "text", ["", "{", '{"a" 1}', '{"a": 1 "b": 2}', "{1: 2}", "[1,]", "1 2", "[" * 100_000]
)
def test_parse_invalid_raises_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        json_spans.parse(text)


@given(JSON)
def test_parse_value_matches_json_loads(value: object) -> None:
    for text in (json.dumps(value), json.dumps(value, indent=2)):
        assert json_spans.parse(text).value == json.loads(text)
