"""What changed between two canonical documents, as data the renderers turn into text or JSON.

Pure functions over the canonical state and configuration documents: no I/O, no Terraform.

Decisions a reader of the history relies on:

- A managed or data instance counts as *updated* only when its ``attributes``, its ``status``
  (e.g. ``tainted``) or its ``provider`` (``state replace-provider``) differ. Dependencies,
  private data, schema versions and sensitivity marks
  move with provider upgrades and refreshes; they are not changes anyone acts on, so an instance
  that differs only there is not reported.
- Updates are flattened down to the leaves that changed, with Terraform-style paths
  (``tags["env"]``, ``ingress[0].from_port``), so a nested block change reads
  ``ingress[0].from_port: 80 -> 8080``. Lists are matched on the elements they keep in order,
  as ``terraform plan`` matches them: an element inserted is one row, not a shift of every
  element after it. Creates and deletes list every top-level attribute with its
  whole value.
- State has no schema, so maps and objects look alike. Keys of a mapping that sits in a list (a
  nested block) are written ``.key``; every other mapping key is written ``["key"]``.
- Dynamically typed attributes (``terraform_data.input``) are stored by Terraform as
  ``{"value": …, "type": …}``; they are compared and shown by their value, as ``terraform plan``
  does.
- A value that contains seal strings is split until each seal is a leaf of its own, so every
  :class:`AttributeChange` whose ``sensitive`` is true is a whole sensitive value and no other row
  ever carries a seal.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import json
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import orjson

from tfshadow.state.addresses import ANY_KEY, matches_pattern, split_address, without_keys
from tfshadow.state.dynamic import is_dynamic
from tfshadow.state.normalise import DEPOSED_FORMAT
from tfshadow.state.redact import is_sealed

__all__ = [
    "ABSENT",
    "Action",
    "AttributeChange",
    "ConfigChanges",
    "FileChange",
    "OutputChange",
    "ResourceChange",
    "StateChanges",
    "VariableChange",
    "address_sort_key",
    "child_path",
    "compare_configs",
    "compare_states",
    "contains_sealed",
    "is_sealed",
    "json_equal",
    "summary_line",
]

Action = Literal["create", "update", "delete"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_DIGITS = re.compile(r"(\d+)")


class _Absent(enum.Enum):
    ABSENT = "ABSENT"

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent.ABSENT
"""Stands for the missing side of an addition or a removal (distinct from ``None``, JSON null)."""


def contains_sealed(value: Any) -> bool:
    """True when ``value`` is, or holds at any depth, a seal string."""
    if isinstance(value, str):
        return is_sealed(value)
    if isinstance(value, Mapping):
        return any(contains_sealed(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_sealed(v) for v in value)
    return False


def _action(before: Any, after: Any) -> Action:
    if before is ABSENT:
        return "create"
    if after is ABSENT:
        return "delete"
    return "update"


@dataclass(frozen=True)
class AttributeChange:
    """One changed attribute value; ``before`` or ``after`` is :data:`ABSENT` when added/removed."""

    path: str
    before: Any
    after: Any
    sensitive: bool

    @property
    def action(self) -> Action:
        return _action(self.before, self.after)


@dataclass(frozen=True)
class ResourceChange:
    """One resource instance (managed or data) that was created, updated or deleted.

    For creates and deletes ``attributes`` holds every top-level attribute; for updates only the
    changed leaves. ``status_before``/``status_after`` carry the instance status (``"tainted"``
    or ``None``), ``provider_before``/``provider_after`` its provider configuration address.
    """

    address: str
    mode: str
    type: str
    action: Action
    attributes: tuple[AttributeChange, ...]
    name: str = ""
    deposed: str | None = None
    status_before: str | None = None
    status_after: str | None = None
    provider_before: str | None = None
    provider_after: str | None = None
    moved_from: str | None = None
    # Created by an `import` block / dropped by a `removed` block with `destroy = false`: the
    # object existed before, and still exists after.
    imported: bool = False
    forgotten: bool = False
    # The instance's `create_before_destroy` (Terraform keeps it in the state): a replacement
    # created the new object before it destroyed the old one, which a plan marks `+/-`.
    create_before_destroy: bool = False
    # What an update left as it was, which a plan tells without showing: how many attributes
    # that hold a value, and the object's `id` among them (None when it changed or is sealed),
    # which a plan shows to say which object it is (not counted then).
    unchanged: int = 0
    kept_id: str | None = None

    @property
    def moved_only(self) -> bool:
        """A move (``moved`` block, ``state mv``) that changed nothing but the address."""
        return (
            self.moved_from is not None
            and not self.attributes
            and self.status_before == self.status_after
            and self.provider_before == self.provider_after
        )

    @property
    def replaced(self) -> bool:
        """An update of a managed instance whose ``id`` changed: a new object took its place.

        The state does not say how an instance changed, but a provider keeps an object's id for
        the object's life, so a new id means Terraform destroyed it and created another (what
        ``terraform plan`` shows as ``-/+``, e.g. after ``apply -replace=…``).
        """
        if self.action != "update" or self.mode != "managed":
            return False
        return any(
            row.path == "id"
            and not row.sensitive
            and isinstance(row.before, str)
            and isinstance(row.after, str)
            and bool(row.before)
            and bool(row.after)
            for row in self.attributes
        )


@dataclass(frozen=True)
class OutputChange:
    """One root output that appeared, changed or disappeared."""

    name: str
    action: Action
    before: Any
    after: Any
    sensitive: bool

    def rows(self) -> tuple[AttributeChange, ...]:
        """The change as a resource update's attributes are: the leaves that changed, under
        the output's name (``ips["web"]``, ``ports[2]``), when an object or a list changed in
        place; else one row with the whole values (the side that does not exist ABSENT)."""
        before = ABSENT if self.action == "create" else self.before
        after = ABSENT if self.action == "delete" else self.after
        if self.sensitive:
            return (AttributeChange(self.name, before, after, True),)
        if (isinstance(before, Mapping) and isinstance(after, Mapping)) or (
            isinstance(before, list) and isinstance(after, list)
        ):
            return tuple(_diff(self.name, before, after, in_list=False))
        return (AttributeChange(self.name, before, after, False),)


@dataclass(frozen=True)
class StateChanges:
    """Everything that changed between two canonical states."""

    resources: tuple[ResourceChange, ...]
    outputs: tuple[OutputChange, ...]

    def counts(self, *, record_only: bool = False) -> tuple[int, int, int]:
        """``(add, change, destroy)`` over managed instances only, as ``terraform plan`` counts:
        a replacement is one added and one destroyed. ``record_only`` counts entries of the
        state instead (what `state` commands and a written-back state change): no replacements."""
        # As `terraform plan` counts: an object that only moved is not a change, nor is one
        # imported or forgotten: counted apart (`imported`, `forgotten`).
        managed = [
            r
            for r in self.resources
            if r.mode == "managed" and not (r.moved_only or r.imported or r.forgotten)
        ]
        if record_only:
            actions = [r.action for r in managed]
            return actions.count("create"), actions.count("update"), actions.count("delete")
        replaced = {r.address for r in managed if r.replaced}
        # An object create_before_destroy deposed existed already: it was not added, and the
        # object a half-done replacement was to destroy is still there.
        deposed = [r for r in managed if r.deposed and r.action == "create"]
        kept = sum(
            1
            for r in deposed
            if r.address.removesuffix(DEPOSED_FORMAT.format(r.deposed)) in replaced
        )
        actions = [r.action for r in managed]
        return (
            actions.count("create") - len(deposed) + len(replaced),
            actions.count("update") - len(replaced),
            actions.count("delete") + len(replaced) - kept,
        )

    def addresses(self) -> list[str]:
        """Addresses of the managed instances that changed, in address order."""
        return [r.address for r in self.resources if r.mode == "managed"]

    def moved_from(self) -> list[str]:
        """Addresses the managed instances that moved were at before, in address order."""
        return sorted(
            (str(r.moved_from) for r in self.resources if r.mode == "managed" and r.moved_from),
            key=address_sort_key,
        )

    def moved(self) -> int:
        """How many managed instances moved to another address."""
        return sum(1 for r in self.resources if r.mode == "managed" and r.moved_from)

    def imported(self) -> int:
        """How many managed instances an ``import`` block brought into the state."""
        return sum(1 for r in self.resources if r.mode == "managed" and r.imported)

    def forgotten(self) -> int:
        """How many managed instances a ``removed`` block dropped without destroying them."""
        return sum(1 for r in self.resources if r.mode == "managed" and r.forgotten)

    def with_intents(self, imported: Collection[str], forgotten: Collection[str]) -> StateChanges:
        """These changes, knowing the configuration's ``import`` targets and the ``from`` of its
        ``removed`` blocks that keep the object (``config_files.state_intents``): a creation
        there is an import, a deletion there a forget."""
        if not imported and not forgotten:
            return self
        patterns = [i for i in imported if ANY_KEY in i]
        resources = tuple(
            dataclasses.replace(
                r,
                imported=r.action == "create"
                and r.mode == "managed"
                and (r.address in imported or any(matches_pattern(r.address, p) for p in patterns)),
                forgotten=r.action == "delete"
                and r.mode == "managed"
                and not r.deposed
                and under_any(r.address, forgotten),
            )
            for r in self.resources
        )
        return StateChanges(resources=resources, outputs=self.outputs)

    def removals_forgotten(self) -> StateChanges:
        """These changes, where every managed object gone from the state was forgotten, not
        destroyed: what a command that edits Terraform's record alone (``state rm``) does."""
        resources = tuple(
            dataclasses.replace(r, forgotten=True)
            if r.action == "delete" and r.mode == "managed"
            else r
            for r in self.resources
        )
        return StateChanges(resources=resources, outputs=self.outputs)

    def is_empty(self) -> bool:
        return not self.resources and not self.outputs


