"""`tfshadow detect`: score a metric file row by row, as the engine would have seen it live.

The score of a row reads only rows at or before its timestamp, so a file cut after any row
scores its rows as the whole file does: the baseline and scale are trailing; the sampling step
is read from the spacings of the first :data:`STEP_ROWS` rows, rows before the last of them
scoring 0 (warm-up, which is longer anyway on regular files); the seasonal period, and the
resolution the values are reported to (whole percent: :mod:`tfshadow.forecast.quantum`), are
chosen from the first :data:`PERIOD_PREFIX` points only, rows before that point being scored
without them; the period then again from the first
:data:`~tfshadow.forecast.seasonality.MAX_TEST_POINTS` (as many as `analyze` tests at least),
and from as many as a longer cycle needs to repeat (a day of 1-minute samples), when that finds
a longer season, which scores the rows from there on. Rows sharing a sampling step are averaged
into it as they arrive: each is scored with the average of the rows of its step up to its own
timestamp. Output rows follow the input's order, one per input row; a row whose timestamp or
value did not parse, or that falls in the warm-up, scores 0 (no evidence either way).
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tfshadow.atomic_write import replace_file
from tfshadow.errors import UsageError

if TYPE_CHECKING:
    from tfshadow.metrics.csvfile import CsvRows

PERIOD_PREFIX = 1000
# Enough spacings for a robust median; fewer rows than the warm-up of a regular file, so that
# leaving the rows before the last of them unscored changes nothing there.
STEP_ROWS = 48


@dataclass(frozen=True)
class DetectResult:
    rows: int
    bad_rows: int
    alarms: int  # rows at or above the threshold
    warmup: int  # rows before the detector had the history it needs
    seconds: float
    threshold: float
    period: int
    text: str  # the CSV written (also when written to a file)
    first_problem: str = ""  # e.g. "line 4: bad timestamp 'x'": where to look in the file
    without_value: int = 0  # rows read whose value is empty, nan or inf: scored 0, not judged

    def summary(self) -> str:
        season = f", period {self.period} points" if self.period else ", no seasonality"
        return (
            f"scored {self.rows} rows in {self.seconds:.2f} s{season}: {self.alarms} at or above "
            f"the threshold ({self.threshold:g}σ, anomaly_score ≥ 0.5), {self.warmup} warm-up, "
            f"{self.bad_rows} unreadable"
            + (f" (first: {self.first_problem})" if self.first_problem else "")
            + (f", {self.without_value} without a value" if self.without_value else "")
        )


def detect_file(
    source: Path,
    target: Path | None,
    *,
    model: str = "default",
    sensitivity: str | float = "medium",
) -> DetectResult:
    """Score ``source`` into ``target`` (None: only return the text). The file is replaced
    whole or not at all."""
    from tfshadow.forecast import detector, models, quantum
    from tfshadow.forecast.prepare import regularise, sampling_step
    from tfshadow.forecast.seasonality import MAX_TEST_POINTS, detect_period, longer_spans
    from tfshadow.forecast.sensitivity import threshold as to_threshold
    from tfshadow.metrics.csvfile import read_rows

    started = time.perf_counter()
    threshold = to_threshold(sensitivity)
    models.check_model(model)
    if not source.exists():
        raise UsageError(f"no file {source}", hint="check the --input path")
    if target is not None and target.exists() and target.samefile(source):
        raise UsageError(
            f"--output {target} is the --input file", hint="write the scores to another file"
        )
    rows = read_rows(source)
    if rows.long:
        raise UsageError(
            f"{source} has resource and metric columns",
            hint="detect reads one series: give it a timestamp,value file",
        )
    good = ~np.isnat(rows.timestamps)
    scores_by_row = np.zeros(len(rows))
    warm_rows = 0
    period = 0
    if good.any():
        stamps = rows.timestamps[good]
        ordered = np.sort(stamps)
        # Read from the first rows only: more rows, or a finer resolution later in the file
        # (downsampled history, then raw points), must not change the scores of earlier rows.
        step = sampling_step(ordered[:STEP_ROWS])
        _check_span(rows, good, step)
        grid = regularise(stamps, rows.values[good], step)
        values = grid.values
        plain = detector.score(values, 0, threshold)
        statistic = plain.statistic.copy()
        evidence = plain.evidence.copy()
        runs = [(0, plain)]  # (first point, scores): which run scores each point
        # The resolution the values are reported to, like the period, is read from the first
        # points, and scores the rows from there on.
        rounded_from = min(values.shape[0], PERIOD_PREFIX)
        resolution = quantum.rounding(values[:rounded_from])
        if resolution:
            rounded = detector.score(values, 0, threshold, resolution=resolution)
            statistic[rounded_from:] = rounded.statistic[rounded_from:]
            evidence[rounded_from:] = rounded.evidence[rounded_from:]
            runs.append((rounded_from, rounded))
        # The period is chosen again from as many points as `analyze` tests: a day at 5-minute
        # steps is 288 points and needs SEASONS + 1 of them, more than PERIOD_PREFIX holds; a day
        # of 1-minute samples needs 5,760, more than MAX_TEST_POINTS.
        for stage in (PERIOD_PREFIX, MAX_TEST_POINTS, *longer_spans(grid.step)):
            first = stage == PERIOD_PREFIX
            if not first and values.shape[0] <= stage:
                break
            prefix = min(values.shape[0], stage)
            found = detect_period(values[:prefix], grid.step) if prefix >= 16 else 0
            # A later stage only adds a season the earlier one could not see yet.
            if found <= period and not (first and model != "default"):
                continue
            expected = None
            if model != "default":
                expected = models.one_step_expected(values, found, model, scored=None)
            seasonal = detector.score(
                values, found, threshold, model_expected=expected, resolution=resolution
            )
            switch = max(prefix, seasonal.warmup) if found else seasonal.warmup
            if resolution:
                switch = max(switch, rounded_from)
            statistic[switch:] = seasonal.statistic[switch:]
            evidence[switch:] = seasonal.evidence[switch:]
            runs.append((switch, seasonal))
            period = found
        start_ns = grid.start.astype("datetime64[ns]").astype(np.int64)
        offsets = (stamps.astype(np.int64) - start_ns) / 1e9
        slots = np.clip(np.rint(offsets / grid.step).astype(np.int64), 0, values.shape[0] - 1)
        row_statistic = statistic[slots]
        partial, so_far = _step_so_far(stamps, rows.values[good], slots)
        for begin, scores in runs:
            later = np.flatnonzero(partial & (slots >= begin))
            if later.size:
                row_statistic[later] = detector.rescore(scores, slots[later], so_far[later])
        if ordered.shape[0] >= STEP_ROWS:
            early = stamps < ordered[STEP_ROWS - 1]
        else:
            early = np.ones(stamps.shape[0], dtype=bool)
        row_evidence = evidence[slots] & ~early
        row_score = detector.anomaly_score(row_statistic, threshold)
        scores_by_row[good] = np.where(row_evidence, row_score, 0.0)
        usable = good & np.isfinite(rows.values)
        scores_by_row[~usable] = 0.0
        warm_rows = int((~row_evidence).sum())
    text = _render(rows.timestamp_text, rows.values, scores_by_row)
    if target is not None:
        _write_atomically(target, text)
    alarms = int((scores_by_row >= 0.5).sum())
    return DetectResult(
        rows=len(rows),
        bad_rows=len(rows.problems),
        alarms=alarms,
        warmup=warm_rows,
        seconds=time.perf_counter() - started,
        threshold=threshold,
        period=period,
        text=text,
        first_problem=rows.problems[0][1] if rows.problems else "",
        without_value=int((~np.isnat(rows.timestamps) & ~np.isfinite(rows.values)).sum()),
    )


def _step_so_far(
    stamps: np.ndarray, values: np.ndarray, slots: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per row: whether rows of its step come after it, and the mean of its step's readable
    values up to its own timestamp (rows sharing a timestamp arrive together)."""
    order = np.argsort(stamps, kind="stable")
    ts = stamps[order].astype("datetime64[ns]").astype(np.int64)
    slot = slots[order]
    finite = np.isfinite(values[order])
    sums = np.concatenate(([0.0], np.cumsum(np.where(finite, values[order], 0.0))))
    counts = np.concatenate(([0], np.cumsum(finite)))
    last_same = np.searchsorted(ts, ts, side="right") - 1
    step_first = np.searchsorted(slot, slot, side="left")
    step_last = np.searchsorted(slot, slot, side="right") - 1
    taken = counts[last_same + 1] - counts[step_first]
    with np.errstate(all="ignore"):
        mean = (sums[last_same + 1] - sums[step_first]) / taken
    partial = np.empty(order.shape[0], dtype=bool)
    so_far = np.empty(order.shape[0])
    partial[order] = last_same < step_last
    so_far[order] = np.where(taken > 0, mean, np.nan)
    return partial, so_far


