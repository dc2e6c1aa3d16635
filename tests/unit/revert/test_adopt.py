"""Which objects a revert takes back rather than creates anew (tfshadow/revert/adopt.py)."""

from __future__ import annotations

from typing import Any

from tfshadow.revert.adopt import import_file, instances_to_take_back
from tfshadow.state.redact import SEAL_PREFIX


def _entry(ident: object, **extra: object) -> dict[str, Any]:
    return {"mode": "managed", "attributes": {"id": ident}, **extra}


def test_only_instances_let_go_of_that_the_live_state_lacks_are_taken_back() -> None:
    target = {
        "resources": {
            "terraform_data.a": _entry("id-a"),  # let go of since: taken back
            'aws_instance.pool["x y"]': _entry("i-123"),  # let go of since: taken back
            "terraform_data.still": _entry("id-still"),  # still managed
            "terraform_data.destroyed": _entry("id-d"),  # destroyed since: created anew
            "terraform_data.secret": _entry(
                SEAL_PREFIX + "fp:0123456789abcdef"
            ),  # no id in plain text
            "terraform_data.deposed": _entry("id-old", deposed="1a2b3c4d"),
            "data.x.y": {"mode": "data", "attributes": {"id": "d"}},
        }
    }
    live = {"resources": {"terraform_data.still": _entry("id-still")}}
    let_go = {
        "terraform_data.a",
        'aws_instance.pool["x y"]',
        "terraform_data.still",
        "terraform_data.secret",
        "terraform_data.deposed",
        "data.x.y",
    }
    assert instances_to_take_back(live, target, let_go) == {
        "terraform_data.a": "id-a",
        'aws_instance.pool["x y"]': "i-123",
    }


def test_import_file_quotes_ids_as_text() -> None:
    text = import_file({'aws_instance.pool["x y"]': 'i-${a}"1', "terraform_data.a": "b"}).decode()
    assert text == (
        'import {\n  to = aws_instance.pool["x y"]\n  id = "i-$${a}\\"1"\n}\n\n'
        'import {\n  to = terraform_data.a\n  id = "b"\n}\n'
    )