@dataclass(frozen=True)
class FileChange:
    """One configuration file added, edited or removed, with a ``diff -u``-style text."""

    path: str
    action: Action
    unified_diff: str

    def line_counts(self) -> tuple[int, int]:
        """``(added, removed)`` lines in the diff; ``(0, 0)`` for binary files."""
        added = removed = 0
        in_hunks = False
        for line in self.unified_diff.splitlines():
            # Before the first hunk, "---"/"+++" are file headers, not removed/added lines.
            if line.startswith("@@"):
                in_hunks = True
            elif in_hunks and line.startswith("+"):
                added += 1
            elif in_hunks and line.startswith("-"):
                removed += 1
        return added, removed


@dataclass(frozen=True)
class VariableChange:
    """One input variable recorded with the configuration that appeared, changed or vanished."""

    name: str
    before: Any
    after: Any
    sensitive: bool

    @property
    def action(self) -> Action:
        return _action(self.before, self.after)


@dataclass(frozen=True)
class ConfigChanges:
    """Everything that changed between two configuration documents."""

    files: tuple[FileChange, ...]
    variables: tuple[VariableChange, ...]
    not_shown: int | None = None
    """Under ``--target``: how many changes were left out (one for each file changed outside
    the blocks that declare the targets, and each variable); None when not narrowed."""

    def is_empty(self) -> bool:
        """Whether nothing is shown (``not_shown`` may count changes left out)."""
        return not self.files and not self.variables


