from __future__ import annotations

from pathlib import Path

import pytest

from tfshadow.errors import SettingsError
from tfshadow.settings import load_settings
from tfshadow.settings.analysis import (
    SOURCE_KINDS,
    AlertSettings,
    AnalysisSettings,
    CloudWatchMetric,
    MetricSettings,
    MetricsSettings,
    PrometheusQuery,
    ResourceMetricsSettings,
    SourceSettings,
    parse_duration,
)
from tfshadow.settings.load import parse_blocks
from tfshadow.settings.schema import BLOCKS, METRICS

# A typical file (its long query line is split here only to fit the line length).
EXAMPLE = (
    r"""metrics "prometheus" {
  url = "http://127.0.0.1:9090"
  query "cpu" { expr = "100 - avg(rate(node_cpu_seconds_total{mode=\"idle\","""
    r"""instance=\"${attr.private_ip}:9100\"}[1m]))*100" }
}
metrics "cloudwatch" { region = "eu-west-1" }
metrics "csv" { path = "metrics/${address}.csv" }
resource_metrics "aws_instance.*" { source = "prometheus" }
"""
)

CPU_EXPR = (
    "100 - avg(rate(node_cpu_seconds_total"
    '{mode="idle",instance="${attr.private_ip}:9100"}[1m]))*100'
)


def metrics_of(workdir: Path, text: str) -> MetricsSettings:
    (workdir / "tfshadow.hcl").write_text(text)
    return load_settings(workdir, {}).metrics


def error_of(workdir: Path, text: str) -> SettingsError:
    (workdir / "tfshadow.hcl").write_text(text)
    with pytest.raises(SettingsError) as caught:
        load_settings(workdir, {})
    assert caught.value.hint
    assert "\n" not in caught.value.message
    return caught.value


def test_metrics_settings_example_file_loads(tmp_path: Path) -> None:
    metrics = metrics_of(tmp_path, EXAMPLE)
    assert metrics.sources == (
        SourceSettings(
            kind="prometheus",
            name="prometheus",
            line=1,
            url="http://127.0.0.1:9090",
            queries=(PrometheusQuery(metric="cpu", expr=CPU_EXPR),),
        ),
        SourceSettings(kind="cloudwatch", name="cloudwatch", line=5, region="eu-west-1"),
        SourceSettings(kind="csv", name="csv", line=6, path="metrics/${address}.csv"),
    )
    assert metrics.resources == (
        ResourceMetricsSettings(pattern="aws_instance.*", source="prometheus", line=7),
    )
    assert metrics.source("csv") is metrics.sources[2]
    assert metrics.analysis == AnalysisSettings()
    assert metrics.alerts == AlertSettings()


def test_metrics_settings_without_blocks_are_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path, {}).metrics == MetricsSettings()
    assert metrics_of(tmp_path, 'store {\n  path = "x"\n}\n') == MetricsSettings()


