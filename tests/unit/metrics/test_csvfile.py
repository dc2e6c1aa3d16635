from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from tfshadow.errors import MetricsError
from tfshadow.metrics.base import ResourceRef, TimeRange
from tfshadow.metrics.csvfile import CsvSource, read_rows, read_series_csv
from tfshadow.settings.analysis import SourceSettings

WEB = ResourceRef("aws_instance.web[0]", "aws_instance", "web", {"id": "i-1"})
DB = ResourceRef("aws_db_instance.main", "aws_db_instance", "main", {})
DAY = TimeRange(datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 2, tzinfo=UTC))
T0 = 1714521600  # 2024-05-01T00:00:00Z


def csv_source(path: str, workdir: Path) -> CsvSource:
    return CsvSource(SourceSettings(kind="csv", name="files", path=path), workdir)


def test_csv_timestamp_formats(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        "Timestamp, Value\n"
        "2024-05-01T00:00:00Z,1\n"
        "2024-05-01 01:00:00,2\n"  # naive: UTC
        "2024-05-01T04:00:00+02:00,3\n"
        f"{T0 + 3 * 3600},4\n"  # epoch seconds
        f"{(T0 + 4 * 3600) * 1000 + 500},5\n"  # epoch milliseconds
        f"{T0 + 5 * 3600}.25,6\n"
    )
    series = read_series_csv(path, "aws_instance.web", "cpu")
    assert series.resource == "aws_instance.web" and series.metric == "cpu"
    expected = [
        "2024-05-01T00:00:00",
        "2024-05-01T01:00:00",
        "2024-05-01T02:00:00",
        "2024-05-01T03:00:00",
        "2024-05-01T04:00:00.500",
        "2024-05-01T05:00:00.250",
    ]
    np.testing.assert_array_equal(series.timestamps, np.array(expected, dtype="datetime64[ns]"))
    assert series.values.tolist() == [1, 2, 3, 4, 5, 6]
    assert series.notes == ()


def test_csv_rows_are_sorted_and_missing_values_are_nan(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(f"timestamp,value\n{T0 + 60},2\n{T0},\n{T0 + 30},NaN\n{T0 + 90},inf\n\n")
    series = read_series_csv(path)
    np.testing.assert_array_equal(series.values, [np.nan, np.nan, 2.0, np.nan])
    assert (np.diff(series.timestamps).astype(np.int64) > 0).all()


def test_csv_bad_rows_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        f"timestamp,value\n{T0},1\n{T0 + 60},2\nx,3\n{T0 + 120},abc\n{T0 + 180},4,5\n{T0 + 240},5\n"
    )
    series = read_series_csv(path)
    assert series.values.tolist() == [1, 2, 5]
    assert series.notes == ("3 rows skipped: line 4: bad timestamp 'x'",)


