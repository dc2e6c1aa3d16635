"""Series from Amazon CloudWatch (``GetMetricData``, through boto3).

Metrics of a resource: the built-in definitions of its type (:data:`DEFAULT_METRICS`), with every
``metric "<name>"`` block of the source replacing the built-in of the same name or adding a new
one. Dimension values are templates (``InstanceId = "${attr.id}"``) filled per resource.

Built-ins (sums of two metrics use metric math over ``m1`` and ``m2``)::

    aws_instance      cpu         AWS/EC2 CPUUtilization                      percent
                      memory      CWAgent mem_used_percent                    percent (needs the
                                  CloudWatch agent publishing with an InstanceId dimension only)
                      network_io  (NetworkIn + NetworkOut) / PERIOD           bytes/s
                      disk_io     (EBSReadBytes + EBSWriteBytes) / PERIOD     bytes/s
    aws_db_instance   cpu         AWS/RDS CPUUtilization                      percent
                      memory      FreeableMemory                              bytes *free*
                      network_io  NetworkReceiveThroughput + …TransmitThroughput   bytes/s
                      disk_io     ReadIOPS + WriteIOPS                        operations/s

EC2's byte counters are sums per period, so they are divided by the period: the rate then does
not change scale when a longer range picks a longer period.

Period (:func:`choose_period`): a multiple of 60 s giving at most 1,440 points over the range;
when the range starts more than 15 days ago it is a multiple of 300 s, more than 63 days ago of
3,600 s, because CloudWatch keeps only coarser data that old. Start and end are moved inwards
onto multiples of the period. Results are read page by page (``NextToken``). A series younger
than the range (an instance launched since it began) is read again over its own life, at the
period a range that long gets, as Prometheus series are (``_common.younger_than``).

boto3 is imported, and the client created, when the first series is fetched. ``timeout`` is the
client's connect and read timeout, ``retries`` its retry count (botocore's standard mode).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tfshadow.errors import MetricsError
from tfshadow.metrics._common import (
    epoch,
    minute,
    no_data,
    one_line,
    series_of_points,
    younger_than,
)
from tfshadow.metrics.base import STANDARD_METRICS, ResourceRef, Series, TimeRange
from tfshadow.metrics.template import fill
from tfshadow.settings.analysis import CloudWatchMetric, SourceSettings

MAX_POINTS = 1440
# CloudWatch's standard resolution: a finer period reads no more points.
_FINEST_PERIOD = 60


@dataclass(frozen=True)
class Definition:
    """How to read one metric: one CloudWatch metric, or an expression over several.

    The parts are ``m1``, ``m2``… in the expression; ``expression`` None reads ``m1`` alone.
    """

    metric: str
    parts: tuple[CloudWatchMetric, ...]
    expression: str | None = None


def _ec2(
    metric: str, name: str, stat: str = "Average", namespace: str = "AWS/EC2"
) -> CloudWatchMetric:
    return CloudWatchMetric(metric, namespace, name, stat, (("InstanceId", "${attr.id}"),))


def _rds(metric: str, name: str) -> CloudWatchMetric:
    dims = (("DBInstanceIdentifier", "${attr.identifier}"),)
    return CloudWatchMetric(metric, "AWS/RDS", name, "Average", dims)


DEFAULT_METRICS: dict[str, tuple[Definition, ...]] = {
    "aws_instance": (
        Definition("cpu", (_ec2("cpu", "CPUUtilization"),)),
        Definition("memory", (_ec2("memory", "mem_used_percent", namespace="CWAgent"),)),
        Definition(
            "network_io",
            (_ec2("network_io", "NetworkIn", "Sum"), _ec2("network_io", "NetworkOut", "Sum")),
            "(m1+m2)/PERIOD(m1)",
        ),
        Definition(
            "disk_io",
            (_ec2("disk_io", "EBSReadBytes", "Sum"), _ec2("disk_io", "EBSWriteBytes", "Sum")),
            "(m1+m2)/PERIOD(m1)",
        ),
    ),
    "aws_db_instance": (
        Definition("cpu", (_rds("cpu", "CPUUtilization"),)),
        Definition("memory", (_rds("memory", "FreeableMemory"),)),
        Definition(
            "network_io",
            (
                _rds("network_io", "NetworkReceiveThroughput"),
                _rds("network_io", "NetworkTransmitThroughput"),
            ),
            "m1+m2",
        ),
        Definition("disk_io", (_rds("disk_io", "ReadIOPS"), _rds("disk_io", "WriteIOPS")), "m1+m2"),
    ),
}
"""Built-in definitions by resource type (see the module docstring)."""


def choose_period(window: TimeRange, now: datetime | None = None) -> int:
    """The period, in seconds, for ``window`` (see the module docstring)."""
    age = (now or datetime.now(UTC)) - window.start
    return _period(window.seconds, age)


def period_for_range(seconds: float) -> int:
    """The period of a range of ``seconds`` that ends now, as analyses ask for: what "too little
    history" needs to name a range that holds enough points (module-level, so that a series
    carrying it still pickles for worker processes)."""
    return _period(seconds, timedelta(seconds=seconds))


def _period(seconds: float, age: timedelta) -> int:
    raw = max(60.0, seconds / MAX_POINTS)
    unit = 3600 if age > timedelta(days=63) else 300 if age > timedelta(days=15) else 60
    return max(unit, math.ceil(raw / unit) * unit)


class CloudWatchSource:
    """A ``metrics "cloudwatch"`` block. ``client`` is a boto3 CloudWatch client (tests pass a
    stubbed one); without it one is made from the block's region, endpoint, timeout and retries.
    """

    def __init__(self, settings: SourceSettings, client: Any = None) -> None:
        self._settings = settings
        self._client = client

    @property
    def name(self) -> str:
        return self._settings.name

    def definitions(self, resource: ResourceRef) -> dict[str, Definition]:
        """Every metric this source reads for ``resource``, built-ins first."""
        found = {d.metric: d for d in DEFAULT_METRICS.get(resource.type, ())}
        for metric in self._settings.cloudwatch_metrics:
            found[metric.metric] = Definition(metric.metric, (metric,))
        return found

    def metric_names(self, resource: ResourceRef) -> tuple[str, ...]:
        names = tuple(self.definitions(resource))
        standard = tuple(m for m in STANDARD_METRICS if m in names)
        return standard + tuple(m for m in names if m not in standard)

    def fetch(self, resource: ResourceRef, metric: str, window: TimeRange) -> Series:
        definition = self.definitions(resource).get(metric)
        if definition is None:
            raise MetricsError(
                f'metrics source "{self.name}" has no CloudWatch metric {metric} '
                f"for {resource.type}",
                f'add metric "{metric}" {{ namespace = … name = … dimensions = … }} to it',
            )
        period = choose_period(window)
        series = self._read(definition, resource, metric, window, period)
        life = younger_than(
            series, window, period, step_for=period_for_range, finest=_FINEST_PERIOD
        )
        if life is not None:
            # A series younger than the range (an instance launched since) has only the points
            # of its own life at the range's period, or none when it began in the range's last
            # period: its life is read at the period a range that long gets.
            finer = choose_period(life)
            young = self._read(definition, resource, metric, life, finer)
            if young is not None:
                note = (
                    f"younger than the range: read from {minute(life.start)} at a {finer} s period"
                )
                series = replace(young, notes=(*young.notes, note))
        if series is None:
            queries = _queries(definition, resource, metric, period)
            raise no_data(
                resource,
                metric,
                window,
                "check the region and the dimensions "
                + ", ".join(f"{d['Name']}={d['Value']}" for d in _dimensions(queries)),
            )
        return replace(series, step_for=period_for_range, window=window.seconds)

    def _read(
        self,
        definition: Definition,
        resource: ResourceRef,
        metric: str,
        window: TimeRange,
        period: int,
    ) -> Series | None:
        """``definition`` over ``window`` at ``period``; None when CloudWatch has no point."""
        queries = _queries(definition, resource, metric, period)
        start = math.ceil(epoch(window.start) / period) * period
        end = max(start, math.floor(epoch(window.end) / period) * period)
        request = {
            "MetricDataQueries": queries,
            "StartTime": datetime.fromtimestamp(start, UTC),
            "EndTime": datetime.fromtimestamp(end, UTC),
            "ScanBy": "TimestampAscending",
        }
        wanted = "e1" if definition.expression else "m1"
        seconds, values, notes = self._pages(resource, metric, request, wanted)
        if not seconds:
            return None
        return series_of_points(resource, metric, self.name, seconds, values, notes)

    def _pages(
        self, resource: ResourceRef, metric: str, request: dict[str, Any], wanted: str
    ) -> tuple[list[float], list[float], list[str]]:
        from botocore.exceptions import BotoCoreError, ClientError

        seconds: list[float] = []
        values: list[float] = []
        notes: list[str] = []
        seen: set[str] = set()
        try:
            client = self._cloudwatch()
            while True:
                page = client.get_metric_data(**request)
                for message in page.get("Messages") or ():
                    notes.append(_message(message))
                for result in page.get("MetricDataResults") or ():
                    if result.get("Id") != wanted:
                        continue
                    self._check_status(resource, metric, result)
                    seconds.extend(t.timestamp() for t in result.get("Timestamps") or ())
                    values.extend(float(v) for v in result.get("Values") or ())
                    notes.extend(_message(m) for m in result.get("Messages") or ())
                token = page.get("NextToken")
                # A token seen before would loop forever; the data so far is all there is.
                if not token or token in seen:
                    break
                seen.add(token)
                request = {**request, "NextToken": token}
        except ClientError as exc:
            raise _client_error(exc, resource, metric) from None
        except BotoCoreError as exc:
            raise _botocore_error(exc, self.name) from None
        return seconds, values, notes

    def _check_status(self, resource: ResourceRef, metric: str, result: dict[str, Any]) -> None:
        status = result.get("StatusCode", "Complete")
        if status in ("Complete", "PartialData"):
            return
        detail = "; ".join(_message(m) for m in result.get("Messages") or ())
        hint = (
            "the credentials need cloudwatch:GetMetricData on this metric"
            if status == "Forbidden"
            else "try again later"
        )
        raise MetricsError(
            f"CloudWatch answered {status} for {resource.address} {metric}"
            + (f": {one_line(detail)}" if detail else ""),
            hint,
        )

    def _cloudwatch(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            attempts = max(0, self._settings.retries) + 1
            config = Config(
                connect_timeout=self._settings.timeout,
                read_timeout=self._settings.timeout,
                retries={"total_max_attempts": attempts, "mode": "standard"},
            )
            # A session of its own: boto3's default session keeps the first credentials it finds
            # for the life of the process.
            self._client = boto3.session.Session().client(
                "cloudwatch",
                region_name=self._settings.region,
                endpoint_url=self._settings.endpoint_url,
                config=config,
            )
        return self._client


def _queries(
    definition: Definition, resource: ResourceRef, metric: str, period: int
) -> list[dict[str, Any]]:
    queries: list[dict[str, Any]] = []
    for number, part in enumerate(definition.parts, start=1):
        dimensions = [
            {"Name": name, "Value": fill(value, resource, extra={"metric": metric})}
            for name, value in part.dimensions
        ]
        queries.append(
            {
                "Id": f"m{number}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": part.namespace,
                        "MetricName": part.name,
                        "Dimensions": dimensions,
                    },
                    "Period": period,
                    "Stat": part.stat,
                },
                "ReturnData": definition.expression is None,
            }
        )
    if definition.expression:
        queries.append(
            {"Id": "e1", "Expression": definition.expression, "Label": metric, "ReturnData": True}
        )
    return queries


def _dimensions(queries: list[dict[str, Any]]) -> list[dict[str, str]]:
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for query in queries:
        for dim in query.get("MetricStat", {}).get("Metric", {}).get("Dimensions", ()):
            seen.setdefault((dim["Name"], dim["Value"]), dim)
    return list(seen.values())


def _message(message: dict[str, Any]) -> str:
    code, value = message.get("Code", ""), message.get("Value", "")
    return one_line(f"CloudWatch: {code}: {value}" if code else f"CloudWatch: {value}")


def _client_error(exc: Any, resource: ResourceRef, metric: str) -> MetricsError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    text = one_line(str(error.get("Message", "")))
    if code.startswith("AccessDenied") or code == "UnauthorizedOperation":
        hint = "the credentials need the cloudwatch:GetMetricData permission"
    elif code in (
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
    ):
        hint = "refresh the AWS credentials (AWS_PROFILE, aws sso login, …)"
    elif code.startswith("Throttl") or code == "RequestLimitExceeded":
        hint = "CloudWatch is throttling: try again later or raise retries in the metrics block"
    elif code.startswith("Invalid") or code.startswith("Missing"):
        hint = "check the metric blocks (namespace, name, stat, dimensions) in tfshadow.hcl"
    else:
        hint = "see the AWS error code in the CloudWatch documentation"
    return MetricsError(
        f"CloudWatch refused the {metric} query for {resource.address}: {code}"
        + (f": {text}" if text else ""),
        hint,
    )


def _botocore_error(exc: Exception, source: str) -> MetricsError:
    from botocore.exceptions import (
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return MetricsError(
            "no AWS credentials for CloudWatch",
            "set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
            "or run with an instance or task role",
        )
    if isinstance(exc, NoRegionError):
        return MetricsError(
            f'no AWS region for the metrics source "{source}"',
            'set region = "…" in its metrics block, or AWS_REGION',
        )
    if isinstance(exc, EndpointConnectionError):
        return MetricsError(
            f"cannot reach CloudWatch at {exc.kwargs.get('endpoint_url', '?')}",
            "check the region and endpoint_url of the metrics block, and the network",
        )
    return MetricsError(
        f"CloudWatch request failed: {one_line(str(exc))}",
        "check the metrics block's region, endpoint_url and the AWS configuration",
    )
