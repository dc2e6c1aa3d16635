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
    assert "unreadable" in result.err


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