# --- state -------------------------------------------------------------------------------------


def compare_states(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    *,
    changed: Collection[str] | None = None,
) -> StateChanges:
    """The changes that turn canonical state ``before`` into ``after`` (``None`` is empty).

    ``changed``, when known, holds every instance address whose entry may differ between the
    two (what the store's delta between adjacent versions names): the others are not read.
    """
    old_resources = _section(before, "resources")
    new_resources = _section(after, "resources")
    moves = _moves(old_resources, new_resources)
    moved_away = set(moves.values())
    # Most instances did not change, and comparing them leaf by leaf took 0.65 s at 10,000:
    # those whose JSON text is the same are left out first, or not looked at when the delta
    # between the versions says which ones changed.
    candidates: Iterable[str] = old_resources.keys() | new_resources.keys()
    if changed is not None:
        candidates = [a for a in changed if a in old_resources or a in new_resources]
    touched = [
        address
        for address in candidates
        if address in moves
        or not _same_text(old_resources.get(address), new_resources.get(address))
    ]
    resources: list[ResourceChange] = []
    for address in sorted(touched, key=address_sort_key):
        if address in moved_away:
            continue
        origin = moves.get(address)
        old = old_resources.get(origin if origin else address)
        change = _compare_instance(address, old, new_resources.get(address), moved_from=origin)
        if change is not None:
            resources.append(change)

    old_outputs = _section(before, "outputs")
    new_outputs = _section(after, "outputs")
    outputs: list[OutputChange] = []
    for name in sorted(old_outputs.keys() | new_outputs.keys()):
        output = _compare_output(name, old_outputs.get(name, ABSENT), new_outputs.get(name, ABSENT))
        if output is not None:
            outputs.append(output)
    return StateChanges(resources=tuple(resources), outputs=tuple(outputs))


