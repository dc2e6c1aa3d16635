"""The one module that runs git for the shadow store.

Commands go through GitPython's command wrapper (``git.Git.execute``), which runs the git CLI,
rather than through GitPython's index and object layer: a small commit takes 13 ms through the
wrapper against 18 ms through the index (9.5 ms for the bare CLI), and a 26 MB file 0.40 s against
0.52 s. GitPython is imported on first use: its import costs about 0.1 s and runs ``git version``,
which commands that never touch the store should not pay. Git's failures and GitPython's errors
become :class:`~tfshadow.errors.StoreError`; nothing else in the store spawns git.

Every command runs with the user's hooks disabled, signing off and line-ending conversion off: the
store's commits must never depend on, or trigger, the settings of the repository they live in.
Environment variables that redirect git to another repository (set, for example, when tfshadow runs
from a git hook) are removed from the command's environment.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shlex
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tfshadow.errors import StoreDivergedError, StoreError

# Variables that would make git act on another repository, index or identity than the one asked for.
_SCRUBBED_ENV = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
        "GIT_PREFIX",
        "GIT_QUARANTINE_PATH",
        "GIT_LITERAL_PATHSPECS",
        "GIT_GLOB_PATHSPECS",
        "GIT_NOGLOB_PATHSPECS",
        "GIT_ICASE_PATHSPECS",
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_AUTHOR_DATE",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_COMMITTER_DATE",
        "GIT_REFLOG_ACTION",
    }
)

_FORCED_CONFIG = (
    "core.hooksPath=/dev/null",
    "commit.gpgSign=false",
    "tag.gpgSign=false",
    "core.autocrlf=false",
    "core.safecrlf=false",
    "core.fsmonitor=false",
    "core.quotePath=false",
    "status.relativePaths=false",
    # No automatic gc: git would run it detached, after the command, while the next command
    # may be clearing the lock files of a git it takes for killed. The store packs itself.
    "gc.auto=0",
    "maintenance.auto=false",
    # A recorded version must survive a power loss: git's default leaves loose objects and
    # refs unflushed, and a ref naming an object lost with the page cache breaks the store.
    "core.fsync=added,reference",
    "core.fsyncMethod=batch",
)

_FIXED_ENV = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "LANGUAGE": "C"}

# How git says that it could not write (the disk is full, a quota, a read-only mount).
_NO_SPACE = (
    "No space left on device",
    "Out of diskspace",
    "Disk quota exceeded",
    "File too large",
    "Read-only file system",
)
_NO_SPACE_HINT = "free space on the store's file system, or make it writable"
_PUSH_TIMEOUT = 600.0
_LS_REMOTE_TIMEOUT = 30.0
# How long ssh waits for a server to connect and say its version (`ConnectTimeout`, which
# covers both): a host that takes the connection and never answers (a hung server, a tarpit)
# held an apply for the whole push timeout.
_SSH_CONNECT_TIMEOUT = 30
# A server that stops answering after the login (a host frozen or cut off mid-push) is given
# up after this many seconds times this many unanswered keep-alives: without them ssh waits
# on the silent connection until the push's own 10-minute timeout.
_SSH_ALIVE_INTERVAL = 15
_SSH_ALIVE_COUNT = 4
# The one ref of the bundles the object-storage mirror keeps (see tfshadow/mirror/).
BUNDLE_REF = "refs/tfshadow/mirror"
# Where `tfshadow store pull` fetches the remote's branch before taking it.
PULL_REF = "refs/tfshadow/pull"


def pull_ref(branch: str) -> str:
    """Where the remote's ``branch`` is fetched to before it is taken: one ref per branch, so
    that the branch stores of two configurations in one repository never fetch into the same
    ref at once."""
    return f"{PULL_REF}/{branch}"


# Where `tfshadow store pull --rebase` keeps the history it replaced (one ref per branch).
BEFORE_REBASE_REF = "refs/tfshadow/before-rebase"
_URL_CREDENTIALS = re.compile(r"([A-Za-z0-9+.-]*)://([^/@\s]+)@")
# Schemes whose user part is a login name, not a secret (`ssh://git@host/…`).
_SSH_SCHEMES = frozenset({"ssh", "git+ssh", "ssh+git"})


@dataclass(frozen=True)
class Identity:
    """Author and committer of a commit."""

    name: str
    email: str

    @classmethod
    def of(cls, name: object, email: object) -> Identity:
        # git refuses angle brackets and line breaks in identities and an empty name.
        clean_name = re.sub(r"[<>\n\r]", "", str(name or "")).strip() or "tfshadow"
        clean_email = re.sub(r"[<>\n\r\s]", "", str(email or ""))
        return cls(clean_name, clean_email)

    def env(self) -> dict[str, str]:
        return {
            "GIT_AUTHOR_NAME": self.name,
            "GIT_AUTHOR_EMAIL": self.email,
            "GIT_COMMITTER_NAME": self.name,
            "GIT_COMMITTER_EMAIL": self.email,
        }


STORE_IDENTITY = Identity("tfshadow", "tfshadow@localhost")


@dataclass(frozen=True)
class RepoInfo:
    """Where a repository keeps its files, as git reports it."""

    toplevel: Path
    git_dir: Path
    common_dir: Path
    object_format: str


@dataclass(frozen=True)
class TreeEntry:
    mode: str
    kind: str
    oid: str
    path: str


@dataclass(frozen=True)
class Status:
    """What ``git status`` sees: staged changes, untracked files, and the tracked files whose
    copy in the tree differs from the index (``edited``: paths, edited or deleted)."""

    staged: bool
    untracked: bool
    edited: tuple[str, ...] = ()


def scrub_url(text: str) -> str:
    """``text`` with a URL's ``user:password@`` masked: messages must never carry credentials.

    An https URL's user alone may be a token (`https://<token>@host/…`) and is masked too; an
    ssh URL's user is the login name, which says who a refused login was tried as, and stays.
    """

    def mask(match: re.Match[str]) -> str:
        scheme, userinfo = match.group(1), match.group(2)
        if scheme.lower() in _SSH_SCHEMES and ":" not in userinfo:
            return match.group(0)
        return f"{scheme}://***@"

    return _URL_CREDENTIALS.sub(mask, text)


def blob_id(data: bytes, object_format: str = "sha1") -> str:
    """The object id git gives a blob with this content."""
    digest = hashlib.new(object_format)
    digest.update(b"blob %d\0" % len(data))
    digest.update(data)
    return digest.hexdigest()


class Git:
    """git, run in one directory through GitPython's command wrapper."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        # Known once repo_info has found the repository: HEAD is then read from its files.
        self._info: RepoInfo | None = None

    def run(
        self,
        *args: str,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
        ok: Sequence[int] = (0,),
        timeout: float | None = None,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``git <args>``; a return code outside ``ok`` raises :class:`StoreError`."""
        name = next((a for a in args if not a.startswith("-")), "")
        if not self.cwd.is_dir():
            raise self._vanished()
        try:
            import git as gitpython
        except ModuleNotFoundError as exc:
            raise StoreError(
                f"the Python package {exc.name} is missing",
                hint="reinstall tfshadow with its dependencies (`pip install tfshadow`)",
            ) from exc
        except ImportError as exc:
            # GitPython's import runs `git version` and fails when there is no git to run.
            raise _not_installed() from exc
        # -C besides the working directory: GitPython falls back to the process's own directory
        # when it cannot enter the one given, and `reset` or `clean -fdx` must never run there.
        argv = [
            str(gitpython.Git.GIT_PYTHON_GIT_EXECUTABLE or "git"),
            "-C",
            os.path.abspath(self.cwd),
        ]
        for setting in _FORCED_CONFIG:
            argv += ["-c", setting]
        argv += args
        extra = {**_FIXED_ENV, **(env or {})}
        # GitPython starts from a copy of os.environ and can only add to it. No value of GIT_DIR,
        # GIT_QUARANTINE_PATH and most others means "unset", and this repository's own paths,
        # the positive override, are unknown until rev-parse has found it. So env(1) removes
        # what is present; the usual run, with nothing to remove, costs no extra process.
        unset = sorted(n for n in _SCRUBBED_ENV if n in os.environ and n not in extra)
        if unset:
            argv = ["env", *(arg for n in unset for arg in ("-u", n)), *argv]
        started = time.monotonic()
        threads = set(threading.enumerate()) if timeout is not None else None
        try:
            with _stdin_file(stdin) as istream:
                status, stdout, text_err = gitpython.Git(self.cwd).execute(
                    argv,
                    istream=istream,
                    with_extended_output=True,
                    with_exceptions=False,
                    stdout_as_string=False,
                    strip_newline_in_stdout=False,
                    universal_newlines=False,
                    shell=False,
                    env=extra,
                    kill_after_timeout=timeout,
                )
        except gitpython.exc.GitCommandNotFound as exc:
            raise _not_installed() from exc
        except gitpython.exc.GitCommandError as exc:
            raise StoreError(
                f"git {name} failed in {self.cwd}: {scrub_url(str(exc.stderr).strip())}",
                hint="check that the shadow store is a healthy git repository (`git fsck`)",
            ) from exc
        except OSError as exc:
            # The input could not be written for git (a full disk).
            raise StoreError(
                f"git {name} cannot be given its input: {exc.strerror or exc}",
                hint=_NO_SPACE_HINT,
            ) from exc
        except BaseException:
            if threads is not None:
                _end_watchdogs(threads)
            raise
        # GitPython decodes stderr with the file-system encoding; callers read git's bytes.
        stderr = os.fsencode(text_err)
        if timeout is not None and status < 0 and time.monotonic() - started >= timeout:
            raise StoreError(
                f"git {name} did not finish within {timeout:g} s",
                hint="check the network connection and the remote, then retry",
            )
        if unset and status == 127 and stderr.startswith(b"env:"):
            raise _not_installed()
        if status not in ok:
            if not self.cwd.is_dir():
                raise self._vanished()
            line = _error_line(stderr)
            raise StoreError(
                f"git {name} failed in {self.cwd}: {line}",
                hint=_NO_SPACE_HINT
                if any(sign in line for sign in _NO_SPACE)
                else "check that the shadow store is a healthy git repository (`git fsck`)",
            )
        return subprocess.CompletedProcess(argv, status, stdout, stderr)

    def _vanished(self) -> StoreError:
        return StoreError(
            f"the shadow store directory {self.cwd} has disappeared",
            hint="run the command again; a new store is created on the next apply",
        )

    def text(
        self, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None
    ) -> str:
        proc = self.run(*args, stdin=stdin, env=env)
        return proc.stdout.decode("utf-8", "surrogateescape").strip()

    def _remote_env(self, configured_in: Path | None = None) -> dict[str, str]:
        """The environment of a command that talks to a remote. ssh asks on the terminal about
        an unknown host key or a passphrase, which GIT_TERMINAL_PROMPT does not cover: an apply
        would hang on it. BatchMode turns that into a failed push, reported like any other,
        ConnectTimeout a server that never answers, and the keep-alives one that stops
        answering after the login, unless the user chose their own ssh command.

        ``configured_in``: the directory of the configuration a store belongs to. Its git
        settings choose the ssh command where this repository's do not: a directory store is a
        repository of its own, but `core.sshCommand` set on the configuration's repository (a
        deploy key for its `origin`) is how the user reaches the remote.
        """
        if "GIT_SSH_COMMAND" in os.environ or "GIT_SSH" in os.environ:
            return {}
        chosen = self.run("config", "--get", "core.sshCommand", ok=range(256))
        if chosen.returncode == 0:
            return self._branch_store_ssh(chosen.stdout, configured_in)
        if configured_in is not None and configured_in.is_dir():
            configuration = Git(configured_in)
            there = configuration.run("config", "--get", "core.sshCommand", ok=range(256))
            command = there.stdout.decode("utf-8", "surrogateescape").strip()
            info = configuration.repo_info() if there.returncode == 0 and command else None
            if info is not None:
                # git runs it from that repository's top directory, where a relative key
                # path (`-i deploy_key`) is meant; the store's git runs it from the store.
                return {"GIT_SSH_COMMAND": f"cd {shlex.quote(str(info.toplevel))} && {command}"}
        return {
            "GIT_SSH_COMMAND": f"ssh -o BatchMode=yes -o ConnectTimeout={_SSH_CONNECT_TIMEOUT}"
            f" -o ServerAliveInterval={_SSH_ALIVE_INTERVAL}"
            f" -o ServerAliveCountMax={_SSH_ALIVE_COUNT}"
        }

    def _branch_store_ssh(self, chosen: bytes, configured_in: Path | None) -> dict[str, str]:
        """The ssh command ``chosen`` by this repository's settings, as it runs: as it is, but
        from the configuration's top directory when this is a worktree of the configuration's
        repository elsewhere (a branch store's, under .git), as `git push` there runs it: a
        relative key path (``-i deploy_key``) is meant from there."""
        command = chosen.decode("utf-8", "surrogateescape").strip()
        if not command or configured_in is None or not configured_in.is_dir():
            return {}
        try:
            there = Git(configured_in).repo_info()
        except StoreError:
            return {}  # a repository git refuses to use (its owner): not the store's own
        here = self.repo_info() if there is not None else None
        if (
            there is None
            or here is None
            or here.common_dir != there.common_dir
            or os.path.realpath(here.toplevel) == os.path.realpath(there.toplevel)
        ):
            return {}
        return {"GIT_SSH_COMMAND": f"cd {shlex.quote(str(there.toplevel))} && {command}"}

    # -- inspection ---------------------------------------------------------------------------

    def repo_info(self) -> RepoInfo | None:
        """The repository containing ``cwd``, or None when there is none."""
        proc = self.run(
            "rev-parse",
            "--show-toplevel",
            "--absolute-git-dir",
            "--git-common-dir",
            "--show-object-format",
            ok=(0, 128),
        )
        lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
        if proc.returncode != 0 and b"not a git repository" not in proc.stderr:
            # e.g. "detected dubious ownership": say so rather than "no repository".
            raise StoreError(
                f"git cannot use the repository at {self.cwd}: {_error_line(proc.stderr)}",
                hint="fix what git reports, then run the command again",
            )
        if proc.returncode != 0 or len(lines) != 4:
            return None
        toplevel, git_dir, common_dir, object_format = lines
        self._info = RepoInfo(
            toplevel=Path(toplevel),
            git_dir=Path(git_dir),
            common_dir=(self.cwd / common_dir).resolve(),
            object_format=object_format,
        )
        return self._info

    def resolve(self, rev: str) -> str | None:
        """The commit ``rev`` names, or None."""
        proc = self.run("rev-parse", "-q", "--verify", f"{rev}^{{commit}}", ok=(0, 1, 128))
        out = proc.stdout.decode().strip()
        return out if proc.returncode == 0 and out else None

    def head(self) -> str | None:
        """The commit HEAD names, or None on an unborn branch."""
        if self._info is not None:
            with contextlib.suppress(_UnreadableRefs, FileNotFoundError):
                return _head_from_files(self._info)
        return self.resolve("HEAD")

    def current_branch(self) -> str | None:
        if self._info is not None:
            with contextlib.suppress(_UnreadableRefs, FileNotFoundError):
                head = _read_head(self._info)
                return head.removeprefix("refs/heads/") if head.startswith("refs/") else None
        proc = self.run("symbolic-ref", "-q", "HEAD", ok=(0, 1, 128))
        ref = proc.stdout.decode().strip()
        return ref.removeprefix("refs/heads/") if proc.returncode == 0 else None

    def valid_branch_name(self, name: str) -> bool:
        proc = self.run("check-ref-format", f"refs/heads/{name}", ok=(0, 1, 128))
        return proc.returncode == 0 and not name.startswith("-")

    def ls_tree(self, treeish: str, path: str | None = None, *, recursive: bool) -> list[TreeEntry]:
        args = ["ls-tree", "-z", "--full-tree"]
        if recursive:
            args.append("-r")
        args.append(treeish)
        if path is not None:
            args += ["--", path]
        entries = []
        for record in self.run(*args).stdout.split(b"\0"):
            if not record:
                continue
            info, _, name = record.partition(b"\t")
            mode, kind, oid = info.decode().split(" ")
            entries.append(TreeEntry(mode, kind, oid, name.decode("utf-8", "surrogateescape")))
        return entries

    def status(self) -> Status:
        # --no-optional-locks: a reader must not rewrite the index a writer is replacing.
        out = self.run(
            "--no-optional-locks",
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--ignored=matching",
            "--no-renames",
        ).stdout
        staged = untracked = False
        edited: list[str] = []
        for record in out.split(b"\0"):
            if len(record) < 3:
                continue
            code = record[:2]
            if code in (b"??", b"!!"):
                untracked = True
                continue
            if code[:1] not in (b" ", b"?", b"!"):
                staged = True
            if code[1:] in (b"M", b"D", b"T"):
                edited.append(os.fsdecode(record[3:]))
        return Status(staged=staged, untracked=untracked, edited=tuple(edited))

    # -- writing ----------------------------------------------------------------------------

    def commit_index(self, message: str, identity: Identity) -> None:
        """Commit the index with ``identity`` as author and committer."""
        self.run(
            "commit",
            "-q",
            "--no-verify",
            "--cleanup=whitespace",
            "-F",
            "-",
            stdin=message.encode(),
            env=identity.env(),
        )

    def commit_tree(
        self, tree: str, parents: Iterable[str], message: str, identity: Identity
    ) -> str:
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        return self.text(*args, "-F", "-", stdin=message.encode(), env=identity.env())

    def mktree(self, entries: Iterable[TreeEntry]) -> str:
        listing = b"".join(f"{e.mode} {e.kind} {e.oid}\t{e.path}".encode() + b"\0" for e in entries)
        return self.text("mktree", "-z", stdin=listing)

    def hash_blob(self, data: bytes) -> str:
        return self.text("hash-object", "-w", "--no-filters", "--stdin", stdin=data)

    def update_ref(self, ref: str, new: str, old: str | None, reason: str) -> bool:
        """Move ``ref`` to ``new`` if it still is at ``old`` (None: if it does not exist yet)."""
        proc = self.run(
            "update-ref", "-m", reason, ref, new, old if old is not None else "", ok=(0, 1, 128)
        )
        return proc.returncode == 0

    # -- history transfer (the object-storage mirror) -------------------------------------------

    def blobs(self, oids: Sequence[str]) -> dict[str, bytes]:
        """The content of each blob in ``oids``, read by one ``cat-file --batch``."""
        wanted = list(dict.fromkeys(oids))
        if not wanted:
            return {}
        out = self.run("cat-file", "--batch", stdin="".join(f"{o}\n" for o in wanted).encode())
        data = out.stdout
        found: dict[str, bytes] = {}
        pos = 0
        for oid in wanted:
            end = data.index(b"\n", pos)
            header = data[pos:end].decode().split(" ")
            if len(header) != 3 or header[1] != "blob":
                raise StoreError(
                    f"git has no blob {oid} in {self.cwd}",
                    hint="check that the shadow store is a healthy git repository (`git fsck`)",
                )
            size = int(header[2])
            found[oid] = data[end + 1 : end + 1 + size]
            pos = end + 1 + size + 1
        return found

    def commit_count(self, commit: str) -> int:
        """How many commits ``commit``'s history holds, itself included."""
        return int(self.text("rev-list", "--count", commit))

    def is_ancestor(self, ancestor: str, commit: str) -> bool:
        """Whether ``ancestor`` is ``commit`` or in its history (False when it is unknown)."""
        proc = self.run("merge-base", "--is-ancestor", ancestor, commit, ok=(0, 1, 128))
        return proc.returncode == 0

    def merge_base(self, a: str, b: str) -> str | None:
        """The newest commit both ``a`` and ``b`` hold in their history (None: none)."""
        proc = self.run("merge-base", a, b, ok=(0, 1))
        out = proc.stdout.decode().strip()
        return out if proc.returncode == 0 and out else None

    def bundle_create(self, path: Path, tip: str, base: str | None) -> None:
        """Write to ``path`` a bundle of the commits from ``base`` (excluded) to ``tip``.

        The bundle's one ref is :data:`BUNDLE_REF`; a bundle with a base needs that commit in
        the repository it is fetched into.
        """
        self.run("update-ref", "--no-deref", BUNDLE_REF, tip)
        try:
            self.run(
                "bundle", "create", "-q", str(path), BUNDLE_REF, *([f"^{base}"] if base else [])
            )
        finally:
            self.run("update-ref", "-d", BUNDLE_REF, ok=(0, 1))

    def bundle_fetch(self, path: Path) -> str:
        """Fetch the bundle at ``path`` (made by :meth:`bundle_create`); returns its tip.

        The tip is left at :data:`BUNDLE_REF`: fetching the next bundle of a chain moves it on.
        """
        self.run("bundle", "verify", "-q", str(path))
        self.run(
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            str(path),
            f"+{BUNDLE_REF}:{BUNDLE_REF}",
        )
        tip = self.resolve(BUNDLE_REF)
        if tip is None:
            raise StoreError(
                f"the bundle {path} holds no history", hint="check the mirror with its owner"
            )
        return tip

    def delete_ref(self, ref: str) -> None:
        self.run("update-ref", "-d", ref, ok=(0, 1))

    def fetch_branch(
        self, url: str, branch: str, ref: str, *, configured_in: Path | None = None
    ) -> str | None:
        """Fetch ``branch`` of ``url`` to the local ``ref``; its tip, or None when ``url`` has no
        such branch. StoreError when the remote cannot be reached. ``configured_in``: see
        :meth:`_remote_env`."""
        if not self.ask_remote_for_branch(url, branch, configured_in=configured_in):
            return None
        self.run(
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            url,
            f"+refs/heads/{branch}:{ref}",
            env=self._remote_env(configured_in),
            timeout=_PUSH_TIMEOUT,
        )
        return self.resolve(ref)

    def check_out_branch(self, branch: str, commit: str) -> None:
        """Point ``branch`` at ``commit`` and check it out (in a repository with no commit)."""
        self.run("update-ref", f"refs/heads/{branch}", commit)
        self.run("symbolic-ref", "HEAD", f"refs/heads/{branch}")
        self.run("reset", "-q", "--hard", commit)

    def remote_has_branch(self, url: str, branch: str) -> bool | None:
        """Whether ``url`` has ``branch``; None when the remote cannot be asked."""
        try:
            return self.ask_remote_for_branch(url, branch)
        except StoreError:
            return None

    def ask_remote_for_branch(
        self, url: str, branch: str, *, configured_in: Path | None = None
    ) -> bool:
        """Whether ``url`` has ``branch``; StoreError saying why when the remote cannot be
        asked (an unknown host key, a refused key, no such repository)."""
        shown = scrub_url(url)
        try:
            proc = self.run(
                "ls-remote",
                "--heads",
                "--exit-code",
                url,
                f"refs/heads/{branch}",
                env=self._remote_env(configured_in),
                ok=range(256),
                timeout=_LS_REMOTE_TIMEOUT,
            )
        except StoreError as exc:
            raise StoreError(
                f"cannot reach the shadow store's remote {shown}: {exc.message}", hint=exc.hint
            ) from exc
        if proc.returncode == 0:
            return True
        if proc.returncode == 2:  # reached, no such branch
            return False
        detail = scrub_url(_transport_failure(_lines(proc.stderr)) or _error_line(proc.stderr))
        raise StoreError(
            f"cannot reach the shadow store's remote {shown}: {detail}",
            hint="check the host's key in your known_hosts file "
            "(connect once with ssh to see it), then run the command again"
            if "Host key verification failed" in detail
            else "check its address and your access to it",
        )

    def push(
        self, url: str, commit: str, branch: str, *, configured_in: Path | None = None
    ) -> None:
        """Make ``branch`` of ``url`` point at ``commit`` (a fast-forward only).
        ``configured_in``: see :meth:`_remote_env`."""
        proc = self.run(
            "push",
            "--quiet",
            "--porcelain",
            url,
            f"{commit}:refs/heads/{branch}",
            env=self._remote_env(configured_in),
            ok=range(256),
            timeout=_PUSH_TIMEOUT,
        )
        if proc.returncode != 0 and _rejected(proc.stdout):
            raise StoreDivergedError(
                f"could not push the shadow store to {scrub_url(url)}: its `{branch}` branch "
                "has versions this store does not have (another copy of the store pushed them)",
                hint="the two histories have diverged and no push alone can join them; the "
                "versions stay in this store: `tfshadow store pull --rebase` records them "
                "again after the remote's",
            )
        if proc.returncode != 0:
            detail = scrub_url(_push_failure(proc.stdout, proc.stderr))
            raise StoreError(
                f"could not push the shadow store to {scrub_url(url)}: {detail}",
                hint="the version is kept locally and the next successful push sends it; "
                "check the remote's address, access and that nothing else pushes to its "
                f"`{branch}` branch",
            )


class _UnreadableRefs(Exception):
    """The ref files are not in a form _head_from_files reads: git decides then."""


def _head_from_files(info: RepoInfo) -> str | None:
    """HEAD's commit read the way git stores it, without starting git.

    A command asks for HEAD about ten times (every read checks that no writer moved it), and a
    `git rev-parse` costs ~5 ms; the files give the same answer in microseconds. Only the plain
    forms are read here, a branch ref loose or packed; a reftable repository, a symbolic ref or
    anything unexpected is left to git. git replaces a ref by renaming a whole new file over it
    and writes packed-refs before removing the loose refs it packed, so a reader racing a writer
    sees the old commit or the new one, as it would through git.
    """
    ref = _read_head(info)
    if not ref.startswith("refs/"):
        return ref  # detached: HEAD holds the commit
    try:
        loose = _read_text(info.common_dir / ref)
    except FileNotFoundError:
        return _packed_ref(info, ref)
    if not _is_oid(loose, info):
        raise _UnreadableRefs
    return loose


def _read_head(info: RepoInfo) -> str:
    """The branch ref HEAD names (`refs/heads/…`), or the commit it holds when detached."""
    if (info.common_dir / "reftable").exists():
        raise _UnreadableRefs
    head = _read_text(info.git_dir / "HEAD")
    if _is_oid(head, info):
        return head
    ref = head.removeprefix("ref: ")
    if ref == head or not ref.startswith("refs/heads/"):
        raise _UnreadableRefs
    return ref


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("ascii").strip()
    except FileNotFoundError:
        raise  # a loose ref that is not there may be packed: the caller looks
    except (OSError, UnicodeDecodeError) as exc:
        raise _UnreadableRefs from exc


def _packed_ref(info: RepoInfo, ref: str) -> str | None:
    try:
        lines = (info.common_dir / "packed-refs").read_bytes().decode("utf-8").splitlines()
    except FileNotFoundError:
        return None  # no ref of that name: an unborn branch
    except (OSError, UnicodeDecodeError) as exc:
        raise _UnreadableRefs from exc
    for line in lines:
        oid, _, name = line.partition(" ")
        if name == ref:
            if not _is_oid(oid, info):
                raise _UnreadableRefs
            return oid
    return None


def _is_oid(text: str, info: RepoInfo) -> bool:
    length = 64 if info.object_format == "sha256" else 40
    return len(text) == length and all(c in "0123456789abcdef" for c in text)


def _end_watchdogs(known: set[threading.Thread]) -> None:
    """Stop git now when a command with a timeout is interrupted (Ctrl-C, SIGTERM).

    GitPython's timeout is a timer thread that it cancels only when the command returns: left
    running, it kept the interrupted tfshadow alive until the timeout (10 minutes for a push),
    then killed whatever process had the command's pid by then.
    """
    for thread in set(threading.enumerate()) - known:
        if isinstance(thread, threading.Timer) and thread.is_alive():
            thread.cancel()
            with contextlib.suppress(Exception):
                thread.function(*thread.args, **thread.kwargs)  # kills git and its children


def init_repository(path: Path, branch: str) -> None:
    """``git init`` a new store repository at ``path``."""
    Git(path).run("init", "-q", f"--initial-branch={branch}", str(path))


def git_identity(workdir: Path) -> tuple[str, str] | None:
    """The name and email git would give the author of a commit made in ``workdir``.

    ``GIT_AUTHOR_NAME``/``GIT_AUTHOR_EMAIL`` first, then git's configuration as git reads it
    there: the repository's own when ``workdir`` is in one, over the global file
    (``GIT_CONFIG_GLOBAL``), over the system file (unless ``GIT_CONFIG_NOSYSTEM``); ``author.*``
    over ``user.*``. None when the name or the email is unset or empty, or ``workdir`` is not a
    directory.
    """
    if not workdir.is_dir():
        return None
    proc = Git(workdir).run(
        "config", "-z", "--get-regexp", r"^(user|author)\.(name|email)$", ok=range(256)
    )
    # 1 is git config's "no such key"; anything else is a configuration git cannot read.
    if proc.returncode not in (0, 1):
        raise StoreError(
            f"git cannot read its configuration in {workdir}: {_error_line(proc.stderr)}",
            hint="fix the file git names, then run the command again",
        )
    found: dict[str, str] = {}
    for record in proc.stdout.split(b"\0"):
        key, _, value = record.decode("utf-8", "replace").partition("\n")
        # Files come lowest precedence first, so the last value of a key is the one git uses.
        if key:
            found[key] = value.strip()
    # The variables come first for git, as for a commit (the store's own git runs without them).
    name = os.environ.get("GIT_AUTHOR_NAME") or found.get("author.name") or found.get("user.name")
    email = (
        os.environ.get("GIT_AUTHOR_EMAIL") or found.get("author.email") or found.get("user.email")
    )
    return (name, email) if name and email else None


@contextlib.contextmanager
def _stdin_file(data: bytes | None) -> Iterator[BinaryIO | None]:
    # GitPython hands istream to Popen as the child's stdin and never writes to it itself, so
    # the bytes must sit in something with a file descriptor. On Linux this file has no name.
    if data is None:
        yield None
        return
    with tempfile.TemporaryFile() as handle:
        handle.write(data)
        handle.seek(0)
        yield handle


def _not_installed() -> StoreError:
    return StoreError("git is not installed", hint="install git 2.30 or newer and put it on PATH")


def _error_line(stderr: bytes) -> str:
    """The line of git's error output that says what went wrong."""
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return scrub_url(line)
    return scrub_url(lines[-1]) if lines else "no error output"


def _rejected(stdout: bytes) -> bool:
    # --porcelain reports a ref refused as not a fast-forward on stdout as
    # "!\t<src>:<dst>\t[rejected] (reason)". "[remote rejected]" is the remote failing to take
    # it (a ref lock that a push killed mid-way left there, a hook): a later push can succeed.
    return any(
        line.startswith("!") and "\t[rejected]" in line
        for line in stdout.decode("utf-8", "replace").splitlines()
    )


def _push_failure(stdout: bytes, stderr: bytes) -> str:
    # Transport errors come first ("ssh: connect to host …"), git's summary after them.
    lines = _lines(stderr)
    return _transport_failure(lines) or (lines[0] if lines else "no error output")


def _lines(stderr: bytes) -> list[str]:
    return [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]


# What git says after the command it talks to the remote through (ssh) has failed.
_TRANSPORT_FAILED = "fatal: Could not read from remote repository."


def _transport_failure(lines: list[str]) -> str | None:
    """What the command git reaches the remote through said when it failed, in one line; None
    when git did not fail there.

    ssh's last line is its verdict ("Host key verification failed.", "…: Permission denied
    (publickey)."). Before it come notices that are not the failure ("Warning: Permanently
    added…") and, for a host key that has changed, a banner of @ signs and a screen of advice,
    whose last line says which host's key changed: it goes with the verdict.
    """
    if _TRANSPORT_FAILED not in lines:
        return None
    said = [
        ln
        for ln in lines[: lines.index(_TRANSPORT_FAILED)]
        if not ln.startswith("@") and not ln.lower().startswith(("warning:", "** warning"))
    ]
    if not said:
        return _TRANSPORT_FAILED.removeprefix("fatal: ")
    # Without git's "fatal: " nor a full stop: the line goes on in tfshadow's message.
    verdict = said[-1].removeprefix("fatal: ").rstrip(".")
    if len(said) > 1 and said[-2].startswith("Host key for "):
        return f"{said[-2].rstrip('.')}: {verdict}"
    return verdict
