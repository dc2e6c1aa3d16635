"""The plan report's data: what changes (names only), who covers it, what is known about it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tfshadow.ops.plan import (
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
