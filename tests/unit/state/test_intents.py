"""A version's kind tells a forget from a destruction where the states alone cannot."""

from __future__ import annotations

from typing import Any

import pytest

from tfshadow.state.changes import compare_states
from tfshadow.state.config_files import CONFIG_FORMAT
from tfshadow.state.intents import forgets_removals, intended, upgraded_counts

from .test_changes import instance, state

BEFORE = state(
    ("a_b.kept", instance("a_b.kept", {"id": "1"})),
    ("a_b.gone", instance("a_b.gone", {"id": "2"})),
)
AFTER = state(("a_b.kept", instance("a_b.kept", {"id": "1"})))


@pytest.mark.parametrize(
    ("meta", "forgotten"),
    [
        ({"kind": "state rm"}, True),
        ({"kind": "state push"}, True),
        ({"kind": "state mv"}, True),  # to another state file: this one forgets it
        ({"kind": "revert", "state_only": True}, True),  # a `state push` of version N
        ({"kind": "refresh"}, False),  # found deleted outside Terraform: gone, not forgotten
        ({"kind": "apply"}, False),
        ({"kind": "destroy"}, False),
        ({"kind": "recovered"}, False),  # made outside tfshadow: how, nothing says
        ({"kind": "revert", "forgotten": ["a_b.gone"]}, True),  # its `removed` block
    ],
)
def test_intended_tells_a_forget_from_a_destruction_by_the_command_recorded(
    meta: dict[str, Any], forgotten: bool
) -> None:
    changes = intended(compare_states(BEFORE, AFTER), meta, {"files": {}})

    [gone] = changes.resources
    assert gone.forgotten is forgotten
    assert changes.counts()[2] == (0 if forgotten else 1)
    assert changes.forgotten() == (1 if forgotten else 0)


def test_intended_reads_a_removed_block_of_the_configuration() -> None:
    removed = "removed {\n  from = a_b.gone\n  lifecycle {\n    destroy = false\n  }\n}\n"
    config = {"format": CONFIG_FORMAT, "files": {"main.tf": removed.splitlines(keepends=True)}}

    changes = intended(compare_states(BEFORE, AFTER), {"kind": "apply"}, config)

    assert [r.forgotten for r in changes.resources] == [True]


def test_forgets_removals_only_for_commands_that_edit_terraforms_record() -> None:
    assert forgets_removals("state rm") and forgets_removals("apply", state_only=True)
    assert not forgets_removals("refresh") and not forgets_removals("apply")


def test_upgraded_counts_reads_an_earlier_state_rm_as_a_forget() -> None:
    # Recorded before forgets were counted apart: its `destroy` counted what it forgot.
    old = {"kind": "state rm", "changes": {"add": 0, "change": 0, "destroy": 1, "addresses": []}}

    assert upgraded_counts(old)["changes"] == {
        "add": 0,
        "change": 0,
        "destroy": 0,
        "forget": 1,
        "addresses": [],
    }
    assert old["changes"]["destroy"] == 1  # the metadata read is left as it was
    for kept in (
        {"kind": "destroy", "changes": {"destroy": 1}},
        {"kind": "refresh", "changes": {"destroy": 1}},
        {"kind": "state rm", "changes": {"destroy": 0, "forget": 1}},  # counted apart already
        {"kind": "state rm"},
    ):
        assert upgraded_counts(kept) == kept


def test_upgraded_counts_words_an_earlier_generated_summary_as_a_forget() -> None:
    changes = {"add": 0, "change": 0, "destroy": 1, "addresses": ["terraform_data.extra"]}
    forgotten = "state: 0 added, 0 changed, 0 removed, 1 forgotten: terraform_data.extra"
    # The summaries two earlier tfshadows generated for the same `state rm`.
    for summary in (
        "0 to add, 0 to change, 1 to destroy: terraform_data.extra",
        "state: 0 added, 0 changed, 1 removed: terraform_data.extra",
    ):
        old = {"kind": "state rm", "changes": changes, "description": summary}
        assert upgraded_counts(old)["description"] == forgotten
        assert upgraded_counts({**old, "description_generated": True})["description"] == forgotten
    moved = {"kind": "state rm", "changes": {**changes, "destroy": 2}}
    assert (
        upgraded_counts(
            {**moved, "description": "state: 0 added, 0 changed, 2 removed, 1 moved: a"}
        )["description"]
        == "state: 0 added, 0 changed, 0 removed, 1 moved, 2 forgotten: a"
    )
    # A description someone gave, or one whose counts are not the version's, is kept.
    for kept in (
        {"description": "drop the extra object from Terraform's record"},
        {"description": "0 to add, 0 to change, 1 to destroy: x", "description_generated": False},
        {"description": "0 to add, 0 to change, 2 to destroy: terraform_data.extra"},
    ):
        old = {"kind": "state rm", "changes": changes, **kept}
        assert upgraded_counts(old)["description"] == kept["description"]


def test_upgraded_counts_words_an_earlier_summary_of_terraforms_record_alone_as_such() -> None:
    # `import` and `taint` recorded before such versions were told in words of their own.
    imported = {"add": 1, "change": 0, "destroy": 0, "addresses": ["terraform_data.b"]}
    old = {
        "kind": "import",
        "changes": imported,
        "description": "1 to add, 0 to change, 0 to destroy: terraform_data.b",
    }
    assert upgraded_counts(old) == {
        **old,
        "description": "state: 1 added, 0 changed, 0 removed: terraform_data.b",
    }
    tainted = {
        "kind": "taint",
        "changes": {"add": 0, "change": 1, "destroy": 0},
        "description": "0 to add, 1 to change, 0 to destroy: terraform_data.a",
    }
    assert upgraded_counts(tainted)["description"] == (
        "state: 0 added, 1 changed, 0 removed: terraform_data.a"
    )
    # Versions already in today's words, and those of commands that change objects, stay.
    for kept in (
        {**old, "description": "state: 1 added, 0 changed, 0 removed: terraform_data.b"},
        {**old, "kind": "apply"},
    ):
        assert upgraded_counts(kept) is kept
