"""Reversion profiles: matching resources, deciding the action, judging triggers, cooldowns."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tfshadow.errors import StoreError
from tfshadow.metrics.base import ResourceRef, Series
from tfshadow.profiles import CooldownBook, decide, evaluate, matching, profiles_for
from tfshadow.settings.analysis import ProfileSettings, TriggerSettings

SEALED = "tfshadow:sensitive:v1:fp:0123456789abcdef"
START = datetime(2026, 6, 1, tzinfo=UTC)
STEP = 60.0


def _resource(address: str, type_: str = "aws_db_instance", **attributes: Any) -> ResourceRef:
    name = address.rsplit(".", 1)[-1].split("[", 1)[0]
    return ResourceRef(address=address, type=type_, name=name, attributes=attributes)


def _profile(name: str = "p", **fields: Any) -> ProfileSettings:
    fields.setdefault("triggers", (TriggerSettings(metric="cpu", above=90.0),))
    return ProfileSettings(name=name, **fields)


def _series(values: list[float] | np.ndarray, step: float = STEP) -> Series:
    array = np.asarray(values, dtype=np.float64)
    base = np.datetime64(START.replace(tzinfo=None), "ns")
    times = base + (np.arange(array.shape[0]) * step * 1e9).astype("timedelta64[ns]")
    return Series("aws_db_instance.main", "latency", "csv", times, array)


def _at(index: int, step: float = STEP) -> datetime:
    return START + timedelta(seconds=index * step)


def _noise(n: int = 1500, seed: int = 1) -> np.ndarray:
    return 40.0 + np.random.default_rng(seed).normal(0.0, 1.0, n)


# --- matching ----------------------------------------------------------------------------------


def test_matching_by_type() -> None:
    profile = _profile(resource_types=("aws_db_instance", "aws_rds_cluster"))
    assert matching(profile, _resource("aws_db_instance.main"))
    assert matching(profile, _resource("module.db.aws_rds_cluster.x", "aws_rds_cluster"))
    assert not matching(profile, _resource("aws_instance.web", "aws_instance"))


def test_matching_by_address_globs_and_modules() -> None:
    profile = _profile(resources=("module.db.*", "aws_instance.web[?]"))
    assert matching(profile, _resource("module.db.aws_db_instance.main"))
    assert matching(profile, _resource('module.db.module.inner.aws_db_instance.x["a"]'))
    assert matching(profile, _resource("aws_instance.web[3]", "aws_instance"))
    assert not matching(profile, _resource("aws_instance.web[12]", "aws_instance"))
    assert not matching(profile, _resource("module.dbx.aws_db_instance.main"))
    assert not matching(profile, _resource("aws_db_instance.main"))


def test_matching_needs_every_criterion() -> None:
    profile = _profile(resource_types=("aws_db_instance",), resources=("module.db.*",))
    assert matching(profile, _resource("module.db.aws_db_instance.main"))
    assert not matching(profile, _resource("aws_db_instance.main"))
    assert not matching(profile, _resource("module.db.aws_instance.web", "aws_instance"))


def test_matching_by_tags_and_labels() -> None:
    profile = _profile(tags=(("tier", "critical"), ("team", "data")))
    both = {"tier": "critical", "team": "data"}
    assert matching(profile, _resource("aws_db_instance.a", tags=both))
    assert matching(profile, _resource("google_sql.a", "google_sql", labels=both))
    # Provider default tags show only in tags_all; a mix of the maps counts.
    assert matching(
        profile,
        _resource("aws_db_instance.b", tags={"tier": "critical"}, tags_all=both),
    )
    assert not matching(profile, _resource("aws_db_instance.c", tags={"tier": "critical"}))
    assert not matching(profile, _resource("aws_db_instance.d", tags=both | {"tier": "low"}))
    assert not matching(profile, _resource("aws_db_instance.e"))
    assert not matching(profile, _resource("aws_db_instance.f", tags=None))


def test_matching_sealed_tag_value_does_not_match() -> None:
    profile = _profile(tags=(("tier", "critical"),))
    assert not matching(profile, _resource("aws_db_instance.a", tags={"tier": SEALED}))
    assert not matching(profile, _resource("aws_db_instance.b", tags=SEALED))
    assert not matching(
        _profile(tags=(("tier", SEALED),)),
        _resource("aws_db_instance.c", tags={"tier": SEALED}),
    )


# --- deciding ----------------------------------------------------------------------------------


def test_decide_takes_the_strictest_action_and_names_the_others() -> None:
    profiles = (
        _profile("speak", resources=("*",)),
        _profile("standby", resources=("*",), action="activate_ghost"),
        _profile("undo", resource_types=("aws_db_instance",), action="revert"),
        _profile("elsewhere", resource_types=("aws_instance",), action="revert"),
    )
    resource = _resource("aws_db_instance.main")
    assert [p.name for p in profiles_for(resource, profiles)] == ["speak", "standby", "undo"]
    decision = decide(resource, profiles)
    assert decision is not None
    assert decision.profile.name == "undo" and decision.action == "revert"
    assert decision.also == ("speak", "standby")


def test_decide_ties_go_to_the_first_declared() -> None:
    profiles = (
        _profile("first", resources=("*",), action="revert"),
        _profile("second", resources=("*",), action="revert"),
    )
    decision = decide(_resource("aws_db_instance.main"), profiles)
    assert decision is not None
    assert decision.profile.name == "first" and decision.also == ("second",)


def test_decide_without_a_matching_profile_is_none() -> None:
    profiles = (_profile("web", resource_types=("aws_instance",)),)
    assert decide(_resource("aws_db_instance.main"), profiles) is None
    assert decide(_resource("aws_db_instance.main"), ()) is None


# --- limit triggers ----------------------------------------------------------------------------


def test_evaluate_limit_held_for_the_duration_fires_critical() -> None:
    values = [100.0] * 20 + [300.0, 280.0, 260.0, 290.0, 310.0, 300.0, 305.0]
    trigger = TriggerSettings(metric="latency", above=250.0, for_seconds=300.0)
    result = evaluate(trigger, _series(values), _at(26))
    assert result.fired and result.state == "fired"
    assert result.severity == "critical"
    assert result.limit == 250.0
    assert result.window_start == _at(20)  # the whole run, longer than `for`
    assert result.window_end == _at(26)
    assert "above 250 for 5 min: all 6 points (lowest 260)" in result.detail
    assert "\n" not in result.detail


def test_evaluate_limit_not_held_for_the_duration_is_quiet() -> None:
    values = [100.0] * 20 + [300.0, 280.0, 240.0, 290.0, 310.0, 300.0, 305.0]
    trigger = TriggerSettings(metric="latency", above=250.0, for_seconds=300.0)
    result = evaluate(trigger, _series(values), _at(26))
    assert not result.fired and result.state == "quiet"
    assert result.severity == "info"
    assert "at 5 of 6 points in the last 5 min" in result.detail


def test_evaluate_limit_with_a_gap_is_inconclusive() -> None:
    values = [100.0] * 20 + [300.0, 300.0, np.nan, np.nan, 300.0, 300.0, 300.0]
    trigger = TriggerSettings(metric="latency", above=250.0, for_seconds=300.0)
    result = evaluate(trigger, _series(values), _at(26))
    assert not result.fired and result.state == "inconclusive"
    assert "missing data in the last 5 min (no point for 3 min from 00:21)" in result.detail


def test_evaluate_limit_tolerates_one_missed_point() -> None:
    values = [100.0] * 20 + [300.0, 300.0, np.nan, 300.0, 300.0, 300.0, 300.0]
    trigger = TriggerSettings(metric="latency", above=250.0, for_seconds=300.0)
    assert evaluate(trigger, _series(values), _at(26)).fired


def test_evaluate_limit_with_less_history_than_the_duration_is_inconclusive() -> None:
    trigger = TriggerSettings(metric="latency", above=250.0, for_seconds=3600.0)
    result = evaluate(trigger, _series([300.0] * 10), _at(9))
    assert result.state == "inconclusive"


def test_evaluate_limit_without_duration_reads_the_latest_point() -> None:
    series = _series([10.0, 10.0, 10.0, 4.0])
    below = TriggerSettings(metric="latency", below=5.0)
    result = evaluate(below, series, _at(3) + timedelta(seconds=30))
    assert result.fired and result.observed == 4.0 and result.limit == 5.0
    assert result.window_start == result.window_end == _at(3)
    quiet = evaluate(TriggerSettings(metric="latency", below=3.0), series, _at(3))
    assert quiet.state == "quiet" and "4, not below 3" in quiet.detail


def test_evaluate_limit_outside_a_range() -> None:
    series = _series([50.0, 50.0, 50.0, 120.0])
    trigger = TriggerSettings(metric="latency", above=100.0, below=10.0)
    result = evaluate(trigger, series, _at(3))
    assert result.fired and result.limit == 100.0
    assert "outside 10–100" in result.detail


def test_evaluate_stale_data_is_inconclusive() -> None:
    series = _series([300.0] * 30)
    trigger = TriggerSettings(metric="latency", above=250.0)
    result = evaluate(trigger, series, _at(29) + timedelta(minutes=10))
    assert result.state == "inconclusive" and not result.fired
    assert "no recent data (latest point 10 min old, sampled every 1 min)" in result.detail


def test_evaluate_ignores_points_after_now() -> None:
    series = _series([100.0] * 10 + [300.0] * 10)
    trigger = TriggerSettings(metric="latency", above=250.0)
    assert evaluate(trigger, series, _at(9)).state == "quiet"
    assert evaluate(trigger, series, _at(19)).fired


def test_evaluate_without_data_is_inconclusive() -> None:
    trigger = TriggerSettings(metric="latency", above=250.0)
    assert evaluate(trigger, _series([np.nan] * 5), _at(4)).state == "inconclusive"
    assert evaluate(trigger, _series([]), _at(4)).state == "inconclusive"
    assert evaluate(trigger, _series([300.0]), _at(0)).state == "inconclusive"


# --- anomaly and forecast triggers ----------------------------------------------------------------


def test_evaluate_anomaly_on_a_lasting_shift_fires() -> None:
    values = _noise()
    values[1300:] += 8.0
    trigger = TriggerSettings(metric="latency", anomaly="high")
    result = evaluate(trigger, _series(values), _at(1499))
    assert result.fired and result.severity == "critical"
    assert result.limit is None
    assert abs((result.window_start - _at(1300)).total_seconds()) <= 5 * 60
    assert "still above the forecast" in result.detail
    # Beyond the threshold from its first point: a version applied after it did not start it.
    assert result.departed == _at(1300)


def test_evaluate_anomaly_to_the_side_that_is_no_trouble_does_not_fire() -> None:
    # Latency falling: where only a rise is trouble (`trouble = "above"`), no profile acts.
    values = _noise()
    values[1300:] -= 8.0
    trigger = TriggerSettings(metric="latency", anomaly="high")
    assert evaluate(trigger, _series(values), _at(1499)).fired
    result = evaluate(trigger, _series(values), _at(1499), trouble="above")
    assert not result.fired and result.state == "quiet"
    assert "below is no trouble for this metric" in result.detail


def test_evaluate_anomaly_on_a_clean_series_is_quiet() -> None:
    trigger = TriggerSettings(metric="latency", anomaly="medium")
    result = evaluate(trigger, _series(_noise(seed=2)), _at(1499))
    assert result.state == "quiet" and not result.fired


def test_evaluate_anomaly_with_little_history_is_inconclusive() -> None:
    trigger = TriggerSettings(metric="latency", anomaly=4.0)
    result = evaluate(trigger, _series(_noise(n=20)), _at(19))
    assert result.state == "inconclusive"
    assert "too little history" in result.detail


def test_evaluate_trigger_without_limit_is_an_anomaly_at_the_default_sensitivity() -> None:
    values = _noise()
    values[1300:] += 8.0
    result = evaluate(
        TriggerSettings(metric="latency"), _series(values), _at(1499), default_sensitivity="low"
    )
    assert result.fired


def test_evaluate_forecast_breach_within_the_horizon_fires() -> None:
    values = _noise()
    values[1000:] += np.linspace(0, 25.0, 500)  # a leak: +25 over 500 minutes
    trigger = TriggerSettings(metric="latency", above=70.0, forecast_breach_within=6 * 3600.0)
    result = evaluate(trigger, _series(values), _at(1499))
    assert result.fired and result.limit == 70.0
    assert result.severity in ("warning", "critical")
    assert "forecast to go above 70 in" in result.detail
    assert result.window_end > result.window_start


def test_evaluate_forecast_breach_beyond_the_horizon_is_quiet() -> None:
    trigger = TriggerSettings(metric="latency", above=95.0, forecast_breach_within=3600.0)
    result = evaluate(trigger, _series(_noise(seed=2)), _at(1499))
    assert result.state == "quiet"
    assert "not to go above 95 within 1 h" in result.detail


def test_evaluate_forecast_breach_already_beyond_fires() -> None:
    values = _noise()
    values[-3:] = 99.0
    trigger = TriggerSettings(metric="latency", above=95.0, forecast_breach_within=3600.0)
    result = evaluate(trigger, _series(values), _at(1499))
    assert result.fired and result.severity == "critical"
    assert "already above 95" in result.detail
    assert result.window_start == _at(1497)


# --- cooldowns ---------------------------------------------------------------------------------


def test_cooldown_book_round_trip_and_expiry(tmp_path: Path) -> None:
    path = tmp_path / "profiles" / "cooldowns.json"
    book = CooldownBook(path)
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert book.ready("db", "aws_db_instance.main", now, 1800.0)
    assert book.last("db", "aws_db_instance.main") is None
    assert book.muted_until("db", "aws_db_instance.main", 1800.0) is None
    book.record("db", "aws_db_instance.main", now)

    again = CooldownBook(path)
    assert again.last("db", "aws_db_instance.main") == now
    assert again.muted_until("db", "aws_db_instance.main", 1800.0) == now + timedelta(minutes=30)
    later = now + timedelta(minutes=10)
    assert not again.ready("db", "aws_db_instance.main", later, 1800.0)
    assert again.remaining("db", "aws_db_instance.main", later, 1800.0) == 1200.0
    assert again.ready("db", "aws_db_instance.main", now + timedelta(minutes=30), 1800.0)
    # Each profile and resource has its own cooldown.
    assert again.ready("other", "aws_db_instance.main", later, 1800.0)
    assert again.ready("db", "aws_db_instance.replica", later, 1800.0)
    assert json.loads(path.read_text()) == {"db\x1faws_db_instance.main": now.isoformat()}
    assert [p.name for p in path.parent.iterdir()] == ["cooldowns.json"]


def test_cooldown_book_put_back_undoes_a_record(tmp_path: Path) -> None:
    book = CooldownBook(tmp_path / "cooldowns.json")
    first = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    claim = first + timedelta(hours=2)
    book.record("db", "x", claim)
    book.record("db", "y", claim)
    book.put_back("db", "y", None)
    assert book.last("db", "y") is None
    assert book.last("db", "x") == claim
    book.record("db", "x", first)
    book.record("db", "x", claim)
    book.put_back("db", "x", first)
    assert book.last("db", "x") == first


def test_cooldown_book_corrupt_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "cooldowns.json"
    path.write_text("[1, 2")
    with pytest.raises(StoreError) as caught:
        CooldownBook(path).ready("db", "x", START, 60.0)
    assert caught.value.hint and "delete" in caught.value.hint
    path.write_text('{"db\\u001fx": "yesterday"}')
    with pytest.raises(StoreError):
        CooldownBook(path).last("db", "x")
