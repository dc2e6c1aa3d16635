"""Ghosts: stopped copies of a resource, declared from a known-good version, started in one apply.

A ghost is declared in :data:`~tfshadow.ghost.config_file.GHOSTS_FILE` in the working directory
and applied stopped. Its activation plan (the running declaration, and the traffic switches in
an override file, planned against the state right after the ghost was applied) is saved in the
store's private ``ghosts`` directory, so activating it is one apply of a plan that was made, and
could be reviewed, beforehand. A plan file holds every variable and the whole state in clear, so
it is kept encrypted with TFSHADOW_KEY; without the key it is kept only when the configuration
has no secret, and otherwise made at activation.

Ghosts follow the known-good version: :func:`follow` runs after every ``tfshadow apply`` and
``tfshadow revert``. It declares each standing-by ghost from the newest version marked ``good``
(a ghost enabled ``--from`` a version stays on it), applies the declaration when it changed or
the ghost is gone, and plans the activation again, since the state it was planned against has
moved on. It also enables and disables the ghosts the ``ghost`` block of tfshadow.hcl lists.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfshadow.errors import GhostError, GhostInterruptedError, TfshadowError
from tfshadow.ghost import config_file, traffic
from tfshadow.ghost.adapters import adapter_for, ghost_name
from tfshadow.ghost.status import raw_resources, status
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
    """``saved``, ``stale`` (made against another state: activation plans again) or
    ``missing``."""
    follows: str = "last-good"
    """``last-good``, or ``pinned`` when enabled ``--from`` a version."""
    traffic: tuple[str, ...] = ()
    newer_good: int | None = None
    """The newest version marked good when it is not the one the ghost was copied from and
    the ghost follows last-good: it follows at the next apply or ``ghost refresh``."""
    status_as_of: str | None = None
    """When ``status`` was true: the time of the recorded version whose state it is read
    from, or of the refresh; None for a state no version records (changed outside tfshadow)."""
    status_version: int | None = None
    """The version whose state ``status`` is read from (None when refreshed or unrecorded)."""
    refreshed: bool = False
    """Whether ``status`` was asked of the providers (``--refresh``) rather than read from
    the last state Terraform wrote, which a process that died since does not change."""


@dataclass(frozen=True)
class GhostResult:
    """What ``enable``, ``activate`` or ``disable`` did."""

    original: str
    ghost: str
    recorded: tuple[dict[str, Any], ...]
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    seconds: float = 0.0
    replanned: str = ""  # why the activation was planned again, when it was


@dataclass
class FollowReport:
    """What :func:`follow` did: versions it recorded, and what the user should know."""

    recorded: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failed: bool = False
    """Whether a ghost was left behind (its warning says which and why). The other warnings
    are on what was done all the same (a push or an upload the next recorded command retries):
    ``ghost refresh`` fails on this alone, as ``apply`` does not fail on them."""


def enable(
    project: Project,
    address: str,
    *,
    from_version: str | None,
    switches: Sequence[str] = (),
    declared_in_settings: bool = False,
    no_color: bool = False,
) -> GhostResult:
    """Declare the ghost of ``address`` stopped, apply it, and save its activation plan.

    ``switches`` are traffic switches (``TARGET=ATTRIBUTE``, see :mod:`tfshadow.ghost.traffic`)
    made part of the activation.
    """
    store, ws = open_history(project, None)
    with _held(project, store, "ghost enable"):
        result = _enable(
            project,
            store,
            ws,
            address,
            from_version=from_version,
            switches=switches,
            declared_in_settings=declared_in_settings,
            no_color=no_color,
        )
    return _shared_with_workspaces(store, ws, result, "creates it there too, stopped")


def _shared_with_workspaces(
    store: GitShadowStore, ws: str, result: GhostResult, effect: str
) -> GhostResult:
    """``result`` with a warning when other workspaces of the configuration have versions:
    the ghost files and registry belong to the configuration, which each workspace applies,
    so what a ghost command declares here its next apply there ``effect``."""
    others = [name for name in store.workspaces() if name != ws]
    if not others:
        return result
    warning = (
        f"the ghost files are the configuration's, shared by its workspaces: the next apply in "
        f"{', '.join(others)} {effect}"
    )
    return replace(result, warnings=(*result.warnings, warning))


def _held(project: Project, store: GitShadowStore, command: str) -> AbstractContextManager[None]:
    """The store's lock, for the whole of a ghost command (Terraform's recorded apply takes it
    again: it is re-entrant). A store locked by another command then refuses the command before
    the ghost files are written: refused only when Terraform was to run, `enable` would leave
    the ghost declared and unregistered, `disable` registered and undeclared. Nor do two ghost
    commands rewrite the registry at once."""
    return store.lock(project.lock_timeout, command=command)


def _enable(
    project: Project,
    store: GitShadowStore,
    ws: str,
    address: str,
    *,
    from_version: str | None,
    switches: Sequence[str],
    declared_in_settings: bool,
    no_color: bool,
) -> GhostResult:
    number = _from_version(store, ws, from_version)
    registry = _load_registry(store)
    for original, entry in registry.items():
        if address.split("[", 1)[0] in entry["targets"]:
            raise GhostError(
                f"{address} is the ghost of {original}, not a resource of your own",
                "give the original's address (its ghost is enabled: `tfshadow ghost list`)",
            )
    parsed = traffic.parse_all(switches)
    _check_switch_targets(project, parsed)
    record = _record_for(store, ws, address, number, parsed)
    # Also a ghost the registry lost (removed when damaged) may run with the traffic on it.
    _refuse_active(project, address, registry.get(address, record))
    for other, entry in registry.items():
        if other != address and entry["ghost"] == record["ghost"]:
            raise GhostError(
                f"{other} already has the ghost {record['ghost']}",
                f"disable it first: `tfshadow ghost disable {other}`",
            )
    _check_names_free(project, address, record)
    record["pinned"] = from_version is not None
    record["settings"] = declared_in_settings
    from tfshadow.runner.engine import interruptions

    try:
        with interruptions() as interrupted:
            outcome = _stand_by(
                project,
                store,
                address,
                record,
                message=f"ghost of {address} enabled",
                no_color=no_color,
            )
    except GhostError as exc:
        if address in registry:
            if interrupted:
                raise GhostInterruptedError(
                    f"enabling the ghost of {address} again was interrupted",
                    f"its declaration stays in {config_file.GHOSTS_FILE}: run `tfshadow ghost "
                    f"enable {address}` again, or `tfshadow ghost disable {address}`",
                ) from None
            raise  # an enabled ghost keeps what it had; its own hint says what to do
        _roll_back(project, store, address, record, no_color=no_color)
        if interrupted:
            # Terraform stopped by the signal reported no error to fix.
            raise GhostInterruptedError(
                f"enabling the ghost of {address} was interrupted: nothing of the ghost was kept",
                f"run `tfshadow ghost enable {address}` again",
            ) from None
        raise GhostError(
            exc.message,
            "fix what Terraform reported above, then enable it again (nothing of the ghost was "
            "kept)",
        ) from exc
    replaced = _replaced(registry.get(address), record)
    registry[address] = record
    _save_registry(store, registry)
    result = _result(address, record["ghost"], outcome)
    if replaced:
        result = replace(result, notes=(*result.notes, f"the ghost of {address} {replaced}"))
    return _replan_others(project, store, address, result)


def _replaced(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> str:
    """What enabling a ghost again changed of it, said as a user gave it (empty: nothing)."""
    if before is None:
        return ""
    changes = []
    if before["from_version"] != after["from_version"]:
        changes.append(
            f"is declared from version {after['from_version']} now "
            f"(it was from version {before['from_version']})"
        )
    if sorted(before.get("traffic") or []) != sorted(after.get("traffic") or []):
        old = ", ".join(before.get("traffic") or []) or "none"
        new = ", ".join(after.get("traffic") or []) or "none"
        changes.append(f"switches traffic {new} now (it switched {old})")
    return " and ".join(changes)


def _refuse_active(project: Project, address: str, record: Mapping[str, Any]) -> None:
    """Enabling an active ghost again would declare it stopped and pause it while its traffic
    switches, which the new entry would no longer know of, still point at it."""
    from tfshadow.ops.record import pull_or_none

    here = raw_resources(pull_or_none(project)[0])
    if status(here, record["stopped"], record["running"]) == "running":
        overridden = config_file.read(project.workdir, config_file.OVERRIDE_FILE)
        switched = _without_switches_to(overridden, record["targets"]) != overridden
        raise GhostError(
            f"the ghost of {address} is active: enabling it again would pause it"
            + (" with the traffic still on it" if switched else ""),
            f"run `tfshadow ghost disable {address}` first (it gives the traffic back to the "
            "original), or keep it as it is",
        )


def activate(project: Project, address: str, *, no_color: bool = False) -> GhostResult:
    """Start the ghost of ``address`` by applying its saved plan (planned again if stale)."""
    started = time.monotonic()
    store, ws = open_history(project, None)
    with _held(project, store, "ghost activate"):
        result = _activate(project, store, ws, address, started=started, no_color=no_color)
    return _shared_with_workspaces(
        store, ws, result, "starts it there too (and switches the traffic it has there)"
    )


def _activate(
    project: Project,
    store: GitShadowStore,
    ws: str,
    address: str,
    *,
    started: float,
    no_color: bool,
) -> GhostResult:
    from tfshadow.runner.engine import interruptions

    registry = _load_registry(store)
    record = _registered(registry, address)
    plan = Path(record["plan"])
    fetched = _take_the_remotes_first(project, store)
    good = store.last_good(ws)
    behind = not record.get("pinned") and good not in (None, int(record["from_version"]))
    switched = _override(record)
    current = _state_serial(project)
    if not plan.exists():
        replanned = (
            "no saved plan was left: the last activation used it"
            if record.get("plan_kept", True)
            else _NOT_KEPT
        )
    elif current != record.get("planned_state"):
        replanned = "the state had changed"
    else:
        replanned = ""
    declared = config_file.read(project.workdir)
    overridden = config_file.read(project.workdir, config_file.OVERRIDE_FILE)
    config_file.update(project.workdir, record["running"])
    config_file.update(project.workdir, switched, config_file.OVERRIDE_FILE)
    recorded: list[dict[str, Any]] = []
    interrupted: list[int] = []
    try:
        with (
            tempfile.TemporaryDirectory(prefix="tfshadow-ghost-") as scratch,
            interruptions() as interrupted,
        ):
            ready = Path(scratch) / "activation.tfplan"
            if not replanned and not _open_plan(project, store, plan, ready):
                replanned = "the saved plan is encrypted and TFSHADOW_KEY does not open it"
            if replanned:
                # The saved plan was made against another state: Terraform would refuse it.
                record["planned_state"] = _plan(project, store, _plan_targets(record), ready)
                record["planned_at"] = _now()
            outcome = _recorded_apply(
                project, store, [], f"ghost of {address} activated", plan=ready, no_color=no_color
            )
            # An interrupted Terraform fails as a stale plan does: planning and applying
            # again would start the ghost the user has just stopped.
            if outcome.exit_code != 0 and not replanned and not interrupted:
                # A saved plan does not refresh: what changed outside Terraform since it was
                # made (the ghost's process gone) fails it every time; a new plan sees it.
                recorded += outcome.recorded
                replanned = "applying the saved plan failed"
                record["planned_state"] = _plan(project, store, _plan_targets(record), ready)
                record["planned_at"] = _now()
                outcome = _recorded_apply(
                    project,
                    store,
                    [],
                    f"ghost of {address} activated",
                    plan=ready,
                    no_color=no_color,
                )
    except BaseException as exc:
        running = _undo_activation(project, record, declared, overridden)
        if interrupted and isinstance(exc, GhostError):
            # Terraform stopped by the signal fails the plan: "fix the error" would mislead.
            raise _activation_interrupted(address, running) from None
        raise
    if outcome.exit_code != 0:
        running = _undo_activation(project, record, declared, overridden)
        if interrupted:
            raise _activation_interrupted(address, running)
        raise GhostError(
            f"Terraform could not start the ghost of {address}",
            f"fix what Terraform reported above, then run `tfshadow ghost activate {address}` "
            "again",
        )
    outcome.recorded[:0] = recorded
    outcome.notes[:0] = fetched.notes
    outcome.warnings[:0] = fetched.warnings
    if behind:
        # Marking a version good does not move the ghosts: the next apply or a refresh does.
        outcome.warnings.append(
            f"the ghost started is a copy of version {record['from_version']}, not of version "
            f"{good}, the newest marked good: run `tfshadow ghost refresh` after marking a "
            "version good"
        )
    plan.unlink(missing_ok=True)  # applied: a saved plan can be applied once only
    registry[address] = record
    _save_registry(store, registry)
    result = _result(
        address, record["ghost"], outcome, seconds=time.monotonic() - started, replanned=replanned
    )
    # After the time is taken: the ghost runs already.
    return _replan_others(project, store, address, result)


def _take_the_remotes_first(project: Project, store: GitShadowStore) -> RecordOutcome:
    """Take the remote's newer versions and marks before the ghost is judged behind the newest
    version marked good: that is the team's (another copy's `mark N good` counts), and the
    activation's apply would take them only after. What the fetch said, to be reported."""
    from tfshadow.ops.record import RecordOutcome, pull_before_recording

    fetched = RecordOutcome(exit_code=0)
    with store.lock(project.lock_timeout, command="ghost activate"):
        pull_before_recording(store, fetched)
    return fetched


