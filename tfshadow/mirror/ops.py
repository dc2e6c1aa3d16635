"""The mirror's use cases: ``tfshadow store sync | verify | restore``, and the upload that follows
every recorded version."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tfshadow.errors import (
    MirrorError,
    MirrorInterruptedError,
    StoreError,
    StoreHalfJoinedError,
    StoreLockedError,
    TfshadowError,
    UsageError,
)

if TYPE_CHECKING:
    from tfshadow.mirror.restore import RestoreResult
    from tfshadow.mirror.s3 import S3Mirror
    from tfshadow.mirror.sync import SyncResult
    from tfshadow.mirror.verify import VerifyReport
    from tfshadow.project import Project
    from tfshadow.store import GitShadowStore

NO_MIRROR_HINT = (
    'add a mirror "s3" { bucket = "…" } block to the store block of tfshadow.hcl '
    "(see the README's object-storage mirror section)"
)


def configured_mirror(project: Project) -> S3Mirror:
    """The mirror tfshadow.hcl configures; UsageError when there is none."""
    from tfshadow.mirror.s3 import S3Mirror

    settings = project.settings.store.mirror
    if settings is None:
        raise UsageError("the shadow store has no mirror", hint=NO_MIRROR_HINT)
    return S3Mirror.from_settings(settings)


def sync_store(project: Project, *, full: bool = False) -> SyncResult:
    from tfshadow.mirror.sync import sync

    mirror = configured_mirror(project)
    store = project.open_store(create=False)
    return sync(store, mirror, full=full, lock_timeout=project.lock_timeout, warn_parted=True)


def verify_store(project: Project) -> VerifyReport:
    from tfshadow.mirror.verify import verify

    mirror = configured_mirror(project)
    return verify(project.open_store(create=False), mirror, lock_timeout=project.lock_timeout)


def restore_store(
    project: Project, url: str, endpoint: str | None, tip: str | None = None
) -> RestoreResult:
    """Rebuild the store tfshadow.hcl describes (or the default one) from ``url``; ``tip``:
    up to the history step to that commit rather than the newest."""
    from tfshadow.mirror.restore import restore
    from tfshadow.mirror.s3 import S3Mirror, parse_s3_url

    bucket, prefix = parse_s3_url(url)
    configured = project.settings.store.mirror
    region = None
    if endpoint is not None:
        _check_endpoint(endpoint)
        endpoint = endpoint.rstrip("/")
    if configured is not None and configured.bucket == bucket:
        # The same bucket as the settings': reach it the same way unless told otherwise.
        endpoint = endpoint or configured.endpoint
        region = configured.region
    path = project.settings.store.path
    if path is not None and path.exists() and (not path.is_dir() or any(path.iterdir())):
        # Checked again when the store is made; here so that nothing is downloaded in vain.
        raise StoreError(
            f"{path} already exists and is not empty",
            hint="move it away first: restore never overwrites a store",
        )
    mirror = S3Mirror(bucket, prefix, endpoint=endpoint, region=region)
    return restore(project.store_config(), mirror, tip)


def after_record(store: GitShadowStore) -> str | None:
    """Upload what was just recorded when the store has a mirror; a warning when that failed
    (the versions are then queued), None otherwise. Raises no TfshadowError but
    MirrorInterruptedError, for Ctrl-C during the upload (the versions are queued too)."""
    from tfshadow.mirror.base import versions_text
    from tfshadow.mirror.s3 import S3Mirror
    from tfshadow.mirror.sync import queue_unsent, sync
    from tfshadow.settings.load import load_settings

    try:
        settings = load_settings(store.config.workdir, os.environ).store.mirror
    except TfshadowError:
        return None  # the command read these settings already; it reported any problem
    if settings is None:
        return None
    mirror = S3Mirror.from_settings(settings)
    try:
        # The recording command holds the lock (it is re-entrant); another process holding it
        # (`store verify`, a command that only reads) need not upload anything: the versions
        # are queued instead, so that `store verify` names them and the next recording
        # command, or `store sync`, sends them.
        sync(store, mirror, lock_timeout=0)
    except StoreHalfJoinedError as exc:
        return exc.one_line()
    except StoreLockedError as exc:
        queued = versions_text(queue_unsent(store, mirror, exc.message))
        return (
            f"not uploaded to the mirror {mirror.url} yet: another command holds the store; "
            f"version(s) {queued or 'recorded'} kept locally and queued: `tfshadow store sync` "
            "(or the next recorded command) uploads them"
        )
    except MirrorError as exc:
        # The hint says what to fix (a missing bucket, a prefix another store uses) before the
        # queued upload can go through.
        return (
            f"{exc.one_line()}; the version is kept locally and queued: `tfshadow store sync` "
            "(or the next recorded command) uploads it"
        )
    except KeyboardInterrupt:
        # Silence here would hide that the version is recorded, and that the mirror lacks it.
        from tfshadow.mirror.sync import pending_versions

        queued = versions_text(pending_versions(store, mirror))
        raise MirrorInterruptedError(
            f"interrupted while uploading to the mirror {mirror.url}: version(s) "
            f"{queued or 'recorded'} kept locally and queued",
            hint="`tfshadow store sync` (or the next recorded command) uploads them",
        ) from None
    return None


def resume_queued(store: GitShadowStore) -> str | None:
    """Finish the uploads an earlier command queued, as :func:`after_record` does; nothing (and
    no settings read) when the queue is empty. For the start of a recording command."""
    from tfshadow.mirror import queue
    from tfshadow.mirror.sync import PRIVATE_DIR

    if queue.load_pending(store.private_dir(PRIVATE_DIR)) is None:
        return None
    return after_record(store)


def _check_endpoint(endpoint: str) -> None:
    try:
        parts = urlsplit(endpoint)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        _ = parts.port
    except ValueError:
        valid = False
    if not valid or parts.username or parts.password:
        raise UsageError(
            "--endpoint must be an http:// or https:// URL without credentials",
            hint="e.g. --endpoint https://s3.eu-west-1.amazonaws.com",
        )