def summary_line(
    changes: StateChanges,
    limit: int = 5,
    *,
    record_only: bool = False,
    config: ConfigChanges | None = None,
) -> str:
    """A one-line account, e.g. ``"2 to add, 1 to change, 0 to destroy: aws_instance.web, …"``.

    At most ``limit`` addresses are named; the rest are counted (``"and 3 more"``). Without managed
    changes the line names changed outputs, or the changed files of ``config``, or says
    ``"no changes"``. ``record_only`` counts as :meth:`StateChanges.counts` does with it, in
    the words of a state change (``"state: 0 added, 0 changed, 0 removed, 1 forgotten: …"``).
    """
    addresses = changes.addresses()
    if addresses:
        add, change, destroy = changes.counts(record_only=record_only)
        imported, forgotten = changes.imported(), changes.forgotten()
        if record_only:
            # Terraform's record alone changed: nothing was added to or destroyed in the world.
            counts = f"state: {add} added, {change} changed, {destroy} removed"
        else:
            counts = f"{add} to add, {change} to change, {destroy} to destroy"
        moved = changes.moved()
        if moved:
            counts += f", {moved} moved"
        if imported:
            counts = f"{imported} to import, {counts}"
        if forgotten:
            counts += f", {forgotten} {'forgotten' if record_only else 'to forget'}"
        return f"{counts}: {_name_some(addresses, limit)}"
    outputs = [o.name for o in changes.outputs]
    if outputs:
        return f"outputs changed: {_name_some(outputs, limit)}"
    if changes.resources:
        return "data sources changed"
    if config is not None and config.files:
        files = _name_some([f.path for f in config.files], limit)
        return f"no resource changes; configuration changed: {files}"
    return "no changes"


def _name_some(names: list[str], limit: int) -> str:
    shown = names[: max(limit, 0)]
    rest = len(names) - len(shown)
    if not shown:
        return f"{rest} changed"
    text = ", ".join(shown)
    return f"{text} and {rest} more" if rest else text


def _section(doc: Mapping[str, Any] | None, key: str) -> Mapping[str, Any]:
    if doc is None:
        return {}
    value = doc.get(key)
    return value if isinstance(value, Mapping) else {}


_NaturalKey = list[tuple[int, int | str]]


def address_sort_key(address: str) -> tuple[list[_NaturalKey], _NaturalKey]:
    """Sort key for instance addresses in Terraform's plan order: a module's resources after
    those of the module calling it (the root's first), each in natural order: ``web[2]``
    before ``web[10]``."""
    parts = split_address(address)
    modules = []
    while len(parts) > 2 and parts[0] == "module":
        modules.append(_natural(parts[1]))
        parts = parts[2:]
    return modules, _natural(".".join(parts))


def _natural(text: str) -> _NaturalKey:
    return [(1, int(part)) if part.isdigit() else (0, part) for part in _DIGITS.split(text)]


def under_any(address: str, sources: Collection[str]) -> bool:
    """Whether ``address`` is, or is an instance or a descendant of, one of ``sources``; a
    source without instance keys (``module.m.x.y``) holds every instance of its modules too."""
    plain = without_keys(address)
    return any(
        candidate == source or candidate.startswith((f"{source}[", f"{source}."))
        for source in sources
        for candidate in (address, plain)
    )


def _moves(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, str]:
    """``{new address: old address}`` of the objects that moved (a ``moved`` block, ``state mv``).

    The state keeps no trace of a move, but an object keeps its type and its ``id`` for its life:
    an instance gone from one address and one that appeared at another, of the same type with the
    same id, are the same object. Ids that are not unique on either side are not paired; an
    object left unpaired is paired by all its attributes, where they are unique among those gone
    and among those that appeared.
    """

    gone = old.keys() - new.keys()
    came = new.keys() - old.keys()
    if not gone or not came:
        return {}
    # Only objects gone and appeared can pair, so only their ids are read first (a version
    # that changed 30 of 3,000 instances reads 0, not 6,000). An id is unique on a side when
    # no other instance there has it, gone or kept: the kept instances are read only when
    # some ids could pair, and only to strike the ids they share.
    gone_ids = _ids_once(old, gone)
    came_ids = _ids_once(new, came)
    paired = gone_ids.keys() & came_ids.keys()
    if paired:
        kept = old.keys() & new.keys()
        paired -= {
            key for doc in (old, new) for address in kept if (key := _identity(doc[address]))
        }
    moves = {came_ids[key]: gone_ids[key] for key in paired}
    # An object without a unique id (none, or one its content gives, as `local_file`'s) that
    # `state mv` took elsewhere still carries every attribute it had: alike in all of them and
    # alone in being so, the two are the same object.
    unpaired_gone = gone - set(moves.values())
    unpaired_came = came - moves.keys()
    if not unpaired_gone or not unpaired_came:
        return moves
    alike_gone = _unique_contents(old, unpaired_gone)
    alike_came = _unique_contents(new, unpaired_came)
    moves.update(
        {alike_came[key]: alike_gone[key] for key in alike_gone.keys() & alike_came.keys()}
    )
    return moves


def _ids_once(doc: Mapping[str, Any], addresses: set[str]) -> dict[tuple[str, str], str]:
    """``{(type, id): address}`` of the managed objects at ``addresses`` whose id no other of
    them has."""
    found: dict[tuple[str, str], list[str]] = {}
    for address in addresses:
        key = _identity(doc[address])
        if key is not None:
            found.setdefault(key, []).append(address)
    return {key: where[0] for key, where in found.items() if len(where) == 1}


