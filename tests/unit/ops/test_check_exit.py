"""`tfshadow check`'s exit code: a gate fails closed on metrics it could not read, and tells a
recommendation acted on from one open and from an action that failed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tfshadow.forecast.results import Recommendation
from tfshadow.ops.check import CheckReport, TriggerOutcome


def _report(*states: str) -> CheckReport:
    return CheckReport(
        triggers=[TriggerOutcome("p", f"r.{n}", "cpu", state, "") for n, state in enumerate(states)]
    )


@pytest.mark.parametrize(
    ("states", "code"),
    [
        (("error",), 2),
        # The resource whose source failed was never read; the rest had no data: nothing judged.
        (("error", "inconclusive"), 2),
        (("inconclusive",), 0),  # missing data is not a failure
        (("error", "quiet"), 0),  # judged where it could be; the failure is a warning
        (("quiet", "fired"), 0),
        ((), 0),
    ],
)
def test_check_fails_closed_when_a_source_failed_and_nothing_was_judged(
    states: tuple[str, ...], code: int
) -> None:
    assert _report(*states).exit_code == code


def _rec(action: str, severity: str = "critical") -> Recommendation:
    moment = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    return Recommendation(
        resource="aws_instance.web",
        metric="cpu",
        source="profile",
        kind="threshold",
        window_start=moment,
        window_end=moment,
        observed=95.0,
        expected=80.0,
        score=1.0,
        threshold=80.0,
        severity=severity,
        suspect=None,
        command="tfshadow revert 1 --target aws_instance.web",
        reason="profile web: above 80",
        created=moment,
        profile="web",
        action=action,
    )


@pytest.mark.parametrize(
    ("action", "failed", "code"),
    [
        # Acted and fixed: handled, as `tfshadow gate` has it.
        ("reverted to version 1", False, 0),
        # Fired and nothing done.
        ("would revert to version 1 (run with --act)", False, 1),
        ("not reverted: already at version 1", False, 1),
        ("activated ghost aws_instance.web_ghost", False, 1),  # the resource is as it was
        # The action failed: told apart from both.
        ("revert to version 1 failed (exit 1)", True, 2),
    ],
)
def test_check_exit_tells_acted_from_open_from_failed(action: str, failed: bool, code: int) -> None:
    report = CheckReport(recommendations=[_rec(action)], action_failed=failed)
    assert report.exit_code == code
    assert len(report.failing) == (code != 0)  # a failed action left it open


def test_check_exit_a_failed_action_below_fail_on_still_fails() -> None:
    report = CheckReport(
        recommendations=[_rec("revert to version 1 failed (exit 1)", "warning")],
        action_failed=True,
    )
    assert report.failing == [] and report.exit_code == 2
