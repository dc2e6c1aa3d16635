from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from tfshadow.errors import MetricsError
from tfshadow.metrics.base import ResourceRef, TimeRange
from tfshadow.metrics.series_store import AgentSource, SeriesWriter, resource_of, safe_name

ADDRESS = 'module.app.aws_instance.web["a b/c"]'
WEB = ResourceRef(ADDRESS, "aws_instance", "web", {})
T0 = 1714521600.0  # 2024-05-01T00:00:00Z
DAY = TimeRange(datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 2, tzinfo=UTC))


def test_series_store_safe_name_is_one_reversible_file_name() -> None:
    name = safe_name(ADDRESS)
    assert "/" not in name and '"' not in name and " " not in name
    assert resource_of(name) == ADDRESS
    assert safe_name("aws_instance.web[0]") != safe_name("aws_instance.web_0_")


def test_series_store_writes_csv_the_agent_source_reads(tmp_path: Path) -> None:
    with SeriesWriter(tmp_path, ADDRESS) as writer:
        writer.write(T0, {"cpu": 12.5, "memory": 40.0, "gpu": 1.0})
        writer.write(T0 + 10.25, {"cpu": 13.0, "memory": float("nan")})
    folder = tmp_path / safe_name(ADDRESS)
    assert (folder / "cpu.csv").read_text() == (
        "timestamp,value\n1714521600.000,12.5\n1714521610.250,13.0\n"
    )
    source = AgentSource(tmp_path)
    assert source.name == "agent"
    assert source.metric_names(WEB) == ("cpu", "memory", "gpu")
    cpu = source.fetch(WEB, "cpu", DAY)
    assert (cpu.resource, cpu.metric, cpu.source) == (ADDRESS, "cpu", "agent")
    assert cpu.values.tolist() == [12.5, 13.0]
    assert cpu.timestamps[1] == np.datetime64(int(T0 * 1000) + 10_250, "ms")
    memory = source.fetch(WEB, "memory", DAY)
    assert np.isnan(memory.values[1]) and memory.notes == ()


def test_series_store_appends_across_runs_and_mends_torn_line(tmp_path: Path) -> None:
    with SeriesWriter(tmp_path, ADDRESS) as writer:
        writer.write(T0, {"cpu": 1.0})
    path = tmp_path / safe_name(ADDRESS) / "cpu.csv"
    with path.open("a") as handle:
        handle.write("17145216")  # a crash in the middle of a row
    with SeriesWriter(tmp_path, ADDRESS) as writer:
        writer.write(T0 + 10, {"cpu": 3.0})
    series = AgentSource(tmp_path).fetch(WEB, "cpu", DAY)
    assert series.values.tolist() == [1.0, 3.0]
    assert series.notes == ("1 row skipped: line 3: expected 2 fields, found 1",)


def test_series_store_second_writer_is_refused(tmp_path: Path) -> None:
    with SeriesWriter(tmp_path, ADDRESS), SeriesWriter(tmp_path, "aws_instance.other") as other:
        other.write(T0, {"cpu": 1.0})  # another resource has its own lock
        with pytest.raises(MetricsError) as caught:
            SeriesWriter(tmp_path, ADDRESS).open()
        assert caught.value.message == (
            f"another agent is recording {ADDRESS} in {tmp_path} (pid {os.getpid()})"
        )
    with SeriesWriter(tmp_path, ADDRESS) as again:  # released on close
        again.write(T0, {"cpu": 2.0})


def test_series_store_bad_metric_name(tmp_path: Path) -> None:
    with SeriesWriter(tmp_path, ADDRESS) as writer, pytest.raises(MetricsError, match="file name"):
        writer.write(T0, {"../x": 1.0})


def test_series_store_source_errors(tmp_path: Path) -> None:
    source = AgentSource(tmp_path, name="local")
    assert source.metric_names(WEB) == ()
    with pytest.raises(MetricsError) as caught:
        source.fetch(WEB, "cpu", DAY)
    assert caught.value.message == f"the agent has recorded no cpu for {ADDRESS} in {tmp_path}"
    assert caught.value.hint == f"run `tfshadow agent --resource {ADDRESS}` where it runs"
    with SeriesWriter(tmp_path, ADDRESS) as writer:
        writer.write(T0, {"cpu": 1.0})
    later = TimeRange(DAY.end, DAY.end + timedelta(hours=1))
    with pytest.raises(MetricsError, match=r"^no data for .* cpu in 2024-05-02T00:00:00Z"):
        source.fetch(WEB, "cpu", later)
