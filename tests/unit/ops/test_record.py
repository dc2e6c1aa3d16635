"""Which argument of a recorded command is a saved plan."""

from __future__ import annotations

import pytest

from tfshadow.ops.record import saved_plan_file


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["apply", "plan.tfplan"], "plan.tfplan"),
        (["-chdir=x", "apply", "-input=false", "plan.tfplan"], "plan.tfplan"),
        (["apply", "-lock-timeout", "5s", "-parallelism", "3", "p"], "p"),
        (["apply", "-auto-approve", "-var", "size=large"], None),
        (["apply", "-target", "a.b", "-replace=c.d"], None),
        (["apply", "--", "p"], "p"),
        (["destroy", "p"], None),
        (["import", "a.b", "id"], None),
    ],
)
def test_saved_plan_file_skips_flag_values(args: list[str], expected: str | None) -> None:
    assert saved_plan_file(args) == expected