def test_metrics_settings_every_block_and_key(tmp_path: Path) -> None:
    metrics = metrics_of(
        tmp_path,
        """
        metrics "prometheus" "prom-eu" {
          url     = "https://prom.example:9090/"
          timeout = 2.5
          retries = 0
          query "cpu" { expr = "cpu{i=\\"${attr.id}\\"}" }
          query "memory" { expr = "mem" }
        }
        metrics "cloudwatch" {
          region       = "eu-west-1"
          endpoint_url = "http://localhost:4566"
          metric "cpu" {
            namespace  = "AWS/EC2"
            name       = "CPUUtilization"
            stat       = "Maximum"
            dimensions = { InstanceId = "${attr.id}", "Kind" = "web" }
          }
          metric "disk_io" {
            namespace = "AWS/EBS"
            name      = "VolumeReadOps"
          }
        }
        metrics "agent" {}
        metrics "agent" "remote" {}
        resource_metrics "aws_instance.web[*]" {
          source      = "prom-eu"
          metrics     = ["cpu", "memory"]
          sensitivity = "high"
        }
        resource_metrics "aws_db_instance.*" {
          source      = "cloudwatch"
          sensitivity = 2
        }
        analysis {
          sensitivity        = 2.5
          model              = "ets"
          since              = "30d"
          horizon            = 5400
          soak               = "0s"
          attribution_window = "1h30m"
        }
        metric "memory" {
          sensitivity = "low"
          model       = "theta"
          above       = 95
          below       = 0.5
        }
        metric "cpu" {}
        metric "disk" { resolution = 1 }
        metric "errors" { resolution = 0 }
        metric "heap" { trouble = "above" }
        alerts {
          webhook      = "https://hooks.example/T0/B0"
          min_severity = "critical"
          timeout      = 3
        }
        """,
    )
    prom, cloudwatch, agent, remote = metrics.sources
    assert (prom.kind, prom.name, prom.line) == ("prometheus", "prom-eu", 2)
    assert (prom.url, prom.timeout, prom.retries) == ("https://prom.example:9090/", 2.5, 0)
    assert prom.queries == (
        PrometheusQuery("cpu", 'cpu{i="${attr.id}"}'),
        PrometheusQuery("memory", "mem"),
    )
    assert (cloudwatch.region, cloudwatch.endpoint_url) == ("eu-west-1", "http://localhost:4566")
    assert cloudwatch.cloudwatch_metrics == (
        CloudWatchMetric(
            metric="cpu",
            namespace="AWS/EC2",
            name="CPUUtilization",
            stat="Maximum",
            dimensions=(("InstanceId", "${attr.id}"), ("Kind", "web")),
        ),
        CloudWatchMetric(metric="disk_io", namespace="AWS/EBS", name="VolumeReadOps"),
    )
    assert cloudwatch.cloudwatch_metrics[1].stat == "Average"
    assert (agent.kind, agent.name, agent.path) == ("agent", "agent", None)
    assert (remote.kind, remote.name) == ("agent", "remote")
    assert metrics.resources == (
        ResourceMetricsSettings(
            pattern="aws_instance.web[*]",
            source="prom-eu",
            metrics=("cpu", "memory"),
            sensitivity="high",
            line=25,
        ),
        ResourceMetricsSettings(
            pattern="aws_db_instance.*", source="cloudwatch", sensitivity=2.0, line=30
        ),
    )
    assert isinstance(metrics.resources[1].sensitivity, float)
    assert metrics.analysis == AnalysisSettings(
        sensitivity=2.5,
        model="ets",
        since=30 * 86400.0,
        horizon=5400.0,
        soak=0.0,
        attribution_window=5400.0,
    )
    assert metrics.metrics == (
        MetricSettings(name="memory", sensitivity="low", model="theta", above=95.0, below=0.5),
        MetricSettings(name="cpu"),
        MetricSettings(name="disk", resolution=1.0),
        MetricSettings(name="errors", resolution=0.0),
        MetricSettings(name="heap", trouble="above"),
    )
    assert metrics.metric("cpu") == MetricSettings(name="cpu")
    assert isinstance(metrics.metrics[2].resolution, float)
    assert metrics.alerts == AlertSettings(
        webhook="https://hooks.example/T0/B0", min_severity="critical", timeout=3.0
    )


def test_metrics_settings_variants_are_the_source_kinds() -> None:
    assert tuple(v.name for v in METRICS.variants) == SOURCE_KINDS


@pytest.mark.parametrize(
    ("hcl_string", "template"),
    [
        (r'"100 - avg(x{mode=\"idle\"})"', '100 - avg(x{mode="idle"})'),
        (r'"a\\b\tc\nd\re\u00e9"', "a\\b\tc\nd\re\u00e9"),
        (r'"lit $${attr.id} then ${attr.id}"', "lit $${attr.id} then ${attr.id}"),
        (r'"a$${b}c"', "a$${b}c"),
        (r'"%%{ x }"', "%{ x }"),
        (r'"${ address }/${type}.${name}"', "${address}/${type}.${name}"),
        (r'"${attr.tags.Name}-${attr.private_ip}"', "${attr.tags.Name}-${attr.private_ip}"),
        (r'"${attr.nic.0.ip}/${metric}"', "${attr.nic.0.ip}/${metric}"),
        (r'"\\${attr.id}"', "\\${attr.id}"),
        (r'"plain"', "plain"),
    ],
)
def test_metrics_settings_template_text_is_decoded(
    tmp_path: Path, hcl_string: str, template: str
) -> None:
    metrics = metrics_of(
        tmp_path,
        f'metrics "prometheus" {{\n  url = "http://p"\n  query "q" {{ expr = {hcl_string} }}\n}}\n',
    )
    assert metrics.sources[0].queries[0].expr == template


