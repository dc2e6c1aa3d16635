"""The plan report's data: what changes (names only), who covers it, what is known about it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tfshadow.ops.plan import (
    Acted,
    Coverage,
    RecentRecommendation,
    RevertPoint,
    build_report,
    plan_file_argument,
)
from tfshadow.settings.analysis import ProfileSettings, TriggerSettings

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
SECRET = "s3cr3t-value"


def _change(address: str, actions: list[str], **change: Any) -> dict[str, Any]:
    type_, name = address.rsplit(".", 2)[-2:]
    return {
        "address": address,
        "mode": "data" if address.startswith("data.") else "managed",
        "type": type_,
        "name": name.split("[")[0],
        "change": {"actions": actions, **change},
    }


def _planned(address: str, values: dict[str, Any], sensitive: dict[str, Any]) -> dict[str, Any]:
    return {"address": address, "values": values, "sensitive_values": sensitive}


def _profile(name: str, **fields: Any) -> ProfileSettings:
    return ProfileSettings(
        name=name, triggers=(TriggerSettings(metric="cpu", above=90.0),), **fields
    )


def test_plan_file_argument_every_spelling_and_tf_cli_args() -> None:
    assert plan_file_argument(["-out=a.tfplan"], {}) == "a.tfplan"
    assert plan_file_argument(["-out", "b.tfplan", "-no-color"], {}) == "b.tfplan"
    assert plan_file_argument(["--out=c"], {}) == "c"
    assert plan_file_argument(["-no-color"], {}) is None
    assert plan_file_argument([], {"TF_CLI_ARGS_plan": "-out='my plan'"}) == "my plan"
    # The command line comes after TF_CLI_ARGS*: its -out wins.
    assert plan_file_argument(["-out=mine"], {"TF_CLI_ARGS": "-out=env"}) == "mine"
    assert plan_file_argument(["--", "-out=x"], {}) is None


def test_build_report_actions_counts_and_changed_names() -> None:
    doc = {
        "terraform_version": "1.15.5",
        "resource_changes": [
            _change("aws_instance.same", ["no-op"]),
            _change("aws_instance.new", ["create"]),
            _change(
                "aws_instance.web",
                ["update"],
                before={"id": "i-1", "size": "small", "password": SECRET, "tags": {"a": "1"}},
                after={"id": "i-1", "size": "large", "password": SECRET + "2", "tags": {"a": "1"}},
                after_unknown={"arn": True, "nested": {"x": False}},
            ),
            _change("aws_instance.gone", ["delete"]),
            _change("aws_instance.swap", ["create", "delete"], before={"a": 1}, after={"a": 2}),
            _change("data.aws_ami.x", ["read"]),
        ],
    }
    report = build_report(doc, workspace="default", now=NOW)
    assert [(c.address, c.action) for c in report.changes] == [
        ("aws_instance.new", "create"),
        ("aws_instance.web", "update"),
        ("aws_instance.gone", "delete"),
        ("aws_instance.swap", "replace"),
        ("data.aws_ami.x", "read"),
    ]
    assert report.changes[1].attributes == ("arn", "password", "size")
    assert report.changes[3].attributes == ("a",)
    assert report.counts == (2, 1, 2)
    assert report.terraform_version == "1.15.5"
    assert report.ghosts == () and report.revert_point is None
    assert SECRET not in repr(report)


def test_build_report_coverage_matches_tags_but_not_sensitive_ones() -> None:
    doc = {
        "resource_changes": [
            _change("aws_db_instance.main", ["update"], before={"x": 1}, after={"x": 2}),
            _change("aws_db_instance.hidden", ["update"], before={"x": 1}, after={"x": 2}),
            _change("aws_db_instance.old", ["delete"]),
            _change("aws_instance.web", ["create"]),
        ],
        "planned_values": {
            "root_module": {
                "resources": [
                    _planned("aws_db_instance.main", {"tags": {"tier": "critical"}}, {}),
                    _planned(
                        "aws_db_instance.hidden",
                        {"tags": {"tier": "critical"}},
                        {"tags": {"tier": True}},
                    ),
                ]
            }
        },
        "prior_state": {
            "values": {
                "root_module": {
                    "child_modules": [],
                    "resources": [
                        _planned("aws_db_instance.old", {"tags": {"tier": "critical"}}, {})
                    ],
                }
            }
        },
    }
    profiles = (
        _profile("critical-dbs", tags=(("tier", "critical"),), action="revert", to="last-good"),
        _profile("dbs", resource_types=("aws_db_instance",)),
    )
    report = build_report(doc, workspace="default", profiles=profiles, now=NOW)
    coverage = {c.address: c.coverage for c in report.changes}
    assert coverage == {
        "aws_db_instance.main": Coverage("critical-dbs", "revert", "last-good", ("dbs",)),
        "aws_db_instance.hidden": Coverage("dbs", "recommend", "previous", ()),
        "aws_db_instance.old": Coverage("critical-dbs", "revert", "last-good", ("dbs",)),
        "aws_instance.web": None,
    }
    assert report.profiles == 2


def test_build_report_recent_recommendations_and_revert_point() -> None:
    def rec(resource: str, metric: str, age: timedelta, **fields: Any) -> dict[str, Any]:
        created = (NOW - age).isoformat().replace("+00:00", "Z")
        return {
            "resource": resource,
            "metric": metric,
            "severity": "warning",
            "created": created,
            "command": "tfshadow revert 3",
            **fields,
        }

    records = [
        rec("module.app.aws_instance.web", "cpu", timedelta(days=3), severity="critical"),
        rec("module.app.aws_instance.web", "cpu", timedelta(days=1)),  # newer: replaces it
        rec("module.app", "errors", timedelta(hours=1), severity="critical"),  # the module
        rec("module.app.aws_instance.web", "disk", timedelta(days=8)),  # too old
        rec("aws_instance.other", "cpu", timedelta(hours=1)),  # not changed
        rec("module.app.aws_instance.web", "io", timedelta(hours=1), suspect={"workspace": "prod"}),
    ]
    doc = {"resource_changes": [_change('module.app.aws_instance.web["a"]', ["delete"])]}
    latest = {"version": 4, "timestamp": "2026-05-31T10:00:00Z", "description": "scale"}
    report = build_report(
        doc,
        workspace="default",
        journal_records=records,
        latest=latest,
        has_store=True,
        now=NOW,
    )
    assert report.recommendations == (
        RecentRecommendation(
            "module.app", "errors", "critical", NOW - timedelta(hours=1), "tfshadow revert 3"
        ),
        RecentRecommendation(
            "module.app.aws_instance.web",
            "cpu",
            "warning",
            NOW - timedelta(days=1),
            "tfshadow revert 3",
        ),
    )
    assert report.revert_point == RevertPoint(4, "2026-05-31T10:00:00Z", "scale")
    assert report.revert_point.command == "tfshadow revert 4"


def _logged(
    resource: str, metric: str, created: datetime, command: str | None, **fields: Any
) -> dict[str, Any]:
    return {
        "resource": resource,
        "metric": metric,
        "severity": "critical",
        "created": created.isoformat().replace("+00:00", "Z"),
        "command": command,
        **fields,
    }


def _version(number: int, at: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "version": number,
        "timestamp": at.isoformat().replace("+00:00", "Z"),
        "kind": "apply",
        "outcome": "success",
        "workspace": "default",
        **fields,
    }


def _revert(number: int, at: datetime, to: int, *targets: str, **fields: Any) -> dict[str, Any]:
    extra: dict[str, Any] = {"targets": list(targets)} if targets else {}
    return _version(number, at, kind="revert", reverted_to=to, **extra, **fields)


def _acted_report(
    records: list[dict[str, Any]], history: list[dict[str, Any]]
) -> dict[tuple[str, str], Acted | None]:
    doc = {
        "resource_changes": [
            _change("aws_instance.web", ["update"], before={"a": 1}, after={"a": 2}),
            _change("aws_db_instance.db", ["update"], before={"a": 1}, after={"a": 2}),
            _change('module.app.aws_instance.api["x"]', ["delete"]),
        ]
    }
    report = build_report(
        doc, workspace="default", journal_records=records, history=history, now=NOW
    )
    return {(r.resource, r.metric): r.acted for r in report.recommendations}


def test_build_report_recommendation_acted_on_by_a_later_revert() -> None:
    h = timedelta(hours=1)
    history = [
        _version(5, NOW - 9 * h),
        _revert(6, NOW - 6 * h, 5),  # untargeted: every resource is back at version 5
        _revert(7, NOW - 3 * h, 3, "aws_instance.web"),
        _revert(8, NOW - 2 * h, 2, "module.app"),
    ]
    records = [
        # Logged by `check --act` after the revert it caused, dated before it (same second).
        _logged(
            "aws_instance.web",
            "cpu",
            NOW - 3 * h,
            "tfshadow revert 3 --target aws_instance.web",
            profile="web-cpu",
            action="reverted to version 3",
        ),
        # An analysis proposed version 4: version 7 went back further, to 3.
        _logged("aws_instance.web", "latency", NOW - 4 * h, "tfshadow revert 4"),
        # Logged after version 7 reverted the resource: pending again.
        _logged("aws_instance.web", "errors", NOW - 1 * h, "tfshadow revert 3"),
        # Version 6 went back to 5 only, not to the proposed 2: still pending.
        _logged("aws_db_instance.db", "cpu", NOW - 7 * h, "tfshadow revert 2"),
        _logged("aws_db_instance.db", "disk", NOW - 7 * h, "tfshadow revert 5"),
        # last-good before suspect version 4: any revert to a version before 4 undid it.
        _logged(
            'module.app.aws_instance.api["x"]',
            "cpu",
            NOW - 5 * h,
            "tfshadow revert last-good",
            suspect={"workspace": "default", "version": 4},
        ),
        # A module-wide recommendation: version 8 targeted that very module.
        _logged("module.app", "errors", NOW - 5 * h, "tfshadow revert 2"),
        # Nothing fitted, so nothing was proposed: a later revert of it acted on it all the same.
        _logged("aws_db_instance.db", "io", NOW - 7 * h, None),
    ]
    assert _acted_report(records, history) == {
        ("aws_instance.web", "cpu"): Acted(reverted_to=3, version=7, profile="web-cpu"),
        ("aws_instance.web", "latency"): Acted(reverted_to=3, version=7),
        ("aws_instance.web", "errors"): None,
        ("aws_db_instance.db", "cpu"): None,
        ("aws_db_instance.db", "disk"): Acted(reverted_to=5, version=6),
        ('module.app.aws_instance.api["x"]', "cpu"): Acted(reverted_to=2, version=8),
        ("module.app", "errors"): Acted(reverted_to=2, version=8),
        ("aws_db_instance.db", "io"): Acted(reverted_to=5, version=6),
    }


def test_build_report_recommendation_not_acted_on_by_reverts_that_miss_it() -> None:
    h = timedelta(hours=1)
    history = [
        _revert(5, NOW - 9 * h, 1),  # before the recommendations
        _revert(6, NOW - 4 * h, 1, outcome="partial"),  # failed part-way
        _revert(7, NOW - 4 * h, 1, state_only=True),  # Terraform's record only
        _revert(8, NOW - 4 * h, 1, "aws_db_instance.db"),  # another resource
        _revert(9, NOW - 4 * h, 1, 'module.app.aws_instance.api["y"]'),  # part of the module
        _version(10, NOW - 3 * h, kind="apply", reverted_to=1),  # not a revert
    ]
    records = [
        _logged("aws_instance.web", "cpu", NOW - 5 * h, "tfshadow revert 3"),
        _logged("module.app", "errors", NOW - 5 * h, "tfshadow revert 3"),
        # A profile that only would have acted, or whose revert failed.
        _logged(
            "aws_instance.web",
            "latency",
            NOW - 5 * h,
            "tfshadow revert 3 --target aws_instance.web",
            profile="web-cpu",
            action="would revert to version 3 (run with --act)",
        ),
        _logged(
            "aws_instance.web",
            "errors",
            NOW - 5 * h,
            "tfshadow revert 3 --target aws_instance.web",
            profile="web-cpu",
            action="revert to version 3 failed (exit 1)",
        ),
    ]
    acted = _acted_report(records, history)
    assert acted == {
        ("aws_instance.web", "cpu"): None,
        ("module.app", "errors"): None,
        ("aws_instance.web", "latency"): None,
        ("aws_instance.web", "errors"): None,
    }


def test_build_report_profile_revert_without_a_recorded_version_is_acted_on() -> None:
    # Retention removed the revert's version since: the profile's action still happened.
    records = [
        _logged(
            "aws_instance.web",
            "cpu",
            NOW - timedelta(hours=1),
            "tfshadow revert 3 --target aws_instance.web",
            profile="web-cpu",
            action="reverted to version 3",
        ),
        # A newer recommendation on the same metric replaces it, and is pending.
        _logged(
            "aws_db_instance.db",
            "cpu",
            NOW - timedelta(hours=2),
            "tfshadow revert 1",
            profile="db",
            action="reverted to version 1",
        ),
        _logged("aws_db_instance.db", "cpu", NOW - timedelta(hours=1), "tfshadow revert 1"),
    ]
    assert _acted_report(records, []) == {
        ("aws_instance.web", "cpu"): Acted(reverted_to=3, version=None, profile="web-cpu"),
        ("aws_db_instance.db", "cpu"): None,
    }