def _undo_activation(
    project: Project,
    record: Mapping[str, Any],
    declared: Mapping[str, Any],
    overridden: Mapping[str, Any],
) -> bool:
    """Declare the ghost stopped and its traffic unswitched again after an activation that did
    not start it: left running, the next apply of anything would start it and move the traffic.
    A ghost that runs all the same (an apply interrupted after it started) keeps its declaration.
    Whether it runs.
    """
    from tfshadow.ops.record import pull_or_none

    try:
        here = raw_resources(pull_or_none(project)[0])
    except TfshadowError:
        here = {}
    if status(here, record["stopped"], record["running"]) == "running":
        return True
    config_file.write(project.workdir, declared)
    config_file.write(project.workdir, overridden, config_file.OVERRIDE_FILE)
    return False


def _activation_interrupted(address: str, running: bool) -> GhostInterruptedError:
    if running:
        return GhostInterruptedError(
            f"the activation of the ghost of {address} was interrupted after Terraform started "
            "the ghost: it runs",
            "nothing more is needed to start it (`tfshadow ghost list` shows it running)",
        )
    return GhostInterruptedError(
        f"the activation of the ghost of {address} was interrupted: the ghost is declared "
        "stopped again and its traffic was not switched",
        f"run `tfshadow ghost activate {address}` to start it",
    )


