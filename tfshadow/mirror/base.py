"""What the mirror's logic needs of an object store, and where each thing lives in it.

Keys, under the mirror's prefix::

    objects/<sha256>                          a version file or a history bundle, by its content
    versions/<workspace>/<NNNNNN>/<sha256>.json   a version's manifest: its files and their hashes
    history/<count>-<commit>.json             one step of the store's git history: a bundle of
                                              the commits after ``base`` up to ``commit``, the
                                              ``count``-th commit of the history (zero-padded, so
                                              keys list in history order)

Content-addressed keys are never written with other content, and a history step's key names its
commit: nothing the mirror holds is ever replaced, which is what S3 Object Lock then enforces.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

MIRROR_FORMAT = 1
OBJECTS = "objects"
VERSIONS = "versions"
HISTORY = "history"

ObjectState = Literal["ok", "missing", "altered"]


class Mirror(Protocol):
    """An object store holding a copy of a shadow store's history."""

    @property
    def url(self) -> str:
        """``s3://bucket/prefix``: where the mirror is, as a user writes it."""
        ...

    @property
    def target(self) -> str:
        """What tells this mirror from another (endpoint, bucket and prefix)."""
        ...

    def check_ready(self) -> None:
        """Raise MirrorError when the bucket cannot take uploads as configured."""
        ...

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` at ``key``, the server checking its checksum; MirrorError on failure."""
        ...

    def state(self, key: str, sha256: str, size: int | None = None) -> ObjectState:
        """Whether ``key`` holds content hashing to ``sha256`` (and ``size`` bytes long, when
        given)."""
        ...

    def get(self, key: str, sha256: str | None = None) -> bytes:
        """The content at ``key``; with ``sha256``, content hashing to it (MirrorError if none
        does, or when the key is missing)."""
        ...

    def get_first(self, key: str) -> bytes:
        """The first content written at ``key`` that is still kept (in a versioned bucket, the
        original under its lock), for keys that no checksum names; MirrorError when missing."""
        ...

    def list_keys(self, under: str) -> dict[str, int]:
        """Every key starting with ``under``: its size."""
        ...


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def object_key(sha256: str) -> str:
    return f"{OBJECTS}/{sha256}"


def dumps(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


@dataclass(frozen=True)
class StoredFile:
    """A version file as the mirror keeps it."""

    sha256: str
    size: int


def manifest(workspace: str, version: int, files: dict[str, StoredFile]) -> tuple[str, bytes]:
    """The key and bytes of a version's manifest (the same files always give the same ones)."""
    data = dumps(
        {
            "format": MIRROR_FORMAT,
            "workspace": workspace,
            "version": version,
            "files": {
                name: {"sha256": f.sha256, "size": f.size} for name, f in sorted(files.items())
            },
        }
    )
    return f"{VERSIONS}/{workspace}/{version:06d}/{sha256_hex(data)}.json", data


@dataclass(frozen=True)
class HistoryStep:
    """One step of the mirrored history: the bundle taking ``base`` (None: nothing) to ``tip``.

    ``base_count`` is the count of the step to ``base`` (a count is more than the commits
    after a rewritten history, so the commits alone cannot give it), ``copy`` names the copy
    of the store that uploaded the step (a random name each copy makes for itself) and
    ``versions`` the versions whose files the step brought; ``replaces`` is the commit of the
    step the copy uploaded before, when it left that history for this one (None: it did not).
    Steps uploaded before these were written lack them (None)."""

    tip: str
    base: str | None
    count: int
    branch: str
    bundle_sha256: str
    bundle_size: int
    base_count: int | None = None
    copy: str | None = None
    versions: tuple[tuple[str, int], ...] | None = None
    replaces: str | None = None

    @property
    def key(self) -> str:
        return history_key(self.count, self.tip)

    def dumps(self) -> bytes:
        return dumps(
            {
                "format": MIRROR_FORMAT,
                "tip": self.tip,
                "base": self.base,
                "count": self.count,
                "branch": self.branch,
                "bundle": {"sha256": self.bundle_sha256, "size": self.bundle_size},
                "base_count": self.base_count,
                "copy": self.copy,
                "versions": None if self.versions is None else [list(v) for v in self.versions],
                "replaces": self.replaces,
            }
        )

    @classmethod
    def loads(cls, data: bytes) -> HistoryStep:
        """Raises ValueError when ``data`` is not a history step."""
        try:
            doc = json.loads(data)
            base_count, copy, versions, replaces = (
                doc.get(k) for k in ("base_count", "copy", "versions", "replaces")
            )
            step = cls(
                tip=str(doc["tip"]),
                base=None if doc["base"] is None else str(doc["base"]),
                count=int(doc["count"]),
                branch=str(doc["branch"]),
                bundle_sha256=str(doc["bundle"]["sha256"]),
                bundle_size=int(doc["bundle"]["size"]),
                base_count=None if base_count is None else int(base_count),
                copy=None if copy is None else str(copy),
                versions=None if versions is None else tuple((str(w), int(n)) for w, n in versions),
                replaces=None if replaces is None else str(replaces),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a history step: {exc}") from None
        if doc.get("format") != MIRROR_FORMAT:
            raise ValueError(f"history format {doc.get('format')!r} is not {MIRROR_FORMAT}")
        return step


def versions_text(versions: Iterable[tuple[str, int]]) -> str:
    """Versions as messages name them: ``default 2, staging 1``."""
    return ", ".join(f"{ws} {n}" for ws, n in versions)


def history_key(count: int, tip: str) -> str:
    return f"{HISTORY}/{count:010d}-{tip}.json"


def parse_history_key(key: str) -> tuple[int, str] | None:
    """(count, commit) of a history step's key, None for any other key."""
    name = key.removeprefix(f"{HISTORY}/")
    if name == key or not name.endswith(".json"):
        return None
    count, _, tip = name.removesuffix(".json").partition("-")
    if (
        not (count.isascii() and count.isdigit())
        or not tip
        or not all(c in "0123456789abcdef" for c in tip)
    ):
        return None
    return int(count), tip
