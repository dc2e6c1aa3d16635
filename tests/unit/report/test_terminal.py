from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from rich.console import Console
from rich.text import Text

from tfshadow.report.terminal import (
    print_line,
    print_lines,
    render_diff,
    render_inspect,
    render_log,
    render_state_changes,
)
from tfshadow.state.changes import (
    ConfigChanges,
    StateChanges,
    compare_configs,
    compare_states,
)

Meta = Callable[..., dict[str, Any]]


def console(*, color: bool = False) -> Console:
    return Console(record=True, width=120, no_color=not color, force_terminal=color)


def test_terminal_inspect_draws_changes_like_plan(
    make_meta: Meta, state_changes: StateChanges, config_changes: ConfigChanges
) -> None:
    out = console()

    render_inspect(out, make_meta(2), state_changes, config_changes)

    text = out.export_text()
    assert "  # terraform_data.web was created\n" in text
    assert '  + resource "terraform_data" "web" {\n' in text
    assert '      + input = "large"\n' in text
    assert "  # terraform_data.app was updated in-place\n" in text
    assert (
        '  ~ resource "terraform_data" "app" {\n'
        '        id    = "app-id"\n'
        '      ~ input = "small" -> "large"\n'
        "    }\n"
    ) in text
    assert "  # terraform_data.old was destroyed\n" in text
    assert '      - id   = "old-id" -> null\n' in text
    assert '      - tags = {\n          - "env" = "dev"\n        } -> null\n' in text
    # Unset attributes are left out of creates and destroys, as terraform plan does.
    assert "gone" not in text and "triggers_replace" not in text
    assert '  # module.net.aws_subnet.a["x"] was created\n' in text
    assert '  + resource "aws_subnet" "a" {\n' in text
    assert "  # data.aws_ami.u was read again\n" in text
    assert ' <= data "aws_ami" "u" {\n' in text
    assert "Changes: 2 added, 2 changed, 1 destroyed.\n" in text


def test_terminal_inspect_hides_sensitive_values(
    make_meta: Meta,
    seals: tuple[str, str],
    state_changes: StateChanges,
    config_changes: ConfigChanges,
) -> None:
    out = console()

    render_inspect(out, make_meta(2), state_changes, config_changes)

    text = out.export_text()
    assert "~ password = (sensitive value)\n" in text
    assert '+ conf["token"] = (sensitive value)\n' in text
    assert '+ conf["user"]  = "u"\n' in text
    assert "~ secret = (sensitive value)\n" in text
    assert "~ var.password = (sensitive value)\n" in text
    for seal in seals:
        assert seal not in text
    assert "tfshadow:sensitive" not in text


def test_terminal_inspect_never_prints_a_nested_seal(seals: tuple[str, str]) -> None:
    # An output value holding a seal deep inside, with no sensitive flag on the output itself.
    before: dict[str, Any] = {"outputs": {}}
    after = {"outputs": {"o": {"value": {"list": [seals[0]]}, "type": "dynamic"}}}
    out = console()

    render_inspect(out, {"version": 1}, compare_states(before, after), compare_configs(None, None))

    text = out.export_text()
    assert "+ o = (sensitive value)" in text
    assert "tfshadow:sensitive" not in text


def test_terminal_inspect_header_shows_metadata(
    make_meta: Meta, state_changes: StateChanges, config_changes: ConfigChanges
) -> None:
    out = console()
    meta = make_meta(3, outcome="partial", workspace="staging", description="first line\nsecond")

    render_inspect(out, meta, state_changes, config_changes)

    text = out.export_text()
    assert text.startswith("version 3\n")
    assert "Date:      2024-05-03 12:00:03 UTC\n" in text
    assert "Author:    Alice Doe <alice@example.com> (git config)\n" in text
    assert "Kind:      apply\n" in text
    assert "Outcome:   partial\n" in text
    assert "Terraform: 1.15.5 (embedded)\n" in text
    assert "Workspace: staging\n" in text
    assert "Parent:    version 2\n" in text
    assert "    first line\n    second\n" in text


