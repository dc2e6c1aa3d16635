"""Naming the version that most likely caused a deviation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tfshadow.forecast.attribution import VersionInfo, recommend, suspect_for
from tfshadow.forecast.engine import Finding

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HOUR = 3600.0


def _version(n: int, minutes_before: float, addresses: tuple[str, ...] = ()) -> VersionInfo:
    return VersionInfo(
        "default",
        n,
        T0 - timedelta(minutes=minutes_before),
        f"dev{n}",
        f"change {n}",
        frozenset(addresses),
    )


def _finding(severity: str = "critical") -> Finding:
    return Finding(
        kind="deviation",
        start=T0,
        end=T0 + timedelta(minutes=30),
        observed=90.0,
        expected=40.0,
        score=9.0,
        threshold=3.75,
        severity=severity,
        ongoing=True,
        reason="observed 90 vs expected 40: still above the forecast",
    )


def test_suspect_is_the_latest_version_before_the_start() -> None:
    versions = [_version(1, 300), _version(2, 40), _version(3, 10)]
    suspect = suspect_for("aws_instance.web", T0, versions, HOUR)
    assert suspect is not None and suspect.version == 3


def test_suspect_prefers_a_version_that_changed_the_resource() -> None:
    versions = [_version(2, 40, ("aws_instance.web",)), _version(3, 10, ("aws_s3_bucket.logs",))]
    suspect = suspect_for("aws_instance.web", T0, versions, HOUR)
    assert suspect is not None and suspect.version == 2


def test_suspect_matches_instances_of_the_resource() -> None:
    versions = [_version(2, 40, ('aws_instance.web["a"]',)), _version(3, 10)]
    suspect = suspect_for('aws_instance.web["b"]', T0, versions, HOUR)
    assert suspect is not None and suspect.version == 2


def test_suspect_other_resources_of_a_module_instance_did_not_change_it() -> None:
    versions = [
        _version(2, 40, ('module.app["a"].aws_instance.web',)),
        _version(3, 10, ('module.app["b"].aws_s3_bucket.logs',)),
    ]
    suspect = suspect_for('module.app["a"].aws_instance.web', T0, versions, HOUR)
    assert suspect is not None and suspect.version == 2
    rec = recommend(
        'module.app["c"].aws_instance.db', "cpu", "csv", _finding(), versions, HOUR, None, T0
    )
    assert rec.suspect is not None and not rec.suspect.changed_resource


def test_no_suspect_outside_the_window() -> None:
    assert suspect_for("aws_instance.web", T0, [_version(1, 120)], HOUR) is None
    late = [_version(4, -30)]  # applied half an hour after the deviation began
    assert suspect_for("aws_instance.web", T0, late, HOUR) is None


def test_a_version_applied_just_after_the_start_is_a_suspect() -> None:
    suspect = suspect_for("aws_instance.web", T0, [_version(4, -2)], HOUR)
    assert suspect is not None


def test_a_revert_applied_after_the_start_is_not_the_suspect() -> None:
    # Someone reverted the resource two minutes into the incident: the version before it caused
    # the departure, and the revert must not be named (its remedy would undo the fix).
    culprit = _version(5, 10, ("aws_instance.web",))
    remedy = replace(_version(6, -2, ("aws_instance.web",)), kind="revert")
    suspect = suspect_for("aws_instance.web", T0, [culprit, remedy], HOUR)
    assert suspect is not None and suspect.version == 5
    earlier_revert = replace(_version(6, 3, ("aws_instance.web",)), kind="revert")
    suspect = suspect_for("aws_instance.web", T0, [culprit, earlier_revert], HOUR)
    assert suspect is not None and suspect.version == 6


def test_recommend_proposes_reverting_to_the_previous_version() -> None:
    versions = [_version(1, 300), _version(2, 10, ("aws_instance.web",))]
    rec = recommend("aws_instance.web", "cpu", "csv", _finding(), versions, HOUR, None, T0)
    assert rec.command == "tfshadow revert 1"
    assert rec.suspect is not None and rec.suspect.version == 2
    assert rec.suspect.author == "dev2" and rec.suspect.changed_resource
    assert "version 2 (change 2) was applied 10 min before it began" in rec.reason
    assert rec.to_json()["suspect"]["version"] == 2


def test_recommend_proposes_the_last_good_version_by_number_when_it_is_older() -> None:
    versions = [_version(1, 300), _version(2, 200), _version(3, 10)]
    rec = recommend("aws_instance.web", "cpu", "csv", _finding(), versions, HOUR, 1, T0)
    # A number stays true when a later mark moves `last-good`.
    assert rec.command == "tfshadow revert 1"
    assert "version 1 is the newest marked good" in rec.reason


def test_recommend_says_when_no_version_fits() -> None:
    rec = recommend(
        "aws_instance.web", "cpu", "csv", _finding(), [_version(1, 600)], HOUR, None, T0
    )
    assert rec.suspect is None and rec.command is None
    assert "no shadow version was applied in the 60 min before it began" in rec.reason


def test_recommend_without_an_earlier_version_proposes_nothing() -> None:
    rec = recommend("aws_instance.web", "cpu", "csv", _finding(), [_version(1, 5)], HOUR, None, T0)
    assert rec.suspect is not None and rec.command is None
    assert "no earlier version is kept" in rec.reason


def test_version_info_reads_stored_meta() -> None:
    meta = {
        "version": 7,
        "timestamp": "2026-06-01T11:50:00Z",
        "author": {"name": "alice", "email": "a@example.com"},
        "description": "bigger instances",
        "workspace": "prod",
        "changes": {"addresses": ["aws_instance.web"]},
        "outcome": "success",
        "kind": "revert",
    }
    info = VersionInfo.from_meta(meta)
    assert info is not None
    assert info.kind == "revert"
    assert (info.version, info.author, info.workspace) == (7, "alice", "prod")
    assert info.applied == T0 - timedelta(minutes=10)
    assert VersionInfo.from_meta({"version": 1}) is None


def test_suspect_window_reaches_back_further_on_a_coarse_series() -> None:
    # An hourly metric's deviation is dated some points after it began: a version applied five
    # hours before that start is still the suspect there, though not on a minutely series.
    versions = [_version(1, 300, ("aws_instance.web",))]
    suspect = suspect_for("aws_instance.web", T0, versions, HOUR, step=3600.0)
    assert suspect is not None and suspect.version == 1
    assert suspect_for("aws_instance.web", T0, versions, HOUR, step=60.0) is None
    far = [_version(1, 25 * 60)]
    assert suspect_for("aws_instance.web", T0, far, HOUR, step=3600.0) is None


def test_recommend_names_the_window_it_searched_on_a_coarse_series() -> None:
    hourly = replace(_finding(), step=3600.0)
    rec = recommend("aws_instance.web", "cpu", "csv", hourly, [], HOUR, None, T0)
    assert rec.suspect is None
    assert "no shadow version was applied in the 24 h before it began" in rec.reason


def test_a_version_applied_after_the_series_departed_did_not_start_it() -> None:
    # Two applies a minute apart, both changing web: the series had departed (beyond the
    # threshold at T0) 16 s before version 3 was applied. Naming 3 proposed `revert 2`,
    # which keeps the cause.
    cause = replace(_version(2, 0.5, ("aws_instance.web",)), description="bigger web")
    later = _version(3, -16 / 60, ("aws_instance.web",))
    suspect = suspect_for("aws_instance.web", T0, [cause, later], HOUR, 60.0, T0)
    assert suspect is not None and suspect.version == 2
    rec = recommend(
        "aws_instance.web",
        "cpu",
        "csv",
        replace(_finding(), departed=T0),
        [_version(1, 300), cause, later],
        HOUR,
        None,
        T0,
    )
    assert rec.suspect is not None and rec.suspect.version == 2
    assert rec.command == "tfshadow revert 1"
    # Alone, a version applied just after the series departed is still the suspect (clocks
    # differ).
    assert suspect_for("aws_instance.web", T0, [later], HOUR, 60.0, T0) is not None


def test_a_harmless_departure_proposes_no_revert() -> None:
    # Memory falling at a restart where only a rise is trouble: the version is named, as
    # information, but nothing is to be reverted for it.
    finding = replace(
        _finding("info"),
        reason="observed 35 vs expected 85: still below the forecast; below is no trouble "
        "for this metric (trouble = above)",
        harmless=True,
    )
    versions = [_version(1, 300), _version(2, 10, ("aws_instance.web",))]
    rec = recommend("aws_instance.web", "memory", "csv", finding, versions, HOUR, None, T0)
    assert rec.severity == "info" and rec.command is None
    assert rec.suspect is not None and rec.suspect.version == 2
    assert rec.reason.startswith(finding.reason + ", so no revert is proposed; version 2")
