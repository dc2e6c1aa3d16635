"""A local S3-compatible server for the mirror's tests, and a proxy that breaks uploads.

The server is moto's standalone server (``moto[server]``, ``ThreadedMotoServer``) on a free
loopback port: a real HTTP S3 API, so the tests drive the real boto3 client, its checksums,
retries and Object Lock headers, with no network beyond 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import signal
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

_names = itertools.count(1)

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing-access-key",
    "AWS_SECRET_ACCESS_KEY": "testing-secret-key",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """moto's S3 server on loopback for the block; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    # One line per request would bury a failing test's own output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials and a region for boto3's usual chain; no shared files, no IMDS."""
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)


def client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": "path"})
    )


def new_bucket(endpoint: str, *, object_lock: bool = True) -> str:
    name = f"tfshadow-test-{next(_names)}"
    client(endpoint).create_bucket(Bucket=name, ObjectLockEnabledForBucket=object_lock)
    return name


class CuttingProxy:
    """A loopback TCP proxy in front of the S3 server.

    ``cut_after(n)``: once ``n`` bytes from clients have passed (counted from that call), the
    connection carrying the next byte is cut in the middle of what it sends, and every later
    connection is closed as soon as it is accepted, until ``heal()``. ``passed`` counts the bytes
    sent upstream since the last ``cut_after``/``heal``.
    """

    def __init__(self, upstream: str) -> None:
        host, _, port = upstream.removeprefix("http://").partition(":")
        self._upstream = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._lock = threading.Lock()
        self._budget: int | None = None
        self.passed = 0
        self.cuts = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def cut_after(self, nbytes: int) -> None:
        with self._lock:
            self._budget, self.passed = nbytes, 0

    def heal(self) -> None:
        with self._lock:
            self._budget, self.passed = None, 0

    def close(self) -> None:
        self._listener.close()

    def _exhausted(self) -> bool:
        with self._lock:
            return self._budget is not None and self.passed >= self._budget

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            if self._exhausted():
                with self._lock:
                    self.cuts += 1
                conn.close()
                continue
            upstream = socket.create_connection(self._upstream)
            threading.Thread(target=self._pump_up, args=(conn, upstream), daemon=True).start()
            threading.Thread(target=self._pump_down, args=(upstream, conn), daemon=True).start()

    def _pump_up(self, conn: socket.socket, upstream: socket.socket) -> None:
        try:
            while chunk := conn.recv(65536):
                with self._lock:
                    allowed = len(chunk)
                    if self._budget is not None:
                        allowed = max(0, min(allowed, self._budget - self.passed))
                    self.passed += allowed
                upstream.sendall(chunk[:allowed])
                if allowed < len(chunk):
                    with self._lock:
                        self.cuts += 1
                    break
        except OSError:
            pass
        finally:
            _close(conn, upstream)

    def _pump_down(self, upstream: socket.socket, conn: socket.socket) -> None:
        try:
            while chunk := upstream.recv(65536):
                conn.sendall(chunk)
        except OSError:
            pass
        finally:
            _close(conn, upstream)


class InterruptingEndpoint:
    """A loopback endpoint that never answers and, when the first request connects, sends
    SIGINT to the main thread: Ctrl-C pressed once while an upload hangs, at a known moment.

    Once only: the uploads still running in other threads connect too, possibly late, and a
    second SIGINT would land in whatever runs then (the next test)."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._held: list[socket.socket] = []
        self._main = threading.main_thread().ident
        self._pressed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._pressed.set()
        self._listener.close()
        _close(*self._held)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._held.append(conn)
            assert self._main is not None
            if not self._pressed.is_set():
                self._pressed.set()
                signal.pthread_kill(self._main, signal.SIGINT)


def _close(*socks: socket.socket) -> None:
    for sock in socks:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


# -- fixtures, imported by the tests that need a mirror ----------------------------------------


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's standalone S3 server on a free loopback port, for the whole session."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy AWS credentials: boto3 must never find real ones in a test."""
    aws_env(monkeypatch)


@pytest.fixture
def proxy(s3_endpoint: str) -> Iterator[CuttingProxy]:
    """A proxy in front of the server that can cut connections part-way."""
    cutting = CuttingProxy(s3_endpoint)
    yield cutting
    cutting.close()


@pytest.fixture
def interrupting() -> Iterator[InterruptingEndpoint]:
    """An endpoint at which every upload hangs until Ctrl-C, which it presses itself."""
    endpoint = InterruptingEndpoint()
    yield endpoint
    endpoint.close()