def test_terminal_inspect_outputs_and_configuration_summary(
    make_meta: Meta, state_changes: StateChanges, config_changes: ConfigChanges
) -> None:
    out = console()

    render_inspect(out, make_meta(2), state_changes, config_changes)

    text = out.export_text()
    assert 'Changes to Outputs:\n  ~ o      = "a" -> "b"\n' in text
    assert "Configuration changes:\n" in text
    assert "  ~ main.tf (+1 -1)\n" in text
    assert "  + web.tf (+3)\n" in text
    assert '  ~ var.size     = "small" -> "large"\n' in text


def test_terminal_inspect_without_changes(make_meta: Meta) -> None:
    out = console()

    render_inspect(out, make_meta(1), compare_states(None, None), compare_configs(None, None))

    text = out.export_text()
    assert "No resource changes." in text
    assert "No configuration changes." in text
    assert "Changes to Outputs" not in text


def test_terminal_inspect_baseline_says_recorded(make_meta: Meta) -> None:
    after = {
        "resources": {
            "terraform_data.a": {
                "mode": "managed",
                "type": "terraform_data",
                "name": "a",
                "attributes": {"id": "1"},
            }
        }
    }
    out = console()

    render_inspect(
        out,
        make_meta(1, kind="baseline"),
        compare_states(None, after),
        compare_configs(None, None),
    )

    text = out.export_text()
    assert "  # terraform_data.a was recorded\n" in text
    assert "Recorded: 1 existing resource.\n" in text


def test_terminal_inspect_tainted_status_is_noted() -> None:
    def doc(**fields: Any) -> dict[str, Any]:
        instance = {"mode": "managed", "type": "t", "name": "n", "attributes": {"id": "1"}}
        return {"resources": {"t.n": {**instance, **fields}}}

    out = console()

    render_inspect(
        out,
        {"version": 4},
        compare_states(doc(), doc(status="tainted")),
        compare_configs(None, None),
    )

    text = out.export_text()
    assert (
        '  # t.n was updated in-place\n  ~ resource "t" "n" {\n        # (marked tainted)\n' in text
    )


def test_terminal_log_newest_first_with_counts_and_tags(make_meta: Meta) -> None:
    metas = [
        make_meta(1, kind="baseline", description="baseline", author={"name": "Bob"}),
        make_meta(2, outcome="partial"),
        make_meta(3, kind="revert", changes={"add": 0, "change": 2, "destroy": 1}),
    ]
    out = console()

    render_log(out, metas)

    lines = out.export_text().splitlines()
    assert [line.split()[0] for line in lines] == ["3", "2", "1"]
    assert lines[0].startswith("3  2024-05-03 12:00:03 UTC  Alice Doe  revert         +0 ~2 -1  ")
    assert "apply partial  +1 ~1 -0  1 to add" in lines[1]
    assert lines[2].startswith("1  2024-05-01 12:00:01 UTC  Bob        baseline")
    assert lines[2].endswith("+1 ~1 -0  baseline")


def test_terminal_columns_hold_with_wide_characters(make_meta: Meta) -> None:
    # A wide (CJK) character takes two cells of a terminal: padded by characters, a name or
    # key holding one pushed the rest of its line out of the column.
    from rich.cells import cell_len

    out = console()
    render_log(out, [make_meta(1, author={"name": "山田"}), make_meta(2, author={"name": "Bob"})])
    lines = out.export_text().splitlines()
    assert len({cell_len(line.split("  apply")[0]) for line in lines}) == 1, lines

    before: dict[str, Any] = {"outputs": {}}
    after = {
        "outputs": {
            "o": {"value": {"名前": "a", "name": "b"}, "type": "dynamic"},
        }
    }
    out = console()
    render_inspect(out, {"version": 1}, compare_states(before, after), compare_configs(None, None))
    rows = [line for line in out.export_text().splitlines() if '= "' in line]
    assert len({cell_len(row.split("=")[0]) for row in rows}) == 1, rows


def test_terminal_log_empty() -> None:
    out = console()

    render_log(out, [])

    assert out.export_text() == "No versions recorded yet.\n"


def test_terminal_log_keeps_brackets_in_descriptions(make_meta: Meta) -> None:
    out = console()

    render_log(out, [make_meta(1, description='changed module.net.aws_subnet.a["x"] [bold]x')])

    assert 'changed module.net.aws_subnet.a["x"] [bold]x' in out.export_text()


