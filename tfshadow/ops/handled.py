"""Whether a logged recommendation was already acted on: one rule for the gate and the plan report.

A recommendation counts as acted on when

- a reversion profile's action reverted it (logged with it: ``"profile"``, and an ``"action"`` of
  ``reverted to version N``, which ``check`` logs only for a revert that succeeded and changed
  something: one Terraform found nothing to change for did nothing about the deviation); the
  revert version named is then the first successful revert to N that covers the resource,
  recorded at or after the recommendation, or None when retention removed it; or
- a revert version recorded at or after it (both are whole seconds: the same second counts as
  after, since ``check --act`` dates its recommendation before the revert it causes)
  succeeded (``outcome`` ``success``: one that failed part-way restored nothing for sure), was not
  ``--state-only`` (that rewrote Terraform's record, not the resources the metrics are about),
  covered the resource (no ``targets``, or a target that is the resource or holds it), changed it
  (when the version lists what it changed: a revert that left the resource as it was did nothing
  about its deviation) and went back to the proposed version or an earlier one (for
  ``last-good``: to a version before the suspect, which is what ``last-good`` was chosen to undo;
  for a recommendation that proposed nothing, any version). The first such revert is named.

A recommendation logged after the revert is newer news: it is pending again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tfshadow.forecast import journal
from tfshadow.moments import parse_stamp


@dataclass(frozen=True)
class Acted:
    """What was done about a recommendation: its resource was reverted to ``reverted_to``."""

    reverted_to: int
    version: int | None = None  # the revert version that did it
    profile: str | None = None  # the reversion profile whose action it was


@dataclass(frozen=True)
class Revert:
    """A successful revert of the infrastructure, as its version's metadata tells it."""

    version: int
    moment: datetime
    reverted_to: int
    targets: tuple[str, ...]  # empty: the whole configuration
    changed: tuple[str, ...] | None  # the addresses it changed; None when not recorded


def reverts(history: Sequence[Mapping[str, Any]]) -> list[Revert]:
    """The successful reverts of the infrastructure in ``history`` (version metadata), oldest
    first."""
    found = []
    for meta in history:
        if meta.get("kind") != "revert" or meta.get("outcome") != "success":
            continue
        if meta.get("state_only"):
            continue
        version, to = meta.get("version"), meta.get("reverted_to")
        moment = parse_stamp(meta.get("timestamp"))
        if not isinstance(version, int) or not isinstance(to, int) or moment is None:
            continue
        targets = meta.get("targets")
        changes = meta.get("changes")
        addresses = changes.get("addresses") if isinstance(changes, Mapping) else None
        found.append(
            Revert(
                version,
                moment,
                to,
                tuple(str(t) for t in targets) if isinstance(targets, list) else (),
                tuple(str(a) for a in addresses) if isinstance(addresses, list) else None,
            )
        )
    return sorted(found, key=lambda r: r.version)


def acted_on(record: Mapping[str, Any], done: Sequence[Revert]) -> Acted | None:
    """What was done about the logged recommendation ``record`` (``Recommendation.to_json()``
    form), None while it is pending."""
    created = journal.created_at(record)
    resource = record.get("resource")
    if created is None or not isinstance(resource, str):
        return None
    after = [
        r
        for r in done
        if r.moment >= created and (not r.targets or any(about(t, resource) for t in r.targets))
    ]
    profile = record.get("profile")
    by_profile = _profile_reverted_to(record.get("action"))
    if isinstance(profile, str) and by_profile is not None:
        version = next((r.version for r in after if r.reverted_to == by_profile), None)
        return Acted(reverted_to=by_profile, version=version, profile=profile)
    ceiling = _proposed_ceiling(record.get("command"), record.get("suspect"))
    for revert in after:
        if revert.changed is not None and not any(about(resource, a) for a in revert.changed):
            continue
        if ceiling is None or revert.reverted_to <= ceiling:
            return Acted(reverted_to=revert.reverted_to, version=revert.version)
    return None


def about(resource: str, address: str) -> bool:
    """Whether ``address`` is ``resource`` or inside it: one of its instances, or a resource of
    the module ``resource`` names."""
    return address == resource or address.startswith((resource + "[", resource + "."))


_PROFILE_REVERTED = re.compile(r"reverted to version (\d+)\Z")


def _profile_reverted_to(action: Any) -> int | None:
    """The version a profile's action reverted to (``check``'s ``reverted to version N``)."""
    found = _PROFILE_REVERTED.match(action) if isinstance(action, str) else None
    return int(found.group(1)) if found else None


def _proposed_ceiling(command: Any, suspect: Any) -> int | None:
    """The newest version a revert may go back to and still do what ``command`` proposed; None
    when it proposed nothing that names one."""
    words = command.split() if isinstance(command, str) else []
    if len(words) < 3 or words[:2] != ["tfshadow", "revert"]:
        return None
    target = words[2]
    if target.isascii() and target.isdigit():
        return int(target)
    if target == "last-good" and isinstance(suspect, Mapping):
        # The mark may have moved since; what it was chosen for was a version before the suspect.
        version = suspect.get("version")
        return version - 1 if isinstance(version, int) else None
    return None
