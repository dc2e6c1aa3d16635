from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import jsondiff
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench import generate as bench_generate
from tfshadow.state import delta, normalise

REPO = Path(__file__).parents[3]


def same(a: Any, b: Any) -> bool:
    # `==` says True == 1 == 1.0 and 0.0 == -0.0; JSON does not.
    return delta.dumps(a) == delta.dumps(b)


# jsondiff's own markers and their escaped forms, as keys and as values.
MARKERS = ["$insert", "$delete", "$replace", "$add", "$discard", "$update", "$$insert", "$", "$$"]
keys = st.one_of(st.sampled_from([*MARKERS, "a", "b", "0", "1", ""]), st.text(max_size=6))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 1, 0.0, -0.0, 1.0, True, False, "", *MARKERS]),
    st.text(max_size=8),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=6),
        st.dictionaries(keys, children, max_size=6),
    ),
    max_leaves=30,
)


def mutate(doc: Any, data: st.DataObject) -> Any:
    """A document near ``doc``: most deltas are between versions that differ a little."""
    if isinstance(doc, dict) and doc and data.draw(st.booleans()):
        out = dict(doc)
        key = data.draw(st.sampled_from(sorted(out)))
        out[key] = mutate(out[key], data)
        return out
    if isinstance(doc, list) and doc and data.draw(st.booleans()):
        out_list = list(doc)
        i = data.draw(st.integers(0, len(out_list) - 1))
        action = data.draw(st.sampled_from(["change", "insert", "delete"]))
        if action == "change":
            out_list[i] = mutate(out_list[i], data)
        elif action == "insert":
            out_list.insert(i, data.draw(documents))
        else:
            del out_list[i]
        return out_list
    return data.draw(documents)


def check_round_trip(a: Any, b: Any) -> None:
    a_before, b_before = copy.deepcopy(a), copy.deepcopy(b)
    d = delta.diff(a, b)
    assert same(a, a_before) and same(b, b_before), "diff changed its inputs"

    assert same(delta.patch(a, d), b)
    assert same(a, a_before), "patch changed its input"

    reloaded = delta.loads(delta.dumps(d))
    assert same(delta.patch(a, reloaded), b)
    assert same(a, a_before), "patch changed its input"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, documents)
def test_delta_round_trips_unrelated_documents(a: Any, b: Any) -> None:
    check_round_trip(a, b)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.data())
def test_delta_round_trips_nearby_documents(a: Any, data: st.DataObject) -> None:
    check_round_trip(a, mutate(a, data))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys, documents, max_size=5), st.data())
def test_delta_round_trips_state_shaped_documents(resources: Any, data: st.DataObject) -> None:
    a = {"format": 1, "serial": 1, "resources": resources, "outputs": {}}
    b = {"format": 1, "serial": 2, "resources": mutate(resources, data), "outputs": {}}
    check_round_trip(a, b)


small_elements = st.one_of(
    scalars,
    st.dictionaries(st.sampled_from(["a", "b", "$insert"]), scalars, max_size=3),
    st.lists(scalars, max_size=3),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(small_elements, min_size=65, max_size=150), st.data())
def test_delta_round_trips_long_lists(a: list[Any], data: st.DataObject) -> None:
    # Long lists are matched differently from short ones; edit a few places, like a file edit.
    b = list(a)
    for _ in range(data.draw(st.integers(1, 6))):
        i = data.draw(st.integers(0, len(b) - 1))
        action = data.draw(st.sampled_from(["change", "insert", "delete"]))
        if action == "change":
            b[i] = mutate(b[i], data)
        elif action == "insert":
            b.insert(i, data.draw(small_elements))
        else:
            del b[i]
    check_round_trip(a, b)
    check_round_trip({"files": {"main.tf": a}}, {"files": {"main.tf": b}})


def test_delta_of_a_long_file_is_fast_and_line_based() -> None:
    before = [f"line {i}\n" if i % 7 else "}\n" for i in range(5000)]
    after = [*before[:100], "inserted\n", *before[100:2500], "changed\n", *before[2501:]]
    started = time.perf_counter()
    d = delta.diff({"lines": before}, {"lines": after})
    assert time.perf_counter() - started < 2.0
    assert len(delta.dumps(d)) < 200
    assert delta.patch({"lines": before}, delta.loads(delta.dumps(d))) == {"lines": after}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"x": 1}, {"x": True}),
        ({"x": True}, {"x": 1}),
        ({"x": 1}, {"x": 1.0}),
        ({"x": 0.0}, {"x": -0.0}),
        ([1, 2, 3], [True, 2, 3]),
        ({"r": {"a": {"v": 0}}}, {"r": {"a": {"v": False}}}),
        ({"r": [1, 2]}, {"r": {"$insert": [[0, 5]]}}),
        ({"$delete": ["x"]}, {"$delete": ["y"], "$replace": 1}),
        ([0, 1, 2, 3, 4, 5], [0, "$insert", 2, 3, 9, 5, 6]),
        ({"k": [{"a": 1}, {"b": 2}]}, {"k": [{"a": 1}, {"b": 3}, {"c": 4}]}),
        ({"k": 2**80}, {"k": 2**80 + 1}),
        (None, {}),
        ({}, []),
    ],
)
def test_delta_round_trips_type_changes_and_markers(a: Any, b: Any) -> None:
    check_round_trip(a, b)


def test_delta_of_equal_documents_changes_nothing() -> None:
    doc = {"resources": {"a": {"x": [1, {"y": 2}]}}, "serial": 1}
    d = delta.diff(doc, copy.deepcopy(doc))
    assert same(delta.patch(doc, d), doc)
    assert len(delta.dumps(d)) < 64


def test_delta_rejects_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="unsupported delta format"):
        delta.patch({}, {"format": 99, "ops": {}})


def test_delta_dumps_is_canonical_and_loads_back() -> None:
    doc = {"b": [1, 2.5, None, True], "a": {"z": "é", "y": 2**80}}
    assert delta.dumps(doc) == delta.dumps(dict(reversed(list(doc.items()))))
    assert delta.loads(delta.dumps(doc)) == doc
    assert delta.sha256_hex(doc) == delta.sha256_hex(delta.loads(delta.dumps(doc)))


def test_delta_of_generated_state_churn_is_small_and_round_trips() -> None:
    gen = bench_generate
    raw = gen.generate_state(1000, seed=3)
    before = normalise.canonicalise(raw)
    after = normalise.canonicalise(gen.churn(raw, 0.01, seed=4))
    assert not same(before, after)

    d = delta.diff(before, after)
    encoded = delta.dumps(d)
    assert len(encoded) < 0.05 * len(delta.dumps(before))
    assert same(delta.patch(before, delta.loads(encoded)), after)
    assert same(normalise.to_raw_state(delta.patch(before, d)), normalise.to_raw_state(after))


def test_delta_of_a_deeply_nested_value_compares_each_pair_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A value nested in 16 lists: jsondiff's list diff compares each pair of elements twice,
    # 2**16 comparisons, unless each pair's result is kept.
    def nested(leaf: str) -> Any:
        value: Any = [leaf, {"k": leaf}]
        for level in range(16):
            value = [value] if level % 2 else {"l": [value]}
        return value

    calls = 0
    real = jsondiff.JsonDiffer._obj_diff

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(jsondiff.JsonDiffer, "_obj_diff", counted)
    a = {"resources": {"t.a": {"attributes": {"input": nested("1")}}}}
    b = {"resources": {"t.a": {"attributes": {"input": nested("2")}}}}

    change = delta.diff(a, b)

    assert delta.patch(a, change) == b
    assert calls < 200