def test_metrics_settings_empty_expr_is_an_error(tmp_path: Path) -> None:
    error = error_of(
        tmp_path, 'metrics "prometheus" {\n  url = "http://p"\n  query "q" { expr = "" }\n}\n'
    )
    assert error.message == (
        'tfshadow.hcl:3: setting `expr` in block `query "q"` of `metrics "prometheus"` '
        "must not be empty"
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ('"${var.x}"', "refers to `${var.x}`, which tfshadow cannot fill in"),
        ('"a${attr}b"', "refers to `${attr}`, which tfshadow cannot fill in"),
        ('"${attr["x"]}"', 'refers to `${attr["x"]}`, which tfshadow cannot fill in'),
        ('"${upper(name)}"', "refers to `${upper(name)}`, which tfshadow cannot fill in"),
        ('"${self.id}"', "refers to `${self.id}`"),
        ('"${attr.0}"', "refers to `${attr.0}`"),
        ('"${metrics}"', "refers to `${metrics}`"),
        ('"%{ if true }x%{ endif }"', "uses the template directive `%{if true}`"),
        ("var.x", "must be a string, got an expression (only quoted strings work here"),
        ("5", "must be a string, got a whole number"),
        ("<<EOT\nx\nEOT\n", "must be a quoted string, got a heredoc"),
    ],
)
def test_metrics_settings_bad_template_names_line_and_allowed_references(
    tmp_path: Path, value: str, problem: str
) -> None:
    error = error_of(tmp_path, f'\nmetrics "csv" {{\n  path = {value}\n}}\n')
    assert error.message.startswith(
        f'tfshadow.hcl:3: setting `path` in block `metrics "csv"` {problem}'
    )
    assert "${attr.NAME}, ${address}, ${type}, ${name}, ${workspace} and ${metric}" in error.message


