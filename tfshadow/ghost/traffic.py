"""Traffic switches: what points at the ghost once it is activated.

A switch is written ``TARGET=ATTRIBUTE``: on activation, ``TARGET`` takes the ghost's
``ATTRIBUTE``. ``TARGET`` is one of

* ``output.NAME``: a root-module output (what a load balancer, a DNS job or a client reads);
* ``TYPE.NAME.ARGUMENT``: a top-level argument of a root-module resource, e.g. a DNS record's
  ``records``, a target-group attachment's ``target_id`` or a ``localcloud_network``'s
  ``target``.

``ATTRIBUTE`` is an attribute of the ghost (``private_ip``, ``id``, ``pid``…); written
``[ATTRIBUTE]`` it becomes a one-element list, as ``records`` of a DNS record expects.

The switch is a Terraform override file (see :mod:`tfshadow.ghost.config_file`), so the user's
configuration is not edited, and taking the override out (``tfshadow ghost disable``) puts the
traffic back on the original.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tfshadow.errors import GhostError

_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_OUTPUT = re.compile(rf"output\.({_NAME})\Z")
_ARGUMENT = re.compile(rf"({_NAME})\.({_NAME})\.({_NAME})\Z")
_ATTRIBUTE = re.compile(rf"(\[)?({_NAME})(\])?\Z")
_FORMS = "output.NAME=ATTRIBUTE or TYPE.NAME.ARGUMENT=ATTRIBUTE"


@dataclass(frozen=True)
class Switch:
    """``target`` takes the ghost's ``attribute`` (in a list when ``as_list``) on activation."""

    target: str
    attribute: str
    as_list: bool = False

    def __str__(self) -> str:
        value = f"[{self.attribute}]" if self.as_list else self.attribute
        return f"{self.target}={value}"


def parse(text: str) -> Switch:
    """A switch from its ``TARGET=ATTRIBUTE`` form; :class:`GhostError` when malformed."""
    target, sep, attribute = text.strip().partition("=")
    target, attribute = target.strip(), attribute.strip()
    if not sep or not target or not attribute:
        raise GhostError(f"traffic switch {text!r} is not TARGET=ATTRIBUTE", f"write {_FORMS}")
    if target.startswith("module."):
        raise GhostError(
            f"traffic switch {text!r} names a block inside a module",
            "switch a root-module output or resource argument (override files are per module)",
        )
    if not (_OUTPUT.match(target) or _ARGUMENT.match(target)):
        raise GhostError(f"traffic switch target {target!r} is not understood", f"write {_FORMS}")
    match = _ATTRIBUTE.match(attribute)
    if match is None or bool(match.group(1)) != bool(match.group(3)):
        raise GhostError(
            f"traffic switch value {attribute!r} is not an attribute name",
            "name one attribute of the ghost, e.g. private_ip, or [private_ip] for a list",
        )
    return Switch(target=target, attribute=match.group(2), as_list=bool(match.group(1)))


def check_declared(
    switches: Iterable[Switch], outputs: Collection[str], resources: Collection[str]
) -> None:
    """:class:`GhostError` for the first switch whose output or resource the root module does
    not declare (``outputs``: names; ``resources``: ``TYPE.NAME``): found before anything is
    applied, not by the plan of the activation."""
    for switch in switches:
        output = _OUTPUT.match(switch.target)
        if output is not None and output.group(1) not in outputs:
            raise GhostError(
                f"traffic switch target {switch.target} is not declared: the configuration has "
                f"no output {output.group(1)!r}",
                "name an output the root module declares",
            )
        argument = _ARGUMENT.match(switch.target)
        if argument is not None and f"{argument.group(1)}.{argument.group(2)}" not in resources:
            raise GhostError(
                f"traffic switch target {switch.target} is not declared: the configuration has "
                f"no resource {argument.group(1)}.{argument.group(2)}",
                "name a resource argument of the root module",
            )


def parse_all(texts: Iterable[str]) -> tuple[Switch, ...]:
    """Every switch of ``texts``, each target at most once."""
    switches = tuple(parse(text) for text in texts)
    seen: set[str] = set()
    for switch in switches:
        if switch.target in seen:
            raise GhostError(
                f"traffic switch target {switch.target} is given twice", "give each target once"
            )
        seen.add(switch.target)
    return switches


def override(ghost: str, switches: Iterable[Switch]) -> dict[str, Any]:
    """The override-file fragment that points every switch's target at ``ghost`` (TYPE.NAME)."""
    fragment: dict[str, Any] = {}
    for switch in switches:
        reference = "${" + f"{ghost}.{switch.attribute}" + "}"
        value: Any = [reference] if switch.as_list else reference
        output = _OUTPUT.match(switch.target)
        if output:
            fragment.setdefault("output", {})[output.group(1)] = {"value": value}
            continue
        argument = _ARGUMENT.match(switch.target)
        assert argument is not None, switch.target
        type_, name, key = argument.groups()
        if f"{type_}.{name}" == ghost:
            raise GhostError(
                f"traffic switch {switch} targets the ghost itself",
                "switch the output or resource that sends traffic to the original",
            )
        body = fragment.setdefault("resource", {}).setdefault(type_, {}).setdefault(name, {})
        body[key] = value
    return fragment


def describe(switches: Iterable[Switch]) -> list[str]:
    """The switches as ``TARGET=ATTRIBUTE`` strings, for the registry and ``ghost list``."""
    return [str(switch) for switch in switches]


def from_registry(texts: Iterable[Any]) -> tuple[Switch, ...]:
    """The switches saved by :func:`describe`."""
    return tuple(parse(str(text)) for text in texts)


def unchanged(a: Iterable[Switch], b: Iterable[Switch]) -> bool:
    """Whether two sets of switches are the same, in any order."""
    return sorted(map(str, a)) == sorted(map(str, b))


def targets_in(fragment: Mapping[str, Any]) -> list[str]:
    """The resource addresses an override fragment changes (for a targeted plan)."""
    return [
        f"{type_}.{name}"
        for type_, bodies in fragment.get("resource", {}).items()
        for name in bodies
    ]