def test_terminal_colour_only_on_terminals(
    make_meta: Meta, state_changes: StateChanges, config_changes: ConfigChanges
) -> None:
    piped, no_color, coloured = io.StringIO(), io.StringIO(), io.StringIO()
    consoles = [
        Console(file=piped, width=120, force_terminal=False),
        Console(file=no_color, width=120, force_terminal=True, no_color=True),
        Console(file=coloured, width=120, force_terminal=True),
    ]

    for out in consoles:
        render_inspect(out, make_meta(2), state_changes, config_changes)

    assert "\x1b[" not in piped.getvalue()
    assert not re.search(r"\x1b\[[0-9;]*3[0-7]m", no_color.getvalue())
    assert "\x1b[32m+\x1b[0m" in coloured.getvalue()
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured.getvalue()) == piped.getvalue()


def test_terminal_diff_shows_changes_and_file_diffs(
    make_meta: Meta,
    seals: tuple[str, str],
    state_changes: StateChanges,
    config_changes: ConfigChanges,
) -> None:
    out = console()

    render_diff(out, make_meta(1), make_meta(5), state_changes, config_changes)

    text = out.export_text()
    assert text.startswith(
        "Changes from version 1 (2024-05-01 12:00:01 UTC) to version 5 (2024-05-05 12:00:05 UTC)\n"
    )
    assert '  ~ resource "terraform_data" "app" {\n' in text
    assert "--- a/main.tf\n+++ b/main.tf\n@@ -1,3 +1,3 @@\n" in text
    assert '-  input = "small"\n+  input = "large"\n' in text
    assert "--- /dev/null\n+++ b/web.tf\n" in text
    for seal in seals:
        assert seal not in text


def test_terminal_diff_without_file_diffs_and_from_nothing(
    make_meta: Meta, state_changes: StateChanges, config_changes: ConfigChanges
) -> None:
    out = console()

    render_diff(out, None, make_meta(5), state_changes, config_changes, show_config_diff=False)

    text = out.export_text()
    assert text.startswith("Changes from nothing to version 5")
    assert "  ~ main.tf (+1 -1)\n" in text
    assert "--- a/main.tf" not in text


def test_terminal_diff_colours_file_lines(
    make_meta: Meta, state_changes: StateChanges, config_changes: ConfigChanges
) -> None:
    out = console(color=True)

    render_diff(out, make_meta(1), make_meta(2), state_changes, config_changes)

    styled = out.export_text(styles=True)
    assert '\x1b[32m+  input = "large"\x1b[0m' in styled
    assert '\x1b[31m-  input = "small"\x1b[0m' in styled


@pytest.mark.parametrize("kind", ["state rm", "state mv", "import", "taint", "refresh"])
def test_terminal_inspect_state_only_kinds_do_not_claim_infrastructure_changed(
    make_meta: Meta, kind: str
) -> None:
    # `state rm` forgets a resource and `state mv` renames it: nothing was created or destroyed.
    resource = {"mode": "managed", "type": "t", "name": "old", "attributes": {"id": "1"}}
    before = {"resources": {"t.old": resource, "t.kept": {**resource, "name": "kept"}}}
    after = {
        "resources": {
            "t.new": {**resource, "name": "new", "attributes": {"id": "2"}},
            "t.kept": {**resource, "name": "kept", "status": "tainted"},
        }
    }
    out = console()

    render_inspect(
        out, make_meta(2, kind=kind), compare_states(before, after), compare_configs(None, None)
    )

    text = out.export_text()
    assert "# t.old was removed from the state" in text
    assert "# t.new was added to the state" in text
    assert "# t.kept was changed in the state" in text
    assert "destroyed" not in text and "created" not in text and "in-place" not in text
    assert "State: 1 added, 1 changed, 1 removed." in text


def test_terminal_inspect_shows_a_provider_replacement(make_meta: Meta) -> None:
    def instance(provider: str) -> dict[str, Any]:
        return {"mode": "managed", "type": "t", "name": "a", "provider": provider, "attributes": {}}

    before = {"resources": {"t.a": instance('provider["x/hashicorp/null"]')}}
    after = {"resources": {"t.a": instance('provider["x/acme/null"]')}}
    out = console()

    render_inspect(
        out,
        make_meta(2, kind="state replace-provider"),
        compare_states(before, after),
        compare_configs(None, None),
    )

    text = out.export_text()
    assert "# t.a was changed in the state" in text
    assert '# (provider: provider["x/hashicorp/null"] -> provider["x/acme/null"])' in text
    assert "No resource changes" not in text


