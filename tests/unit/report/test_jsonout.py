from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tfshadow.report.jsonout import diff_json, inspect_json, log_json
from tfshadow.state.changes import ConfigChanges, StateChanges, compare_configs, compare_states

Meta = Callable[..., dict[str, Any]]


def round_trip(value: dict[str, Any]) -> Any:
    return json.loads(json.dumps(value))


def test_jsonout_log_newest_first(make_meta: Meta) -> None:
    metas = [make_meta(1), make_meta(3), make_meta(2)]

    out = round_trip(log_json(metas))

    assert [v["version"] for v in out["versions"]] == [3, 2, 1]
    assert out["versions"][0] == make_meta(3)


def test_jsonout_inspect_shape(
    make_meta: Meta, state_changes: StateChanges, config_changes: ConfigChanges
) -> None:
    out = round_trip(inspect_json(make_meta(2), state_changes, config_changes))

    assert set(out) == {"version", "changes", "config"}
    assert out["version"]["version"] == 2
    assert out["changes"]["summary"] == {
        "add": 2,
        "change": 2,
        "destroy": 1,
        "import": 0,
        "move": 0,
        "forget": 0,
    }
    resources = {r["address"]: r for r in out["changes"]["resources"]}
    app = resources["terraform_data.app"]
    assert app == {
        "address": "terraform_data.app",
        "mode": "managed",
        "type": "terraform_data",
        "name": "app",
        "action": "update",
        "deposed": None,
        "status_before": None,
        "status_after": None,
        "attributes": [
            {
                "path": "input",
                "action": "update",
                "before": "small",
                "after": "large",
                "sensitive": False,
            }
        ],
    }
    assert resources["data.aws_ami.u"]["mode"] == "data"
    outputs = {o["name"]: o for o in out["changes"]["outputs"]}
    assert outputs["o"] == {
        "name": "o",
        "action": "update",
        "before": "a",
        "after": "b",
        "sensitive": False,
    }


def test_jsonout_absent_side_is_left_out(
    make_meta: Meta, state_changes: StateChanges, config_changes: ConfigChanges
) -> None:
    out = round_trip(inspect_json(make_meta(2), state_changes, config_changes))

    resources = {r["address"]: r for r in out["changes"]["resources"]}
    created = {a["path"]: a for a in resources["terraform_data.web"]["attributes"]}
    assert created["input"] == {
        "path": "input",
        "action": "create",
        "after": "large",
        "sensitive": False,
    }
    # A real null stays null; only a missing side is left out.
    assert created["triggers_replace"]["after"] is None
    assert "before" not in created["triggers_replace"]
    destroyed = {a["path"]: a for a in resources["terraform_data.old"]["attributes"]}
    assert destroyed["tags"] == {
        "path": "tags",
        "action": "delete",
        "before": {"env": "dev"},
        "sensitive": False,
    }


def test_jsonout_sensitive_values_are_null(
    make_meta: Meta,
    seals: tuple[str, str],
    state_changes: StateChanges,
    config_changes: ConfigChanges,
) -> None:
    out = inspect_json(make_meta(2), state_changes, config_changes)
    text = json.dumps(out)

    for seal in seals:
        assert seal not in text
    assert "tfshadow:sensitive" not in text
    resources = {r["address"]: r for r in out["changes"]["resources"]}
    (password,) = resources["aws_db_instance.db"]["attributes"]
    assert password == {
        "path": "password",
        "action": "update",
        "before": None,
        "after": None,
        "sensitive": True,
    }
    subnet = {a["path"]: a for a in resources['module.net.aws_subnet.a["x"]']["attributes"]}
    assert subnet['conf["token"]'] == {
        "path": 'conf["token"]',
        "action": "create",
        "after": None,
        "sensitive": True,
    }
    assert subnet['conf["user"]']["after"] == "u"
    variables = {v["name"]: v for v in out["config"]["variables"]}
    assert variables["password"]["sensitive"] is True
    assert variables["password"]["before"] is None
    outputs = {o["name"]: o for o in out["changes"]["outputs"]}
    assert outputs["secret"]["after"] is None and outputs["secret"]["sensitive"] is True


def test_jsonout_nested_seal_in_output_is_hidden(seals: tuple[str, str]) -> None:
    after = {"outputs": {"o": {"value": {"k": [seals[1]]}, "type": "dynamic"}}}

    out = inspect_json({"version": 1}, compare_states(None, after), compare_configs(None, None))

    assert out["changes"]["outputs"] == [
        {"name": "o", "action": "create", "after": None, "sensitive": True}
    ]


def test_jsonout_config_files(
    make_meta: Meta, state_changes: StateChanges, config_changes: ConfigChanges
) -> None:
    out = round_trip(inspect_json(make_meta(2), state_changes, config_changes))

    files = {f["path"]: f for f in out["config"]["files"]}
    assert files["main.tf"]["action"] == "update"
    assert files["main.tf"]["diff"].startswith("--- a/main.tf\n+++ b/main.tf\n")
    assert (files["main.tf"]["added_lines"], files["main.tf"]["removed_lines"]) == (1, 1)
    assert files["web.tf"]["action"] == "create"
    variables = {v["name"]: v for v in out["config"]["variables"]}
    assert variables["size"] == {
        "name": "size",
        "action": "update",
        "before": "small",
        "after": "large",
        "sensitive": False,
    }