def test_csv_read_rows_keeps_every_row_for_detect(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(f"timestamp,value\n{T0},1\nyesterday,2\n{T0 + 60},oops\n{T0 + 120},3\n7\n")
    rows = read_rows(path)
    assert rows.lines == (2, 3, 4, 5, 6)
    assert rows.timestamp_text == (str(T0), "yesterday", str(T0 + 60), str(T0 + 120), "7")
    assert np.isnat(rows.timestamps).tolist() == [False, True, False, False, True]
    np.testing.assert_array_equal(rows.values, [1.0, 2.0, np.nan, 3.0, np.nan])
    assert [p for _, p in rows.problems] == [
        "line 3: bad timestamp 'yesterday'",
        "line 4: bad value 'oops'",
        "line 6: expected 2 fields, found 1",
    ]
    assert [i for i, _ in rows.problems] == [1, 2, 4]


def test_csv_long_format_filters_resource_and_metric(tmp_path: Path) -> None:
    path = tmp_path / "all.csv"
    path.write_text(
        "timestamp,resource,metric,value,unit\n"
        f"{T0},aws_instance.web[0],cpu,10,%\n"
        f"{T0},aws_instance.web[0],memory,50,%\n"
        f"{T0},aws_db_instance.main,cpu,99,%\n"
        f"{T0 + 60},aws_instance.web[0],cpu,20,%\n"
        f"{T0 + 60},aws_instance.web[0],queue_depth,3,n\n"
    )
    source = csv_source("all.csv", tmp_path)
    assert source.metric_names(WEB) == ("cpu", "memory", "queue_depth")
    assert source.metric_names(DB) == ("cpu",)
    assert source.fetch(WEB, "cpu", DAY).values.tolist() == [10, 20]
    assert source.fetch(DB, "cpu", DAY).values.tolist() == [99]
    with pytest.raises(MetricsError, match=r"no usable rows for aws_db_instance\.main memory"):
        source.fetch(DB, "memory", DAY)
    with pytest.raises(MetricsError, match="has a resource column"):
        read_series_csv(path, metric="cpu")


def test_csv_path_template_per_resource_and_metric(tmp_path: Path) -> None:
    folder = tmp_path / "metrics" / "aws_instance.web[0]"
    folder.mkdir(parents=True)
    (folder / "cpu.csv").write_text(f"timestamp,value\n{T0},1\n")
    (folder / "disk_io.csv").write_text(f"timestamp,value\n{T0},7\n")
    (folder / "gpu.csv").write_text(f"timestamp,value\n{T0},9\n")
    source = csv_source("metrics/${address}/${metric}.csv", tmp_path)
    assert source.name == "files"
    # Only the standard metrics are offered; other files are read when a mapping names them.
    assert source.metric_names(WEB) == ("cpu", "disk_io")
    assert source.fetch(WEB, "gpu", DAY).values.tolist() == [9]
    with pytest.raises(MetricsError, match=r"no metrics file for aws_db_instance\.main"):
        source.metric_names(DB)
    with pytest.raises(MetricsError, match=r"no metrics file .*memory\.csv"):
        source.fetch(WEB, "memory", DAY)


def test_csv_two_column_file_without_metric_in_path(tmp_path: Path) -> None:
    (tmp_path / "i-1.csv").write_text(f"timestamp,value\n{T0},42\n")
    source = csv_source("${attr.id}.csv", tmp_path)
    assert source.metric_names(WEB) == ("value",)
    series = source.fetch(WEB, "cpu", DAY)
    assert (series.metric, series.source, series.values.tolist()) == ("cpu", "files", [42])


def test_csv_fetch_filters_range_and_says_when_empty(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text(
        f"timestamp,value\n{T0 - 60},0\n{T0},1\n{T0 + 86400},2\n{T0 + 86460},3\n"
    )
    source = csv_source("m.csv", tmp_path)
    assert source.fetch(WEB, "cpu", DAY).values.tolist() == [1, 2]
    later = TimeRange(DAY.end + timedelta(days=5), DAY.end + timedelta(days=6))
    with pytest.raises(MetricsError) as caught:
        source.fetch(WEB, "cpu", later)
    assert caught.value.message.startswith("no data for aws_instance.web[0] cpu in 2024-05-07")
    assert caught.value.hint == (
        f"{tmp_path / 'm.csv'} has data for 2024-04-30T23:59:00Z..2024-05-02T00:01:00Z only"
    )


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "is empty"),
        (f"{T0},1\n", "expected a header timestamp,value"),
        ("time,value\n1,2\n", "expected a header"),
        ("timestamp,value\n", "no usable rows in"),
        ("timestamp,value\nx,y\n", r"no usable rows in .* \(1 row skipped: line 2: bad timestamp"),
        # An unbalanced quote runs to the end of the file: one bad row.
        ('timestamp,value\n"1,2\n', r"1 row skipped: line 2: expected 2 fields, found 1"),
    ],
)
def test_csv_unusable_file_is_an_error(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(MetricsError, match=match):
        read_series_csv(path)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        (f"{T0},1\n", "add the header line timestamp,value before the rows"),
        ("\ufeffTime,CPU %\r\n2024-05-01 00:00:00,1\r\n", "rename its columns timestamp and"),
        ("Time;CPU %\r\n2024-05-01 00:00:00;1,5\r\n", "separated by semicolons: export it"),
        ("timestamp\tvalue\n", "separated by tabs: export it with commas"),
    ],
)
def test_csv_wrong_header_says_what_to_change(tmp_path: Path, text: str, hint: str) -> None:
    # A spreadsheet's export has a header: "add the header line" sent users after a wrong fix.
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MetricsError, match="expected a header") as caught:
        read_series_csv(path)
    assert hint in caught.value.hint


def test_csv_missing_file_and_missing_path(tmp_path: Path) -> None:
    with pytest.raises(MetricsError, match=r"no metrics file .*aws_instance\.web\[0\]\.csv"):
        csv_source("${address}.csv", tmp_path).fetch(WEB, "cpu", DAY)
    with pytest.raises(MetricsError, match="has no path"):
        CsvSource(SourceSettings(kind="csv", name="files"), tmp_path)


def test_csv_utf8_bom_header(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbftimestamp,value\r\n" + f"{T0},1\r\n".encode())
    assert read_series_csv(path).values.tolist() == [1.0]
