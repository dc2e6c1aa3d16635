"""Plan report rendering: markdown for PR comments, JSON, text."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

from click.testing import CliRunner

from tfshadow.cli.output import stdout_console
from tfshadow.ops.plan import (
    Acted,
    Coverage,
    PlanReport,
    RecentRecommendation,
    ResourceChange,
    RevertPoint,
)
from tfshadow.report.plan import (
    FOLD_AFTER,
    MARKER,
    plan_json,
    plan_markdown,
    plan_text,
    render,
    render_plan,
)

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _report(**fields: object) -> PlanReport:
    values: dict[str, object] = {
        "workspace": "default",
        "created": NOW,
        "changes": (
            ResourceChange(
                'aws_instance.web["a|b"]',
                "managed",
                "aws_instance",
                "update",
                ("instance_type", "tags"),
                Coverage("web", "revert", "previous", ("all",)),
            ),
        ),
        "has_store": True,
        "profiles": 2,
    }
    values.update(fields)
    return PlanReport(**values)  # type: ignore[arg-type]


def test_plan_markdown_marker_table_and_inert_user_text() -> None:
    text = plan_markdown(
        _report(
            revert_point=RevertPoint(3, "2026-05-31T10:00:00Z", "fix <b>|pipes|</b>\nmore"),
            recommendations=(
                RecentRecommendation('aws_instance.web["a|b"]', "cpu", "critical", NOW, None),
            ),
        )
    )
    assert text.startswith(MARKER + "\n### tfshadow plan: workspace `default`\n")
    assert (
        '| `~` | `aws_instance.web["a\\|b"]` | update | `instance_type`, `tags` '
        "| `web` (revert to previous); also `all` |"
    ) in text
    assert "| 2026-06-01 12:00 | nothing fits |" in text
    assert "If this change misbehaves: `tfshadow revert 3` (version 3, recorded " in text
    assert "fix \\<b\\>\\|pipes\\|\\</b\\>)." in text  # first line only, inert
    assert "No ghost instances enabled." in text
    assert "<details>" not in text


def test_plan_markdown_folds_long_lists_and_says_when_nothing() -> None:
    changes = tuple(
        ResourceChange(f"aws_instance.n[{i}]", "managed", "aws_instance", "create")
        for i in range(FOLD_AFTER + 1)
    )
    text = plan_markdown(_report(changes=changes, profiles=0, has_store=False))
    assert f"<details><summary>{FOLD_AFTER + 1} resource changes</summary>" in text
    assert "No reversion profile is declared" in text
    assert "No shadow store here yet" in text
    assert "Plan: 11 to add, 0 to change, 0 to destroy." in text
    assert "No changes." in plan_markdown(_report(changes=()))


def test_plan_json_and_text_shapes() -> None:
    doc = plan_json(_report())
    assert doc["summary"] == {"add": 0, "change": 1, "destroy": 0}
    assert doc["changes"][0]["coverage"] == {
        "profile": "web",
        "action": "revert",
        "to": "previous",
        "also": ["all"],
    }
    assert doc["ghosts"] == [] and doc["revert_point"] is None and doc["store"] is True
    assert json.loads(render(_report(), "json")) == doc
    text = plan_text(_report())
    assert "tfshadow plan report: workspace default" in text
    assert "web (revert to previous); also all" in text and "\x1b[" not in text
    assert "No shadow version in workspace default yet" in text


def test_plan_text_warning_stays_on_one_line_when_piped() -> None:
    # `tfshadow plan --format text` prints through stdout_console(); under CliRunner stdout is
    # not a terminal, so rich lays it out at 80 columns as it does in a pipeline.
    warning = "the recommendation log could not be read: " + "x" * 90
    with CliRunner().isolation() as (out, _err, _):
        render_plan(stdout_console(), _report(warnings=(warning,)))
        sys.stdout.flush()
        text = out.getvalue().decode()
    assert f"warning: {warning}\n" in text
    assert plan_text(_report(warnings=(warning,)), width=80).count(f"warning: {warning}\n") == 1


def _acted_recommendations() -> tuple[RecentRecommendation, ...]:
    command = "tfshadow revert 3 --target aws_instance.web"
    return (
        RecentRecommendation(
            "aws_instance.web", "cpu", "critical", NOW, command, Acted(3, 7, "web_cpu")
        ),
        RecentRecommendation("aws_instance.web", "disk", "warning", NOW, command, Acted(2, 6)),
        RecentRecommendation(
            "aws_instance.web", "io", "warning", NOW, command, Acted(3, None, "p")
        ),
        RecentRecommendation("aws_instance.web", "latency", "info", NOW, "tfshadow revert 4"),
    )


def test_plan_markdown_acted_on_recommendation_says_what_was_done_not_the_command() -> None:
    text = plan_markdown(_report(recommendations=_acted_recommendations()))
    assert (
        "| `aws_instance.web` | cpu | 🔴 critical | 2026-06-01 12:00 "
        "| handled: reverted to v3 by v7 (profile web\\_cpu) |"
    ) in text
    assert "| handled: reverted to v2 by v6 |" in text
    assert "| handled: reverted to v3 (profile p) |" in text
    assert "--target aws_instance.web" not in text
    # Not acted on: the command, as before.
    assert "| 🔵 info | 2026-06-01 12:00 | `tfshadow revert 4` |" in text


def test_plan_json_acted_field() -> None:
    recs = plan_json(_report(recommendations=_acted_recommendations()))["recommendations"]
    assert [r["acted"] for r in recs] == [
        {"version": 7, "reverted_to": 3, "profile": "web_cpu"},
        {"version": 6, "reverted_to": 2, "profile": None},
        {"version": None, "reverted_to": 3, "profile": "p"},
        None,
    ]
    # The proposed command is kept for the record.
    assert recs[0]["command"] == "tfshadow revert 3 --target aws_instance.web"


def test_plan_text_acted_on_recommendation_says_what_was_done() -> None:
    text = plan_text(_report(recommendations=_acted_recommendations()), width=200)
    assert "handled: reverted to v3 by v7 (profile web_cpu)" in text
    assert "handled: reverted to v2 by v6" in text
    assert "tfshadow revert 4" in text
    assert "--target aws_instance.web" not in text


def test_plan_markdown_a_named_version_without_a_command_is_not_nothing_fits() -> None:
    # Memory falling where only a rise is trouble names its version, as information, with no
    # revert proposed: "nothing fits" would say no version could be blamed.
    rec = RecentRecommendation("aws_instance.web", "memory", "info", NOW, None, named=True)
    text = plan_markdown(_report(recommendations=(rec,)))
    assert "| 2026-06-01 12:00 | none proposed |" in text
    assert "nothing fits" not in text
