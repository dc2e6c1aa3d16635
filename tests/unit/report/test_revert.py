from __future__ import annotations

import json
from collections.abc import Callable

from rich.console import Console

from tfshadow.report.revert import (
    remaining_json,
    render_remaining,
    render_verification,
    verification_json,
)
from tfshadow.revert.verify import Mismatch, VerificationReport
from tfshadow.state.changes import ABSENT

SEAL_A = "tfshadow:sensitive:v1:fp:0123456789abcdef"
SEAL_B = "tfshadow:sensitive:v1:fp:fedcba9876543210"
TRICKY = 'terraform_data.x["[bold red]boom[/]"]'


def _report(**fields: object) -> VerificationReport:
    values: dict[str, object] = {
        "version": 4,
        "mismatches": (),
        "destroyed": (),
        "recreated": (),
        "created_anew": (),
        "counts": (0, 0, 0),
        "restored_exactly": 0,
    }
    values.update(fields)
    return VerificationReport(**values)  # type: ignore[arg-type]


def _console() -> Console:
    return Console(record=True, width=120, force_terminal=True, color_system="standard")


def _text(draw: Callable[[Console], None]) -> tuple[str, str]:
    console = _console()
    draw(console)
    styled = console.export_text(styles=True, clear=False)
    return console.export_text(), styled


FULL = _report(
    mismatches=(
        Mismatch("aws_db_instance.db", "password", SEAL_A, SEAL_B, True),
        Mismatch("aws_db_instance.db", 'tags["env"]', "prod", "dev", False),
        Mismatch("terraform_data.orphan", "", {"id": "1", "token": SEAL_A}, ABSENT, True),
        Mismatch(TRICKY, "input", "a", ABSENT, False),
    ),
    destroyed=("terraform_data.added",),
    recreated=("terraform_data.replace",),
    created_anew=("terraform_data.gone",),
    counts=(2, 1, 2),
    restored_exactly=1,
)


def test_render_verification_names_every_loss() -> None:
    text, styled = _text(lambda c: render_verification(c, FULL))

    lines = text.splitlines()
    assert lines[1] == "Verification against version 4"
    assert "  -   terraform_data.added will be destroyed" in lines
    assert "  -/+ terraform_data.replace will be recreated: its data does not come back" in lines
    assert "  +   terraform_data.gone will be created anew: restored in shape, not data" in lines
    assert "  ~   aws_db_instance.db does not return to version 4:" in lines
    assert "        password     (sensitive value) → (sensitive value)" in lines
    assert '        tags["env"]  "prod" → "dev"' in lines
    assert (
        "  !   terraform_data.orphan is not in the plan: it will not exist after the revert"
        in lines
    )
    assert lines[-1] == "1 resource returns exactly to version 4."
    # Losses stand out: bold red for destroyed and recreated.
    assert "\x1b[1;31mterraform_data.added" in styled


def test_render_verification_prints_addresses_as_they_are() -> None:
    text, _ = _text(lambda c: render_verification(c, FULL))

    assert f"  ~   {TRICKY} does not return to version 4:" in text
    assert '        input  "a" → (absent)' in text


def test_render_verification_never_prints_seals() -> None:
    text, _ = _text(lambda c: render_verification(c, FULL))

    assert "tfshadow:sensitive" not in text


def test_render_verification_all_restored() -> None:
    text, styled = _text(lambda c: render_verification(c, _report(restored_exactly=3)))

    assert text.splitlines()[-2:] == [
        "3 resources return exactly to version 4.",
        "The plan changes nothing.",
    ]
    assert "\x1b[1;32m3 resources" in styled


def test_render_verification_cuts_long_values() -> None:
    report = _report(mismatches=(Mismatch("terraform_data.a", "input", "x" * 500, "y", False),))
    text, _ = _text(lambda c: render_verification(c, report))

    [line] = [line for line in text.splitlines() if line.strip().startswith("input")]
    assert "…" in line and len(line) < 200


def test_render_remaining_equal() -> None:
    text, _ = _text(lambda c: render_remaining(c, [], 7))

    assert text == "State now equals version 7 on every recorded attribute.\n"


