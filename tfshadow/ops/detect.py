"""`tfshadow detect`: score a metric file row by row, as the engine would have seen it live.

The score of a row reads only rows at or before its timestamp: the baseline and scale are
trailing, and the seasonal period is chosen from the first :data:`PERIOD_PREFIX` points only,
rows before that point being scored without seasonality. Output rows follow the input's order,
one per input row; a row whose timestamp or value did not parse, or that falls in the warm-up,
scores 0 (no evidence either way). Rows sharing a sampling step are averaged into that step and
share its score.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfshadow.errors import UsageError

PERIOD_PREFIX = 1000


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

    def summary(self) -> str:
        season = f", period {self.period} points" if self.period else ", no seasonality"
        return (
            f"scored {self.rows} rows in {self.seconds:.2f} s{season}: {self.alarms} at or above "
            f"the threshold ({self.threshold:g}σ, anomaly_score ≥ 0.5), {self.warmup} warm-up, "
            f"{self.bad_rows} unreadable"
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
    from tfshadow.forecast import detector, models
    from tfshadow.forecast.prepare import regularise
    from tfshadow.forecast.seasonality import detect_period
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
        grid = regularise(rows.timestamps[good], rows.values[good])
        values = grid.values
        prefix = min(values.shape[0], PERIOD_PREFIX)
        period = detect_period(values[:prefix], grid.step) if prefix >= 16 else 0
        plain = detector.score(values, 0, threshold)
        statistic = plain.statistic
        evidence = plain.evidence
        if model != "default" or period:
            expected = None
            if model != "default":
                expected = models.one_step_expected(values, period, model, scored=None)
            seasonal = detector.score(values, period, threshold, model_expected=expected)
            switch = max(prefix, seasonal.warmup) if period else seasonal.warmup
            statistic = statistic.copy()
            statistic[switch:] = seasonal.statistic[switch:]
            evidence = evidence.copy()
            evidence[switch:] = seasonal.evidence[switch:]
        score = detector.anomaly_score(statistic, threshold)
        start_ns = grid.start.astype("datetime64[ns]").astype(np.int64)
        offsets = (rows.timestamps[good].astype(np.int64) - start_ns) / 1e9
        slots = np.clip(np.rint(offsets / grid.step).astype(np.int64), 0, values.shape[0] - 1)
        scores_by_row[good] = score[slots]
        usable = good & np.isfinite(rows.values)
        scores_by_row[~usable] = 0.0
        warm_rows = int((~evidence[slots]).sum())
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
    )


def _render(stamps: tuple[str, ...], values: np.ndarray, scores: np.ndarray) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("timestamp", "value", "anomaly_score"))
    for stamp, value, score in zip(stamps, values.tolist(), scores.tolist(), strict=True):
        shown = "" if value != value else f"{value:.10g}"
        writer.writerow((stamp, shown, f"{score:.4f}"))
    return out.getvalue()


def _write_atomically(target: Path, text: str) -> None:
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"no directory {directory} for {target.name}", hint="create it first")
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
    try:
        # mkstemp makes the file private: give it the mode a plain write would have.
        os.fchmod(handle, _mode_of(target))
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _mode_of(target: Path) -> int:
    """The permission bits of ``target`` when it exists, else 0o666 less the umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
