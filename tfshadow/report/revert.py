"""Rendering of a revert's verification: before the apply (the plan) and after it (the state).

The verification block follows Terraform's own plan output, so it says only what the plan does
not: which resources of version N lose their data, come back empty or differently, and how many
come back exactly. Lines are :class:`rich.text.Text` with styles only, never markup, so an
address such as ``web["a"]`` prints as it is. Sensitive values print as ``(sensitive value)``.

JSON shapes (``--json``)::

    verification_json  {"version", "needs_confirmation", "noop",
                        "plan": {"add", "change", "destroy"},
                        "destroyed": [address], "recreated": [address],
                        "created_anew": [address], "added": [address],
                        "kept": [address], "forgotten": [address],
                        "imported": [address], "moved": [{"from", "to"}],
                        "outputs_changed": [name], "restored_exactly": n,
                        "mismatches": [MISMATCH]}
    remaining_json     {"version", "equal", "differences": [MISMATCH],
                        "created_anew": [address]}
    revert_json        {"version", "exit_code", "verification": verification_json | null,
                        "state_changes": CHANGES | null (--state-only),
                        "recorded": META | null, "remaining": remaining_json | null,
                        "written_config": [path], "removed_config": [path],
                        "drift_recorded": [META], "ghosts_recorded": [META],
                        "notes": [text], "warnings": [text]}

    MISMATCH  {"address", "path", "recorded"?, "planned"?, "sensitive"}

As in :mod:`tfshadow.report.jsonout`, a side that does not exist is left out, so ``null`` is
Terraform's null, and sensitive values are ``null``: seal strings never leave the store.
``path`` is ``""`` for a whole instance that exists on one side only, ``"(status)"`` for the
instance's status (``"tainted"``), ``"(identity)"`` for another object than version N's at its
address (``recorded`` and ``planned`` are the ids).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from tfshadow.report.terminal import SENSITIVE, print_line, print_lines
from tfshadow.report.text import pad_cells
from tfshadow.revert.verify import IDENTITY_PATH, STATUS_PATH, Mismatch, VerificationReport
from tfshadow.state.changes import ABSENT, contains_sealed, is_sealed

if TYPE_CHECKING:
    from tfshadow.ops.revert import RevertOutcome
    from tfshadow.state.changes import StateChanges

__all__ = [
    "remaining_json",
    "render_remaining",
    "render_verification",
    "revert_json",
    "verification_json",
]

# Long values (policies, user data) are cut: the block is a summary, `tfshadow diff` the detail.
_VALUE_LIMIT = 160


def render_verification(console: Console, report: VerificationReport) -> None:
    """The verification block printed after Terraform's plan output."""
    print_line(console, Text())
    print_line(console, Text(f"Verification against version {report.version}", style="bold"))
    lines: list[Text] = []
    for address in report.destroyed:
        lines.append(_line("-", address, "will be destroyed", "bold red"))
    for address in report.recreated:
        lines.append(
            _line("-/+", address, "will be recreated: its data does not come back", "bold red")
        )
    for address in report.created_anew:
        lines.append(
            _line(
                "+",
                address,
                "will be created anew: restored in shape, not data",
                "bold yellow",
            )
        )
    for address in report.added:
        lines.append(
            _line(
                "+",
                address,
                f"will be created, though version {report.version} did not have it",
                "bold yellow",
            )
        )
    for address in report.kept:
        lines.append(
            _line(
                "!",
                address,
                f"stays, though version {report.version} did not have it",
                "bold yellow",
            )
        )
    for source, target in report.moved:
        lines.append(_line(">", source, f"moves back to {target}", "bold"))
    for address in report.forgotten:
        lines.append(
            _line(".", address, "will be removed from the state, not destroyed", "bold yellow")
        )
    for address in report.imported:
        lines.append(
            _line(
                "<",
                address,
                f"will be taken back: imported by the id version {report.version} recorded",
                "bold",
            )
        )
    lines.extend(_mismatch_lines(report.mismatches, report.version, after_apply=False))
    print_lines(console, lines)

    exact = report.restored_exactly
    style = "bold green" if not report.needs_confirmation else "bold"
    print_line(
        console,
        Text(
            f"{exact} resource{'' if exact == 1 else 's'} return{'s' if exact == 1 else ''}"
            f" exactly to version {report.version}.",
            style=style,
        ),
    )
    if report.is_noop:
        print_line(console, Text("The plan changes nothing.", style="dim"))


