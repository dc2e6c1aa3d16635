from __future__ import annotations

import random
import re
from typing import Any

from tfshadow.state.changes import (
    ABSENT,
    AttributeChange,
    address_sort_key,
    compare_configs,
    compare_states,
    narrow_config,
    summary_line,
)

SEAL_A = "tfshadow:sensitive:v1:fp:0123456789abcdef"
SEAL_B = "tfshadow:sensitive:v1:fp:fedcba9876543210"


def instance(address: str, attributes: dict[str, Any], **fields: Any) -> dict[str, Any]:
    parts = address.split(".")
    mode = "data" if "data" in parts else "managed"
    return {
        "mode": mode,
        "type": fields.pop("type", parts[-2]),
        "name": fields.pop("name", parts[-1].split("[")[0]),
        "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
        "schema_version": 0,
        "attributes": attributes,
        "sensitive_attributes": [],
        "dependencies": [],
        **fields,
    }


def state(*instances: tuple[str, dict[str, Any]], outputs: Any = None) -> dict[str, Any]:
    return {
        "format": 1,
        "version": 4,
        "terraform_version": "1.15.5",
        "serial": 1,
        "lineage": "l",
        "outputs": outputs or {},
        "resources": dict(instances),
    }


def test_changes_create_lists_every_attribute() -> None:
    after = state(("aws_instance.web", instance("aws_instance.web", {"id": "i-1", "ami": "a"})))

    changes = compare_states(None, after)

    (resource,) = changes.resources
    assert resource.address == "aws_instance.web"
    assert (resource.mode, resource.type, resource.name) == ("managed", "aws_instance", "web")
    assert resource.action == "create"
    assert resource.attributes == (
        AttributeChange("ami", ABSENT, "a", False),
        AttributeChange("id", ABSENT, "i-1", False),
    )
    assert changes.counts() == (1, 0, 0)


def test_changes_delete_lists_every_attribute_with_whole_values() -> None:
    tags = {"env": "prod", "team": "web"}
    before = state(("aws_instance.web", instance("aws_instance.web", {"id": "i-1", "tags": tags})))

    changes = compare_states(before, state())

    (resource,) = changes.resources
    assert resource.action == "delete"
    assert AttributeChange("tags", tags, ABSENT, False) in resource.attributes
    assert changes.counts() == (0, 0, 1)


