"""An S3-compatible bucket as the store's mirror: the one module that imports boto3 for it.

Credentials come from boto3's usual chain (environment, shared files and profiles, instance
roles); they are never read, kept or shown here. boto3 is imported when the first request is made.

Every upload carries its SHA-256 (``x-amz-checksum-sha256``) and MD5 (``Content-MD5``), which the
server checks before it stores anything; a response naming another SHA-256 is an error too.
Retries are botocore's standard mode, bounded by :data:`MAX_ATTEMPTS` per request.

With Object Lock, each object is uploaded with a retention (mode and retain-until date) of its
own. A locked object version can be neither deleted nor, in COMPLIANCE mode, have its retention
shortened, by anyone until the date passes; writing the same key again only adds a newer
version, so reads that find content not matching its address look for the locked original.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from tfshadow.errors import MirrorError, UsageError
from tfshadow.mirror.base import ObjectState, sha256_hex
from tfshadow.settings.schema import MirrorSettings
from tfshadow.store.git import scrub_url

MAX_ATTEMPTS = 3
CONNECT_TIMEOUT = 10.0
# Objects are small (a delta, a meta file): a server silent this long is not coming back, and
# every recording command waits for it (times MAX_ATTEMPTS).
READ_TIMEOUT = 20.0

_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchVersion"})
_CREDENTIAL_CODES = frozenset(
    {"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"}
)


def parse_s3_url(url: str) -> tuple[str, str]:
    """(bucket, prefix) of ``s3://bucket/prefix``; UsageError for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise UsageError(
            f"{scrub_url(url)!r} is not an s3:// address",
            hint="write it as s3://BUCKET/PREFIX, the bucket and prefix of the mirror",
        )
    return parts.netloc, parts.path.strip("/")