def render_remaining(
    console: Console,
    mismatches: Sequence[Mismatch],
    version: int,
    *,
    targeted: bool = False,
    anew: Sequence[str] = (),
) -> None:
    """After the apply: whether the live state equals version N, or what still differs
    (``targeted``: only the resources a ``--target`` revert covered were compared). ``anew``:
    the objects the apply created or recreated, N's in shape but not in data, as the
    verification said before the apply (their new ids are not compared)."""
    subject = "The targeted resources" if targeted else "State"
    anew_lines = [_anew_line(address, version) for address in anew]
    if not mismatches:
        verb = "equal" if targeted else "equals"
        but = ", but for the objects created anew:" if anew else "."
        print_line(
            console,
            Text(
                f"{subject} now {verb} version {version} on every recorded attribute{but}",
                style="bold",
            ),
        )
        print_lines(console, anew_lines)
        return
    count = len(mismatches)
    print_line(
        console,
        Text(
            f"{subject} still differ{'' if targeted else 's'} from version {version} in {count}"
            f" place{'' if count == 1 else 's'}:",
            style="bold yellow",
        ),
    )
    print_lines(console, [*_mismatch_lines(mismatches, version, after_apply=True), *anew_lines])


def verification_json(report: VerificationReport) -> dict[str, Any]:
    """The verification as plain JSON data, for ``--json``."""
    add, change, destroy = report.counts
    return {
        "version": report.version,
        "needs_confirmation": report.needs_confirmation,
        "noop": report.is_noop,
        "plan": {"add": add, "change": change, "destroy": destroy},
        "destroyed": list(report.destroyed),
        "recreated": list(report.recreated),
        "created_anew": list(report.created_anew),
        "added": list(report.added),
        "kept": list(report.kept),
        "forgotten": list(report.forgotten),
        "imported": list(report.imported),
        "moved": [{"from": source, "to": target} for source, target in report.moved],
        "outputs_changed": list(report.outputs_changed),
        "restored_exactly": report.restored_exactly,
        "mismatches": [_mismatch_json(m) for m in report.mismatches],
    }


def remaining_json(
    mismatches: Sequence[Mismatch], version: int, anew: Sequence[str] = ()
) -> dict[str, Any]:
    """What still differs after the apply, as plain JSON data (``anew``: see
    :func:`render_remaining`)."""
    return {
        "version": version,
        "equal": not mismatches,
        "differences": [_mismatch_json(m) for m in mismatches],
        "created_anew": list(anew),
    }


