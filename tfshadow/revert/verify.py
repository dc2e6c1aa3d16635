"""Does a revert bring back version N? Checks over Terraform's plan JSON and canonical states.

Pure functions: no I/O, no Terraform. The plan is what ``terraform show -json <planfile>``
prints (format 1.x); states are canonical documents (:mod:`tfshadow.state.normalise`) whose
sensitive values are seal strings (:mod:`tfshadow.state.redact`).

What a reader of the results relies on:

- Only managed resources are compared; data sources are read again anyway. Deposed objects of
  version N are left out: they were leftovers of an interrupted replacement, never restored.
- Attributes the plan reports unknown (``after_unknown``) are computed by the provider during the
  apply and are not compared: the new ``id`` of a recreated resource, ``terraform_data.output``.
- Plan JSON writes dynamically typed values (``terraform_data.input``) plainly, while state wraps
  them as ``{"value": …, "type": …}``; the wrapper is looked through, so equal values are equal.
  An absent attribute and a null one are equal too: Terraform does not tell them apart.
- A recorded seal is compared with the seal of the planned value, never the other way round: the
  plan holds secrets in plain text (``before``, ``after`` and ``variables``), the store never
  does. A sealed value of dynamic type was sealed with its type, which plan JSON does not carry,
  so the usual types are tried; a value whose type cannot be guessed shows as a mismatch, which
  asks for a confirmation rather than claiming a secret came back.
- A :class:`Mismatch` whose ``sensitive`` is true holds seals (or ``None``) on both sides, never
  a value: a planned secret is sealed before it is stored.
- A :class:`Mismatch` with ``path == ""`` stands for a whole instance that exists on one side
  only; the other side is :data:`~tfshadow.state.changes.ABSENT`. Otherwise ``ABSENT`` marks an
  attribute or key present on one side only.
- An ``id`` that differs from N's, where the revert keeps the object, is one
  :data:`IDENTITY_PATH` mismatch in both checks: another object than N's (replaced since N),
  whose data is not N's whatever its attributes say. The new ``id`` of an object the revert
  itself creates is computed (see above), and the verification names such objects already.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from tfshadow.errors import UsageError
from tfshadow.state import normalise
from tfshadow.state.addresses import is_targeted
from tfshadow.state.changes import (
    ABSENT,
    address_sort_key,
    child_path,
    contains_sealed,
    json_equal,
)
from tfshadow.state.dynamic import is_dynamic
from tfshadow.state.redact import is_sealed, is_secret_name, same_seal, strings_in

__all__ = [
    "IDENTITY_PATH",
    "STATUS_PATH",
    "Mismatch",
    "VerificationReport",
    "computed_attributes",
    "is_targeted",
    "remaining_differences",
    "state_for_push",
    "unmatched_targets",
    "verify_plan",
]

Seal = Callable[[Any], str]

_PLAN_HINT = "pass the JSON printed by `terraform show -json <saved plan file>`"
# Guessing the type a dynamic secret was sealed with: enough for values written in HCL or read
# from typed variables, bounded so a large value cannot make the guess explode.
_MAX_TYPE_GUESSES = 64
# The attribute that tells one object from another: every provider sets it anew when it creates
# an object.
_IDENTITY = "id"
# The path of a Mismatch on an instance's identity: another object than N's stands at N's
# address (replaced since N), so its data is not N's.
IDENTITY_PATH = "(identity)"
# The path of a Mismatch on an instance's status (``tainted``) rather than an attribute: not an
# attribute path, so no attribute can be mistaken for it.
STATUS_PATH = "(status)"


@dataclass(frozen=True)
class Mismatch:
    """One value of version N that the plan (or the state after the revert) does not bring back.

    ``path`` is an attribute path as :mod:`tfshadow.state.changes` writes them
    (``tags["env"]``, ``ingress[0].from_port``), ``""`` for a whole instance present on one
    side only, :data:`STATUS_PATH` for the instance's status (``"tainted"``), or
    :data:`IDENTITY_PATH` for another object than N's (its ``id`` on each side). ``recorded``
    is the value in version N; ``planned`` the value Terraform plans (in
    :func:`remaining_differences`: the value in the live state). A side that does not exist is
    :data:`~tfshadow.state.changes.ABSENT`. When ``sensitive`` is true both sides of an attribute
    are seal strings, ``None`` or ``ABSENT``: show them as "(sensitive value)"; a whole instance
    is its recorded attribute map, whose sensitive values are seals.
    """

    address: str
    path: str
    recorded: Any
    planned: Any
    sensitive: bool


@dataclass(frozen=True)
class VerificationReport:
    """What applying the revert plan will and will not bring back of version N.

    ``counts`` are Terraform's own ``Plan:`` numbers over the whole plan (a replacement counts in
    add and destroy), so they match the line printed above; the address lists are restricted to
    the revert's targets. ``restored_exactly`` counts the resources of N that keep their object
    and whose planned values all match N's; recreated and newly created ones are listed instead,
    as are those created that N did not have (``added``).
    """

    version: int
    mismatches: tuple[Mismatch, ...]
    destroyed: tuple[str, ...]
    recreated: tuple[str, ...]
    created_anew: tuple[str, ...]
    counts: tuple[int, int, int]
    restored_exactly: int
    # Removed from state without being destroyed (`removed` blocks with `destroy = false`).
    forgotten: tuple[str, ...] = ()
    # Root outputs whose value the plan changes.
    outputs_changed: tuple[str, ...] = ()
    # Created though N did not have them: N's configuration held more than its state (a
    # targeted or part-failed version), so applying it in full adds them.
    added: tuple[str, ...] = ()
    # Left in the state though N did not have them: N's configuration declares them, its state
    # did not hold them (a version made by `state rm`, or a targeted one).
    kept: tuple[str, ...] = ()
    # ``(from, to)``: moved back to the address N had them at (the plan's ``previous_address``).
    moved: tuple[tuple[str, str], ...] = ()
    # Let go of since N and imported again (see revert.adopt): the object N had, not a new one.
    imported: tuple[str, ...] = ()

    @property
    def needs_confirmation(self) -> bool:
        """Whether something is lost or does not come back exactly: ask before applying."""
        return bool(
            self.mismatches
            or self.destroyed
            or self.recreated
            or self.created_anew
            or self.forgotten
            or self.added
            or self.kept
        )

    @property
    def is_noop(self) -> bool:
        """Whether the plan changes nothing at all (not even outputs)."""
        return (
            not any(self.counts)
            and not self.forgotten
            and not self.outputs_changed
            and not self.moved
            and not self.imported
        )


# --- verify_plan -------------------------------------------------------------------------------


def verify_plan(
    plan: Mapping[str, Any],
    target_state: Mapping[str, Any],
    version: int,
    *,
    seal: Seal,
    targets: Sequence[str] = (),
    aside: Sequence[str] = (),
) -> VerificationReport:
    """Compare a revert plan with version N's canonical state.

    ``seal`` is the sealing function N was redacted with (``Redactor.seal``). With ``targets``
    (Terraform addresses such as ``module.db`` or ``aws_instance.web``) only instances at or
    inside one of them are reported. Resources in ``aside`` (ghosts the revert keeps though N
    did not have them, or leaves out though N had them: disabled since) count in Terraform's
    numbers but are not compared with N.

    Raises :class:`~tfshadow.errors.UsageError` when ``plan`` is not plan JSON of format 1.x.
    """
    changes = _resource_changes(plan)
    secrets = _plan_secrets(plan, changes)
    recorded = {
        a: i
        for a, i in _managed_instances(target_state, targets).items()
        if not _set_aside(a, aside)
    }

    add = change = destroy = 0
    destroyed: list[str] = []
    recreated: list[str] = []
    created: list[str] = []
    added: list[str] = []
    kept: list[str] = []
    forgotten: list[str] = []
    moved: list[tuple[str, str]] = []
    imported: list[str] = []
    planned: dict[str, Mapping[str, Any]] = {}
    for rc in changes:
        if rc.get("mode", "managed") != "managed":
            continue
        actions = _actions(rc)
        creates = "create" in actions
        deletes = "delete" in actions
        add += creates
        change += "update" in actions
        destroy += deletes
        address = _change_address(rc)
        if not is_targeted(address, targets) or _set_aside(address, aside):
            continue
        if creates and deletes:
            recreated.append(address)
        elif deletes:
            destroyed.append(address)
        elif creates and address in recorded:
            created.append(address)
        elif creates:
            added.append(address)
        elif not deletes and "forget" not in actions and address not in recorded:
            kept.append(address)
        if "forget" in actions:
            forgotten.append(address)
        detail = rc.get("change")
        if isinstance(detail, Mapping) and detail.get("importing"):
            imported.append(address)
        previous = rc.get("previous_address")
        if isinstance(previous, str) and previous and previous != address:
            moved.append((previous, address))
        if not rc.get("deposed"):
            planned[address] = rc

    mismatches: list[Mismatch] = []
    exact = 0
    for address in sorted(recorded, key=address_sort_key):
        attrs = _attributes(recorded[address])
        entry = planned.get(address)
        detail = entry.get("change") if entry is not None else None
        after = detail.get("after") if isinstance(detail, Mapping) else None
        if entry is None or not isinstance(detail, Mapping) or not isinstance(after, Mapping):
            if entry is None or "forget" in _actions(entry):
                # Not in the plan at all, or dropped from state: it will not exist afterwards.
                mismatches.append(_whole(address, attrs, recorded=True))
            # A planned deletion is reported in `destroyed`.
            continue
        found = list(
            _walk(
                address,
                "",
                attrs,
                after,
                _Context(
                    seal=seal,
                    secrets=secrets,
                    unknown=detail.get("after_unknown"),
                    marked=detail.get("after_sensitive"),
                    ignored=frozenset(),
                ),
            )
        )
        mismatches.extend(_with_identity(found))
        if not found and "create" not in _actions(entry):
            exact += 1

    return VerificationReport(
        version=version,
        mismatches=tuple(mismatches),
        destroyed=tuple(sorted(destroyed, key=address_sort_key)),
        recreated=tuple(sorted(recreated, key=address_sort_key)),
        created_anew=tuple(sorted(created, key=address_sort_key)),
        counts=(add, change, destroy),
        restored_exactly=exact,
        forgotten=tuple(sorted(forgotten, key=address_sort_key)),
        outputs_changed=_outputs_changed(plan),
        added=tuple(sorted(added, key=address_sort_key)),
        kept=tuple(sorted(kept, key=address_sort_key)),
        moved=tuple(sorted(moved, key=lambda move: address_sort_key(move[1]))),
        imported=tuple(sorted(imported, key=address_sort_key)),
    )


def computed_attributes(plan: Mapping[str, Any]) -> dict[str, set[str]]:
    """Attribute paths the provider sets anew, per instance the plan creates or replaces.

    Paths are written like :attr:`Mismatch.path` (``id``, ``root_block_device[0].volume_id``):
    the values the plan reported unknown. Pass the result to :func:`remaining_differences`.
    Of instances updated in place only an unknown ``id`` is listed (the provider gives the
    object a new identity of its own accord, which the verification could not compare
    either): their other computed values must come back too.
    """
    out: dict[str, set[str]] = {}
    for rc in _resource_changes(plan):
        if rc.get("mode", "managed") != "managed" or rc.get("deposed"):
            continue
        detail = rc.get("change")
        unknown = detail.get("after_unknown") if isinstance(detail, Mapping) else None
        if "create" in _actions(rc):
            out[_change_address(rc)] = set(_unknown_paths("", unknown, in_list=False))
        elif isinstance(unknown, Mapping) and unknown.get(_IDENTITY) is True:
            out[_change_address(rc)] = {_IDENTITY}
    return out


# --- remaining_differences ---------------------------------------------------------------------


def _set_aside(address: str, aside: Sequence[str]) -> bool:
    """Whether instance ``address`` is of a resource in ``aside``."""
    return any(address == a or address.startswith(a + "[") for a in aside)


def remaining_differences(
    live_state: Mapping[str, Any] | None,
    target_state: Mapping[str, Any],
    *,
    targets: Sequence[str] = (),
    computed: Mapping[str, set[str]] | None = None,
    seal: Seal | None = None,
    aside: Sequence[str] = (),
) -> list[Mismatch]:
    """What still differs between the live state after a revert and version N.

    Both states are canonical and redacted with the same keys. Per address, the attribute paths
    in ``computed`` (see :func:`computed_attributes`) are not compared; another ``id`` than N's
    elsewhere is an :data:`IDENTITY_PATH` mismatch, as :func:`verify_plan` reports it. Managed
    instances that exist on one side only are one ``path == ""`` mismatch each. ``seal``, when
    given, lets a value sealed on one side only be compared with the other's plain value.
    Resources in ``aside`` are not compared (see :func:`verify_plan`).
    """
    recorded = {
        a: i
        for a, i in _managed_instances(target_state, targets).items()
        if not _set_aside(a, aside)
    }
    live = _managed_instances(live_state, targets, keep_deposed=True) if live_state else {}
    live = {a: i for a, i in live.items() if not _set_aside(a, aside)}
    computed = computed or {}
    out: list[Mismatch] = []
    for address in sorted(recorded.keys() | live.keys(), key=address_sort_key):
        old = recorded.get(address)
        new = live.get(address)
        if new is None:
            out.append(_whole(address, _attributes(old), recorded=True))
        elif old is None:
            out.append(_whole(address, _attributes(new), recorded=False))
        else:
            context = _Context(
                seal=seal,
                secrets=frozenset(),
                unknown=None,
                marked=None,
                ignored=frozenset(computed.get(address, ())),
            )
            out.extend(
                _with_identity(_walk(address, "", _attributes(old), _attributes(new), context))
            )
            # A tainted object (an apply failed while creating it) is replaced by the next apply,
            # whatever its attributes hold.
            status_old, status_new = old.get("status") or ABSENT, new.get("status") or ABSENT
            if status_old != status_new:
                out.append(Mismatch(address, STATUS_PATH, status_old, status_new, False))
    return out


# --- state_for_push ----------------------------------------------------------------------------


def state_for_push(
    target_state: Mapping[str, Any],
    live_raw: Mapping[str, Any] | None,
    *,
    unseal_document: Callable[[Any], Any],
    force: bool,
) -> dict[str, Any]:
    """The raw v4 state to ``terraform state push`` to make version N the live state again.

    Secrets are opened with ``unseal_document`` (its :class:`~tfshadow.errors.SecretError` for
    fingerprinted secrets propagates). The serial is one above the live state's, so Terraform
    accepts the push; without a live state it is N's own. The lineage is always N's: when the
    live state has another one, only ``force`` allows the push.
    """
    raw = normalise.to_raw_state(unseal_document(target_state))
    lineage = target_state.get("lineage")
    serial = target_state.get("serial")
    if live_raw is not None:
        live_lineage = live_raw.get("lineage")
        if live_lineage and lineage and live_lineage != lineage and not force:
            raise UsageError(
                f"the live state's lineage {live_lineage} is not the recorded state's"
                f" ({lineage}): pushing it would replace the history of a different state (one"
                " recreated since, or that of another workspace)",
                hint="check the workspace and backend, or pass --force to push it anyway",
            )
        live_serial = live_raw.get("serial")
        base = live_serial if isinstance(live_serial, int) and live_serial >= 0 else 0
        serial = base + 1
    if lineage is not None:
        raw["lineage"] = lineage
    raw["serial"] = serial if isinstance(serial, int) and not isinstance(serial, bool) else 1
    return raw


# --- plan reading ------------------------------------------------------------------------------


def _resource_changes(plan: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if not isinstance(plan, Mapping):
        raise UsageError(
            f"a plan must be a JSON object, not {type(plan).__name__}", hint=_PLAN_HINT
        )
    fmt = plan.get("format_version")
    # 0.x (Terraform 0.12 to 1.0, OpenTofu early releases) has the same resource_changes shape.
    if not isinstance(fmt, str) or fmt.split(".", 1)[0] not in ("0", "1"):
        raise UsageError(f"unsupported plan JSON format version {fmt!r}", hint=_PLAN_HINT)
    changes = plan.get("resource_changes") or []
    if not isinstance(changes, list) or not all(isinstance(rc, Mapping) for rc in changes):
        raise UsageError("the plan's `resource_changes` is not a list of objects", hint=_PLAN_HINT)
    for rc in changes:
        if not isinstance(rc.get("address"), str):
            raise UsageError("a resource change in the plan has no address", hint=_PLAN_HINT)
    return changes


def _actions(rc: Mapping[str, Any]) -> list[str]:
    detail = rc.get("change")
    actions = detail.get("actions") if isinstance(detail, Mapping) else None
    return [str(a) for a in actions] if isinstance(actions, list) else []


def _change_address(rc: Mapping[str, Any]) -> str:
    address = str(rc["address"])
    deposed = rc.get("deposed")
    if deposed:
        # Canonical states key deposed objects the way Terraform prints them in plans.
        address += normalise.DEPOSED_FORMAT.format(deposed)
    return address


def _outputs_changed(plan: Mapping[str, Any]) -> tuple[str, ...]:
    outputs = plan.get("output_changes")
    if not isinstance(outputs, Mapping):
        return ()
    changed = []
    for name, detail in outputs.items():
        actions = detail.get("actions") if isinstance(detail, Mapping) else None
        if isinstance(actions, list) and any(a != "no-op" for a in actions):
            changed.append(str(name))
    return tuple(sorted(changed))


def _plan_secrets(plan: Mapping[str, Any], changes: list[Mapping[str, Any]]) -> frozenset[str]:
    """Every string the plan marks sensitive: a copy of one elsewhere is a secret too."""
    found: list[Any] = []
    for rc in changes:
        detail = rc.get("change")
        if not isinstance(detail, Mapping):
            continue
        for side, mask in (("before", "before_sensitive"), ("after", "after_sensitive")):
            found.extend(_marked_values(detail.get(side), detail.get(mask)))
    configuration = plan.get("configuration")
    root = configuration.get("root_module") if isinstance(configuration, Mapping) else None
    declared = root.get("variables") if isinstance(root, Mapping) else None
    values = plan.get("variables")
    if isinstance(declared, Mapping) and isinstance(values, Mapping):
        for name, declaration in declared.items():
            entry = values.get(name)
            if (
                isinstance(declaration, Mapping)
                and declaration.get("sensitive") is True
                and isinstance(entry, Mapping)
            ):
                found.append(entry.get("value"))
    return frozenset(s for value in found for s in strings_in(value) if s.strip())


def _marked_values(value: Any, mask: Any) -> Iterator[Any]:
    if mask is True:
        yield value
    elif isinstance(mask, Mapping) and isinstance(value, Mapping):
        for key, sub in mask.items():
            if key in value:
                yield from _marked_values(value[key], sub)
    elif isinstance(mask, list) and isinstance(value, list):
        for item, sub in zip(value, mask, strict=False):
            yield from _marked_values(item, sub)


def _unknown_paths(path: str, unknown: Any, *, in_list: bool) -> Iterator[str]:
    if unknown is True:
        yield path
    elif isinstance(unknown, Mapping):
        for key, sub in unknown.items():
            child = child_path(path, key, in_list) if path else str(key)
            yield from _unknown_paths(child, sub, in_list=False)
    elif isinstance(unknown, list):
        for index, sub in enumerate(unknown):
            yield from _unknown_paths(f"{path}[{index}]", sub, in_list=True)


# --- states ------------------------------------------------------------------------------------


def unmatched_targets(
    plan: Mapping[str, Any],
    target_state: Mapping[str, Any],
    targets: Sequence[str],
    current_state: Mapping[str, Any] | None = None,
) -> list[str]:
    """The ``targets`` that name no resource of version N, of the current state (canonical,
    when given) nor any the plan touches: Terraform plans nothing for them and says nothing, so
    a mistyped address would go unnoticed."""
    addresses: list[str] = []
    for state in (target_state, current_state or {}):
        resources = state.get("resources")
        if isinstance(resources, Mapping):
            addresses.extend(str(a) for a in resources)
    for rc in _resource_changes(plan):
        addresses.append(_change_address(rc))
        if isinstance(rc.get("previous_address"), str):
            addresses.append(rc["previous_address"])  # a target moved back to N's address
    return [t for t in targets if not any(is_targeted(a, [t]) for a in addresses)]


def _managed_instances(
    state: Mapping[str, Any] | None, targets: Sequence[str], *, keep_deposed: bool = False
) -> dict[str, Mapping[str, Any]]:
    resources = state.get("resources") if isinstance(state, Mapping) else None
    if not isinstance(resources, Mapping):
        return {}
    out: dict[str, Mapping[str, Any]] = {}
    for address, entry in resources.items():
        if not isinstance(entry, Mapping) or entry.get("mode", "managed") != "managed":
            continue
        if entry.get("deposed") and not keep_deposed:
            continue
        if is_targeted(address, targets):
            out[str(address)] = entry
    return out


def _attributes(entry: Mapping[str, Any] | None) -> Mapping[str, Any]:
    attrs = entry.get("attributes") if entry is not None else None
    return attrs if isinstance(attrs, Mapping) else {}


def _with_identity(found: Iterable[Mismatch]) -> list[Mismatch]:
    """``found`` with a difference in ``id`` said as what it means: another object than N's."""
    return [replace(m, path=IDENTITY_PATH) if m.path == _IDENTITY else m for m in found]


