"""What the rest of tfshadow knows of a shadow store: its settings, its results, its protocol."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class StoreConfig:
    """Where the shadow store lives and how it keeps history.

    ``path`` relative to ``workdir`` is taken from ``workdir``; so is a local-path ``remote``.
    """

    workdir: Path
    path: Path | None = None
    branch: str | None = None
    remote: str | None = None
    retain: int | None = None
    keyframe_interval: int = 25
    # Fetch the remote's newer versions before recording (see GitShadowStore.pull_before_recording).
    pull_before_record: bool = True


@dataclass(frozen=True)
class Reconstructed:
    """One version rebuilt: its metadata and its full canonical state and config documents."""

    meta: dict[str, Any]
    state: dict[str, Any]
    config: dict[str, Any]
    # The addresses whose instance differs from the version before (version - 1), as the
    # store's delta between the two names them; None when not known (a keyframe, a first
    # version). Every other instance of the two is the same JSON.
    changed: frozenset[str] | None = None
    # The documents' canonical bytes (``delta.dumps``), when the store has them: a scan of a
    # serialised document reads them instead of serialising the document again.
    state_bytes: bytes | None = None
    config_bytes: bytes | None = None


class ShadowStore(Protocol):
    """A versioned, append-only history of canonical state and config documents per workspace."""

    @property
    def root(self) -> Path:
        """The directory holding the store's files."""
        ...

    def lock(
        self, timeout: float, *, command: str | None = None
    ) -> contextlib.AbstractContextManager[None]:
        """Exclusive, inter-process; waits up to ``timeout`` s, then StoreLockedError."""
        ...

    def workspaces(self) -> list[str]:
        """Workspaces with at least one version, sorted."""
        ...

    def versions(self, workspace: str) -> list[dict[str, Any]]:
        """Meta of every version still in the store, oldest first."""
        ...

    def latest(self, workspace: str) -> dict[str, Any] | None:
        """Meta of the newest version, None if the workspace has none."""
        ...

    def meta(self, workspace: str, version: int) -> dict[str, Any]:
        """Meta of one version; UnknownVersionError if it is not (or no longer) stored."""
        ...

    def reconstruct(self, workspace: str, version: int) -> Reconstructed:
        """Rebuild one version, verifying every file and hash on the way (TamperedError)."""
        ...

    def record(
        self,
        workspace: str,
        meta: dict[str, Any],
        state: dict[str, Any],
        config: dict[str, Any],
    ) -> dict[str, Any]:
        """Store the next version of ``workspace``; returns the completed meta."""
        ...

    def push(self) -> None:
        """Send the history to the configured remote, if any."""
        ...

    def has_unpushed(self) -> bool:
        """Whether the remote lacks commits the store has."""
        ...

    def fingerprint_key(self) -> bytes:
        """The store's secret 32-byte key for fingerprints of sensitive values."""
        ...