def test_metrics_settings_bad_dimension_names_its_line(tmp_path: Path) -> None:
    error = error_of(
        tmp_path,
        'metrics "cloudwatch" {\n  metric "cpu" {\n    namespace = "AWS/EC2"\n'
        '    name = "CPUUtilization"\n    dimensions = {\n      A = "${attr.id}"\n'
        '      B = "${var.id}"\n    }\n  }\n}\n',
    )
    assert error.message.startswith(
        'tfshadow.hcl:7: setting `dimensions` in block `metric "cpu"` of `metrics "cloudwatch"` '
        "refers to `${var.id}`"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'metrics "influx" {}\n',
            'tfshadow.hcl:1: block `metrics` has unknown kind "influx" '
            "(allowed: prometheus, cloudwatch, csv, agent)",
        ),
        ("metrics {}\n", "tfshadow.hcl:1: block `metrics` needs a label (kind)"),
        (
            'metrics "csv" "a" "b" { path = "x" }\n',
            "tfshadow.hcl:1: block `metrics` takes at most 2 labels (kind, name), got 3",
        ),
        (
            'metrics "csv" { path = "a" }\n\nmetrics "csv" { path = "b" }\n',
            'tfshadow.hcl:3: block `metrics` named "csv" appears twice (first at line 1)',
        ),
        (
            'metrics "csv" "prometheus" { path = "a" }\n'
            'metrics "prometheus" { url = "http://p" }\n',
            'tfshadow.hcl:2: block `metrics` named "prometheus" appears twice (first at line 1)',
        ),
        (
            'metrics "prometheus" {\n  url = "http://p"\n  region = "eu-west-1"\n}\n',
            'tfshadow.hcl:3: setting `region` in block `metrics "prometheus"` is a setting of '
            '`metrics "cloudwatch"` blocks (allowed for prometheus: url, timeout, retries)',
        ),
        (
            'metrics "csv" {\n  path = "x"\n  url = "http://p"\n}\n',
            'tfshadow.hcl:3: setting `url` in block `metrics "csv"` is a setting of '
            '`metrics "prometheus"` blocks (allowed for csv: path)',
        ),
        (
            'metrics "prometheus" {\n  url = "http://p"\n  colour = 1\n}\n',
            'tfshadow.hcl:3: unknown setting `colour` in block `metrics "prometheus"` '
            "(allowed: url, timeout, retries)",
        ),
        (
            'metrics "prometheus" {\n  url = "http://p"\n  metric "cpu" {}\n}\n',
            'tfshadow.hcl:3: unknown block `metric` in block `metrics "prometheus"` '
            "(allowed blocks: query)",
        ),
        (
            'metrics "csv" {\n  path = "x"\n  query "cpu" {}\n}\n',
            'tfshadow.hcl:3: unknown block `query` in block `metrics "csv"` '
            "(allowed settings: path)",
        ),
        (
            'metrics "prometheus" {\n}\n',
            'tfshadow.hcl:1: block `metrics "prometheus"` needs setting `url`',
        ),
        ('metrics "csv" {}\n', 'tfshadow.hcl:1: block `metrics "csv"` needs setting `path`'),
        (
            'metrics "prometheus" { url = "ftp://p" }\n',
            'tfshadow.hcl:1: setting `url` in block `metrics "prometheus"` must be an http:// '
            "or https:// URL, got a ftp:// URL (ftp://p/…)",
        ),
        (
            'metrics "prometheus" {\n  url = "http://p"\n  timeout = 0\n}\n',
            'tfshadow.hcl:3: setting `timeout` in block `metrics "prometheus"` '
            "must be greater than 0, got 0",
        ),
        (
            'metrics "prometheus" {\n  url = "http://p"\n  retries = -1\n}\n',
            'tfshadow.hcl:3: setting `retries` in block `metrics "prometheus"` '
            "must be at least 0, got -1",
        ),
        (
            'metrics "prometheus" {\n  url = "http://p"\n  query "cpu" {}\n}\n',
            'tfshadow.hcl:3: block `query "cpu"` of `metrics "prometheus"` needs setting `expr`',
        ),
        (
            'metrics "prometheus" {\n  url = "http://p"\n  query "cpu" { expr = "a" }\n'
            '  query "cpu" { expr = "b" }\n}\n',
            'tfshadow.hcl:4: block `query "cpu"` of `metrics "prometheus"` appears twice '
            "(first at line 3)",
        ),
        (
            'metrics "cloudwatch" {\n  metric "cpu" { namespace = "AWS/EC2" }\n}\n',
            'tfshadow.hcl:2: block `metric "cpu"` of `metrics "cloudwatch"` needs setting `name`',
        ),
        (
            'metrics "cloudwatch" {\n  metric {}\n}\n',
            'tfshadow.hcl:2: block `metric` of `metrics "cloudwatch"` needs a label (metric)',
        ),
        (
            'resource_metrics "aws_instance.*" {}\n',
            'tfshadow.hcl:1: block `resource_metrics "aws_instance.*"` needs setting `source`',
        ),
        (
            "resource_metrics {}\n",
            "tfshadow.hcl:1: block `resource_metrics` needs a label (address glob)",
        ),
        (
            'resource_metrics "a" { source = "csv" }\nresource_metrics "a" { source = "csv" }\n',
            'tfshadow.hcl:2: block `resource_metrics "a"` appears twice (first at line 1)',
        ),
        (
            'resource_metrics "a" {\n  source = "csv"\n  metrics = ["cpu", "cpu"]\n}\n',
            'tfshadow.hcl:3: setting `metrics` in block `resource_metrics "a"` '
            "must not repeat 'cpu'",
        ),
        ('analysis "x" {}\n', "tfshadow.hcl:1: block `analysis` takes no labels"),
        (
            "analysis {}\nalerts {}\nanalysis {}\n",
            "tfshadow.hcl:3: block `analysis` appears twice (first at line 1)",
        ),
        (
            'analysis { model = "magic" }\n',
            "tfshadow.hcl:1: setting `model` in block `analysis` must be one of default, ets, "
            "theta, seasonal, arima, autoarima, lstm, got 'magic'",
        ),
        ('metric "" {}\n', "tfshadow.hcl:1: block `metric` has an empty name label"),
        (
            'metrics "agent" { path = "x" }\n',
            'tfshadow.hcl:1: setting `path` in block `metrics "agent"` is a setting of '
            '`metrics "csv"` blocks (allowed for agent: none)',
        ),
        (
            'metric "m" {}\nmetric "m" {}\n',
            'tfshadow.hcl:2: block `metric "m"` appears twice (first at line 1)',
        ),
        (
            'metric "m" {\n  above = 10\n  below = 20\n}\n',
            'tfshadow.hcl:3: settings `below` (20) and `above` (10) in block `metric "m"` '
            "leave no normal range",
        ),
        (
            'metric "disk" {\n  resolution = -1\n}\n',
            'tfshadow.hcl:2: setting `resolution` in block `metric "disk"` must be the step the '
            "metric is measured to, 0 or more (1 for whole percent, 0 for a metric where every "
            "step counts), got -1",
        ),
        (
            'metric "heap" { trouble = "up" }\n',
            'tfshadow.hcl:1: setting `trouble` in block `metric "heap"` must be one of above, '
            "below, both, got 'up'",
        ),
        (
            'metric "disk" { resolution = "1%" }\n',
            'tfshadow.hcl:1: setting `resolution` in block `metric "disk"` must be a number, '
            "got a string",
        ),
        (
            'alerts { webhook = "hooks.example/x" }\n',
            "tfshadow.hcl:1: setting `webhook` in block `alerts` must be an http:// or https:// "
            "URL, got text without a scheme and a host",
        ),
        (
            # A webhook's path is its secret, and a metrics URL may carry a password: a
            # rejected one is described, not echoed.
            'alerts { webhook = "hooks.slack.com/services/T0/B0/s3cr3t-path" }\n',
            "tfshadow.hcl:1: setting `webhook` in block `alerts` must be an http:// or https:// "
            "URL, got text without a scheme and a host",
        ),
        (
            'alerts { webhook = "ftp://user:s3cr3t-pass@hooks.example/s3cr3t-path" }\n',
            "tfshadow.hcl:1: setting `webhook` in block `alerts` must be an http:// or https:// "
            "URL, got a ftp:// URL (ftp://hooks.example/…)",
        ),
        (
            'metrics "prometheus" "p" { url = "prom:s3cr3t-pass@host:9090" }\n',
            'tfshadow.hcl:1: setting `url` in block `metrics "prometheus" "p"` must be an '
            "http:// or https:// URL, got a prom: URL without a host",
        ),
        (
            'alerts { webhook = "https://[s3cr3t-path" }\n',
            "tfshadow.hcl:1: setting `webhook` in block `alerts` must be an http:// or https:// "
            "URL, got one that cannot be read (Invalid IPv6 URL)",
        ),
        (
            'alerts { min_severity = "fatal" }\n',
            "tfshadow.hcl:1: setting `min_severity` in block `alerts` must be one of info, "
            "warning, critical, got 'fatal'",
        ),
    ],
)
def test_metrics_settings_error_names_line_and_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    assert error_of(tmp_path, text).message == message