def disable(project: Project, address: str, *, no_color: bool = False) -> GhostResult:
    """Remove the ghost of ``address`` and its traffic switches, and destroy it (recorded).

    Taking the switches out gives the switched outputs and arguments their own values again,
    so the traffic goes back to the original.
    """
    store, ws = open_history(project, None)
    with _held(project, store, "ghost disable"):
        return _disable(project, store, ws, address, no_color=no_color)


def _disable(
    project: Project, store: GitShadowStore, ws: str, address: str, *, no_color: bool
) -> GhostResult:
    registry = _load_registry(store)
    record = registry.get(address) or _declared_unregistered(project, store, ws, address, registry)
    config_file.take_out(project.workdir, record["stopped"])
    # Every switch to the ghost, also one its entry no longer lists (left by a registry removed
    # and enabled again): kept, it would name a ghost no longer declared, and every plan fail.
    overridden = config_file.read(project.workdir, config_file.OVERRIDE_FILE)
    unswitched = _without_switches_to(overridden, record["targets"])
    config_file.write(project.workdir, unswitched, config_file.OVERRIDE_FILE)
    targets = _switch_back_targets(address, record)
    targets += [t for t in _switched(address, overridden, unswitched) if t not in targets]
    from tfshadow.runner.engine import interruptions

    with interruptions() as interrupted:
        outcome = _recorded_apply(
            project,
            store,
            targets,
            f"ghost of {address} disabled",
            no_color=no_color,
        )
    if outcome.exit_code != 0 and interrupted:
        raise GhostInterruptedError(
            f"disabling the ghost of {address} was interrupted",
            f"run `tfshadow ghost disable {address}` again to finish",
        )
    if outcome.exit_code != 0:
        raise GhostError(
            f"Terraform could not destroy the ghost of {address}",
            "fix the error, then run `tfshadow ghost disable` again",
        )
    Path(record["plan"]).unlink(missing_ok=True)
    registry.pop(address, None)
    _save_registry(store, registry)
    return _replan_others(project, store, address, _result(address, record["ghost"], outcome))


def _declared_unregistered(
    project: Project,
    store: GitShadowStore,
    ws: str,
    address: str,
    registry: Mapping[str, Any],
) -> dict[str, Any]:
    """The entry of a ghost the directory still declares though the registry lost it (a
    damaged registry is removed, as its error says): its declaration, active with the traffic
    on it perhaps, can only be taken out with an entry to say what it is."""
    latest = store.latest(ws)
    if latest is not None:
        try:
            record = _record_for(store, ws, address, int(latest["version"]), ())
        except GhostError:
            return _registered(registry, address)  # not a resource a ghost can be made of
        type_, _, name = record["ghost"].partition(".")
        if name in config_file.read(project.workdir).get("resource", {}).get(type_, {}):
            return record
    return _registered(registry, address)


def follow(project: Project, *, no_color: bool = False) -> FollowReport:
    """Bring every ghost up to date after the state changed (see the module docstring).

    A ghost that cannot follow is reported as a warning and keeps its last declaration: the
    change that was just applied is recorded already and must not be reported as failed; so is
    a store whose ghosts cannot be read at all.
    """
    report = FollowReport()
    # Bad settings are bad input (an apply has read them before Terraform ran): raised.
    wanted = _settings_ghosts(project)
    try:
        _follow_all(project, wanted, no_color, report)
    except TfshadowError as exc:
        report.failed = True
        report.warnings.append(f"the ghosts were not brought up to date: {exc.one_line()}")
    return report


def _follow_all(
    project: Project,
    wanted: Mapping[str, tuple[str, ...]],
    no_color: bool,
    report: FollowReport,
) -> None:
    from tfshadow.ops.record import pull_or_none

    if not project.store_exists():
        return
    store = project.open_store(create=False)
    ws = project.workspace
    registry = _load_registry(store)
    if not (registry or wanted) or not store.versions(ws):
        return
    for address, switches in wanted.items():
        if address not in registry:
            _guarded(
                report,
                address,
                "be enabled",
                _enable_declared,
                project,
                no_color,
                address,
                switches,
            )
    here = raw_resources(pull_or_none(project)[0])
    for address, record in _load_registry(store).items():
        if address not in registry:
            continue  # enabled just now: declared and planned against this very state
        if record.get("settings") and address not in wanted:
            _guarded(
                report, address, "be disabled", _disable_undeclared, project, no_color, address
            )
        elif status(here, record["stopped"], record["running"]) == "running":
            report.notes.append(
                f"The ghost of {address} is active: it is left as it is "
                f"(`tfshadow ghost disable {address}` removes it)."
            )
        else:
            # Also a ghost that was active once: a revert or an apply put it back to stopped.
            declared = wanted.get(address) if record.get("settings") else None
            _guarded(report, address, "follow", _follow_one, project, no_color, address, declared)


def enabled_ghosts(store: GitShadowStore) -> frozenset[str]:
    """The addresses whose ghost is enabled in ``store``."""
    return frozenset(_load_registry(store))


