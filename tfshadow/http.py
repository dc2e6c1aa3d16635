"""HTTP sessions that retry what is safe to retry (requests + urllib3's Retry).

Connection errors and 5xx answers are retried with a short exponential backoff; a read timeout
is not (the server may have acted on the request already, and a timeout should say so rather
than surface later as a connection error).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import requests

RETRY_STATUSES = (500, 502, 503, 504)
BACKOFF = 0.2  # seconds; urllib3 doubles it per retry after the first


def retrying_session(
    prefix: str,
    retries: int,
    methods: Iterable[str],
    *,
    session: requests.Session | None = None,
    respect_retry_after: bool = True,
) -> requests.Session:
    """``session`` (or a new one) retrying ``methods`` to URLs starting with ``prefix``."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    retries = max(0, retries)
    retry = Retry(
        total=retries,
        connect=retries,
        read=False,
        status=retries,
        other=0,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset(methods),
        backoff_factor=BACKOFF,
        respect_retry_after_header=respect_retry_after,
        raise_on_status=False,
    )
    http = session or requests.Session()
    http.mount(prefix, HTTPAdapter(max_retries=retry))
    return http