def _whole(address: str, attrs: Mapping[str, Any], *, recorded: bool) -> Mismatch:
    value = dict(attrs)
    if recorded:
        return Mismatch(address, "", value, ABSENT, contains_sealed(value))
    return Mismatch(address, "", ABSENT, value, contains_sealed(value))


# --- comparing values --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    seal: Seal | None
    secrets: frozenset[str]  # plain strings the plan marks sensitive
    unknown: Any  # after_unknown at the current node
    marked: Any  # after_sensitive at the current node
    ignored: frozenset[str]  # paths not compared

    def at(self, key: str | int) -> _Context:
        return _Context(
            self.seal, self.secrets, _step(self.unknown, key), _step(self.marked, key), self.ignored
        )


def _step(mask: Any, key: str | int) -> Any:
    if mask is True:
        return True
    if isinstance(mask, Mapping) and isinstance(key, str):
        return mask.get(key)
    if isinstance(mask, list) and isinstance(key, int) and 0 <= key < len(mask):
        return mask[key]
    return None


def _walk(
    address: str, path: str, recorded: Any, planned: Any, ctx: _Context, *, in_list: bool = False
) -> Iterator[Mismatch]:
    """The leaves where ``planned`` does not bring back ``recorded``."""
    if ctx.unknown is True or (path and path in ctx.ignored):
        return
    if is_sealed(recorded) or is_sealed(planned) or ctx.marked is True:
        if not _equivalent(recorded, planned, ctx):
            yield _mismatch(address, path, recorded, planned, ctx)
        return
    if is_dynamic(recorded) and not is_dynamic(planned):
        # State wraps dynamic values, plan JSON does not.
        yield from _walk(address, path, recorded["value"], planned, ctx, in_list=in_list)
        return
    if is_dynamic(recorded) and is_dynamic(planned):
        # Both states wrap it: the value is what counts, not a list turned tuple.
        yield from _walk(address, path, recorded["value"], planned["value"], ctx, in_list=in_list)
        return
    if isinstance(recorded, Mapping) and isinstance(planned, Mapping):
        for key in sorted(recorded.keys() | planned.keys()):
            yield from _walk(
                address,
                key if not path else child_path(path, key, in_list),
                recorded.get(key, ABSENT),
                planned.get(key, ABSENT),
                ctx.at(key),
            )
        return
    if isinstance(recorded, list) and isinstance(planned, list):
        for index in range(max(len(recorded), len(planned))):
            yield from _walk(
                address,
                f"{path}[{index}]",
                recorded[index] if index < len(recorded) else ABSENT,
                planned[index] if index < len(planned) else ABSENT,
                ctx.at(index),
                in_list=True,
            )
        return
    if not _equivalent(recorded, planned, ctx):
        yield _mismatch(address, path, recorded, planned, ctx)


