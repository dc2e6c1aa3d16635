"""Delivery of recommendations to a webhook, in the shape Slack's incoming webhooks accept.

One POST per call::

    {"text": "tfshadow: 2 reversion recommendations (1 critical, 1 warning)",
     "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "…"}}, …],
     "recommendations": [Recommendation.to_json(), …]}

``text`` is what notifications and clients without blocks show; ``recommendations`` carries the
data for receivers other than Slack (Slack ignores keys it does not know). What reversion
profiles did by themselves (``check --act``, ``watch``) is announced in the same shape, its
``text`` naming each action (:func:`announce_actions`).

A webhook URL carries its secret in the path (Slack's ``/services/T…/B…/<token>``), so errors
name only the scheme and host: ``https://hooks.slack.com/…``. A connection error or a 5xx answer
is retried twice with a short backoff; a receiver that failed after taking the message may
therefore post it twice, which beats losing a critical alert.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tfshadow.errors import AlertError
from tfshadow.forecast.results import SEVERITIES, Recommendation

if TYPE_CHECKING:
    import requests

__all__ = [
    "action_text",
    "announce_actions",
    "build_action_payload",
    "build_payload",
    "redact_url",
    "send_webhook",
    "worth_sending",
]

_RETRIES = 2
# Slack rejects a message with more than 50 blocks, or a section text over 3000 characters.
_MAX_BLOCKS = 50
_MAX_SECTION = 3000
# Receivers' error bodies are shown only when they are a bare code such as Slack's
# "invalid_token" or "no_service": anything longer might echo the secret URL back.
_ERROR_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
_SEVERITY_ICON = {"critical": ":red_circle:", "warning": ":large_orange_circle:"}
_KIND_WORDS = {"deviation": "deviation", "predicted_breach": "predicted breach"}


def send_webhook(
    url: str,
    recommendations: Sequence[Recommendation],
    *,
    timeout: float,
    min_severity: str,
    session: requests.Session | None = None,
) -> int:
    """POST the recommendations at or above ``min_severity`` to ``url`` in one message.

    Returns how many were sent; nothing is posted when none qualifies. Raises
    :class:`~tfshadow.errors.AlertError` when the webhook cannot be reached or answers anything
    but 2xx; the message names the host only, never the URL's secret path. A given ``session``
    gets the retrying adapter mounted for this URL's host.
    """
    chosen = [rec for rec in recommendations if worth_sending(rec, min_severity)]
    if not chosen:
        return 0
    _deliver(url, build_payload(chosen), timeout, session)
    return len(chosen)


def announce_actions(
    url: str,
    acted: Sequence[Recommendation],
    *,
    timeout: float,
    session: requests.Session | None = None,
) -> None:
    """POST what reversion profiles did by themselves (``acted``: recommendations whose
    ``action`` says it) to ``url`` in one message; see :func:`build_action_payload`. Every
    action is announced, whatever the alerts' ``min_severity``: a change made to the
    infrastructure with nobody at the keyboard is news. Raises as :func:`send_webhook` does."""
    if acted:
        _deliver(url, build_action_payload(acted), timeout, session)


def _deliver(
    url: str, payload: dict[str, Any], timeout: float, session: requests.Session | None
) -> None:
    """POST ``payload`` to ``url`` (retries and errors: see :func:`send_webhook`)."""
    where = redact_url(url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AlertError(
            f"the alert webhook {where} is not an http(s) URL",
            "set webhook in the alerts block of tfshadow.hcl to the URL the receiver gave you",
        )

    import requests

    from tfshadow.http import retrying_session

    http = retrying_session(
        f"{parts.scheme}://{parts.netloc}/",
        _RETRIES,
        ("POST",),
        session=session,
        # A Retry-After of minutes would hold up the whole analysis for one notification.
        respect_retry_after=False,
    )
    # ``timeout`` bounds each wait on the socket, not a request: a receiver that trickles its
    # answer a byte at a time would hold the analysis for as long as it likes. The whole
    # exchange, retries included, gets a deadline of its own.
    deadline = timeout * (_RETRIES + 1) + _RETRIES
    try:
        response = _post_within(http, url, payload, timeout, deadline)
    except (requests.exceptions.Timeout, TimeoutError):
        raise AlertError(
            f"the alert webhook at {where} did not answer within {timeout:g} s",
            "check that the receiver is up, or raise timeout in the alerts block",
        ) from None
    except requests.exceptions.SSLError:
        # Reached, but not trusted: "check the network" would send users the wrong way.
        raise AlertError(
            f"the alert webhook at {where} has a TLS certificate that cannot be verified",
            "point REQUESTS_CA_BUNDLE at the CA that signed it, or fix the receiver's certificate",
        ) from None
    except requests.exceptions.ConnectionError:
        raise AlertError(
            f"cannot reach the alert webhook at {where}",
            "check the network and the webhook URL in the alerts block of tfshadow.hcl",
        ) from None
    except requests.exceptions.RequestException:
        # The library's own message quotes the full URL, secret included: never show it.
        raise AlertError(
            f"the request to the alert webhook at {where} failed",
            "check the webhook URL in the alerts block of tfshadow.hcl",
        ) from None
    finally:
        if session is None:
            http.close()
    if not 200 <= response.status_code < 300:
        code = response.body.strip()
        said = f" ({code})" if _ERROR_CODE.fullmatch(code) else ""
        raise AlertError(
            f"the alert webhook at {where} answered HTTP {response.status_code}{said}",
            _status_hint(response.status_code),
        )


@dataclass(frozen=True)
class _Answer:
    status_code: int
    body: str


def _post_within(
    http: requests.Session, url: str, payload: dict[str, Any], timeout: float, deadline: float
) -> _Answer:
    """POST ``payload`` and read the answer, or raise :class:`TimeoutError` after ``deadline``
    seconds (the request is left to its socket timeouts in a daemon thread)."""
    outcome: list[_Answer | BaseException] = []

    def post() -> None:
        try:
            with http.post(url, json=payload, timeout=timeout, stream=True) as response:
                # Only a short error code is ever shown: do not wait for more of the body.
                body = response.raw.read(64, decode_content=True) or b""
                outcome.append(_Answer(response.status_code, body.decode("utf-8", "replace")))
        except BaseException as exc:  # re-raised in the caller's thread
            outcome.append(exc)

    worker = threading.Thread(target=post, name="tfshadow-webhook", daemon=True)
    worker.start()
    worker.join(deadline)
    if not outcome:
        raise TimeoutError
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def worth_sending(rec: Recommendation, min_severity: str) -> bool:
    """Whether ``rec`` is at or above ``min_severity`` (``info`` < ``warning`` < ``critical``).

    Unknowns err on the loud side: a recommendation of unknown severity is always sent, and an
    unknown ``min_severity`` lets everything through rather than silence critical alerts.
    """
    floor = SEVERITIES.index(min_severity) if min_severity in SEVERITIES else 0
    rank = SEVERITIES.index(rec.severity) if rec.severity in SEVERITIES else len(SEVERITIES)
    return rank >= floor


def redact_url(url: str) -> str:
    """``https://hooks.slack.com/…``: scheme and host (with port) only, no user, path or query."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        return "(an unparsable URL)"
    if not host:
        return "(a URL without a host)"
    if ":" in host:
        host = f"[{host}]"
    shown = f"{parts.scheme}://{host}" if parts.scheme else host
    if port is not None:
        shown += f":{port}"
    return shown + "/…"


