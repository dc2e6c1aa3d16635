"""Filling the resource references of a metric template (a query, a dimension, a file path).

References::

    ${attr.NAME}        an attribute of the resource in the latest shadow version; a dotted path
                        reaches into maps and lists: ${attr.tags.Name},
                        ${attr.network_interface.0.private_ip}
    ${address}          the full instance address (module.net.aws_instance.web["a"])
    ${type} ${name}     the resource type and name
    ${workspace}        the Terraform workspace whose version the resource is of
    ${<extra>}          names the caller supplies, e.g. ${metric} for CSV paths
    $${                 a literal "${"

Map keys that contain a dot cannot be reached (the dot always separates steps). A value must be
a single string, number or boolean (booleans read ``true``/``false`` as in Terraform); a missing
attribute, a null, a map or list, and a sensitive value all stop with a :class:`MetricsError`:
metrics of the wrong resource are worse than none, and a secret must never end up in a query
string or a log.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tfshadow.errors import MetricsError
from tfshadow.metrics.base import ResourceRef
from tfshadow.state.dynamic import is_dynamic
from tfshadow.state.redact import is_sealed

_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_BUILTINS = ("address", "type", "name", "workspace")


def references(template: str) -> tuple[str, ...]:
    """The references of ``template`` (``attr.tags.Name``, ``address``…), in order, unescaped."""
    return tuple(m.group(1).strip() for m in _TOKEN.finditer(template) if m.group(1) is not None)


def fill(
    template: str,
    resource: ResourceRef,
    *,
    quote: Callable[[str], str] | None = None,
    extra: Mapping[str, str] | None = None,
) -> str:
    """``template`` with every reference replaced by the resource's value.

    ``quote`` escapes each substituted value for the language it lands in (PromQL strings,
    glob patterns…); the template's own text is left as written. ``extra`` adds variables.
    """
    variables = dict(extra or {})

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "$${":
            return "${"
        ref = match.group(1)
        if ref is None:
            raise MetricsError(
                f"unterminated ${{ in the metric template {template!r} for {resource.address}",
                "close the reference with }, or write $${ for a literal ${",
            )
        value = _resolve(ref.strip(), resource, variables, template)
        return quote(value) if quote is not None else value

    return _TOKEN.sub(replace, template)


def _resolve(ref: str, resource: ResourceRef, variables: Mapping[str, str], template: str) -> str:
    if ref == "address":
        return resource.address
    if ref == "type":
        return resource.type
    if ref == "name":
        return resource.name
    if ref == "workspace":
        return resource.workspace
    if ref in variables:
        return variables[ref]
    if ref.startswith("attr."):
        return _attribute(ref[len("attr.") :], resource)
    known = ", ".join("${" + n + "}" for n in ("attr.NAME", *_BUILTINS, *variables))
    raise MetricsError(
        f"unknown reference ${{{ref}}} in the metric template {template!r} for {resource.address}",
        f"use one of {known}",
    )


def _attribute(path: str, resource: ResourceRef) -> str:
    steps = path.split(".")
    if not path or any(not step for step in steps):
        raise MetricsError(
            f"empty attribute path in ${{attr.{path}}} for {resource.address}",
            "write ${attr.NAME}, or ${attr.a.b} to reach into maps and lists",
        )
    node: Any = resource.attributes
    for depth, step in enumerate(steps):
        done = ".".join(steps[:depth])
        if is_sealed(node):
            raise _sensitive(done, resource)
        node = _step(node, step)
        if node is _MISSING:
            raise MetricsError(
                f"{resource.address} has no attribute {'.'.join(steps[: depth + 1])} "
                f"(referenced as ${{attr.{path}}})",
                f"check the attribute path against `tfshadow state show "
                f"{shlex.quote(resource.address)}` "
                "or fix the template in tfshadow.hcl",
            )
    if isinstance(node, Mapping) and is_dynamic(node):
        node = node["value"]
    if is_sealed(node):
        raise _sensitive(path, resource)
    if node is None:
        raise MetricsError(
            f"attribute {path} of {resource.address} is null (referenced as ${{attr.{path}}})",
            "use an attribute that has a value in the latest shadow version",
        )
    if isinstance(node, bool):
        return "true" if node else "false"
    if isinstance(node, str | int | float):
        return str(node)
    kind = "a map" if isinstance(node, Mapping) else "a list"
    raise MetricsError(
        f"attribute {path} of {resource.address} is {kind}, not a single value",
        f"name one element, e.g. ${{attr.{path}.0}} or ${{attr.{path}.KEY}}",
    )


class _Missing:
    pass


_MISSING: Any = _Missing()


def _step(node: Any, step: str) -> Any:
    if isinstance(node, Mapping):
        found = node.get(step, _MISSING)
        if found is _MISSING and is_dynamic(node):
            # A dynamically typed attribute (terraform_data's input and output) is kept in the
            # state as {"value", "type"}; `terraform state show` shows only the value.
            inner = node["value"]
            return inner if is_sealed(inner) else _step(inner, step)
        return found
    if isinstance(node, Sequence) and not isinstance(node, str | bytes):
        if not (step.isascii() and step.isdigit()):
            return _MISSING
        index = int(step)
        return node[index] if index < len(node) else _MISSING
    return _MISSING


def _sensitive(path: str, resource: ResourceRef) -> MetricsError:
    return MetricsError(
        f"attribute {path} of {resource.address} is sensitive",
        "metric templates cannot use sensitive values; reference a non-sensitive attribute",
    )
