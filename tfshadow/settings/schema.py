"""What ``tfshadow.hcl`` may contain, and the settings objects built from it.

Each top-level block is declared once, as a :class:`BlockSchema`: its name, its labels, its
allowed keys with their types and bounds, the blocks it may contain, and whether it may be
repeated. The loader (``load.py``) is generic over :data:`BLOCKS`, so adding a simple block
(unique, unlabelled) means:

1. a frozen dataclass for its settings (with defaults);
2. a ``BlockSchema`` listing its keys and a ``build`` function, appended to :data:`BLOCKS`;
3. a field of that dataclass's type on :class:`Settings`, named like the block.

Blocks that take labels or are repeated, or several blocks that make one object together (the
predictive engine's ``metrics``, ``resource_metrics``, ``analysis``, ``metric``, ``alerts`` and
``profile``),
have no ``build`` of their own: a :class:`Section` of :data:`SECTIONS` builds a field of
:class:`Settings` from their :class:`ParsedBlock` s.

Unknown blocks and keys, wrong labels, repeats, wrong types and out-of-range values are reported
by the loader with the file and line; builders only see values that passed the declared checks.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from tfshadow import env
from tfshadow.errors import SettingsError
from tfshadow.settings.analysis import (
    ACTIONS,
    LOWEST_SENSITIVITY,
    MAX_DURATION,
    MODELS,
    SENSITIVITY_WORDS,
    SEVERITIES,
    TROUBLE,
    AlertSettings,
    AnalysisSettings,
    CloudWatchMetric,
    MetricSettings,
    MetricsSettings,
    ProfileSettings,
    PrometheusQuery,
    ResourceMetricsSettings,
    Sensitivity,
    SourceSettings,
    TriggerSettings,
    parse_duration,
    scheduler_problem,
)

SETTINGS_FILE = "tfshadow.hcl"
DEFAULT_STORE_DIR = ".tfshadow"
DEFAULT_KEYFRAME_INTERVAL = 25


# --- the settings objects ----------------------------------------------------------------------


LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")
DEFAULT_LOCK_DAYS = 365
DAY = 86400.0


@dataclass(frozen=True)
class MirrorSettings:
    """The store's ``mirror "s3"`` block: an S3-compatible bucket holding a copy of every version.

    ``prefix`` has no leading or trailing ``/`` ("" for the bucket's top). ``endpoint`` None is
    AWS's own endpoint for the region. With ``object_lock``, every object is uploaded under S3
    Object Lock in ``lock_mode``, retained for ``lock_days`` days from its upload (the block's
    ``retain`` duration, in whole days: S3 retention counts days).
    """

    bucket: str
    prefix: str = ""
    endpoint: str | None = None
    region: str | None = None
    object_lock: bool = False
    lock_mode: str = LOCK_MODES[0]
    lock_days: int = DEFAULT_LOCK_DAYS
    kind: str = "s3"


@dataclass(frozen=True)
class StoreSettings:
    """Where versions are kept.

    ``path`` is the resolved absolute store directory; it is None only when ``branch`` is set
    (the store is then an orphan branch of the configuration's own git repository).
    ``retain`` None keeps every version reconstructible.
    """

    path: Path | None = None
    branch: str | None = None
    remote: str | None = None
    retain: int | None = None
    keyframe_interval: int = DEFAULT_KEYFRAME_INTERVAL
    pull_before_record: bool = True
    mirror: MirrorSettings | None = None


@dataclass(frozen=True)
class TerraformSettings:
    """Which Terraform runs: ``binary`` None means the embedded engine."""

    binary: str | None = None
    where: str | None = None  # "tfshadow.hcl:LINE" of `binary`, for errors found when it runs


@dataclass(frozen=True)
class GhostSettings:
    """The ``ghost`` block: resources that always have a ghost, and their traffic switches
    (original address -> ``TARGET=ATTRIBUTE`` strings, see :mod:`tfshadow.ghost.traffic`)."""

    resources: tuple[str, ...] = ()
    traffic: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """A project's settings; ``source`` is the file they were read from (None: defaults)."""

    store: StoreSettings
    terraform: TerraformSettings = field(default_factory=TerraformSettings)
    ghost: GhostSettings = field(default_factory=GhostSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    source: Path | None = None


# --- the schema --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """One allowed setting inside a block.

    ``kind`` is one of str, int, float, bool, list (a list of ``item`` values), dict (an object
    of ``item`` values), or a tuple of them when several types are accepted.
    ``check`` returns an error phrase ("must …") for a value of the right type, or None;
    ``convert`` then turns the checked value into the one stored (seconds from "2h"…).
    ``template`` (str, or dict of str) accepts quoted strings that interpolate resource values
    (``${attr.NAME}``, ``${address}``, ``${type}``, ``${name}``, ``${workspace}``,
    ``${metric}``) and stores their template text, which :mod:`tfshadow.metrics.template`
    fills in.
    """

    name: str
    kind: type | tuple[type, ...]
    item: type | None = None
    minimum: int | None = None
    choices: tuple[str, ...] = ()
    check: Callable[[Any], str | None] | None = None
    required: bool = False
    template: bool = False
    convert: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class Label:
    """One label of a block: what it means (``kind``, ``name``…), and its allowed values."""

    name: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class BuildContext:
    """What builders may consult besides the file: the working dir, environment and file name."""

    workdir: Path
    environ: Mapping[str, str]
    filename: str = SETTINGS_FILE


@dataclass(frozen=True)
class ParsedBlock:
    """A block of the file that passed its schema: its values (only keys that were set), the
    line of each, and the blocks nested in it, in file order."""

    type: str
    labels: tuple[str, ...]
    line: int
    values: Mapping[str, Any]
    lines: Mapping[str, int] = field(default_factory=dict)
    blocks: tuple[ParsedBlock, ...] = ()

    def blocks_of(self, type_: str) -> tuple[ParsedBlock, ...]:
        return tuple(b for b in self.blocks if b.type == type_)

    @property
    def title(self) -> str:
        """The block as written: ``metrics "prometheus"``."""
        return " ".join((self.type, *(f'"{label}"' for label in self.labels)))


@dataclass(frozen=True)
class BlockSchema:
    """A block: its labels, keys, keys that exclude each other, nested blocks, and (for a
    simple top-level block) how to build its object.

    ``build`` receives the values set in the file (only keys that were set; the block may be
    absent altogether, in which case the mapping is empty) and returns the settings object.
    Blocks without ``build`` are built by a :class:`Section`.

    ``labels`` says what each label means; the first ``min_labels`` are required (None: all).
    A ``repeatable`` block may appear many times, keyed by ``identity(labels)`` (default: the
    labels themselves); the same key twice is an error. A repeatable block without labels (a
    profile's ``trigger``) has no key: each one is an item of a list. ``variants`` are schemas
    chosen by the first label (each variant's ``name`` is that label's value): the block then
    takes the variant's keys and nested blocks instead of its own.
    """

    name: str
    keys: tuple[Key, ...]
    build: Callable[[Mapping[str, Any], BuildContext], Any] | None = None
    exclusive: tuple[tuple[str, str], ...] = ()
    labels: tuple[Label, ...] = ()
    min_labels: int | None = None
    repeatable: bool = False
    identity: Callable[[tuple[str, ...]], str] | None = None
    duplicate_hint: str | None = None
    blocks: tuple[BlockSchema, ...] = ()
    variants: tuple[BlockSchema, ...] = ()

    def key(self, name: str) -> Key | None:
        return next((k for k in self.keys if k.name == name), None)

    def variant(self, label: str) -> BlockSchema | None:
        return next((v for v in self.variants if v.name == label), None)

    @property
    def allowed(self) -> str:
        return ", ".join(k.name for k in self.keys)

    @property
    def label_range(self) -> tuple[int, int]:
        """The fewest and most labels the block takes."""
        most = len(self.labels)
        return (most if self.min_labels is None else self.min_labels), most

    def label_choices(self, index: int) -> tuple[str, ...]:
        if index == 0 and self.variants:
            return tuple(v.name for v in self.variants)
        return self.labels[index].choices


@dataclass(frozen=True)
class Section:
    """A field of :class:`Settings` built from several blocks read together.

    ``build`` receives every top-level block of the file that passed its schema, by block name
    (absent blocks: no entry), and may reject combinations the schemas cannot see alone.
    """

    field: str
    build: Callable[[Mapping[str, tuple[ParsedBlock, ...]], BuildContext], Any]


def _non_empty(value: Any) -> str | None:
    return "must not be empty" if isinstance(value, str) and not value.strip() else None


_BAD_REF = re.compile(r"(^[-/.])|([/.]$)|\.\.|@\{|//|\.lock$|[\s~^:?*\[\\\x00-\x1f\x7f]")


def _branch_name(value: Any) -> str | None:
    if not isinstance(value, str) or not value or _BAD_REF.search(value) or value == "@":
        return "must be a valid git branch name"
    return None


def resolve_path(value: str, workdir: Path) -> Path:
    """A settings path: ``~`` expanded, relative to the working directory, made absolute."""
    path = Path(os.path.expanduser(value))
    if not path.is_absolute():
        path = workdir / path
    return Path(os.path.abspath(path))


def _http_url_check(value: Any) -> str | None:
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
    except ValueError as exc:  # a bracketed host that is no IPv6 address
        return f"must be an http:// or https:// URL, got one that cannot be read ({exc})"
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        shown = re.sub(r"(?<=://)[^/@\s]+@", "***@", str(value))
        return f"must be an http:// or https:// URL, got {shown!r}"
    if parts.username or parts.password:
        return "must not carry credentials (boto3 reads them from the environment or a profile)"
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        return "must be an http:// or https:// URL with a numeric port"
    return None


def _build_store(values: Mapping[str, Any], ctx: BuildContext) -> StoreSettings:
    branch: str | None = values.get("branch")
    raw_path: str | None = values.get("path")
    override = ctx.environ.get(env.TFSHADOW_STORE, "").strip()
    if override:
        # The environment names the store directory outright, which rules out the branch store.
        raw_path, branch = override, None
    path = None
    if raw_path is not None:
        path = resolve_path(raw_path, ctx.workdir)
    elif branch is None:
        path = resolve_path(DEFAULT_STORE_DIR, ctx.workdir)
    return StoreSettings(
        path=path,
        branch=branch,
        remote=values.get("remote"),
        retain=values.get("retain"),
        keyframe_interval=values.get("keyframe_interval", DEFAULT_KEYFRAME_INTERVAL),
        pull_before_record=values.get("pull_before_record", True),
    )


def _build_terraform(
    blocks: Mapping[str, tuple[ParsedBlock, ...]], ctx: BuildContext
) -> TerraformSettings:
    found = blocks.get("terraform", ())
    if not found or "binary" not in found[0].values:
        return TerraformSettings()
    block = found[0]
    return TerraformSettings(
        binary=block.values["binary"], where=f"{ctx.filename}:{block.lines['binary']}"
    )


_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def _bucket_name(value: Any) -> str | None:
    if not _BUCKET.fullmatch(value) or ".." in value:
        return (
            "must be an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens), "
            f"got {value!r}"
        )
    return None


def _key_prefix(value: Any) -> str | None:
    parts = value.strip("/").split("/")
    if value.strip("/") and any(part in ("", ".", "..") for part in parts):
        return f"must be a plain key prefix such as prod/network, got {value!r}"
    return None


def _seconds(value: Any) -> float:
    return parse_duration(value) if isinstance(value, str) else float(value)


def _duration(positive: bool) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        try:
            seconds = _seconds(value)
        except ValueError:
            return f"must be a duration such as 90s, 15m, 2h, 7d or 1w, got {value!r}"
        if seconds < 0 or (positive and seconds == 0):
            return f"must be {'longer than 0' if positive else 'at least 0'}, got {value!r}"
        if not seconds <= MAX_DURATION:
            return f"must be at most 100 years, got {value!r}"
        return None

    return check


def _duration_key(name: str, positive: bool) -> Key:
    return Key(name, (str, float), check=_duration(positive), convert=_seconds)


MIRROR = BlockSchema(
    name="mirror",
    keys=(),
    labels=(Label("kind"),),
    duplicate_hint="a store has one mirror: keep one of the blocks",
    variants=(
        BlockSchema(
            name="s3",
            keys=(
                Key("bucket", str, check=_bucket_name, required=True),
                Key("prefix", str, check=_key_prefix),
                Key("endpoint", str, check=_http_url_check),
                Key("region", str, check=_non_empty),
                Key("object_lock", bool),
                Key("lock_mode", str, choices=LOCK_MODES),
                _duration_key("retain", positive=True),
            ),
        ),
    ),
)

# Built by the "store" section (SECTIONS), not by a `build` of its own: the mirror is a nested
# block, which a block's `build` does not see.
STORE = BlockSchema(
    name="store",
    keys=(
        Key("path", str, check=_non_empty),
        Key("branch", str, check=_branch_name),
        Key("remote", str, check=_non_empty),
        Key("retain", int, minimum=1),
        Key("keyframe_interval", int, minimum=1),
        Key("pull_before_record", bool),
    ),
    exclusive=(("path", "branch"),),
    blocks=(MIRROR,),
)


def _build_mirror(block: ParsedBlock, ctx: BuildContext) -> MirrorSettings:
    values, lines = block.values, block.lines
    object_lock = bool(values.get("object_lock", False))
    for name in ("lock_mode", "retain"):
        if name in values and not object_lock:
            raise SettingsError(
                f"{ctx.filename}:{lines[name]}: setting `{name}` in block `{block.title}` of "
                "`store` has no effect without `object_lock = true`",
                f"add `object_lock = true`, or remove `{name}`",
            )
    endpoint = values.get("endpoint")
    return MirrorSettings(
        kind=block.labels[0],
        bucket=values["bucket"],
        prefix=values.get("prefix", "").strip("/"),
        endpoint=endpoint.rstrip("/") if endpoint else None,
        region=values.get("region"),
        object_lock=object_lock,
        lock_mode=values.get("lock_mode", LOCK_MODES[0]),
        lock_days=(
            max(1, math.ceil(values["retain"] / DAY)) if "retain" in values else DEFAULT_LOCK_DAYS
        ),
    )


def _build_store_section(
    blocks: Mapping[str, tuple[ParsedBlock, ...]], ctx: BuildContext
) -> StoreSettings:
    found = blocks.get("store", ())
    settings = _build_store(found[0].values if found else {}, ctx)
    mirrors = found[0].blocks_of("mirror") if found else ()
    if not mirrors:
        return settings
    return replace(settings, mirror=_build_mirror(mirrors[0], ctx))


TERRAFORM = BlockSchema(
    name="terraform",
    keys=(Key("binary", str, check=_non_empty),),
)


def _traffic_map(value: Any) -> str | None:
    from tfshadow.errors import GhostError
    from tfshadow.ghost.traffic import parse_all

    for address, switches in value.items():
        if not isinstance(switches, list) or not all(isinstance(s, str) for s in switches):
            return f'must map each address to a list of "TARGET=ATTRIBUTE" strings ({address})'
        try:
            parse_all(switches)
        except GhostError as exc:
            return f"has a bad switch for {address}: {exc.message}"
    return None


def _build_ghost(values: Mapping[str, Any], ctx: BuildContext) -> GhostSettings:
    resources = tuple(values.get("resources", ()))
    traffic = {k: tuple(v) for k, v in values.get("traffic", {}).items()}
    stray = sorted(set(traffic) - set(resources))
    if stray:
        raise SettingsError(
            f"{ctx.filename}: ghost: traffic names {', '.join(stray)}, which is not in resources",
            "add it to resources, or remove its traffic entry",
        )
    return GhostSettings(resources=resources, traffic=traffic)


GHOST = BlockSchema(
    name="ghost",
    keys=(
        Key("resources", list, item=str),
        Key("traffic", dict, check=_traffic_map),
    ),
    build=_build_ghost,
)

# --- the predictive engine's blocks (settings objects in analysis.py) ----------------------------

TEMPLATE_REFERENCES = "${attr.NAME}, ${address}, ${type}, ${name}, ${workspace} and ${metric}"


def _http_url(value: Any) -> str | None:
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
    except ValueError as exc:  # a bracketed host that is no IPv6 address
        return f"must be an http:// or https:// URL, got one that cannot be read ({exc})"
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        return f"must be an http:// or https:// URL, got {_url_outline(parts)}"
    return None


def _url_outline(parts: SplitResult | None) -> str:
    """A rejected URL described by its scheme and host alone: a webhook's path is its secret,
    and a metrics source's URL may carry a password."""
    if parts is None:
        return "a value that is not text"
    if not parts.scheme or parts.scheme.startswith("/"):
        return "text without a scheme and a host"
    if not parts.hostname:
        return f"a {parts.scheme}: URL without a host"
    return f"a {parts.scheme}:// URL ({parts.scheme}://{parts.hostname}/…)"


def _scheduler_value(value: str | None, ctx: BuildContext) -> str | None:
    """An address as written; a scheduler file relative to the working directory."""
    if value is None or "://" in value:
        return value.strip() if value else None
    return str(resolve_path(value.strip(), ctx.workdir))


def _positive(value: Any) -> str | None:
    return None if value > 0 else f"must be greater than 0, got {value}"


def _resolution(value: Any) -> str | None:
    if not math.isfinite(value) or value < 0:
        return (
            "must be the step the metric is measured to, 0 or more (1 for whole percent, "
            f"0 for a metric where every step counts), got {value}"
        )
    return None


def _sensitivity(value: Any) -> str | None:
    if isinstance(value, str):
        if value in SENSITIVITY_WORDS:
            return None
        return f"must be low, medium, high or a positive number, got {value!r}"
    if not value > 0:
        return f"must be low, medium, high or a positive number, got {value}"
    if value < LOWEST_SENSITIVITY:
        return (
            f"must be at least {LOWEST_SENSITIVITY:g} (a number of standard deviations, "
            f"not a fraction), got {value}"
        )
    return None


def _to_sensitivity(value: Any) -> Sensitivity:
    return value if isinstance(value, str) else float(value)


def _distinct(value: Any) -> str | None:
    repeated = sorted({item for item in value if value.count(item) > 1})
    return f"must not repeat {repeated[0]!r}" if repeated else None


def _sensitivity_key() -> Key:
    return Key("sensitivity", (str, float), check=_sensitivity, convert=_to_sensitivity)


PROMETHEUS_QUERY = BlockSchema(
    name="query",
    keys=(Key("expr", str, check=_non_empty, required=True, template=True),),
    labels=(Label("metric"),),
    repeatable=True,
)

CLOUDWATCH_METRIC = BlockSchema(
    name="metric",
    keys=(
        Key("namespace", str, check=_non_empty, required=True),
        Key("name", str, check=_non_empty, required=True),
        Key("stat", str, check=_non_empty),
        Key("dimensions", dict, item=str, template=True),
    ),
    labels=(Label("metric"),),
    repeatable=True,
)

METRICS = BlockSchema(
    name="metrics",
    keys=(),
    labels=(Label("kind"), Label("name")),
    min_labels=1,
    repeatable=True,
    # A source is known by its name, which is its kind unless a second label gives one.
    identity=lambda labels: labels[-1],
    duplicate_hint='give one of them a name of its own: metrics "<kind>" "<name>" { … }',
    variants=(
        BlockSchema(
            name="prometheus",
            keys=(
                Key("url", str, check=_http_url, required=True),
                Key("timeout", float, check=_positive, convert=float),
                Key("retries", int, minimum=0),
            ),
            blocks=(PROMETHEUS_QUERY,),
        ),
        BlockSchema(
            name="cloudwatch",
            keys=(Key("region", str, check=_non_empty), Key("endpoint_url", str, check=_http_url)),
            blocks=(CLOUDWATCH_METRIC,),
        ),
        BlockSchema(
            name="csv", keys=(Key("path", str, check=_non_empty, required=True, template=True),)
        ),
        BlockSchema(name="agent", keys=()),
    ),
)

RESOURCE_METRICS = BlockSchema(
    name="resource_metrics",
    keys=(
        Key("source", str, check=_non_empty, required=True),
        Key("metrics", list, item=str, check=_distinct),
        _sensitivity_key(),
    ),
    labels=(Label("address glob"),),
    repeatable=True,
)

ANALYSIS = BlockSchema(
    name="analysis",
    keys=(
        _sensitivity_key(),
        Key("model", str, choices=MODELS),
        _duration_key("since", positive=True),
        _duration_key("horizon", positive=True),
        _duration_key("soak", positive=False),
        _duration_key("attribution_window", positive=False),
        Key("scheduler", str, check=scheduler_problem),
        _duration_key("scheduler_timeout", positive=True),
    ),
)

METRIC = BlockSchema(
    name="metric",
    keys=(
        _sensitivity_key(),
        Key("model", str, choices=MODELS),
        Key("above", float, convert=float),
        Key("below", float, convert=float),
        Key("resolution", float, check=_resolution, convert=float),
        Key("trouble", str, choices=TROUBLE),
    ),
    labels=(Label("name"),),
    repeatable=True,
)

ALERTS = BlockSchema(
    name="alerts",
    keys=(
        Key("webhook", str, check=_http_url),
        Key("min_severity", str, choices=SEVERITIES),
        Key("timeout", float, check=_positive, convert=float),
    ),
)


def _names(value: Any) -> str | None:
    if not value:
        return "must not be empty (leave it out to select by the other settings)"
    if any(not item.strip() for item in value):
        return "must not contain empty strings"
    return _distinct(value)


def _string_map(value: Any) -> str | None:
    if not value:
        return "must not be empty (leave it out to select by the other settings)"
    for name, item in value.items():
        if not isinstance(item, str):
            return f"must map names to strings, got {type(item).__name__} for {name!r}"
    return None


def _revert_target(value: Any) -> str | None:
    if isinstance(value, int):
        return None if value >= 1 else f"must be a version number of 1 or more, got {value}"
    if value in ("previous", "last-good") or (_is_number(value) and int(value) >= 1):
        return None
    return f"must be previous, last-good or a version number, got {value!r}"


def _is_number(text: str) -> bool:
    # ASCII only: str.isdigit() also holds for "²", which int() refuses.
    return text.isascii() and text.isdigit()


def _revert_target_text(value: Any) -> str:
    return str(int(value)) if isinstance(value, int) or _is_number(value) else str(value)


TRIGGER = BlockSchema(
    name="trigger",
    keys=(
        Key("metric", str, check=_non_empty, required=True),
        Key("above", float, convert=float),
        Key("below", float, convert=float),
        Key("anomaly", (str, float), check=_sensitivity, convert=_to_sensitivity),
        _duration_key("for", positive=False),
        _duration_key("forecast_breach_within", positive=True),
    ),
    repeatable=True,
)

PROFILE = BlockSchema(
    name="profile",
    keys=(
        Key("resource_types", list, item=str, check=_names),
        Key("resources", list, item=str, check=_names),
        Key("tags", dict, check=_string_map),
        Key("action", str, choices=ACTIONS),
        Key("to", (str, int), check=_revert_target, convert=_revert_target_text),
        _duration_key("cooldown", positive=False),
    ),
    labels=(Label("name"),),
    repeatable=True,
    duplicate_hint="give each profile a name of its own",
    blocks=(TRIGGER,),
)


def _build_source(block: ParsedBlock) -> SourceSettings:
    values = block.values
    kind = block.labels[0]
    return SourceSettings(
        kind=kind,
        name=block.labels[-1],
        line=block.line,
        url=values.get("url"),
        timeout=values.get("timeout", SourceSettings.timeout),
        retries=values.get("retries", SourceSettings.retries),
        queries=tuple(
            PrometheusQuery(metric=q.labels[0], expr=q.values["expr"])
            for q in block.blocks_of("query")
        ),
        region=values.get("region"),
        endpoint_url=values.get("endpoint_url"),
        cloudwatch_metrics=tuple(
            CloudWatchMetric(
                metric=m.labels[0],
                namespace=m.values["namespace"],
                name=m.values["name"],
                stat=m.values.get("stat", CloudWatchMetric.stat),
                dimensions=tuple(m.values.get("dimensions", {}).items()),
            )
            for m in block.blocks_of("metric")
        ),
        path=values.get("path"),
    )


def _build_resource_metrics(
    block: ParsedBlock, sources: Sequence[SourceSettings], ctx: BuildContext
) -> ResourceMetricsSettings:
    source = block.values["source"]
    if not any(s.name == source for s in sources):
        declared = ", ".join(s.name for s in sources)
        raise SettingsError(
            f"{ctx.filename}:{block.lines['source']}: setting `source` in block "
            f"`{block.title}` names no metrics source {source!r} "
            + (f"(declared: {declared})" if declared else "(no `metrics` block is declared)"),
            "use the name of a `metrics` block, or declare one: "
            f'metrics "<kind>" "{source}" {{ … }}',
        )
    return ResourceMetricsSettings(
        pattern=block.labels[0],
        source=source,
        metrics=tuple(block.values.get("metrics", ())),
        sensitivity=block.values.get("sensitivity"),
        line=block.line,
    )


def _build_metric(block: ParsedBlock, ctx: BuildContext) -> MetricSettings:
    values = block.values
    above, below = values.get("above"), values.get("below")
    if above is not None and below is not None and below >= above:
        raise SettingsError(
            f"{ctx.filename}:{max(block.lines['above'], block.lines['below'])}: settings "
            f"`below` ({below:g}) and `above` ({above:g}) in block `{block.title}` leave no "
            "normal range",
            "`below` is the lower bound and `above` the upper one: make below < above",
        )
    return MetricSettings(
        name=block.labels[0],
        sensitivity=values.get("sensitivity"),
        model=values.get("model"),
        above=above,
        below=below,
        resolution=values.get("resolution"),
        trouble=values.get("trouble"),
    )


def _build_trigger(block: ParsedBlock, profile: ParsedBlock, ctx: BuildContext) -> TriggerSettings:
    values, lines = block.values, block.lines
    where = f"in block `trigger` of `{profile.title}`"
    above, below = values.get("above"), values.get("below")
    anomaly = values.get("anomaly")
    within = values.get("forecast_breach_within")
    limited = above is not None or below is not None
    if anomaly is not None and limited:
        limit = "above" if above is not None else "below"
        raise SettingsError(
            f"{ctx.filename}:{max(lines['anomaly'], lines[limit])}: settings `anomaly` and "
            f"`{limit}` {where} cannot both be set",
            "a trigger is either a limit (above/below) or an anomaly: write a trigger for each",
        )
    if within is not None and not limited:
        raise SettingsError(
            f"{ctx.filename}:{lines['forecast_breach_within']}: setting "
            f"`forecast_breach_within` {where} needs `above` or `below`",
            "add the limit the forecast must not cross, such as `above = 90`",
        )
    if not limited and anomaly is None:
        raise SettingsError(
            f"{ctx.filename}:{block.line}: block `trigger` of `{profile.title}` needs `above`, "
            "`below` or `anomaly`",
            'add a limit such as `above = 90`, or `anomaly = "medium"` for a departure from '
            "the forecast",
        )
    if above is not None and below is not None and below >= above:
        raise SettingsError(
            f"{ctx.filename}:{max(lines['above'], lines['below'])}: settings `below` "
            f"({below:g}) and `above` ({above:g}) {where} leave no normal range",
            "`below` is the lower bound and `above` the upper one: make below < above",
        )
    if "for" in values and anomaly is not None:
        raise SettingsError(
            f"{ctx.filename}:{lines['for']}: setting `for` {where} has no meaning with `anomaly`",
            "remove `for`: an anomaly counts only once it has lasted several points",
        )
    if "for" in values and within is not None:
        raise SettingsError(
            f"{ctx.filename}:{lines['for']}: setting `for` {where} has no meaning with "
            "`forecast_breach_within` (a forecast is made from the latest point)",
            "remove `for`, or write a second trigger with the limit and `for`",
        )
    return TriggerSettings(
        metric=values["metric"],
        above=above,
        below=below,
        anomaly=anomaly,
        for_seconds=values.get("for", 0.0),
        forecast_breach_within=within,
        line=block.line,
    )


def _build_profile(block: ParsedBlock, ctx: BuildContext) -> ProfileSettings:
    values = block.values
    if not any(name in values for name in ("resource_types", "resources", "tags")):
        raise SettingsError(
            f"{ctx.filename}:{block.line}: block `{block.title}` selects no resources "
            "(none of resource_types, resources and tags is set), so it would apply to all",
            'to apply it to every resource, say so: resources = ["*"]',
        )
    triggers = block.blocks_of("trigger")
    if not triggers:
        raise SettingsError(
            f"{ctx.filename}:{block.line}: block `{block.title}` has no `trigger` block",
            'add one, such as trigger { metric = "cpu"  above = 90  for = "5m" }',
        )
    defaults = ProfileSettings(name=block.labels[0])
    return ProfileSettings(
        name=block.labels[0],
        resource_types=tuple(values.get("resource_types", ())),
        resources=tuple(values.get("resources", ())),
        tags=tuple(values.get("tags", {}).items()),
        triggers=tuple(_build_trigger(t, block, ctx) for t in triggers),
        action=values.get("action", defaults.action),
        to=values.get("to", defaults.to),
        cooldown=values.get("cooldown", defaults.cooldown),
        line=block.line,
    )


def _only(blocks: Mapping[str, tuple[ParsedBlock, ...]], name: str) -> Mapping[str, Any]:
    found = blocks.get(name, ())
    return found[0].values if found else {}


def _build_metrics(
    blocks: Mapping[str, tuple[ParsedBlock, ...]], ctx: BuildContext
) -> MetricsSettings:
    sources = tuple(_build_source(b) for b in blocks.get("metrics", ()))
    analysis = _only(blocks, "analysis")
    alerts = _only(blocks, "alerts")
    defaults, alert_defaults = AnalysisSettings(), AlertSettings()
    return MetricsSettings(
        sources=sources,
        resources=tuple(
            _build_resource_metrics(b, sources, ctx) for b in blocks.get("resource_metrics", ())
        ),
        metrics=tuple(_build_metric(b, ctx) for b in blocks.get("metric", ())),
        analysis=AnalysisSettings(
            sensitivity=analysis.get("sensitivity", defaults.sensitivity),
            model=analysis.get("model", defaults.model),
            since=analysis.get("since", defaults.since),
            horizon=analysis.get("horizon", defaults.horizon),
            soak=analysis.get("soak", defaults.soak),
            attribution_window=analysis.get("attribution_window", defaults.attribution_window),
            scheduler=_scheduler_value(analysis.get("scheduler"), ctx),
            scheduler_timeout=analysis.get("scheduler_timeout", defaults.scheduler_timeout),
        ),
        alerts=AlertSettings(
            webhook=alerts.get("webhook"),
            min_severity=alerts.get("min_severity", alert_defaults.min_severity),
            timeout=alerts.get("timeout", alert_defaults.timeout),
        ),
        profiles=tuple(_build_profile(b, ctx) for b in blocks.get("profile", ())),
    )


BLOCKS: Sequence[BlockSchema] = (
    STORE,
    TERRAFORM,
    GHOST,
    METRICS,
    RESOURCE_METRICS,
    ANALYSIS,
    METRIC,
    ALERTS,
    PROFILE,
)

SECTIONS: Sequence[Section] = (
    Section("store", _build_store_section),
    Section("terraform", _build_terraform),
    Section("metrics", _build_metrics),
)
