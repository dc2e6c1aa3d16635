"""Ghosts: stopped copies of a resource, declared from a known-good version, started in one apply.

A ghost is declared in :data:`~tfshadow.ghost.adapters.GHOSTS_FILE` in the working directory and
applied stopped. Its activation plan (the running declaration, planned against the state right
after the ghost was applied) is saved in the store's private ``ghosts`` directory, so activating
it is one apply of a plan that was made, and could be reviewed, beforehand.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfshadow.errors import GhostError
from tfshadow.ghost.adapters import GHOSTS_FILE, adapter_for, ghost_name
from tfshadow.ops.history import open_history
from tfshadow.ops.marks import resolve_version

if TYPE_CHECKING:
    from tfshadow.ops.record import RecordOutcome
    from tfshadow.project import Project
    from tfshadow.store import GitShadowStore

REGISTRY = "ghosts.json"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class GhostStatus:
    """One ghost as ``ghost list`` shows it."""

    original: str
    ghost: str
    from_version: int
    status: str
    """``running``, ``stopped``, ``absent`` (not in the state) or ``unknown``."""
    plan: str
    """``saved`` or ``missing``."""


@dataclass(frozen=True)
class GhostResult:
    """What ``enable``, ``activate`` or ``disable`` did."""

    original: str
    ghost: str
    recorded: tuple[dict[str, Any], ...]
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    seconds: float = 0.0
    replanned: bool = False


def enable(project: Project, address: str, *, from_version: str | None) -> GhostResult:
    """Declare the ghost of ``address`` stopped, apply it, and save its activation plan."""
    store, ws = open_history(project, None)
    number = _from_version(store, ws, from_version)
    entry = store.reconstruct(ws, number).state.get("resources", {}).get(address)
    if entry is None:
        raise GhostError(
            f"no resource {address} in version {number}",
            "give the full address as `tfshadow inspect` shows it",
        )
    if entry.get("mode") == "data":
        raise GhostError(f"{address} is a data source", "ghosts are for managed resources only")
    type_ = str(entry["type"])
    adapter = adapter_for(type_)
    name = ghost_name(_local_name(entry))
    attributes = entry.get("attributes") or {}
    stopped = adapter.declare(name, attributes, running=False, ghost_of=address)
    running = adapter.declare(name, attributes, running=True, ghost_of=address)
    targets = _targets(stopped)
    registry = _load_registry(store)
    for other, record in registry.items():
        if other != address and record["ghost"] == f"{type_}.{name}":
            raise GhostError(
                f"{other} already has the ghost {type_}.{name}",
                f"disable it first: `tfshadow ghost disable {other}`",
            )

    _write_ghosts(project.workdir, _merge(_read_ghosts(project.workdir), stopped))
    outcome = _recorded_apply(project, targets, f"ghost of {address} enabled")
    if outcome.exit_code != 0:
        raise GhostError(
            f"Terraform could not create the ghost of {address}",
            f"its declaration stays in {GHOSTS_FILE}; fix the error, then enable it again "
            f"or run `tfshadow ghost disable {address}`",
        )
    plan = _plan_path(store, address)
    with _declared(project.workdir, stopped, running):
        serial = _plan(project, targets, plan)
    registry[address] = {
        "ghost": f"{type_}.{name}",
        "type": type_,
        "from_version": number,
        "plan": str(plan),
        "planned_at": _now(),
        "planned_state": serial,
        "targets": targets,
        "stopped": stopped,
        "running": running,
    }
    _save_registry(store, registry)
    return _result(address, registry[address]["ghost"], outcome)


def activate(project: Project, address: str) -> GhostResult:
    """Start the ghost of ``address`` by applying its saved plan (planned again if stale)."""
    started = time.monotonic()
    store, _ = open_history(project, None)
    registry = _load_registry(store)
    record = _registered(registry, address)
    plan = Path(record["plan"])
    targets = list(record["targets"])
    current = _state_serial(project)
    replanned = not plan.exists() or current != record.get("planned_state")
    _write_ghosts(project.workdir, _merge(_read_ghosts(project.workdir), record["running"]))
    if replanned:
        # The saved plan was made against another state: Terraform would refuse it as stale.
        record["planned_state"] = _plan(project, targets, plan)
        record["planned_at"] = _now()
    outcome = _recorded_apply(project, [], f"ghost of {address} activated", plan=plan)
    if outcome.exit_code != 0:
        raise GhostError(
            f"Terraform could not start the ghost of {address}",
            "if it says the saved plan is stale, run `tfshadow ghost activate` again: "
            "it plans anew against the current state",
        )
    plan.unlink(missing_ok=True)  # applied: a saved plan can be applied once only
    _save_registry(store, registry)
    return _result(
        address, record["ghost"], outcome, seconds=time.monotonic() - started, replanned=replanned
    )


def disable(project: Project, address: str) -> GhostResult:
    """Remove the ghost of ``address`` from the configuration and destroy it (recorded)."""
    store, _ = open_history(project, None)
    registry = _load_registry(store)
    record = _registered(registry, address)
    _write_ghosts(project.workdir, _remove(_read_ghosts(project.workdir), record["stopped"]))
    outcome = _recorded_apply(project, list(record["targets"]), f"ghost of {address} disabled")
    if outcome.exit_code != 0:
        raise GhostError(
            f"Terraform could not destroy the ghost of {address}",
            "fix the error, then run `tfshadow ghost disable` again",
        )
    Path(record["plan"]).unlink(missing_ok=True)
    del registry[address]
    _save_registry(store, registry)
    return _result(address, record["ghost"], outcome)


def enabled_ghosts(store: GitShadowStore) -> frozenset[str]:
    """The addresses whose ghost is enabled in ``store``."""
    return frozenset(_load_registry(store))


def is_enabled(project: Project, address: str) -> bool:
    """Whether ``address`` has a ghost (without asking Terraform anything)."""
    store, _ = open_history(project, None)
    return address in _load_registry(store)


def list_ghosts(project: Project) -> list[GhostStatus]:
    """Every registered ghost, with its state in the current Terraform state."""
    from tfshadow.ops.record import pull_or_none

    store, _ = open_history(project, None)
    registry = _load_registry(store)
    raw = pull_or_none(project)[0] if registry else None
    resources = _raw_resources(raw)
    return [
        GhostStatus(
            original=address,
            ghost=record["ghost"],
            from_version=int(record["from_version"]),
            status=_status(resources, record["stopped"], record["running"]),
            plan="saved" if Path(record["plan"]).exists() else "missing",
        )
        for address, record in sorted(registry.items())
    ]


# -- helpers -----------------------------------------------------------------------------------


def _from_version(store: GitShadowStore, ws: str, text: str | None) -> int:
    if text is not None:
        return resolve_version(store, ws, text)
    good = store.last_good(ws)
    return good if good is not None else resolve_version(store, ws, "latest")


def _local_name(entry: Mapping[str, Any]) -> str:
    name = str(entry["name"])
    if "index_key" in entry:
        name += "_" + _UNSAFE.sub("_", str(entry["index_key"]))
    return name


def _targets(fragment: Mapping[str, Any]) -> list[str]:
    return [
        f"{type_}.{name}"
        for type_, bodies in fragment.get("resource", {}).items()
        for name in bodies
    ]


def _registered(registry: Mapping[str, Any], address: str) -> dict[str, Any]:
    record = registry.get(address)
    if record is None:
        known = ", ".join(sorted(registry)) or "none"
        raise GhostError(
            f"{address} has no ghost (ghosts: {known})",
            f"enable one with `tfshadow ghost enable {address}`",
        )
    return dict(record)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _plan_path(store: GitShadowStore, address: str) -> Path:
    return store.private_dir("ghosts") / f"{_UNSAFE.sub('_', address)}.tfplan"


def _registry_path(store: GitShadowStore) -> Path:
    return store.private_dir("ghosts") / REGISTRY


def _load_registry(store: GitShadowStore) -> dict[str, Any]:
    path = _registry_path(store)
    if not path.exists():
        return {}
    doc = json.loads(path.read_text())
    return dict(doc) if isinstance(doc, dict) else {}


def _save_registry(store: GitShadowStore, registry: Mapping[str, Any]) -> None:
    _atomic_write(_registry_path(store), registry)


def _read_ghosts(workdir: Path) -> dict[str, Any]:
    path = workdir / GHOSTS_FILE
    if not path.exists():
        return {}
    try:
        doc = json.loads(path.read_text())
    except ValueError as exc:
        raise GhostError(f"{GHOSTS_FILE} is not JSON ({exc})", "fix or remove the file") from exc
    if not isinstance(doc, dict):
        raise GhostError(f"{GHOSTS_FILE} is not a JSON object", "fix or remove the file")
    return doc


def _write_ghosts(workdir: Path, doc: Mapping[str, Any]) -> None:
    path = workdir / GHOSTS_FILE
    if not doc:
        path.unlink(missing_ok=True)
        return
    _atomic_write(path, doc)


def _atomic_write(path: Path, doc: Mapping[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _merge(doc: Mapping[str, Any], fragment: Mapping[str, Any]) -> dict[str, Any]:
    """``doc`` with the blocks of ``fragment`` (two levels: ``resource.TYPE.NAME``) set."""
    out: dict[str, Any] = {key: dict(value) for key, value in doc.items()}
    for key, value in fragment.items():
        section = out.setdefault(key, {})
        for kind, body in value.items():
            if key == "resource":
                section[kind] = {**section.get(kind, {}), **body}
            else:
                section[kind] = body
    return out


def _remove(doc: Mapping[str, Any], fragment: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {key: dict(value) for key, value in doc.items()}
    for key, value in fragment.items():
        section = out.get(key, {})
        for kind, body in value.items():
            if key == "resource":
                remaining = {n: b for n, b in section.get(kind, {}).items() if n not in body}
                if remaining:
                    section[kind] = remaining
                else:
                    section.pop(kind, None)
            else:
                section.pop(kind, None)
        if not section:
            out.pop(key, None)
    return out


@contextmanager
def _declared(
    workdir: Path, restore: Mapping[str, Any], temporary: Mapping[str, Any]
) -> Iterator[None]:
    """The ghost declared as ``temporary`` for the block's duration, then as ``restore``."""
    _write_ghosts(workdir, _merge(_read_ghosts(workdir), temporary))
    try:
        yield
    finally:
        _write_ghosts(workdir, _merge(_read_ghosts(workdir), restore))