def revert_json(
    outcome: RevertOutcome,
    *,
    drift: Sequence[Mapping[str, Any]] = (),
    state_changes: StateChanges | None = None,
    followed: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The whole revert as one document, for ``revert --json``: ``drift`` and ``followed`` are
    the versions recorded before it (a change made outside tfshadow) and after it (the ghosts
    following), ``state_changes`` what a ``--state-only`` revert writes back."""
    from tfshadow.report.jsonout import meta_json, state_changes_json

    report = outcome.report
    recorded = outcome.recorded
    return {
        "version": outcome.version,
        "exit_code": outcome.exit_code,
        "verification": None if report is None else verification_json(report),
        "state_changes": None if state_changes is None else state_changes_json(state_changes),
        "recorded": None if recorded is None else meta_json(recorded),
        "remaining": None
        if recorded is None or outcome.report is None
        else remaining_json(outcome.remaining, outcome.version, outcome.anew),
        "written_config": list(outcome.written_config),
        "removed_config": list(outcome.removed_config),
        "drift_recorded": [meta_json(meta) for meta in drift],
        "ghosts_recorded": [meta_json(meta) for meta in followed],
        "notes": list(outcome.notes),
        "warnings": list(outcome.warnings),
    }


# --- lines -------------------------------------------------------------------------------------


def _line(symbol: str, address: str, what: str, style: str) -> Text:
    line = Text("  ")
    line.append(f"{symbol:<3} ", style=style)
    line.append(address, style=style)
    line.append(f" {what}", style=style)
    return line


def _anew_line(address: str, version: int) -> Text:
    # The verification's own words for it, in the past tense.
    return _line(
        "+", address, f"was created anew: version {version}'s in shape, not data", "bold yellow"
    )


def _mismatch_lines(
    mismatches: Iterable[Mismatch], version: int, *, after_apply: bool
) -> list[Text]:
    lines: list[Text] = []
    groups: dict[str, list[Mismatch]] = {}
    for mismatch in mismatches:
        groups.setdefault(mismatch.address, []).append(mismatch)
    for address, group in groups.items():
        rows = [m for m in group if m.path and m.path not in (STATUS_PATH, IDENTITY_PATH)]
        for identity in (m for m in group if m.path == IDENTITY_PATH):
            # The same words before and after the apply: no attribute can make up for it.
            then = _value(identity.recorded, identity.sensitive)
            now = _value(identity.planned, identity.sensitive)
            what = (
                f"is another object than version {version}'s (replaced since: id {then} → "
                f"{now}): its data is not version {version}'s"
            )
            lines.append(_line("!", address, what, "bold red"))
        for status in (m for m in group if m.path == STATUS_PATH):
            if status.planned == "tainted":
                what = (
                    "is tainted: the next apply will replace it"
                    if after_apply
                    else "will stay tainted: the next apply will replace it"
                )
            elif status.recorded == "tainted":
                what = f"was tainted in version {version} but is not now"
            else:
                now, then = _value(status.planned, False), _value(status.recorded, False)
                what = f"has status {now}, not {then} as in version {version}"
            lines.append(_line("!", address, what, "bold red"))
        for whole in (m for m in group if not m.path):
            if whole.planned is ABSENT:
                what = (
                    f"exists in version {version} but not now"
                    if after_apply
                    else "is not in the plan: it will not exist after the revert"
                )
            else:
                what = f"exists now but not in version {version}"
            lines.append(_line("!", address, what, "bold red"))
        if not rows:
            continue
        what = "differs from" if after_apply else "does not return to"
        lines.append(_line("~", address, f"{what} version {version}:", "bold yellow"))
        width = max(cell_len(m.path) for m in rows)
        for row in rows:
            line = Text(" " * 8)
            line.append(pad_cells(row.path, width), style="yellow")
            line.append("  ")
            line.append(_value(row.recorded, row.sensitive))
            line.append(" → ", style="dim")
            line.append(_value(row.planned, row.sensitive))
            lines.append(line)
    return lines


def _value(value: Any, sensitive: bool) -> str:
    if value is ABSENT:
        return "(absent)"
    if value is None:
        return "null"
    if sensitive or contains_sealed(value):
        return SENSITIVE
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if len(text) > _VALUE_LIMIT:
        text = text[: _VALUE_LIMIT - 1] + "…"
    return text


# --- json --------------------------------------------------------------------------------------


def _mismatch_json(mismatch: Mismatch) -> dict[str, Any]:
    out: dict[str, Any] = {"address": mismatch.address, "path": mismatch.path}
    for key, value in (("recorded", mismatch.recorded), ("planned", mismatch.planned)):
        if value is ABSENT:
            continue
        out[key] = None if mismatch.sensitive and mismatch.path else _scrub(value)
    out["sensitive"] = mismatch.sensitive
    return out


def _scrub(value: Any) -> Any:
    if is_sealed(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value