def test_terminal_inspect_shows_a_replaced_resource_as_terraform_plan_does(
    make_meta: Meta,
) -> None:
    def instance(ident: str) -> dict[str, Any]:
        return {"mode": "managed", "type": "t", "name": "a", "attributes": {"id": ident}}

    out = console()

    render_inspect(
        out,
        make_meta(2),
        compare_states(
            {"resources": {"t.a": instance("1")}}, {"resources": {"t.a": instance("2")}}
        ),
        compare_configs(None, None),
    )

    text = out.export_text()
    assert "# t.a was replaced" in text
    assert '\n-/+ resource "t" "a" {\n' in text
    assert "updated in-place" not in text


def test_terminal_inspect_shows_a_move_as_terraform_plan_does(make_meta: Meta) -> None:
    def instance(name: str, ident: str, size: str) -> dict[str, Any]:
        attributes = {"id": ident, "size": size}
        return {"mode": "managed", "type": "t", "name": name, "attributes": attributes}

    before = {"resources": {"t.a": instance("a", "1", "s"), "t.b": instance("b", "2", "s")}}
    after = {
        "resources": {
            "t.renamed": instance("renamed", "1", "s"),
            "module.m.t.b": instance("b", "2", "m"),
        }
    }
    out = console()

    render_inspect(out, make_meta(2), compare_states(before, after), compare_configs(None, None))

    text = out.export_text()
    assert '  # t.a has moved to t.renamed\n    resource "t" "renamed" {\n' in text
    assert "  # module.m.t.b was updated in-place\n  # (moved from t.b)\n" in text
    assert '~ size = "s" -> "m"' in text
    assert "Changes: 0 added, 1 changed, 0 destroyed, 2 moved." in text
    assert "was created" not in text and "was destroyed" not in text


def test_terminal_inspect_shows_multi_line_strings_as_heredocs(make_meta: Meta) -> None:
    attributes = {"id": "1", "input": {"s": "line1\nline2\n", "one": "a"}, "data": "x\ny"}
    instance = {"mode": "managed", "type": "t", "name": "a", "attributes": attributes}
    out = console()

    render_inspect(
        out,
        make_meta(2),
        compare_states({"resources": {"t.a": instance}}, {"resources": {}}),
        compare_configs(None, None),
    )

    text = out.export_text()
    heredoc = "      - data  = <<-EOT\n            x\n            y\n        EOT -> null\n"
    assert heredoc in text
    nested = '          - "s"   = <<-EOT\n' + " " * 16 + "line1\n" + " " * 16 + "line2\n"
    assert nested + "            EOT\n" in text


def _inspected(make_meta: Meta, before: dict[str, Any], after: dict[str, Any]) -> str:
    def state(attributes: dict[str, Any]) -> dict[str, Any]:
        instance = {"mode": "managed", "type": "t", "name": "a", "attributes": attributes}
        return {"resources": {"t.a": instance}} if attributes else {"resources": {}}

    out = console()
    render_inspect(
        out, make_meta(2), compare_states(state(before), state(after)), compare_configs(None, None)
    )
    return out.export_text()


def test_terminal_a_changed_multi_line_string_shows_its_lines_removed_and_added(
    make_meta: Meta,
) -> None:
    script = "#!/bin/sh\necho hello\necho {}\nexit 0\n"
    text = _inspected(
        make_meta,
        {"id": "1", "user_data": script.format("world")},
        {"id": "1", "user_data": script.format("there")},
    )

    assert (
        "      ~ user_data = <<-EOT\n"
        "            #!/bin/sh\n"
        "            echo hello\n"
        "          - echo world\n"
        "          + echo there\n"
        "            exit 0\n"
        "        EOT\n"
    ) in text