def _unique_contents(doc: Mapping[str, Any], addresses: set[str]) -> dict[tuple[str, str], str]:
    """``{(type, attributes as JSON): address}`` of the managed objects at ``addresses`` that no
    other of them matches in type and every attribute."""
    found: dict[tuple[str, str], list[str]] = {}
    for address in addresses:
        instance = doc[address]
        if not isinstance(instance, Mapping) or instance.get("deposed"):
            continue
        if (instance.get("mode") or "managed") != "managed" or not _attributes(instance):
            continue
        key = (str(instance.get("type") or ""), _canonical_text(_attributes(instance)))
        found.setdefault(key, []).append(address)
    return {key: where[0] for key, where in found.items() if len(where) == 1}


def _identity(instance: Any) -> tuple[str, str] | None:
    if not isinstance(instance, Mapping) or instance.get("deposed"):
        return None
    if (instance.get("mode") or "managed") != "managed":
        return None
    identifier = _attributes(instance).get("id")
    if not isinstance(identifier, str) or not identifier or is_sealed(identifier):
        return None
    return str(instance.get("type") or ""), identifier


def _compare_instance(
    address: str, old: Any, new: Any, *, moved_from: str | None = None
) -> ResourceChange | None:
    old_attrs = _attributes(old)
    new_attrs = _attributes(new)
    old_status = _status(old)
    new_status = _status(new)
    old_provider = _provider(old)
    new_provider = _provider(new)
    rows: list[AttributeChange]
    action: Action
    unchanged, kept_id = 0, None
    if old is None:
        action = "create"
        rows = list(_whole_rows(new_attrs, added=True))
    elif new is None:
        action = "delete"
        rows = list(_whole_rows(old_attrs, added=False))
    else:
        action = "update"
        rows = list(_attribute_rows(old_attrs, new_attrs))
        kept = [
            key
            for key in old_attrs.keys() & new_attrs.keys()
            if new_attrs[key] is not None
            # `!=` at C speed first: values JSON holds equal are always equal in Python too.
            and old_attrs[key] == new_attrs[key]
            and json_equal(old_attrs[key], new_attrs[key])
        ]
        if "id" in kept and isinstance(new_attrs["id"], str) and not is_sealed(new_attrs["id"]):
            kept_id = new_attrs["id"]
            kept.remove("id")
        unchanged = len(kept)
        if (
            not rows
            and old_status == new_status
            and old_provider == new_provider
            and moved_from is None
        ):
            return None
    instance = new if isinstance(new, Mapping) else old
    fields: Mapping[str, Any] = instance if isinstance(instance, Mapping) else {}
    mode, type_, name = _parse_address(address)
    deposed = fields.get("deposed")
    return ResourceChange(
        address=address,
        mode=str(fields.get("mode") or mode),
        type=str(fields.get("type") or type_),
        action=action,
        attributes=tuple(rows),
        name=str(fields.get("name") or name),
        deposed=str(deposed) if deposed else None,
        status_before=old_status,
        status_after=new_status,
        provider_before=old_provider,
        provider_after=new_provider,
        moved_from=moved_from,
        create_before_destroy=fields.get("create_before_destroy") is True,
        unchanged=unchanged,
        kept_id=kept_id,
    )


def _attributes(instance: Any) -> Mapping[str, Any]:
    if isinstance(instance, Mapping):
        attrs = instance.get("attributes")
        if isinstance(attrs, Mapping):
            return attrs
    return {}


def _status(instance: Any) -> str | None:
    if isinstance(instance, Mapping) and instance.get("status"):
        return str(instance["status"])
    return None


def _provider(instance: Any) -> str | None:
    if isinstance(instance, Mapping) and instance.get("provider"):
        return str(instance["provider"])
    return None


def _parse_address(address: str) -> tuple[str, str, str]:
    """``(mode, type, name)`` of an instance address, for instances that do not carry them."""
    parts = split_address(address)
    while len(parts) >= 2 and parts[0] == "module":
        parts = parts[2:]
    mode = "managed"
    if parts and parts[0] == "data":
        mode = "data"
        parts = parts[1:]
    type_ = parts[0] if parts else ""
    name = parts[1].split("[", 1)[0].split(" ", 1)[0] if len(parts) > 1 else ""
    return mode, type_, name


