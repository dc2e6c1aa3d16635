"""`tfshadow gate` and `tfshadow comment` end to end: a store made by a real `tfshadow apply`, a
recommendation log written by the journal, and (for `comment`) a local server standing in for
GitHub's and GitLab's APIs, which cannot be reached from here (tests/unit/ci/fake_forges.py)."""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.func.conftest import Tfshadow
from tests.unit.ci.fake_forges import GITHUB_TOKEN, FakeForge, github_env, gitlab_env, serve
from tfshadow.forecast import journal
from tfshadow.forecast.results import Recommendation, Suspect
from tfshadow.project import Project


def _rec(
    severity: str,
    created: datetime,
    *,
    resource: str = "terraform_data.web",
    metric: str = "cpu",
    workspace: str = "default",
) -> Recommendation:
    return Recommendation(
        resource=resource,
        metric=metric,
        source="csv",
        kind="deviation",
        window_start=created - timedelta(hours=1),
        window_end=created,
        observed=91.0,
        expected=35.0,
        score=5.1,
        threshold=3.5,
        severity=severity,
        suspect=Suspect(workspace, 2, "2026-05-01T11:00:00Z", "Test User", "scale", True),
        command="tfshadow revert 1",
        reason=f"{metric} is 5.1σ above its forecast since version 2",
        created=created,
    )


def _log(workdir: Path, *recs: Recommendation) -> None:
    store = Project(workdir, os.environ).open_store(create=False)
    journal.append(store.private_dir("analysis") / "recommendations.jsonl", recs)


@contextmanager
def _serving(flavour: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeForge]:
    """The stand-in for ``flavour``'s API, with the job's variables pointing at it."""
    with serve(flavour) as forge:
        environ = github_env(forge) if flavour == "github" else gitlab_env(forge)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        yield forge


@pytest.fixture
def applied(tfshadow: Tfshadow, workdir: Path) -> Path:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    return workdir


def test_gate_without_recommendations_passes(tfshadow: Tfshadow, applied: Path) -> None:
    result = tfshadow("gate", "--junit", "gate.xml", "--no-color", cwd=applied)

    assert result.code == 0, result.err
    assert "tfshadow gate passed: 0 open recommendations" in result.out
    suite = ET.parse(applied / "gate.xml").getroot().find("testsuite")
    assert suite is not None
    assert [c.get("name") for c in suite.findall("testcase")] == ["no open recommendations"]


def test_gate_fails_on_an_open_critical_recommendation(tfshadow: Tfshadow, applied: Path) -> None:
    now = datetime.now(UTC)
    _log(applied, _rec("critical", now - timedelta(minutes=5)))

    result = tfshadow("gate", cwd=applied)

    assert result.code == 1
    assert "tfshadow gate failed: 1 open recommendation" in result.out
    assert "critical: terraform_data.web cpu: cpu is 5.1σ above" in result.out
    assert "(proposed: tfshadow revert 1)" in result.out
    assert "::error" not in result.out


def test_gate_fail_on_sets_the_threshold(tfshadow: Tfshadow, applied: Path) -> None:
    _log(applied, _rec("warning", datetime.now(UTC) - timedelta(minutes=5)))

    assert tfshadow("gate", cwd=applied).code == 0
    assert tfshadow("gate", "--fail-on", "warning", cwd=applied).code == 1
    bad = tfshadow("gate", "--fail-on", "info", cwd=applied)
    assert bad.code == 2


def test_gate_reads_only_the_newest_recent_recommendation_per_metric(
    tfshadow: Tfshadow, applied: Path
) -> None:
    now = datetime.now(UTC)
    _log(
        applied,
        _rec("critical", now - timedelta(hours=2)),
        _rec("warning", now - timedelta(hours=1)),  # a later analysis: it is only a warning now
        _rec("critical", now - timedelta(days=3), metric="memory"),  # older than --since
        _rec("critical", now - timedelta(minutes=1), workspace="staging"),  # not this workspace
    )

    result = tfshadow("gate", "--junit", "gate.xml", cwd=applied)

    assert result.code == 0, result.out
    assert "1 open recommendation in the last 24h (0 critical, 1 warning, 0 info)" in result.out
    suite = ET.parse(applied / "gate.xml").getroot().find("testsuite")
    assert suite is not None
    assert [c.get("name") for c in suite.findall("testcase")] == ["terraform_data.web cpu"]
    assert tfshadow("gate", "--since", "7d", cwd=applied).code == 1
    assert tfshadow("gate", "--since", "99999999999d", cwd=applied).code == 1  # the whole log
    bad = tfshadow("gate", "--since", "soon", cwd=applied)
    assert bad.code == 2 and bad.err.count("7d") == 1, bad.err  # the examples said once


