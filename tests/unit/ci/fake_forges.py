"""Local HTTP servers standing in for GitHub's and GitLab's REST APIs, which cannot be reached
from the test machine.

Each is a real ``http.server`` on 127.0.0.1 (a free port) answering the few endpoints sticky
comments use, checking what the real API checks: the method and path, the auth header, GitHub's
``Accept`` and ``X-GitHub-Api-Version`` headers, a JSON body with exactly ``{"body": str}``, and
the size limit of a body. Listings are paginated the way each API does it (GitHub: ``Link``
headers; GitLab: ``X-Next-Page``), with small pages so tests reach page 2. Every request is
recorded, and failures can be queued per method.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

GITHUB_TOKEN = "ghs_fixtureTOKEN0123456789abcdef"
GITLAB_TOKEN = "glpat-fixtureTOKEN0123456789"


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: Any


@dataclass
class ForgeState:
    """What the fake API holds and what it was asked."""

    comments: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    # method -> queued (status, JSON body[, headers]) answers, used before the normal behaviour
    failures: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    failing_pages: dict[int, tuple[int, Any]] = field(default_factory=dict)  # page -> answer
    # Comments the token may neither edit nor delete (another user's, where it lacks the right).
    uneditable: set[int] = field(default_factory=set)
    page_size: int = 2
    next_id: int = 1000
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, body: str, *, user: str = "someone", system: bool = False) -> dict[str, Any]:
        self.next_id += 1
        item = {"id": self.next_id, "body": body, "user": {"login": user}, "system": system}
        self.comments.append(item)
        return item

    def writes(self) -> list[Seen]:
        return [r for r in self.requests if r.method != "GET"]

    def by_id(self, comment_id: int) -> dict[str, Any]:
        return next(c for c in self.comments if c["id"] == comment_id)


@dataclass
class FakeForge:
    url: str  # the API base URL
    state: ForgeState
    port: int


class _Fail(Exception):
    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body


class _Handler(BaseHTTPRequestHandler):
    state: ForgeState
    flavour: str  # "github" | "gitlab"

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        headers = {name.lower(): value for name, value in self.headers.items()}
        seen = Seen(method, parts.path, query, headers, body)
        with self.state.lock:
            self.state.requests.append(seen)
            queued = self.state.failures.get(method)
            if queued:
                status, answer, *headers = queued.pop(0)
                return self._send(status, answer, *headers)
            try:
                if self.flavour == "github":
                    self._github(seen)
                else:
                    self._gitlab(seen)
            except _Fail as fail:
                self._send(fail.status, fail.body)

    # -- GitHub --------------------------------------------------------------------------

    def _github(self, seen: Seen) -> None:
        if seen.headers.get("authorization") != f"Bearer {GITHUB_TOKEN}":
            return self._send(401, {"message": "Bad credentials"})
        if seen.headers.get("accept") != "application/vnd.github+json":
            return self._send(415, {"message": "Unsupported 'Accept' header"})
        if seen.headers.get("x-github-api-version") != "2022-11-28":
            return self._send(400, {"message": "Invalid API version"})
        listing = re.fullmatch(r"/repos/octo/infra/issues/(\d+)/comments", seen.path)
        single = re.fullmatch(r"/repos/octo/infra/issues/comments/(\d+)", seen.path)
        if seen.method == "GET" and listing:
            if seen.query.get("per_page") != "100":
                return self._send(400, {"message": "expected per_page=100"})
            page = int(seen.query.get("page", "1"))
            items, more = self._page(page)
            headers = {}
            if more:
                nxt = f"{self._base()}{seen.path}?per_page=100&page={page + 1}"
                headers["Link"] = f'<{nxt}>; rel="next", <{nxt}>; rel="last"'
            return self._send(200, [self._github_json(c) for c in items], headers)
        if seen.method == "POST" and listing:
            if (error := self._body_error(seen, 65_536)) is not None:
                return self._send(422, {"message": error})
            item = self.state.add(seen.body["body"], user="github-actions[bot]")
            return self._send(201, self._github_json(item))
        if seen.method == "PATCH" and single:
            if (error := self._body_error(seen, 65_536)) is not None:
                return self._send(422, {"message": error})
            item = self.state.by_id(int(single.group(1)))
            if item["id"] in self.state.uneditable:
                return self._send(403, {"message": "Resource not accessible by integration"})
            item["body"] = seen.body["body"]
            return self._send(200, self._github_json(item))
        if seen.method == "DELETE" and single:
            return self._delete(int(single.group(1)), "Resource not accessible by integration")
        return self._send(404, {"message": "Not Found"})

    def _github_json(self, item: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": item["id"],
            "body": item["body"],
            "user": item["user"],
            "html_url": f"https://github.example/octo/infra/pull/7#issuecomment-{item['id']}",
        }

    # -- GitLab --------------------------------------------------------------------------

    def _gitlab(self, seen: Seen) -> None:
        if seen.headers.get("private-token") != GITLAB_TOKEN:
            return self._send(401, {"message": "401 Unauthorized"})
        listing = re.fullmatch(r"/api/v4/projects/42/merge_requests/(\d+)/notes", seen.path)
        single = re.fullmatch(r"/api/v4/projects/42/merge_requests/(\d+)/notes/(\d+)", seen.path)
        if seen.method == "GET" and listing:
            if seen.query.get("per_page") != "100":
                return self._send(400, {"error": "expected per_page=100"})
            page = int(seen.query.get("page", "1"))
            items, more = self._page(page)
            headers = {"X-Page": str(page), "X-Next-Page": str(page + 1) if more else ""}
            return self._send(200, [self._gitlab_json(c) for c in items], headers)
        if seen.method == "POST" and listing:
            if (error := self._body_error(seen, 1_000_000)) is not None:
                return self._send(400, {"message": {"note": [error]}})
            item = self.state.add(seen.body["body"], user="project_42_bot")
            return self._send(201, self._gitlab_json(item))
        if seen.method == "PUT" and single:
            if (error := self._body_error(seen, 1_000_000)) is not None:
                return self._send(400, {"message": {"note": [error]}})
            item = self.state.by_id(int(single.group(2)))
            item["body"] = seen.body["body"]
            return self._send(200, self._gitlab_json(item))
        if seen.method == "DELETE" and single:
            return self._delete(int(single.group(2)), "403 Forbidden")
        return self._send(404, {"message": "404 Not found"})

    def _gitlab_json(self, item: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": item["id"],
            "body": item["body"],
            "author": {"username": item["user"]["login"]},
            "system": item["system"],
        }

    # -- shared --------------------------------------------------------------------------

    def _page(self, page: int) -> tuple[list[dict[str, Any]], bool]:
        if page in self.state.failing_pages:
            raise _Fail(*self.state.failing_pages[page])
        size = self.state.page_size
        items = self.state.comments[(page - 1) * size : page * size]
        return items, page * size < len(self.state.comments)

    def _body_error(self, seen: Seen, limit: int) -> str | None:
        if not seen.headers.get("content-type", "").startswith("application/json"):
            return "expected a JSON body"
        if not isinstance(seen.body, dict) or set(seen.body) != {"body"}:
            return "expected exactly {'body': …}"
        if not isinstance(seen.body["body"], str):
            return "body must be a string"
        if len(seen.body["body"]) > limit:
            return f"body is too long (maximum is {limit} characters)"
        return None

    def _base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def _delete(self, comment_id: int, forbidden: str) -> None:
        item = self.state.by_id(comment_id)
        if item["id"] in self.state.uneditable:
            return self._send(403, {"message": forbidden})
        self.state.comments.remove(item)
        return self._send_empty(204)

    def _send_empty(self, status: int) -> None:
        self.send_response(status)
        self.end_headers()

    def _send(self, status: int, doc: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def serve(flavour: str) -> Iterator[FakeForge]:
    """A fake ``github`` or ``gitlab`` API, serving until the block ends."""
    state = ForgeState()
    handler = type("Handler", (_Handler,), {"state": state, "flavour": flavour})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    port = server.server_address[1]
    base = f"http://127.0.0.1:{port}" + ("/api/v4" if flavour == "gitlab" else "")
    try:
        yield FakeForge(base, state, port)
    finally:
        server.shutdown()
        server.server_close()


def github_env(forge: FakeForge, **extra: str) -> dict[str, str]:
    return {
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "GITHUB_REPOSITORY": "octo/infra",
        "GITHUB_API_URL": forge.url,
        **extra,
    }


def gitlab_env(forge: FakeForge, **extra: str) -> dict[str, str]:
    return {
        "GITLAB_TOKEN": GITLAB_TOKEN,
        "CI_API_V4_URL": forge.url,
        "CI_PROJECT_ID": "42",
        "CI_MERGE_REQUEST_IID": "7",
        "CI_PROJECT_URL": "https://gitlab.example/group/infra",
        **extra,
    }