def _equivalent(recorded: Any, planned: Any, ctx: _Context) -> bool:
    if _null(recorded) and _null(planned):
        return True
    if is_sealed(recorded) and is_sealed(planned):
        return same_seal(recorded, planned)
    if is_sealed(recorded) or is_sealed(planned):
        sealed, plain = (recorded, planned) if is_sealed(recorded) else (planned, recorded)
        if ctx.seal is None or _null(plain):
            return False
        seal = ctx.seal
        return any(same_seal(seal(candidate), sealed) for candidate in _seal_candidates(plain))
    if json_equal(recorded, planned):
        return True
    if is_dynamic(recorded) and not is_dynamic(planned):
        return _equivalent(recorded["value"], planned, ctx)
    if is_dynamic(recorded) and is_dynamic(planned):
        return _equivalent(recorded["value"], planned["value"], ctx)
    if isinstance(recorded, Mapping) and isinstance(planned, Mapping):
        return all(
            _equivalent(recorded.get(key, ABSENT), planned.get(key, ABSENT), ctx)
            for key in recorded.keys() | planned.keys()
        )
    if isinstance(recorded, list) and isinstance(planned, list):
        return len(recorded) == len(planned) and all(
            _equivalent(a, b, ctx) for a, b in zip(recorded, planned, strict=True)
        )
    return False