def test_gate_drops_recommendations_for_resources_reverted_since(
    tfshadow: Tfshadow, applied: Path
) -> None:
    assert (
        tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=large", cwd=applied).code == 0
    )
    before = datetime.now(UTC) - timedelta(minutes=1)
    _log(
        applied,
        _rec("critical", before),
        _rec("critical", before, resource="terraform_data.auth", metric="latency"),
    )
    assert tfshadow("gate", cwd=applied).code == 1

    reverted = tfshadow(
        "revert",
        "1",
        "--auto-approve",
        "--no-color",
        "-var",
        "api_token=fixture-token-value",
        cwd=applied,
    )
    assert reverted.code == 0, reverted.err

    result = tfshadow("gate", "--fail-on", "critical", cwd=applied)
    # The revert changed terraform_data.web only: auth's recommendation is still open.
    assert result.code == 1
    assert "1 open recommendation" in result.out
    assert "terraform_data.auth latency" in result.out
    assert "terraform_data.web cpu" not in result.out


def test_gate_drops_a_recommendation_acted_on_in_the_same_second(
    tfshadow: Tfshadow, applied: Path
) -> None:
    # `tfshadow check --act` logs its recommendation, made at the start of the check, after the
    # revert it caused; both times are whole seconds, so they are often equal.
    assert (
        tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=large", cwd=applied).code == 0
    )
    reverted = tfshadow(
        "revert", "1", "--auto-approve", "--no-color", "-var", "api_token=fixture-token-value",
        cwd=applied,
    )  # fmt: skip
    assert reverted.code == 0, reverted.err
    newest = tfshadow("log", "--json", cwd=applied).json()["versions"][0]
    assert newest["kind"] == "revert"
    moment = datetime.fromisoformat(newest["timestamp"].replace("Z", "+00:00"))
    _log(applied, _rec("critical", moment))

    result = tfshadow("gate", cwd=applied)

    assert result.code == 0, result.out


def test_gate_on_github_actions_prints_annotations(
    tfshadow: Tfshadow, applied: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    _log(applied, _rec("critical", datetime.now(UTC) - timedelta(minutes=5)))

    result = tfshadow("gate", cwd=applied)

    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].startswith("tfshadow gate failed")
    assert lines[1].startswith("::error title=tfshadow critical::terraform_data.web cpu: ")


def test_gate_without_a_store_fails_clearly(tfshadow: Tfshadow, workdir: Path) -> None:
    result = tfshadow("gate", cwd=workdir)

    assert result.code == 2
    assert result.err.startswith("tfshadow: error: ")


def test_gate_on_a_workspace_without_versions_fails_instead_of_passing(
    tfshadow: Tfshadow, applied: Path
) -> None:
    # A mistyped workspace has no recommendations either: passing would wave through the open
    # critical one of the workspace meant.
    _log(applied, _rec("critical", datetime.now(UTC) - timedelta(minutes=5)))

    result = tfshadow("gate", "--workspace", "defualt", cwd=applied)

    assert result.code == 2, result.out
    assert "passed" not in result.out
    assert result.err.startswith("tfshadow: error: no shadow versions in workspace `defualt`")
    assert "workspaces with versions: default" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert tfshadow("gate", "--workspace", "default", cwd=applied).code == 1


@pytest.mark.parametrize("since", ["0s", "0"])
def test_gate_since_nothing_is_a_usage_error_not_a_pass(
    tfshadow: Tfshadow, applied: Path, since: str
) -> None:
    _log(applied, _rec("critical", datetime.now(UTC) - timedelta(minutes=5)))

    result = tfshadow("gate", "--since", since, cwd=applied)

    assert result.code == 2, result.out
    assert result.err.strip() == (
        "tfshadow: error: --since must be a positive duration: use e.g. --since 24h"
    )


