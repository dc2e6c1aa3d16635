"""From settings to sources, and from resources to the series to fetch.

Matching (``resource_metrics "<glob>"``): the glob is matched against the full instance address;
``*`` matches any run of characters (dots and brackets included), ``?`` any one character, and
everything else only itself, so ``aws_instance.web[0]`` is a literal address. ``aws_instance.*``
matches ``aws_instance.web`` and ``aws_instance.web[0]`` but not ``module.x.aws_instance.web``:
write ``module.x.aws_instance.*`` (or ``*aws_instance.*``) for resources in modules. The first
matching block wins, so put specific globs before general ones. A resource no block matches
is not analysed.

The sources' libraries are imported by the source modules when they are used, and the source
modules only when a source of their kind is configured.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from tfshadow.errors import MetricsError, SettingsError
from tfshadow.metrics.base import MetricSource, ResourceRef
from tfshadow.settings.analysis import ResourceMetricsSettings, SourceSettings


def sources_from_settings(
    settings: tuple[SourceSettings, ...], workdir: Path, agent_dir: Path
) -> dict[str, MetricSource]:
    """One source per ``metrics`` block, by name. CSV paths are relative to ``workdir``; the
    agent source reads the series store in ``agent_dir``.
    """
    sources: dict[str, MetricSource] = {}
    for block in settings:
        if block.name in sources:
            raise SettingsError(
                f'two metrics blocks are named "{block.name}" (line {block.line})',
                'give the second a name: metrics "<kind>" "<name>" { … }',
            )
        sources[block.name] = _source(block, workdir, agent_dir)
    return sources


def _source(block: SourceSettings, workdir: Path, agent_dir: Path) -> MetricSource:
    try:
        if block.kind == "prometheus":
            from tfshadow.metrics.prometheus import PrometheusSource

            return PrometheusSource(block)
        if block.kind == "cloudwatch":
            from tfshadow.metrics.cloudwatch import CloudWatchSource

            return CloudWatchSource(block)
        if block.kind == "csv":
            from tfshadow.metrics.csvfile import CsvSource

            return CsvSource(block, workdir)
        if block.kind == "agent":
            from tfshadow.metrics.series_store import AgentSource

            return AgentSource(agent_dir, block.name)
    except MetricsError as exc:
        # A block missing what its kind needs is a settings problem, found before any fetch.
        raise SettingsError(f"tfshadow.hcl line {block.line}: {exc.message}", exc.hint) from None
    raise SettingsError(
        f'tfshadow.hcl line {block.line}: unknown metrics source kind "{block.kind}"',
        "use prometheus, cloudwatch, csv or agent",
    )


def matches(pattern: str, address: str) -> bool:
    """Whether ``address`` matches the ``resource_metrics`` glob ``pattern``."""
    return _compile(pattern).match(address) is not None


def mapping_for(
    address: str, mappings: Sequence[ResourceMetricsSettings]
) -> ResourceMetricsSettings | None:
    """The ``resource_metrics`` block that decides for ``address``: the first that matches."""
    return next((m for m in mappings if matches(m.pattern, address)), None)


def _compile(pattern: str) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


def plan(
    resources: Sequence[ResourceRef],
    mappings: tuple[ResourceMetricsSettings, ...],
    sources: Mapping[str, MetricSource],
    *,
    on_error: Callable[[ResourceRef, MetricsError], None] | None = None,
) -> list[tuple[ResourceRef, MetricSource, str]]:
    """Which metric of which resource to fetch from which source, in resource order.

    A resource takes the first mapping whose glob matches it; its metrics are the mapping's
    ``metrics``, or every metric the source offers for it. When asking the source fails
    (a CSV file missing…), ``on_error`` hears of it and the resource is left out; without
    ``on_error`` the :class:`MetricsError` propagates. A mapping naming no configured source
    raises :class:`SettingsError`.
    """
    compiled = []
    for mapping in mappings:
        source = sources.get(mapping.source)
        if source is None:
            known = ", ".join(f'"{name}"' for name in sources) or "none"
            raise SettingsError(
                f'tfshadow.hcl line {mapping.line}: resource_metrics "{mapping.pattern}" uses '
                f'source "{mapping.source}", which no metrics block defines',
                f"define it, or use one of: {known}",
            )
        compiled.append((_compile(mapping.pattern), mapping, source))
    work: list[tuple[ResourceRef, MetricSource, str]] = []
    for resource in resources:
        found = next(
            ((m, s) for rx, m, s in compiled if rx.match(resource.address) is not None), None
        )
        if found is None:
            continue
        mapping, source = found
        metrics = mapping.metrics
        if not metrics:
            try:
                metrics = source.metric_names(resource)
            except MetricsError as exc:
                if on_error is None:
                    raise
                on_error(resource, exc)
                continue
        work.extend((resource, source, metric) for metric in metrics)
    return work
