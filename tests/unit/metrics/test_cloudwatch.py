"""CloudWatchSource against botocore's Stubber.

There is no AWS account here: a real boto3 client is given scripted ``GetMetricData`` answers
by ``botocore.stub.Stubber``, which also checks each request against the CloudWatch API model.
Credential and connection failures come from real botocore clients (no credentials anywhere; an
endpoint on a closed loopback port), not from stubs.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from botocore.stub import ANY, Stubber

from tfshadow.errors import MetricsError
from tfshadow.metrics.base import ResourceRef, TimeRange
from tfshadow.metrics.cloudwatch import (
    DEFAULT_METRICS,
    CloudWatchSource,
    choose_period,
    period_for_range,
)
from tfshadow.settings.analysis import CloudWatchMetric, SourceSettings

# CloudWatch periods depend on the data's age, so the window is recent: 10:00:30 to 11:00:30
# of some hour within the last day.
HOUR = (datetime.now(UTC) - timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
START = HOUR + timedelta(seconds=30)
WINDOW = TimeRange(START, START + timedelta(hours=1))
EC2 = ResourceRef("aws_instance.web[0]", "aws_instance", "web", {"id": "i-0abc"})
RDS = ResourceRef("aws_db_instance.main", "aws_db_instance", "main", {"identifier": "prod-db"})
SETTINGS = SourceSettings(kind="cloudwatch", name="cw", region="eu-west-1")


@pytest.fixture
def client() -> Any:
    return boto3.client(
        "cloudwatch",
        region_name="eu-west-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="not-a-secret",
    )


@pytest.fixture
def stub(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def at(minute: int) -> datetime:
    return HOUR + timedelta(minutes=minute)


def result(id_: str, minutes: list[int], values: list[float], **extra: Any) -> dict[str, Any]:
    return {
        "Id": id_,
        "Label": id_,
        "Timestamps": [at(m) for m in minutes],
        "Values": values,
        "StatusCode": "Complete",
        **extra,
    }


def stat(id_: str, namespace: str, name: str, dims: dict[str, str], stat_: str, ret: bool) -> Any:
    return {
        "Id": id_,
        "MetricStat": {
            "Metric": {
                "Namespace": namespace,
                "MetricName": name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
            },
            "Period": 60,
            "Stat": stat_,
        },
        "ReturnData": ret,
    }


def test_cloudwatch_ec2_cpu_request_and_paging(client: Any, stub: Stubber) -> None:
    request = {
        "MetricDataQueries": [
            stat("m1", "AWS/EC2", "CPUUtilization", {"InstanceId": "i-0abc"}, "Average", True)
        ],
        # Moved inwards onto whole minutes.
        "StartTime": at(1),
        "EndTime": at(60),
        "ScanBy": "TimestampAscending",
    }
    stub.add_response(
        "get_metric_data",
        {"MetricDataResults": [result("m1", [1, 2], [10.0, 20.0])], "NextToken": "page2"},
        request,
    )
    stub.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                result("m1", [4, 3], [40.0, 30.0], Messages=[{"Code": "Info", "Value": "partial"}])
            ]
        },
        {**request, "NextToken": "page2"},
    )
    series = CloudWatchSource(SETTINGS, client).fetch(EC2, "cpu", WINDOW)
    assert series.resource == "aws_instance.web[0]" and series.source == "cw"
    assert series.timestamps.dtype == np.dtype("datetime64[ns]")
    np.testing.assert_array_equal(series.values, [10.0, 20.0, 30.0, 40.0])
    assert series.timestamps[0] == np.datetime64(at(1).replace(tzinfo=None), "ns")
    assert series.notes == ("CloudWatch: Info: partial",)


def test_cloudwatch_network_io_is_metric_math(client: Any, stub: Stubber) -> None:
    dims = {"InstanceId": "i-0abc"}
    stub.add_response(
        "get_metric_data",
        {"MetricDataResults": [result("e1", [1, 2], [100.0, 200.0])]},
        {
            "MetricDataQueries": [
                stat("m1", "AWS/EC2", "NetworkIn", dims, "Sum", False),
                stat("m2", "AWS/EC2", "NetworkOut", dims, "Sum", False),
                {
                    "Id": "e1",
                    "Expression": "(m1+m2)/PERIOD(m1)",
                    "Label": "network_io",
                    "ReturnData": True,
                },
            ],
            "StartTime": ANY,
            "EndTime": ANY,
            "ScanBy": "TimestampAscending",
        },
    )
    series = CloudWatchSource(SETTINGS, client).fetch(EC2, "network_io", WINDOW)
    np.testing.assert_array_equal(series.values, [100.0, 200.0])


def test_cloudwatch_rds_dimension_from_identifier(client: Any, stub: Stubber) -> None:
    dims = {"DBInstanceIdentifier": "prod-db"}
    stub.add_response(
        "get_metric_data",
        {"MetricDataResults": [result("e1", [1], [5.0])]},
        {
            "MetricDataQueries": [
                stat("m1", "AWS/RDS", "ReadIOPS", dims, "Average", False),
                stat("m2", "AWS/RDS", "WriteIOPS", dims, "Average", False),
                {"Id": "e1", "Expression": "m1+m2", "Label": "disk_io", "ReturnData": True},
            ],
            "StartTime": ANY,
            "EndTime": ANY,
            "ScanBy": "TimestampAscending",
        },
    )
    assert CloudWatchSource(SETTINGS, client).fetch(RDS, "disk_io", WINDOW).values.tolist() == [5.0]


def test_cloudwatch_user_metric_overrides_and_adds(client: Any, stub: Stubber) -> None:
    settings = SourceSettings(
        kind="cloudwatch",
        name="cw",
        cloudwatch_metrics=(
            CloudWatchMetric(
                "cpu", "Custom/App", "Busy", "Maximum", (("Host", "${name}-${attr.id}"),)
            ),
            CloudWatchMetric("queue", "AWS/SQS", "Depth", "Sum", (("Queue", "${address}"),)),
        ),
    )
    source = CloudWatchSource(settings, client)
    assert source.metric_names(EC2) == ("cpu", "memory", "network_io", "disk_io", "queue")
    assert source.metric_names(ResourceRef("null_resource.x", "null_resource", "x")) == (
        "cpu",
        "queue",
    )
    stub.add_response(
        "get_metric_data",
        {"MetricDataResults": [result("m1", [1], [99.0])]},
        {
            "MetricDataQueries": [
                stat("m1", "Custom/App", "Busy", {"Host": "web-i-0abc"}, "Maximum", True)
            ],
            "StartTime": ANY,
            "EndTime": ANY,
            "ScanBy": "TimestampAscending",
        },
    )
    assert source.fetch(EC2, "cpu", WINDOW).values.tolist() == [99.0]


def test_cloudwatch_defaults_cover_standard_metrics() -> None:
    for definitions in DEFAULT_METRICS.values():
        assert [d.metric for d in definitions] == ["cpu", "memory", "network_io", "disk_io"]
    source = CloudWatchSource(SETTINGS, client=object())
    assert source.metric_names(ResourceRef("aws_s3_bucket.b", "aws_s3_bucket", "b")) == ()


def test_cloudwatch_period_rule() -> None:
    now = datetime(2024, 5, 2, tzinfo=UTC)
    day = TimeRange(now - timedelta(days=1), now)
    week = TimeRange(now - timedelta(days=7), now)
    month = TimeRange(now - timedelta(days=30), now)
    old = TimeRange(now - timedelta(days=100), now - timedelta(days=99))
    assert choose_period(TimeRange(now - timedelta(hours=1), now), now) == 60
    assert choose_period(day, now) == 60
    assert choose_period(week, now) == 420
    assert choose_period(month, now) == 1800
    assert choose_period(old, now) == 3600
    for window in (day, week, month):
        period = choose_period(window, now)
        assert period % 60 == 0 and window.seconds / period <= 1440


# A week ending on a whole minute of the last hour: read at a 420 s period.
WEEK_END = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
WEEK = TimeRange(WEEK_END - timedelta(days=7), WEEK_END)


def _cpu_request(period: int) -> dict[str, Any]:
    query = stat("m1", "AWS/EC2", "CPUUtilization", {"InstanceId": "i-0abc"}, "Average", True)
    query["MetricStat"]["Period"] = period
    return {
        "MetricDataQueries": [query],
        "StartTime": ANY,
        "EndTime": ANY,
        "ScanBy": "TimestampAscending",
    }


def _points(moments: list[datetime], value: float = 12.0) -> dict[str, Any]:
    return {
        "MetricDataResults": [
            {
                "Id": "m1",
                "Label": "m1",
                "Timestamps": moments,
                "Values": [value] * len(moments),
                "StatusCode": "Complete",
            }
        ]
    }


def test_cloudwatch_a_series_younger_than_the_range_is_read_again_over_its_life(
    client: Any, stub: Stubber
) -> None:
    # An instance launched 30 minutes ago: at the week's 7-minute period it has 4 points.
    assert choose_period(WEEK) == 420
    coarse = [WEEK_END - timedelta(seconds=420 * k) for k in (4, 3, 2, 1)]
    fine = [WEEK_END - timedelta(minutes=k) for k in range(34, 0, -1)]
    stub.add_response("get_metric_data", _points(coarse), _cpu_request(420))
    stub.add_response("get_metric_data", _points(fine), _cpu_request(60))

    series = CloudWatchSource(SETTINGS, client).fetch(EC2, "cpu", WEEK)

    assert len(series) == 34
    assert any(n.startswith("younger than the range: read from") for n in series.notes)
    assert "at a 60 s period" in series.notes[-1]
    # "Too little history" names ranges at the period CloudWatch would read them at.
    assert series.step_for is period_for_range and series.window == WEEK.seconds
    assert period_for_range(WEEK.seconds) == 420 and period_for_range(3600) == 60


def test_cloudwatch_no_point_at_the_range_period_looks_in_the_last_period(
    client: Any, stub: Stubber
) -> None:
    # Launched 4 minutes ago: after the week's last whole period, which the first read ends on.
    stub.add_response("get_metric_data", _points([]), _cpu_request(420))
    minutes = [WEEK_END - timedelta(minutes=k) for k in (4, 3, 2, 1)]
    stub.add_response("get_metric_data", _points(minutes), _cpu_request(60))

    series = CloudWatchSource(SETTINGS, client).fetch(EC2, "cpu", WEEK)

    assert len(series) == 4  # judged "too little history", not "no data … check the region"


def test_cloudwatch_a_series_as_old_as_the_range_is_read_once(client: Any, stub: Stubber) -> None:
    start = datetime.fromtimestamp(-(-WEEK.start.timestamp() // 420) * 420, UTC)
    moments = [start + timedelta(seconds=420 * k) for k in range(1440)]
    moments = [m for m in moments if m <= WEEK_END]
    stub.add_response("get_metric_data", _points(moments), _cpu_request(420))

    series = CloudWatchSource(SETTINGS, client).fetch(EC2, "cpu", WEEK)

    assert len(series) == len(moments)
    assert not any(n.startswith("younger") for n in series.notes)


def test_cloudwatch_no_data_names_dimensions(client: Any, stub: Stubber) -> None:
    stub.add_response("get_metric_data", {"MetricDataResults": [result("m1", [], [])]})
    with pytest.raises(MetricsError) as caught:
        CloudWatchSource(SETTINGS, client).fetch(EC2, "memory", WINDOW)
    span = f"{START:%Y-%m-%dT%H:%M:%SZ}..{WINDOW.end:%Y-%m-%dT%H:%M:%SZ}"
    assert caught.value.one_line() == (
        f"no data for aws_instance.web[0] memory in {span}: "
        "check the region and the dimensions InstanceId=i-0abc"
    )


def test_cloudwatch_forbidden_status_is_an_error(client: Any, stub: Stubber) -> None:
    stub.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                result("m1", [], [], StatusCode="Forbidden", Messages=[{"Value": "denied"}])
            ]
        },
    )
    with pytest.raises(MetricsError, match=r"CloudWatch answered Forbidden .*: CloudWatch: denied"):
        CloudWatchSource(SETTINGS, client).fetch(EC2, "cpu", WINDOW)


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        ("AccessDenied", "cloudwatch:GetMetricData permission"),
        ("ExpiredToken", "refresh the AWS credentials"),
        ("Throttling", "try again later"),
        ("InvalidParameterValue", "check the metric blocks"),
    ],
)
def test_cloudwatch_client_error_is_one_line_with_hint(
    client: Any, stub: Stubber, code: str, hint: str
) -> None:
    stub.add_client_error("get_metric_data", code, "Something\nwent wrong")
    with pytest.raises(MetricsError) as caught:
        CloudWatchSource(SETTINGS, client).fetch(EC2, "cpu", WINDOW)
    assert caught.value.message == (
        f"CloudWatch refused the cpu query for aws_instance.web[0]: {code}: Something went wrong"
    )
    assert hint in (caught.value.hint or "")


def test_cloudwatch_unknown_metric_and_template_error(client: Any) -> None:
    source = CloudWatchSource(SETTINGS, client)
    with pytest.raises(MetricsError, match="no CloudWatch metric gpu for aws_instance"):
        source.fetch(EC2, "gpu", WINDOW)
    bare = ResourceRef("aws_instance.x", "aws_instance", "x", {})
    with pytest.raises(MetricsError, match=r"aws_instance\.x has no attribute id"):
        source.fetch(bare, "cpu", WINDOW)


@pytest.fixture
def no_aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.usefixtures("no_aws")
def test_cloudwatch_no_credentials_hint() -> None:
    settings = SourceSettings(
        kind="cloudwatch", name="cw", region="eu-west-1", endpoint_url="http://127.0.0.1:1"
    )
    with pytest.raises(MetricsError) as caught:
        CloudWatchSource(settings).fetch(EC2, "cpu", WINDOW)
    assert caught.value.message == "no AWS credentials for CloudWatch"
    assert "AWS_PROFILE" in (caught.value.hint or "")


@pytest.mark.usefixtures("no_aws")
def test_cloudwatch_no_region_hint() -> None:
    with pytest.raises(MetricsError, match='no AWS region for the metrics source "cw"'):
        CloudWatchSource(SourceSettings(kind="cloudwatch", name="cw")).fetch(EC2, "cpu", WINDOW)


def test_cloudwatch_unreachable_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = SourceSettings(
        kind="cloudwatch",
        name="cw",
        region="eu-west-1",
        endpoint_url=f"http://127.0.0.1:{port}",
        timeout=1.0,
        retries=0,
    )
    with pytest.raises(MetricsError) as caught:
        CloudWatchSource(settings).fetch(EC2, "cpu", WINDOW)
    assert caught.value.message == f"cannot reach CloudWatch at http://127.0.0.1:{port}/"
    assert "endpoint_url" in (caught.value.hint or "")
