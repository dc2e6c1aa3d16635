"""The histories a mirror holds besides one: those that parted from it.

Every history step names its base, so a mirror's steps form a tree. A step that is no step's
base ends a history. One that the history at hand (the one restored, or the store's own) does
not hold is either

- replaced: the copy of the store that uploaded it left it for another history itself
  (`store pull --rebase` records that copy's versions again after the remote's;
  `--undo-rebase` goes back on purpose), and uploaded a step with a higher count since, or a
  step names it as the history it replaced (a copy restored from it did so); or
- parted: two copies recorded apart (each while the git remote was out of its reach, neither
  joined them) and both uploaded, so the versions its steps brought since the newest step both
  histories share are in that history only. Restoring the other leaves them out.

Steps uploaded before steps named their copy cannot be told apart, and are taken as replaced,
as every history but the newest was then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from tfshadow.mirror.base import HistoryStep, Mirror, versions_text

CHOOSE_HINT = (
    "choose one with `tfshadow store restore --tip COMMIT` (restore each into an empty "
    "directory to compare their `tfshadow log`; the other stays in the mirror)"
)


@dataclass(frozen=True)
class OtherHistory:
    """A history that parted from the one at hand: its newest step, the commit of the newest
    step both share (None: they share none), the copy that uploaded it, and the versions its
    steps brought since they parted (None: a step of an older tfshadow does not list them)."""

    tip: str
    key: str
    parted_at: str | None
    copy: str | None
    versions: tuple[tuple[str, int], ...] | None

    def brought(self) -> str:
        """Its versions, as a message names them."""
        if self.versions is None:
            return "versions that some of its steps do not list"
        if not self.versions:
            return "no version of its own (marks only)"
        return f"version(s) {versions_text(self.versions)}"


def read_steps(mirror: Mirror, keys: Iterable[str]) -> dict[str, HistoryStep]:
    """The history steps at ``keys``, by the commit each goes to; a key that holds no history
    step is left out (`store verify` names such a key on the store's own history)."""
    steps: dict[str, HistoryStep] = {}
    for key in keys:
        try:
            # No checksum names a history step: read the original, not a later overwrite.
            step = HistoryStep.loads(mirror.get_first(key))
        except ValueError:
            continue
        if step.key == key:
            steps[step.tip] = step
    return steps


def parted(
    steps: Mapping[str, HistoryStep], held: Callable[[str], bool], ours: Iterable[HistoryStep]
) -> list[OtherHistory]:
    """The histories of ``steps`` (by their commits) that parted from the one at hand, the
    highest count first: ``held`` tells whether it holds a commit, ``ours`` are its steps."""
    every = [*steps.values(), *ours]
    bases = {step.base for step in steps.values()}
    replaced = {step.replaces for step in every}
    found: list[tuple[int, OtherHistory]] = []
    for tip, newest in steps.items():
        if tip in bases or held(tip):
            continue
        if (
            newest.copy is None
            or tip in replaced
            or any(step.copy == newest.copy and step.count > newest.count for step in every)
        ):
            continue  # replaced (see the module docstring)
        own = [newest]
        while (base := own[-1].base) is not None and not held(base) and base in steps:
            if steps[base] in own:
                break  # a loop of steps: only an altered mirror has one
            own.append(steps[base])
        base = own[-1].base
        parted_at = base if base is not None and held(base) else None
        versions = (
            None
            if any(step.versions is None for step in own)
            else tuple(sorted({v for step in own for v in step.versions or ()}))
        )
        other = OtherHistory(tip, newest.key, parted_at, newest.copy, versions)
        found.append((newest.count, other))
    return [other for _, other in sorted(found, key=lambda pair: pair[0], reverse=True)]
