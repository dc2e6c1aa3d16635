"""Blocks a revert adds to its scratch copy so that objects are kept, not destroyed or made
twice: ``moved`` blocks for objects that moved since N (revert.moves), ``removed`` blocks for
objects imported since N (revert.forget), ``import`` blocks for objects of N let go of since
(revert.adopt); under ``--target``, N's own ``moved`` blocks that move nothing targeted are
taken out. Each only where the Terraform that runs the revert reads such blocks."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tfshadow.project import Project
    from tfshadow.store import GitShadowStore, Reconstructed

__all__ = ["keep_objects", "move_targeted_back", "take_back"]


def keep_objects(
    project: Project,
    store: GitShadowStore,
    scratch_root: Path,
    target: Reconstructed,
    live_raw: Mapping[str, Any] | None,
) -> list[str]:
    """Statements in the scratch copy that keep objects a plain plan of N would destroy: a
    `moved` block for each object that moved since N (see revert.moves), a `removed` block with
    `destroy = false` for each resource imported since N (see revert.forget; Terraform 1.7 and
    later: the embedded engine, or an executable that new). Returns the resources let go of."""
    from tfshadow.revert.forget import (
        FORGET_NAME,
        forget_file,
        imported_since,
        resources_to_forget,
    )
    from tfshadow.revert.moves import MOVES_NAME, moves_back, moves_file
    from tfshadow.state.config_files import files_from_document
    from tfshadow.state.normalise import canonicalise

    if live_raw is None:
        return []
    root_files = _root_files(scratch_root)
    live = canonicalise(live_raw)
    moves_path = scratch_root / MOVES_NAME
    moves = {}
    if _speaks(project, live_raw, (1, 1)) and not moves_path.exists():
        moves = moves_back(live, target.state, root_files)
    if moves:
        moves_path.write_bytes(moves_file(moves))
    forget_path = scratch_root / FORGET_NAME
    if not _speaks(project, live_raw, (1, 7)) or forget_path.exists():
        return []
    number = int(target.meta["version"])
    gone = set(live.get("resources") or {}) - set(target.state.get("resources") or {})
    gone -= set(moves)
    imported = imported_since(store, project.workspace, number, gone) if gone else set()
    resources = (
        resources_to_forget(live, target.state, imported, files_from_document(target.config))
        if imported
        else []
    )
    if resources:
        forget_path.write_bytes(forget_file(resources))
    return resources


def _root_files(scratch_root: Path) -> dict[str, bytes]:
    """The root module's configuration files in the scratch copy: N's, by name."""
    return {
        path.name: path.read_bytes()
        for path in scratch_root.iterdir()
        if path.name.endswith((".tf", ".tf.json")) and path.is_file()
    }


def _speaks(project: Project, live_raw: Mapping[str, Any], version: tuple[int, int]) -> bool:
    """Whether the Terraform that runs the revert reads blocks that ``version`` brought
    (`moved` 1.1, `import` 1.5, `removed` 1.7). The embedded one does; an executable is at least
    the version that wrote the live state, since an older one refuses to read it."""
    if project.engine.name == "embedded":
        return True
    found = re.match(r"(\d+)\.(\d+)\.", str(live_raw.get("terraform_version") or ""))
    return found is not None and (int(found[1]), int(found[2])) >= version


def take_back(
    project: Project,
    store: GitShadowStore,
    scratch_root: Path,
    target: Reconstructed,
    live_raw: Mapping[str, Any] | None,
) -> dict[str, str]:
    """`import` blocks in the scratch copy for the objects of N let go of since (see
    revert.adopt; Terraform 1.5 and later): ``{address: id}``."""
    from tfshadow.revert.adopt import (
        ADOPT_NAME,
        import_file,
        instances_to_take_back,
        let_go_since,
    )
    from tfshadow.state.normalise import canonicalise

    path = scratch_root / ADOPT_NAME
    if live_raw is None or not _speaks(project, live_raw, (1, 5)) or path.exists():
        return {}
    live = canonicalise(live_raw)
    missing = set(target.state.get("resources") or {}) - set(live.get("resources") or {})
    if not missing:
        return {}
    let_go = let_go_since(store, project.workspace, int(target.meta["version"]), missing)
    instances = instances_to_take_back(live, target.state, let_go) if let_go else {}
    if instances:
        path.write_bytes(import_file(instances))
    return instances


def move_targeted_back(
    project: Project,
    scratch_root: Path,
    target: Reconstructed,
    live_raw: Mapping[str, Any] | None,
    targets: Sequence[str],
) -> list[str]:
    """``moved`` blocks in the scratch copy for the objects that moved since N and that a
    ``--target`` names (at N's address or at the current one): planned without, the object
    would be destroyed at its current address, or left there while a second one is created
    at N's. N's own ``moved`` blocks that move only objects not targeted are taken out of the
    scratch copy (see revert.moves). Returns the other ends of the moves planned, which
    Terraform wants targeted too."""
    from tfshadow.revert.moves import (
        MOVES_NAME,
        moves_back,
        moves_file,
        targeted_declared_moves,
    )
    from tfshadow.state.addresses import is_targeted
    from tfshadow.state.normalise import canonicalise

    moves_path = scratch_root / MOVES_NAME
    if live_raw is None or not _speaks(project, live_raw, (1, 1)) or moves_path.exists():
        return []
    root_files = _root_files(scratch_root)
    live = canonicalise(live_raw)
    drop, declared_ends = targeted_declared_moves(root_files, live, targets)
    for name, spans in drop.items():
        _comment_out(scratch_root / name, root_files[name], spans)
    moves = {
        origin: destination
        for origin, destination in moves_back(live, target.state, root_files).items()
        if is_targeted(origin, targets) or is_targeted(destination, targets)
    }
    if moves:
        moves_path.write_bytes(moves_file(moves))
    ends = [*[end for move in sorted(moves.items()) for end in move], *declared_ends]
    return [end for end in dict.fromkeys(ends) if not is_targeted(end, targets)]


def _comment_out(path: Path, data: bytes, spans: Sequence[tuple[int, int]]) -> None:
    """Write ``data`` to ``path`` (a file of the scratch copy) with the lines of ``spans``
    (1-based, inclusive) made comments: every other line keeps its number, as Terraform's
    messages name them."""
    lines = data.decode("utf-8").splitlines(keepends=True)
    for first, last in spans:
        for index in range(first - 1, min(last, len(lines))):
            lines[index] = "# " + lines[index]
    path.unlink()  # a new file: never written through to one it may share
    path.write_text("".join(lines), encoding="utf-8")
