"""S3Mirror against moto's standalone S3 server on loopback, through the real boto3 client."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import ClientError

from tests.unit.mirror.s3server import AWS_ENV, CuttingProxy, client, free_port, new_bucket
from tfshadow.errors import MirrorError, UsageError
from tfshadow.mirror.s3 import S3Mirror, parse_s3_url


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_s3_put_then_state_and_get(s3_endpoint: str) -> None:
    mirror = S3Mirror(new_bucket(s3_endpoint, object_lock=False), "a/b", endpoint=s3_endpoint)
    data = b'{"hello": "world"}\n'
    assert mirror.state("objects/x", sha(data)) == "missing"
    mirror.put("objects/x", data)
    assert mirror.state("objects/x", sha(data)) == "ok"
    assert mirror.state("objects/x", sha(b"other")) == "altered"
    # Of another length it is not the content, whatever checksum the server keeps with it.
    assert mirror.state("objects/x", sha(data), len(data)) == "ok"
    assert mirror.state("objects/x", sha(data), len(data) + 1) == "altered"
    assert mirror.get("objects/x", sha(data)) == data
    assert mirror.list_keys("objects/") == {"objects/x": len(data)}
    # The prefix is part of the key in the bucket.
    listed = client(s3_endpoint).list_objects_v2(Bucket=mirror.bucket)["Contents"]
    assert [o["Key"] for o in listed] == ["a/b/objects/x"]


def test_s3_object_lock_refuses_deleting_a_locked_version(s3_endpoint: str) -> None:
    for mode in ("GOVERNANCE", "COMPLIANCE"):
        bucket = new_bucket(s3_endpoint)
        mirror = S3Mirror(bucket, "p", endpoint=s3_endpoint, lock_mode=mode, lock_days=2)
        mirror.check_ready()
        mirror.put("objects/k", b"shadow")
        s3 = client(s3_endpoint)
        head = s3.head_object(Bucket=bucket, Key="p/objects/k")
        assert head["ObjectLockMode"] == mode
        assert head["ObjectLockRetainUntilDate"].timestamp() > time.time() + 86400
        with pytest.raises(ClientError) as refused:
            s3.delete_object(Bucket=bucket, Key="p/objects/k", VersionId=head["VersionId"])
        assert refused.value.response["Error"]["Code"] == "AccessDenied"
        # Writing the key again adds a version; the locked original stays, and reads find it.
        s3.put_object(Bucket=bucket, Key="p/objects/k", Body=b"tampered")
        assert mirror.state("objects/k", sha(b"shadow")) == "altered"
        assert mirror.get("objects/k", sha(b"shadow")) == b"shadow"
        kept = s3.get_object(Bucket=bucket, Key="p/objects/k", VersionId=head["VersionId"])
        assert kept["Body"].read() == b"shadow"


def test_s3_object_lock_needs_a_bucket_with_lock_enabled(s3_endpoint: str) -> None:
    bucket = new_bucket(s3_endpoint, object_lock=False)
    mirror = S3Mirror(bucket, endpoint=s3_endpoint, lock_mode="GOVERNANCE", lock_days=1)
    with pytest.raises(MirrorError, match=f"the bucket {bucket} does not have S3 Object Lock"):
        mirror.check_ready()
    S3Mirror(bucket, endpoint=s3_endpoint).check_ready()  # no lock asked: nothing to check


def test_s3_get_altered_without_original_is_an_error(s3_endpoint: str) -> None:
    bucket = new_bucket(s3_endpoint, object_lock=False)
    mirror = S3Mirror(bucket, endpoint=s3_endpoint)
    client(s3_endpoint).put_object(Bucket=bucket, Key="objects/k", Body=b"not it")
    with pytest.raises(MirrorError, match=r"objects/k in s3://.* has been altered"):
        mirror.get("objects/k", sha(b"it"))
    with pytest.raises(MirrorError, match="has no objects/missing"):
        mirror.get("objects/missing")


def test_s3_missing_bucket_is_named(s3_endpoint: str) -> None:
    mirror = S3Mirror("no-such-bucket-here", endpoint=s3_endpoint)
    with pytest.raises(MirrorError, match="the bucket no-such-bucket-here does not exist"):
        mirror.put("k", b"x")


def test_s3_no_credentials_says_so_without_values(
    s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = new_bucket(s3_endpoint, object_lock=False)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    with pytest.raises(MirrorError, match="no AWS credentials") as raised:
        S3Mirror(bucket, endpoint=s3_endpoint).put("k", b"x")
    assert "AWS_ACCESS_KEY_ID" in (raised.value.hint or "")


class _Refusing(BaseHTTPRequestHandler):
    """What S3 answers a request signed with a wrong secret key: 403; to a HEAD, with no body
    (so no error code either)."""

    def do_HEAD(self) -> None:
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def refusing() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_s3_forbidden_head_points_at_the_credentials_too(refusing: str) -> None:
    with pytest.raises(MirrorError, match="403") as raised:
        S3Mirror("bkt", endpoint=refusing).state("objects/k", sha(b"x"))
    assert "credentials" in (raised.value.hint or "")
    assert AWS_ENV["AWS_SECRET_ACCESS_KEY"] not in raised.value.one_line()


def test_s3_unreachable_endpoint_fails_after_bounded_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    started = time.monotonic()
    with pytest.raises(MirrorError, match=f"cannot upload k to s3://bkt at {endpoint}") as raised:
        S3Mirror("bkt", endpoint=endpoint).put("k", b"x")
    assert time.monotonic() - started < 30
    assert AWS_ENV["AWS_SECRET_ACCESS_KEY"] not in raised.value.one_line()


def test_s3_connection_cut_mid_upload_is_a_mirror_error(
    s3_endpoint: str, proxy: CuttingProxy
) -> None:
    bucket = new_bucket(s3_endpoint, object_lock=False)
    mirror = S3Mirror(bucket, endpoint=proxy.endpoint)
    proxy.cut_after(2000)  # inside the body of the upload below
    with pytest.raises(MirrorError, match="cannot upload objects/big"):
        mirror.put("objects/big", b"x" * 200_000)
    assert proxy.cuts >= 1
    proxy.heal()
    assert mirror.state("objects/big", sha(b"x" * 200_000)) == "missing"


def test_parse_s3_url_reads_bucket_and_prefix() -> None:
    assert parse_s3_url("s3://acme-tfshadow/prod/network/") == ("acme-tfshadow", "prod/network")
    assert parse_s3_url("s3://acme-tfshadow") == ("acme-tfshadow", "")
    with pytest.raises(UsageError, match="not an s3:// address"):
        parse_s3_url("https://user:secret@example.com/x")
    with pytest.raises(UsageError) as raised:
        parse_s3_url("gs://user:secret@bucket/x")
    assert "secret" not in raised.value.one_line()