def test_metrics_settings_unknown_source_names_line_and_declared(tmp_path: Path) -> None:
    error = error_of(
        tmp_path,
        'metrics "csv" { path = "a" }\nmetrics "prometheus" "eu" { url = "http://p" }\n'
        'resource_metrics "aws_instance.*" {\n  source = "prometheus"\n}\n',
    )
    assert error.message == (
        'tfshadow.hcl:4: setting `source` in block `resource_metrics "aws_instance.*"` names '
        "no metrics source 'prometheus' (declared: csv, eu)"
    )
    error = error_of(tmp_path, 'resource_metrics "x" { source = "csv" }\n')
    assert error.message.endswith("names no metrics source 'csv' (no `metrics` block is declared)")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ('"extreme"', "must be low, medium, high or a positive number, got 'extreme'"),
        ("0", "must be low, medium, high or a positive number, got 0"),
        ("-1.5", "must be low, medium, high or a positive number, got -1.5"),
        ("0.5", "must be at least 1 (a number of standard deviations, not a fraction), got 0.5"),
        ("true", "must be a string or a number, got true or false"),
        ('["high"]', "must be a string or a number, got a list"),
    ],
)
def test_metrics_settings_bad_sensitivity_is_an_error(
    tmp_path: Path, value: str, problem: str
) -> None:
    for block in ("analysis", 'metric "cpu"', 'resource_metrics "x"'):
        error = error_of(tmp_path, f"{block} {{\n  sensitivity = {value}\n}}\n")
        assert error.message == (
            f"tfshadow.hcl:2: setting `sensitivity` in block `{block}` {problem}"
        )


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("since", '"7x"', "must be a duration such as 90s, 15m, 2h, 7d or 1w, got '7x'"),
        ("horizon", '"2 h"', "must be a duration such as 90s, 15m, 2h, 7d or 1w, got '2 h'"),
        ("soak", '"-1h"', "must be a duration such as 90s, 15m, 2h, 7d or 1w, got '-1h'"),
        ("soak", "-5", "must be at least 0, got -5"),
        ("since", "0", "must be longer than 0, got 0"),
        ("horizon", '"0m"', "must be longer than 0, got '0m'"),
        ("attribution_window", "true", "must be a string or a number, got true or false"),
        ("since", '"99999999999d"', "must be at most 100 years, got '99999999999d'"),
        ("soak", "1e20", "must be at most 100 years, got 1e+20"),
    ],
)
def test_metrics_settings_bad_duration_is_an_error(
    tmp_path: Path, key: str, value: str, problem: str
) -> None:
    error = error_of(tmp_path, f"analysis {{\n  {key} = {value}\n}}\n")
    assert error.message == f"tfshadow.hcl:2: setting `{key}` in block `analysis` {problem}"