def test_terminal_a_long_multi_line_string_shows_its_changes_and_counts_the_rest(
    make_meta: Meta,
) -> None:
    # A user_data script of 20,000 lines that repeat, two of them changed.
    lines = [f"echo step {i % 7}" for i in range(20_000)]
    changed = list(lines)
    changed[10] = "echo first"
    changed[15_000] = "echo second"

    text = _inspected(
        make_meta,
        {"id": "1", "user_data": "\n".join(lines)},
        {"id": "1", "user_data": "\n".join(changed)},
    )

    assert (
        "      ~ user_data = <<-EOT\n"
        "            # (7 unchanged lines hidden)\n"
        "            echo step 0\n"
        "            echo step 1\n"
        "            echo step 2\n"
        "          - echo step 3\n"
        "          + echo first\n"
        "            echo step 4\n"
        "            echo step 5\n"
        "            echo step 6\n"
        "            # (14983 unchanged lines hidden)\n"
    ) in text
    assert "          + echo second\n" in text
    assert "            # (4996 unchanged lines hidden)\n        EOT\n" in text
    assert len(text.splitlines()) < 50


def test_terminal_a_long_one_line_string_shows_where_it_changed_and_its_length(
    make_meta: Meta,
) -> None:
    blob = "QUJD" * 50_000  # 200,000 characters of base64
    changed = blob[:120_000] + "WFla" + blob[120_004:]

    text = _inspected(make_meta, {"id": "1", "blob": blob}, {"id": "1", "blob": changed})
    created = _inspected(make_meta, {}, {"id": "1", "blob": blob})

    # From 20 characters before the first difference, 60 of each side.
    old_part, new_part = "QUJD" * 15, "QUJD" * 5 + "WFla" + "QUJD" * 9
    assert f'~ blob = "…{old_part}…" -> "…{new_part}…"' in text
    assert "  # (200,000 -> 200,000 characters, from character 120,001)\n" in text
    assert max(len(line) for line in text.splitlines()) < 300
    assert '+ blob = "QUJDQUJD' in created and '…" (200,000 characters)\n' in created
    assert max(len(line) for line in created.splitlines()) < 300


def test_terminal_a_changed_json_string_shows_its_documents_line_by_line(
    make_meta: Meta,
) -> None:
    def policy(actions: list[str]) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": [{"Action": actions}]})

    text = _inspected(
        make_meta,
        {"id": "1", "policy": policy(["s3:GetObject"]), "tags": "[]"},
        {"id": "1", "policy": policy(["s3:GetObject", "s3:PutObject"]), "tags": "{}"},
    )

    assert (
        "      ~ policy = jsonencode(\n"
        "            {\n"
        '              "Statement": [\n'
        "                {\n"
        '                  "Action": [\n'
        '                    "s3:GetObject",\n'
        '          +         "s3:PutObject"\n'
        "                  ]\n"
        "                }\n"
        "              ],\n"
        '              "Version": "2012-10-17"\n'
        "            }\n"
        "        )\n"
    ) in text
    assert "      ~ tags   = jsonencode([]) -> jsonencode({})\n" in text


def test_terminal_a_json_string_reformatted_only_says_so(make_meta: Meta) -> None:
    text = _inspected(make_meta, {"id": "1", "p": '{"a": 1}'}, {"id": "1", "p": '{\n  "a": 1\n}'})

    opening = "      ~ p  = jsonencode(  # whitespace changes\n"
    assert opening + '            {\n              "a": 1\n' in text
    assert "-  " not in text and "+  " not in text


def test_terminal_a_created_json_string_is_laid_out_as_a_document(make_meta: Meta) -> None:
    text = _inspected(make_meta, {}, {"id": "1", "p": '{"b": [1, 2], "a": "x"}', "q": "{}"})

    assert (
        '      + p  = jsonencode(\n            {\n              "a": "x",\n              "b": [\n'
    ) in text
    assert "      + q  = jsonencode({})\n" in text
    # A string that only looks like JSON stays a string.
    plain = _inspected(make_meta, {}, {"id": "1", "p": "{not json"})
    assert '      + p  = "{not json"\n' in plain


def test_terminal_inspect_a_removed_null_is_not_said_to_become_null(make_meta: Meta) -> None:
    def instance(value: dict[str, Any]) -> dict[str, Any]:
        attributes = {"id": "1", "input": {"value": value, "type": ["object", {}]}}
        return {"mode": "managed", "type": "t", "name": "a", "attributes": attributes}

    out = console()

    render_inspect(
        out,
        make_meta(2),
        compare_states(
            {"resources": {"t.a": instance({"k": "v", "z": None})}},
            {"resources": {"t.a": instance({"k": "w"})}},
        ),
        compare_configs(None, None),
    )

    text = out.export_text()
    assert '- input["z"] = null\n' in text
    assert "null -> null" not in text