def _recorded_apply(
    project: Project, targets: Sequence[str], message: str, *, plan: Path | None = None
) -> RecordOutcome:
    from tfshadow.ops.record import run_recorded

    args = ["apply", "-input=false"]
    args += (
        [str(plan)] if plan is not None else ["-auto-approve", *(f"-target={t}" for t in targets)]
    )
    return run_recorded(project, args, "apply", args[1:], message=message)


def _plan(project: Project, targets: Sequence[str], out: Path) -> dict[str, Any]:
    """Save a targeted plan to ``out``; returns the state (lineage, serial) it was made against."""
    from tfshadow.runner.engine import internal_environ

    before = _state_serial(project)
    args = ["plan", "-input=false", "-no-color", f"-out={out}", *(f"-target={t}" for t in targets)]
    result = project.engine.capture(
        args, cwd=project.workdir, environ=internal_environ(project.environ)
    )
    if result.returncode != 0:
        out.unlink(missing_ok=True)
        raise GhostError(
            f"Terraform could not plan the ghost's activation: {result.error_line()}",
            "fix the error, then enable the ghost again",
        )
    return before


def _state_serial(project: Project) -> dict[str, Any]:
    from tfshadow.ops.record import pull_or_none

    raw = pull_or_none(project)[0] or {}
    return {"lineage": raw.get("lineage"), "serial": raw.get("serial")}


