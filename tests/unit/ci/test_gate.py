"""The gate's decision, its GitHub annotations and its JUnit report."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

import pytest

from tfshadow.ci.gate import gate, workflow_command
from tfshadow.errors import UsageError
from tfshadow.forecast.results import Recommendation, Suspect

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
T1 = datetime(2026, 5, 1, 13, 0, tzinfo=UTC)


def _rec(
    severity: str,
    resource: str = "terraform_data.web",
    metric: str = "cpu",
    reason: str = "cpu is 4.2σ above its forecast since the apply of version 4",
) -> dict[str, Any]:
    return Recommendation(
        resource=resource,
        metric=metric,
        source="prometheus",
        kind="deviation",
        window_start=T0,
        window_end=T1,
        observed=93.5,
        expected=40.1,
        score=4.2,
        threshold=3.5,
        severity=severity,
        suspect=Suspect("default", 4, "2026-05-01T11:58:00Z", "Ada <ada@example.com>", "", True),
        command="tfshadow revert 3",
        reason=reason,
        created=T1,
    ).to_json()


@pytest.mark.parametrize(
    ("severities", "fail_on", "code"),
    [
        ([], "critical", 0),
        (["info", "warning"], "critical", 0),
        (["info", "warning", "critical"], "critical", 1),
        (["info"], "warning", 0),
        (["info", "warning"], "warning", 1),
        (["critical"], "warning", 1),
    ],
)
def test_gate_exit_code_by_severity(severities: list[str], fail_on: str, code: int) -> None:
    result = gate([_rec(s, metric=f"m{i}") for i, s in enumerate(severities)], fail_on)

    assert result.exit_code == code
    threshold = ["warning", "critical"].index(fail_on) + 1
    ranks = {"info": 0, "warning": 1, "critical": 2}
    assert [r["severity"] for r in result.failing] == [
        s for s in severities if ranks[s] >= threshold
    ]


def test_gate_rejects_an_unknown_threshold() -> None:
    with pytest.raises(UsageError, match="--fail-on"):
        gate([], "info")


def test_gate_annotations_escape_the_message() -> None:
    rec = _rec("critical", reason="p99 up 250% after\r\nthe resize: see dashboard, row 2")

    result = gate([rec, _rec("warning", metric="mem"), _rec("info", metric="disk")], "critical")

    assert result.annotations[0] == (
        "::error title=tfshadow critical::terraform_data.web cpu: p99 up 250%25 after%0D%0Athe "
        "resize: see dashboard, row 2 (proposed: tfshadow revert 3)"
    )
    assert result.annotations[1].startswith("::warning title=tfshadow warning::")
    assert result.annotations[2].startswith("::notice title=tfshadow info::")
    assert all("\n" not in a for a in result.annotations)


def test_gate_annotation_of_a_warning_at_the_threshold_is_an_error() -> None:
    result = gate([_rec("warning")], "warning")

    assert result.annotations[0].startswith("::error title=tfshadow warning::")


def test_workflow_command_escapes_properties_more_than_the_message() -> None:
    line = workflow_command("error", "a: b, 100%\n", title="x: y, 5%\r", file="main.tf")

    assert line == "::error title=x%3A y%2C 5%25%0D,file=main.tf::a: b, 100%25%0A"


def test_gate_junit_has_one_testcase_per_recommendation() -> None:
    recs = [_rec("critical"), _rec("warning", metric="mem", reason="bad\x00byte & <tag>")]

    root = ET.fromstring(gate(recs, "critical").junit_xml)

    suites = root.findall("testsuite")
    assert len(suites) == 1 and suites[0].get("name") == "tfshadow"
    cases = suites[0].findall("testcase")
    assert [c.get("name") for c in cases] == ["terraform_data.web cpu", "terraform_data.web mem"]
    failure = cases[0].find("failure")
    assert failure is not None
    assert failure.get("type") == "critical"
    assert failure.get("message") == recs[0]["reason"]
    assert "tfshadow revert 3" in (failure.text or "")
    assert cases[1].find("failure") is None
    out = cases[1].find("system-out")
    assert out is not None and "bad\ufffdbyte & <tag>" in (out.text or "")
    assert suites[0].get("tests") == "2" and suites[0].get("failures") == "1"


def test_gate_junit_without_recommendations_has_one_passing_testcase() -> None:
    result = gate([], "critical")

    suite = ET.fromstring(result.junit_xml).find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["no open recommendations"]
    assert cases[0].find("failure") is None
    assert suite.get("failures") == "0" and suite.get("tests") == "1"
    assert result.annotations == [] and result.exit_code == 0