def test_comment_without_a_plan_report_says_to_run_plan(tfshadow: Tfshadow, applied: Path) -> None:
    result = tfshadow("comment", "--github", "--pr", "7", cwd=applied)

    assert result.code == 2
    assert "run `tfshadow plan --format markdown` first" in result.err


def test_comment_without_a_store_says_how_to_post_a_report_file(
    tfshadow: Tfshadow, workdir: Path
) -> None:
    # A pull request opened before the first recorded apply: no store holds a plan report.
    planned = tfshadow("plan", "--format", "markdown", "-no-color", cwd=workdir)
    assert planned.code == 0, planned.err

    result = tfshadow("comment", "--github", "--pr", "7", cwd=workdir)

    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert "without a shadow store" in result.err
    assert "--report-file" in result.err and "--file" in result.err


def test_comment_posts_the_plan_report_and_then_edits_it(
    tfshadow: Tfshadow, applied: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Project(applied, os.environ).open_store(create=False)
    report = store.private_dir("plan") / "report.md"
    report.write_text("### tfshadow plan\n\n+0 ~1 -0\n", encoding="utf-8")
    with _serving("gitlab", monkeypatch) as forge:
        first = tfshadow("comment", "--gitlab", cwd=applied)
        report.write_text("### tfshadow plan\n\n+0 ~2 -0\n", encoding="utf-8")
        second = tfshadow("comment", "--gitlab", cwd=applied)

        assert first.code == 0, first.err
        assert second.code == 0, second.err
        note = forge.state.comments[-1]
        url = f"https://gitlab.example/group/infra/-/merge_requests/7#note_{note['id']}"
        assert first.err.strip() == f"comment created: {url}"
        assert second.err.strip() == f"comment updated: {url}"
        assert len(forge.state.comments) == 1
        # The key defaults to the configuration directory's name.
        assert note["body"] == "<!-- tfshadow:plan:infra -->\n### tfshadow plan\n\n+0 ~2 -0\n"


def test_comment_api_refusal_exits_2_without_the_token(
    tfshadow: Tfshadow, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / "report.md").write_text("hello\n", encoding="utf-8")
    with _serving("github", monkeypatch) as forge:
        forge.state.failures["GET"] = [(403, {"message": "Resource not accessible"})]

        result = tfshadow(
            "comment", "--github", "--pr", "7", "--file", "report.md", "--key", "net", cwd=workdir
        )

        assert result.code == 2
        assert "403" in result.err and GITHUB_TOKEN not in result.err + result.out
        assert forge.state.writes() == []


def test_comment_needs_a_platform_outside_a_pipeline(
    tfshadow: Tfshadow, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITLAB_CI", raising=False)

    result = tfshadow("comment", "--file", "x.md", cwd=workdir)

    assert result.code == 2
    assert "neither GitHub Actions nor GitLab CI" in result.err
    assert "--github or --gitlab" in result.err


@pytest.mark.parametrize(
    ("flavour", "variable"), [("github", "GITHUB_ACTIONS"), ("gitlab", "GITLAB_CI")]
)
def test_comment_posts_to_the_platform_the_pipeline_runs_on(
    tfshadow: Tfshadow,
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    flavour: str,
    variable: str,
) -> None:
    # Each forge's API is a local stand-in that checks the requests (no forge runs here).
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITLAB_CI", raising=False)
    monkeypatch.setenv(variable, "true")
    (workdir / "report.md").write_text("hello\n", encoding="utf-8")
    with _serving(flavour, monkeypatch) as forge:
        result = tfshadow("comment", "--pr", "7", "--file", "report.md", "--key", "k", cwd=workdir)

        assert result.code == 0, result.err
        assert result.err.startswith("comment created: ")
        assert [c["body"] for c in forge.state.comments] == ["<!-- tfshadow:plan:k -->\nhello\n"]


def test_comment_in_a_job_claiming_both_platforms_asks_which(
    tfshadow: Tfshadow, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITLAB_CI", "true")

    result = tfshadow("comment", "--file", "x.md", cwd=workdir)

    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert "GITHUB_ACTIONS and GITLAB_CI" in result.err and "--github or --gitlab" in result.err


def test_comment_on_two_platforms_at_once_is_a_usage_error(
    tfshadow: Tfshadow, workdir: Path
) -> None:
    (workdir / "report.md").write_text("hello\n", encoding="utf-8")

    result = tfshadow("comment", "--github", "--gitlab", "--file", "report.md", cwd=workdir)

    assert result.code == 2
    assert "--github and --gitlab" in result.err


def test_comment_keys_configurations_of_one_repository_by_their_path(
    tfshadow: Tfshadow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A monorepo's environments often share a directory name (prod/app, staging/app): each must
    # keep a comment of its own, not overwrite the other's on every pipeline.
    repo = tmp_path / "monorepo"
    dirs = [repo / "envs" / "prod" / "app", repo / "envs" / "staging" / "app"]
    for path in dirs:
        path.mkdir(parents=True)
        (path / "plan.md").write_text(f"### plan of {path.parent.name}\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    with _serving("github", monkeypatch) as forge:
        for path in dirs:
            result = tfshadow("comment", "--github", "--pr", "7", "--file", "plan.md", cwd=path)
            assert result.code == 0, result.err

        bodies = sorted(c["body"] for c in forge.state.comments)
        assert bodies == [
            "<!-- tfshadow:plan:envs/prod/app -->\n### plan of prod\n",
            "<!-- tfshadow:plan:envs/staging/app -->\n### plan of staging\n",
        ]


def test_comment_deletes_the_older_copy_two_pipelines_created(
    tfshadow: Tfshadow, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / "plan.md").write_text("### plan\n", encoding="utf-8")
    with _serving("github", monkeypatch) as forge:
        forge.state.add("<!-- tfshadow:plan:infra -->\nplan A")
        newer = forge.state.add("<!-- tfshadow:plan:infra -->\nplan B")

        result = tfshadow("comment", "--github", "--pr", "7", "--file", "plan.md", cwd=workdir)

        assert result.code == 0, result.err
        assert result.err.strip().endswith(f"#issuecomment-{newer['id']} (1 older copy deleted)")
        assert [c["body"] for c in forge.state.comments] == [
            "<!-- tfshadow:plan:infra -->\n### plan\n"
        ]


def test_gate_says_it_skipped_unreadable_lines_of_the_log(
    tfshadow: Tfshadow, applied: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A torn line (an analysis that crashed mid-write) may have been a critical recommendation:
    # a gate that passes must not hide that it could not read it.
    _log(applied, _rec("warning", datetime.now(UTC) - timedelta(minutes=5)))
    store = Project(applied, os.environ).open_store(create=False)
    with (store.private_dir("analysis") / "recommendations.jsonl").open("a") as log:
        log.write('{"resource": "terraform_data.web", "metric": "mem", "severity": "crit')
    monkeypatch.setenv("GITHUB_ACTIONS", "true")

    result = tfshadow("gate", cwd=applied)

    assert result.code == 0, result.err
    assert result.err.strip() == (
        "tfshadow: warning: 1 unreadable line of the recommendation log skipped: the gate "
        "judged the others only"
    )
    assert "::warning title=tfshadow gate::1 unreadable line" in result.out


def test_comment_keeps_a_comment_per_workspace_of_one_directory(
    tfshadow: Tfshadow, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pipeline that plans each workspace (TF_WORKSPACE) of one configuration.
    with _serving("github", monkeypatch) as forge:
        for workspace in ("prod", "staging", "default"):
            (workdir / "plan.md").write_text(f"### plan of {workspace}\n", encoding="utf-8")
            monkeypatch.setenv("TF_WORKSPACE", workspace)
            result = tfshadow("comment", "--github", "--pr", "7", "--file", "plan.md", cwd=workdir)
            assert result.code == 0, result.err

        assert [c["body"] for c in forge.state.comments] == [
            "<!-- tfshadow:plan:infra@prod -->\n### plan of prod\n",
            "<!-- tfshadow:plan:infra@staging -->\n### plan of staging\n",
            "<!-- tfshadow:plan:infra -->\n### plan of default\n",
        ]