def ghost_resources(store: GitShadowStore) -> frozenset[str]:
    """The resources of every enabled ghost (``localcloud_instance.web_ghost``, and what an
    adapter adds): tfshadow's own stand-ins, of their originals' types."""
    return frozenset(t for record in _load_registry(store).values() for t in record["targets"])


def is_ghost(address: str, ghosts: frozenset[str]) -> bool:
    """Whether the instance ``address`` is of one of ``ghosts`` (see :func:`ghost_resources`)."""
    return address.split("[", 1)[0] in ghosts


def is_enabled(project: Project, address: str) -> bool:
    """Whether ``address`` has a ghost (without asking Terraform anything)."""
    store, _ = open_history(project, None)
    return address in _load_registry(store)


def renumber(store: GitShadowStore, moved: Mapping[int, int]) -> list[tuple[str, int, int]]:
    """After ``store pull --rebase`` recorded this copy's versions again under new numbers
    (``moved``: old → new), each ghost copied from one of them names its new number: the
    registry is this copy's own, and the old number now names the remote's version (a pinned
    ghost would follow that one at its next refresh). Returns (address, old, new) of each.
    ``store pull --undo-rebase`` gives the numbers back the same way (``moved``: new → old)."""
    registry = _load_registry(store)
    renumbered = []
    for address, record in registry.items():
        old = int(record["from_version"])
        new = moved.get(old, old)
        if new != old:
            record["from_version"] = new
            renumbered.append((address, old, new))
    if renumbered:
        _save_registry(store, registry)
    return renumbered


def list_ghosts(project: Project, *, refresh: bool = False) -> list[GhostStatus]:
    """Every registered ghost, with its state in the current Terraform state; ``refresh``:
    in the state as the providers report it now (a refresh-only plan, nothing written)."""
    from tfshadow.ops.record import pull_or_none

    store, ws = open_history(project, None)
    registry = _load_registry(store)
    raw = (pull_or_none(project)[0] or {}) if registry else {}
    current = {"lineage": raw.get("lineage"), "serial": raw.get("serial")}
    good = store.last_good(ws) if registry else None
    as_of: str | None
    version: int | None
    if refresh and registry:
        resources = _refreshed_resources(project, store, registry)
        as_of, version = _now(), None
    else:
        resources = raw_resources(raw)
        as_of, version = _state_time(store, ws, current) if registry else (None, None)
    return [
        GhostStatus(
            original=address,
            ghost=record["ghost"],
            from_version=int(record["from_version"]),
            status=status(resources, record["stopped"], record["running"]),
            plan=_plan_status(record, current),
            follows="pinned" if record.get("pinned") else "last-good",
            traffic=tuple(record.get("traffic", ())),
            newer_good=(
                good
                if good is not None
                and good != int(record["from_version"])
                and not record.get("pinned")
                else None
            ),
            status_as_of=as_of,
            status_version=version,
            refreshed=refresh,
        )
        for address, record in sorted(registry.items())
    ]


def _state_time(
    store: GitShadowStore, ws: str, current: Mapping[str, Any]
) -> tuple[str | None, int | None]:
    """The time and number of the newest version when the current state is its state (Terraform
    raises the serial whenever it writes a changed state); (None, None) otherwise."""
    latest = store.latest(ws)
    if latest is None or current.get("serial") is None:
        return None, None
    recorded = store.reconstruct(ws, int(latest["version"])).state
    if any(recorded.get(key) != current.get(key) for key in ("lineage", "serial")):
        return None, None
    return str(latest["timestamp"]), int(latest["version"])


def _refreshed_resources(
    project: Project, store: GitShadowStore, registry: Mapping[str, Any]
) -> dict[str, Mapping[str, Any]]:
    """The ghosts' attributes as their providers read them now: a targeted refresh-only plan,
    which writes no state. A ghost whose object is gone (its process died) is not in it."""
    from tfshadow.runner.engine import internal_environ

    targets = sorted({t for record in registry.values() for t in record["targets"]})
    environ = internal_environ(project.environ)
    with tempfile.TemporaryDirectory(prefix="tfshadow-ghost-") as scratch:
        out = Path(scratch) / "refresh.tfplan"
        args = [
            "plan",
            "-refresh-only",
            "-input=false",
            "-no-color",
            f"-out={out}",
            *_recorded_var_args(store, project.workspace),
            *(f"-target={t}" for t in targets),
        ]
        planned = project.engine.capture(args, cwd=project.workdir, environ=environ)
        shown = (
            project.engine.capture(
                ["show", "-json", str(out)], cwd=project.workdir, environ=environ
            )
            if planned.returncode == 0
            else planned
        )
    if shown.returncode != 0:
        raise GhostError(
            f"Terraform could not refresh the ghosts: {shown.error_line()}",
            "fix the error, or list without --refresh (the status of the last state)",
        )
    module = (json.loads(shown.stdout).get("prior_state") or {}).get("values") or {}
    return {
        str(resource["address"]): resource.get("values") or {}
        for resource in (module.get("root_module") or {}).get("resources") or ()
        if resource.get("mode") == "managed" and "index" not in resource
    }


def _plan_status(record: Mapping[str, Any], current: Mapping[str, Any]) -> str:
    if not Path(record["plan"]).exists():
        return "missing"
    # Terraform refuses a plan made against another state: the activation plans anew.
    return "saved" if record.get("planned_state") == current else "stale"


# -- following ---------------------------------------------------------------------------------


def _settings_ghosts(project: Project) -> dict[str, tuple[str, ...]]:
    settings = project.settings.ghost
    return {address: tuple(settings.traffic.get(address, ())) for address in settings.resources}


def _guarded(
    report: FollowReport,
    address: str,
    what: str,
    step: Callable[..., None],
    project: Project,
    no_color: bool,
    *args: Any,
) -> None:
    try:
        step(project, no_color, *args, report)
    except TfshadowError as exc:
        report.failed = True
        report.warnings.append(
            f"the ghost of {address} could not {what}: {exc.message} "
            "(run `tfshadow ghost refresh` once it is fixed)"
        )


def _collect(report: FollowReport, result: GhostResult) -> None:
    report.recorded.extend(result.recorded)
    report.notes.extend(result.notes)
    report.warnings.extend(result.warnings)


def _disable_undeclared(
    project: Project, no_color: bool, address: str, report: FollowReport
) -> None:
    _collect(report, disable(project, address, no_color=no_color))
    report.notes.append(f"Disabled the ghost of {address} (no longer in the ghost block).")


def _enable_declared(
    project: Project,
    no_color: bool,
    address: str,
    switches: Sequence[str],
    report: FollowReport,
) -> None:
    result = enable(
        project,
        address,
        from_version=None,
        switches=switches,
        declared_in_settings=True,
        no_color=no_color,
    )
    _collect(report, result)
    report.notes.append(f"Enabled the ghost of {address} (declared in the ghost block).")