def build_payload(recommendations: Sequence[Recommendation]) -> dict[str, Any]:
    """The JSON body posted for ``recommendations`` (see the module docstring)."""
    blocks: list[dict[str, Any]] = [_section(_mrkdwn(rec)) for rec in recommendations]
    if len(blocks) > _MAX_BLOCKS:
        rest = len(blocks) - (_MAX_BLOCKS - 1)
        blocks = blocks[: _MAX_BLOCKS - 1]
        blocks.append(_section(f"…and {rest} more: run `tfshadow analyze` to see them all."))
    return {
        "text": summary_text(recommendations),
        "blocks": blocks,
        "recommendations": [rec.to_json() for rec in recommendations],
    }


def build_action_payload(acted: Sequence[Recommendation]) -> dict[str, Any]:
    """The JSON body announcing profiles' actions: the same shape as :func:`build_payload`'s,
    each block led by what was done (``reverted to version 1``, ``revert to version 1
    failed…``) and the profile that did it."""
    blocks = [_section(f"{_action_line(rec)}\n{_mrkdwn(rec)}") for rec in acted[:_MAX_BLOCKS]]
    return {
        "text": action_text(acted),
        "blocks": blocks,
        "recommendations": [rec.to_json() for rec in acted],
    }


def action_text(acted: Sequence[Recommendation]) -> str:
    """One line: ``tfshadow: profile web-cpu: terraform_data.web reverted to version 1``
    (``tfshadow: 2 profile actions: …`` for several, each named)."""
    said = [f"profile {rec.profile}: {rec.resource} {rec.action}" for rec in acted]
    if len(said) == 1:
        return f"tfshadow: {said[0]}"
    return f"tfshadow: {len(said)} profile actions: " + "; ".join(said)


