"""A Terraform working directory as tfshadow sees it: settings, engine, store, secrets.

Everything is built lazily so that ``--help`` and pass-through commands import nothing heavy.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from tfshadow import env
from tfshadow.errors import (
    EngineError,
    NotTerraformDirError,
    SettingsError,
    StoreError,
    UsageError,
)

if TYPE_CHECKING:
    from tfshadow.runner import Engine
    from tfshadow.settings.schema import Settings
    from tfshadow.state.redact import Redactor
    from tfshadow.store import GitShadowStore, StoreConfig

DEFAULT_LOCK_TIMEOUT = 60.0


class Project:
    def __init__(
        self,
        workdir: Path,
        environ: Mapping[str, str],
        *,
        terraform_bin: str | None = None,
        lock_timeout: float | None = None,
    ) -> None:
        if workdir.exists() and not workdir.is_dir():
            raise UsageError(
                f"`{workdir}` is not a directory",
                hint="check --chdir / -chdir: it takes the configuration's directory",
            )
        if not workdir.is_dir():
            raise UsageError(f"directory `{workdir}` does not exist", hint="check --chdir / -chdir")
        self.workdir = workdir.resolve()
        self.environ = dict(environ)
        self._terraform_bin = terraform_bin
        self._lock_timeout = lock_timeout
        self._store: GitShadowStore | None = None

    @cached_property
    def settings(self) -> Settings:
        from tfshadow.settings.load import load_settings

        return load_settings(self.workdir, self.environ)

    @cached_property
    def engine(self) -> Engine:
        from tfshadow.runner import embedded_engine, executable_engine

        configured = self.settings.terraform.binary  # always read: validates tfshadow.hcl
        given = self._terraform_bin or self.environ.get(env.TFSHADOW_TERRAFORM_BIN)
        if given:
            # Typed on the command line (or set in the shell): relative to where the user is,
            # as the shell would take it, not to the --chdir / -chdir directory. `~` too: the
            # shell leaves it alone in `--terraform-bin=~/…` and in a quoted variable.
            return executable_engine(os.path.expanduser(given), cwd=Path.cwd())
        if configured:
            try:
                # `~` as in the store's path: a settings file has no shell to expand it.
                return executable_engine(os.path.expanduser(configured), cwd=self.workdir)
            except EngineError as exc:
                raise SettingsError(
                    f"{self.settings.terraform.where}: setting `binary` in block `terraform`: "
                    f"{exc.message}",
                    hint="fix the path (relative paths start at the configuration's directory; "
                    "a bare name is looked up in PATH), "
                    "or remove it to use the embedded Terraform",
                ) from exc
        return embedded_engine()

    @property
    def workspace(self) -> str:
        from tfshadow.runner import current_workspace

        return current_workspace(self.workdir, self.environ)

    def in_workspace(self, name: str) -> Project:
        """This directory as Terraform sees it with workspace ``name`` selected (through
        ``TF_WORKSPACE``, as Terraform reads a workspace that is not the selected one)."""
        return Project(
            self.workdir,
            {**self.environ, env.TF_WORKSPACE: name},
            terraform_bin=self._terraform_bin,
            lock_timeout=self._lock_timeout,
        )

    @property
    def lock_timeout(self) -> float:
        """How long to wait for another tfshadow command on the store: ``--lock-timeout``,
        else ``TFSHADOW_LOCK_TIMEOUT``, else 60 s."""
        return self.lock_timeout_given(None)

    @property
    def lock_timeout_option(self) -> float | None:
        """``--lock-timeout``, when it was given."""
        return self._lock_timeout

    def lock_timeout_given(self, terraform_lock_timeout: float | None) -> float:
        """:attr:`lock_timeout` for a command whose Terraform was given ``-lock-timeout``
        (in seconds; None when it was not): that wait, unless ``--lock-timeout`` says
        otherwise. It is how long the user would have the command wait for a lock, and a
        store lock waited out beyond it would make the command wait longer than asked."""
        if self._lock_timeout is not None:
            return self._lock_timeout
        if terraform_lock_timeout is not None:
            return max(terraform_lock_timeout, 0.0)
        raw = self.environ.get(env.TFSHADOW_LOCK_TIMEOUT)
        if raw is None:
            return DEFAULT_LOCK_TIMEOUT
        try:
            return seconds(raw)
        except ValueError:
            raise UsageError(
                f"{env.TFSHADOW_LOCK_TIMEOUT}={raw!r} is not a number of seconds",
                hint="set it to e.g. 60",
            ) from None

    def require_ready(self) -> Engine:
        """Settings valid, engine found, configuration present: checked before anything runs."""
        engine = self.engine
        self.require_configuration()
        return engine

    def require_configuration(self) -> None:
        if not any(self.workdir.glob("*.tf")) and not any(self.workdir.glob("*.tf.json")):
            raise NotTerraformDirError(
                f"`{self.workdir}` holds no Terraform configuration (*.tf or *.tf.json)",
                hint="run tfshadow in your configuration's directory, or pass --chdir DIR",
            )

    def store_exists(self) -> bool:
        """Whether the shadow store has been created (an orphan branch counts as existing)."""
        path = self.settings.store.path
        return path is None or (path / ".git").exists()

    def store_config(self) -> StoreConfig:
        """Where and how the settings say the store is kept."""
        from tfshadow.store import StoreConfig

        s = self.settings.store
        return StoreConfig(
            workdir=self.workdir,
            path=s.path,
            branch=s.branch,
            remote=s.remote,
            retain=s.retain,
            keyframe_interval=s.keyframe_interval,
            pull_before_record=s.pull_before_record,
        )

    def open_store(self, *, create: bool) -> GitShadowStore:
        """The shadow store, opened once per project (a command's steps share it)."""
        from tfshadow.store import GitShadowStore

        if self._store is None:
            self._store = GitShadowStore.open(self.store_config(), create=create)
        return self._store

    def redactor(self, store: GitShadowStore) -> Redactor:
        from tfshadow.state.redact import Redactor, fingerprint_key_from

        key = self.environ.get(env.TFSHADOW_KEY) or None
        if not key:
            return Redactor(store.fingerprint_key())
        try:
            store_key: bytes | None = store.fingerprint_key()
        except (OSError, StoreError):
            store_key = None  # a store read where it cannot be written: plain encryptions
        return Redactor(fingerprint_key_from(key), key, store_key)

    def store_fingerprinter(self, store: GitShadowStore) -> Redactor | None:
        """With TFSHADOW_KEY set, a redactor that seals as the store did before it was: with
        the store's own fingerprint key, to recognise the secrets of versions recorded then;
        None without the key (:meth:`redactor` seals so already)."""
        from tfshadow.state.redact import Redactor

        if not self.environ.get(env.TFSHADOW_KEY):
            return None
        try:
            return Redactor(store.fingerprint_key())
        except (OSError, StoreError):
            return None

    def seal_matcher(self, store: GitShadowStore) -> Redactor | None:
        """A redactor that knows the store's own fingerprint key and opens with TFSHADOW_KEY
        when it is set, to tell which differing seals of two versions stand for the same value
        (see :func:`~tfshadow.state.redact.matching_seals`); None when the store's fingerprint
        key cannot be had (a store read where it cannot be written)."""
        from tfshadow.state.redact import Redactor

        key = self.environ.get(env.TFSHADOW_KEY) or None
        try:
            fingerprint = store.fingerprint_key()
        except (OSError, StoreError):
            return None  # its fingerprints stay apart
        return Redactor(fingerprint, key, fingerprint)


def seconds(text: str) -> float:
    """A number of seconds from text; ValueError for anything else (``nan`` would never expire)."""
    value = float(text)
    if math.isnan(value):
        raise ValueError(text)
    return value