def test_jsonout_diff_shape(
    make_meta: Meta, state_changes: StateChanges, config_changes: ConfigChanges
) -> None:
    out = round_trip(diff_json(make_meta(1), make_meta(4), state_changes, config_changes))

    assert set(out) == {"from", "to", "changes", "config"}
    assert (out["from"]["version"], out["to"]["version"]) == (1, 4)
    assert (
        out["changes"]
        == round_trip(inspect_json(make_meta(4), state_changes, config_changes))["changes"]
    )
    from_nothing = round_trip(diff_json(None, make_meta(4), state_changes, config_changes))
    assert from_nothing["from"] is None


def test_jsonout_empty_changes() -> None:
    out = round_trip(
        inspect_json({"version": 1}, compare_states(None, None), compare_configs(None, None))
    )

    assert out == {
        "version": {"version": 1},
        "changes": {
            "resources": [],
            "outputs": [],
            "summary": {"add": 0, "change": 0, "destroy": 0, "import": 0, "move": 0, "forget": 0},
        },
        "config": {"files": [], "variables": []},
    }


def test_jsonout_provider_change_is_shown_only_when_it_happened() -> None:
    def instance(provider: str) -> dict[str, Any]:
        return {"mode": "managed", "type": "t", "name": "a", "provider": provider, "attributes": {}}

    before = {"resources": {"t.a": instance('provider["x/hashicorp/null"]')}}
    after = {"resources": {"t.a": instance('provider["x/acme/null"]')}}
    out = round_trip(
        inspect_json({"version": 2}, compare_states(before, after), compare_configs(None, None))
    )

    [resource] = out["changes"]["resources"]
    assert resource["action"] == "update"
    assert resource["provider_before"] == 'provider["x/hashicorp/null"]'
    assert resource["provider_after"] == 'provider["x/acme/null"]'
    unchanged = round_trip(
        inspect_json({"version": 2}, compare_states(None, after), compare_configs(None, None))
    )
    assert "provider_before" not in unchanged["changes"]["resources"][0]


def test_jsonout_says_which_updates_were_replacements() -> None:
    def instance(ident: str, size: str) -> dict[str, Any]:
        return {"mode": "managed", "type": "t", "name": "a", "attributes": {"id": ident, "s": size}}

    before = {"resources": {"t.a": instance("1", "s")}}
    replaced = round_trip(
        inspect_json(
            {"version": 2},
            compare_states(before, {"resources": {"t.a": instance("2", "s")}}),
            compare_configs(None, None),
        )
    )
    updated = round_trip(
        inspect_json(
            {"version": 2},
            compare_states(before, {"resources": {"t.a": instance("1", "m")}}),
            compare_configs(None, None),
        )
    )

    assert replaced["changes"]["resources"][0]["replaced"] is True
    assert "replaced" not in updated["changes"]["resources"][0]


def test_jsonout_inspect_says_when_the_parent_was_removed() -> None:
    out = round_trip(
        inspect_json(
            {"version": 4, "parent": 3},
            compare_states(None, None),
            compare_configs(None, None),
            parent_removed=True,
        )
    )
    assert out["parent_removed"] is True


def test_jsonout_summary_counts_moves_imports_and_forgets_apart(make_meta: Meta) -> None:
    def instance(name: str, id_: str) -> dict[str, Any]:
        return {
            "mode": "managed",
            "type": "terraform_data",
            "name": name,
            "provider": 'provider["terraform.io/builtin/terraform"]',
            "attributes": {"id": id_},
        }

    before = {
        "format": 1,
        "resources": {
            "terraform_data.old": instance("old", "1"),
            "terraform_data.kept": instance("kept", "2"),
            "terraform_data.gone": instance("gone", "3"),
        },
    }
    after = {
        "format": 1,
        "resources": {
            "terraform_data.new": instance("new", "1"),  # moved
            "terraform_data.adopted": instance("adopted", "4"),  # by an import block
            "terraform_data.made": instance("made", "5"),
        },
    }
    changes = compare_states(before, after).with_intents(
        {"terraform_data.adopted"}, {"terraform_data.kept"}
    )

    out = round_trip(inspect_json(make_meta(2), changes, compare_configs({}, {})))

    # As the terminal says it: 1 to import, 1 to add, 0 to change, 1 to destroy, 1 moved, 1 to
    # forget.
    assert out["changes"]["summary"] == {
        "add": 1,
        "change": 0,
        "destroy": 1,
        "import": 1,
        "move": 1,
        "forget": 1,
    }


def test_jsonout_summary_of_a_state_push_counts_entries_as_log_does(make_meta: Meta) -> None:
    def state(id_: str) -> dict[str, Any]:
        return {
            "format": 1,
            "resources": {
                "terraform_data.web": {
                    "mode": "managed",
                    "type": "terraform_data",
                    "name": "web",
                    "provider": 'provider["terraform.io/builtin/terraform"]',
                    "attributes": {"id": id_},
                }
            },
        }

    # The pushed state holds the object under another id: Terraform's record changed, and
    # nothing was destroyed or created by the push.
    changes = compare_states(state("1"), state("2"))
    pushed = round_trip(
        inspect_json(make_meta(2, kind="state push"), changes, compare_configs({}, {}))
    )
    applied = round_trip(inspect_json(make_meta(2, kind="apply"), changes, compare_configs({}, {})))

    assert pushed["changes"]["summary"] | {"import": 0, "move": 0, "forget": 0} == {
        "add": 0,
        "change": 1,
        "destroy": 0,
        "import": 0,
        "move": 0,
        "forget": 0,
    }
    # An apply that gave the object a new id replaced it, as `terraform plan` counts.
    assert (applied["changes"]["summary"]["add"], applied["changes"]["summary"]["destroy"]) == (
        1,
        1,
    )
