from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tfshadow.errors import MetricsError, SettingsError
from tfshadow.metrics.base import MetricSource, ResourceRef
from tfshadow.metrics.cloudwatch import CloudWatchSource
from tfshadow.metrics.csvfile import CsvSource
from tfshadow.metrics.prometheus import PrometheusSource
from tfshadow.metrics.registry import matches, plan, sources_from_settings
from tfshadow.metrics.series_store import AgentSource
from tfshadow.settings.analysis import PrometheusQuery, ResourceMetricsSettings, SourceSettings

PROM = SourceSettings(
    kind="prometheus",
    name="prometheus",
    url="http://127.0.0.1:9090",
    queries=(PrometheusQuery("cpu", "a"), PrometheusQuery("memory", "b")),
)
SETTINGS = (
    PROM,
    SourceSettings(kind="cloudwatch", name="aws", region="eu-west-1"),
    SourceSettings(kind="csv", name="csv", path="metrics/${address}.csv"),
    SourceSettings(kind="agent", name="agent"),
)


def test_registry_builds_one_source_per_block(tmp_path: Path) -> None:
    sources = sources_from_settings(SETTINGS, tmp_path, tmp_path / "agent")
    assert list(sources) == ["prometheus", "aws", "csv", "agent"]
    assert isinstance(sources["prometheus"], PrometheusSource)
    assert isinstance(sources["aws"], CloudWatchSource)
    assert isinstance(sources["csv"], CsvSource)
    assert isinstance(sources["agent"], AgentSource)
    assert sources["agent"].directory == tmp_path / "agent"
    assert all(name == source.name for name, source in sources.items())


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ((PROM, PROM), 'two metrics blocks are named "prometheus"'),
        ((SourceSettings(kind="graphite", name="g", line=7),), 'line 7: unknown .* "graphite"'),
        ((SourceSettings(kind="csv", name="c", line=3),), "line 3: .* has no path"),
    ],
)
def test_registry_bad_settings(
    tmp_path: Path, settings: tuple[SourceSettings, ...], match: str
) -> None:
    with pytest.raises(SettingsError, match=match):
        sources_from_settings(settings, tmp_path, tmp_path)


@pytest.mark.parametrize(
    ("pattern", "address", "expected"),
    [
        ("aws_instance.*", "aws_instance.web", True),
        ("aws_instance.*", "aws_instance.web[0]", True),
        ("aws_instance.*", 'aws_instance.web["a"]', True),
        ("aws_instance.*", "module.x.aws_instance.web", False),
        ("aws_instance.*", "aws_instance_x.web", False),
        ("module.x.aws_instance.*", "module.x.aws_instance.web[1]", True),
        ("*aws_instance.*", "module.x.aws_instance.web", True),
        ("aws_instance.web[0]", "aws_instance.web[0]", True),
        ("aws_instance.web[0]", "aws_instance.web0", False),
        ("aws_instance.web?1?", "aws_instance.web[1]", True),
        ("aws_instance.web", "aws_instance.web[0]", False),
    ],
)
def test_registry_glob_matches_full_address(pattern: str, address: str, expected: bool) -> None:
    assert matches(pattern, address) is expected


def test_registry_plan_first_mapping_wins(tmp_path: Path) -> None:
    sources = sources_from_settings(SETTINGS, tmp_path, tmp_path / "agent")
    web0 = ResourceRef("aws_instance.web[0]", "aws_instance", "web", {"id": "i-1"})
    web1 = ResourceRef("aws_instance.web[1]", "aws_instance", "web", {"id": "i-2"})
    db = ResourceRef("aws_db_instance.main", "aws_db_instance", "main", {"identifier": "m"})
    bucket = ResourceRef("aws_s3_bucket.logs", "aws_s3_bucket", "logs")
    mappings = (
        ResourceMetricsSettings("aws_instance.web[1]", "prometheus", metrics=("memory",)),
        ResourceMetricsSettings("aws_instance.*", "prometheus"),
        ResourceMetricsSettings("*", "aws"),
    )
    work = plan([web0, web1, db, bucket], mappings, sources)
    assert [(r.address, s.name, m) for r, s, m in work] == [
        ("aws_instance.web[0]", "prometheus", "cpu"),
        ("aws_instance.web[0]", "prometheus", "memory"),
        ("aws_instance.web[1]", "prometheus", "memory"),
        ("aws_db_instance.main", "aws", "cpu"),
        ("aws_db_instance.main", "aws", "memory"),
        ("aws_db_instance.main", "aws", "network_io"),
        ("aws_db_instance.main", "aws", "disk_io"),
    ]


def test_registry_plan_unknown_source(tmp_path: Path) -> None:
    mappings = (ResourceMetricsSettings("*", "graphite", line=12),)
    with pytest.raises(SettingsError, match=r'line 12: .* uses source "graphite"'):
        plan([], mappings, {})


def test_registry_plan_metric_names_errors(tmp_path: Path) -> None:
    sources: dict[str, MetricSource] = dict(
        sources_from_settings(SETTINGS, tmp_path, tmp_path / "agent")
    )
    web = ResourceRef("aws_instance.web", "aws_instance", "web")
    mappings = (ResourceMetricsSettings("*", "csv"),)
    with pytest.raises(MetricsError, match="no metrics file"):
        plan([web], mappings, sources)
    heard: list[tuple[str, str]] = []
    assert (
        plan([web], mappings, sources, on_error=lambda r, e: heard.append((r.address, e.message)))
        == []
    )
    assert heard[0][0] == "aws_instance.web" and "no metrics file" in heard[0][1]


def test_registry_import_and_sources_stay_light(tmp_path: Path) -> None:
    # requests, boto3 and psutil load on the first fetch: `tfshadow log` never pays for them.
    code = (
        "import sys, pathlib;"
        "from tfshadow.metrics.registry import sources_from_settings;"
        "from tfshadow.settings.analysis import SourceSettings as S;"
        "s = (S('prometheus', 'p', url='http://x'), S('cloudwatch', 'c'), S('agent', 'a'),"
        "     S('csv', 'f', path='m.csv'));"
        f"sources_from_settings(s, pathlib.Path({str(tmp_path)!r}), pathlib.Path('.'));"
        "print(sorted(m for m in ('requests', 'boto3', 'botocore', 'psutil') if m in sys.modules))"
    )
    root = Path(__file__).parents[3]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout.strip() == "[]"