def _action_line(rec: Recommendation) -> str:
    failed = "failed" in (rec.action or "")
    icon = ":x:" if failed else ":rewind:"
    return (
        f"{icon} *{_escape(rec.action or '')}*: `{_code(rec.resource)}`, by profile "
        f"`{_code(rec.profile or '')}`"
    )


def summary_text(recommendations: Sequence[Recommendation]) -> str:
    """One line: ``tfshadow: 2 reversion recommendations (1 critical, 1 warning)``."""
    count = len(recommendations)
    by_severity = [
        f"{n} {severity}"
        for severity in reversed(SEVERITIES)
        if (n := sum(1 for rec in recommendations if rec.severity == severity))
    ]
    noun = "recommendation" if count == 1 else "recommendations"
    detail = f" ({', '.join(by_severity)})" if by_severity else ""
    return f"tfshadow: {count} reversion {noun}{detail}"


def _status_hint(status: int) -> str:
    if status in (401, 403, 404, 410):
        return (
            "the webhook URL is wrong, revoked or expired: create a new one and set webhook "
            "in the alerts block of tfshadow.hcl"
        )
    if status == 429:
        return "the receiver is rate-limiting messages: try again later"
    if status >= 500:
        return "the receiver is failing: try again later, or check its status"
    return "the receiver refused the message: check that the webhook accepts Slack-style JSON"


def _section(text: str) -> dict[str, Any]:
    if len(text) > _MAX_SECTION:
        text = text[: _MAX_SECTION - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _mrkdwn(rec: Recommendation) -> str:
    icon = _SEVERITY_ICON.get(rec.severity, ":large_blue_circle:")
    kind = _KIND_WORDS.get(rec.kind, rec.kind)
    lines = [
        f"{icon} *{_escape(rec.severity)} {_escape(kind)}*: {_escape(rec.metric)} on "
        f"`{_code(rec.resource)}`",
        f"observed {_number(rec.observed)}, expected {_number(rec.expected)} "
        f"({_number(rec.score)}σ, threshold {_number(rec.threshold)}), "
        f"{_when(rec)}",
    ]
    suspect = rec.suspect
    if suspect is None:
        lines.append("suspect: none fits")
    else:
        description = suspect.description.strip().splitlines()
        text = f": {_escape(description[0])}" if description else ""
        lines.append(f"suspect: v{suspect.version} by {_escape(suspect.author)}{text}")
    if rec.reason:
        lines.append(_escape(" ".join(rec.reason.split())))
    if rec.command:
        lines.append(f"proposed: `{_code(rec.command)}`")
    return "\n".join(lines)


def _when(rec: Recommendation) -> str:
    start, end = _utc(rec.window_start), _utc(rec.window_end)
    end_format = "%H:%M" if start.date() == end.date() else "%Y-%m-%d %H:%M"
    return f"{start:%Y-%m-%d %H:%M}–{end.strftime(end_format)} UTC"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _number(value: float) -> str:
    return f"{value:.3g}" if value == value and abs(value) != float("inf") else "n/a"


def _escape(text: str) -> str:
    # Slack's mrkdwn reads <…> as links and mentions (<!channel>); it wants these three escaped.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    # A backtick would end the code span early.
    return _escape(text).replace("`", "'")
