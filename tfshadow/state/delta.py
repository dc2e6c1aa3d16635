"""Structural deltas between canonical documents, and their integrity hashes.

A delta is keyed: at the top two levels of a document (the document itself, then e.g. its
``resources`` mapping keyed by address) unchanged keys are skipped with a cheap comparison first
and only changed values are handed to jsondiff. Diffing Terraform's raw ``resources`` list
instead is quadratic and meaningless when order changes.

jsondiff is used with three corrections, each caught by tests/unit/state/test_delta.py:

* it compares leaves with ``==``, for which ``True == 1 == 1.0`` and ``0.0 == -0.0``; a value
  changing between those would be lost, so leaves of different JSON types always differ here;
* its list diff is an LCS over every pair of elements, quadratic in time (3.9 s for a
  2,000-line file); long lists are matched with :class:`difflib.SequenceMatcher` instead and
  emitted in jsondiff's own syntax;
* its list positions are integer keys, which JSON cannot carry next to ``$insert``; they are
  written as strings, which jsondiff's patch accepts.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
from typing import Any

import jsondiff
import orjson

DELTA_FORMAT = 1
_KEYED_DEPTH = 2
# Lists up to this many element pairs get jsondiff's exhaustive (and better) matching.
_EXHAUSTIVE_PAIRS = 4096
# orjson reads integers beyond 64 bits as floats, silently; any number that long has 19 digits.
_LONG_DIGITS_BYTES = re.compile(rb"[0-9]{19}")
_LONG_DIGITS_STR = re.compile(r"[0-9]{19}")


def dumps(doc: Any) -> bytes:
    """Canonical bytes of a JSON document: sorted keys, compact, UTF-8."""
    try:
        return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        # orjson refuses integers beyond 64 bits; the standard module does not.
        return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def loads(data: bytes | str) -> Any:
    """The document in JSON text; integers of any size stay exact integers."""
    long_digits = (
        _LONG_DIGITS_STR.search(data) if isinstance(data, str) else _LONG_DIGITS_BYTES.search(data)
    )
    if long_digits is None:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data)


def sha256_hex(doc: Any) -> str:
    """The SHA-256 of ``dumps(doc)``, in hex."""
    return hashlib.sha256(dumps(doc)).hexdigest()


def diff(a: Any, b: Any) -> dict[str, Any]:
    """A JSON-serialisable delta that turns ``a`` into ``b`` under :func:`patch`."""
    ops = _diff(a, b, _KEYED_DEPTH)
    return {"format": DELTA_FORMAT, "ops": {"same": True} if ops is None else ops}


def patch(a: Any, delta: dict[str, Any]) -> Any:
    """``a`` with ``delta`` applied. ``a`` is not modified; the result shares unchanged parts."""
    if delta.get("format") != DELTA_FORMAT:
        raise ValueError(f"unsupported delta format {delta.get('format')!r}")
    return _patch(a, delta["ops"])


def _diff(a: Any, b: Any, depth: int) -> dict[str, Any] | None:
    """The ops turning ``a`` into ``b``, or None when they are the same document."""
    if depth > 0 and type(a) is dict and type(b) is dict:
        removed = [k for k in a if k not in b]
        added = {k: b[k] for k in b if k not in a}
        changed = {}
        for k, value in a.items():
            if k in b:
                sub = _diff(value, b[k], depth - 1)
                if sub is not None:
                    changed[k] = sub
        if not (removed or added or changed):
            return None
        ops: dict[str, Any] = {}
        if removed:
            ops["remove"] = removed
        if added:
            ops["add"] = added
        if changed:
            ops["change"] = changed
        return {"keyed": ops}
    if _same(a, b):
        return None
    return {"jsondiff": _string_keys(_DIFFER.diff(a, b))}


def changed_keys(change: Any, section: str) -> frozenset[str] | None:
    """The keys of a document's ``section`` mapping (``resources``: instance addresses) whose
    values the delta ``change`` removes, adds or changes: every other key keeps the same
    value. None when the delta does not name them (the section appeared, went, or was not a
    mapping on one side)."""
    ops = change.get("ops") if isinstance(change, dict) else None
    if not isinstance(ops, dict):
        return None
    if "keyed" not in ops:
        return frozenset() if ops.get("same") is True else None
    keyed = ops["keyed"]
    if section in keyed.get("remove", ()) or section in keyed.get("add", {}):
        return None
    inner = keyed.get("change", {}).get(section)
    if inner is None:
        return frozenset()
    if not isinstance(inner, dict) or not isinstance(inner.get("keyed"), dict):
        return None
    named = inner["keyed"]
    return frozenset([*named.get("remove", ()), *named.get("add", {}), *named.get("change", {})])


def _patch(a: Any, ops: dict[str, Any]) -> Any:
    if "keyed" in ops:
        keyed = ops["keyed"]
        out = dict(a)
        for k in keyed.get("remove", ()):
            del out[k]
        for k, sub in keyed.get("change", {}).items():
            out[k] = _patch(a[k], sub)
        out.update(keyed.get("add", {}))
        return out
    if ops.get("same"):
        return a
    return _DIFFER.patch(a, ops["jsondiff"])


def _same(a: Any, b: Any) -> bool:
    """Whether two documents are the same JSON, where ``True``, ``1`` and ``1.0`` differ."""
    if a is b:
        return True
    # Unsorted bytes settle the usual case, both sides in the same key order, in one C pass.
    if _fast_bytes(a) == _fast_bytes(b):
        return True
    if a != b:
        return False
    # Equal under `==`: the key order differs, or a value changed JSON type (1 -> true).
    return dumps(a) == dumps(b)


def _fast_bytes(doc: Any) -> bytes:
    try:
        return orjson.dumps(doc)
    except TypeError:
        return dumps(doc)


def _string_keys(d: Any) -> Any:
    if isinstance(d, dict):
        return {k if isinstance(k, str) else str(k): _string_keys(v) for k, v in d.items()}
    if isinstance(d, list | tuple):
        return [_string_keys(v) for v in d]
    return d


def _same_kind(a: Any, b: Any) -> bool:
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is float and a == b:
        return math.copysign(1.0, a) == math.copysign(1.0, b)
    return True


def _element_key(value: Any) -> Any:
    # Hashable and type-exact: a string stands for itself, anything else for its JSON bytes.
    return value if type(value) is str else dumps(value)


class _StrictDiffer(jsondiff.JsonDiffer):  # type: ignore[misc]
    # jsondiff's list diff compares each pair of elements twice (to fill its LCS table, then to
    # walk it back), so a value nested in N lists is compared 2**N times: a 12-deep value took
    # a minute to record. Each pair's result is kept for the rest of one diff: the documents
    # are not changed meanwhile, and each pair is kept alive with its result, so an object's id
    # stands for it.
    _seen: dict[tuple[int, int], tuple[tuple[Any, float], Any, Any]] | None = None

    def diff(self, a: Any, b: Any, fp: Any = None, exclude_paths: Any = None) -> Any:
        self._seen = {}
        try:
            return super().diff(a, b, fp, exclude_paths)
        finally:
            self._seen = None

    def _obj_diff(
        self, a: Any, b: Any, exclude_paths: Any = None, path: str = ""
    ) -> tuple[Any, float]:
        if a is not b and not _same_kind(a, b):
            return self.options.syntax.emit_value_diff(a, b, 0.0), 0.0
        if self._seen is None or not isinstance(a, list | dict):
            return super()._obj_diff(a, b, exclude_paths, path)  # type: ignore[no-any-return]
        key = (id(a), id(b))
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = (super()._obj_diff(a, b, exclude_paths, path), a, b)
        return found[0]

    def _list_diff(self, x: list[Any], y: list[Any]) -> tuple[Any, float]:
        if len(x) * len(y) <= _EXHAUSTIVE_PAIRS:
            return super()._list_diff(x, y)  # type: ignore[no-any-return]
        inserted: list[tuple[int, Any]] = []
        deleted: list[tuple[int, Any]] = []
        changed: dict[int, Any] = {}
        total = 0.0
        matcher = difflib.SequenceMatcher(
            None, [_element_key(v) for v in x], [_element_key(v) for v in y], autojunk=False
        )
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                total += i2 - i1
                continue
            # Pair up the elements of a replaced run: a changed object is usually still
            # "the same" element, and a nested delta is smaller than a new copy.
            paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
            for k in range(paired):
                sub, score = self._obj_diff(x[i1 + k], y[j1 + k])
                if score > 0:
                    changed[j1 + k] = sub
                    total += score
                else:
                    deleted.append((i1 + k, x[i1 + k]))
                    inserted.append((j1 + k, y[j1 + k]))
            deleted.extend((i, x[i]) for i in range(i1 + paired, i2))
            inserted.extend((j, y[j]) for j in range(j1 + paired, j2))
        # jsondiff's patch deletes in the order given, so from the end; inserts from the start.
        deleted.sort(key=lambda item: -item[0])
        inserted.sort(key=lambda item: item[0])
        count = len(x) + len(inserted)
        score = total / count if count else 1.0
        return self.options.syntax.emit_list_diff(x, y, score, inserted, changed, deleted), score


_DIFFER = _StrictDiffer(syntax="compact", marshal=True)
