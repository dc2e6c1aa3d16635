"""Series from the Prometheus HTTP API (``/api/v1/query_range``).

Each ``query "<metric>"`` block of a ``metrics "prometheus"`` source is a PromQL template; its
resource references are filled per resource (values are escaped for PromQL double-quoted strings,
so ``instance="${attr.private_ip}:9100"`` is safe with any value). The query must return exactly
one series: aggregate it yourself (``sum(...)``, ``avg(...)``) rather than have tfshadow guess.

Resolution (:func:`choose_step`): the step is the range divided into at most 1,100 points, but
never finer than 15 s, then rounded up to a round value (1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15,
20, 30 min, then whole hours). Ranges shorter than 15 min are the exception: they get about 60
points (step ≥ 1 s), so a short window still has a shape. Start and end are aligned to multiples
of the step (start rounded up, end down) so that repeated analyses read the same grid.

A series younger than the range (``_common.younger_than``: its first point comes after the
range's first step, or it has none, having begun after the range's last whole step) is read
again over its own life, at that shorter range's step: a resource created 20 minutes ago is
read every 15 s, not as the two points a 7-day range's 10-minute step gives it. A source whose
step grows with the range tells the engine so (``Series.step_for``), so that "too little
history" names a range that would hold enough points at the step that range gets.

HTTP: every request has ``timeout`` seconds; connection failures and 5xx answers are retried
``retries`` times with a short exponential backoff (urllib3 ``Retry``); a read timeout or a 4xx
answer is not retried, since repeating an expensive or wrong query does not help.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from tfshadow.errors import MetricsError
from tfshadow.metrics._common import (
    epoch,
    minute,
    no_data,
    one_line,
    series_of_points,
    younger_than,
)
from tfshadow.metrics.base import ResourceRef, Series, TimeRange
from tfshadow.metrics.template import fill
from tfshadow.settings.analysis import PrometheusQuery, SourceSettings

if TYPE_CHECKING:
    import requests

MAX_POINTS = 1100
MIN_STEP = 15
SHORT_RANGE = 900  # seconds: below this, aim for SHORT_POINTS points instead of MIN_STEP
SHORT_POINTS = 60
_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")
_ROUND_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600)


def choose_step(seconds: float) -> int:
    """The query step, in whole seconds, for a range of ``seconds`` (see the module docstring)."""
    if seconds < SHORT_RANGE:
        raw = max(1.0, seconds / SHORT_POINTS)
    else:
        raw = max(float(MIN_STEP), seconds / MAX_POINTS)
    for step in _ROUND_STEPS:
        if step >= raw:
            return step
    return math.ceil(raw / 3600.0) * 3600


def aligned(window: TimeRange, step: int) -> tuple[int, int]:
    """``window``'s start and end in epoch seconds, moved inwards onto multiples of ``step``."""
    start = math.ceil(epoch(window.start) / step) * step
    end = math.floor(epoch(window.end) / step) * step
    return start, max(start, end)


def _without_credentials(text: str) -> str:
    """``text`` with the user and password of any URL in it replaced by ``***``."""
    return _CREDENTIALS.sub("***@", text)


