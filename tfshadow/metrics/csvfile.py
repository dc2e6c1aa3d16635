"""Series from CSV files: what a user exports from any monitoring system.

Two layouts, told apart by the header (required; column names in any case and order, other
columns ignored)::

    timestamp,value                     one series per file
    timestamp,resource,metric,value     many: rows are picked by resource address and metric

Timestamps are ISO 8601 (``2024-05-01T10:00:00Z``, ``2024-05-01 10:00:00+02:00``; without a
zone they are UTC) or epoch numbers: seconds, or milliseconds when the number is 10¹¹ or more
(10¹¹ s is the year 5138, 10¹¹ ms is 1973). An empty value, ``NaN``, ``null`` or ``NA`` is a
point without a usable value (NaN); infinities become NaN too.

The ``metrics "csv"`` source fills its ``path`` template per resource, relative to the working
directory. ``${metric}`` in the template names the metric (``metrics/${address}/${metric}.csv``):
such a source offers the standard metrics whose files exist. Without ``${metric}``, a long file
offers the metrics its rows name for the resource, and a two-column file holds one series that
is offered as ``value`` and given for whichever metric ``resource_metrics`` asks of it
(:meth:`CsvSource.single_series` tells a caller that names a metric so that it can say so).

Bad rows (wrong number of fields, a timestamp or value that does not parse) are skipped by the
source and counted in the series' notes, with the first one as an example; a file without a
single good row is an error. :func:`read_rows` instead keeps every row in file order, for
``tfshadow detect``, which answers one output row per input row: a row with a bad value keeps
its timestamp and gets NaN; a row with a bad timestamp keeps its raw timestamp text, a NaT
timestamp and the value if it parsed.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from tfshadow.errors import MetricsError
from tfshadow.metrics._common import no_data, one_line, within
from tfshadow.metrics.base import STANDARD_METRICS, ResourceRef, Series, TimeRange
from tfshadow.metrics.template import fill, references
from tfshadow.settings.analysis import SourceSettings

if TYPE_CHECKING:
    import _csv

SHORT_COLUMNS = ("timestamp", "value")
LONG_COLUMNS = ("timestamp", "resource", "metric", "value")
MILLISECONDS_FROM = 1e11
_TOO_LARGE = 1e14  # milliseconds for the year 5138: no real timestamp is beyond it
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")
_NO_VALUE = frozenset({"", "nan", "null", "na", "none"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAT = np.datetime64("NaT", "ns")


@dataclass(frozen=True)
class CsvRows:
    """Every data row of a CSV file that matched the filters, in file order.

    ``timestamps`` is NaT and ``values`` NaN where the text did not parse; ``problems`` pairs the
    index of each bad row with a phrase such as ``line 4: bad timestamp 'x'``. ``metrics`` are
    the metric names a long file has for the resource filter (empty for a two-column file).
    """

    path: Path
    long: bool
    lines: tuple[int, ...]
    timestamp_text: tuple[str, ...]
    timestamps: npt.NDArray[np.datetime64]
    values: npt.NDArray[np.float64]
    problems: tuple[tuple[int, str], ...]
    metrics: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.lines)

    def series(self, resource: str, metric: str, source: str) -> Series:
        """The good rows as a :class:`Series`, sorted by time, bad rows counted in its notes.

        Raises :class:`MetricsError` when there is no good row.
        """
        keep = np.ones(len(self.lines), dtype=bool)
        for index, _ in self.problems:
            keep[index] = False
        notes: tuple[str, ...] = ()
        if self.problems:
            count = len(self.problems)
            notes = (f"{count} row{'s' if count > 1 else ''} skipped: {self.problems[0][1]}",)
        if not keep.any():
            what = f" for {resource} {metric}" if self.long else ""
            detail = f" ({notes[0]})" if notes else ""
            raise MetricsError(
                f"no usable rows{what} in {self.path}{detail}",
                "rows need a timestamp (ISO 8601 or epoch) and a number"
                + (", and the resource's full address and the metric name" if self.long else ""),
            )
        ts, vs = self.timestamps[keep], self.values[keep]
        order = np.argsort(ts, kind="stable")
        return Series(resource, metric, source, ts[order], vs[order], notes)


def read_rows(path: Path, resource: str = "", metric: str = "") -> CsvRows:
    """Every data row of ``path`` (see the module docstring); in a long file only the rows of
    ``resource`` and ``metric`` (each ignored when empty).

    Raises :class:`MetricsError` when the file cannot be read or has no valid header.
    """
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise MetricsError(
            f"no metrics file {path}", "write it, or fix the path in the csv metrics block"
        ) from None
    except OSError as exc:
        raise MetricsError(f"cannot read {path}: {exc.strerror}", "check its permissions") from None
    lines: list[int] = []
    stamps_text: list[str] = []
    stamps: list[np.datetime64] = []
    values: list[float] = []
    problems: list[tuple[int, str]] = []
    metrics: dict[str, None] = {}
    with handle:
        reader = csv.reader(handle)
        try:
            columns, long = _header(path, reader)
            width = len(columns)
            at = {name: columns.index(name) for name in (LONG_COLUMNS if long else SHORT_COLUMNS)}
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                line = reader.line_num
                if len(row) != width:
                    problem = f"line {line}: expected {width} fields, found {len(row)}"
                    problems.append((len(lines), problem))
                    lines.append(line)
                    stamps_text.append(row[at["timestamp"]] if len(row) > at["timestamp"] else "")
                    stamps.append(_NAT)
                    values.append(np.nan)
                    continue
                if long:
                    if resource and row[at["resource"]].strip() != resource:
                        continue
                    row_metric = row[at["metric"]].strip()
                    metrics.setdefault(row_metric)
                    if metric and row_metric != metric:
                        continue
                text = row[at["timestamp"]]
                stamp = _timestamp(text)
                value = _value(row[at["value"]])
                if stamp is None:
                    problems.append((len(lines), f"line {line}: bad timestamp {_show(text)}"))
                elif value is None:
                    problems.append(
                        (len(lines), f"line {line}: bad value {_show(row[at['value']])}")
                    )
                lines.append(line)
                stamps_text.append(text)
                stamps.append(_NAT if stamp is None else stamp)
                values.append(np.nan if value is None else value)
        except csv.Error as exc:
            raise MetricsError(
                f"{path}: line {reader.line_num}: not valid CSV: {exc}",
                "fix the file (quotes must be balanced)",
            ) from None
        except UnicodeDecodeError:
            raise MetricsError(f"{path} is not UTF-8 text", "save it as UTF-8 CSV") from None
    return CsvRows(
        path=path,
        long=long,
        lines=tuple(lines),
        timestamp_text=tuple(stamps_text),
        timestamps=np.array(stamps, dtype="datetime64[ns]"),
        values=np.array(values, dtype=np.float64),
        problems=tuple(problems),
        metrics=tuple(metrics),
    )


def read_series_csv(path: Path, resource: str = "", metric: str = "value") -> Series:
    """The series of ``path``: a two-column file whole (named ``resource``/``metric``), or the
    rows of ``resource`` and ``metric`` of a long file. Bad rows are skipped and noted.
    """
    rows = read_rows(path, resource, metric)
    if rows.long and not resource:
        raise MetricsError(f"{path} has a resource column", "name the resource whose rows to read")
    return rows.series(resource, metric, "csv")


class CsvSource:
    """A ``metrics "csv"`` block: one file per resource (and metric, with ``${metric}``)."""

    def __init__(self, settings: SourceSettings, workdir: Path) -> None:
        if not settings.path:
            raise MetricsError(
                f'metrics source "{settings.name}" has no path',
                'set path = "metrics/${address}.csv" in its metrics block',
            )
        self._settings = settings
        self._template = settings.path
        self._workdir = workdir
        self._per_metric = "metric" in references(settings.path)

    @property
    def name(self) -> str:
        return self._settings.name

    def path(self, resource: ResourceRef, metric: str | None = None) -> Path:
        """The file holding ``resource``'s series (of ``metric`` when the path names one)."""
        extra = {"metric": metric} if metric is not None else None
        return self._workdir / fill(self._template, resource, extra=extra)

    def metric_names(self, resource: ResourceRef) -> tuple[str, ...]:
        """Raises :class:`MetricsError` when the resource has no file at all."""
        if self._per_metric:
            names = tuple(m for m in STANDARD_METRICS if self.path(resource, m).is_file())
            if not names:
                raise MetricsError(
                    f"no metrics file for {resource.address}: none of "
                    + ", ".join(str(self.path(resource, m)) for m in STANDARD_METRICS[:2])
                    + ", … exists",
                    "write them, or list the metrics in resource_metrics",
                )
            return names
        rows = read_rows(self.path(resource), resource.address)
        return rows.metrics if rows.long else ("value",)

    def single_series(self, resource: ResourceRef) -> Path | None:
        """The two-column file read for ``resource`` whatever the metric asked (its one series
        names none), or None: the path names ``${metric}``, or the file is long, missing or
        unreadable (reading it says why)."""
        if self._per_metric:
            return None
        path = self.path(resource)
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                _, long = _header(path, csv.reader(handle))
        except (MetricsError, OSError, UnicodeDecodeError, csv.Error):
            return None
        return None if long else path

    def shown(self, path: Path) -> str:
        """``path`` as the user wrote it: relative to the working directory when inside it."""
        try:
            return str(path.relative_to(self._workdir))
        except ValueError:
            return str(path)

    def fetch(self, resource: ResourceRef, metric: str, window: TimeRange) -> Series:
        path = self.path(resource, metric if self._per_metric else None)
        rows = read_rows(path, resource.address, metric)
        series = within(rows.series(resource.address, metric, self.name), window)
        if not len(series):
            whole = rows.series(resource.address, metric, self.name)
            span = f"{_day(whole.timestamps[0])}..{_day(whole.timestamps[-1])}"
            raise no_data(resource, metric, window, f"{path} has data for {span} only")
        return series