def test_terminal_inspect_empty_collections_are_not_shown_as_strings(make_meta: Meta) -> None:
    attributes = {"id": "1", "rules": [{"cidr": [], "port": 443}], "tags": {}, "text": "[]"}
    after = {
        "resources": {
            "t.a": {"mode": "managed", "type": "t", "name": "a", "attributes": attributes}
        }
    }
    out = console()

    render_inspect(out, make_meta(1), compare_states(None, after), compare_configs(None, None))

    text = out.export_text()
    assert "+ cidr = []\n" in text
    assert "+ tags  = {}\n" in text
    # The string is told apart from a list: it is shown as the JSON it holds, as in a plan.
    assert "+ text  = jsonencode([])\n" in text


def test_terminal_state_only_revert_does_not_claim_a_replacement(make_meta: Meta) -> None:
    # `revert --state-only` writes a recorded state back: no object is replaced by it.
    def instance(ident: str) -> dict[str, Any]:
        return {"mode": "managed", "type": "t", "name": "a", "attributes": {"id": ident}}

    changes = compare_states(
        {"resources": {"t.a": instance("1")}}, {"resources": {"t.a": instance("2")}}
    )
    inspected, preview = console(), console()

    render_inspect(
        inspected,
        make_meta(3, kind="revert", state_only=True, reverted_to=1),
        changes,
        compare_configs(None, None),
    )
    render_state_changes(preview, changes)

    for text in (inspected.export_text(), preview.export_text()):
        assert "# t.a was changed in the state" in text
        assert "-/+" not in text and "replaced" not in text
        assert "State: 0 added, 1 changed, 0 removed." in text


def test_terminal_inspect_a_deposed_object_is_not_said_to_be_created(make_meta: Meta) -> None:
    def instance(ident: str, **fields: Any) -> dict[str, Any]:
        return {"mode": "managed", "type": "t", "name": "a", "attributes": {"id": ident}, **fields}

    before = {"resources": {"t.a": instance("1")}}
    after = {
        "resources": {
            "t.a": instance("2", status="tainted"),
            "t.a (deposed object d1)": instance("1", deposed="d1"),
        }
    }
    out = console()

    render_inspect(out, make_meta(2), compare_states(before, after), compare_configs(None, None))

    text = out.export_text()
    assert "# t.a (deposed object d1) was deposed by create_before_destroy\n" in text
    assert "Changes: 1 added, 0 changed, 0 destroyed." in text


def test_terminal_inspect_parent_removed_by_retention(make_meta: Meta) -> None:
    after = {"resources": {"t.a": {"mode": "managed", "type": "t", "name": "a", "attributes": {}}}}
    out = console()

    render_inspect(
        out,
        make_meta(4, parent=3),
        compare_states(None, after),
        compare_configs(None, None),
        parent_removed=True,
    )

    text = out.export_text()
    assert "Parent:    version 3 (removed by retention)\n" in text
    assert "# t.a was recorded" in text and "was created" not in text


@pytest.mark.parametrize("count", [0, 1, 255, 256, 257, 600])
def test_print_lines_prints_exactly_what_a_call_per_line_prints(count: int) -> None:
    lines = [
        Text("") if n % 7 == 0 else Text(f"  ~ line {n} " + "x" * (n % 150), style="yellow")
        for n in range(count)
    ]
    one_by_one, batched = console(color=True), console(color=True)
    for line in lines:
        print_line(one_by_one, line)
    print_lines(batched, iter(lines))
    printed = batched.export_text(styles=True)
    assert printed == one_by_one.export_text(styles=True)
    assert printed.count("\n") == count


def test_terminal_a_replacement_is_coloured_part_by_part_as_a_plan_colours_it(
    make_meta: Meta,
) -> None:
    instance = {"mode": "managed", "type": "t", "name": "a"}
    before = {"resources": {"t.a": {**instance, "attributes": {"id": "1"}}}}
    after = {
        "resources": {"t.a": {**instance, "attributes": {"id": "2"}, "create_before_destroy": True}}
    }
    out = console(color=True)

    render_inspect(out, make_meta(2), compare_states(before, after), compare_configs(None, None))

    styled = out.export_text(styles=True)
    assert '\x1b[32m+\x1b[0m/\x1b[31m-\x1b[0m resource "t" "a" {' in styled