def test_metrics_settings_durations_are_seconds(tmp_path: Path) -> None:
    analysis = metrics_of(
        tmp_path,
        'analysis {\n  since = "1w"\n  horizon = "90s"\n  soak = 60\n'
        '  attribution_window = "0.5h"\n}\n',
    ).analysis
    assert (analysis.since, analysis.horizon, analysis.soak, analysis.attribution_window) == (
        7 * 86400.0,
        90.0,
        60.0,
        1800.0,
    )


def test_parse_blocks_keeps_lines_labels_and_nesting() -> None:
    parsed = parse_blocks(EXAMPLE, "tfshadow.hcl", BLOCKS)
    assert list(parsed) == ["metrics", "resource_metrics"]
    prometheus = parsed["metrics"][0]
    assert (prometheus.title, prometheus.line, prometheus.lines) == (
        'metrics "prometheus"',
        1,
        {"url": 2},
    )
    (query,) = prometheus.blocks_of("query")
    assert (query.labels, query.line, query.values) == (("cpu",), 3, {"expr": CPU_EXPR})


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90.0),
        ("15m", 900.0),
        ("2h", 7200.0),
        ("7d", 604800.0),
        ("1w", 604800.0),
        ("1h30m", 5400.0),
        ("1.5h", 5400.0),
        ("3600", 3600.0),
        ("0.25", 0.25),
        (" 7d ", 604800.0),
        ("0s", 0.0),
    ],
)
def test_parse_duration_reads_units(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text", ["", "7x", "-1h", "h", "1 h", "7D", "1e3", "nan", "inf", "9" * 400]
)
def test_parse_duration_rejects_other_text(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration: write a number of seconds"):
        parse_duration(text)