def test_render_remaining_targeted_speaks_only_of_the_targets() -> None:
    # After `revert N --target …` the rest of the state was left as it was: "State now equals
    # version N" would claim the whole infrastructure is back.
    text, _ = _text(lambda c: render_remaining(c, [], 7, targeted=True))

    assert text == "The targeted resources now equal version 7 on every recorded attribute.\n"

    mismatch = [Mismatch("terraform_data.new", "", ABSENT, {"id": "2"}, False)]
    text, _ = _text(lambda c: render_remaining(c, mismatch, 7, targeted=True))
    assert text.splitlines()[0] == "The targeted resources still differ from version 7 in 1 place:"


def test_render_remaining_names_what_was_created_anew_as_the_verification_did() -> None:
    # Its attributes are version 7's, its id and data are not: "equals version 7" alone
    # would contradict the verification's "restored in shape, not data".
    anew = ["terraform_data.a", "terraform_data.b"]
    text, _ = _text(lambda c: render_remaining(c, [], 7, anew=anew))

    assert text.splitlines() == [
        "State now equals version 7 on every recorded attribute, but for the objects created anew:",
        "  +   terraform_data.a was created anew: version 7's in shape, not data",
        "  +   terraform_data.b was created anew: version 7's in shape, not data",
    ]
    mismatch = [Mismatch("terraform_data.c", "input", "x", "y", False)]
    text, _ = _text(lambda c: render_remaining(c, mismatch, 7, anew=anew[:1]))
    assert text.splitlines()[0] == "State still differs from version 7 in 1 place:"
    assert text.splitlines()[-1] == (
        "  +   terraform_data.a was created anew: version 7's in shape, not data"
    )


def test_render_remaining_lists_differences() -> None:
    mismatches = [
        Mismatch("terraform_data.gone", "", {"id": "1"}, ABSENT, False),
        Mismatch("terraform_data.new", "", ABSENT, {"id": "2"}, False),
        Mismatch("terraform_data.sec", "input", SEAL_A, SEAL_B, True),
    ]
    text, _ = _text(lambda c: render_remaining(c, mismatches, 7))

    assert text.splitlines() == [
        "State still differs from version 7 in 3 places:",
        "  !   terraform_data.gone exists in version 7 but not now",
        "  !   terraform_data.new exists now but not in version 7",
        "  ~   terraform_data.sec differs from version 7:",
        "        input  (sensitive value) → (sensitive value)",
    ]


def test_verification_json_shape_and_secrets() -> None:
    data = verification_json(FULL)

    assert data["version"] == 4
    assert data["needs_confirmation"] is True
    assert data["noop"] is False
    assert data["plan"] == {"add": 2, "change": 1, "destroy": 2}
    assert data["destroyed"] == ["terraform_data.added"]
    assert data["recreated"] == ["terraform_data.replace"]
    assert data["created_anew"] == ["terraform_data.gone"]
    assert data["restored_exactly"] == 1
    assert data["mismatches"][0] == {
        "address": "aws_db_instance.db",
        "path": "password",
        "recorded": None,
        "planned": None,
        "sensitive": True,
    }
    assert data["mismatches"][2] == {
        "address": "terraform_data.orphan",
        "path": "",
        "recorded": {"id": "1", "token": None},
        "sensitive": True,
    }
    assert data["mismatches"][3] == {
        "address": TRICKY,
        "path": "input",
        "recorded": "a",
        "sensitive": False,
    }
    assert "tfshadow:sensitive" not in json.dumps(data)


def test_remaining_json_shape() -> None:
    assert remaining_json([], 2) == {
        "version": 2,
        "equal": True,
        "differences": [],
        "created_anew": [],
    }
    assert remaining_json([], 2, ["terraform_data.b"])["created_anew"] == ["terraform_data.b"]
    data = remaining_json([Mismatch("terraform_data.a", "input", "a", "b", False)], 2)
    assert data["equal"] is False
    assert data["differences"] == [
        {
            "address": "terraform_data.a",
            "path": "input",
            "recorded": "a",
            "planned": "b",
            "sensitive": False,
        }
    ]