def _follow_one(
    project: Project,
    no_color: bool,
    address: str,
    switches: Sequence[str] | None,
    report: FollowReport,
) -> None:
    store = project.open_store(create=False)
    ws = project.workspace
    registry = _load_registry(store)
    old = registry[address]
    good = store.last_good(ws)
    number = int(old["from_version"]) if old.get("pinned") or good is None else good
    kept = traffic.from_registry(old.get("traffic", ()))
    wanted = kept if switches is None else traffic.parse_all(switches)
    # The name it was enabled with: a ghost renamed would be destroyed and created anew.
    name = str(old["ghost"]).split(".", 1)[1]
    record = {**old, **_record_for(store, ws, address, number, wanted, name=name)}
    if not traffic.unchanged(kept, wanted):
        # Switches that are no longer wanted must not linger in a later activation.
        config_file.take_out(project.workdir, _override(old), config_file.OVERRIDE_FILE)
    if record["ghost"] != old["ghost"]:
        config_file.take_out(project.workdir, old["stopped"])
    outcome = _stand_by(
        project,
        store,
        address,
        record,
        message=f"ghost of {address} follows version {number}",
        skip_apply_if_current=True,
        no_color=no_color,
    )
    _collect(report, _result(address, record["ghost"], outcome))
    if number != int(old["from_version"]):
        report.notes.append(f"The ghost of {address} now follows version {number}.")
    registry[address] = record
    _save_registry(store, registry)


# -- declaring and planning --------------------------------------------------------------------


def _record_for(
    store: GitShadowStore,
    ws: str,
    address: str,
    number: int,
    switches: Sequence[traffic.Switch],
    *,
    name: str | None = None,
) -> dict[str, Any]:
    """The registry entry of the ghost of ``address`` as version ``number`` declares it;
    ``name``: the ghost's resource name when it has one already."""
    entry = store.reconstruct(ws, number).state.get("resources", {}).get(address)
    if entry is None:
        raise GhostError(
            f"no resource {address} in version {number}",
            "give the full address as `tfshadow inspect` shows it; if it is right, "
            f"`tfshadow log {address}` lists the versions that changed it: enable it --from one "
            "that holds it",
        )
    if entry.get("mode") == "data":
        raise GhostError(f"{address} is a data source", "ghosts are for managed resources only")
    type_ = str(entry["type"])
    adapter = adapter_for(type_)
    name = name or ghost_name(_local_name(entry))
    attributes = entry.get("attributes") or {}
    stopped = adapter.declare(name, attributes, running=False, ghost_of=address)
    switched = traffic.override(f"{type_}.{name}", switches)
    return {
        "ghost": f"{type_}.{name}",
        "type": type_,
        "from_version": number,
        "plan": str(_plan_path(store, address)),
        "targets": _targets(stopped),
        "stopped": stopped,
        "running": adapter.declare(name, attributes, running=True, ghost_of=address),
        "traffic": traffic.describe(switches),
        "traffic_targets": traffic.targets_in(switched),
    }


def _stand_by(
    project: Project,
    store: GitShadowStore,
    address: str,
    record: dict[str, Any],
    *,
    message: str,
    skip_apply_if_current: bool = False,
    no_color: bool = False,
) -> RecordOutcome:
    """Declare and apply the ghost stopped, then save its activation plan into ``record``."""
    from tfshadow.ops.record import RecordOutcome, pull_or_none

    current = config_file.read(project.workdir)
    declared = config_file.contains(current, record["stopped"])
    switched = _override(record)
    # A switch left in force would point the traffic at a ghost that no longer runs.
    switched_in = bool(switched) and config_file.contains(
        config_file.read(project.workdir, config_file.OVERRIDE_FILE), switched
    )
    here = raw_resources(pull_or_none(project)[0])
    present = all(target in here for target in record["targets"])
    if skip_apply_if_current and declared and present and not switched_in:
        outcome = RecordOutcome(exit_code=0)
    else:
        config_file.write(project.workdir, config_file.merge(current, record["stopped"]))
        config_file.take_out(project.workdir, switched, config_file.OVERRIDE_FILE)
        targets = _switch_back_targets(address, record) if switched_in else record["targets"]
        outcome = _recorded_apply(project, store, targets, message, no_color=no_color)
        if outcome.exit_code != 0:
            raise GhostError(
                f"Terraform could not create the ghost of {address}",
                f"its declaration stays in {config_file.GHOSTS_FILE}; fix the error, then "
                f"enable it again or run `tfshadow ghost disable {address}`",
            )
    _save_activation_plan(project, store, record)
    return outcome


def _save_activation_plan(project: Project, store: GitShadowStore, record: dict[str, Any]) -> None:
    """Plan the activation of the ghost ``record`` against the current state, and keep it."""
    with (
        config_file.declared(
            project.workdir, record["stopped"], record["running"], _override(record)
        ),
        tempfile.TemporaryDirectory(prefix="tfshadow-ghost-") as scratch,
    ):
        made = Path(scratch) / "activation.tfplan"
        record["planned_state"] = _plan(project, store, _plan_targets(record), made)
        record["plan_kept"] = _keep_plan(project, store, made, Path(record["plan"]))
    record["planned_at"] = _now()


def _replan_others(
    project: Project, store: GitShadowStore, address: str, result: GhostResult
) -> GhostResult:
    """Plan again the activation of every other ghost standing by, once the ghost of
    ``address`` changed the state: their saved plans were made against the state before, and
    Terraform refuses a plan made against another state."""
    from tfshadow.ops.record import pull_or_none

    registry = _load_registry(store)
    raw = pull_or_none(project)[0] or {}
    here = raw_resources(raw)
    current = {"lineage": raw.get("lineage"), "serial": raw.get("serial")}
    warnings = list(result.warnings)
    for other, record in sorted(registry.items()):
        if (
            other == address
            or not record.get("plan_kept", True)
            or record.get("planned_state") == current
            or status(here, record["stopped"], record["running"]) != "stopped"
        ):
            continue
        try:
            _save_activation_plan(project, store, record)
        except TfshadowError as exc:
            warnings.append(
                f"the activation plan of the ghost of {other} was not made again: "
                f"{exc.message} (`tfshadow ghost activate` plans it then)"
            )
            continue
        registry[other] = record
        _save_registry(store, registry)
    return replace(result, warnings=tuple(warnings))


_NOT_KEPT = (
    "no plan was kept: it would hold the configuration's secrets in clear (set TFSHADOW_KEY to "
    "keep it encrypted)"
)