def promql_string(value: str) -> str:
    """``value`` escaped for the inside of a PromQL double-quoted string."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


class PrometheusSource:
    """A ``metrics "prometheus"`` block: one PromQL template per metric.

    ``session`` may carry authentication or proxies; the retry adapter is mounted on it for the
    source's URL only. requests is imported when the first series is fetched.
    """

    def __init__(self, settings: SourceSettings, session: requests.Session | None = None) -> None:
        if not settings.url:
            raise MetricsError(
                f'metrics source "{settings.name}" has no url',
                'set url = "http://HOST:9090" in its metrics block',
            )
        self._settings = settings
        self._url = settings.url.rstrip("/")
        # The URL may carry basic-auth credentials (http://user:password@host): never shown.
        self._shown = _without_credentials(self._url)
        self._given_session = session
        self._session: requests.Session | None = None

    @property
    def name(self) -> str:
        return self._settings.name

    def metric_names(self, resource: ResourceRef) -> tuple[str, ...]:
        return tuple(q.metric for q in self._settings.queries)

    def fetch(self, resource: ResourceRef, metric: str, window: TimeRange) -> Series:
        query = self._query(metric)
        expr = fill(query.expr, resource, quote=promql_string, extra={"metric": metric})
        step = choose_step(window.seconds)
        series = self._read(resource, metric, expr, window, step)
        life = younger_than(series, window, step, step_for=choose_step, finest=MIN_STEP)
        if life is not None:
            # A series younger than the range (a resource created since) has only the points
            # of its own life at the range's step: a few at 10 min, or none when it began after
            # the last whole step. Its life is read at the step a range that long gets, as if
            # that range had been asked for.
            finer = choose_step(life.seconds)
            young = self._read(resource, metric, expr, life, finer)
            if young is not None and len(young):
                note = f"younger than the range: read from {minute(life.start)} at a {finer} s step"
                series = replace(young, notes=(*young.notes, note))
        if series is None:
            raise no_data(
                resource,
                metric,
                window,
                f'check that query "{metric}" selects this resource\'s labels',
            )
        return replace(series, step_for=choose_step, window=window.seconds)

    def _read(
        self, resource: ResourceRef, metric: str, expr: str, window: TimeRange, step: int
    ) -> Series | None:
        """``expr`` over ``window`` at ``step``; None when it selects no series."""
        start, end = aligned(window, step)
        body = self._post(
            resource, metric, {"query": expr, "start": start, "end": end, "step": step}
        )
        return self._series(resource, metric, body)

    def _query(self, metric: str) -> PrometheusQuery:
        for query in self._settings.queries:
            if query.metric == metric:
                return query
        names = ", ".join(q.metric for q in self._settings.queries) or "none"
        raise MetricsError(
            f'metrics source "{self.name}" has no query for metric {metric}',
            f'add query "{metric}" {{ expr = "…" }} to it (it defines: {names})',
        )

    def _http(self) -> requests.Session:
        if self._session is None:
            from tfshadow.http import retrying_session

            # query_range is read-only: a POST (long queries do not fit a URL) is safe to repeat.
            session = retrying_session(
                self._url + "/",
                self._settings.retries,
                ("GET", "POST"),
                session=self._given_session,
            )
            self._session = session
        return self._session

    def _post(self, resource: ResourceRef, metric: str, form: dict[str, Any]) -> dict[str, Any]:
        import requests

        url = f"{self._url}/api/v1/query_range"
        try:
            response = self._http().post(url, data=form, timeout=self._settings.timeout)
        except requests.exceptions.ConnectTimeout:
            raise self._unreachable() from None
        except requests.exceptions.Timeout:
            raise MetricsError(
                f"Prometheus at {self._shown} did not answer the {metric} query for "
                f"{resource.address} within {self._settings.timeout:g} s",
                "raise timeout in the metrics block, or make the query cheaper",
            ) from None
        except requests.exceptions.ConnectionError:
            raise self._unreachable() from None
        except requests.exceptions.RequestException as exc:
            raise MetricsError(
                f"request to Prometheus at {self._shown} failed: "
                f"{one_line(_without_credentials(str(exc)))}",
                "check the url in the metrics block",
            ) from None
        body = _json(response)
        if response.status_code in (400, 422) and body is not None:
            raise MetricsError(
                f"Prometheus rejected the {metric} query for {resource.address}: "
                f"{one_line(str(body.get('error', '')))}",
                f'fix query "{metric}" in the "{self.name}" metrics block of tfshadow.hcl',
            )
        if response.status_code != 200 or body is None:
            text = one_line(str(body.get("error", "")) if body else response.text, 200)
            raise MetricsError(
                f"Prometheus at {self._shown} answered HTTP {response.status_code} to the "
                f"{metric} query for {resource.address}" + (f": {text}" if text else ""),
                "check that the url points at Prometheus (or a compatible API) and it is healthy",
            )
        return body

    def _unreachable(self) -> MetricsError:
        return MetricsError(
            f"cannot reach Prometheus at {self._shown}",
            "is Prometheus running? check the url in the metrics block of tfshadow.hcl",
        )

    def _series(self, resource: ResourceRef, metric: str, body: dict[str, Any]) -> Series | None:
        data = body.get("data")
        if body.get("status") != "success" or not isinstance(data, dict):
            raise MetricsError(
                f"Prometheus at {self._shown} gave an unexpected answer to the {metric} query "
                f"for {resource.address}",
                "check that the url points at the Prometheus HTTP API",
            )
        result = data.get("result") or []
        if data.get("resultType") != "matrix" or not isinstance(result, list):
            raise MetricsError(
                f"the {metric} query for {resource.address} did not give a range vector "
                f"(resultType {data.get('resultType')})",
                "a query must be an instant-vector expression such as rate(x[5m])",
            )
        if not result:
            return None
        if len(result) > 1:
            raise MetricsError(
                f"the {metric} query for {resource.address} returned {len(result)} series",
                "aggregate it to one, e.g. sum(...) or avg(...)",
            )
        pairs = result[0].get("values") or []
        # float() reads Prometheus' "NaN", "+Inf" and "-Inf" spellings.
        return series_of_points(
            resource,
            metric,
            self.name,
            [float(p[0]) for p in pairs],
            [float(p[1]) for p in pairs],
            [one_line(str(w)) for w in body.get("warnings") or ()],
        )


def _json(response: requests.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