class S3Mirror:
    """A bucket and key prefix on S3 or an S3-compatible server (see the module docstring)."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint: str | None = None,
        region: str | None = None,
        lock_mode: str | None = None,
        lock_days: int = 0,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint = endpoint
        self.region = region
        self.lock_mode = lock_mode
        self.lock_days = lock_days

    @classmethod
    def from_settings(cls, settings: MirrorSettings) -> S3Mirror:
        return cls(
            settings.bucket,
            settings.prefix,
            endpoint=settings.endpoint,
            region=settings.region,
            lock_mode=settings.lock_mode if settings.object_lock else None,
            lock_days=settings.lock_days,
        )

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    @property
    def target(self) -> str:
        return f"{scrub_url(self.endpoint or 'aws')} {self.url}"

    # -- requests ------------------------------------------------------------------------------

    def check_ready(self) -> None:
        """With Object Lock configured, the bucket must have it enabled: uploads would otherwise
        be refused one by one, or worse, land unlocked on a server that ignores the headers."""
        if self.lock_mode is None:
            return
        with self._errors("read the Object Lock configuration of"):
            try:
                config = self._client.get_object_lock_configuration(Bucket=self.bucket)
            except self._botocore.exceptions.ClientError as exc:
                if _code(exc) != "ObjectLockConfigurationNotFoundError":
                    raise
                config = {}
        enabled = config.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled")
        if enabled != "Enabled":
            raise MirrorError(
                f"the bucket {self.bucket} does not have S3 Object Lock enabled",
                hint="create the bucket with Object Lock enabled (it cannot be switched on "
                "later for every provider), or set object_lock = false in the mirror block",
            )

    def put(self, key: str, data: bytes) -> None:
        digest = hashlib.sha256(data).digest()
        checksum = base64.b64encode(digest).decode()
        extra: dict[str, Any] = {}
        if self.lock_mode is not None:
            extra["ObjectLockMode"] = self.lock_mode
            extra["ObjectLockRetainUntilDate"] = datetime.now(UTC) + timedelta(days=self.lock_days)
        with self._errors(f"upload {key} to"):
            response = self._client.put_object(
                Bucket=self.bucket,
                Key=self._key(key),
                Body=data,
                ContentMD5=base64.b64encode(hashlib.md5(data).digest()).decode(),
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=checksum,
                **extra,
            )
        echoed = response.get("ChecksumSHA256")
        if echoed is not None and echoed != checksum:
            raise MirrorError(
                f"{self.url} stored {key} with another checksum than the one sent",
                hint="the upload was damaged on the way: run `tfshadow store sync` again",
            )

    def state(self, key: str, sha256: str, size: int | None = None) -> ObjectState:
        with self._errors(f"read {key} from"):
            try:
                head = self._client.head_object(
                    Bucket=self.bucket, Key=self._key(key), ChecksumMode="ENABLED"
                )
            except self._botocore.exceptions.ClientError as exc:
                if _code(exc) in _MISSING_CODES:
                    return "missing"
                raise
        # An upload cut in the middle of its body that a server kept all the same (with the
        # checksum its headers claimed) is not the content, whatever that checksum says.
        if size is not None and head.get("ContentLength") not in (None, size):
            return "altered"
        stored = head.get("ChecksumSHA256")
        if isinstance(stored, str) and "-" not in stored:
            expected = base64.b64encode(bytes.fromhex(sha256)).decode()
            return "ok" if stored == expected else "altered"
        # Written without a whole-object checksum (by another tool): compare the content itself.
        try:
            self.get(key, sha256, versions=False)
        except MirrorError:
            return "altered"
        return "ok"

    def get(self, key: str, sha256: str | None = None, *, versions: bool = True) -> bytes:
        data = self._get(key, None)
        if data is None:
            raise MirrorError(
                f"{self.url} has no {key}",
                # Also a restore's error, where no store is at hand to verify: the repair is
                # made in a copy that still has the history.
                hint="the mirror is incomplete: in a copy of the store that still has the "
                "history, `tfshadow store verify` names what it lacks and `tfshadow store sync "
                "--full` uploads it",
            )
        if sha256 is None or sha256_hex(data) == sha256:
            return data
        if versions:
            # Someone wrote over the key; in a versioned (locked) bucket the original remains.
            for version_id in self._older_versions(key):
                older = self._get(key, version_id)
                if older is not None and sha256_hex(older) == sha256:
                    return older
        raise MirrorError(
            f"{key} in {self.url} has been altered: its content does not match its checksum",
            hint="restore the object from a backup of the bucket, or run `tfshadow store sync "
            "--full` in a store that still holds the version",
        )

    def get_first(self, key: str) -> bytes:
        # tfshadow never writes a key twice with different content: a later version of it is
        # someone else's write, and the oldest one is the original.
        older = self._older_versions(key)
        if older:
            data = self._get(key, older[-1])  # S3 lists a key's versions newest first
            if data is not None:
                return data
        return self.get(key)

    def list_keys(self, under: str) -> dict[str, int]:
        found: dict[str, int] = {}
        base = self._key("")
        with self._errors("list"):
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._key(under)
            )
            for page in pages:
                for item in page.get("Contents", ()):
                    found[str(item["Key"])[len(base) :]] = int(item["Size"])
        return found

    # -- helpers -------------------------------------------------------------------------------

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _get(self, key: str, version_id: str | None) -> bytes | None:
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(key)}
        if version_id is not None:
            args["VersionId"] = version_id
        with self._errors(f"download {key} from"):
            try:
                response = self._client.get_object(**args)
            except self._botocore.exceptions.ClientError as exc:
                if _code(exc) in _MISSING_CODES:
                    return None
                raise
            return bytes(response["Body"].read())

    def _older_versions(self, key: str) -> list[str]:
        full = self._key(key)
        with self._errors(f"list the versions of {key} in"):
            try:
                response = self._client.list_object_versions(Bucket=self.bucket, Prefix=full)
            except self._botocore.exceptions.ClientError:
                return []  # an unversioned bucket, or no permission: no original to fall back on
        return [
            str(v["VersionId"])
            for v in response.get("Versions", ())
            if v.get("Key") == full and not v.get("IsLatest")
        ]

    @cached_property
    def _botocore(self) -> Any:
        import botocore.exceptions

        return botocore

    @cached_property
    def _client(self) -> Any:
        try:
            import boto3
            from botocore.config import Config
        except ModuleNotFoundError as exc:
            raise MirrorError(
                f"the Python package {exc.name} is missing",
                hint="reinstall tfshadow with its dependencies (`pip install tfshadow`)",
            ) from None
        config = Config(
            retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
            # S3-compatible servers (MinIO, Ceph, moto…) seldom serve bucket subdomains.
            s3={"addressing_style": "path" if self.endpoint else "auto"},
        )
        with self._errors("connect to"):
            # A session of its own: boto3's default one keeps the credentials it found first.
            return boto3.session.Session().client(
                "s3", endpoint_url=self.endpoint, region_name=self.region, config=config
            )

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """botocore's exceptions as MirrorError: one line, with no credentials in it."""
        exceptions = self._botocore.exceptions
        where = f"{self.url}" + (f" at {scrub_url(self.endpoint)}" if self.endpoint else "")
        try:
            yield
        except (exceptions.NoCredentialsError, exceptions.PartialCredentialsError):
            raise MirrorError(
                f"no AWS credentials to {action} {where}",
                hint="set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE",
            ) from None
        except exceptions.ClientError as exc:
            code = _code(exc)
            if code == "NoSuchBucket":
                raise MirrorError(
                    f"the bucket {self.bucket} does not exist ({where})",
                    hint="create it, or fix the mirror's bucket and endpoint",
                ) from None
            if code in _CREDENTIAL_CODES:
                raise MirrorError(
                    f"{where} refused the AWS credentials ({code})",
                    hint="check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the profile",
                ) from None
            message = str(exc.response.get("Error", {}).get("Message") or "").strip()
            # S3 answers a HEAD signed with a wrong secret key by a bare 403: no code to tell
            # it from a missing permission.
            forbidden = code in ("403", "AccessDenied")
            raise MirrorError(
                f"cannot {action} {where}: {code}"
                + (f" ({scrub_url(message)})" if message else ""),
                hint="check the AWS credentials and the bucket's permissions"
                if forbidden
                else "check the bucket's permissions and settings",
            ) from None
        except exceptions.BotoCoreError as exc:
            raise MirrorError(
                f"cannot {action} {where}: {scrub_url(str(exc))}",
                # Also a restore's or verify's error: only a failed upload is for `store sync`.
                hint="check the endpoint and the network, then try again",
            ) from None


def _code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code") or "")