def _header(path: Path, reader: _csv.Reader) -> tuple[list[str], bool]:
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        columns = [c.strip().lower() for c in row]
        if set(SHORT_COLUMNS) <= set(columns):
            return columns, set(LONG_COLUMNS) <= set(columns)
        raise MetricsError(
            f"{path}: line {reader.line_num}: expected a header timestamp,value or "
            f"timestamp,resource,metric,value, found {_show(','.join(row))}",
            _header_hint(row),
        )
    raise MetricsError(f"{path} is empty", "write a header and rows (timestamp,value)")


def _header_hint(row: list[str]) -> str:
    """What to do about a first line that is not the header: a spreadsheet's export (other
    column names, semicolons or tabs) needs another fix than a file with no header at all."""
    if len(row) == 1:
        for mark, name in ((";", "semicolons"), ("\t", "tabs")):
            if mark in row[0]:
                return f"its fields are separated by {name}: export it with commas"
    if _timestamp(row[0]) is not None:
        return "add the header line timestamp,value before the rows"
    return "rename its columns timestamp and value (timestamp,resource,metric,value if long)"


def _timestamp(text: str) -> np.datetime64 | None:
    text = text.strip()
    if not text:
        return None
    if _NUMBER.match(text):
        number = float(text)
        if not np.isfinite(number) or abs(number) >= _TOO_LARGE:
            return None
        millis = number if abs(number) >= MILLISECONDS_FROM else number * 1000.0
        return np.datetime64(round(millis * 1000.0) * 1000, "ns")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return np.datetime64((moment - _EPOCH) // timedelta(microseconds=1) * 1000, "ns")


def _value(text: str) -> float | None:
    text = text.strip()
    if text.lower() in _NO_VALUE:
        return float("nan")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else float("nan")


def _show(text: str) -> str:
    return repr(one_line(text, 40))


def _day(stamp: np.datetime64) -> str:
    return str(np.datetime_as_string(stamp, unit="s")) + "Z"
