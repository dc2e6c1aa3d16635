"""`tfshadow analyze` with per-metric settings of how a metric is read: the resolution it is
reported to, and which side of its forecast is trouble. Real applies in a real store, metrics
from CSV files, and `tfshadow gate` on what was logged."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from tests.func.conftest import STEP, Tfshadow


def _settings(workdir: Path, metric: str, block: str = "") -> None:
    (workdir / "tfshadow.hcl").write_text(
        'metrics "csv" { path = "metrics/${address}.csv" }\n'
        'resource_metrics "terraform_data.web" {\n'
        '  source  = "csv"\n'
        f'  metrics = ["{metric}"]\n'
        "}\n"
        'analysis {\n  soak = "1h"\n  attribution_window = "1h"\n}\n' + block
    )


def _write(path: Path, start: datetime, values: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["timestamp,value"]
    for i, value in enumerate(values):
        lines.append(f"{start + i * STEP:%Y-%m-%dT%H:%M:%SZ},{value:g}")
    path.write_text("\n".join(lines) + "\n")


def _filling_disk(workdir: Path, applied: datetime) -> str:
    """A week of disk usage up to two hours after ``applied``, filling slowly 40% → 48% and
    reported in whole percent; the ``--until`` that ends it."""
    end = applied + timedelta(hours=2)
    n = 7 * 1440
    rng = np.random.default_rng(0)
    values = np.round(40.0 + 8.0 * np.arange(n) / n + rng.normal(0.0, 0.05, n))
    _write(workdir / "metrics" / "terraform_data.web.csv", end - (n - 1) * STEP, values)
    return end.isoformat()


def test_analyze_whole_percent_disk_filling_slowly_is_quiet(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    _settings(workdir, "disk")
    until = _filling_disk(workdir, two_versions[2])
    result = tfshadow("analyze", "--until", until, "--json", cwd=workdir)
    assert result.code == 0, result.err
    doc = result.json()
    assert doc["recommendations"] == []
    (series,) = doc["series"]
    assert series["verdict"] == "ok", series["detail"]
    # Each one-percent step was no deviation: both versions soaked quietly.
    assert {m["version"]: m["mark"] for m in doc["marks"]} == {1: "good", 2: "good"}


def test_analyze_resolution_zero_judges_every_step_of_the_disk(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    # `resolution = 0` says every step counts: the whole-percent steps are deviations again.
    _settings(workdir, "disk", 'metric "disk" { resolution = 0 }\n')
    until = _filling_disk(workdir, two_versions[2])
    result = tfshadow("analyze", "--until", until, "--json", "--no-mark", cwd=workdir)
    assert result.code == 0, result.err
    (series,) = result.json()["series"]
    assert series["verdict"] == "deviation"


def test_analyze_declared_resolution_still_catches_errors_going_to_five(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    applied = two_versions[2]
    _settings(workdir, "errors", 'metric "errors" { resolution = 1 }\n')
    end = applied + timedelta(hours=1)
    n = 7 * 1440
    values = np.random.default_rng(1).poisson(0.02, n).astype(float)
    values[-58:] = 5.0  # from two minutes after the apply
    _write(workdir / "metrics" / "terraform_data.web.csv", end - (n - 1) * STEP, values)
    result = tfshadow("analyze", "--until", end.isoformat(), "--json", cwd=workdir)
    assert result.code == 0, result.err
    (rec,) = result.json()["recommendations"]
    assert rec["severity"] == "critical" and rec["suspect"]["version"] == 2
    assert rec["command"] == "tfshadow revert 1"


def _restart(workdir: Path, applied: datetime) -> str:
    """A day of memory steady near 85%, then from two minutes after ``applied`` (a restart)
    35% climbing back slowly, up to an hour after it; the ``--until`` that ends it."""
    end = applied + timedelta(hours=1)
    n = 1440
    rng = np.random.default_rng(5)
    values = 85.0 + rng.normal(0.0, 0.5, n)
    values[-58:] = 35.0 + 0.01 * np.arange(58) + rng.normal(0.0, 0.5, 58)
    _write(workdir / "metrics" / "terraform_data.web.csv", end - (n - 1) * STEP, values)
    return end.isoformat()


def test_analyze_memory_falling_at_a_restart_fails_the_gate_by_default(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    _settings(workdir, "memory")
    until = _restart(workdir, two_versions[2])
    result = tfshadow("analyze", "--until", until, "--json", "--no-mark", cwd=workdir)
    assert result.code == 0, result.err
    (rec,) = result.json()["recommendations"]
    assert rec["severity"] == "critical" and rec["command"] == "tfshadow revert 1"
    assert tfshadow("gate", cwd=workdir).code == 1


def test_analyze_a_fall_where_only_a_rise_is_trouble_is_information(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    _settings(workdir, "memory", 'metric "memory" { trouble = "above" }\n')
    until = _restart(workdir, two_versions[2])
    result = tfshadow("analyze", "--until", until, "--json", cwd=workdir)
    assert result.code == 0, result.err
    doc = result.json()
    (rec,) = doc["recommendations"]
    assert rec["severity"] == "info" and rec["command"] is None
    assert rec["suspect"]["version"] == 2  # named, as information
    assert "still below the forecast" in rec["reason"]
    assert "below is no trouble for this metric (trouble = above)" in rec["reason"]
    assert "no revert is proposed" in rec["reason"]
    (series,) = doc["series"]
    assert series["verdict"] == "ok"
    assert doc["summary"]["deviation"] == 0
    # No version is marked suspect for it.
    assert all(m["mark"] != "suspect" for m in doc["marks"])
    # Logged, as information: a CI gate does not fail on it.
    gate = tfshadow("gate", cwd=workdir)
    assert gate.code == 0, gate.out
    text = tfshadow("analyze", "--until", until, "--no-mark", "--no-color", cwd=workdir).out
    assert "tfshadow revert" not in text


def test_analyze_a_rise_where_a_rise_is_trouble_is_still_critical(
    workdir: Path, tfshadow: Tfshadow, two_versions: dict[int, datetime]
) -> None:
    _settings(workdir, "memory", 'metric "memory" { trouble = "above" }\n')
    applied = two_versions[2]
    end = applied + timedelta(hours=1)
    n = 1440
    values = 40.0 + np.random.default_rng(6).normal(0.0, 0.5, n)
    values[-58:] += 0.2 * np.arange(58)  # a leak from two minutes after the apply
    _write(workdir / "metrics" / "terraform_data.web.csv", end - (n - 1) * STEP, values)
    result = tfshadow("analyze", "--until", end.isoformat(), "--json", "--no-mark", cwd=workdir)
    assert result.code == 0, result.err
    (rec,) = result.json()["recommendations"]
    assert rec["severity"] == "critical" and rec["command"] == "tfshadow revert 1"
    assert tfshadow("gate", cwd=workdir).code == 1