def _keep_plan(project: Project, store: GitShadowStore, made: Path, plan: Path) -> bool:
    """Keep the activation plan ``made`` at ``plan``: encrypted with TFSHADOW_KEY, in clear only
    when the newest version holds no secret; whether it was kept."""
    plan.unlink(missing_ok=True)
    redactor = project.redactor(store)
    if redactor.encrypts:
        sealed = redactor.seal(base64.b64encode(made.read_bytes()).decode("ascii"))
        plan.write_text(sealed, encoding="ascii")
        return True
    if _holds_secrets(store, project.workspace):
        return False
    shutil.copyfile(made, plan)
    return True


def _holds_secrets(store: GitShadowStore, ws: str) -> bool:
    from tfshadow.state.redact import seals_in

    latest = store.latest(ws)
    if latest is None:
        return False
    recorded = store.reconstruct(ws, int(latest["version"]))
    return bool(seals_in(recorded.state) or seals_in(recorded.config))


def _open_plan(project: Project, store: GitShadowStore, plan: Path, ready: Path) -> bool:
    """Write the saved plan, opened, to ``ready``; False when TFSHADOW_KEY cannot open it."""
    from tfshadow.errors import SecretError
    from tfshadow.state.redact import SEAL_PREFIX

    data = plan.read_bytes()
    if not data.startswith(SEAL_PREFIX.encode()):
        shutil.copyfile(plan, ready)  # kept in clear: the configuration held no secret
        return True
    try:
        opened = project.redactor(store).unseal(data.decode("ascii").strip())
    except SecretError:
        return False
    ready.write_bytes(base64.b64decode(opened))
    return True


def _roll_back(
    project: Project,
    store: GitShadowStore,
    address: str,
    record: Mapping[str, Any],
    *,
    no_color: bool,
) -> None:
    """Undo a first enable that failed: a half-made ghost must not linger in the configuration
    (every later apply would try it again) nor in the infrastructure unregistered."""
    from tfshadow.ops.record import pull_or_none

    config_file.take_out(project.workdir, record["stopped"])
    config_file.take_out(project.workdir, _override(record), config_file.OVERRIDE_FILE)
    here = raw_resources(pull_or_none(project)[0])
    if any(target in here for target in record["targets"]):
        _recorded_apply(
            project,
            store,
            record["targets"],
            f"ghost of {address} removed: enabling it failed",
            no_color=no_color,
        )


def _override(record: Mapping[str, Any]) -> dict[str, Any]:
    return traffic.override(record["ghost"], traffic.from_registry(record.get("traffic", ())))


def _plan_targets(record: Mapping[str, Any]) -> list[str]:
    return [*record["targets"], *record.get("traffic_targets", ())]


def _switch_back_targets(address: str, record: Mapping[str, Any]) -> list[str]:
    """The targets of the apply that takes the traffic switches out.

    A targeted apply updates only the outputs that depend on a target, and a switched output
    goes back to its own expression, on the original: so the original is a target too.
    """
    targets = _plan_targets(record)
    if _override(record).get("output"):
        targets.append(address)
    return targets


def _recorded_apply(
    project: Project,
    store: GitShadowStore,
    targets: Sequence[str],
    message: str,
    *,
    plan: Path | None = None,
    no_color: bool = False,
) -> RecordOutcome:
    from tfshadow.ops.record import run_recorded

    args = ["apply", "-input=false", *(["-no-color"] if no_color else [])]
    args += (
        [str(plan)]
        if plan is not None
        else [
            "-auto-approve",
            *_recorded_var_args(store, project.workspace),
            *(f"-target={t}" for t in targets),
        ]
    )
    return run_recorded(project, args, "apply", args[1:], message=message, store=store)


def _recorded_var_args(store: GitShadowStore, ws: str) -> list[str]:
    """``-var`` arguments repeating the values the newest version was applied with.

    The targets of a ghost's applies and plans include the original and traffic targets:
    planned with the directory's defaults, they would be changed back wherever ``-var`` set
    other values. Sealed values stay out (they are never written in clear); the user's own
    ``TF_VAR_*`` still reach Terraform.
    """
    from tfshadow.state.redact import is_sealed

    latest = store.latest(ws)
    if latest is None:
        return []
    recorded = store.reconstruct(ws, int(latest["version"])).config.get("variables") or {}
    return [
        f"-var={name}={value if isinstance(value, str) else json.dumps(value)}"
        for name, value in sorted(recorded.items())
        if not is_sealed(value)
    ]


def _check_switch_targets(project: Project, switches: Sequence[traffic.Switch]) -> None:
    """Switches must name what the root module declares; unless a file cannot be read (then
    the activation's plan is the judge)."""
    if not switches:
        return
    from tfshadow.state import config_files

    files = config_files.collect_files(project.workdir)
    summary = config_files.config_summary({p: d for p, d in files.items() if "/" not in p})
    if summary["unparsed"]:
        return
    root = summary["modules"].get(".", {})
    traffic.check_declared(switches, root.get("outputs", ()), root.get("resources", ()))


def _check_names_free(project: Project, address: str, record: Mapping[str, Any]) -> None:
    """The ghost's names (resources, and the variables an adapter adds) must not be taken by
    the root module's own files: Terraform would refuse every plan with "Duplicate resource"."""
    from tfshadow.state import config_files

    wanted = {
        "resources": set(record["targets"]),
        "variables": set(record["stopped"].get("variable", {})),
    }
    for path, data in config_files.collect_files(project.workdir).items():
        if "/" in path or path in (config_file.GHOSTS_FILE, config_file.OVERRIDE_FILE):
            continue
        root = config_files.config_summary({path: data})["modules"].get(".", {})
        for kind, names in wanted.items():
            taken = sorted(names.intersection(root.get(kind, ())))
            if taken:
                what = "variable" if kind == "variables" else "resource"
                raise GhostError(
                    f"{path} already declares the {what} {taken[0]}, the name the ghost of "
                    f"{address} takes",
                    f"rename or remove that {what} (a `moved` block keeps a resource's object "
                    "under its new name), then enable the ghost again",
                )