def _mismatch(address: str, path: str, recorded: Any, planned: Any, ctx: _Context) -> Mismatch:
    sensitive = (
        contains_sealed(recorded)
        or contains_sealed(planned)
        or _contains_true(ctx.marked)
        or (_secret_path(path) and (_substantial(recorded) or _substantial(planned)))
        or _has_secret(planned, ctx.secrets)
        or _has_secret(recorded, ctx.secrets)
    )
    if not sensitive:
        return Mismatch(address, path, recorded, planned, False)
    return Mismatch(
        address, path, _sealed_side(recorded, ctx.seal), _sealed_side(planned, ctx.seal), True
    )


def _sealed_side(value: Any, seal: Seal | None) -> Any:
    if value is ABSENT or value is None or is_sealed(value):
        return value
    if seal is None:
        # Nothing to seal with: keep no trace of the value at all.
        return None
    return seal(value)


def _null(value: Any) -> bool:
    return value is None or value is ABSENT


def _contains_true(mask: Any) -> bool:
    if mask is True:
        return True
    if isinstance(mask, Mapping):
        return any(_contains_true(v) for v in mask.values())
    if isinstance(mask, list):
        return any(_contains_true(v) for v in mask)
    return False


def _secret_path(path: str) -> bool:
    names = re.findall(r"[A-Za-z_][A-Za-z0-9_-]*|\"(?:[^\"\\]|\\.)*\"", path)
    return any(is_secret_name(name.strip('"')) for name in names)


