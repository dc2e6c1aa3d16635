"""Pull request comments through GitHub's REST API (issue comments: the PR's conversation).

Environment: ``GITHUB_TOKEN`` (the job's token needs ``pull-requests: write``),
``GITHUB_REPOSITORY`` (``owner/name``), ``GITHUB_API_URL`` (default ``https://api.github.com``;
GitHub Enterprise sets its own), and the pull request number from ``--pr`` or the event file at
``GITHUB_EVENT_PATH`` (``pull_request.number``, or ``issue.number`` for comment events).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfshadow import env
from tfshadow.ci._http import Api, require
from tfshadow.ci.forge import Comment
from tfshadow.errors import CiError

if TYPE_CHECKING:
    import requests

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
LIMIT = 65_536  # characters in a comment body
MAX_PAGES = 100  # 10,000 comments: far beyond any pull request, short of an endless loop
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


class GitHubForge:
    """The conversation of one pull request."""

    name = "GitHub"
    limit = LIMIT

    def __init__(
        self,
        environ: Mapping[str, str],
        pr: int | None,
        *,
        session: requests.Session | None = None,
    ) -> None:
        token = require(
            environ,
            env.GITHUB_TOKEN,
            "pass the job's token: `env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}`",
        )
        repository = require(
            environ, env.GITHUB_REPOSITORY, "set it to owner/name (GitHub Actions sets it)"
        )
        if not _REPOSITORY.fullmatch(repository):
            raise CiError(
                f"{env.GITHUB_REPOSITORY}={repository!r} is not owner/name",
                "set it to the repository, e.g. octo-org/infra",
            )
        # One reading of the event file serves both the number and the fork check: a file
        # read twice may change between the reads (or be a pipe that gives its content once).
        event = _Event.read(environ)
        self.number = pr if pr is not None else event.number()
        base = environ.get(env.GITHUB_API_URL, "").strip() or DEFAULT_API_URL
        permission_hint = (
            "give the job `permissions: pull-requests: write` (and issues: write for comments "
            "on issues)"
        )
        if event.from_fork(repository):
            # No `permissions` can lift this: saying to add them would send people astray.
            permission_hint = (
                "the pull request comes from a fork, whose jobs get a read-only GITHUB_TOKEN "
                "whatever their permissions: post the comment from a `workflow_run` job of "
                f"{repository} instead, with --pr N"
            )
        self._api = Api(
            "GitHub",
            base,
            token,
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
            },
            session=session,
            permission_hint=permission_hint,
        )
        self._repo = f"/repos/{repository}"

    def comments(self) -> Iterator[Comment]:
        url: str | None = self._api.url(f"{self._repo}/issues/{self.number}/comments")
        params: dict[str, str | int] | None = {"per_page": 100}
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self._api.call("GET", url, params=params)
            page = self._api.json(response)
            if not isinstance(page, list):
                raise CiError(
                    "GitHub answered the comment listing with something other than a list",
                    "check GITHUB_API_URL",
                )
            for item in page:
                if isinstance(item, dict):
                    yield _comment(item)
            url = response.links.get("next", {}).get("url")
            params = None  # the next link carries the query
            if url is not None and not self._api.owns(url):
                raise CiError(
                    "GitHub's next-page link leads outside its API",
                    "check GITHUB_API_URL",
                )
        raise CiError(
            f"pull request #{self.number} has more than {MAX_PAGES} pages of comments",
            "delete old comments, or post to a new pull request",
        )

    def update(self, comment: Comment, body: str) -> Comment:
        url = self._api.url(f"{self._repo}/issues/comments/{comment.id}")
        response = self._api.call("PATCH", url, body={"body": body})
        return _comment(self._api.json(response))

    def create(self, body: str) -> Comment:
        url = self._api.url(f"{self._repo}/issues/{self.number}/comments")
        response = self._api.call("POST", url, body={"body": body})
        return _comment(self._api.json(response))

    def delete(self, comment: Comment) -> None:
        self._api.call("DELETE", self._api.url(f"{self._repo}/issues/comments/{comment.id}"))


def _comment(item: Any) -> Comment:
    if not isinstance(item, dict) or not isinstance(item.get("id"), int):
        raise CiError("GitHub answered with a comment without an id", "check GITHUB_API_URL")
    body = item.get("body")
    url = item.get("html_url")
    user = item.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    return Comment(
        id=item["id"],
        body=body if isinstance(body, str) else "",
        url=url if isinstance(url, str) else "",
        author=login if isinstance(login, str) else "",
    )


@dataclass(frozen=True)
class _Event:
    """The event file at ``GITHUB_EVENT_PATH``, read once: its ``content`` (None when it is not
    set, cannot be read or is not JSON) and, then, why (``problem``, for :meth:`number`)."""

    path: str
    content: Any = None
    problem: str | None = None

    @classmethod
    def read(cls, environ: Mapping[str, str]) -> _Event:
        path = environ.get(env.GITHUB_EVENT_PATH, "").strip()
        if not path:
            return cls(path, problem=f"{env.GITHUB_EVENT_PATH} is not set")
        try:
            return cls(path, json.loads(Path(path).read_text(encoding="utf-8")))
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            return cls(path, problem=f"the event file {path} cannot be read: {reason}")
        except ValueError:
            return cls(path, problem=f"the event file {path} is not JSON")

    def number(self) -> int:
        """The pull request's number (``pull_request.number``, or ``issue.number`` for comment
        events); CiError saying why there is none."""
        hint = "pass --pr N, or run the job on pull_request events"
        if not self.path:
            raise CiError(f"no pull request number: --pr is not given and {self.problem}", hint)
        if self.problem is not None:
            raise CiError(self.problem, hint)
        if isinstance(self.content, dict):
            for key in ("pull_request", "issue"):
                item = self.content.get(key)
                number = item.get("number") if isinstance(item, dict) else None
                if isinstance(number, int) and not isinstance(number, bool) and number > 0:
                    return number
        raise CiError("the event that started this job is not about a pull request", hint)

    def from_fork(self, repository: str) -> bool:
        """Whether the event is a pull request from another repository (quietly false for an
        event file that cannot be read: it only sharpens a hint)."""
        event = self.content
        pull = event.get("pull_request") if isinstance(event, dict) else None
        head = pull.get("head") if isinstance(pull, dict) else None
        repo = head.get("repo") if isinstance(head, dict) else None
        name = repo.get("full_name") if isinstance(repo, dict) else None
        return isinstance(name, str) and name.lower() != repository.lower()
