"""`tfshadow plan`: Terraform's plan as it is, plus a report on what it would change."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tfshadow.forecast import journal
from tfshadow.forecast.results import Recommendation
from tfshadow.project import Project

from .conftest import FIXTURES, Result, Tfshadow, apply_small_then_large

SECRET = "fixture-token-value"
MARKER = "<!-- tfshadow:plan -->"


def _plan_dir(workdir: Path) -> Path:
    return Project(workdir, os.environ).open_store(create=False).private_dir("plan")


def _apply(tfshadow: Tfshadow, workdir: Path, *args: str) -> None:
    result = tfshadow("apply", "-auto-approve", "-no-color", *args, cwd=workdir)
    assert result.code == 0, result.err


def _plan_json(tfshadow: Tfshadow, workdir: Path) -> Result:
    """The report of a plan that changes `terraform_data.web` (and the token), as JSON."""
    return tfshadow(
        "plan", "-no-color", "-var", "size=large", "-var", "api_token=other", "--format", "json",
        cwd=workdir,
    )  # fmt: skip


def _no_secret(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text


def _recommendation(resource: str, metric: str, created: datetime, **fields: Any) -> Recommendation:
    values: dict[str, Any] = {
        "source": "csv",
        "kind": "deviation",
        "window_start": created - timedelta(hours=1),
        "window_end": created,
        "observed": 95.0,
        "expected": 40.0,
        "score": 6.0,
        "threshold": 3.5,
        "severity": "critical",
        "suspect": None,
        "command": "tfshadow revert 1",
        "reason": "cpu far above its forecast",
    }
    values.update(fields)
    return Recommendation(resource=resource, metric=metric, created=created, **values)


def test_plan_report_update_names_changed_attributes_never_values(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    _apply(tfshadow, workdir)
    plan = tfshadow(
        "plan", "-no-color", "-var", "size=large", "-var", f"api_token={SECRET}-2", cwd=workdir
    )
    assert plan.code == 0, plan.err
    # Terraform's output, on stdout as ever.
    assert "terraform_data.web will be updated in-place" in plan.out
    assert "Plan: 0 to add, 2 to change, 0 to destroy." in plan.out
    assert MARKER not in plan.out
    plan_dir = _plan_dir(workdir)
    markdown = (plan_dir / "report.md").read_text()
    [line] = [line for line in plan.err.splitlines() if line.startswith("tfshadow:")]
    assert line.startswith(f"tfshadow: plan report written to {plan_dir / 'report.md'}")
    assert "pass -out=FILE to keep it" in line

    assert markdown.startswith(MARKER + "\n")
    assert "Plan: 0 to add, 2 to change, 0 to destroy." in markdown
    assert "| `~` | `terraform_data.web` | update | `input`, `output` | none |" in markdown
    doc = json.loads((plan_dir / "report.json").read_text())
    assert doc["summary"] == {"add": 0, "change": 2, "destroy": 0}
    assert [(c["address"], c["action"], c["attributes"]) for c in doc["changes"]] == [
        ("terraform_data.auth", "update", ["input", "output"]),
        ("terraform_data.web", "update", ["input", "output"]),
    ]
    assert doc["ghosts"] == [] and doc["profiles"] == 0
    assert all(c["coverage"] is None for c in doc["changes"])
    assert "No ghost instances enabled." in markdown
    # Terraform's own plan text shows the token (terraform_data's `output` copies it without
    # the sensitive mark); tfshadow's lines and reports never do.
    _no_secret(line, markdown, (plan_dir / "report.json").read_text())
    assert "large" not in markdown and "small" not in markdown  # names, never values
    for fmt in ("json", "text", "markdown"):
        shown = tfshadow(
            "plan", "-no-color", "-var", f"api_token={SECRET}-3", "--format", fmt, cwd=workdir
        )
        assert shown.code == 0, shown.err
        assert "terraform_data.auth" in shown.out
        _no_secret(shown.out, *[x for x in shown.err.splitlines() if x.startswith("tfshadow:")])


def test_plan_report_counts_create_delete_and_replace(workdir: Path, tfshadow: Tfshadow) -> None:
    (workdir / "extra.tf").write_text('resource "terraform_data" "old" {\n  input = "x"\n}\n')
    _apply(tfshadow, workdir)
    (workdir / "extra.tf").unlink()
    (workdir / "new.tf").write_text('resource "terraform_data" "new" {\n  input = "y"\n}\n')
    plan = tfshadow(
        "plan", "-no-color", "-replace=terraform_data.web", "--format", "json", cwd=workdir
    )
    assert plan.code == 0, plan.err
    doc = plan.json()  # stdout is the report alone
    assert doc["summary"] == {"add": 2, "change": 0, "destroy": 2}
    actions = {c["address"]: c["action"] for c in doc["changes"]}
    assert actions == {
        "terraform_data.new": "create",
        "terraform_data.old": "delete",
        "terraform_data.web": "replace",
    }
    # Terraform's own output went to stderr.
    assert "Plan: 2 to add, 0 to change, 2 to destroy." in plan.err
    _no_secret(plan.out, plan.err)


def test_plan_report_detailed_exitcode_kept_with_format(workdir: Path, tfshadow: Tfshadow) -> None:
    _apply(tfshadow, workdir)
    changed = tfshadow(
        "plan",
        "-no-color",
        "-detailed-exitcode",
        "-var",
        "size=large",
        "--format",
        "markdown",
        cwd=workdir,
    )
    assert changed.code == 2, changed.err
    assert changed.out.startswith(MARKER + "\n")
    assert "`terraform_data.web`" in changed.out
    assert "will be updated in-place" in changed.err and "will be updated" not in changed.out
    assert changed.out == (_plan_dir(workdir) / "report.md").read_text()

    same = tfshadow("plan", "-no-color", "-detailed-exitcode", "--format", "json", cwd=workdir)
    assert same.code == 0, same.err
    doc = same.json()
    assert doc["changes"] == [] and doc["summary"] == {"add": 0, "change": 0, "destroy": 0}


def test_plan_report_that_cannot_be_made_is_never_read_as_changes_present(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    _apply(tfshadow, workdir)
    store = Project(workdir, os.environ).open_store(create=False)
    (store.private_dir("ghosts") / "ghosts.json").write_text("{")  # damaged
    args = ("plan", "-no-color", "-detailed-exitcode", "--format", "json")
    # With --format the report is what was asked for: failing to make it fails the command,
    # with 1, not the 2 a pipeline takes for "changes present" (nor 0 for "no changes").
    for size in ("large", "small"):
        result = tfshadow(*args, "-var", f"size={size}", cwd=workdir)
        assert result.code == 1, result.err
        assert result.out == ""
        assert "ghost registry" in result.err and "Traceback" not in result.err


def test_plan_without_store_passes_through_untouched(workdir: Path, tfshadow: Tfshadow) -> None:
    plan = tfshadow("plan", "-no-color", "-detailed-exitcode", cwd=workdir)
    assert plan.code == 2
    assert "Plan: 2 to add, 0 to change, 0 to destroy." in plan.out
    # No -out was added: Terraform says so itself.
    assert "You didn't use the -out option" in plan.out
    assert "tfshadow:" not in plan.err
    assert not (workdir / ".tfshadow").exists()


def test_plan_without_store_reports_with_format(workdir: Path, tfshadow: Tfshadow) -> None:
    plan = tfshadow("plan", "-no-color", "--format", "json", cwd=workdir)
    assert plan.code == 0, plan.err
    doc = plan.json()
    assert doc["store"] is False and doc["revert_point"] is None
    assert doc["summary"] == {"add": 2, "change": 0, "destroy": 0}
    assert not (workdir / ".tfshadow").exists()
    assert "tfshadow: the plan file is removed" in plan.err


def test_plan_does_not_advise_applying_its_temporary_plan_file(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    plan = tfshadow("plan", "-no-color", "-var", "size=large", cwd=workdir)
    assert plan.code == 0, plan.err
    assert "1 to change" in plan.out
    # The plan file tfshadow added is removed: Terraform must not tell anyone to apply it.
    assert "terraform apply" not in plan.out + plan.err
    assert "the plan file is removed: pass -out=FILE to keep it" in plan.err


def test_plan_json_output_stays_parseable(workdir: Path, tfshadow: Tfshadow) -> None:
    _apply(tfshadow, workdir)
    plan = tfshadow("plan", "-json", "-var", "size=large", cwd=workdir)
    assert plan.code == 0, plan.err
    messages = [json.loads(line) for line in plan.out.splitlines()]
    assert any(m.get("type") == "change_summary" for m in messages)
    assert (_plan_dir(workdir) / "report.md").is_file()


def test_plan_failing_writes_no_report(workdir: Path, tfshadow: Tfshadow) -> None:
    _apply(tfshadow, workdir)
    assert tfshadow("plan", "-no-color", "-var", "size=large", cwd=workdir).code == 0
    plan_dir = _plan_dir(workdir)
    assert (plan_dir / "report.md").is_file()
    (workdir / "broken.tf").write_text('resource "terraform_data" "bad" {\n  input = \n')
    plan = tfshadow("plan", "-no-color", "--format", "json", cwd=workdir)
    assert plan.code == 1
    assert plan.out == ""
    assert "Error" in plan.err
    # The earlier plan's report is gone: nothing can post it as this plan's.
    assert not (plan_dir / "report.md").exists() and not (plan_dir / "report.json").exists()
    again = tfshadow("plan", "-no-color", cwd=workdir)
    assert again.code == 1 and "plan report written" not in again.err


def test_plan_user_out_file_is_kept(workdir: Path, tfshadow: Tfshadow) -> None:
    _apply(tfshadow, workdir)
    plan = tfshadow(
        "plan",
        "-no-color",
        "-var",
        "size=large",
        "-out=keep.tfplan",
        "--format",
        "json",
        cwd=workdir,
    )
    assert plan.code == 0, plan.err
    assert (workdir / "keep.tfplan").is_file()
    assert [c["address"] for c in plan.json()["changes"]] == ["terraform_data.web"]
    assert "plan file is removed" not in plan.err
    applied = tfshadow("apply", "-no-color", "keep.tfplan", cwd=workdir)
    assert applied.code == 0, applied.err


def test_plan_report_names_the_revert_point(workdir: Path, tfshadow: Tfshadow) -> None:
    _apply(tfshadow, workdir, "--message", "first")
    _apply(tfshadow, workdir, "-var", "size=medium", "--message", "medium web tier")
    plan = tfshadow("plan", "-no-color", "-var", "size=large", "--format", "json", cwd=workdir)
    point = plan.json()["revert_point"]
    assert point["version"] == 2 and point["command"] == "tfshadow revert 2"
    assert point["description"] == "medium web tier" and point["timestamp"].endswith("Z")
    markdown = (_plan_dir(workdir) / "report.md").read_text()
    assert "If this change misbehaves: `tfshadow revert 2` (version 2, recorded" in markdown
    text = tfshadow("plan", "-no-color", "-var", "size=large", "--format", "text", cwd=workdir)
    assert "If this change misbehaves: tfshadow revert 2" in text.out


def test_plan_report_shows_recent_recommendations(workdir: Path, tfshadow: Tfshadow) -> None:
    _apply(tfshadow, workdir)
    now = datetime.now(UTC).replace(microsecond=0)
    log = Project(workdir, os.environ).open_store(create=False).private_dir("analysis")
    journal.append(
        log / "recommendations.jsonl",
        [
            _recommendation("terraform_data.web", "cpu", now - timedelta(days=2), severity="info"),
            _recommendation("terraform_data.web", "cpu", now - timedelta(hours=1)),
            _recommendation("terraform_data.web", "latency", now - timedelta(days=10)),
            _recommendation("terraform_data.auth", "cpu", now - timedelta(hours=1)),
            _recommendation(
                "terraform_data.web",
                "errors",
                now - timedelta(hours=2),
                severity="warning",
                command=None,
            ),
        ],
    )
    plan = tfshadow("plan", "-no-color", "-var", "size=large", "--format", "json", cwd=workdir)
    assert plan.code == 0, plan.err
    recs = plan.json()["recommendations"]
    assert recs == [
        {
            "resource": "terraform_data.web",
            "metric": "cpu",
            "severity": "critical",
            "created": (now - timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
            "command": "tfshadow revert 1",
            "acted": None,
        },
        {
            "resource": "terraform_data.web",
            "metric": "errors",
            "severity": "warning",
            "created": (now - timedelta(hours=2)).isoformat().replace("+00:00", "Z"),
            "command": None,
            "acted": None,
        },
    ]
    markdown = (_plan_dir(workdir) / "report.md").read_text()
    assert "| `terraform_data.web` | cpu | 🔴 critical |" in markdown
    assert "`tfshadow revert 1`" in markdown


def test_plan_report_profiles_covering_changes(workdir: Path, tfshadow: Tfshadow) -> None:
    (workdir / "tfshadow.hcl").write_text(
        'profile "web-tier" {\n  resources = ["terraform_data.web"]\n  action = "revert"\n'
        '  trigger {\n    metric = "cpu"\n    above = 90\n  }\n}\n'
        'profile "everything" {\n  resource_types = ["terraform_data"]\n'
        '  trigger {\n    metric = "cpu"\n    above = 95\n  }\n}\n'
    )
    _apply(tfshadow, workdir)
    plan = _plan_json(tfshadow, workdir)
    assert plan.code == 0, plan.err
    coverage = {c["address"]: c["coverage"] for c in plan.json()["changes"]}
    assert coverage == {
        "terraform_data.auth": {
            "profile": "everything",
            "action": "recommend",
            "to": "previous",
            "also": [],
        },
        "terraform_data.web": {
            "profile": "web-tier",
            "action": "revert",
            "to": "previous",
            "also": ["everything"],
        },
    }
    markdown = (_plan_dir(workdir) / "report.md").read_text()
    assert "`web-tier` (revert to previous); also `everything`" in markdown


def test_plan_report_file_in_the_chosen_format(workdir: Path, tfshadow: Tfshadow) -> None:
    _apply(tfshadow, workdir)
    plan = tfshadow(
        "plan",
        "-no-color",
        "-var",
        "size=large",
        "--format",
        "text",
        "--report-file",
        "out/plan.txt",
        cwd=workdir,
    )
    assert plan.code == 2 and "cannot be written" in plan.err  # its directory does not exist
    (workdir / "out").mkdir()
    plan = tfshadow(
        "plan",
        "-no-color",
        "-var",
        "size=large",
        "--format",
        "text",
        "--report-file",
        "out/plan.txt",
        cwd=workdir,
    )
    assert plan.code == 0, plan.err
    text = (workdir / "out" / "plan.txt").read_text()
    assert text.startswith("tfshadow plan report: workspace default")
    assert "terraform_data.web" in text and "\x1b[" not in text
    assert str(workdir / "out" / "plan.txt") in plan.err
    quiet = tfshadow(
        "plan", "-no-color", "-var", "size=large", "--report-file", "out/plan.md", cwd=workdir
    )
    assert quiet.code == 0
    assert "will be updated in-place" in quiet.out  # still Terraform's stdout
    assert (workdir / "out" / "plan.md").read_text().startswith(MARKER)


@pytest.mark.parametrize(
    "args",
    [
        ("state", "list", "--format", "json"),
        ("log", "--report-file=x.md"),
        ("--format", "json"),
        ("apply", "--format=text"),
    ],
)
def test_plan_options_rejected_elsewhere(
    tmp_path: Path, tfshadow: Tfshadow, args: tuple[str, ...]
) -> None:
    shutil.copytree(FIXTURES / "basic", tmp_path / "infra")
    result: Result = tfshadow(*args, cwd=tmp_path / "infra")
    assert result.code == 2
    assert "only applies to `tfshadow plan`" in result.err
    assert result.err.count("\n") == 1


def test_plan_bad_format_is_refused_before_planning(workdir: Path, tfshadow: Tfshadow) -> None:
    result = tfshadow("plan", "-no-color", "--format", "yaml", cwd=workdir)
    assert result.code == 2
    assert "--format yaml is not a report format" in result.err
    assert "Plan:" not in result.out + result.err


def test_plan_report_recommendation_acted_on_by_a_revert(workdir: Path, tfshadow: Tfshadow) -> None:
    _apply(tfshadow, workdir)
    _apply(tfshadow, workdir, "-var", "size=medium")
    store = Project(workdir, os.environ).open_store(create=False)
    log = store.private_dir("analysis") / "recommendations.jsonl"
    before = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    targeted = "tfshadow revert 1 --target terraform_data.web"
    journal.append(
        log,
        [
            _recommendation(
                "terraform_data.web",
                "cpu",
                before,
                command=targeted,
                profile="web-cpu",
                action="reverted to version 1",
            ),
            _recommendation("terraform_data.web", "latency", before),
            # The revert targets the web tier only.
            _recommendation("terraform_data.auth", "cpu", before),
        ],
    )
    reverted = tfshadow(
        "revert", "1", "--target", "terraform_data.web", "--auto-approve", "--no-color", cwd=workdir
    )
    assert reverted.code == 0, reverted.err
    meta = Project(workdir, os.environ).open_store(create=False).latest("default")
    assert meta is not None and meta["version"] == 3 and meta["reverted_to"] == 1
    after = journal.parse_time(meta["timestamp"])
    assert after is not None
    # Logged after the revert: pending again.
    journal.append(
        log, [_recommendation("terraform_data.web", "errors", after + timedelta(seconds=1))]
    )

    plan = _plan_json(tfshadow, workdir)
    assert plan.code == 0, plan.err
    acted = {(r["resource"], r["metric"]): r["acted"] for r in plan.json()["recommendations"]}
    assert acted == {
        ("terraform_data.web", "cpu"): {"version": 3, "reverted_to": 1, "profile": "web-cpu"},
        ("terraform_data.web", "latency"): {"version": 3, "reverted_to": 1, "profile": None},
        ("terraform_data.web", "errors"): None,
        ("terraform_data.auth", "cpu"): None,
    }
    markdown = (_plan_dir(workdir) / "report.md").read_text()
    assert "| handled: reverted to v1 by v3 (profile web-cpu) |" in markdown
    assert "| handled: reverted to v1 by v3 |" in markdown
    assert f"`{targeted}`" not in markdown
    assert markdown.count("`tfshadow revert 1`") == 2  # the two pending ones


def test_plan_report_shows_a_profile_revert_as_handled(workdir: Path, tfshadow: Tfshadow) -> None:
    apply_small_then_large(tfshadow, workdir)
    (workdir / "tfshadow.hcl").write_text(
        'metrics "csv" { path = "metrics/${address}.csv" }\n'
        'resource_metrics "terraform_data.*" { source = "csv" }\n'
        'profile "web-cpu" {\n  resources = ["terraform_data.web"]\n'
        '  trigger {\n    metric = "cpu"\n    above = 80\n    for = "2m"\n  }\n'
        '  action = "revert"\n  to = "previous"\n}\n'
    )
    now = datetime.now(UTC)
    rows = ["timestamp,value"] + [
        f"{now - timedelta(seconds=30 * i):%Y-%m-%dT%H:%M:%SZ},{95 if i <= 6 else 30}"
        for i in range(120, -1, -1)
    ]
    (workdir / "metrics").mkdir()
    (workdir / "metrics" / "terraform_data.web.csv").write_text("\n".join(rows) + "\n")
    checked = tfshadow("check", "--act", "--json", cwd=workdir)
    assert checked.code == 0, checked.err  # acted on: handled, as below
    [rec] = checked.json()["recommendations"]
    assert rec["action"] == "reverted to version 1", rec

    plan = tfshadow("plan", "-no-color", "-var", "size=huge", "--format", "markdown", cwd=workdir)
    assert plan.code == 0, plan.err
    assert "| handled: reverted to v1 by v3 (profile web-cpu) |" in plan.out
    assert "`tfshadow revert 1 --target terraform_data.web`" not in plan.out
    [saved] = json.loads((_plan_dir(workdir) / "report.json").read_text())["recommendations"]
    assert saved["acted"] == {"version": 3, "reverted_to": 1, "profile": "web-cpu"}
    assert saved["command"] == "tfshadow revert 1 --target terraform_data.web"
