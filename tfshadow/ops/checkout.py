"""Write a version's configuration files into the working directory.

The version's files are written (encrypted secrets opened with TFSHADOW_KEY), and the current
configuration files it does not have are removed. Local work is never lost silently: a file that
would be overwritten or removed must hold what some kept version holds (compared in sealed form,
so secrets in it do not count as edits), or the checkout is refused unless forced.

Secrets the store holds only as fingerprints cannot be written back. When the current file seals
to exactly the version's file, it already holds them and is left as it is; otherwise the file is
written with those variable assignments commented out and their names reported, and a secret
written into the configuration itself (not a variable) stops the checkout before anything is
written.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfshadow.atomic_write import replace_file
from tfshadow.errors import UsageError
from tfshadow.ghost.config_file import GHOSTS_FILE, OVERRIDE_FILE
from tfshadow.ops.history import open_history
from tfshadow.ops.marks import resolve_version

if TYPE_CHECKING:
    from tfshadow.project import Project
    from tfshadow.revert.materialise import SecretSlot
    from tfshadow.state.redact import Redactor
    from tfshadow.store import GitShadowStore


@dataclass(frozen=True)
class CheckoutResult:
    """What a checkout did, as paths relative to the working directory (``../`` for modules
    outside it). ``needs_secrets`` names the variables whose sealed values were left out."""

    version: int
    written: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]
    needs_secrets: tuple[str, ...] = ()
    # The files written declare another backend than the directory's: `terraform init` would
    # offer to move the state back to where version N kept it.
    backend_changed: bool = False
    # The files written call other modules than those installed here (or lock other providers
    # than the directory's): Terraform refuses to plan until `terraform init` installs them.
    init_needed: bool = False


def checkout(
    project: Project,
    version: str,
    *,
    force: bool,
    workspace: str | None,
    dry_run: bool = False,
    keep: Collection[str] = (),
) -> CheckoutResult:
    """Make the working directory's configuration files those of ``version``.

    UsageError (nothing written) when a file to overwrite or remove has local edits that no kept
    version holds, unless ``force``. SecretError (nothing written) for secrets that cannot be
    restored and cannot be supplied as variables. ``dry_run`` checks all that and says what
    would be written, writing nothing. Files at the paths in ``keep`` (the variable files a
    revert was given, which its version holds with N's files) are left as they are here.
    """
    from tfshadow.revert.backend import backend_differs
    from tfshadow.revert.materialise import check_secrets, drop_sealed, restore_files
    from tfshadow.runner import data_dir
    from tfshadow.state import config_files
    from tfshadow.state.module_manifest import needs_install, read_manifest
    from tfshadow.state.provider_lock import needs_init
    from tfshadow.state.redact import seals_in

    store, ws = open_history(project, workspace)
    workdir = project.workdir
    # Checkout writes the working directory, not the store: one the user cannot write serves.
    with store.read_lock(project.lock_timeout, command="checkout"):
        number = resolve_version(store, ws, version)
        target = store.reconstruct(ws, number).config
        redactor = project.redactor(store)
        target_sealed = _comparable(config_files.files_from_document(target))

        current = config_files.collect_files(workdir)
        on_disk = _files_here(workdir, current, target_sealed)
        # The secrets of this version and of the newest one (whose files are most likely the
        # ones here), for the literals only the state told were secrets.
        known = seals_in(target) | seals_in(_latest_config(store, ws, number))
        current_sealed = _sealed(on_disk, redactor, known)
        here = _with_values_here(target, on_disk, current_sealed, redactor)
        # Versions recorded before TFSHADOW_KEY was set hold fingerprints of the store's key.
        fingerprinter = project.store_fingerprinter(store)
        fingerprinted = _sealed(on_disk, fingerprinter, known) if fingerprinter is not None else {}
        if fingerprinter is not None:
            here = _with_values_here(here, on_disk, fingerprinted, fingerprinter)
        files, slots = restore_files(here, redactor)
        files = {p: d for p, d in _without_ghost_files(files).items() if p not in keep}
        current = {p: d for p, d in _without_ghost_files(current).items() if p not in keep}

        slotted = {slot.path for slot in slots}
        written: list[str] = []
        unchanged: list[str] = []
        written_slots: list[SecretSlot] = []
        for path, data in files.items():
            if on_disk.get(path) == data:
                unchanged.append(path)
            elif path in slotted and current_sealed.get(path) == target_sealed[path]:
                unchanged.append(path)  # the current file holds the secrets the store lacks
            else:
                written.append(path)
                written_slots.extend(s for s in slots if s.path == path)
        removed = sorted(path for path in current if path not in files)

        check_secrets(written_slots, None, version=number)
        if not force:
            _refuse_dropping_secrets(written_slots, current_sealed, number)
            # Versions recorded with TFSHADOW_KEY seal differently from a redactor without it.
            keyless = not redactor.encrypts and any(s.needs_key for s in slots)
            _refuse_local_edits(
                store.configs(ws),
                ws,
                number,
                current_sealed,
                [*written, *removed],
                keyless=keyless,
                current=on_disk,
                redactor=redactor,
                fingerprinted=fingerprinted,
            )

        contents = drop_sealed({path: files[path] for path in written}, written_slots)
        backend_changed = bool(written or removed) and backend_differs(files, current)
        # Against what `terraform init` installed, not the files here: those may call modules
        # that were never installed, or no longer call some that still are.
        installed = read_manifest(data_dir(workdir, project.environ))
        lock = config_files.LOCK_FILE
        locks_other_providers = (lock in removed or lock in written) and needs_init(
            files.get(lock), current.get(lock)
        )
        init_needed = bool(written or removed) and (
            locks_other_providers or needs_install(config_files.module_calls(files), installed)
        )
        if not dry_run:
            for path in written:
                _write(_under(workdir, path), contents[path])
            for path in removed:
                _remove(workdir, _under(workdir, path))
    return CheckoutResult(
        version=number,
        written=tuple(written),
        removed=tuple(removed),
        unchanged=tuple(unchanged),
        needs_secrets=tuple(sorted({s.name for s in written_slots})),
        backend_changed=backend_changed,
        init_needed=init_needed,
    )


# tfshadow's ghost files say which ghosts are enabled now (`ghost enable|disable`), not what a
# version was: written as N had them, the next apply would start a ghost disabled since, or one
# standing by, and switch the traffic to it; removed, it would destroy the ghosts enabled now.
_FOLLOWS_THE_GHOSTS = frozenset({GHOSTS_FILE, OVERRIDE_FILE})


def _without_ghost_files(files: Mapping[str, bytes]) -> dict[str, bytes]:
    return {path: data for path, data in files.items() if path not in _FOLLOWS_THE_GHOSTS}


def backend_note(version: int) -> str:
    """What to tell after writing files whose backend is not the directory's any more."""
    return (
        f"version {version}'s files declare another backend than this directory used: put your "
        f"current backend block back before `terraform init`, unless you mean to move the state "
        f"back to where version {version} kept it"
    )


def init_note(version: int) -> str:
    """What to tell after writing files whose modules or provider locks are not installed."""
    return (
        f"Version {version}'s files call other modules or lock other providers than those "
        f"installed here: run `tfshadow init` before the next plan or apply"
    )


def holds_configuration(project: Project, config: Mapping[str, Any], redactor: Redactor) -> bool:
    """Whether the working directory's configuration files are exactly those of ``config`` (a
    version's configuration document), compared in sealed form as the store holds them."""
    from tfshadow.state import config_files

    wanted = _document_bytes(config)
    # With the variable files it names that are here (given with -var-file: not among the
    # files of this directory's configuration otherwise).
    current = _files_here(project.workdir, config_files.collect_files(project.workdir), wanted)
    here = _sealed(current, redactor)
    return _without_ghost_files(here) == _without_ghost_files(wanted)


def with_values_here(
    project: Project,
    config: Mapping[str, Any],
    redactor: Redactor,
    fingerprinter: Redactor | None = None,
) -> dict[str, Any]:
    """``config`` (a version's document) with every seal whose value a file of the working
    directory holds in plain replaced by that value: a secret the store has only as a
    fingerprint is often still here, and where the seals are equal it is the same value.
    ``fingerprinter`` (:meth:`~tfshadow.project.Project.store_fingerprinter`) seals as a
    version recorded before TFSHADOW_KEY was set did."""
    from tfshadow.state import config_files

    current = config_files.collect_files(project.workdir)
    on_disk = _files_here(project.workdir, current, config_files.files_from_document(config))
    here = _with_values_here(config, on_disk, _sealed(on_disk, redactor), redactor)
    if fingerprinter is None:
        return here
    return _with_values_here(here, on_disk, _sealed(on_disk, fingerprinter), fingerprinter)


def _files_here(
    workdir: Path, current: Mapping[str, bytes], wanted: Mapping[str, bytes]
) -> dict[str, bytes]:
    """The configuration files here, and those of ``wanted``'s paths that exist here too."""
    on_disk = dict(current)
    for path in wanted:
        if path not in on_disk:
            data = _read(_under(workdir, path))
            if data is not None:
                on_disk[path] = data
    return on_disk


def _with_values_here(
    config: Mapping[str, Any],
    on_disk: Mapping[str, bytes],
    current_sealed: Mapping[str, bytes],
    redactor: Redactor,
) -> dict[str, Any]:
    """``config`` (a version's document) with every seal whose value a file here holds in
    plain replaced by that value, as it is written there; and every masked comment the file
    here holds, as it is written there."""
    from tfshadow.state import config_seal
    from tfshadow.state.redact import SEAL_PATTERN, SEAL_PREFIX, SECRET_NAME, same_seal, seal_id

    seal_in_text = re.compile(SEAL_PATTERN)
    comments: dict[str, dict[str, str]] = {}
    for path, sealed in current_sealed.items():
        original = on_disk.get(path)
        if original is not None and config_seal.COMMENT_MASK.encode() in sealed:
            with contextlib.suppress(UnicodeDecodeError):
                text = original.decode("utf-8")
                comments[path] = config_seal.masked_comment_lines(text, SECRET_NAME)
    plain: dict[str, str] = {}
    for path, sealed in current_sealed.items():
        original = on_disk.get(path)
        if original is not None and SEAL_PREFIX.encode() in sealed:
            for seal, value in _values_by_seal(original, sealed).items():
                with contextlib.suppress(UnicodeDecodeError):
                    text = value.decode("utf-8")
                    # Only a value that seals to the very seal: an escaped or misaligned one
                    # is left out, never written in the wrong place. A template holding a
                    # secret is sealed as its source, quotes included.
                    if same_seal(redactor.seal(text), seal) or same_seal(
                        redactor.seal(f'"{text}"'), seal
                    ):
                        plain[seal_id(seal)] = text
    if not plain and not comments:
        return dict(config)

    def value_of(match: re.Match[str]) -> str:
        return plain.get(seal_id(match.group(0)), match.group(0))

    def restored(path: str, line: str) -> str:
        line = comments.get(path, {}).get(line, line)
        if SEAL_PREFIX not in line or not plain:
            return line
        return seal_in_text.sub(value_of, line)

    texts = config.get("files") or {}
    return {
        **config,
        "files": {p: [restored(p, line) for line in ls] for p, ls in texts.items()},
    }


def _values_by_seal(original: bytes, sealed: bytes) -> dict[str, bytes]:
    """The text each seal in ``sealed`` stands for in ``original`` (the same file before
    sealing: between seals the two are equal)."""
    from tfshadow.state.redact import SEAL_PATTERN_BYTES

    found: dict[str, bytes] = {}
    parts = SEAL_PATTERN_BYTES.split(sealed)
    seals = SEAL_PATTERN_BYTES.findall(sealed)
    if not original.startswith(parts[0]):
        return {}
    at = len(parts[0])
    for seal, following in zip(seals, parts[1:], strict=True):
        end = original.find(following, at) if following else len(original)
        if end < 0:
            return found
        found[seal.decode("ascii")] = original[at:end]
        at = end + len(following)
    return found


def _refuse_dropping_secrets(
    slots: Sequence[SecretSlot], current_sealed: Mapping[str, bytes], version: int
) -> None:
    """UsageError when a file to write would lose secret values it holds here in plain: the
    version has other values there, only as fingerprints."""
    from tfshadow.state.redact import SEAL_PREFIX

    losing = sorted(
        {
            s.path
            for s in slots
            if s.suppliable and SEAL_PREFIX.encode() in current_sealed.get(s.path, b"")
        }
    )
    if losing:
        verb = "holds" if len(losing) == 1 else "hold"
        raise UsageError(
            f"{', '.join(losing)} {verb} secret values here that version {version} does not "
            "have: writing its files would drop them",
            hint=f"keep a copy of the values, then run `tfshadow checkout {version} --force`",
        )


def _sealed(
    files: Mapping[str, bytes], redactor: Redactor, known: Collection[str] = ()
) -> dict[str, bytes]:
    """Files as the store would hold them: with their secrets sealed by ``redactor``, also
    where another literal holds one of them (a password written into a URL), as a recorded
    command seals them. ``known``: seal strings of versions (:func:`seals_in`); a literal they
    stand for is sealed too, as a recording seals one whose value the state holds sealed (a
    password given through an innocently named local), which the files alone do not tell."""
    from tfshadow.state import config_seal
    from tfshadow.state.redact import SECRET_NAME

    # Sealed as a recording seals them, the short secrets too (see sealed_configuration).
    doc, secrets = config_seal.sealed_configuration(files, {}, redactor.seal, SECRET_NAME)
    doc = config_seal.seal_secret_strings(doc, secrets, redactor.seal)
    if known:
        doc = config_seal.seal_known_literals(doc, redactor.known_value(known), redactor.seal)
    return _document_bytes(doc)


def _latest_config(store: GitShadowStore, workspace: str, number: int) -> dict[str, Any]:
    """The newest version's configuration document (none needed when it is ``number``'s)."""
    latest = store.latest(workspace)
    newest = int(latest["version"]) if latest is not None else number
    return {} if newest == number else store.reconstruct(workspace, newest).config


def _document_bytes(doc: Mapping[str, Any]) -> dict[str, bytes]:
    """A configuration document's files, comparable with :func:`_sealed`'s."""
    out = {path: "".join(lines).encode("utf-8") for path, lines in doc["files"].items()}
    for path, encoded in doc.get("binary_files", {}).items():
        out[path] = base64.b64decode(encoded)
    return _comparable(out)


def _comparable(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """Sealed files with their seals written as seal ids: a value sealed under the same key
    compares equal whichever copy of the store sealed it (see
    :func:`~tfshadow.state.redact.seal_id`)."""
    from tfshadow.state.redact import without_seal_fields

    return {path: without_seal_fields(data) for path, data in files.items()}


def _refuse_local_edits(
    history: Iterable[tuple[int, dict[str, Any]]],
    workspace: str,
    version: int,
    current_sealed: Mapping[str, bytes],
    paths: list[str],
    *,
    keyless: bool,
    current: Mapping[str, bytes],
    redactor: Redactor,
    fingerprinted: Mapping[str, bytes] | None = None,
) -> None:
    """UsageError naming the files among ``paths`` whose content no kept version holds.

    A file (``current``: the files as they are) that a checkout wrote with the secrets it
    could not restore left out counts as held by its version too. ``fingerprinted``: the
    files sealed as versions recorded before TFSHADOW_KEY was set hold them.
    """
    fingerprinted = fingerprinted or {}
    pending = {path for path in paths if path in current_sealed}
    for _number, config in history:
        if not pending:
            break
        held = _document_bytes(config)
        pending = {
            path
            for path in pending
            if held.get(path) is None
            or held[path] not in (current_sealed[path], fingerprinted.get(path))
        }
        if pending:
            written = _as_written(config, redactor, pending)
            pending = {path for path in pending if written.get(path) != current.get(path)}
    if pending:
        names = sorted(pending)
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        hint = (
            f"record or copy them first, or run `tfshadow checkout {version} --force` to "
            "overwrite them"
        )
        if keyless:
            hint = (
                "set TFSHADOW_KEY: this history was recorded with it, and files with secrets "
                f"compare equal only with it; or {hint}"
            )
        raise UsageError(
            f"{shown} {'has' if len(names) == 1 else 'have'} local changes that no version of "
            f"workspace {workspace} holds; nothing was written",
            hint=hint,
        )


def _as_written(
    config: Mapping[str, Any], redactor: Redactor, paths: Iterable[str]
) -> dict[str, bytes]:
    """Those of ``paths`` that hold sealed values in ``config``, as a checkout writes them: with
    the assignments of the values it cannot restore left out."""
    from tfshadow.errors import TfshadowError
    from tfshadow.revert.materialise import drop_sealed, restore_files

    sealed = _with_seals(config, paths)
    if not sealed:
        return {}
    try:
        files, slots = restore_files(config, redactor)
    except TfshadowError:
        return {}  # sealed under another key: such a checkout was refused, it wrote nothing
    return drop_sealed({path: files[path] for path in sealed if path in files}, slots)


def _with_seals(config: Mapping[str, Any], paths: Iterable[str]) -> list[str]:
    """Which of ``paths`` are text files of ``config`` holding a seal string."""
    from tfshadow.state.redact import SEAL_PREFIX

    texts = config.get("files") or {}
    return [path for path in paths if SEAL_PREFIX in "".join(texts.get(path, ()))]


def _under(workdir: Path, path: str) -> Path:
    return Path(os.path.normpath(workdir / path))


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes() if path.is_file() else None
    except OSError:
        return None


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, data)


def _remove(workdir: Path, path: Path) -> None:
    """Remove a file, then the directories it leaves empty (never the working directory or a
    directory above it)."""
    path.unlink(missing_ok=True)
    parent = path.parent
    protected = {workdir, *workdir.parents}
    while parent not in protected:
        try:
            parent.rmdir()
        except OSError:
            break  # not empty
        parent = parent.parent
