"""Who made a change and why, from CI variables, git, or the OS user."""

from __future__ import annotations

import getpass
import json
import re
import socket
from collections.abc import Callable, Mapping
from typing import Any

from tfshadow import env

GitIdentity = Callable[[], tuple[str, str] | None]


def detect_author(environ: Mapping[str, str], git_identity: GitIdentity) -> dict[str, str]:
    if environ.get(env.GITHUB_ACTIONS) == "true" and environ.get(env.GITHUB_ACTOR):
        actor = environ[env.GITHUB_ACTOR]
        return {
            "name": actor,
            "email": f"{actor}@users.noreply.github.com",
            "source": "github-actions",
        }
    if environ.get(env.GITLAB_CI) == "true" and environ.get(env.GITLAB_USER_NAME):
        return {
            "name": environ[env.GITLAB_USER_NAME],
            "email": environ.get(env.GITLAB_USER_EMAIL, ""),
            "source": "gitlab-ci",
        }
    identity = git_identity()
    if identity is not None:
        return {"name": identity[0], "email": identity[1], "source": "git"}
    user = _os_user()
    return {"name": user, "email": f"{user}@{socket.gethostname()}", "source": "os"}


def ci_description(environ: Mapping[str, str]) -> str | None:
    """The pull request title, else the commit message, when running in CI."""
    if environ.get(env.GITHUB_ACTIONS) == "true":
        event = _github_event(environ.get(env.GITHUB_EVENT_PATH))
        pr = event.get("pull_request")
        if isinstance(pr, dict) and pr.get("title"):
            return str(pr["title"])
        head = event.get("head_commit")
        if isinstance(head, dict) and head.get("message"):
            return _first_line(str(head["message"]))
    if environ.get(env.GITLAB_CI) == "true":
        title = environ.get(env.CI_MERGE_REQUEST_TITLE) or environ.get(env.CI_COMMIT_MESSAGE)
        if title:
            return _first_line(title)
    return None


def _github_event(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            event = json.load(fh)
    except (OSError, ValueError):
        return {}
    return event if isinstance(event, dict) else {}


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


# Terminal control characters (C0 but tab and newline, DEL, C1): a pull request's title or a
# commit message is anyone's text, and `log` prints it to someone's terminal.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` without terminal control characters (escape sequences lose their ESC)."""
    return _CONTROLS.sub("", text)
