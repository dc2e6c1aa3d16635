"""The shadow store as a git repository: its own, or an orphan branch of the configuration's.

One commit per version. What the store's HEAD holds is the truth: listings come from HEAD's tree,
and every file read from the working tree must hash to the blob HEAD holds for it, so a file edited
after it was committed is reported, never silently used. Anything in the tree that no commit holds
is the remnant of an interrupted write and is removed (under the lock) before the next one.

Writers add new files first and commit them; the one writer that changes or removes committed files
(retention) commits first and updates the tree after, with a journal in the git directory so an
interruption between the two is finished on the next open. A reader racing a writer therefore sees
a consistent HEAD, and when a file changed under it, HEAD has moved and the read is retried.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from tfshadow.atomic_write import replace_file
from tfshadow.errors import (
    RetentionError,
    StoreDivergedError,
    StoreError,
    StoreHalfJoinedError,
    StoreNotWritableError,
    TamperedError,
    TfshadowError,
    UnknownVersionError,
)
from tfshadow.state import delta
from tfshadow.store import cache, policy
from tfshadow.store.base import Reconstructed, StoreConfig
from tfshadow.store.git import (
    BEFORE_REBASE_REF,
    BUNDLE_REF,
    STORE_IDENTITY,
    Git,
    Identity,
    RepoInfo,
    TreeEntry,
    blob_id,
    init_repository,
    pull_ref,
    scrub_url,
)
from tfshadow.store.layout import (
    CONFIG,
    CONFIG_DELTA,
    DELTA_FILES,
    KEYFRAME_FILES,
    MARKER,
    META,
    STATE,
    STATE_DELTA,
    STORE_FORMAT,
    dumps_meta,
    gc_paused,
    marker_bytes,
    marker_format,
    newer_format_error,
    parse_document,
    parse_version_name,
    validate_workspace,
    version_dir,
    version_name,
    workspace_dir,
    write_read_only,
)
from tfshadow.store.lock import FileLock, creation_lock

DEFAULT_DIRECTORY = ".tfshadow"
DEFAULT_BRANCH = "tfshadow"
DEFAULT_LOCK_TIMEOUT = 30.0
VERSION_TRAILER = "Tfshadow-Version"
RETENTION_TRAILER = "Tfshadow-Retention"
FINGERPRINT_KEY_BYTES = 32
MARK_TRAILER = "Tfshadow-Mark"
MARKS = "marks.json"  # workspaces/<workspace>/marks.json, beside the version directories
MARK_VALUES = frozenset({"good", "bad", "suspect"})
MARKS_FORMAT = 1

_READ_ATTEMPTS = 3
# Bytes of rebuilt documents a command keeps to go on from (a 3,000-resource state is ~3 MB).
_REBUILT_BUDGET = 256 * 1024 * 1024
# In the git directory: the remote last pushed to (or taken from) and the commit it holds.
_PUSHED = "pushed"
# In the git directory: the commit a `store pull --rebase` under way keeps under its ref, from
# when it moves the store to the remote's tip until every version is recorded again.
_REBASING = "rebasing"
HALF_JOINED = (
    "the shadow store is half-joined: a `tfshadow store pull --rebase` stopped part-way and "
    "could not put it back"
)
UNDO_HALF_JOINED = (
    "run `tfshadow store pull --undo-rebase` (it keeps the versions recorded since), then "
    "`tfshadow store pull --rebase`"
)
# git's own threshold for `gc --auto` (gc.auto).
LOOSE_OBJECTS_BEFORE_PACKING = 6700
_T = TypeVar("_T")


@dataclass(frozen=True)
class _Listing:
    """The version files of one workspace in one commit: version -> file name -> blob id."""

    head: str | None
    files: dict[int, dict[str, str]]


@dataclass(frozen=True)
class _Rebuilt:
    meta: dict[str, Any]
    state: dict[str, Any]
    config: dict[str, Any]
    state_bytes: bytes
    config_bytes: bytes


@dataclass(frozen=True)
class PullResult:
    """What :meth:`GitShadowStore.pull` did: commits taken from the remote (``pulled``), commits
    here that the remote lacks (``ahead``: the next recorded command pushes them, unless the
    store is ``half_joined``: see :meth:`GitShadowStore.half_joined`), and whether the store
    was created from the remote."""

    remote: str
    pulled: int
    ahead: int
    created: bool
    half_joined: bool = False


@dataclass(frozen=True)
class Divergence:
    """Where the store (``head``) and its remote's branch (``tip``, fetched) stand: ``base`` is
    the newest commit both hold (``head`` itself when the remote only went on from it)."""

    remote: str
    head: str | None
    tip: str
    base: str | None


@dataclass(frozen=True)
class StoreCheck:
    """What :meth:`GitShadowStore.check` found: ``damaged`` holds one error per run of versions
    that cannot be rebuilt (the first bad one named), ``git`` what git's own check reports, and
    ``writable`` the version files that lost their read-only mode (a clone, a copy)."""

    workspaces: int
    versions: int
    damaged: tuple[StoreError, ...]
    git: tuple[str, ...]
    writable: tuple[str, ...]

    @property
    def sound(self) -> bool:
        return not self.damaged and not self.git


class GitShadowStore:
    """A shadow store kept in git (see the module docstring). Open it with :meth:`open`."""

    root: Path

    def __init__(
        self,
        config: StoreConfig,
        git: Git,
        info: RepoInfo,
        state_dir: Path,
        branch: str,
    ) -> None:
        self.root = git.cwd
        self._config = config
        self._git = git
        self._info = info
        self._state_dir = state_dir
        self._branch = branch
        self._lock = FileLock(state_dir / "lock")
        self._journal = state_dir / "pending.json"
        self._cache_dir = state_dir / "cache"
        self._listings: dict[tuple[str | None, str], _Listing] = {}
        # The documents this command rebuilt (their bytes, hashes already checked), by HEAD,
        # workspace and version: `log -p` and `inspect` rebuild each version and its parent, and
        # from keyframe each time that is (versions × keyframe interval) deltas applied.
        self._rebuilt: dict[tuple[str | None, str, int], tuple[bytes, bytes]] = {}
        self._rebuilt_bytes = 0
        # Deltas applied to rebuild versions (the work a reconstruction does), for `make bench`
        # and the tests.
        self.deltas_applied = 0
        self._remote = _resolve_remote(config.remote, config.workdir)
        # Set when this command could not reach the remote before recording: a second fetch
        # (a ghost's follow-up apply) or its push would wait as long again (30 s for an ssh host
        # that does not answer) to fail the same way, and say so again.
        self._remote_unreachable = False

    def private_dir(self, name: str) -> Path:
        """A directory of the store's own that is not history (the agent's metric series, the
        recommendation log): beside git's data, so it is never committed nor pushed."""
        path = self._state_dir / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    # -- opening ----------------------------------------------------------------------------

    @classmethod
    def open(cls, config: StoreConfig, *, create: bool) -> GitShadowStore:
        """Open the store ``config`` describes, creating it if ``create``.

        Raises StoreError when there is no store (and ``create`` is false), when the store path
        is taken by something else, or when branch mode finds no repository around ``workdir``.
        Removes what an interrupted write left behind, unless another process holds the lock.
        """
        _check_config(config)
        if config.branch is not None:
            store = cls._open_branch(config, config.branch, create)
        else:
            store = cls._open_directory(config, create)
        store._recover_if_needed()
        return store

    @classmethod
    def check_creatable(cls, config: StoreConfig) -> None:
        """Raise the StoreError that creating the store ``config`` describes would raise, and
        create nothing: a command checks where its new store goes before Terraform runs, and
        creates it only once there is a state to record."""
        _check_config(config)
        if config.branch is None:
            path = _directory_path(config)
            if not (path / ".git").exists():
                _check_new_directory(config, path)

    @classmethod
    def _open_directory(cls, config: StoreConfig, create: bool) -> GitShadowStore:
        path = _directory_path(config)
        with creation_lock(Path(os.path.abspath(config.workdir))):
            if not (path / ".git").exists():
                if not create:
                    _check_not_taken(path)
                    raise _no_store(str(path), config)
                _check_new_directory(config, path)
                try:
                    path.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(
                        f"cannot create the shadow store at {path}: {exc.strerror}",
                        hint="point the store (store.path in tfshadow.hcl, TFSHADOW_STORE) at a "
                        "directory that can be created",
                    ) from exc
                init_repository(path, DEFAULT_BRANCH)
        git = Git(path)
        info = git.repo_info()
        if info is None or not _same_dir(info.toplevel, path):
            raise StoreError(
                f"{path} is not a usable git repository",
                hint="point the store at a new or empty directory, or repair it with git",
            )
        state_dir = info.git_dir / "tfshadow"
        state_dir.mkdir(exist_ok=True)
        head = git.head()
        if head is None:
            if not create:
                raise _no_store(str(path), config)
            with FileLock(state_dir / "lock").hold(DEFAULT_LOCK_TIMEOUT, "create"):
                if git.head() is None:
                    # A creation killed mid-commit leaves git's locks, which would refuse this
                    # commit and every later one; under the lock, no git of ours holds them.
                    for stale in ("index.lock", "HEAD.lock", f"refs/heads/{DEFAULT_BRANCH}.lock"):
                        (info.git_dir / stale).unlink(missing_ok=True)
                    (path / MARKER).unlink(missing_ok=True)
                    write_read_only(path / MARKER, marker_bytes())
                    git.run("add", "-f", "--", MARKER)
                    git.commit_index("Create the tfshadow shadow store", STORE_IDENTITY)
        elif not _check_format(git, head, f"the shadow store at {path}"):
            raise StoreError(
                f"{path} is a git repository but not a tfshadow shadow store",
                hint="point the store at a new or empty directory",
            )
        branch = git.current_branch()
        if branch is None:
            raise StoreError(
                f"the shadow store at {path} has no branch checked out",
                hint=f"run `git -C {path} switch {DEFAULT_BRANCH}`",
            )
        return cls(config, git, info, state_dir, branch)

    @classmethod
    def _open_branch(cls, config: StoreConfig, branch: str, create: bool) -> GitShadowStore:
        workdir = Path(os.path.abspath(config.workdir))
        if not workdir.is_dir():
            raise StoreError(
                f"{workdir} is not a directory", hint="run tfshadow in a Terraform configuration"
            )
        outer = Git(workdir)
        outer_info = outer.repo_info()
        if outer_info is None:
            raise StoreError(
                f"{workdir} is not inside a git repository, so the shadow store cannot live on "
                f"its `{branch}` branch",
                hint="run `git init` there, or drop the store's `branch` setting to keep the "
                "store in a directory of its own",
            )
        if not outer.valid_branch_name(branch):
            raise StoreError(
                f"`{branch}` is not a valid git branch name",
                hint=f"set the store's `branch` to a plain name such as `{DEFAULT_BRANCH}`",
            )
        repo = Git(outer_info.toplevel)
        where = f"branch `{branch}` of {outer_info.toplevel}"
        state_dir = outer_info.common_dir / "tfshadow" / quote(branch, safe="")
        state_dir.mkdir(parents=True, exist_ok=True)
        worktree = state_dir / "worktree"
        lock = FileLock(state_dir / "lock")
        ref = f"refs/heads/{branch}"
        tip = repo.resolve(ref)
        if tip is None:
            _refuse_a_second_history(repo, branch, where)
            if not create:
                raise _no_store(where)
            with lock.hold(DEFAULT_LOCK_TIMEOUT, "create"):
                if repo.resolve(ref) is None:
                    _create_orphan_branch(repo, ref)
        elif not _check_format(repo, tip, f"the shadow store on {where}"):
            raise StoreError(
                f"{where} exists and is not a tfshadow shadow store",
                hint="name another branch in the store's `branch` setting",
            )
        git = Git(worktree)
        info = git.repo_info() if (worktree / ".git").is_file() else None
        if info is None or not _same_dir(info.common_dir, outer_info.common_dir):
            with lock.hold(DEFAULT_LOCK_TIMEOUT, "create"):
                info = _attach_worktree(repo, git, branch, outer_info.common_dir)
        if git.current_branch() != branch:
            raise StoreError(
                f"the shadow store's worktree {worktree} is not on {where}",
                hint=f"run `git -C {worktree} switch {branch}`",
            )
        return cls(config, git, info, state_dir, branch)

    # -- locking and recovery ---------------------------------------------------------------

    def lock(
        self, timeout: float, *, command: str | None = None
    ) -> contextlib.AbstractContextManager[None]:
        """Hold the store's exclusive lock, waiting up to ``timeout`` seconds.

        Re-entrant within a process. ``command`` (default: this process's subcommand) is shown
        to others waiting: "the shadow store is locked by tfshadow (pid 123: apply)".
        """
        return self._lock.hold(timeout, command)

    @contextlib.contextmanager
    def read_lock(
        self, timeout: float, *, command: str | None = None
    ) -> Iterator[StoreNotWritableError | None]:
        """The lock, for a command that writes nothing to the store but must not read it while
        a version is being written. On a store this user cannot write, no other command of
        theirs can be writing it either: nothing is held and the reason is yielded, for the
        command to say what it could not record."""
        held = contextlib.ExitStack()
        try:
            held.enter_context(self._lock.hold(timeout, command))
        except StoreNotWritableError as exc:
            yield exc
            return
        with held:
            yield None

    def _recover_if_needed(self) -> None:
        status = self._git.status()
        stale = any(path.exists() for path in self._stale_git_locks())
        marks = _edited_marks(status.edited)
        if not (stale or self._journal.exists() or status.staged or status.untracked or marks):
            return
        if self._lock.holds():
            self._recover()
            return
        fd = self._lock.try_hold()
        if fd is None:
            return  # a writer is at work; what looks half-written is its version in the making
        try:
            self._recover()
        finally:
            FileLock.release(fd)

    def _stale_git_locks(self) -> list[Path]:
        # Lock files git leaves when it is killed mid-command; while we hold the store's lock no
        # git command of ours runs, so any of these is stale and would block every later write.
        locks = [
            self._info.git_dir / "index.lock",
            self._info.git_dir / "HEAD.lock",
            self._info.common_dir / "refs" / "heads" / f"{self._branch}.lock",
            self._state_dir / "retention.index.lock",
        ]
        if self._config.branch is None:
            # Those of a `git gc` killed while packing (see _pack_when_due): left, every later
            # gc fails and the loose objects pile up. An orphan branch's repository is the
            # user's, whose own git may hold these right now.
            locks += [
                self._info.common_dir / "packed-refs.lock",
                self._info.common_dir / "objects" / "info" / "commit-graph.lock",
            ]
        return locks

    def _recover(self) -> None:
        """Remove what an interrupted write left (the caller holds the lock)."""
        for stale in self._stale_git_locks():
            stale.unlink(missing_ok=True)
        if self._journal.exists():
            dirs = _read_journal(self._journal)
            self._git.run("reset", "-q")
            head = self._git.head()
            if head is not None and dirs:
                committed = [e.path for e in self._git.ls_tree(head, None, recursive=True)]
                prefixes = tuple(f"{d}/" for d in dirs)
                named = set(dirs)  # a pull's journal names files
                files = [p for p in committed if p in named or p.startswith(prefixes)]
                if files:
                    self._git.run("checkout", "-q", "HEAD", "--", *files)
                    _make_read_only(self.root, files)
            self._journal.unlink()
        status = self._git.status()
        if status.staged:
            self._git.run("reset", "-q")
        if status.staged or status.untracked:
            self._git.run("clean", "-f", "-d", "-x", "-q")
        # A mark replaces marks.json before its commit: a mark that stopped in between (killed,
        # or its commit failed on a full disk) leaves a copy HEAD does not hold. Marks are read
        # from HEAD, so the copy is nothing but an obstacle to a pull that brings a newer one.
        marks = _edited_marks(self._git.status().edited if status.staged else status.edited)
        if marks:
            self._git.run("checkout", "-q", "HEAD", "--", *marks)
            _make_read_only(self.root, marks)

    # -- reading ----------------------------------------------------------------------------

    def workspaces(self) -> list[str]:
        """Workspaces with at least one version, sorted."""
        head = self._git.head()
        if head is None:
            return []
        names = []
        for entry in self._git.ls_tree(head, "workspaces/", recursive=False):
            name = entry.path.rpartition("/")[2]
            if entry.kind == "tree":
                with contextlib.suppress(StoreError):
                    names.append(validate_workspace(name))
        return sorted(names)

    def versions(self, workspace: str) -> list[dict[str, Any]]:
        """Meta of every version still in the store, oldest first (each file verified)."""
        ws = validate_workspace(workspace)
        return self._consistent(ws, lambda ls: [self._meta(ls, ws, n) for n in sorted(ls.files)])

    def metas(self, workspace: str, numbers: Iterable[int]) -> list[dict[str, Any]]:
        """Meta of the versions ``numbers`` names, in that order (each file verified);
        UnknownVersionError for one that is not, or no longer, stored."""
        ws = validate_workspace(workspace)
        wanted = list(numbers)

        def read(listing: _Listing) -> list[dict[str, Any]]:
            for n in wanted:
                if n not in listing.files:
                    raise _unknown_version(listing, ws, n)
            return [self._meta(listing, ws, n) for n in wanted]

        return self._consistent(ws, read)

    def version_numbers(self, workspace: str) -> list[int]:
        """The numbers of the versions still in the store, oldest first, from HEAD's tree alone
        (no file read: naming a version costs nothing however long the history)."""
        return sorted(self._listing(validate_workspace(workspace)).files)

    def latest(self, workspace: str) -> dict[str, Any] | None:
        """Meta of the newest version of ``workspace``, None if it has none."""
        ws = validate_workspace(workspace)
        return self._consistent(
            ws, lambda ls: self._meta(ls, ws, max(ls.files)) if ls.files else None
        )

    def meta(self, workspace: str, version: int) -> dict[str, Any]:
        """Meta of one version; UnknownVersionError when it is not, or no longer, stored."""
        ws = validate_workspace(workspace)

        def read(listing: _Listing) -> dict[str, Any]:
            if version not in listing.files:
                raise _unknown_version(listing, ws, version)
            return self._meta(listing, ws, version)

        return self._consistent(ws, read)

    def reconstruct(self, workspace: str, version: int) -> Reconstructed:
        """Rebuild a version from the nearest keyframe at or before it, verifying as it goes.

        Every version passed through must have unmodified files and documents that hash to its
        recorded ``state_sha256`` / ``config_sha256``; otherwise TamperedError names the version
        and file. The latest version comes from a verified cache when there is one.
        """
        ws = validate_workspace(workspace)

        def read(listing: _Listing) -> tuple[_Rebuilt, frozenset[str] | None]:
            return self._rebuild(listing, ws, version), self._changed(listing, ws, version)

        with gc_paused():
            rebuilt, changed = self._consistent(ws, read)
        return Reconstructed(
            meta=rebuilt.meta,
            state=rebuilt.state,
            config=rebuilt.config,
            changed=changed,
            state_bytes=rebuilt.state_bytes,
            config_bytes=rebuilt.config_bytes,
        )

    def _changed(self, listing: _Listing, workspace: str, version: int) -> frozenset[str] | None:
        """The instance addresses ``version``'s state delta adds, removes or changes against
        version - 1 (a few KB to read), or None when it has no delta against it."""
        if version - 1 not in listing.files or self._is_keyframe(listing, workspace, version):
            return None
        return delta.changed_keys(
            self._read_json(listing, workspace, version, STATE_DELTA), "resources"
        )

    def _consistent(self, workspace: str, read: Callable[[_Listing], _T]) -> _T:
        for attempt in range(1, _READ_ATTEMPTS + 1):
            listing = self._listing(workspace)
            try:
                return read(listing)
            except TamperedError:
                # A writer committed (and then changed files) while we read: read the new HEAD.
                if attempt < _READ_ATTEMPTS and self._git.head() != listing.head:
                    continue
                raise
        raise AssertionError("unreachable")

    def _listing(self, workspace: str) -> _Listing:
        head = self._git.head()
        # A commit's tree never changes, so a listing is good for as long as HEAD is that commit.
        known = self._listings.get((head, workspace))
        if known is not None:
            return known
        files: dict[int, dict[str, str]] = {}
        if head is not None:
            prefix = f"{workspace_dir(workspace)}/"
            for entry in self._git.ls_tree(head, prefix, recursive=True):
                parts = entry.path[len(prefix) :].split("/")
                version = parse_version_name(parts[0]) if len(parts) == 2 else None
                if version is not None and entry.kind == "blob":
                    files.setdefault(version, {})[parts[1]] = entry.oid
        listing = _Listing(head=head, files=files)
        if head is not None:
            self._listings = {(head, workspace): listing}  # one is all a command goes back to
        return listing

    def _read(self, listing: _Listing, workspace: str, version: int, name: str) -> bytes:
        """A version file's bytes, which must be exactly what HEAD holds."""
        rel = f"{version_dir(workspace, version)}/{name}"
        oid = listing.files.get(version, {}).get(name)
        if oid is None:
            raise self._tampered(workspace, version, f"{rel} is missing from the store's commit")
        try:
            data = (self.root / rel).read_bytes()
        except FileNotFoundError:
            raise self._tampered(workspace, version, f"{rel} is missing", restore=rel) from None
        except OSError as exc:
            raise StoreError(
                f"cannot read {self.root / rel}: {exc.strerror}",
                hint="check the store directory's permissions",
            ) from exc
        if blob_id(data, self._info.object_format) != oid:
            raise self._tampered(
                workspace, version, f"{rel} was modified after it was committed", restore=rel
            )
        return data

    def _read_json(self, listing: _Listing, workspace: str, version: int, name: str) -> Any:
        data = self._read(listing, workspace, version, name)
        try:
            return parse_document(data)
        except ValueError:
            rel = f"{version_dir(workspace, version)}/{name}"
            raise self._tampered(workspace, version, f"{rel} is not valid JSON") from None

    def _meta(self, listing: _Listing, workspace: str, version: int) -> dict[str, Any]:
        meta = self._read_json(listing, workspace, version, META)
        if (
            not isinstance(meta, dict)
            or meta.get("version") != version
            or not isinstance(meta.get("state_sha256"), str)
            or not isinstance(meta.get("config_sha256"), str)
        ):
            rel = f"{version_dir(workspace, version)}/{META}"
            raise self._tampered(workspace, version, f"{rel} is not the meta of this version")
        return meta

    def _is_keyframe(self, listing: _Listing, workspace: str, version: int) -> bool:
        names = listing.files[version]
        for group in (KEYFRAME_FILES, DELTA_FILES):
            if group[0] in names or group[1] in names:
                for name in group:
                    if name not in names:
                        rel = f"{version_dir(workspace, version)}/{name}"
                        raise self._tampered(
                            workspace, version, f"{rel} is missing from the store's commit"
                        )
                return group is KEYFRAME_FILES
        rel = version_dir(workspace, version)
        raise self._tampered(workspace, version, f"{rel} holds neither documents nor deltas")

    def _rebuild(
        self, listing: _Listing, workspace: str, version: int, *, use_cache: bool = True
    ) -> _Rebuilt:
        if version not in listing.files:
            raise _unknown_version(listing, workspace, version)
        meta = self._meta(listing, workspace, version)
        if use_cache and version == max(listing.files):
            cached = cache.load(self._cache_dir, workspace, version)
            if (
                cached is not None
                and cached.state_sha256 == meta["state_sha256"]
                and cached.config_sha256 == meta["config_sha256"]
            ):
                keyframe = self._is_keyframe(listing, workspace, version)
                for name in KEYFRAME_FILES if keyframe else DELTA_FILES:
                    self._read(listing, workspace, version, name)
                return _Rebuilt(
                    meta,
                    parse_document(cached.state),
                    parse_document(cached.config),
                    cached.state,
                    cached.config,
                )

        start, from_keyframe = self._run_start(listing, workspace, version)
        if not from_keyframe:
            raise self._tampered(
                workspace, version, "no keyframe precedes it, so it cannot be rebuilt"
            )

        # Go on from the nearest version of the run this command rebuilt already, if any: its
        # own files are read again (as the latest's cache is trusted), the rest was checked.
        known = (
            max(
                (
                    n
                    for n in range(start, version + 1)
                    if (listing.head, workspace, n) in self._rebuilt
                ),
                default=None,
            )
            if use_cache
            else None
        )
        if known is not None:
            self._read_version_files(listing, workspace, known)
            state_bytes, config_bytes = self._rebuilt[(listing.head, workspace, known)]
            start = known
        else:
            start_meta = meta if start == version else self._meta(listing, workspace, start)
            state_bytes = self._read(listing, workspace, start, STATE)
            config_bytes = self._read(listing, workspace, start, CONFIG)
            self._check_hash(workspace, start, STATE, state_bytes, start_meta["state_sha256"])
            self._check_hash(workspace, start, CONFIG, config_bytes, start_meta["config_sha256"])
            self._remember(listing.head, workspace, start, state_bytes, config_bytes)
        state = self._document(workspace, start, STATE, state_bytes)
        config = self._document(workspace, start, CONFIG, config_bytes)

        for step in range(start + 1, version + 1):
            self.deltas_applied += 1
            step_meta = meta if step == version else self._meta(listing, workspace, step)
            state_delta = self._read_json(listing, workspace, step, STATE_DELTA)
            config_delta = self._read_json(listing, workspace, step, CONFIG_DELTA)
            state = self._patch(workspace, step, STATE_DELTA, state, state_delta)
            config = self._patch(workspace, step, CONFIG_DELTA, config, config_delta)
            state_bytes = delta.dumps(state)
            config_bytes = delta.dumps(config)
            self._check_hash(workspace, step, STATE_DELTA, state_bytes, step_meta["state_sha256"])
            self._check_hash(
                workspace, step, CONFIG_DELTA, config_bytes, step_meta["config_sha256"]
            )
            if use_cache:
                self._remember(listing.head, workspace, step, state_bytes, config_bytes)

        if version == max(listing.files):
            self._save_cache(workspace, version, meta, state_bytes, config_bytes)
        return _Rebuilt(meta, state, config, state_bytes, config_bytes)

    def _read_version_files(self, listing: _Listing, workspace: str, version: int) -> None:
        """Read a version's documents or deltas, which must be what HEAD holds."""
        keyframe = self._is_keyframe(listing, workspace, version)
        for name in KEYFRAME_FILES if keyframe else DELTA_FILES:
            self._read(listing, workspace, version, name)

    def _remember(
        self, head: str | None, workspace: str, version: int, state: bytes, config: bytes
    ) -> None:
        """Keep a rebuilt version's documents for this command, within a memory budget."""
        if any(key[0] != head for key in self._rebuilt):  # a new HEAD: start afresh
            self._rebuilt.clear()
            self._rebuilt_bytes = 0
        self._rebuilt[(head, workspace, version)] = (state, config)
        self._rebuilt_bytes += len(state) + len(config)
        while self._rebuilt_bytes > _REBUILT_BUDGET and len(self._rebuilt) > 1:
            oldest = next(iter(self._rebuilt))
            dropped = self._rebuilt.pop(oldest)
            self._rebuilt_bytes -= len(dropped[0]) + len(dropped[1])

    def _run_start(self, listing: _Listing, workspace: str, version: int) -> tuple[int, bool]:
        """The first version of the run ``version`` is rebuilt from, and whether it is a
        keyframe (if not, the run starts after a gap and cannot be rebuilt)."""
        candidate = version
        for candidate in sorted((n for n in listing.files if n <= version), reverse=True):
            if self._is_keyframe(listing, workspace, candidate):
                return candidate, True
            if candidate - 1 not in listing.files:
                break
        return candidate, False

    def check(self) -> StoreCheck:
        """Rebuild every kept version of every workspace as a revert would, without the cache,
        and let git check its objects. One pass: each run from a keyframe is rebuilt once, from
        its last version."""
        fsck = self._git.run("fsck", "--no-dangling", "--no-progress", ok=range(256))
        git = tuple(
            line
            for line in (fsck.stdout + fsck.stderr).decode("utf-8", "replace").splitlines()
            # "notice:" lines are not damage: "HEAD points to an unborn branch" is a new
            # repository whose own branch has no commit yet, beside a store on its branch.
            if line.strip() and not line.startswith(("Checking ", "notice: "))
        )
        if fsck.returncode != 0 and not git:
            git = (f"git fsck exited with {fsck.returncode}",)
        # By message: every later version of a broken run meets the same first bad one.
        damaged: dict[str, StoreError] = {}
        writable: list[str] = []
        versions = 0
        workspaces = self.workspaces()
        with gc_paused():
            for ws in workspaces:
                listing = self._listing(ws)
                versions += len(listing.files)
                writable.extend(self._writable_files(listing, ws))
                unchecked = set(listing.files)
                while unchecked:
                    last = max(unchecked)
                    first = last
                    try:
                        first = self._run_start(listing, ws, last)[0]
                        self._rebuild(listing, ws, last, use_cache=False)
                    except TamperedError as exc:
                        damaged.setdefault(exc.message, exc)
                    unchecked -= set(range(first, last + 1))
        return StoreCheck(len(workspaces), versions, tuple(damaged.values()), git, tuple(writable))

    def _writable_files(self, listing: _Listing, workspace: str) -> list[str]:
        found = []
        for version, names in sorted(listing.files.items()):
            for name in sorted(names):
                rel = f"{version_dir(workspace, version)}/{name}"
                try:
                    mode = (self.root / rel).stat().st_mode
                except OSError:
                    continue  # a missing file is damage, which the rebuild reports
                if mode & 0o222:
                    found.append(rel)
        return found

    def _document(self, workspace: str, version: int, name: str, data: bytes) -> dict[str, Any]:
        try:
            doc = parse_document(data)
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            rel = f"{version_dir(workspace, version)}/{name}"
            raise self._tampered(workspace, version, f"{rel} is not a JSON document")
        return doc

    def _patch(
        self, workspace: str, version: int, name: str, doc: dict[str, Any], change: Any
    ) -> dict[str, Any]:
        try:
            if not isinstance(change, dict):
                raise ValueError("not a delta")
            patched = delta.patch(doc, change)
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            rel = f"{version_dir(workspace, version)}/{name}"
            raise self._tampered(workspace, version, f"{rel} cannot be applied") from None
        if not isinstance(patched, dict):
            rel = f"{version_dir(workspace, version)}/{name}"
            raise self._tampered(workspace, version, f"{rel} does not yield a document")
        return patched

    def _check_hash(
        self, workspace: str, version: int, name: str, data: bytes, expected: str
    ) -> None:
        if hashlib.sha256(data).hexdigest() != expected:
            rel = f"{version_dir(workspace, version)}/{name}"
            raise self._tampered(
                workspace, version, f"{rel} does not rebuild the document its meta.json records"
            )

    def _tampered(
        self, workspace: str, version: int, problem: str, restore: str | None = None
    ) -> TamperedError:
        if restore is not None:
            # git writes the file back with the repository's mode, not the 0444 the store's
            # files are kept in.
            root = shlex.quote(str(self.root))
            hint = (
                f"restore the file from the store's history (`git -C {root} checkout HEAD -- "
                f"{shlex.quote(restore)} && chmod a-w {root}/{shlex.quote(restore)}`) or from "
                "the remote"
            )
        else:
            hint = "restore the store from the remote or from an earlier commit of its history"
        return TamperedError(
            f"version {version} of workspace {workspace} has been tampered with: {problem}",
            hint=hint,
        )

    def _save_cache(
        self,
        workspace: str,
        version: int,
        meta: dict[str, Any],
        state_bytes: bytes,
        config_bytes: bytes,
    ) -> None:
        cache.save(
            self._cache_dir,
            workspace,
            cache.CachedDocuments(
                version=version,
                state_sha256=str(meta["state_sha256"]),
                config_sha256=str(meta["config_sha256"]),
                state=state_bytes,
                config=config_bytes,
            ),
        )

    # -- writing ----------------------------------------------------------------------------

    def record(
        self,
        workspace: str,
        meta: dict[str, Any],
        state: dict[str, Any],
        config: dict[str, Any],
    ) -> dict[str, Any]:
        """Store the next version of ``workspace`` and return its completed meta.

        Adds ``version``, ``parent``, ``state_sha256``, ``config_sha256``, ``keyframe`` and
        ``format`` to a copy of ``meta`` (the argument is not modified). The version appears in
        one commit whose author and committer are ``meta["author"]``, or not at all. Then
        retention, if configured, removes the oldest versions in a second commit; when that
        fails, :class:`~tfshadow.errors.RetentionError` carries the completed meta of the
        version, which is recorded all the same.
        The caller should hold :meth:`lock`; it is taken here if not.
        """
        ws = validate_workspace(workspace)
        with self.lock(DEFAULT_LOCK_TIMEOUT, command="record"), gc_paused():
            self._recover()
            listing = self._listing(ws)
            previous = max(listing.files) if listing.files else None
            version = previous + 1 if previous is not None else 1

            state_bytes = delta.dumps(state)
            config_bytes = delta.dumps(config)
            last_keyframe = max(
                (n for n in listing.files if STATE in listing.files[n]), default=None
            )
            keyframe = policy.keyframe_due(version, last_keyframe, self._config.keyframe_interval)
            files: dict[str, bytes]
            if keyframe or previous is None:
                files = {STATE: state_bytes, CONFIG: config_bytes}
            else:
                base = self._rebuild(listing, ws, previous)
                # The base was parsed from canonical bytes, so its keys are sorted at every level;
                # delta.diff skips unchanged instances by comparing bytes, which only works when
                # both sides share a key order (1.8 s instead of 0.1 s at 10,000 instances).
                files = {
                    STATE_DELTA: delta.dumps(delta.diff(base.state, parse_document(state_bytes))),
                    CONFIG_DELTA: delta.dumps(
                        delta.diff(base.config, parse_document(config_bytes))
                    ),
                }

            completed = dict(meta)
            completed.update(
                version=version,
                parent=previous,
                state_sha256=hashlib.sha256(state_bytes).hexdigest(),
                config_sha256=hashlib.sha256(config_bytes).hexdigest(),
                keyframe=keyframe,
                format=STORE_FORMAT,
            )
            files[META] = dumps_meta(completed)
            identity = _identity(meta)
            self._commit_version(ws, version, files, _message(meta, ws, version), identity)
            self._save_cache(ws, version, completed, state_bytes, config_bytes)
            try:
                self._apply_retention(ws, identity)
            except TfshadowError as exc:
                raise RetentionError(completed, exc) from exc
            except OSError as exc:
                # Retention writes the oldest kept version's keyframe: a full disk stops it
                # there, before its commit, and the next version's retention tries again.
                cause = StoreError(
                    f"cannot write to the shadow store at {self.root}: {exc.strerror or exc}",
                    hint="free space on its file system, or make it writable",
                )
                raise RetentionError(completed, cause) from exc
            self._pack_when_due()
            return completed

    def _pack_when_due(self) -> None:
        """Pack the objects once enough are loose, in the foreground and under the store's lock
        (git's automatic gc is off: see ``git._FORCED_CONFIG``). Each version leaves a handful
        of loose objects: 520 versions of a 500-resource state took 29 MB loose, 0.5 MB packed.
        An orphan branch lives in the user's repository, which the user's own git keeps."""
        if self._config.branch is not None:
            return
        try:
            loose = int(self._git.text("count-objects").split()[0])
            if loose >= LOOSE_OBJECTS_BEFORE_PACKING:
                self._git.run("gc", "--quiet")
        except (StoreError, ValueError, IndexError):
            pass  # only space is at stake: the next version tries again

    def _commit_version(
        self,
        workspace: str,
        version: int,
        files: dict[str, bytes],
        message: str,
        identity: Identity,
    ) -> None:
        parent = self.root / workspace_dir(workspace)
        final = parent / version_name(version)
        temp = parent / f".tmp-{version_name(version)}-{os.getpid()}"
        try:
            parent.mkdir(parents=True, exist_ok=True)
            for leftover in (final, temp):
                if leftover.exists():  # no commit holds it (HEAD says the version is new)
                    shutil.rmtree(leftover)
            temp.mkdir()
            for name, data in files.items():
                write_read_only(temp / name, data)
            os.rename(temp, final)
        except OSError as exc:
            # A full disk or a store gone read-only: what was written would only fill it more.
            shutil.rmtree(temp, ignore_errors=True)
            raise StoreError(
                f"cannot write version {version} to the shadow store at {self.root}: "
                f"{exc.strerror or exc}",
                hint="free space on its file system, or make it writable",
            ) from exc
        self._commit_path(
            version_dir(workspace, version),
            message,
            identity,
            undo=lambda _head: shutil.rmtree(final, ignore_errors=True),
        )

    def _commit_path(
        self, rel: str, message: str, identity: Identity, undo: Callable[[str | None], None]
    ) -> None:
        """Commit what is at ``rel`` in the tree, or leave the index as it was.

        When the commit fails, ``rel`` is unstaged and ``undo(head)`` puts the tree back
        (``head`` is the commit before); the error is raised again.
        """
        head = self._git.head()
        try:
            self._git.run("add", "-f", "--", rel)
            self._git.commit_index(message, identity)
        except BaseException:
            # Undo, unless the commit went through and only its aftermath was interrupted.
            with contextlib.suppress(Exception):
                if self._git.head() == head:
                    self._git.run("reset", "-q", "--", rel)
                    undo(head)
            raise

    def _apply_retention(self, workspace: str, identity: Identity) -> None:
        retain = self._config.retain
        if retain is None:
            return
        listing = self._listing(workspace)
        plan = policy.retention_plan(list(listing.files), retain)
        if plan is None or listing.head is None:
            return
        keep = plan.oldest_kept
        keep_dir = version_dir(workspace, keep)
        removed_dirs = [version_dir(workspace, n) for n in plan.removed]
        rekey = not self._is_keyframe(listing, workspace, keep)

        index = self._state_dir / "retention.index"
        shutil.copyfile(self._info.git_dir / "index", index)
        env = {"GIT_INDEX_FILE": str(index)}
        new_meta = self._state_dir / "retention.meta.json"
        new_meta.unlink(missing_ok=True)
        if rekey:
            rebuilt = self._rebuild(listing, workspace, keep)
            meta = dict(rebuilt.meta)
            meta["keyframe"] = True
            # New paths may go into the tree before the commit: no reader of the old HEAD looks
            # at them. meta.json changes, so it waits for the commit.
            for name, data in ((STATE, rebuilt.state_bytes), (CONFIG, rebuilt.config_bytes)):
                target = self.root / keep_dir / name
                target.unlink(missing_ok=True)
                write_read_only(target, data)
            self._git.run("add", "-f", "--", f"{keep_dir}/{STATE}", f"{keep_dir}/{CONFIG}", env=env)
            meta_bytes = dumps_meta(meta)
            meta_oid = self._git.hash_blob(meta_bytes)
            write_read_only(new_meta, meta_bytes)
            self._git.run(
                "update-index", "--cacheinfo", f"100644,{meta_oid},{keep_dir}/{META}", env=env
            )
        dropped = removed_dirs + (
            [f"{keep_dir}/{STATE_DELTA}", f"{keep_dir}/{CONFIG_DELTA}"] if rekey else []
        )
        self._git.run("rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", *dropped, env=env)
        tree = self._git.text("write-tree", env=env)
        first, last = plan.removed[0], plan.removed[-1]
        span = f"{first}" if first == last else f"{first}-{last}"
        message = (
            f"Remove {workspace} versions up to {last}: keep the newest {retain}\n\n"
            f"{RETENTION_TRAILER}: {workspace}/{span}\n"
        )
        commit = self._git.commit_tree(tree, [listing.head], message, identity)
        self._journal.write_text(json.dumps({"dirs": [*removed_dirs, keep_dir]}))
        if not self._git.update_ref("HEAD", commit, listing.head, "tfshadow: retention"):
            self._journal.unlink()
            raise StoreError(
                "the shadow store changed while retention ran",
                hint="another program writes to the store; run the command again",
            )
        for rel in removed_dirs:
            shutil.rmtree(self.root / rel, ignore_errors=True)
        if rekey:
            os.replace(new_meta, self.root / keep_dir / META)
            for name in DELTA_FILES:
                (self.root / keep_dir / name).unlink(missing_ok=True)
        os.replace(index, self._info.git_dir / "index")
        self._journal.unlink()

    # -- history, for the object-storage mirror ----------------------------------------------

    @property
    def config(self) -> StoreConfig:
        """The settings the store was opened with."""
        return self._config

    @property
    def branch(self) -> str:
        """The branch holding the store's history."""
        return self._branch

    def head(self) -> str | None:
        """The commit holding the store's current versions (None before the first commit)."""
        return self._git.head()

    def version_files(self, commit: str) -> dict[str, str]:
        """Every version file in ``commit``'s tree: its path -> its blob id."""
        files = {}
        for entry in self._git.ls_tree(commit, "workspaces/", recursive=True):
            parts = entry.path.split("/")
            if (
                entry.kind == "blob"
                and len(parts) == 4
                and parse_version_name(parts[2]) is not None
            ):
                files[entry.path] = entry.oid
        return files

    def read_blobs(self, oids: list[str]) -> dict[str, bytes]:
        """The content of each blob id."""
        return self._git.blobs(oids)

    def commit_count(self, commit: str) -> int:
        """How many commits the history up to ``commit`` holds."""
        return self._git.commit_count(commit)

    def contains(self, ancestor: str, commit: str) -> bool:
        """Whether ``ancestor`` is ``commit`` or part of its history."""
        return self._git.is_ancestor(ancestor, commit)

    def write_bundle(self, path: Path, tip: str, base: str | None) -> None:
        """A git bundle at ``path`` of the history after ``base`` up to ``tip``."""
        self._git.bundle_create(path, tip, base)

    @classmethod
    def from_bundles(cls, config: StoreConfig, bundles: list[Path], branch: str) -> GitShadowStore:
        """Create the store ``config`` describes from git bundles made by :meth:`write_bundle`,
        the first without a base, each next one based on the previous one's tip.

        In directory mode the directory must be absent or empty and the history goes on
        ``branch``; in branch mode the configuration's repository must not have the store's
        branch yet. Raises StoreError otherwise, or when a bundle does not fit.
        """
        _check_config(config)
        if not bundles:
            raise StoreError("there is no history to restore", hint="check the mirror's address")

        def fetch(repo: Git) -> str:
            try:
                return _fetch_bundles(repo, bundles)
            finally:
                repo.delete_ref(BUNDLE_REF)

        return cls._created_from(config, branch, fetch, "restore")

    @staticmethod
    def held_by_bundles(bundles: list[Path], commits: Iterable[str], scratch: Path) -> set[str]:
        """Those of ``commits`` that the history the bundles bring holds (as
        :meth:`from_bundles` takes them), found in a repository made at ``scratch`` (absent or
        empty), not the store's: a restore decides before it writes anything."""
        scratch.mkdir(parents=True, exist_ok=True)
        init_repository(scratch, DEFAULT_BRANCH)
        git = Git(scratch)
        tip = _fetch_bundles(git, bundles)
        return {commit for commit in commits if git.is_ancestor(commit, tip)}

    @classmethod
    def _created_from(
        cls, config: StoreConfig, branch: str, fetch: Callable[[Git], str], verb: str
    ) -> GitShadowStore:
        """A new store holding the history ``fetch`` brings into a repository (its tip)."""
        if config.branch is not None:
            workdir = Path(os.path.abspath(config.workdir))
            outer_info = Git(workdir).repo_info() if workdir.is_dir() else None
            if outer_info is None:
                raise StoreError(
                    f"{workdir} is not inside a git repository, so the store cannot be {verb}d "
                    f"onto its `{config.branch}` branch",
                    hint="run `git init` there first, or drop the store's `branch` setting",
                )
            repo = Git(outer_info.toplevel)
            if repo.resolve(f"refs/heads/{config.branch}") is not None:
                raise StoreError(
                    f"the branch `{config.branch}` of {outer_info.toplevel} already exists",
                    hint=f"rename or delete it first: {verb} never overwrites a store",
                )
            tip = fetch(repo)
            _check_is_store(repo, tip)
            if not repo.update_ref(f"refs/heads/{config.branch}", tip, None, f"tfshadow: {verb}"):
                raise StoreError(
                    f"cannot create the branch `{config.branch}`",
                    hint="check that the repository is writable",
                )
            return cls.open(config, create=False)
        path = Path(os.path.abspath(config.workdir / (config.path or DEFAULT_DIRECTORY)))
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise StoreError(
                f"{path} already exists and is not empty",
                hint=f"move it away first: {verb} never overwrites a store",
            )
        path.mkdir(parents=True, exist_ok=True)
        try:
            init_repository(path, branch)
            git = Git(path)
            tip = fetch(git)
            _check_is_store(git, tip)
            git.check_out_branch(branch, tip)
            _make_read_only(path, (e.path for e in git.ls_tree(tip, None, recursive=True)))
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        return cls.open(config, create=False)

    @classmethod
    def pull(cls, config: StoreConfig, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> PullResult:
        """Bring the store up to its remote's branch, fast-forward only; create it from the
        remote when there is none here: a store to start from, or one to bring up to date
        without recording (commands that record do it first, see :meth:`pull_before_recording`)."""
        url = _resolve_remote(config.remote, config.workdir)
        if url is None:
            raise StoreError(
                "the shadow store has no remote to pull from",
                hint='set `remote = "…"` in the store block of tfshadow.hcl',
            )
        _check_config(config)
        if _exists(config):
            return cls.open(config, create=False)._pull(url, lock_timeout)
        branch = config.branch or DEFAULT_BRANCH

        def fetch(repo: Git) -> str:
            try:
                tip = repo.fetch_branch(url, branch, pull_ref(branch), configured_in=config.workdir)
            finally:
                repo.delete_ref(pull_ref(branch))
            if tip is None:
                raise StoreError(
                    f"the remote {scrub_url(url)} holds no shadow store yet",
                    hint="the first `tfshadow apply` creates and pushes it",
                )
            return tip

        created = cls._created_from(config, branch, fetch, "pull")
        return PullResult(scrub_url(url), created.commit_count(created.head() or ""), 0, True)

    def _pull(self, url: str, lock_timeout: float) -> PullResult:
        with self.lock(lock_timeout, command="store pull"):
            return self._fast_forward(url)

    def pull_before_recording(self) -> PullResult | None:
        """Take the versions the remote has beyond this store's, under the lock the caller
        holds, so that a version recorded next goes on from them rather than beside them (a
        history no push could join). None when there is no remote or the settings say not to.
        StoreDivergedError when each holds versions the other lacks; StoreError when the
        remote cannot be reached, once: later calls of the same command (one that records
        twice) return None without trying, until :meth:`ask_remote_again`."""
        if self._remote is None or not self._config.pull_before_record:
            return None
        if self._remote_unreachable:
            return None
        try:
            return self._fast_forward(self._remote)
        except StoreDivergedError:
            raise
        except StoreError:
            self._remote_unreachable = True
            raise

    def ask_remote_again(self) -> None:
        """Forget that the remote could not be reached: a process that goes on recording
        (each cycle of `check --watch`) tries it anew, as a new command would."""
        self._remote_unreachable = False

    def _fast_forward(self, url: str) -> PullResult:
        with self._fetched(url) as fetched:
            if isinstance(fetched, Divergence):
                raise StoreDivergedError(
                    f"the shadow store and its remote {fetched.remote} have diverged: each "
                    "holds versions the other lacks (two copies recorded)",
                    hint="run `tfshadow store pull --rebase` to record this copy's versions "
                    "again after the remote's",
                )
            return fetched

    @contextlib.contextmanager
    def _fetched(self, url: str) -> Iterator[PullResult | Divergence]:
        """Fetch ``url``'s branch, under the lock the caller holds. A remote that only went on
        from this store is taken at once (its PullResult yielded, as for one with nothing
        new); diverged histories are yielded as they stand, the remote's tip held by a ref
        until the block ends, nothing moved."""
        try:
            fetched = self._fetch_remote(url)
            if isinstance(fetched, Divergence) and fetched.base == fetched.head:
                move = ("merge", "--ff-only", "--quiet")
                fetched = self._take(url, fetched.head, fetched.tip, move)
            yield fetched
        finally:
            self._git.delete_ref(pull_ref(self._branch))

    def _fetch_remote(self, url: str) -> PullResult | Divergence:
        """Fetch the remote's branch to its pull ref (the caller deletes it). A PullResult when
        there is nothing to take (the remote has no branch, or only commits this store holds);
        otherwise where the two histories stand (``base == head``: a fast-forward)."""
        shown = scrub_url(url)
        head = self._git.head()
        tip = self._git.fetch_branch(
            url, self._branch, pull_ref(self._branch), configured_in=self._config.workdir
        )
        if tip is None:
            return PullResult(shown, 0, self._unpushed_count(head, None), False)
        _check_is_store(self._git, tip)
        if head is not None and self._git.is_ancestor(tip, head):
            ahead = self._unpushed_count(head, tip)
            return PullResult(shown, 0, ahead, False, self.half_joined() is not None)
        base = self._git.merge_base(head, tip) if head is not None else None
        return Divergence(shown, head, tip, base)

    def _take(self, url: str, head: str | None, tip: str, move: tuple[str, ...]) -> PullResult:
        """Move the store from ``head`` to the remote's ``tip`` (see :meth:`_move`)."""
        self._move(head, tip, move)
        self._note_pushed(url, tip)
        pulled = self.commit_count(tip) - (self.commit_count(head) if head else 0)
        return PullResult(scrub_url(url), pulled, 0, False)

    def _move(self, head: str | None, tip: str, move: tuple[str, ...]) -> None:
        """Move the store from ``head`` to ``tip`` with ``git <move> <tip>``, under a journal,
        leaving the files it wrote read-only."""
        changed = [
            p
            for p in (
                self._git.text("diff", "--no-renames", "--name-only", "-z", head, tip).split("\0")
                if head
                else [e.path for e in self._git.ls_tree(tip, None, recursive=True)]
            )
            if p
        ]
        # git writes the tree before it moves HEAD: a merge stopped in between leaves
        # files HEAD does not hold (retention's rekeyed meta.json reads as tampered,
        # and the next merge refuses to overwrite them). The journal puts HEAD's back.
        try:
            self._journal.write_text(json.dumps({"dirs": changed}))
        except OSError as exc:
            self._journal.unlink(missing_ok=True)
            raise StoreError(
                f"cannot write to the shadow store at {self.root}: {exc.strerror or exc}",
                hint="free space on its file system, or make it writable",
            ) from exc
        try:
            self._git.run(*move, tip)
        except StoreError:
            # What the move got to write is undone now, or else by the next open.
            with contextlib.suppress(TfshadowError, OSError):
                self._recover()
            raise
        _make_read_only(self.root, changed)
        self._journal.unlink()

    # -- joining diverged histories (`store pull --rebase`) -----------------------------------

    @contextlib.contextmanager
    def fetched_for_rebase(self) -> Iterator[PullResult | Divergence]:
        """The remote's branch fetched as :meth:`_fetched` does, for `store pull --rebase`."""
        url = self._remote
        if url is None:
            raise StoreError(
                "the shadow store has no remote to pull from",
                hint='set `remote = "…"` in the store block of tfshadow.hcl',
            )
        with self._fetched(url) as fetched:
            yield fetched

    def versions_after(self, commit: str) -> dict[str, list[int]]:
        """Per workspace, the versions the store holds beyond those ``commit`` holds, oldest
        first (those recorded here after the histories parted)."""
        head = self._git.head()
        if head is None:
            return {}
        found: dict[str, list[int]] = {}
        for ws in self.workspaces():
            there = max(self._version_numbers(commit, ws), default=0)
            newer = sorted(n for n in self._version_numbers(head, ws) if n > there)
            if newer:
                found[ws] = newer
        return found

    def _version_numbers(self, commit: str, workspace: str) -> set[int]:
        prefix = f"{workspace_dir(workspace)}/"
        return {
            n
            for entry in self._git.ls_tree(commit, prefix, recursive=False)
            if entry.kind == "tree"
            and (n := parse_version_name(entry.path[len(prefix) :])) is not None
        }

    def marks_at(self, commit: str, workspace: str) -> dict[int, dict[str, Any]]:
        """The marks of ``workspace`` as ``commit`` holds them: version -> mark."""
        ws = validate_workspace(workspace)
        return self._read_marks(_Listing(head=commit, files={}), ws)

    def reset_to_remote(self, fetched: Divergence) -> str:
        """Keep the store's history under a ref and put the store at the remote's tip (files
        read-only, under a journal as a pull); returns the ref. The caller holds the lock."""
        if self._remote is None or fetched.head is None:
            raise StoreError("the shadow store has no history to keep", hint="run `tfshadow apply`")
        ref = f"{BEFORE_REBASE_REF}/{self._branch}"
        # Noted before the ref moves: until :meth:`rebase_joined` (or the store is put back),
        # the store is half-joined, and nothing of it may be pushed (see :meth:`half_joined`).
        try:
            replace_file(self._state_dir / _REBASING, f"{fetched.head}\n")
        except OSError as exc:
            raise StoreError(
                f"cannot write to the shadow store at {self.root}: {exc.strerror or exc}",
                hint="free space on its file system, or make it writable",
            ) from exc
        self._git.run("update-ref", "-m", "tfshadow: before store pull --rebase", ref, fetched.head)
        self._take(self._remote, fetched.head, fetched.tip, ("reset", "-q", "--hard"))
        self.note_rebase_progress()
        return ref

    def note_rebase_progress(self) -> None:
        """Note the store's head as the tip the rebase under way got to: every commit up to it
        is the rebase's own (a copy of a version of the two histories), so that its undo can
        tell them from versions recorded on top of a half-joined store, also when the rebase
        was killed before it could say where it stopped."""
        path = self._state_dir / _REBASING
        before = _read_rebasing(path)[0]
        head = self._git.head()
        if before is not None and head is not None:
            # Not noted, an undo knows less (it refuses rather than guess): no reason to stop.
            with contextlib.suppress(OSError):
                replace_file(path, f"{before}\n{head}\n")

    def rebase_joined(self) -> None:
        """That the rebase :meth:`reset_to_remote` began recorded every version again: the
        store holds the joined history, which may be pushed."""
        (self._state_dir / _REBASING).unlink(missing_ok=True)

    def half_joined(self) -> str | None:
        """The ref keeping the history before a `store pull --rebase` that stopped part-way
        and could not put the store back (or was killed): the store then holds part of a
        join, which no push nor upload may send. None: the store is not half-joined."""
        noted = _read_rebasing(self._state_dir / _REBASING)[0]
        ref, before = self.before_rebase()
        # A marker whose ref was since dropped or moved (by hand) names no rebase under way.
        return ref if before is not None and before == noted else None

    def rebase_progress(self) -> str | None:
        """Where the rebase that left the store half-joined got to (see
        :meth:`note_rebase_progress`); None: the store is not half-joined, or it is not known."""
        if self.half_joined() is None:
            return None
        return _read_rebasing(self._state_dir / _REBASING)[1]

    def before_rebase(self) -> tuple[str, str | None]:
        """The ref that keeps the store's history from before its last `store pull --rebase`,
        and the commit it names (None: there is none)."""
        ref = f"{BEFORE_REBASE_REF}/{self._branch}"
        return ref, self._git.resolve(ref)

    def back_before_rebase(
        self, joined: str | None = None, *, keep_ref: bool = False
    ) -> tuple[str, str, str | None]:
        """Put the store back on the history :meth:`reset_to_remote` kept, and drop its ref:
        (ref, commit, the commit left, or None when the store was there already). Every file
        is left read-only, also after a `git reset --hard` to the ref by hand (git writes files
        writable). The caller holds the lock. StoreError, with nothing changed, when no history
        is kept or when going back would lose anything: a file of the store changed by hand,
        or commits that neither that history nor the remote holds, but for those of the
        rebase itself (up to ``joined``, the tip it left: copies of the two histories).
        ``keep_ref``: the ref (and the note of a half-joined store) stays until
        :meth:`drop_before_rebase`, for a caller that has more to do before the undo is done."""
        ref, before = self.before_rebase()
        if before is None:
            raise StoreError(
                f"the shadow store keeps no history from before a `tfshadow store pull --rebase` "
                f"({ref} does not exist)",
                hint="there is nothing to undo",
            )
        self._recover()  # what an interrupted write left is nobody's edit
        edited = self._git.status().edited
        if edited:
            shown = ", ".join(edited[:3]) + (
                f" and {len(edited) - 3} more" if len(edited) > 3 else ""
            )
            raise StoreError(
                f"{len(edited)} file(s) of the shadow store were changed by hand ({shown}): "
                "going back would lose them",
                hint=f"see them with `git -C {self.root} diff`; `git -C {self.root} checkout -- "
                ".` drops them",
            )
        head = self._git.head()
        left = None if head is None or head == before else head
        if left is not None:
            held = [c for c in (before, joined, self._pushed_tip()) if c is not None]
            if not any(self._git.is_ancestor(left, commit) for commit in held):
                raise StoreError(
                    "the shadow store has commits since the rebase that its remote lacks "
                    f"(versions recorded since, their push failed): going back to {ref} would "
                    "lose them",
                    hint="the next recorded command (`tfshadow apply`…) pushes them once the "
                    "remote can be reached; then undo the rebase",
                )
            self._move(left, before, ("reset", "-q", "--hard"))
        _make_read_only(
            self.root, (e.path for e in self._git.ls_tree(before, None, recursive=True))
        )
        if not keep_ref:
            self.drop_before_rebase()
        return ref, before, left

    def drop_before_rebase(self) -> None:
        """Drop the ref :meth:`reset_to_remote` kept, and the note of a rebase under way."""
        self._git.delete_ref(self.before_rebase()[0])
        (self._state_dir / _REBASING).unlink(missing_ok=True)

    def _note_pushed(self, remote: str, tip: str) -> None:
        """That ``remote`` holds ``tip``: pushed there, or taken from there."""
        (self._state_dir / _PUSHED).write_text(f"{remote}\n{tip}\n", encoding="utf-8")

    def _pushed_tip(self) -> str | None:
        """The commit last pushed to the configured remote (None: none, or another remote)."""
        try:
            remote, tip = (self._state_dir / _PUSHED).read_text(encoding="utf-8").splitlines()
        except (OSError, ValueError):
            return None
        return tip if self._remote is not None and remote == self._remote else None

    def undo_rebase(self, fetched: Divergence, ref: str) -> None:
        """Put the store back where :meth:`reset_to_remote` found it and drop ``ref``."""
        if fetched.head is None:
            return
        self._recover()
        self._move(self._git.head(), fetched.head, ("reset", "-q", "--hard"))
        self._git.delete_ref(ref)
        (self._state_dir / _REBASING).unlink(missing_ok=True)

    def carry_marks(
        self, workspace: str, marks: Mapping[int, dict[str, Any]], message: str
    ) -> None:
        """Replace the marks of ``workspace`` by ``marks`` (those of kept versions), each as
        it was made, in one commit. Takes the lock if the caller does not hold it."""
        ws = validate_workspace(workspace)
        with self.lock(DEFAULT_LOCK_TIMEOUT, command="store pull"):
            self._recover()
            listing = self._listing(ws)
            kept = {n: m for n, m in marks.items() if n in listing.files}
            self._commit_marks(ws, _marks_bytes(kept), message, STORE_IDENTITY)

    def _unpushed_count(self, head: str | None, remote_tip: str | None) -> int:
        if head is None:
            return 0
        return self.commit_count(head) - (self.commit_count(remote_tip) if remote_tip else 0)

    # -- remote -----------------------------------------------------------------------------

    def push(self) -> None:
        """Push to the configured remote (nothing to do without one).

        On failure StoreError; the local history is kept and the next push sends it. Nothing
        is tried when the remote could not be reached before recording: that was said then.
        """
        if self._remote is None or self._remote_unreachable:
            return
        head = self._git.head()
        if head is None:
            return
        half = self.half_joined()
        if half is not None:
            # A fast-forward the remote would take: it would then hold a partial join.
            raise StoreHalfJoinedError(
                HALF_JOINED + ": nothing is pushed",
                hint=UNDO_HALF_JOINED,
            )
        try:
            self._git.push(self._remote, head, self._branch, configured_in=self._config.workdir)
        except StoreDivergedError as exc:
            if self._config.branch is not None:
                raise
            raise StoreDivergedError(
                exc.message,
                hint=f"{exc.hint}; or, to drop them and go on from the remote's history, move "
                f"{self.root} aside and run `tfshadow store pull`",
            ) from None
        self._note_pushed(self._remote, head)

    def has_unpushed(self) -> bool:
        """Whether a remote is configured and lacks the store's latest commit."""
        if self._remote is None:
            return False
        head = self._git.head()
        return head is not None and self._pushed_tip() != head

    # -- secrets ----------------------------------------------------------------------------

    def fingerprint_key(self) -> bytes:
        """The store's 32-byte fingerprint key, created on first use.

        Kept in the git directory, so it is never committed or pushed: a clone of the store
        has none and makes its own.
        """
        path = self._state_dir / "fingerprint.key"
        try:
            key = path.read_bytes()
        except FileNotFoundError:
            temp = self._state_dir / f".fingerprint.{os.getpid()}.{secrets.token_hex(4)}.tmp"
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, secrets.token_bytes(FINGERPRINT_KEY_BYTES))
                # Flushed before it is linked: an empty key after a power loss would orphan
                # every fingerprint recorded with the lost one.
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                # link() fails if another process created the key first: both then use theirs.
                os.link(temp, path)
            except FileExistsError:
                pass
            finally:
                temp.unlink()
            key = path.read_bytes()
        if len(key) != FINGERPRINT_KEY_BYTES:
            raise StoreError(
                f"the shadow store's fingerprint key {path} is damaged",
                hint="restore it from a backup; a new key would make every recorded fingerprint "
                "of a sensitive value look changed",
            )
        return key

    # -- marks ------------------------------------------------------------------------------

    def set_mark(
        self,
        workspace: str,
        version: int,
        mark: str,
        author: Mapping[str, str],
        note: str | None = None,
    ) -> dict[str, Any]:
        """Mark a kept version ``good`` or ``bad`` in a commit of its own; returns the mark.

        Marks live in ``workspaces/<workspace>/marks.json`` (read-only, beside the version
        directories, never inside one). A version's latest mark replaces its earlier ones; the
        store's git history keeps them all. Marks of versions that retention removed are dropped
        when the file is written. UnknownVersionError when ``version`` is not, or no longer,
        stored. Takes the lock if the caller does not hold it.
        """
        ws = validate_workspace(workspace)
        if mark not in MARK_VALUES:
            raise ValueError(f"a mark is good, bad or suspect, not {mark!r}")
        with self.lock(DEFAULT_LOCK_TIMEOUT, command="mark"):
            self._recover()
            listing = self._listing(ws)
            if version not in listing.files:
                raise _unknown_version(listing, ws, version)
            kept = {n: m for n, m in self._read_marks(listing, ws).items() if n in listing.files}
            entry: dict[str, Any] = {
                "version": version,
                "mark": mark,
                "author": dict(author),
                "timestamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            }
            if note:
                entry["note"] = note
            kept[version] = entry
            data = _marks_bytes(kept)
            body = f"{note.strip()}\n\n" if note and note.strip() else ""
            message = (
                f"Mark version {version} of workspace {ws} {mark}\n\n{body}"
                f"{MARK_TRAILER}: {ws}/{version} {mark}\n"
            )
            self._commit_marks(
                ws, data, message, Identity.of(author.get("name"), author.get("email"))
            )
            return entry

    def marks(self, workspace: str) -> dict[int, dict[str, Any]]:
        """The latest mark of every kept version that has one: version -> mark."""
        ws = validate_workspace(workspace)
        listing = self._listing(ws)
        return {n: m for n, m in self._read_marks(listing, ws).items() if n in listing.files}

    def last_good(self, workspace: str, *, kept: bool = True) -> int | None:
        """The newest kept version whose latest mark is ``good``, None if there is none;
        ``kept=False``: also among the versions retention removed."""
        if kept:
            marks = self.marks(workspace)
        else:
            ws = validate_workspace(workspace)
            marks = self._read_marks(self._listing(ws), ws)
        return max((n for n, m in marks.items() if m["mark"] == "good"), default=None)

    def configs(self, workspace: str) -> Iterator[tuple[int, dict[str, Any]]]:
        """Every kept version's config document, oldest first, each checked against its meta.

        One walk over the history that rebuilds configurations only, where :meth:`reconstruct`
        of each version would rebuild every state from its keyframe. Hold the lock for a stable
        history: a writer's retention running meanwhile shows as TamperedError.
        """
        ws = validate_workspace(workspace)
        listing = self._listing(ws)
        config: dict[str, Any] | None = None
        previous: int | None = None
        for version in sorted(listing.files):
            meta = self._meta(listing, ws, version)
            if self._is_keyframe(listing, ws, version):
                data = self._read(listing, ws, version, CONFIG)
                self._check_hash(ws, version, CONFIG, data, meta["config_sha256"])
                config = self._document(ws, version, CONFIG, data)
            else:
                if config is None or previous != version - 1:
                    raise self._tampered(
                        ws, version, "no keyframe precedes it, so it cannot be rebuilt"
                    )
                change = self._read_json(listing, ws, version, CONFIG_DELTA)
                config = self._patch(ws, version, CONFIG_DELTA, config, change)
                self._check_hash(
                    ws, version, CONFIG_DELTA, delta.dumps(config), meta["config_sha256"]
                )
            previous = version
            yield version, config

    def _read_marks(self, listing: _Listing, workspace: str) -> dict[int, dict[str, Any]]:
        """The marks file as HEAD holds it (a copy in the tree that a crash left newer or that
        someone edited is never read)."""
        if listing.head is None:
            return {}
        rel = f"{workspace_dir(workspace)}/{MARKS}"
        entries = self._git.ls_tree(listing.head, rel, recursive=False)
        if not entries or entries[0].kind != "blob":
            return {}
        data = self._git.run("cat-file", "blob", entries[0].oid).stdout
        try:
            doc = parse_document(data)
        except ValueError:
            doc = None
        marks: dict[int, dict[str, Any]] = {}
        items = doc.get("marks") if isinstance(doc, dict) else None
        if not isinstance(items, list):
            raise self._bad_marks(workspace, rel)
        for item in items:
            if (
                not isinstance(item, dict)
                or type(item.get("version")) is not int
                or item.get("mark") not in MARK_VALUES
            ):
                raise self._bad_marks(workspace, rel)
            marks[item["version"]] = item
        return marks

    def _bad_marks(self, workspace: str, rel: str) -> TamperedError:
        return TamperedError(
            f"the marks of workspace {workspace} have been tampered with: {rel} is not a "
            "marks file",
            hint="restore the store from the remote or from an earlier commit of its history",
        )

    def _commit_marks(self, workspace: str, data: bytes, message: str, identity: Identity) -> None:
        rel = f"{workspace_dir(workspace)}/{MARKS}"
        path = self.root / rel
        temp = path.with_name(f".tmp-{MARKS}-{os.getpid()}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp.unlink(missing_ok=True)
            write_read_only(temp, data)
            # Replacing the committed file before the commit is safe: marks are read from HEAD,
            # and what an interruption leaves in the tree is overwritten by the next mark.
            os.replace(temp, path)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise StoreError(
                f"cannot write the marks of workspace {workspace} to the shadow store at "
                f"{self.root}: {exc.strerror or exc}",
                hint="free space on its file system, or make it writable",
            ) from exc

        def undo(head: str | None) -> None:
            committed = head is not None and self._git.ls_tree(head, rel, recursive=False)
            path.unlink(missing_ok=True)
            if committed:
                self._git.run("checkout", "-q", "HEAD", "--", rel)
                _make_read_only(self.root, [rel])

        self._commit_path(rel, message, identity, undo)


# -- helpers --------------------------------------------------------------------------------


def _marks_bytes(marks: Mapping[int, dict[str, Any]]) -> bytes:
    return dumps_meta({"format": MARKS_FORMAT, "marks": [marks[n] for n in sorted(marks)]})


def _edited_marks(edited: Iterable[str]) -> list[str]:
    """The marks files among ``edited`` (tree paths whose copy differs from HEAD's)."""
    found = []
    for rel in edited:
        parts = rel.split("/")
        if len(parts) == 3 and parts[0] == "workspaces" and parts[2] == MARKS:
            found.append(rel)
    return found


def _check_config(config: StoreConfig) -> None:
    if config.keyframe_interval < 1:
        raise StoreError(
            f"keyframe_interval must be at least 1, not {config.keyframe_interval}",
            hint="set the store's keyframe interval to a positive number (default 25)",
        )
    if config.retain is not None and config.retain < 1:
        raise StoreError(
            f"retain must be at least 1, not {config.retain}",
            hint="keep at least the latest version, or unset retention to keep all",
        )
    if config.branch is not None and config.path is not None:
        raise StoreError(
            "the shadow store cannot have both a path and a branch",
            hint="set either the store's `path` or its `branch`",
        )


def _refuse_a_second_history(repo: Git, branch: str, where: str) -> None:
    """StoreError when the branch exists only as a remote-tracking branch (a clone of the
    configuration's repository): a store started here could never be pushed next to it."""
    proc = repo.run(
        "for-each-ref", "--format=%(refname)", f"refs/remotes/*/{branch}", ok=(0, 1, 128)
    )
    refs = [line for line in proc.stdout.decode().splitlines() if line.strip()]
    if not refs:
        return
    remote = refs[0].removeprefix("refs/remotes/").removesuffix(f"/{branch}")
    raise StoreError(
        f"{where} does not exist here, but {remote}/{branch} does (the store pushed from "
        "elsewhere)",
        hint=f"run `git fetch {remote} {branch}:{branch}` to take it; a store started here "
        "would split its history",
    )


def _exists(config: StoreConfig) -> bool:
    """Whether the store ``config`` describes has been created."""
    if config.branch is None:
        return (_directory_path(config) / ".git").exists()
    workdir = Path(os.path.abspath(config.workdir))
    info = Git(workdir).repo_info() if workdir.is_dir() else None
    return (
        info is not None and Git(info.toplevel).resolve(f"refs/heads/{config.branch}") is not None
    )


def _directory_path(config: StoreConfig) -> Path:
    path = Path(os.path.abspath(config.workdir / (config.path or DEFAULT_DIRECTORY)))
    if path.exists() and not path.is_dir():
        raise StoreError(
            f"the shadow store path {path} is a file",
            hint="point the store at a new or empty directory",
        )
    return path


def _check_not_taken(path: Path) -> None:
    if path.is_dir() and any(path.iterdir()):
        raise StoreError(
            f"{path} is not empty and not a git repository, so it cannot hold the shadow store",
            hint="point the store at a new or empty directory, or move the files there elsewhere",
        )


def _check_new_directory(config: StoreConfig, path: Path) -> None:
    """StoreError when a new store cannot go to ``path``, which holds no git repository."""
    _check_not_taken(path)
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not os.access(existing, os.W_OK | os.X_OK):
        raise StoreError(
            f"cannot create the shadow store at {path}: {existing} is not writable",
            hint="point the store (store.path in tfshadow.hcl, TFSHADOW_STORE) at a "
            "directory that can be created",
        )
    _refuse_a_second_remote_history(config, path)


def _refuse_a_second_remote_history(config: StoreConfig, path: Path) -> None:
    """StoreError when the store is to be created where its remote already holds a history
    (the store was lost, or this is a new machine): a new one could never be pushed beside it.
    A remote that cannot be reached does not stop the creation; the push says so later."""
    url = _resolve_remote(config.remote, config.workdir)
    workdir = Path(os.path.abspath(config.workdir))
    if url is None or not workdir.is_dir():
        return
    if Git(workdir).remote_has_branch(url, DEFAULT_BRANCH):
        shown = scrub_url(url)
        raise StoreError(
            f"there is no shadow store at {path}, but its remote {shown} already holds a history",
            hint="run `tfshadow store pull` to go on from it; a store started here could never "
            "be pushed beside it",
        )


def _no_store(where: str, config: StoreConfig | None = None) -> StoreError:
    # With a remote set, the store most likely lives there (a fresh clone, a new runner), and
    # a recording command would refuse to start a second history beside it.
    if config is not None and config.remote:
        return StoreError(
            f"no shadow store at {where}",
            hint="run `tfshadow store pull` to bring it from its remote, or `tfshadow apply` "
            "to start one where the remote has none",
        )
    return StoreError(f"no shadow store at {where}", hint="run `tfshadow apply` first")


def _same_dir(a: Path, b: Path) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def _identity(meta: dict[str, Any]) -> Identity:
    author = meta.get("author")
    if not isinstance(author, dict):
        return STORE_IDENTITY
    return Identity.of(author.get("name"), author.get("email"))


def _message(meta: dict[str, Any], workspace: str, version: int) -> str:
    description = str(meta.get("description") or "").strip()
    subject = description or f"Record version {version} of workspace {workspace}"
    return f"{subject}\n\n{VERSION_TRAILER}: {workspace}/{version}\n"


def _versions_text(versions: list[int]) -> str:
    first, last = versions[0], versions[-1]
    if first == last:
        return f"version {first}"
    return f"versions {first}\N{EN DASH}{last}"


def _unknown_version(listing: _Listing, workspace: str, version: int) -> UnknownVersionError:
    known = sorted(listing.files)
    if not known:
        return UnknownVersionError(
            f"no version {version} in workspace {workspace}",
            hint=f"workspace {workspace} has no versions yet",
        )
    if 1 <= version < known[0]:
        return UnknownVersionError(
            f"version {version} of workspace {workspace} was removed by retention",
            hint=f"the store keeps {_versions_text(known)}; older ones remain in the store's "
            "git history",
        )
    return UnknownVersionError(
        f"no version {version} in workspace {workspace}",
        hint=f"`tfshadow log` lists {_versions_text(known)}",
    )


def _read_journal(path: Path) -> list[str]:
    try:
        dirs = json.loads(path.read_text(encoding="utf-8"))["dirs"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [d for d in dirs if isinstance(d, str)]


def _resolve_remote(remote: str | None, workdir: Path) -> str | None:
    if not remote:
        return None
    # A local path is taken from the configuration directory (git would take it from the store);
    # URLs and scp-like `host:path` addresses stay as they are.
    if _is_url(remote):
        return remote
    named = _named_remote(remote, workdir)
    return named if named is not None else os.path.abspath(workdir / remote)


def _is_url(remote: str) -> bool:
    return "://" in remote or re.match(r"^[^/]+:", remote) is not None


def _named_remote(name: str, workdir: Path) -> str | None:
    """The URL of the configuration repository's remote ``name`` (`origin`), when ``name`` is
    one and no file or directory of that name is here: the store has no remotes of its own."""
    if not re.fullmatch(r"[A-Za-z0-9._-]+", name) or (workdir / name).exists():
        return None
    if not workdir.is_dir():
        return None
    outer = Git(workdir)
    proc = outer.run("remote", "get-url", name, ok=range(256))
    url = proc.stdout.decode("utf-8", "replace").strip()
    if proc.returncode != 0 or not url:
        return None
    info = outer.repo_info()
    if not _is_url(url) and not os.path.isabs(url) and info is not None:
        # git takes a relative remote path from the repository's top directory; the store
        # pushes from its own directory, where the same path leads elsewhere.
        return os.path.abspath(info.toplevel / url)
    return url


def _check_is_store(repo: Git, tip: str) -> None:
    if not _check_format(repo, tip, "the history fetched"):
        raise StoreError(
            "the history fetched is not a tfshadow shadow store",
            hint="check the store's remote and branch",
        )


def _check_format(repo: Git, commit: str, where: str) -> bool:
    """Whether ``commit`` holds a store's marker; StoreError when the marker says a newer
    tfshadow wrote the store, before anything of it is read, moved or recorded over."""
    found = repo.ls_tree(commit, MARKER, recursive=False)
    if not found:
        return False
    number = marker_format(repo.blobs([found[0].oid])[found[0].oid])
    if number is not None and number > STORE_FORMAT:
        raise newer_format_error(where, number)
    return True


def _read_rebasing(path: Path) -> tuple[str | None, str | None]:
    """The commit a rebase under way keeps, and the tip it got to (None: not noted)."""
    try:
        lines = path.read_text(encoding="utf-8").split()
    except OSError:
        return None, None
    return (lines[0] if lines else None), (lines[1] if len(lines) > 1 else None)


def _fetch_bundles(repo: Git, bundles: list[Path]) -> str:
    tip = ""
    for bundle in bundles:
        tip = repo.bundle_fetch(bundle)
    return tip


def _create_orphan_branch(repo: Git, ref: str) -> None:
    marker = repo.hash_blob(marker_bytes())
    tree = repo.mktree([TreeEntry("100644", "blob", marker, MARKER)])
    commit = repo.commit_tree(tree, [], "Create the tfshadow shadow store", STORE_IDENTITY)
    created = repo.update_ref(ref, commit, None, "tfshadow: create the shadow store")
    # Losing the race to another process creating the branch is fine.
    if not created and repo.resolve(ref) is None:
        raise StoreError(
            f"cannot create the branch {ref.removeprefix('refs/heads/')}",
            hint="check that the repository is writable",
        )


def _attach_worktree(repo: Git, git: Git, branch: str, common_dir: Path) -> RepoInfo:
    worktree = git.cwd
    if (worktree / ".git").is_file():
        # The repository moved: let git re-link the worktree before starting afresh.
        repo.run("worktree", "repair", str(worktree), ok=(0, 1, 128))
        info = git.repo_info()
        if info is not None and _same_dir(info.common_dir, common_dir):
            return info
    if worktree.exists():
        shutil.rmtree(worktree)
    repo.run("worktree", "add", "-f", "--quiet", str(worktree), branch)
    info = git.repo_info()
    if info is None:
        raise StoreError(
            f"cannot set up the shadow store's worktree {worktree}",
            hint="check that the repository is writable (`git worktree list`)",
        )
    _make_read_only(worktree, (e.path for e in git.ls_tree("HEAD", None, recursive=True)))
    return info


def _make_read_only(root: Path, paths: Iterable[str]) -> None:
    """Files a checkout wrote (0644) made read-only, as the store keeps its files."""
    for rel in filter(None, paths):  # never "": that would be the store's own directory
        with contextlib.suppress(FileNotFoundError):
            (root / rel).chmod(0o444)
