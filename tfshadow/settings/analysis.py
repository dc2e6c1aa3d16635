"""The settings objects of the predictive engine: metric sources, which resources use them,
how series are analysed, and where recommendations are sent.

The blocks of ``tfshadow.hcl`` they come from::

    metrics "prometheus" {                       # label: the source kind; a second label names it
      url     = "http://127.0.0.1:9090"
      timeout = 10                               # seconds per HTTP request
      retries = 2
      query "cpu" { expr = "…${attr.private_ip}…" }
    }
    metrics "cloudwatch" {
      region = "eu-west-1"
      metric "cpu" {
        namespace  = "AWS/EC2"
        name       = "CPUUtilization"
        stat       = "Average"
        dimensions = { InstanceId = "${attr.id}" }
      }
    }
    metrics "csv"   { path = "metrics/${address}.csv" }
    metrics "agent" {}                           # series written by `tfshadow agent`
    resource_metrics "aws_instance.*" {
      source      = "prometheus"
      metrics     = ["cpu", "memory"]            # default: every metric the source defines
      sensitivity = "high"
    }
    analysis {
      sensitivity        = "medium"              # low | medium | high | a number of std devs
      model              = "default"
      since              = "7d"
      horizon            = "2h"
      soak               = "1h"
      attribution_window = "1h"
      scheduler          = "tcp://dask.internal:8786"   # judge on a Dask cluster (or a *.json
      scheduler_timeout  = "10s"                        #  scheduler file); unset: this machine
    }
    metric "memory" { sensitivity = "high"  model = "ets"  above = 95 }
    metric "disk"   { resolution = 1 }           # whole percent: a move of one step is rounding
    metric "heap"   { trouble = "above" }        # a fall (a restart) is no trouble; below | both
    alerts { webhook = "https://hooks.example/…"  min_severity = "warning" }
    profile "db-latency" {                       # a reversion profile (tfshadow.profiles)
      resource_types = ["aws_db_instance"]       # and/or resources = [globs], tags = { k = "v" }
      trigger { metric = "latency_ms"  above = 250  for = "5m" }
      trigger { metric = "cpu"  anomaly = "high" }
      trigger { metric = "disk"  above = 90  forecast_breach_within = "2h" }
      action   = "revert"                        # recommend | activate_ghost | revert
      to       = "previous"                      # previous | last-good | a version number
      cooldown = "30m"
    }

Strings that interpolate resource values (``${attr.NAME}``, ``${address}``, ``${type}``,
``${name}``) or the metric being read (``${metric}``) are kept as their template text: escapes
decoded, a literal ``${`` written ``$${``; :mod:`tfshadow.metrics.template` fills them in.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

SOURCE_KINDS = ("prometheus", "cloudwatch", "csv", "agent")
MODELS = ("default", "ets", "theta", "seasonal", "arima", "autoarima", "lstm")
SENSITIVITY_WORDS = ("low", "medium", "high")
# The fewest σ a sensitivity may be: a deviation is ongoing while its points stay at least 1σ
# off, so below that a lasting shift would pass for a recovery; and 0.5 or 0.9 is mostly a
# fraction typed for a number of standard deviations.
LOWEST_SENSITIVITY = 1.0
SEVERITIES = ("info", "warning", "critical")
# Which side of its forecast is trouble for a metric: a departure only to the other side (memory
# falling at a restart when ``above`` is) is information, never a reason to revert.
TROUBLE = ("above", "below", "both")

_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_DURATION = re.compile(rf"(?:{_NUMBER}[smhdw])+")
_DURATION_PART = re.compile(rf"({_NUMBER})([smhdw])")
MAX_DURATION = 100 * 365 * 86400.0
"""The longest duration a settings file may give: longer ones overflow dates and timers."""


def parse_duration(text: str) -> float:
    """Seconds in a duration such as ``"90s"``, ``"15m"``, ``"2h"``, ``"7d"``, ``"1w"`` or
    ``"1h30m"``; a bare number is seconds. Raises ValueError (with a message that says what a
    duration looks like) for anything else, including negative values."""
    spelled = text.strip()
    seconds: float | None = None
    if re.fullmatch(_NUMBER, spelled):
        seconds = float(spelled)
    elif _DURATION.fullmatch(spelled):
        seconds = sum(
            float(number) * _UNIT_SECONDS[unit] for number, unit in _DURATION_PART.findall(spelled)
        )
    if seconds is None or not math.isfinite(seconds):
        raise ValueError(
            f"{text!r} is not a duration: write a number of seconds, or numbers with units "
            "s, m, h, d or w, such as 90s, 15m, 2h, 7d or 1h30m"
        )
    return seconds


SCHEDULER_SCHEMES = ("tcp", "tls")


def scheduler_problem(value: str) -> str | None:
    """Why ``value`` is neither a Dask scheduler address (``tcp://host:8786``, ``tls://…``) nor
    the path of a scheduler file (``*.json``, as ``dask scheduler --scheduler-file`` writes),
    as a phrase ("must …"); None when it is one of them."""
    text = value.strip()
    expected = (
        "must be a Dask scheduler address such as tcp://scheduler:8786 (or tls://…), "
        f"or the path of a scheduler file (*.json), got {value!r}"
    )
    if "://" not in text:
        return None if text.endswith(".json") and len(text) > len(".json") else expected
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        return expected
    if parts.scheme not in SCHEDULER_SCHEMES or not parts.hostname or port is None:
        return expected
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return expected
    return None


Sensitivity = str | float
"""``low``, ``medium``, ``high``, or a positive number of standard deviations."""


@dataclass(frozen=True)
class PrometheusQuery:
    metric: str
    expr: str  # PromQL template


@dataclass(frozen=True)
class CloudWatchMetric:
    metric: str
    namespace: str
    name: str
    stat: str = "Average"
    dimensions: tuple[tuple[str, str], ...] = ()  # (dimension name, value template)


@dataclass(frozen=True)
class SourceSettings:
    """One ``metrics`` block. ``name`` is the second label, or the kind when there is none.

    Only the fields of its ``kind`` are used; ``options`` keeps any kind-specific extras.
    """

    kind: str
    name: str
    line: int = 0
    url: str | None = None  # prometheus
    timeout: float = 10.0
    retries: int = 2
    queries: tuple[PrometheusQuery, ...] = ()
    region: str | None = None  # cloudwatch
    endpoint_url: str | None = None
    cloudwatch_metrics: tuple[CloudWatchMetric, ...] = ()
    path: str | None = None  # csv: a path template, relative to the working directory
    options: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class ResourceMetricsSettings:
    """One ``resource_metrics "<address glob>"`` block."""

    pattern: str
    source: str
    metrics: tuple[str, ...] = ()  # empty: every metric the source defines
    sensitivity: Sensitivity | None = None
    line: int = 0


@dataclass(frozen=True)
class MetricSettings:
    """One ``metric "<name>"`` block: per-metric model, sensitivity, breach thresholds, the
    step its values are measured to (None: read from the values; 0: every step counts), and
    which side of the forecast is trouble (None: both)."""

    name: str
    sensitivity: Sensitivity | None = None
    model: str | None = None
    above: float | None = None
    below: float | None = None
    resolution: float | None = None
    trouble: str | None = None


@dataclass(frozen=True)
class AnalysisSettings:
    """The ``analysis`` block. Durations are in seconds."""

    sensitivity: Sensitivity = "medium"
    model: str = "default"
    since: float = 7 * 86400.0
    horizon: float = 2 * 3600.0
    soak: float = 3600.0
    attribution_window: float = 3600.0
    scheduler: str | None = None  # a Dask scheduler's address, or the path of its scheduler file
    scheduler_timeout: float = 10.0


@dataclass(frozen=True)
class AlertSettings:
    webhook: str | None = None
    min_severity: str = "warning"
    timeout: float = 10.0


ACTIONS = ("recommend", "activate_ghost", "revert")
"""Profile actions, least to most strict: a resource matched by several profiles gets the
strictest (``revert`` changes the infrastructure back; ``activate_ghost`` starts a standby
copy; ``recommend`` only speaks)."""


@dataclass(frozen=True)
class TriggerSettings:
    """One ``trigger {}`` of a profile: a limit held ``for`` a while, an anomaly at a
    sensitivity, or a forecast breach within a horizon. Durations in seconds."""

    metric: str
    above: float | None = None
    below: float | None = None
    anomaly: Sensitivity | None = None
    for_seconds: float = 0.0
    forecast_breach_within: float | None = None
    line: int = 0


@dataclass(frozen=True)
class ProfileSettings:
    """One ``profile "<name>"`` block. ``to`` is ``previous``, ``last-good`` or a version
    number as text; ``tags`` are (key, value) pairs a resource's tags or labels must hold."""

    name: str
    resource_types: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    triggers: tuple[TriggerSettings, ...] = ()
    action: str = "recommend"
    to: str = "previous"
    cooldown: float = 1800.0
    line: int = 0


@dataclass(frozen=True)
class MetricsSettings:
    """Everything the predictive engine reads from ``tfshadow.hcl``."""

    sources: tuple[SourceSettings, ...] = ()
    resources: tuple[ResourceMetricsSettings, ...] = ()
    metrics: tuple[MetricSettings, ...] = ()
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    profiles: tuple[ProfileSettings, ...] = ()

    def source(self, name: str) -> SourceSettings | None:
        return next((s for s in self.sources if s.name == name), None)

    def metric(self, name: str) -> MetricSettings | None:
        return next((m for m in self.metrics if m.name == name), None)
