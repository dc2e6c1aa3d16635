"""Terraform state v4 <-> the canonical, address-keyed form tfshadow stores.

Terraform's raw state lists resource blocks, each with a list of instances. Diffs over those
lists are order-sensitive and quadratic, so the canonical form keys every instance object by its
full address instead, exactly as Terraform prints it::

    aws_instance.web                              no count / for_each
    aws_instance.web[0]                           count
    aws_instance.web["a"]                         for_each (HCL string quoting, like Terraform)
    module.net.module.sub["k"].aws_subnet.a       in a module
    data.aws_ami.ubuntu                           data source
    aws_instance.web[0] (deposed object 1a2b3c4d) an object left over by create_before_destroy

The deposed suffix is the one Terraform itself prints in plans (``(deposed object <key>)``); the
part before it is always a complete address ending in a name or ``]``, so the form is
unambiguous.

Each entry carries the resource block's fields (``module`` only outside the root module,
``mode``, ``type``, ``name``, ``provider``, ``each`` when present) followed by the instance
object's own fields, copied as Terraform wrote them. A resource-level field Terraform may add in
future is kept under ``resource_extra`` so nothing is lost.

Resource blocks without instances (Terraform prunes these itself when it writes state) have no
address and are dropped.

Both directions share nested values (attribute maps, outputs) with their input rather than
copying 26 MB of JSON: treat the documents as immutable.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from tfshadow.errors import UsageError

CANONICAL_FORMAT = 1
STATE_VERSION = 4

# The fields of a v4 resource block other than its instances, in Terraform's order.
RESOURCE_FIELDS = ("module", "mode", "type", "name", "each", "provider")
RESOURCE_EXTRA = "resource_extra"
DEPOSED_FORMAT = " (deposed object {})"

# Printable ASCII without quotes or backslashes prints as itself.
_PLAIN_KEY = re.compile(r"[ !#-\[\]-~]*")
_STATE_HINT = "pass the JSON printed by `terraform state pull` (state format version 4)"
_CANONICAL_HINT = "pass a document produced by tfshadow.state.normalise.canonicalise"


def format_index_key(key: int | str) -> str:
    """``[0]`` or ``["a"]``: an instance key as Terraform prints it in addresses."""
    if isinstance(key, bool) or not isinstance(key, int | str):
        raise UsageError(f"instance key {key!r} is neither a number nor a string", hint=_STATE_HINT)
    if isinstance(key, int):
        return f"[{key}]"
    return f"[{_hcl_quote(key)}]"


def instance_address(
    type_: str,
    name: str,
    *,
    module: str | None = None,
    mode: str = "managed",
    index_key: int | str | None = None,
    deposed: str | None = None,
) -> str:
    """The full address of one instance object, e.g. ``module.a.data.aws_ami.x["k"]``."""
    parts = []
    if module:
        parts.append(module)
    if mode != "managed":
        # Only "data" exists today; any future mode keeps addresses distinct the same way.
        parts.append(mode)
    parts.append(type_)
    parts.append(name)
    address = ".".join(parts)
    if index_key is not None:
        address += format_index_key(index_key)
    if deposed:
        address += DEPOSED_FORMAT.format(deposed)
    return address


def resource_address(instance: Mapping[str, Any]) -> str:
    """The address of the resource block a canonical entry belongs to (no key, not deposed)."""
    return instance_address(
        instance["type"],
        instance["name"],
        module=instance.get("module"),
        mode=instance.get("mode", "managed"),
    )


def entry_address(instance: Mapping[str, Any]) -> str:
    """The full address of a canonical entry, the key it is stored under."""
    return instance_address(
        instance["type"],
        instance["name"],
        module=instance.get("module"),
        mode=instance.get("mode", "managed"),
        index_key=instance.get("index_key"),
        deposed=instance.get("deposed"),
    )


def canonicalise(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical, address-keyed form of a Terraform state v4 document.

    Raises :class:`~tfshadow.errors.UsageError` when ``raw`` is not a version 4 state.
    """
    if not isinstance(raw, Mapping):
        raise UsageError(
            f"a Terraform state must be a JSON object, not {type(raw).__name__}", hint=_STATE_HINT
        )
    version = raw.get("version")
    if version != STATE_VERSION or isinstance(version, bool):
        raise UsageError(f"unsupported Terraform state version {version!r}", hint=_STATE_HINT)
    if "format" in raw:
        raise UsageError("this looks like a canonical document, not a raw state", hint=_STATE_HINT)

    resources = raw.get("resources")
    if resources is None:
        resources = []
    if not isinstance(resources, list):
        raise UsageError("the state's `resources` is not a list", hint=_STATE_HINT)
    outputs = raw.get("outputs")
    if outputs is None:
        outputs = {}
    if not isinstance(outputs, Mapping):
        raise UsageError("the state's `outputs` is not an object", hint=_STATE_HINT)

    entries: dict[str, dict[str, Any]] = {}
    for position, resource in enumerate(resources):
        for address, entry in _resource_entries(resource, position):
            if address in entries:
                raise UsageError(f"the state holds {address} twice", hint=_STATE_HINT)
            entries[address] = entry

    out: dict[str, Any] = {"format": CANONICAL_FORMAT}
    for key, value in raw.items():
        if key == "outputs":
            out[key] = dict(outputs)
        elif key == "resources":
            out[key] = entries
        else:
            out[key] = value
    out.setdefault("outputs", dict(outputs))
    out.setdefault("resources", entries)
    return out