def _has_secret(value: Any, secrets: frozenset[str]) -> bool:
    if isinstance(value, str):
        return value in secrets
    if isinstance(value, Mapping):
        return any(
            (is_secret_name(str(k)) and _substantial(v)) or _has_secret(v, secrets)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return any(_has_secret(v, secrets) for v in value)
    return False


def _substantial(value: Any) -> bool:
    # The redactor's rule: null, empty and boolean values under secret names are no secrets.
    if value is None or value is ABSENT or isinstance(value, bool):
        return False
    return value not in ("", {}, [])


def _seal_candidates(plain: Any) -> Iterator[Any]:
    """``plain`` itself, then ``plain`` wrapped as a dynamic value of each type it may have had."""
    yield plain
    for cty in itertools.islice(_cty_types(plain), _MAX_TYPE_GUESSES):
        yield {"value": plain, "type": cty}


def _cty_types(value: Any) -> Iterator[Any]:
    """Type descriptions (cty JSON) ``value`` may have, most likely first."""
    if isinstance(value, bool):
        yield "bool"
    elif isinstance(value, int | float):
        yield "number"
    elif isinstance(value, str):
        yield "string"
    elif isinstance(value, Mapping):
        keys = sorted(value)
        options = [list(itertools.islice(_cty_types(value[k]), 4)) for k in keys]
        for combo in itertools.islice(itertools.product(*options), _MAX_TYPE_GUESSES):
            yield ["object", dict(zip(keys, combo, strict=True))]
        for element in _common_types(list(value.values())):
            yield ["map", element]
    elif isinstance(value, list):
        options = [list(itertools.islice(_cty_types(item), 4)) for item in value]
        for combo in itertools.islice(itertools.product(*options), _MAX_TYPE_GUESSES):
            yield ["tuple", list(combo)]
        for element in _common_types(value):
            yield ["list", element]
            yield ["set", element]


def _common_types(items: list[Any]) -> Iterator[Any]:
    if not items:
        yield from ("string", "number", "bool", "dynamic")
        return
    first = list(itertools.islice(_cty_types(items[0]), 4))
    for cty in first:
        if all(cty in list(itertools.islice(_cty_types(item), 4)) for item in items[1:]):
            yield cty