def _raw_resources(raw: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    """Root-module resource attributes of a raw state, by ``TYPE.NAME``."""
    out: dict[str, Mapping[str, Any]] = {}
    for resource in (raw or {}).get("resources", []):
        if resource.get("module") or resource.get("mode") != "managed":
            continue
        instances = resource.get("instances") or []
        if instances:
            out[f"{resource['type']}.{resource['name']}"] = instances[0].get("attributes") or {}
    return out


def _status(
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
            for path, stopped_value, running_value in _differences(
                body, running["resource"][type_][name], ()
            ):
                value = _lookup(attributes, path)
                if value == stopped_value:
                    seen.add("stopped")
                elif value == running_value:
                    seen.add("running")
                else:
                    seen.add("unknown")
    return seen.pop() if len(seen) == 1 else "unknown"


def _differences(
    a: Any, b: Any, path: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], Any, Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in a.keys() | b.keys():
            yield from _differences(a.get(key), b.get(key), (*path, key))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _differences(x, y, (*path, i))
    elif a != b:
        yield path, a, b


def _lookup(value: Any, path: Sequence[str | int]) -> Any:
    for step in path:
        if isinstance(step, int) and isinstance(value, list) and step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict):
            value = value.get(step)
        else:
            return None
    return value


def _result(
    address: str,
    ghost: str,
    outcome: RecordOutcome,
    *,
    seconds: float = 0.0,
    replanned: bool = False,
) -> GhostResult:
    return GhostResult(
        original=address,
        ghost=ghost,
        recorded=tuple(outcome.recorded),
        notes=tuple(outcome.notes),
        warnings=tuple(outcome.warnings),
        seconds=seconds,
        replanned=replanned,
    )
