"""A Terraform `http` state backend on loopback: the state and its lock held in memory.

It speaks what Terraform's `http` backend sends: GET and POST for the state, LOCK and UNLOCK
for its lock (a lock already held answers 423 with the holder's lock info, as Terraform
expects). A test may hold the lock itself, as another Terraform process would.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class HttpState:
    """The server's state document and lock, and the address Terraform is given."""

    url: str
    state: bytes | None = None
    lock: bytes | None = None
    guard: threading.Lock = field(default_factory=threading.Lock)

    def backend(self) -> str:
        """A `terraform { backend "http" }` block for this server (no retries: a server that
        is down fails at once)."""
        return (
            "terraform {\n"
            '  backend "http" {\n'
            f'    address        = "{self.url}"\n'
            f'    lock_address   = "{self.url}"\n'
            f'    unlock_address = "{self.url}"\n'
            "    retry_max      = 0\n"
            "  }\n"
            "}\n"
        )

    def hold_lock(self, who: str = "someone@elsewhere") -> None:
        """Take the state's lock as another Terraform process would."""
        info = {
            "ID": "0b5e1c2d-0000-4000-8000-000000000001",
            "Operation": "OperationTypeApply",
            "Who": who,
            "Version": "1.15.0",
            "Created": "2026-01-01T00:00:00Z",
            "Info": "",
            "Path": "",
        }
        with self.guard:
            self.lock = json.dumps(info).encode()

    def release_lock(self) -> None:
        with self.guard:
            self.lock = None

    def document(self) -> dict[str, Any]:
        assert self.state is not None
        doc: dict[str, Any] = json.loads(self.state)
        return doc


def _handler(held: HttpState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _answer(self, code: int, body: bytes = b"") -> None:
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            with held.guard:
                state = held.state
            self._answer(404) if state is None else self._answer(200, state)

        def do_POST(self) -> None:
            body = self._body()
            with held.guard:
                held.state = body
            self._answer(200)

        def do_DELETE(self) -> None:
            with held.guard:
                held.state = None
            self._answer(200)

        def do_LOCK(self) -> None:
            body = self._body()
            with held.guard:
                holder = held.lock
                if holder is None:
                    held.lock = body
            self._answer(200) if holder is None else self._answer(423, holder)

        def do_UNLOCK(self) -> None:
            self._body()
            with held.guard:
                held.lock = None
            self._answer(200)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # a test's output is Terraform's and tfshadow's

    return Handler


@contextmanager
def http_state() -> Iterator[HttpState]:
    """An `http` state backend serving until the block ends."""
    held = HttpState(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(held))
    held.url = f"http://127.0.0.1:{server.server_address[1]}/state/app"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield held
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