def test_changes_update_flattens_nested_block_to_changed_leaves() -> None:
    def sg(port: int, env: str) -> dict[str, Any]:
        return instance(
            "aws_security_group.sg",
            {
                "id": "sg-1",
                "ingress": [{"from_port": port, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"]}],
                "tags": {"env": env, "team": "web"},
            },
        )

    changes = compare_states(
        state(("aws_security_group.sg", sg(80, "dev"))),
        state(("aws_security_group.sg", sg(8080, "prod"))),
    )

    (resource,) = changes.resources
    assert resource.action == "update"
    assert resource.attributes == (
        AttributeChange("ingress[0].from_port", 80, 8080, False),
        AttributeChange('tags["env"]', "dev", "prod", False),
    )
    assert changes.counts() == (0, 1, 0)


def test_changes_update_added_and_removed_keys_use_absent() -> None:
    before = state(("a_b.c", instance("a_b.c", {"tags": {"old": "1"}, "list": [1]})))
    after = state(("a_b.c", instance("a_b.c", {"tags": {"new": "2"}, "list": [1, 2]})))

    (resource,) = compare_states(before, after).resources

    assert resource.attributes == (
        AttributeChange("list[1]", ABSENT, 2, False),
        AttributeChange('tags["new"]', ABSENT, "2", False),
        AttributeChange('tags["old"]', "1", ABSENT, False),
    )
    assert [a.action for a in resource.attributes] == ["create", "create", "delete"]


def test_changes_update_treats_true_and_one_as_different() -> None:
    before = state(("a_b.c", instance("a_b.c", {"flag": 1})))
    after = state(("a_b.c", instance("a_b.c", {"flag": True})))

    (resource,) = compare_states(before, after).resources

    assert resource.attributes == (AttributeChange("flag", 1, True, False),)


def test_changes_dynamic_value_compared_by_its_value() -> None:
    def data(value: str) -> dict[str, Any]:
        return instance(
            "terraform_data.app",
            {"id": "x", "input": {"value": value, "type": "string"}, "triggers_replace": None},
        )

    changes = compare_states(
        state(("terraform_data.app", data("small"))), state(("terraform_data.app", data("large")))
    )

    (resource,) = changes.resources
    assert resource.attributes == (AttributeChange("input", "small", "large", False),)


def test_changes_unchanged_instance_is_not_reported() -> None:
    doc = state(("a_b.c", instance("a_b.c", {"id": "1"})))

    assert compare_states(doc, doc).is_empty()
    assert compare_states(None, None).is_empty()


def test_changes_dependencies_or_private_only_is_not_an_update() -> None:
    before = state(("a_b.c", instance("a_b.c", {"id": "1"}, private="p1", dependencies=["x.y"])))
    after = state(("a_b.c", instance("a_b.c", {"id": "1"}, private="p2", dependencies=[])))

    assert compare_states(before, after).resources == ()


def test_changes_status_only_is_an_update_without_rows() -> None:
    before = state(("a_b.c", instance("a_b.c", {"id": "1"})))
    after = state(("a_b.c", instance("a_b.c", {"id": "1"}, status="tainted")))

    (resource,) = compare_states(before, after).resources

    assert resource.action == "update"
    assert resource.attributes == ()
    assert (resource.status_before, resource.status_after) == (None, "tainted")


def test_changes_provider_only_is_an_update_without_rows() -> None:
    # What `terraform state replace-provider` does: the version must not read "no changes".
    old = 'provider["registry.terraform.io/hashicorp/null"]'
    new = 'provider["registry.terraform.io/acme/null"]'
    before = state(("a_b.c", instance("a_b.c", {"id": "1"}, provider=old)))
    after = state(("a_b.c", instance("a_b.c", {"id": "1"}, provider=new)))

    changes = compare_states(before, after)
    (resource,) = changes.resources

    assert resource.action == "update"
    assert resource.attributes == ()
    assert (resource.provider_before, resource.provider_after) == (old, new)
    assert summary_line(changes) == "0 to add, 1 to change, 0 to destroy: a_b.c"


def test_changes_an_update_with_a_new_id_is_a_replacement() -> None:
    # `apply -replace=…` or a forced replacement: the object was destroyed and another created.
    before = state(("a_b.c", instance("a_b.c", {"id": "1", "size": "s"})))
    replaced = state(("a_b.c", instance("a_b.c", {"id": "2", "size": "m"})))
    updated = state(("a_b.c", instance("a_b.c", {"id": "1", "size": "m"})))

    (replacement,) = compare_states(before, replaced).resources
    (update,) = compare_states(before, updated).resources
    (creation,) = compare_states(None, replaced).resources

    assert replacement.action == "update" and replacement.replaced
    assert not update.replaced
    assert not creation.replaced
    # Counted as terraform plan and apply count a replacement: one added, one destroyed.
    assert compare_states(before, replaced).counts() == (1, 0, 1)
    assert compare_states(before, updated).counts() == (0, 1, 0)
    assert summary_line(compare_states(before, replaced)) == (
        "1 to add, 0 to change, 1 to destroy: a_b.c"
    )


def test_changes_an_object_at_another_address_with_its_id_moved() -> None:
    # A `moved` block or `state mv`: terraform plan shows "has moved to", not a destroy+create.
    before = state(
        ("a_b.old", instance("a_b.old", {"id": "1", "size": "s"})),
        ('a_b.each["x y"]', instance('a_b.each["x y"]', {"id": "2", "size": "s"})),
    )
    after = state(
        ("a_b.new", instance("a_b.new", {"id": "1", "size": "s"})),
        ('module.m.a_b.each["x y"]', instance("module.m.a_b.each", {"id": "2", "size": "m"})),
    )

    changes = compare_states(before, after)

    moved, moved_and_updated = changes.resources
    assert (moved.address, moved.moved_from, moved.action) == ("a_b.new", "a_b.old", "update")
    assert moved.moved_only and moved.attributes == () and not moved.replaced
    assert moved_and_updated.moved_from == 'a_b.each["x y"]'
    assert moved_and_updated.attributes == (AttributeChange("size", "s", "m", False),)
    assert changes.counts() == (0, 1, 0)
    assert changes.counts(record_only=True) == (0, 1, 0)
    assert summary_line(changes) == (
        '0 to add, 1 to change, 0 to destroy, 2 moved: a_b.new, module.m.a_b.each["x y"]'
    )
    assert summary_line(changes, record_only=True) == (
        'state: 0 added, 1 changed, 0 removed, 2 moved: a_b.new, module.m.a_b.each["x y"]'
    )


def test_changes_a_move_needs_the_same_type_and_a_unique_id() -> None:
    before = state(
        ("a_b.old", instance("a_b.old", {"id": "1"})),
        ("a_b.twin1", instance("a_b.twin1", {"id": "same"})),
        ("a_b.twin2", instance("a_b.twin2", {"id": "same"})),
    )
    after = state(
        ("c_d.new", instance("c_d.new", {"id": "1"})),
        ("a_b.twin3", instance("a_b.twin3", {"id": "same"})),
    )

    changes = compare_states(before, after)

    assert [r.moved_from for r in changes.resources] == [None] * 5
    assert changes.counts() == (2, 0, 3)


def test_changes_an_object_without_a_unique_id_moved_whole_is_paired_by_its_attributes() -> None:
    # `local_file`'s id is its content's hash: two files of one content share it. `state mv`
    # keeps every attribute, which tells the moved one apart.
    def file(name: str, path: str) -> dict[str, Any]:
        return instance(f"local_file.{name}", {"id": "abc", "filename": path, "content": "x"})

    before = state(
        ("local_file.a", file("a", "a.txt")),
        ("local_file.b", file("b", "b.txt")),
        ("a_b.twin1", instance("a_b.twin1", {"size": "s"})),
        ("a_b.twin2", instance("a_b.twin2", {"size": "s"})),
    )
    after = state(
        ("local_file.b", file("b", "b.txt")),
        ('local_file.each["a"]', file('each["a"]', "a.txt")),
        ("a_b.twin3", instance("a_b.twin3", {"size": "s"})),
    )

    changes = compare_states(before, after)

    moved = {r.address: r.moved_from for r in changes.resources}
    assert moved == {
        'local_file.each["a"]': "local_file.a",
        # Two gone alike in every attribute: which one moved cannot be told.
        "a_b.twin1": None,
        "a_b.twin2": None,
        "a_b.twin3": None,
    }
    assert changes.moved() == 1
    assert changes.counts(record_only=True) == (1, 0, 2)


def test_changes_imports_and_forgets_are_counted_apart() -> None:
    before = state(
        ("module.old.a_b.x[0]", instance("module.old.a_b.x[0]", {"id": "1"})),
        ("a_b.gone", instance("a_b.gone", {"id": "2"})),
    )
    after = state(("a_b.new", instance("a_b.new", {"id": "3"})))

    changes = compare_states(before, after).with_intents({"a_b.new"}, {"module.old"})

    assert [(r.address, r.imported, r.forgotten) for r in changes.resources] == [
        ("a_b.gone", False, False),
        ("a_b.new", True, False),
        ("module.old.a_b.x[0]", False, True),
    ]
    assert changes.counts() == (0, 0, 1)
    assert changes.counts(record_only=True) == (0, 0, 1)
    assert summary_line(changes).startswith(
        "1 to import, 0 to add, 0 to change, 1 to destroy, 1 to forget: "
    )


def test_changes_what_a_state_command_took_out_of_the_state_is_forgotten_not_removed() -> None:
    # `state rm`: the objects still exist, Terraform no longer manages them.
    before = state(
        ("a_b.kept", instance("a_b.kept", {"id": "1"})),
        ("a_b.gone", instance("a_b.gone", {"id": "2"})),
        ("a_b.c (deposed object d1)", instance("a_b.c", {"id": "3"}, deposed="d1")),
    )
    after = state(("a_b.kept", instance("a_b.kept", {"id": "1"})))

    changes = compare_states(before, after).removals_forgotten()

    assert [(r.address, r.forgotten) for r in changes.resources] == [
        ("a_b.c (deposed object d1)", True),
        ("a_b.gone", True),
    ]
    assert changes.counts(record_only=True) == (0, 0, 0)
    assert changes.counts() == (0, 0, 0)
    assert changes.forgotten() == 2
    assert summary_line(changes, record_only=True) == (
        "state: 0 added, 0 changed, 0 removed, 2 forgotten: a_b.c (deposed object d1), a_b.gone"
    )


def test_changes_a_replacement_left_half_done_counts_no_destroy() -> None:
    # create_before_destroy failed part-way: the new object is there, the old one deposed.
    before = state(("a_b.c", instance("a_b.c", {"id": "1"})))
    after = state(
        ("a_b.c", instance("a_b.c", {"id": "2"}, status="tainted")),
        ("a_b.c (deposed object d1)", instance("a_b.c", {"id": "1"}, deposed="d1")),
    )

    assert compare_states(before, after).counts() == (1, 0, 0)


def test_changes_module_addresses_sorted_naturally() -> None:
    addresses = [
        'module.net["b"].aws_subnet.a[10]',
        'module.net["b"].aws_subnet.a[2]',
        "aws_vpc.main",
        'module.net["a"].aws_subnet.a[0]',
    ]
    after = state(*((a, instance(a, {"id": a})) for a in addresses))

    changes = compare_states(None, after)

    assert changes.addresses() == [
        "aws_vpc.main",
        'module.net["a"].aws_subnet.a[0]',
        'module.net["b"].aws_subnet.a[2]',
        'module.net["b"].aws_subnet.a[10]',
    ]
    assert changes.resources[1].type == "aws_subnet"


def test_changes_type_and_name_parsed_from_address_when_missing() -> None:
    address = 'module.m["k.1"].data.aws_ami.ubuntu[0]'
    doc = state((address, {"attributes": {"id": "ami"}}))

    (resource,) = compare_states(None, doc).resources

    assert (resource.mode, resource.type, resource.name) == ("data", "aws_ami", "ubuntu")


def test_changes_data_sources_excluded_from_counts() -> None:
    before = state(("data.aws_ami.u", instance("data.aws_ami.u", {"id": "ami-1"})))
    after = state(
        ("data.aws_ami.u", instance("data.aws_ami.u", {"id": "ami-2"})),
        ("aws_instance.web", instance("aws_instance.web", {"id": "i-1"})),
    )

    changes = compare_states(before, after)

    assert [r.mode for r in changes.resources] == ["managed", "data"]
    assert changes.counts() == (1, 0, 0)
    assert changes.addresses() == ["aws_instance.web"]


def test_changes_sealed_value_marked_sensitive() -> None:
    before = state(("aws_db_instance.db", instance("aws_db_instance.db", {"password": SEAL_A})))
    after = state(("aws_db_instance.db", instance("aws_db_instance.db", {"password": SEAL_B})))

    (resource,) = compare_states(before, after).resources

    assert resource.attributes == (AttributeChange("password", SEAL_A, SEAL_B, True),)


def test_changes_nested_seals_split_into_rows_of_their_own() -> None:
    attributes = {
        "id": "x",
        "input": {
            "value": {"user": "admin", "password": SEAL_A, "nested": [{"ok": 1, "token": SEAL_A}]},
            "type": ["object", {"user": "string", "password": "string", "nested": "dynamic"}],
        },
    }
    doc = state(("terraform_data.s", instance("terraform_data.s", attributes)))

    (resource,) = compare_states(None, doc).resources

    rows = {row.path: row for row in resource.attributes}
    assert rows['input["password"]'].sensitive
    assert rows['input["nested"][0].token'].sensitive
    assert rows['input["nested"][0].ok'] == AttributeChange(
        'input["nested"][0].ok', ABSENT, 1, False
    )
    assert rows['input["user"]'].after == "admin"
    for row in resource.attributes:
        assert row.sensitive == (row.after in (SEAL_A, SEAL_B))


def test_changes_seal_replaced_by_structure_keeps_seals_as_leaves() -> None:
    before = state(("a_b.c", instance("a_b.c", {"conf": SEAL_A})))
    after = state(("a_b.c", instance("a_b.c", {"conf": {"k": SEAL_B, "plain": "v"}})))

    (resource,) = compare_states(before, after).resources

    assert resource.attributes == (
        AttributeChange("conf", SEAL_A, ABSENT, True),
        AttributeChange('conf["k"]', ABSENT, SEAL_B, True),
        AttributeChange('conf["plain"]', ABSENT, "v", False),
    )


def test_changes_outputs_compared_with_sensitivity() -> None:
    before = state(
        outputs={
            "o": {"value": "a", "type": "string"},
            "gone": {"value": 1, "type": "number"},
            "s": {"value": SEAL_A, "type": "string", "sensitive": True},
        }
    )
    after = state(
        outputs={
            "o": {"value": "b", "type": "string"},
            "new": {"value": [1], "type": ["list", "number"]},
            "s": {"value": SEAL_B, "type": "string", "sensitive": True},
        }
    )

    changes = compare_states(before, after)

    by_name = {o.name: o for o in changes.outputs}
    assert [o.name for o in changes.outputs] == ["gone", "new", "o", "s"]
    assert (by_name["o"].action, by_name["o"].before, by_name["o"].after) == ("update", "a", "b")
    assert (by_name["gone"].action, by_name["gone"].after) == ("delete", ABSENT)
    assert (by_name["new"].action, by_name["new"].before) == ("create", ABSENT)
    assert by_name["s"].sensitive and not by_name["o"].sensitive
    assert changes.counts() == (0, 0, 0)


def test_summary_line_counts_and_names_addresses() -> None:
    after = state(*((f"a_b.r{i}", instance(f"a_b.r{i}", {"id": i})) for i in range(7)))
    before = state(("a_b.old", instance("a_b.old", {"id": "old"})))

    line = summary_line(compare_states(before, after))

    assert (
        line
        == "7 to add, 0 to change, 1 to destroy: a_b.old, a_b.r0, a_b.r1, a_b.r2, a_b.r3 and 3 more"
    )


def test_summary_line_short_list_and_limit() -> None:
    after = state(("a_b.c", instance("a_b.c", {"id": 1})))

    assert summary_line(compare_states(None, after)) == "1 to add, 0 to change, 0 to destroy: a_b.c"
    assert summary_line(compare_states(None, after), limit=0) == (
        "1 to add, 0 to change, 0 to destroy: 1 changed"
    )


def test_summary_line_without_resource_changes() -> None:
    before = state(outputs={"o": {"value": 1, "type": "number"}})
    after = state(outputs={"o": {"value": 2, "type": "number"}})

    assert summary_line(compare_states(before, after)) == "outputs changed: o"
    assert summary_line(compare_states(None, None)) == "no changes"


def config(files: dict[str, list[str]], variables: Any = None, **extra: Any) -> dict[str, Any]:
    return {"format": 1, "files": files, "variables": variables or {}, **extra}


def test_summary_line_names_the_configuration_when_no_resource_changed() -> None:
    # Terraform rewrote only its own record (a `depends_on` added): no resource changed.
    edited = compare_configs(config({"main.tf": ["a\n"]}), config({"main.tf": ["b\n"]}))
    assert summary_line(compare_states(None, None), config=edited) == (
        "no resource changes; configuration changed: main.tf"
    )
    # Resource and output changes still come first; an unchanged configuration says nothing.
    after = state(outputs={"o": {"value": 2, "type": "number"}})
    assert summary_line(compare_states(None, after), config=edited) == "outputs changed: o"
    same = compare_configs(config({"main.tf": ["a\n"]}), config({"main.tf": ["a\n"]}))
    assert summary_line(compare_states(None, None), config=same) == "no changes"


def test_configs_edit_gives_unified_diff_and_counts() -> None:
    before = config({"main.tf": ["a\n", "b\n", "c\n"]})
    after = config({"main.tf": ["a\n", "B\n", "c\n", "d\n"]})

    (change,) = compare_configs(before, after).files

    assert change.action == "update"
    assert change.unified_diff.startswith("--- a/main.tf\n+++ b/main.tf\n@@ -1,3 +1,4 @@\n")
    assert "-b\n+B\n" in change.unified_diff
    assert change.line_counts() == (2, 1)


def test_configs_add_and_remove_files() -> None:
    before = config({"old.tf": ["x\n"], "same.tf": ["s\n"]})
    after = config({"new.tf": ["+++ y\n", "z\n"], "same.tf": ["s\n"]})

    files = compare_configs(before, after).files

    assert [(f.path, f.action) for f in files] == [("new.tf", "create"), ("old.tf", "delete")]
    assert files[0].unified_diff.startswith("--- /dev/null\n+++ b/new.tf\n")
    assert files[0].line_counts() == (2, 0)
    assert files[1].unified_diff.startswith("--- a/old.tf\n+++ /dev/null\n")
    assert files[1].line_counts() == (0, 1)


def test_configs_missing_final_newline_is_marked() -> None:
    (change,) = compare_configs(config({"m.tf": ["a"]}), config({"m.tf": ["a\n"]})).files

    assert "-a\n\\ No newline at end of file\n+a\n" in change.unified_diff
    assert change.line_counts() == (1, 1)


def test_configs_binary_files() -> None:
    before = config({}, binary_files={"logo.png": "AAAA"})
    after = config({}, binary_files={"logo.png": "BBBB"})

    (change,) = compare_configs(before, after).files

    assert change.unified_diff == "Binary files a/logo.png and b/logo.png differ\n"
    assert change.line_counts() == (0, 0)
    assert compare_configs(before, before).is_empty()


def test_configs_variables_changed_with_sensitivity() -> None:
    before = config({}, {"size": "small", "pw": SEAL_A, "gone": 1})
    after = config({}, {"size": "large", "pw": SEAL_B, "new": True})

    variables = {v.name: v for v in compare_configs(before, after).variables}

    assert sorted(variables) == ["gone", "new", "pw", "size"]
    assert (variables["size"].before, variables["size"].after) == ("small", "large")
    assert variables["pw"].sensitive and not variables["size"].sensitive
    assert variables["gone"].action == "delete" and variables["new"].action == "create"


def test_configs_none_is_empty() -> None:
    changes = compare_configs(None, config({"main.tf": ["x\n"]}, {"v": 1}))

    assert [f.action for f in changes.files] == ["create"]
    assert [v.action for v in changes.variables] == ["create"]
    assert compare_configs(None, None).is_empty()


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def test_narrowed_config_cuts_a_line_diff_at_the_targeted_block_edge() -> None:
    # The line diff runs from a's changed input into b's removed block: one change, cut in two.
    old = 'resource "t" "a" {\n  input = 1\n}\nresource "t" "b" {\n  input = 2\n}\n'
    new = 'resource "t" "a" {\n  input = 3\n}\n'
    before, after = config({"main.tf": _lines(old)}), config({"main.tf": _lines(new)})
    whole = compare_configs(before, after)

    (a,) = narrow_config(whole, before, after, ["t.a"]).files
    assert a.unified_diff.split("\n", 2)[2] == (
        '@@ -1,3 +1,3 @@\n resource "t" "a" {\n-  input = 1\n+  input = 3\n }\n'
    )
    b = narrow_config(whole, before, after, ["t.b"])
    assert [line for line in b.files[0].unified_diff.splitlines() if line[:1] == "-"][1:] == [
        '-resource "t" "b" {',
        "-  input = 2",
        "-}",
    ]
    assert b.not_shown == 1
    # Without targets nothing is narrowed.
    assert narrow_config(whole, before, after, []) is whole


def test_narrowed_config_shows_the_comment_above_a_targeted_block_as_its_own() -> None:
    old = '# small\nresource "t" "a" {\n  input = 1\n}\n'
    new = '# large: the load doubled\nresource "t" "a" {\n  input = 2\n}\n'
    before, after = config({"main.tf": _lines(old)}), config({"main.tf": _lines(new)})

    narrowed = narrow_config(compare_configs(before, after), before, after, ["t.a"])

    assert narrowed.not_shown == 0  # the note is the block's, not a change of something else
    assert "+# large: the load doubled" in narrowed.files[0].unified_diff


def test_narrowed_hunks_are_numbered_as_in_the_files_and_whole_when_all_is_targeted() -> None:
    # Each hunk shown must apply to the older file at its numbers and give the newer file's
    # lines at its own: a random edit of a file of one-line blocks, some of them targeted.
    rng = random.Random(7)
    for _ in range(300):
        names = [f"r{n}" for n in range(rng.randint(0, 12))]
        old = [f'resource "t" "{n}" {{ v = {rng.randint(0, 3)} }}\n' for n in names]
        new = list(old)
        for _ in range(rng.randint(1, 4)):
            at = rng.randint(0, len(new))
            new.insert(at, f'resource "t" "x{at}" {{ v = 9 }}\n')
            if new[1:] and rng.random() < 0.5:
                del new[rng.randrange(len(new))]
        if old == new:
            continue
        before, after = config({"main.tf": old}), config({"main.tf": new})
        whole = compare_configs(before, after)
        every = [f"t.{n}" for n in names] + [f"t.x{i}" for i in range(len(new) + 1)]
        assert narrow_config(whole, before, after, every).files == whole.files
        targets = [t for t in every if rng.random() < 0.4] or ["t.none"]
        for change in narrow_config(whole, before, after, targets).files:
            for hunk in re.split(r"(?m)^(?=@@)", change.unified_diff)[1:]:
                head, *body = hunk.splitlines(keepends=True)
                m = re.match(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", head)
                assert m is not None
                old_at, old_n = int(m[1]), int(m[2] or 1)
                new_at, new_n = int(m[3]), int(m[4] or 1)
                old_at -= 1 if old_n else 0
                new_at -= 1 if new_n else 0
                assert [x[1:] for x in body if x[0] in " -"] == old[old_at : old_at + old_n]
                assert [x[1:] for x in body if x[0] in " +"] == new[new_at : new_at + new_n]
                for x in body:
                    if x[0] in "+-":
                        assert any(f'"{t.split(".")[1]}"' in x for t in targets)


def test_addresses_sort_as_terraform_plan_lists_them() -> None:
    # The root module's resources first, then each module's after the module calling it;
    # instance keys in natural order, a key holding dots or brackets kept whole.
    ordered = [
        "data.terraform_remote_state.net",
        "terraform_data.web[2]",
        "terraform_data.web[10]",
        "terraform_data.z",
        "module.app[2].terraform_data.x",
        "module.app[2].module.db.terraform_data.x",
        "module.app[10].terraform_data.x",
        'module.b["a.b"].terraform_data.a',
        'module.b["c"].terraform_data.a',
    ]
    assert sorted(reversed(ordered), key=address_sort_key) == ordered


def _moves_by_definition(old: dict[str, Any], new: dict[str, Any]) -> dict[str, str]:
    """The move rule read straight from its definition, over every instance of each side."""

    def identity(inst: dict[str, Any]) -> tuple[str, str] | None:
        ident = inst["attributes"].get("id")
        if inst["mode"] != "managed" or not isinstance(ident, str) or not ident:
            return None
        return inst["type"], ident

    def unique(doc: dict[str, Any], among: set[str], key: Any) -> dict[Any, str]:
        found: dict[Any, list[str]] = {}
        for address, inst in doc.items():
            k = key(inst)
            if k is not None:
                found.setdefault(k, []).append(address)
        return {k: w[0] for k, w in found.items() if len(w) == 1 and w[0] in among}

    gone, came = set(old) - set(new), set(new) - set(old)
    by_id_gone, by_id_came = unique(old, gone, identity), unique(new, came, identity)
    moves = {by_id_came[k]: by_id_gone[k] for k in by_id_gone.keys() & by_id_came.keys()}

    def content(inst: dict[str, Any]) -> Any:
        if inst["mode"] != "managed" or not inst["attributes"]:
            return None
        return inst["type"], repr(sorted(inst["attributes"].items()))

    rest_gone = {a: old[a] for a in gone - set(moves.values())}
    rest_came = {a: new[a] for a in came - set(moves)}
    alike_gone = unique(rest_gone, set(rest_gone), content)
    alike_came = unique(rest_came, set(rest_came), content)
    moves.update({alike_came[k]: alike_gone[k] for k in alike_gone.keys() & alike_came.keys()})
    return moves


def test_changes_moves_follow_the_unique_id_rule_whatever_the_kept_instances_hold() -> None:
    # Ids shared with instances that stayed (on either side), repeated among those gone or
    # appeared, absent, or of another type: pairs are read from the objects that left and
    # came alone, and must still be exactly those the rule over whole states gives.
    rng = random.Random(7)
    for _ in range(400):
        pool = [f"a_b.r{i}" for i in range(12)]
        old_addresses = set(rng.sample(pool, rng.randint(0, 10)))
        new_addresses = set(rng.sample(pool, rng.randint(0, 10)))

        def make(address: str) -> dict[str, Any]:
            attributes: dict[str, Any] = {"size": rng.choice("st")}
            if rng.random() < 0.8:
                attributes["id"] = rng.choice("123")
            return instance(address, attributes, type=rng.choice(["a_b", "a_b", "c_d"]))

        old = {a: make(a) for a in sorted(old_addresses)}
        new = {a: (old[a] if a in old and rng.random() < 0.5 else make(a)) for a in new_addresses}
        before = {"format": 1, "version": 4, "resources": old, "outputs": {}}
        after = {"format": 1, "version": 4, "resources": new, "outputs": {}}

        changes = compare_states(before, after)

        expected = _moves_by_definition(old, new)
        assert {r.address: r.moved_from for r in changes.resources if r.moved_from} == expected
        shown = {r.address for r in changes.resources}
        assert not shown & set(expected.values())  # a moved object is shown once, where it went


def test_changes_known_to_be_limited_to_some_addresses_read_only_those() -> None:
    # The store's delta between adjacent versions names the instances it changed.
    before = state(
        ("a_b.x", instance("a_b.x", {"id": "1", "size": "s"})),
        ("a_b.y", instance("a_b.y", {"id": "2", "size": "s"})),
    )
    after = state(
        ("a_b.x", instance("a_b.x", {"id": "1", "size": "m"})),
        ("a_b.y", instance("a_b.y", {"id": "2", "size": "m"})),
        ("a_b.z", instance("a_b.z", {"id": "3"})),
    )

    told = compare_states(before, after, changed={"a_b.x", "a_b.z", "a_b.gone"})

    assert [(r.address, r.action) for r in told.resources] == [
        ("a_b.x", "update"),
        ("a_b.z", "create"),
    ]
    assert [r.address for r in compare_states(before, after).resources] == [
        "a_b.x",
        "a_b.y",
        "a_b.z",
    ]