def to_raw_state(canonical: Mapping[str, Any]) -> dict[str, Any]:
    """A Terraform state v4 document for ``canonical``, laid out the way Terraform writes it.

    Instances are grouped back into resource blocks, blocks sorted by module, mode, type and
    name, instances by key then deposed key, so ``canonicalise(to_raw_state(c)) == c``.
    """
    if not isinstance(canonical, Mapping) or canonical.get("format") != CANONICAL_FORMAT:
        raise UsageError("not a canonical state document", hint=_CANONICAL_HINT)
    entries = canonical.get("resources") or {}
    if not isinstance(entries, Mapping):
        raise UsageError("the canonical document's `resources` is not an object")

    blocks: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    heads: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for address, entry in entries.items():
        try:
            group = (entry.get("module") or "", entry["mode"], entry["type"], entry["name"])
        except (AttributeError, KeyError, TypeError):
            raise UsageError(
                f"canonical entry {address} is damaged", hint=_CANONICAL_HINT
            ) from None
        if entry_address(entry) != address:
            raise UsageError(
                f"canonical entry {address} describes {entry_address(entry)}",
                hint=_CANONICAL_HINT,
            )
        head = {k: entry[k] for k in RESOURCE_FIELDS if k in entry}
        head.update(entry.get(RESOURCE_EXTRA) or {})
        block = blocks.get(group)
        if block is None:
            block = blocks[group] = {**head, "instances": []}
            heads[group] = head
        elif heads[group] != head:
            raise UsageError(
                f"{address} disagrees with other instances of {resource_address(entry)}"
                " about its provider or resource fields",
                hint=_CANONICAL_HINT,
            )
        block["instances"].append(_raw_instance(entry))

    resources = [blocks[group] for group in sorted(blocks)]
    for block in resources:
        block["instances"].sort(key=_instance_order)

    out: dict[str, Any] = {}
    for key, value in canonical.items():
        if key == "format":
            continue
        out[key] = resources if key == "resources" else value
    out.setdefault("resources", resources)
    out.setdefault("outputs", {})
    return out


def _resource_entries(resource: Any, position: int) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(resource, Mapping):
        raise UsageError(f"resource #{position} in the state is not an object", hint=_STATE_HINT)
    for field in ("mode", "type", "name"):
        if not isinstance(resource.get(field), str) or not resource[field]:
            raise UsageError(
                f"resource #{position} in the state has no valid `{field}`", hint=_STATE_HINT
            )
    module = resource.get("module")
    if module is not None and not isinstance(module, str):
        raise UsageError(f"resource #{position} has an invalid `module`", hint=_STATE_HINT)
    instances = resource.get("instances")
    if instances is None:
        instances = []
    if not isinstance(instances, list):
        raise UsageError(f"resource #{position}'s `instances` is not a list", hint=_STATE_HINT)

    head: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in resource.items():
        if key in RESOURCE_FIELDS:
            head[key] = value
        elif key != "instances":
            extra[key] = value
    if extra:
        head[RESOURCE_EXTRA] = extra

    # The address up to the instance key is the same for every instance of the block.
    base = instance_address(
        resource["type"], resource["name"], module=module, mode=resource["mode"]
    )
    out = []
    for instance in instances:
        if not isinstance(instance, Mapping):
            raise UsageError(f"an instance of {base} is not an object", hint=_STATE_HINT)
        entry = {**head, **instance}
        if len(entry) != len(head) + len(instance):
            clash = next(key for key in instance if key in head)
            raise UsageError(
                f"an instance of {base} has a field `{clash}` that clashes with its resource's",
                hint=_STATE_HINT,
            )
        address = base
        key = instance.get("index_key")
        if key is not None:
            address += format_index_key(key)
        deposed = instance.get("deposed")
        if deposed:
            address += DEPOSED_FORMAT.format(deposed)
        out.append((address, entry))
    return out


def _raw_instance(entry: Mapping[str, Any]) -> dict[str, Any]:
    inst: dict[str, Any] = {}
    # Terraform writes these two first; the rest keep the order they were captured in.
    for key in ("index_key", "deposed"):
        if key in entry:
            inst[key] = entry[key]
    for key, value in entry.items():
        if key not in RESOURCE_FIELDS and key != RESOURCE_EXTRA and key not in inst:
            inst[key] = value
    return inst


def _instance_order(inst: Mapping[str, Any]) -> tuple[int, int, str, str]:
    # Terraform's order (statefile sortInstancesV4): no key, then int keys, then string keys;
    # the current object before its deposed ones.
    key = inst.get("index_key")
    deposed = inst.get("deposed") or ""
    if key is None:
        return (0, 0, "", deposed)
    if isinstance(key, int):
        return (1, key, "", deposed)
    return (2, 0, str(key), deposed)


def _hcl_quote(text: str) -> str:
    # Terraform's addrs.toHCLQuotedString: HCL escapes, and a doubled `$`/`%` before `{` so the
    # key is never read as a template sequence.
    if _PLAIN_KEY.fullmatch(text) and "${" not in text and "%{" not in text:
        return f'"{text}"'
    return _hcl_quote_chars(text)


def _hcl_quote_chars(text: str) -> str:
    out = ['"']
    for i, ch in enumerate(text):
        if ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "$%":
            out.append(ch * 2 if text[i + 1 : i + 2] == "{" else ch)
        elif _is_print(ch):
            out.append(ch)
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def _is_print(ch: str) -> bool:
    # Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
    if ch == " ":
        return True
    return unicodedata.category(ch)[0] in "LMNPS"