def _check_span(rows: CsvRows, good: np.ndarray, step: float | None) -> None:
    """Raise :class:`UsageError` naming the earliest and latest rows when the file's rows are far
    too few for the time they span at ``step`` (a mistyped year, not gaps)."""
    from tfshadow.forecast.prepare import too_sparse

    stamps = rows.timestamps[good]
    sparse = too_sparse(stamps, step)
    if not sparse:
        return
    ns = stamps.astype("datetime64[ns]").astype(np.int64)
    lines = np.asarray(rows.lines)[good]
    a, b = sorted((int(lines[int(np.argmin(ns))]), int(lines[int(np.argmax(ns))])))
    raise UsageError(
        f"{rows.path}: lines {a} and {b} span {sparse}",
        hint="check those timestamps (a mistyped year?), or split the file",
    )


def _render(stamps: tuple[str, ...], values: np.ndarray, scores: np.ndarray) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("timestamp", "value", "anomaly_score"))
    for stamp, value, score in zip(stamps, values.tolist(), scores.tolist(), strict=True):
        shown = "" if value != value else _number(value)
        writer.writerow((stamp, shown, f"{score:.4f}"))
    return out.getvalue()


def _number(value: float) -> str:
    """``value`` as it would be written by hand, to the last digit (byte counters have 11 and
    more: the scores must join back with the export)."""
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def _write_atomically(target: Path, text: str) -> None:
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"no directory {directory} for {target.name}", hint="create it first")
    replace_file(target, text)
