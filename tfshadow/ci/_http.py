"""One forge API over HTTP: its base URL, its auth headers, and its errors as CiError.

The token travels only in a header. Redirects are not followed: requests drops
``Authorization`` on a redirect to another host but would forward GitLab's ``PRIVATE-TOKEN``.
Every message is scrubbed of the token anyway, in case an API echoes it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tfshadow import __version__
from tfshadow.errors import CiError
from tfshadow.http import retrying_session

if TYPE_CHECKING:
    import requests

TIMEOUT = 30.0  # seconds per request
RETRIES = 2
# POST is not retried: a create that timed out may have succeeded, and a retry would duplicate it.
RETRIED_METHODS = ("GET", "PUT", "PATCH", "DELETE")
_DETAIL_LIMIT = 200

_HINTS = {
    401: "the token is invalid or expired",
    403: "the token lacks permission to read or write comments",
    404: "check the repository (or project) and the pull/merge request number; an API also "
    "answers 404 to a token that cannot see it",
}


class Api:
    """Requests to one forge's API, authenticated, with its failures turned into CiError."""

    def __init__(
        self,
        name: str,
        base: str,
        token: str,
        headers: Mapping[str, str],
        *,
        session: requests.Session | None = None,
        permission_hint: str | None = None,
    ) -> None:
        self.name = name
        self.base = base.rstrip("/")
        self._token = token
        if not _is_http_url(self.base):
            raise self._error(
                f"the {name} API URL {self.base!r} is not an http:// or https:// URL",
                "check GITHUB_API_URL or CI_API_V4_URL: it must be the API's base URL, e.g. "
                "https://api.github.com or https://gitlab.com/api/v4",
            )
        self._headers = {"User-Agent": f"tfshadow/{__version__}", **headers}
        # A rate limit's Retry-After can be an hour: sleeping on it would hold the job that
        # long, so the error says how long to wait instead.
        self._session = retrying_session(
            _origin(self.base), RETRIES, RETRIED_METHODS, session=session, respect_retry_after=False
        )
        self._hints = dict(_HINTS)
        if permission_hint:
            self._hints[403] = permission_hint

    def url(self, path: str) -> str:
        return self.base + path

    def owns(self, url: str) -> bool:
        """Whether ``url`` points into this API (a pagination link must, or the token would
        be sent elsewhere)."""
        return (
            url == self.base or url.startswith(self.base + "/") or url.startswith(self.base + "?")
        )

    def call(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> requests.Response:
        """The answer to one request; CiError when it cannot be sent or is not a success."""
        import requests

        where = f"{method} {self._path(url)}"
        try:
            response = self._session.request(
                method,
                url,
                params=params,
                json=body,
                headers=self._headers,
                timeout=TIMEOUT,
                allow_redirects=False,
            )
        except requests.Timeout:
            raise self._error(
                f"{self.name} did not answer {where} within {TIMEOUT:.0f}s",
                "try again; if a comment was being created, check the pull request before "
                "re-running",
            ) from None
        except requests.ConnectionError:
            raise self._error(
                f"{self.name} at {self.base} could not be reached ({where})",
                "check the API URL and the runner's network",
            ) from None
        except requests.RequestException as exc:
            raise self._error(
                f"{self.name} request {where} failed: {type(exc).__name__}",
                "check the API URL",
            ) from None
        if response.status_code >= 300:
            detail = _detail(response)
            reason = response.reason or ""
            raise self._error(
                f"{self.name} answered {response.status_code} {reason} to {where}"
                + (f": {detail}" if detail else ""),
                self._hint(response, detail),
                status=response.status_code,
            )
        return response

    def _hint(self, response: requests.Response, detail: str) -> str:
        status = response.status_code
        # GitHub says a spent rate limit with 403 (or 429), GitLab with 429: a token that is
        # only rate limited needs no new permission, only time.
        if status == 429 or (status == 403 and _rate_limited(response, detail)):
            return f"the token is rate limited: {_wait(response)} and re-run the job"
        if status in self._hints:
            return self._hints[status]
        if status >= 500:
            return f"{self.name} failed on its side: re-run the job in a few minutes"
        if detail:
            return "fix what the answer says, then re-run the job"
        return "check the API URL and re-run the job"

    def json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise self._error(
                f"{self.name} answered {self._path(response.url)} with something other than JSON",
                "check the API URL: it must point at the API, not the web site",
            ) from None

    def _path(self, url: str) -> str:
        path = urlsplit(url).path
        base_path = urlsplit(self.base).path.rstrip("/")
        return path.removeprefix(base_path) or "/"

    def _error(self, message: str, hint: str, status: int | None = None) -> CiError:
        return CiError(self._scrub(message), self._scrub(hint), status)

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _rate_limited(response: requests.Response, detail: str) -> bool:
    headers = response.headers
    return (
        headers.get("X-RateLimit-Remaining", "").strip() == "0"
        or "Retry-After" in headers
        or "rate limit" in detail.lower()
    )


def _wait(response: requests.Response) -> str:
    """How long the answer says to wait: ``Retry-After`` (seconds), else the moment the limit
    resets (``X-RateLimit-Reset`` or GitLab's ``RateLimit-Reset``, seconds since the epoch)."""
    from datetime import UTC, datetime

    headers = response.headers
    after = headers.get("Retry-After", "").strip()
    if after.isascii() and after.isdigit():
        return f"wait {int(after)} s"
    for name in ("X-RateLimit-Reset", "RateLimit-Reset"):
        reset = headers.get(name, "").strip()
        if reset.isascii() and reset.isdigit():
            try:
                moment = datetime.fromtimestamp(int(reset), tz=UTC)
            except (OverflowError, OSError, ValueError):
                continue
            return f"wait until {moment:%H:%M:%S} UTC, when the limit resets,"
    return "wait a few minutes"


def _detail(response: requests.Response) -> str:
    """The API's own words about the failure, on one short line."""
    try:
        doc = response.json()
    except ValueError:
        return ""
    text: Any = None
    if isinstance(doc, dict):
        text = doc.get("message") or doc.get("error") or doc.get("error_description")
    if isinstance(text, dict | list):
        text = str(text)
    if not isinstance(text, str):
        return ""
    # GitHub's 422 says "Validation Failed" and puts what failed in `errors`.
    reasons = _reasons(doc.get("errors")) if isinstance(doc, dict) else ""
    line = " ".join((f"{text} ({reasons})" if reasons else text).split())
    return line if len(line) <= _DETAIL_LIMIT else line[: _DETAIL_LIMIT - 1] + "…"


def _reasons(errors: Any) -> str:
    """GitHub's ``errors`` of a failed validation: each one's message, else its field and
    code."""
    if not isinstance(errors, list):
        return ""
    said = []
    for item in errors:
        if isinstance(item, str):
            said.append(item)
        elif isinstance(item, dict):
            message = item.get("message")
            if isinstance(message, str) and message.strip():
                said.append(message)
            elif isinstance(item.get("code"), str):
                field = item.get("field")
                said.append(f"{field}: {item['code']}" if isinstance(field, str) else item["code"])
    return "; ".join(said)


def require(environ: Mapping[str, str], name: str, hint: str) -> str:
    """The value of a required environment variable; CiError naming it when it is unset."""
    value = environ.get(name, "").strip()
    if not value:
        raise CiError(f"{name} is not set", hint)
    return value
