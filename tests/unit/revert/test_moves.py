from __future__ import annotations

from typing import Any

from tfshadow.revert.moves import moves_back, moves_file


def state(**ids: str) -> dict[str, Any]:
    return {
        "resources": {
            address.replace("__", "."): {
                "mode": "managed",
                "type": address.split("__")[0],
                "name": address.split("__")[1],
                "attributes": {"id": ident},
            }
            for address, ident in ids.items()
        }
    }


def test_an_object_that_moved_since_the_version_goes_back_to_its_address() -> None:
    live = state(t__new="1", t__kept="2", t__other="3")
    target = state(t__old="1", t__kept="2", t__gone="9")

    assert moves_back(live, target, {}) == {"t.new": "t.old"}
    assert moves_file({"t.new": "t.old"}) == b"moved {\n  from = t.new\n  to   = t.old\n}\n"


def test_a_move_follows_the_versions_own_moved_blocks_back_to_their_start() -> None:
    # Version N moved t.a to t.b; a second statement moving something to t.b is ambiguous to
    # Terraform, so t.c goes to t.a and Terraform follows N's own block on to t.b.
    files = {"main.tf": b"moved {\n  from = t.a\n  to   = t.b\n}\n", "mod/x.tf": b"moved {"}

    assert moves_back(state(t__c="1"), state(t__b="1"), files) == {"t.c": "t.a"}


def test_no_move_where_the_versions_blocks_already_name_the_current_address() -> None:
    files = {"main.tf": b"moved {\n  from = t.c\n  to   = t.x\n}\n"}

    assert moves_back(state(t__c="1"), state(t__b="1"), files) == {}


def test_no_move_from_files_that_cannot_be_read_for_moved_blocks() -> None:
    unreadable = [{"main.tf": b"moved {"}, {"main.tf.json": b'{"moved": []}'}]

    for files in unreadable:
        assert moves_back(state(t__c="1"), state(t__b="1"), files) == {}
    assert moves_back(None, state(t__b="1"), {}) == {}


def test_no_move_where_the_versions_blocks_move_the_whole_module_it_is_in() -> None:
    # N moved module.svc to module.service: Terraform moves every instance inside with it.
    files = {"main.tf": b"moved {\n  from = module.svc\n  to   = module.service\n}\n"}
    live = state(**{'module__svc["a"].t.r': "1", 'module__svcs["a"].t.r': "2"})
    target = state(**{'module__service["a"].t.r': "1", 'module__other["a"].t.r': "2"})

    assert moves_back(live, target, files) == {'module.svcs["a"].t.r': 'module.other["a"].t.r'}


def test_a_move_into_a_module_the_versions_blocks_renamed_is_written() -> None:
    # N renamed module.a to module.b, and module.b became module.c since: Terraform takes the
    # object's own statement to module.b beside N's about the whole module.
    files = {"main.tf": b"moved {\n  from = module.a\n  to   = module.b\n}\n"}
    live = state(**{"module__c.t.r": "1"})
    target = state(**{"module__b.t.r": "1"})

    assert moves_back(live, target, files) == {"module.c.t.r": "module.b.t.r"}


def test_a_move_into_a_resource_the_versions_blocks_renamed_whole_is_written() -> None:
    # N renamed t.a to t.b (every instance), and t.b became t.c since: the instance's own
    # statement beside N's keeps the object; left out, it was destroyed and created anew.
    files = {"main.tf": b"moved {\n  from = t.a\n  to   = t.b\n}\n"}

    assert moves_back(state(**{"t__c[0]": "1"}), state(**{"t__b[0]": "1"}), files) == {
        "t.c[0]": "t.b[0]"
    }
