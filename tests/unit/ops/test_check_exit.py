"""`tfshadow check`'s exit code: a gate fails closed on metrics it could not read."""

from __future__ import annotations

import pytest

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
