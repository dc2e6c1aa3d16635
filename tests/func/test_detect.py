"""`tfshadow detect`: one scored row per input row, no look-ahead, bad input refused clearly."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import numpy as np

from tests.func.conftest import Tfshadow


def _write(path: Path, values: list[float | None], bad: dict[int, str] | None = None) -> None:
    lines = ["timestamp,value"]
    for i, value in enumerate(values):
        stamp = 1_780_000_000 + 60 * i
        text = "" if value is None else f"{value:.4f}"
        lines.append(bad.get(i, f"{stamp},{text}") if bad else f"{stamp},{text}")
    path.write_text("\n".join(lines) + "\n")


def _scores(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def _noise(n: int) -> list[float]:
    return list(40 + np.random.default_rng(1).normal(0, 1, n))


def test_detect_scores_every_row_and_flags_a_shift(tmp_path: Path, tfshadow: Tfshadow) -> None:
    values = _noise(2000)
    values[1500:] = [v + 10 for v in values[1500:]]
    _write(tmp_path / "cpu.csv", list(values))
    result = tfshadow("detect", "--input", "cpu.csv", "--output", "scores.csv", cwd=tmp_path)
    assert result.code == 0, result.err
    rows = _scores(tmp_path / "scores.csv")
    assert len(rows) == 2000
    assert list(rows[0]) == ["timestamp", "value", "anomaly_score"]
    scores = np.array([float(r["anomaly_score"]) for r in rows])
    assert ((scores >= 0) & (scores < 1)).all()
    assert (scores[1500:1505] >= 0.5).any()
    assert (scores[:1500] < 0.5).mean() > 0.99
    assert "scored 2000 rows" in result.err


def test_detect_has_no_look_ahead(tmp_path: Path, tfshadow: Tfshadow) -> None:
    values = _noise(1500)
    _write(tmp_path / "a.csv", list(values))
    changed = list(values[:1000]) + [v * 3 for v in values[1000:]]
    _write(tmp_path / "b.csv", changed)
    assert tfshadow("detect", "--input", "a.csv", "--output", "a.out", cwd=tmp_path).code == 0
    assert tfshadow("detect", "--input", "b.csv", "--output", "b.out", cwd=tmp_path).code == 0
    a = _scores(tmp_path / "a.out")[:1000]
    b = _scores(tmp_path / "b.out")[:1000]
    assert a == b


def test_detect_keeps_bad_rows_in_place(tmp_path: Path, tfshadow: Tfshadow) -> None:
    values: list[float | None] = list(_noise(300))
    values[100] = None
    _write(tmp_path / "cpu.csv", values, bad={200: "yesterday,4"})
    result = tfshadow("detect", "--input", "cpu.csv", "--output", "-", cwd=tmp_path)
    assert result.code == 0, result.err
    rows = list(csv.DictReader(result.out.splitlines()))
    assert len(rows) == 300
    assert rows[100]["value"] == "" and rows[100]["anomaly_score"] == "0.0000"
    assert rows[200]["timestamp"] == "yesterday" and rows[200]["anomaly_score"] == "0.0000"
    assert "1 unreadable" in result.err
    # A row without a value is counted too: its score of 0 is no judgement.
    assert "1 without a value" in result.err


def test_detect_bad_input(tmp_path: Path, tfshadow: Tfshadow) -> None:
    result = tfshadow("detect", "--input", "none.csv", "--output", "o.csv", cwd=tmp_path)
    assert result.code == 2 and "none.csv" in result.err
    (tmp_path / "long.csv").write_text("timestamp,resource,metric,value\n1,a,cpu,1\n")
    result = tfshadow("detect", "--input", "long.csv", "--output", "o.csv", cwd=tmp_path)
    assert result.code == 2 and "one series" in result.err
    _write(tmp_path / "ok.csv", _noise(50))
    result = tfshadow("detect", "--input", "ok.csv", "--output", "no/dir/o.csv", cwd=tmp_path)
    assert result.code == 2 and "no directory" in result.err
    result = tfshadow(
        "detect", "--input", "ok.csv", "--output", "o.csv", "--model", "x", cwd=tmp_path
    )
    assert result.code == 2 and "unknown model" in result.err
    assert not (tmp_path / "o.csv").exists()


def test_detect_missing_input_hints_at_the_option(tmp_path: Path, tfshadow: Tfshadow) -> None:
    result = tfshadow("detect", "--input", "none.csv", "--output", "o.csv", cwd=tmp_path)
    assert result.code == 2
    missing = tmp_path / "none.csv"
    assert result.err == f"tfshadow: error: no file {missing}: check the --input path\n"


def test_detect_output_has_the_usual_file_mode(tmp_path: Path, tfshadow: Tfshadow) -> None:
    _write(tmp_path / "ok.csv", _noise(50))
    old = os.umask(0o022)
    try:
        result = tfshadow("detect", "--input", "ok.csv", "--output", "new.csv", cwd=tmp_path)
        assert result.code == 0, result.err
        assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o644
        (tmp_path / "kept.csv").write_text("")
        (tmp_path / "kept.csv").chmod(0o664)
        result = tfshadow("detect", "--input", "ok.csv", "--output", "kept.csv", cwd=tmp_path)
        assert result.code == 0, result.err
        assert stat.S_IMODE((tmp_path / "kept.csv").stat().st_mode) == 0o664
    finally:
        os.umask(old)


def test_detect_refuses_to_write_over_its_input(tmp_path: Path, tfshadow: Tfshadow) -> None:
    _write(tmp_path / "ok.csv", _noise(50))
    before = (tmp_path / "ok.csv").read_text()
    result = tfshadow("detect", "--input", "ok.csv", "--output", "./ok.csv", cwd=tmp_path)
    assert result.code == 2
    assert "is the --input file" in result.err and len(result.err.splitlines()) == 1
    assert (tmp_path / "ok.csv").read_text() == before


def test_detect_finds_a_daily_season_in_five_minute_samples(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # A day is 288 points at 5 minutes: more than the first 1,000 points can show 4 times over.
    rng = np.random.default_rng(3)
    n = 3600
    values = 50 + 20 * np.sin(2 * np.pi * np.arange(n) / 288) + rng.normal(0, 2, n)
    values[3300:] += 10
    scores = _seasonal_scores(tmp_path, tfshadow, values, 300, 288, cut=3100)
    assert (scores[3300:3310] >= 0.5).any()
    assert (scores[3000:3300] < 0.5).all()


def _seasonal_scores(
    tmp_path: Path, tfshadow: Tfshadow, values: np.ndarray, step: int, period: int, cut: int
) -> np.ndarray:
    """The scores `detect` gives ``values`` sampled every ``step`` seconds, having found
    ``period``; the file cut after ``cut`` rows scores them as the whole file does."""
    lines = ["timestamp,value"]
    lines += [f"{1_780_000_000 + step * i},{v:.4f}" for i, v in enumerate(values)]
    (tmp_path / "cpu.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "early.csv").write_text("\n".join(lines[: cut + 1]) + "\n")
    result = tfshadow("detect", "--input", "cpu.csv", "--output", "s.csv", cwd=tmp_path)
    assert result.code == 0, result.err
    assert f"period {period} points" in result.err
    early = tfshadow("detect", "--input", "early.csv", "--output", "e.csv", cwd=tmp_path)
    assert early.code == 0, early.err
    assert _scores(tmp_path / "e.csv") == _scores(tmp_path / "s.csv")[:cut]
    return np.array([float(r["anomaly_score"]) for r in _scores(tmp_path / "s.csv")])


def test_detect_names_the_first_unreadable_row(tmp_path: Path, tfshadow: Tfshadow) -> None:
    _write(tmp_path / "cpu.csv", list(_noise(300)), bad={200: "yesterday,4", 250: "1,2,3"})
    result = tfshadow("detect", "--input", "cpu.csv", "--output", "-", cwd=tmp_path)
    assert result.code == 0, result.err
    assert "2 unreadable (first: line 202: bad timestamp 'yesterday')" in result.err


def test_detect_has_no_look_ahead_when_the_sampling_gets_finer(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # Exports of downsampled history: 5-minute points for the old part, 1-minute points since.
    stamps = [1_780_000_000 + 300 * i for i in range(1500)]
    stamps += [stamps[-1] + 60 * i for i in range(1, 3001)]
    values = _noise(len(stamps))
    lines = ["timestamp,value"] + [f"{t},{v:.4f}" for t, v in zip(stamps, values, strict=True)]
    (tmp_path / "all.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "old.csv").write_text("\n".join(lines[:1501]) + "\n")
    assert tfshadow("detect", "--input", "all.csv", "--output", "a.out", cwd=tmp_path).code == 0
    assert tfshadow("detect", "--input", "old.csv", "--output", "o.out", cwd=tmp_path).code == 0
    # The last old row shares its 5-minute step with the first new ones: it is scored as it
    # arrived, before them.
    assert _scores(tmp_path / "a.out")[:1500] == _scores(tmp_path / "o.out")


def test_detect_refuses_a_mistyped_year_instead_of_running_out_of_memory(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    lines = ["timestamp,value"] + [f"{1_780_000_000 + i},{i % 7}" for i in range(2000)]
    lines.insert(1500, "2062-01-01T00:00:00Z,3")
    (tmp_path / "cpu.csv").write_text("\n".join(lines) + "\n")
    result = tfshadow("detect", "--input", "cpu.csv", "--output", "s.csv", cwd=tmp_path)
    assert result.code == 2, result.err
    assert "lines 2 and 1501" in result.err and "check those timestamps" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "s.csv").exists()


def test_detect_writes_values_back_unchanged(tmp_path: Path, tfshadow: Tfshadow) -> None:
    # Byte counters have 11 digits and more: the scores file must still join with the export.
    given = ["24365903872", "24248115201", "0.1", "0.001", "7", "-3.25", "123456789.123456"]
    lines = ["timestamp,value"] + [f"{1_780_000_000 + 60 * i},{v}" for i, v in enumerate(given)]
    (tmp_path / "mem.csv").write_text("\n".join(lines) + "\n")
    result = tfshadow("detect", "--input", "mem.csv", "--output", "-", cwd=tmp_path)
    assert result.code == 0, result.err
    assert [r["value"] for r in csv.DictReader(result.out.splitlines())] == given


def test_detect_scores_irregular_rows_as_a_file_cut_after_them_does(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # Samples at random spacings (several often fall in one step), repeated timestamps, a shift:
    # each row's score is the one a file ending at that row gives it.
    rng = np.random.default_rng(7)
    n = 900
    stamps = 1_780_000_000 + np.cumsum(rng.exponential(60, n)).round().astype(int)
    stamps[300:306] = stamps[300]
    values = 40 + rng.normal(0, 1, n)
    values[600:] += 8
    lines = ["timestamp,value"] + [f"{t},{v:.4f}" for t, v in zip(stamps, values, strict=True)]
    (tmp_path / "all.csv").write_text("\n".join(lines) + "\n")
    result = tfshadow("detect", "--input", "all.csv", "--output", "all.out", cwd=tmp_path)
    assert result.code == 0, result.err
    whole = _scores(tmp_path / "all.out")
    assert any(float(r["anomaly_score"]) >= 0.5 for r in whole[600:620])
    spacing = np.diff(stamps[:48])
    step = float(np.median(spacing[spacing > 0]))
    shared = int((np.diff(np.rint((stamps - stamps[0]) / step)) == 0).sum())
    assert shared > 50  # the file does put several rows in one step
    for cut in (20, 47, 48, 49, 120, 303, 306, 451, 605, 611, 777):
        (tmp_path / "cut.csv").write_text("\n".join(lines[: cut + 1]) + "\n")
        result = tfshadow("detect", "--input", "cut.csv", "--output", "cut.out", cwd=tmp_path)
        assert result.code == 0, result.err
        kept = cut if cut == n or stamps[cut] != stamps[cut - 1] else 300
        assert _scores(tmp_path / "cut.out")[:kept] == whole[:kept], cut


def test_detect_finds_a_daily_season_in_minute_samples(tmp_path: Path, tfshadow: Tfshadow) -> None:
    # A day is 1,440 points at 1 minute, shown 4 times over by 5,760: beyond the first 3,000,
    # where each evening's fall of a service busy 09:00-18:00 scored as an anomaly.
    n = 7 * 1440
    minute = (np.arange(n) + 22 * 60) % 1440  # 1_780_000_000 is 22:26 UTC
    busy = (minute >= 540) & (minute < 1080)
    values = 10 + 50 * busy + np.random.default_rng(4).normal(0, 2, n)
    scores = _seasonal_scores(tmp_path, tfshadow, values, 60, 1440, cut=6000)
    # Each morning's rise and evening's fall once the season is read, hours either side.
    changes = np.flatnonzero(busy[1:] != busy[:-1]) + 1
    for change in changes[changes > 5760]:
        assert (scores[change - 60 : change + 120] < 0.5).all(), change


def test_detect_reads_whole_percent_steps_as_rounding(tmp_path: Path, tfshadow: Tfshadow) -> None:
    # A week of disk usage filling slowly 40% → 48%, reported in whole percent: each one-percent
    # step scored as an anomaly, its learnt noise being a fraction of a percent.
    n = 7 * 1440
    rng = np.random.default_rng(1)
    values = np.round(40.0 + 8.0 * np.arange(n) / n + rng.normal(0.0, 0.05, n))
    values[-30:] += 15.0  # and then it fills fast
    _write(tmp_path / "disk.csv", list(values))
    result = tfshadow("detect", "--input", "disk.csv", "--output", "scores.csv", cwd=tmp_path)
    assert result.code == 0, result.err
    scores = np.array([float(r["anomaly_score"]) for r in _scores(tmp_path / "scores.csv")])
    # The resolution is read from the first 1,000 points and scores the rows from there on.
    assert (scores[1000 : n - 30] < 0.5).all()
    assert (scores[n - 30 : n - 25] >= 0.5).any()
    # A file cut later scores its rows the same.
    _write(tmp_path / "cut.csv", list(values[:3000]))
    assert tfshadow("detect", "--input", "cut.csv", "--output", "cut.out", cwd=tmp_path).code == 0
    cut = np.array([float(r["anomaly_score"]) for r in _scores(tmp_path / "cut.out")])
    assert np.array_equal(cut, scores[:3000])