def leave_out_disabled(
    store: GitShadowStore, scratch_root: Path, live_raw: Mapping[str, Any] | None
) -> list[str]:
    """Take out of a revert's scratch copy every ghost version N declares that is not enabled
    now and not in the live state ``live_raw`` (disabled since N), with the traffic switches
    pointing at it; return its resources.

    A revert changes the infrastructure, not which ghosts are enabled: applied as N declares
    it, a ghost disabled since would be created again (running, where N had it active), and
    with no entry in the registry `ghost list` would not show it nor `ghost disable` remove it.
    The verification sets its resources aside, as N's only. One that exists unregistered (a
    registry removed by hand) is left as N declares it: taken out, it would be destroyed.
    """
    try:
        registry = _load_registry(store)
        doc = config_file.read(scratch_root)
        overridden = config_file.read(scratch_root, config_file.OVERRIDE_FILE)
    except TfshadowError:
        return []  # the plan meets what it cannot read
    kept = {target for record in registry.values() for target in record["targets"]}
    kept |= raw_resources(live_raw).keys()
    declared = doc.get("resource")
    left_out = sorted(
        f"{type_}.{name}"
        for type_, bodies in (declared.items() if isinstance(declared, dict) else ())
        if isinstance(bodies, dict)
        for name in bodies
        if f"{type_}.{name}" not in kept
    )
    if not left_out:
        return []
    fragment: dict[str, Any] = {}
    for address in left_out:
        type_, name = address.split(".", 1)
        fragment.setdefault("resource", {}).setdefault(type_, {})[name] = {}
    config_file.write(scratch_root, _without_unused_variables(config_file.remove(doc, fragment)))
    config_file.write(
        scratch_root, _without_switches_to(overridden, left_out), config_file.OVERRIDE_FILE
    )
    return left_out


