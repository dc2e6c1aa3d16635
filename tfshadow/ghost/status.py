"""Whether a ghost stands by or runs, read from a raw Terraform state.

A ghost's stopped and running declarations differ only in the adapter's switch; the state's
values at those places say which one Terraform last applied.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any


def raw_resources(raw: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    """Root-module resource attributes of a raw state, by ``TYPE.NAME``."""
    out: dict[str, Mapping[str, Any]] = {}
    for resource in (raw or {}).get("resources", []):
        if resource.get("module") or resource.get("mode") != "managed":
            continue
        instances = resource.get("instances") or []
        if instances:
            out[f"{resource['type']}.{resource['name']}"] = instances[0].get("attributes") or {}
    return out


def status(
    resources: Mapping[str, Mapping[str, Any]],
    stopped: Mapping[str, Any],
    running: Mapping[str, Any],
) -> str:
    # The two declarations differ only in the switch: the state's values there say which it is.
    seen: set[str] = set()
    for type_, bodies in stopped.get("resource", {}).items():
        for name, body in bodies.items():
            attributes = resources.get(f"{type_}.{name}")
            if attributes is None:
                return "absent"
            for path, stopped_value, running_value in differences(
                body, running["resource"][type_][name], ()
            ):
                value = lookup(attributes, path)
                if value == stopped_value:
                    seen.add("stopped")
                elif value == running_value:
                    seen.add("running")
                else:
                    seen.add("unknown")
    return seen.pop() if len(seen) == 1 else "unknown"


def differences(
    a: Any, b: Any, path: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], Any, Any]]:
    """Every place where ``a`` and ``b`` differ: (path, value in a, value in b)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in a.keys() | b.keys():
            yield from differences(a.get(key), b.get(key), (*path, key))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from differences(x, y, (*path, i))
    elif a != b:
        yield path, a, b


def lookup(value: Any, path: Sequence[str | int]) -> Any:
    """The value at ``path`` inside ``value``; None when the path leads nowhere."""
    for step in path:
        if isinstance(step, int) and isinstance(value, list) and step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict):
            value = value.get(step)
        else:
            return None
    return value