def _compare_output(name: str, old: Any, new: Any) -> OutputChange | None:
    if old is not ABSENT and new is not ABSENT and json_equal(old, new):
        return None
    before = _output_value(old)
    after = _output_value(new)
    sensitive = (
        _output_flag(old) or _output_flag(new) or contains_sealed(before) or contains_sealed(after)
    )
    return OutputChange(
        name=name, action=_action(old, new), before=before, after=after, sensitive=sensitive
    )


def _output_value(entry: Any) -> Any:
    if isinstance(entry, Mapping):
        return entry.get("value")
    return entry


def _output_flag(entry: Any) -> bool:
    return isinstance(entry, Mapping) and bool(entry.get("sensitive"))


def _canonical_text(value: Any) -> str:
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:  # an integer beyond 64 bits
        return json.dumps(value, sort_keys=True)


def _same_text(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` write the same JSON (then they are :func:`json_equal`; the
    converse need not hold: ``1`` and ``1.0``)."""
    if a is b:
        return True
    if a != b:  # Python's == holds wherever JSON equality does
        return False
    try:
        return orjson.dumps(a, option=orjson.OPT_SORT_KEYS) == orjson.dumps(
            b, option=orjson.OPT_SORT_KEYS
        )
    except TypeError:  # an integer beyond 64 bits
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: unlike ``==``, ``true`` is not ``1`` (tuples count as arrays)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping | list | tuple) or isinstance(b, Mapping | list | tuple):
        return False
    return bool(a == b)


def _unwrap(value: Any) -> Any:
    return value["value"] if is_dynamic(value) else value


def _whole_rows(attrs: Mapping[str, Any], *, added: bool) -> Iterator[AttributeChange]:
    for key in sorted(attrs):
        for path, value in _split_sealed(key, _unwrap(attrs[key]), in_list=False):
            before, after = (ABSENT, value) if added else (value, ABSENT)
            yield AttributeChange(path, before, after, is_sealed(value))


def _attribute_rows(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[AttributeChange]:
    for key in sorted(old.keys() | new.keys()):
        raw_before = old.get(key, ABSENT)
        raw_after = new.get(key, ABSENT)
        if json_equal(raw_before, raw_after):
            continue
        before = _unwrap(raw_before)
        after = _unwrap(raw_after)
        if json_equal(before, after):
            # Only the dynamic type moved (e.g. a list became a tuple): show the stored form.
            before, after = raw_before, raw_after
        yield from _diff(key, before, after, in_list=False)


def _diff(path: str, before: Any, after: Any, *, in_list: bool) -> Iterator[AttributeChange]:
    if json_equal(before, after):
        return
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(before.keys() | after.keys()):
            yield from _diff(
                child_path(path, key, in_list),
                before.get(key, ABSENT),
                after.get(key, ABSENT),
                in_list=False,
            )
        return
    if isinstance(before, list) and isinstance(after, list):
        yield from _list_diff(path, before, after)
        return
    if _nested_seal(before) or _nested_seal(after):
        # Each seal must be a row of its own, so split the sides apart instead of one row.
        if before is not ABSENT:
            for sub, value in _split_sealed(path, before, in_list=in_list):
                yield AttributeChange(sub, value, ABSENT, is_sealed(value))
        if after is not ABSENT:
            for sub, value in _split_sealed(path, after, in_list=in_list):
                yield AttributeChange(sub, ABSENT, value, is_sealed(value))
        return
    yield AttributeChange(path, before, after, is_sealed(before) or is_sealed(after))


def _list_diff(path: str, before: list[Any], after: list[Any]) -> Iterator[AttributeChange]:
    """A list's change as terraform plan reads it: the elements both sides keep in order are
    matched, so one inserted or removed is that one row, not every element after it shifted
    into a change; an element in place of another is compared leaf by leaf. A removed
    element's index is its index before, any other's its index after."""
    matcher = difflib.SequenceMatcher(
        a=[_element_key(item) for item in before],
        b=[_element_key(item) for item in after],
        autojunk=False,
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1)
        for offset in range(paired):
            yield from _diff(
                f"{path}[{j1 + offset}]", before[i1 + offset], after[j1 + offset], in_list=True
            )
        for index in range(i1 + paired, i2):
            yield from _diff(f"{path}[{index}]", before[index], ABSENT, in_list=True)
        for index in range(j1 + paired, j2):
            yield from _diff(f"{path}[{index}]", ABSENT, after[index], in_list=True)


def _element_key(value: Any) -> bytes:
    """``value``'s JSON text, keys sorted: equal for equal elements (``true`` is not ``1``)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # an integer beyond 64 bits
        return json.dumps(value, sort_keys=True).encode()


def _nested_seal(value: Any) -> bool:
    return not is_sealed(value) and contains_sealed(value)


def _split_sealed(path: str, value: Any, *, in_list: bool) -> Iterator[tuple[str, Any]]:
    """``(path, value)`` pieces of ``value``: whole where it holds no seal, split where it does."""
    if not _nested_seal(value):
        yield path, value
    elif isinstance(value, Mapping):
        for key in sorted(value):
            yield from _split_sealed(child_path(path, key, in_list), value[key], in_list=False)
    else:
        for index, item in enumerate(value):
            yield from _split_sealed(f"{path}[{index}]", item, in_list=True)


def child_path(path: str, key: Any, in_list: bool) -> str:
    """The attribute path of ``key`` under ``path``: ``path.key`` or ``path["key"]``.

    ``in_list`` says the mapping sits in a list (a nested block), whose identifier keys are
    written ``.key``; other keys are quoted, since state cannot tell a map from an object.
    """
    key = str(key)
    if in_list and _IDENTIFIER.match(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


# --- configuration -----------------------------------------------------------------------------


def compare_configs(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> ConfigChanges:
    """The changes that turn configuration document ``before`` into ``after`` (``None``: empty)."""
    old_text = _section(before, "files")
    new_text = _section(after, "files")
    old_binary = _section(before, "binary_files")
    new_binary = _section(after, "binary_files")
    paths = old_text.keys() | new_text.keys() | old_binary.keys() | new_binary.keys()
    files: list[FileChange] = []
    for path in sorted(paths):
        old = _file(path, old_text, old_binary)
        new = _file(path, new_text, new_binary)
        if json_equal(old, new):
            continue
        action = _action(old, new)
        if isinstance(old, _Binary) or isinstance(new, _Binary):
            text = f"Binary files {_label('a', path, old)} and {_label('b', path, new)} differ\n"
        else:
            text = _unified_diff(path, old, new)
        files.append(FileChange(path=path, action=action, unified_diff=text))

    old_vars = _section(before, "variables")
    new_vars = _section(after, "variables")
    variables: list[VariableChange] = []
    for name in sorted(old_vars.keys() | new_vars.keys()):
        old_value = old_vars.get(name, ABSENT)
        new_value = new_vars.get(name, ABSENT)
        if json_equal(old_value, new_value):
            continue
        sensitive = contains_sealed(old_value) or contains_sealed(new_value)
        variables.append(VariableChange(name, old_value, new_value, sensitive))
    return ConfigChanges(files=tuple(files), variables=tuple(variables))


@dataclass(frozen=True)
class _Binary:
    data: str


def _file(path: str, text: Mapping[str, Any], binary: Mapping[str, Any]) -> Any:
    if path in text:
        return list(text[path])
    if path in binary:
        return _Binary(str(binary[path]))
    return ABSENT


def _label(prefix: str, path: str, side: Any) -> str:
    return "/dev/null" if side is ABSENT else f"{prefix}/{path}"


def _unified_diff(path: str, old: Any, new: Any) -> str:
    old_lines: list[str] = [] if old is ABSENT else [str(line) for line in old]
    new_lines: list[str] = [] if new is ABSENT else [str(line) for line in new]
    out: list[str] = []
    for line in difflib.unified_diff(
        old_lines, new_lines, _label("a", path, old), _label("b", path, new)
    ):
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


def narrow_config(
    changes: ConfigChanges,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    targets: Collection[str],
) -> ConfigChanges:
    """``changes`` (from ``before`` to ``after``) narrowed to the blocks that declare what
    ``targets`` name, as ``-target`` reads addresses: each file's hunks that change lines of
    such a block, in the older version (a block renamed or removed) or the newer one. The rest,
    and the variables, are counted in ``not_shown``."""
    from tfshadow.state.config_files import declaring_lines

    if not targets:
        return changes
    old_files = _section(before, "files")
    new_files = _section(after, "files")
    old_lines = declaring_lines({p: "".join(map(str, v)) for p, v in old_files.items()}, targets)
    new_lines = declaring_lines({p: "".join(map(str, v)) for p, v in new_files.items()}, targets)
    binary = _section(before, "binary_files").keys() | _section(after, "binary_files").keys()
    files: list[FileChange] = []
    not_shown = len(changes.variables)
    for change in changes.files:
        if change.path in binary:
            not_shown += 1  # no block is declared in a binary file
            continue
        old = [str(line) for line in old_files.get(change.path, ())]
        new = [str(line) for line in new_files.get(change.path, ())]
        ops, kept = _split_by_declaration(
            difflib.SequenceMatcher(None, old, new).get_opcodes(),
            _line_set(old_lines.get(change.path, ())),
            _line_set(new_lines.get(change.path, ())),
        )
        if any(tag != "equal" and not keep for (tag, *_), keep in zip(ops, kept, strict=True)):
            not_shown += 1
        if not any(kept):
            continue
        head = (
            f"--- {'a/' + change.path if change.path in old_files else '/dev/null'}\n"
            f"+++ {'b/' + change.path if change.path in new_files else '/dev/null'}\n"
        )
        text = head + "".join(_hunk(old, new, group) for group in _kept_groups(ops, kept))
        files.append(dataclasses.replace(change, unified_diff=text))
    return ConfigChanges(files=tuple(files), variables=(), not_shown=not_shown)


_CONTEXT = 3  # lines of context around a hunk, as ``diff -u``

_Opcode = tuple[str, int, int, int, int]


def _line_set(ranges: Iterable[tuple[int, int]]) -> frozenset[int]:
    return frozenset(line for start, end in ranges for line in range(start, end))


def _split_by_declaration(
    ops: Iterable[_Opcode], old_in: frozenset[int], new_in: frozenset[int]
) -> tuple[list[_Opcode], list[bool]]:
    """``ops`` with each change cut where it enters or leaves the lines declaring the targets
    (``old_in`` of the older file, ``new_in`` of the newer), and whether each part is kept.

    A change's removed and added lines may be shown in any order that keeps each side's own:
    a line diff puts the end of one block and the start of the next in one change, and this
    shows only the lines of the targets' blocks from it."""
    out: list[_Opcode] = []
    kept: list[bool] = []
    for op in ops:
        tag, i1, i2, j1, j2 = op
        if tag == "equal":
            out.append(op)
            kept.append(False)
            continue
        parts: list[tuple[_Opcode, bool]] = [
            (("delete", start, end, j1, j1), flag) for start, end, flag in _runs(i1, i2, old_in)
        ]
        for start, end, flag in _runs(j1, j2, new_in):
            if parts and flag and parts[-1][1] and parts[-1][0][0] == "delete":
                # Removed and added lines of the targets side by side read as one replacement.
                removed = parts.pop()[0]
                parts.append((("replace", removed[1], removed[2], start, end), True))
            else:
                parts.append((("insert", i2, i2, start, end), flag))
        for part, flag in parts:
            out.append(part)
            kept.append(flag)
    return out, kept


def _runs(start: int, end: int, lines: frozenset[int]) -> Iterator[tuple[int, int, bool]]:
    """``start:end`` cut into runs of lines all in ``lines`` or all out of it."""
    while start < end:
        flag = start in lines
        stop = start + 1
        while stop < end and (stop in lines) == flag:
            stop += 1
        yield start, stop, flag
        start = stop


def _kept_groups(ops: Sequence[_Opcode], kept: Sequence[bool]) -> Iterator[list[_Opcode]]:
    """The kept changes in hunks, as ``diff -u`` groups them: with up to three unchanged lines
    of context either side, joined when at most six unchanged lines part them. A change left
    out parts hunks, and is never shown as context."""
    group: list[_Opcode] = []
    last = -2
    for index, op in enumerate(ops):
        if not kept[index]:
            continue
        between = ops[index - 1] if index else None
        if (
            group
            and last == index - 2
            and between is not None
            and between[0] == "equal"
            and (between[2] - between[1] <= 2 * _CONTEXT)
        ):
            group.extend((between, op))
        else:
            if group:
                yield _with_trailing(group, ops, last)
            group = []
            if between is not None and between[0] == "equal":
                _, i1, i2, _j1, j2 = between
                size = min(_CONTEXT, i2 - i1)
                group.append(("equal", i2 - size, i2, j2 - size, j2))
            group.append(op)
        last = index
    if group:
        yield _with_trailing(group, ops, last)


def _with_trailing(group: list[_Opcode], ops: Sequence[_Opcode], last: int) -> list[_Opcode]:
    if last + 1 < len(ops) and ops[last + 1][0] == "equal":
        _, i1, i2, j1, _j2 = ops[last + 1]
        size = min(_CONTEXT, i2 - i1)
        return [*group, ("equal", i1, i1 + size, j1, j1 + size)]
    return group


def _hunk(old: list[str], new: list[str], group: list[_Opcode]) -> str:
    first, last = group[0], group[-1]
    out = [f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n"]
    for tag, i1, i2, j1, j2 in group:
        if tag == "equal":
            out.extend(" " + line for line in old[i1:i2])
            continue
        out.extend("-" + line for line in old[i1:i2])
        out.extend("+" + line for line in new[j1:j2])
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in out
    )


def _range(start: int, end: int) -> str:
    """A hunk's range as ``diff -u`` writes it (1-based; an empty one names the line before)."""
    length = end - start
    if length == 1:
        return str(start + 1)
    return f"{start if length == 0 else start + 1},{length}"