def _switched(address: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The targets an apply needs to give back what the override document ``before`` switched
    and ``after`` no longer does: each resource, and the original ``address`` for an output
    (a targeted apply updates only the outputs that depend on a target)."""
    changed = [
        f"{type_}.{name}"
        for type_, bodies in (before.get("resource") or {}).items()
        for name, body in (bodies.items() if isinstance(bodies, dict) else ())
        if ((after.get("resource") or {}).get(type_) or {}).get(name) != body
    ]
    if before.get("output") != after.get("output"):
        changed.append(address)
    return changed


def _without_unused_variables(doc: Mapping[str, Any]) -> dict[str, Any]:
    """``doc`` without the variables none of its other blocks refers to: an adapter's variable
    (one without a default) left behind its ghost would make Terraform ask for a value."""
    variables = doc.get("variable")
    if not isinstance(variables, dict):
        return dict(doc)
    rest = json.dumps({key: value for key, value in doc.items() if key != "variable"})
    used = {name: body for name, body in variables.items() if f"var.{name}" in rest}
    return {
        **{key: value for key, value in doc.items() if key != "variable"},
        **({"variable": used} if used else {}),
    }


def _without_switches_to(doc: Mapping[str, Any], ghosts: Sequence[str]) -> dict[str, Any]:
    """The override document ``doc`` without the switches whose value refers to one of
    ``ghosts``: the switched outputs and arguments get their own values back."""

    def refers(value: Any) -> bool:
        text = json.dumps(value)
        return any("${" + ghost + "." in text for ghost in ghosts)

    out: dict[str, Any] = {}
    for key, section in doc.items():
        if not isinstance(section, dict):
            out[key] = section
        elif key == "resource":
            kinds = {
                type_: {
                    name: {arg: v for arg, v in body.items() if not refers(v)}
                    for name, body in bodies.items()
                    if isinstance(body, dict)
                }
                for type_, bodies in section.items()
                if isinstance(bodies, dict)
            }
            kinds = {t: {n: b for n, b in bodies.items() if b} for t, bodies in kinds.items()}
            if any(kinds.values()):
                out[key] = {t: bodies for t, bodies in kinds.items() if bodies}
        else:
            kept = {name: body for name, body in section.items() if not refers(body)}
            if kept:
                out[key] = kept
    return out


def keep_ghosts_declared(
    store: GitShadowStore, scratch_root: Path, targets: Sequence[str] = ()
) -> list[str]:
    """Declare, stopped, in a revert's scratch copy every enabled ghost version N does not
    declare (N is older than the ghost), and return its resources.

    A revert changes the infrastructure, not which ghosts are enabled (only `ghost disable`
    does): destroyed in the revert's apply, the ghost would go in the same walk as its original
    is replaced, so that neither runs, and follow would create it again right after. Declared
    stopped, it is paused (or left standing by) instead, and :func:`order_pauses_after_originals`
    makes that wait for the original. Its resources are none of N's, so the revert's
    verification sets them aside.
    """
    from tfshadow.state.addresses import is_targeted

    try:
        registry = _load_registry(store)
        doc = config_file.read(scratch_root)
    except TfshadowError:
        return []  # the plan meets what it cannot read; keeping the ghost is a refinement
    kept: list[str] = []
    for address, record in sorted(registry.items()):
        if not is_targeted(address, targets):
            continue
        missing = [t for t in record["targets"] if not isinstance(_body(doc, t), dict)]
        if missing and len(missing) == len(record["targets"]):
            doc = config_file.merge(doc, record["stopped"])
            kept.extend(record["targets"])
    if kept:
        config_file.write(scratch_root, doc)
    return kept


def order_pauses_after_originals(
    store: GitShadowStore, scratch_root: Path, targets: Sequence[str] = ()
) -> list[str]:
    """Make every ghost that a revert's scratch copy declares wait for its original.

    A revert to a version where a now active ghost stood by pauses the ghost in the same apply
    that brings the original back (often by replacing it): without an order, Terraform pauses
    the ghost while the original is still being destroyed and created, and neither runs. A
    ``depends_on`` on the original (on its module call, for a module's resource) makes
    Terraform pause the ghost only once the original is applied, and not at all when that
    fails. It goes into the scratch copy only: in the working directory it would pull the
    original into every targeted apply of the ghost, and break every plan once the original is
    removed from the configuration. A targeted revert orders only the ghosts whose original it
    targets (depends_on would add the original to the targets). Returns the ghost resources
    ordered.
    """
    from tfshadow.state import config_files
    from tfshadow.state.addresses import is_targeted

    if not (scratch_root / config_file.GHOSTS_FILE).exists():
        return []
    try:
        registry = _load_registry(store)
        doc = config_file.read(scratch_root)
    except TfshadowError:
        return []  # the plan meets a declaration it cannot read; the order is a refinement
    bodies = {
        address: [
            (target, body)
            for target in record["targets"]
            if isinstance(body := _body(doc, target), dict)
        ]
        for address, record in sorted(registry.items())
        if is_targeted(address, targets)
    }
    if not any(bodies.values()):
        return []  # nothing to order: the configuration is not parsed (its first parse is slow)
    files = {
        path.name: path.read_bytes()
        for path in scratch_root.iterdir()
        if path.name.endswith((".tf", ".tf.json"))
        and path.is_file()
        and path.name not in (config_file.GHOSTS_FILE, config_file.OVERRIDE_FILE)
    }
    root = config_files.config_summary(files)["modules"].get(".", {})
    declared = {*root.get("resources", ()), *(f"module.{m}" for m in root.get("module_calls", {}))}
    ordered = []
    for address, found in bodies.items():
        dependency = _root_object(address)
        if found and dependency in declared:  # an undeclared one would fail the whole plan
            for target, body in found:
                body["depends_on"] = [dependency]
                ordered.append(target)
    if ordered:
        config_file.write(scratch_root, doc)
    return ordered


def drop_pause_order(scratch_root: Path) -> None:
    """Take out of a revert's scratch copy the order :func:`order_pauses_after_originals` gave
    (tfshadow never declares a ghost with a ``depends_on`` of its own)."""
    doc = config_file.read(scratch_root)
    for bodies in doc.get("resource", {}).values():
        for body in bodies.values():
            if isinstance(body, dict):
                body.pop("depends_on", None)
    config_file.write(scratch_root, doc)


def _body(doc: Mapping[str, Any], target: str) -> Any:
    type_, name = target.split(".", 1)
    bodies = doc.get("resource")
    bodies = bodies.get(type_) if isinstance(bodies, dict) else None
    return bodies.get(name) if isinstance(bodies, dict) else None


def _root_object(address: str) -> str:
    """What a root-module ``depends_on`` can name for ``address``: its module call, or the
    resource without its instance key."""
    if address.startswith("module."):
        call = _MODULE_STEP.match(address)
        return f"module.{call[1]}" if call else address
    return address.split("[", 1)[0]


def ghosts_behind(project: Project, workspace: str) -> tuple[int | None, list[tuple[str, int]]]:
    """The newest version of ``workspace`` marked good, and the ghosts following last-good
    that are copies of another version (address, version): marking a version good moves no
    ghost by itself. Nothing when ``workspace`` is not the one the ghosts are declared in."""
    if workspace != project.workspace or not project.store_exists():
        return None, []
    store = project.open_store(create=False)
    registry = _load_registry(store)
    good = store.last_good(workspace) if registry else None
    if good is None:
        return None, []
    return good, [
        (address, int(record["from_version"]))
        for address, record in sorted(registry.items())
        if not record.get("pinned") and int(record["from_version"]) != good
    ]


def _plan(
    project: Project, store: GitShadowStore, targets: Sequence[str], out: Path
) -> dict[str, Any]:
    """Save a targeted plan to ``out``; returns the state (lineage, serial) it was made against."""
    from tfshadow.runner.engine import internal_environ

    before = _state_serial(project)
    args = [
        "plan",
        "-input=false",
        "-no-color",
        f"-out={out}",
        *_recorded_var_args(store, project.workspace),
        *(f"-target={t}" for t in targets),
    ]
    result = project.engine.capture(
        args, cwd=project.workdir, environ=internal_environ(project.environ)
    )
    if result.returncode != 0:
        out.unlink(missing_ok=True)
        raise GhostError(
            f"Terraform could not plan the ghost's activation: {result.error_line()}",
            "fix the error (a traffic switch must name an output or resource argument the "
            "configuration declares), then enable the ghost again",
        )
    return before


def _state_serial(project: Project) -> dict[str, Any]:
    from tfshadow.ops.record import pull_or_none

    raw = pull_or_none(project)[0] or {}
    return {"lineage": raw.get("lineage"), "serial": raw.get("serial")}


# -- small helpers -----------------------------------------------------------------------------


def _from_version(store: GitShadowStore, ws: str, text: str | None) -> int:
    if text is not None:
        return resolve_version(store, ws, text)
    good = store.last_good(ws)
    return good if good is not None else resolve_version(store, ws, "latest")


def _local_name(entry: Mapping[str, Any]) -> str:
    name = str(entry["name"])
    if "index_key" in entry:
        name += "_" + _UNSAFE.sub("_", str(entry["index_key"]))
    module = entry.get("module")
    if module:
        # Ghosts are declared in the root module: without the module path, `module.a.x.app`,
        # `module.b.x.app` and a root `x.app` would all want the name `app_ghost`.
        steps = [
            f"module_{call}" + (f"_{_UNSAFE.sub('_', key.strip(chr(34)))}" if key else "")
            for call, key in _MODULE_STEP.findall(str(module))
        ]
        name = "__".join([*steps, name])
    return name


_MODULE_STEP = re.compile(r'module\.([A-Za-z0-9_-]+)(?:\[(\d+|"(?:[^"\\]|\\.)*")\])?')


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
    # Readable, and told apart by a digest: `w[1]` and `w_1_` read alike once made safe, and
    # one ghost's activation would apply the other's plan.
    digest = hashlib.sha256(address.encode()).hexdigest()[:12]
    return store.private_dir("ghosts") / f"{_UNSAFE.sub('_', address)}-{digest}.tfplan"


def _registry_path(store: GitShadowStore) -> Path:
    return store.private_dir("ghosts") / REGISTRY


def _load_registry(store: GitShadowStore) -> dict[str, Any]:
    path = _registry_path(store)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        # Cut short by a full disk or a kill: every ghost command, and every plan and apply
        # that reports on ghosts, reads it.
        reason = (exc.strerror or str(exc)) if isinstance(exc, OSError) else "not JSON"
        raise _damaged_registry(path, reason) from None
    # Edited by hand or written by something else: read as it is, it would be taken for no
    # ghosts (and overwritten by the next enable) or fail in the middle of a command.
    if not isinstance(doc, dict):
        raise _damaged_registry(path, "not a JSON object")
    for address, record in doc.items():
        if not isinstance(record, dict):
            raise _damaged_registry(path, f"the entry of {address} is not a JSON object")
        wrong = [
            key
            for key, kind in _RECORD_KEYS.items()
            if not isinstance(record.get(key), kind) or isinstance(record.get(key), bool)
        ]
        if wrong:
            raise _damaged_registry(
                path, f"the entry of {address} lacks a valid {', '.join(wrong)}"
            )
    return dict(doc)


_RECORD_KEYS: Mapping[str, type] = {
    "ghost": str,
    "from_version": int,
    "plan": str,
    "targets": list,
    "stopped": dict,
    "running": dict,
}


def _damaged_registry(path: Path, reason: str) -> GhostError:
    return GhostError(
        f"the ghost registry {path} cannot be read ({reason})",
        "remove it and enable the ghosts again (`tfshadow ghost enable ADDRESS`)",
    )


def _save_registry(store: GitShadowStore, registry: Mapping[str, Any]) -> None:
    # The store's own bookkeeping is its user's alone, as the recommendation log is.
    config_file.write_json(_registry_path(store), registry, mode=0o600)


def _result(
    address: str,
    ghost: str,
    outcome: RecordOutcome,
    *,
    seconds: float = 0.0,
    replanned: str = "",
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
