"""Merge request notes through GitLab's REST API (v4).

Environment: ``CI_API_V4_URL`` (e.g. ``https://gitlab.com/api/v4``); the merge request's
project from ``CI_MERGE_REQUEST_PROJECT_ID`` (set in merge request pipelines, also those a fork
runs), else ``CI_PROJECT_ID`` (an id or a ``group/project`` path); the merge request from
``--pr`` or ``CI_MERGE_REQUEST_IID``; and ``GITLAB_TOKEN``: a project (or personal) access token
with the ``api`` scope, sent as ``PRIVATE-TOKEN``. The job's own ``CI_JOB_TOKEN`` cannot write
notes, so it is not used. The note's link is built from ``CI_MERGE_REQUEST_PROJECT_URL`` or
``CI_PROJECT_URL``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tfshadow import env
from tfshadow.ci._http import Api, require
from tfshadow.ci.forge import Comment
from tfshadow.errors import CiError

if TYPE_CHECKING:
    import requests

LIMIT = 1_000_000  # characters in a note body
MAX_PAGES = 100


class GitLabForge:
    """The notes of one merge request."""

    name = "GitLab"
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
            env.GITLAB_TOKEN,
            "create a project access token with the `api` scope and store it as a masked CI/CD "
            "variable GITLAB_TOKEN (CI_JOB_TOKEN cannot write notes)",
        )
        base = require(environ, env.CI_API_V4_URL, "set it to e.g. https://gitlab.com/api/v4")
        # A merge request from a fork runs its pipeline in the fork, whose CI_PROJECT_ID is not
        # the project holding the merge request and its IID: that one is the MR's project.
        project = environ.get(env.CI_MERGE_REQUEST_PROJECT_ID, "").strip() or require(
            environ, env.CI_PROJECT_ID, "set it to the project's id"
        )
        self.iid = pr if pr is not None else _iid(environ)
        self._api = Api(
            "GitLab",
            base,
            token,
            {"PRIVATE-TOKEN": token, "Accept": "application/json"},
            session=session,
            permission_hint="give GITLAB_TOKEN the `api` scope and at least the Reporter role",
        )
        self._notes = f"/projects/{quote(project, safe='')}/merge_requests/{self.iid}/notes"
        web = environ.get(env.CI_MERGE_REQUEST_PROJECT_URL) or environ.get(env.CI_PROJECT_URL)
        self._web = f"{web.rstrip('/')}/-/merge_requests/{self.iid}" if web else None

    def comments(self) -> Iterator[Comment]:
        url = self._api.url(self._notes)
        params: dict[str, str | int] = {"per_page": 100, "sort": "asc", "order_by": "created_at"}
        for _ in range(MAX_PAGES):
            response = self._api.call("GET", url, params=params)
            page = self._api.json(response)
            if not isinstance(page, list):
                raise CiError(
                    "GitLab answered the note listing with something other than a list",
                    "check CI_API_V4_URL",
                )
            for item in page:
                # System notes ("added 1 commit") are GitLab's own and never ours.
                if isinstance(item, dict) and not item.get("system"):
                    yield self._comment(item)
            following = response.headers.get("X-Next-Page", "").strip()
            if not following:
                return
            if not (following.isascii() and following.isdigit()):
                raise CiError(
                    f"GitLab answered with a next page {following!r} that is not a number",
                    "check CI_API_V4_URL",
                )
            params = {**params, "page": int(following)}
        raise CiError(
            f"merge request !{self.iid} has more than {MAX_PAGES} pages of notes",
            "delete old notes, or post to a new merge request",
        )

    def update(self, comment: Comment, body: str) -> Comment:
        url = self._api.url(f"{self._notes}/{comment.id}")
        return self._comment(self._api.json(self._api.call("PUT", url, body={"body": body})))

    def create(self, body: str) -> Comment:
        url = self._api.url(self._notes)
        return self._comment(self._api.json(self._api.call("POST", url, body={"body": body})))

    def delete(self, comment: Comment) -> None:
        self._api.call("DELETE", self._api.url(f"{self._notes}/{comment.id}"))

    def _comment(self, item: Any) -> Comment:
        if not isinstance(item, dict) or not isinstance(item.get("id"), int):
            raise CiError("GitLab answered with a note without an id", "check CI_API_V4_URL")
        note_id: int = item["id"]
        body = item.get("body")
        url = (
            f"{self._web}#note_{note_id}"
            if self._web
            else self._api.url(f"{self._notes}/{note_id}")
        )
        author = item.get("author")
        username = author.get("username") if isinstance(author, dict) else None
        return Comment(
            id=note_id,
            body=body if isinstance(body, str) else "",
            url=url,
            author=username if isinstance(username, str) else "",
        )


def _iid(environ: Mapping[str, str]) -> int:
    raw = environ.get(env.CI_MERGE_REQUEST_IID, "").strip()
    if not raw:
        raise CiError(
            f"no merge request: --pr is not given and {env.CI_MERGE_REQUEST_IID} is not set",
            "pass --pr N, or run the job in a merge request pipeline "
            "(rules: if: $CI_PIPELINE_SOURCE == 'merge_request_event')",
        )
    if not (raw.isascii() and raw.isdigit()) or int(raw) <= 0:
        raise CiError(
            f"{env.CI_MERGE_REQUEST_IID}={raw!r} is not a merge request number", "pass --pr N"
        )
    return int(raw)
