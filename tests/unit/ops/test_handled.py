"""One rule for a recommendation already acted on (tfshadow/ops/handled.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tfshadow.ops.handled import Acted, acted_on, reverts

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _stamp(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _revert(number: int, at: datetime, to: int, **fields: Any) -> dict[str, Any]:
    return {
        "version": number,
        "timestamp": _stamp(at),
        "kind": "revert",
        "outcome": "success",
        "reverted_to": to,
        **fields,
    }


def _record(resource: str, command: str | None, **fields: Any) -> dict[str, Any]:
    return {"resource": resource, "created": _stamp(NOW - 2 * HOUR), "command": command, **fields}


def test_handled_a_revert_that_left_the_resource_as_it_was_did_nothing_about_it() -> None:
    # The whole configuration went back to version 1, changing only the web server: the
    # database's deviation is still open; the web server's is handled.
    done = reverts([_revert(5, NOW - HOUR, 1, changes={"addresses": ["aws_instance.web[0]"]})])
    assert acted_on(_record("aws_db_instance.db", "tfshadow revert 1"), done) is None
    assert acted_on(_record("aws_instance.web", "tfshadow revert 1"), done) == Acted(1, 5)


def test_handled_without_a_proposal_any_later_revert_of_the_resource_counts() -> None:
    done = reverts([_revert(5, NOW - HOUR, 3, changes={"addresses": ["aws_instance.web"]})])
    assert acted_on(_record("aws_instance.web", None), done) == Acted(3, 5)
    # Older than the proposed version 2 is not what was proposed.
    assert acted_on(_record("aws_instance.web", "tfshadow revert 2"), done) is None


def test_handled_state_only_and_partial_reverts_and_earlier_ones_do_not_count() -> None:
    done = reverts(
        [
            _revert(4, NOW - 3 * HOUR, 1),  # before the recommendation
            _revert(5, NOW - HOUR, 1, state_only=True),
            _revert(6, NOW - HOUR, 1, outcome="partial"),
            {"version": 7, "timestamp": _stamp(NOW), "kind": "apply", "outcome": "success"},
        ]
    )
    assert [r.version for r in done] == [4]
    assert acted_on(_record("aws_instance.web", "tfshadow revert 1"), done) is None


def test_handled_a_profiles_revert_counts_even_once_retention_removed_its_version() -> None:
    record = _record(
        "aws_instance.web", "tfshadow revert 3", profile="web", action="reverted to version 3"
    )
    assert acted_on(record, []) == Acted(3, None, "web")
    assert acted_on({**record, "action": "would revert to version 3"}, []) is None


def test_handled_a_profiles_revert_that_found_nothing_to_change_does_not_count() -> None:
    # The resource was already as version 3 has it: nothing was done about its deviation.
    record = _record(
        "aws_instance.web", None, profile="web", action="not reverted: already at version 3"
    )
    assert acted_on(record, []) is None
