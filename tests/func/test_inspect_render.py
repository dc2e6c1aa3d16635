"""`inspect` and `diff` draw what a version changed as `terraform plan` drew it before the
apply, on versions real applies made."""

from __future__ import annotations

from pathlib import Path

from .conftest import Tfshadow


def _configure(workdir: Path, text: str) -> None:
    for old in workdir.glob("*.tf"):
        old.unlink()
    (workdir / "main.tf").write_text(text)


def _apply(tfshadow: Tfshadow, workdir: Path) -> str:
    """Terraform's own account of the apply (its plan), once the version is recorded."""
    applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert applied.code == 0, applied.err
    return applied.out


def test_a_replacement_made_create_before_destroy_is_marked_as_the_plan_marked_it(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    replaced = """
resource "terraform_data" "first_destroyed" {
  triggers_replace = [var.trigger]
}

resource "terraform_data" "first_created" {
  triggers_replace = [var.trigger]
  lifecycle {
    create_before_destroy = true
  }
}

variable "trigger" {
  type = string
}
"""
    _configure(workdir, replaced)
    first = tfshadow("apply", "-auto-approve", "-no-color", "-var", "trigger=a", cwd=workdir)
    assert first.code == 0, first.err
    applied = tfshadow("apply", "-auto-approve", "-no-color", "-var", "trigger=b", cwd=workdir)
    assert applied.code == 0, applied.err
    assert '-/+ resource "terraform_data" "first_destroyed" {' in applied.out
    assert '+/- resource "terraform_data" "first_created" {' in applied.out

    for shown in (
        tfshadow("inspect", "2", "--no-color", cwd=workdir).out,
        tfshadow("diff", "2", "1", "--no-color", cwd=workdir).out,
    ):
        assert '-/+ resource "terraform_data" "first_destroyed" {' in shown
        assert '+/- resource "terraform_data" "first_created" {' in shown


def test_a_json_member_added_is_the_one_line_changed_and_a_comma_in_text_is_a_change(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    def policy(actions: str, extra: str, csv: str) -> str:
        return f"""
resource "terraform_data" "policy" {{
  input = {{
    document = jsonencode({{ Action = [{actions}]{extra}, Effect = "Allow" }})
    csv      = "{csv}"
  }}
}}
"""

    _configure(workdir, policy('"s3:Get*"', "", "a,\\nb\\n"))
    _apply(tfshadow, workdir)
    _configure(workdir, policy('"s3:Get*", "s3:List*"', ', Sid = "Read"', "a\\nb\\n"))
    _apply(tfshadow, workdir)

    shown = tfshadow("inspect", "2", "--no-color", cwd=workdir).out
    document = shown[shown.index('input["document"]') :]
    document = document[: document.index("\n        )\n")]
    # Only what terraform plan shows as added: the second action and the Sid member.
    changed = [
        " ".join(line.split()) for line in document.splitlines() if line.lstrip()[:1] in "+-"
    ]
    assert changed == ['+ "s3:List*"', '+ "Sid": "Read"'], shown
    assert '  "s3:Get*",\n' in document and '"Effect": "Allow",\n' in document
    # In a text that is not JSON, a line that lost its comma did change.
    assert "          - a,\n          + a\n" in shown


def test_an_output_object_changed_in_place_shows_the_values_that_changed(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    def outputs(port: int, extra: str) -> str:
        return f"""
output "services" {{
  value = {{
    web = {{ port = {port}, hosts = ["a", "b"{extra}] }}
    api = {{ port = 9000, hosts = ["c"] }}
  }}
}}

output "secret" {{
  value     = {{ token = "tok-{port}" }}
  sensitive = true
}}
"""

    _configure(workdir, outputs(80, ""))
    _apply(tfshadow, workdir)
    _configure(workdir, outputs(8080, ', "z"'))
    _apply(tfshadow, workdir)

    shown = tfshadow("inspect", "2", "--no-color", cwd=workdir).out
    assert (
        "Changes to Outputs:\n"
        "  ~ secret                      = (sensitive value)\n"
        '  + services["web"]["hosts"][2] = "z"\n'
        '  ~ services["web"]["port"]     = 80 -> 8080\n'
    ) in shown, shown
    assert "9000" not in shown and "tok-" not in shown


def test_an_element_inserted_in_a_list_is_one_row_not_every_element_after_it(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    def rules(first: str) -> str:
        return f"""
resource "terraform_data" "firewall" {{
  input = [{first}
    {{ port = 22, cidr = "10.0.0.0/8" }},
    {{ port = 80, cidr = "0.0.0.0/0" }},
    {{ port = 443, cidr = "0.0.0.0/0" }},
  ]
}}
"""

    _configure(workdir, rules(""))
    _apply(tfshadow, workdir)
    _configure(workdir, rules('\n    { port = 8080, cidr = "10.1.0.0/16" },'))
    _apply(tfshadow, workdir)

    shown = tfshadow("inspect", "2", "--no-color", cwd=workdir).out
    changes = shown[shown.index('  ~ resource "terraform_data" "firewall" {') :]
    changes = changes[: changes.index("\n    }\n")]
    # The element added is an object in a list, a nested block: its keys bare, as in a plan.
    assert changes.splitlines()[1].startswith('        id        = "')
    assert changes.splitlines()[2:] == [
        "      + input[0]  = {",
        '          + cidr = "10.1.0.0/16"',
        "          + port = 8080",
        "        }",
        "      + output[0] = {",
        '          + cidr = "10.1.0.0/16"',
        "          + port = 8080",
        "        }",
    ], shown
    listed = tfshadow("inspect", "2", "--json", cwd=workdir).json()["changes"]["resources"]
    assert [(a["path"], a["action"]) for a in listed[0]["attributes"]] == [
        ("input[0]", "create"),
        ("output[0]", "create"),
    ]


def test_an_update_names_its_object_and_counts_what_it_left_as_the_plan_did(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    moved = "moved {\n  from = terraform_data.old\n  to   = terraform_data.new\n}\n"

    def config(name: str, size: str) -> str:
        return f"""
resource "terraform_data" "{name}" {{
  input = "kept"
}}

resource "terraform_data" "sized" {{
  input            = "{size}"
  triggers_replace = ["kept"]
}}
""" + (moved if name == "new" else "")

    _configure(workdir, config("old", "small"))
    _apply(tfshadow, workdir)
    _configure(workdir, config("new", "large"))
    plan = _apply(tfshadow, workdir)
    # Terraform said the same of both before it applied them.
    assert "  # terraform_data.old has moved to terraform_data.new\n" in plan
    assert plan.count("# (1 unchanged attribute hidden)") == 1

    shown = tfshadow("inspect", "2", "--no-color", cwd=workdir).out
    ids = {
        r["address"]: r
        for r in tfshadow("inspect", "1", "--json", cwd=workdir).json()["changes"]["resources"]
    }

    def attribute(address: str, path: str) -> str:
        rows = ids[address]["attributes"]
        return str(next(row["after"] for row in rows if row["path"] == path))

    kept_id = attribute("terraform_data.old", "id")
    sized_id = attribute("terraform_data.sized", "id")
    assert (
        "  # terraform_data.old has moved to terraform_data.new\n"
        '    resource "terraform_data" "new" {\n'
        f'        id = "{kept_id}"\n'
        "        # (2 unchanged attributes hidden)\n"
        "    }\n"
    ) in shown, shown
    assert (
        '  ~ resource "terraform_data" "sized" {\n'
        f'        id     = "{sized_id}"\n'
        '      ~ input  = "small" -> "large"\n'
        '      ~ output = "small" -> "large"\n'
        "        # (1 unchanged attribute hidden)\n"
        "    }\n"
    ) in shown, shown


def test_a_revert_says_which_version_it_put_back_and_whether_only_the_state(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    _configure(
        workdir, 'variable "size" {}\n\nresource "terraform_data" "web" {\n  input = var.size\n}\n'
    )
    for size in ("small", "large"):
        applied = tfshadow(
            "apply", "-auto-approve", "-no-color", "-var", f"size={size}", cwd=workdir
        )
        assert applied.code == 0, applied.err
    reverted = tfshadow("revert", "1", "--state-only", "--auto-approve", "--no-color", cwd=workdir)
    assert reverted.code == 0, reverted.err

    shown = tfshadow("inspect", "3", "--no-color", cwd=workdir).out
    assert "Kind:      revert\n" in shown
    assert "Reverted:  to version 1 (state only: `terraform state push`)\n" in shown
    assert "Reverted" not in tfshadow("inspect", "2", "--no-color", cwd=workdir).out


def test_an_escape_sequence_in_a_multi_line_value_is_shown_not_sent_to_the_terminal(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    # "\u001b[1A\u001b[2K" moves the cursor up a line and erases it: the line above would vanish.
    script = 'input = "#!/bin/sh\\necho \\u001b[1A\\u001b[2K%s\\n"'
    _configure(workdir, 'resource "terraform_data" "boot" {\n  %s\n}\n' % (script % "one"))
    _apply(tfshadow, workdir)
    _configure(workdir, 'resource "terraform_data" "boot" {\n  %s\n}\n' % (script % "two"))
    _apply(tfshadow, workdir)

    for version in ("1", "2"):
        shown = tfshadow("inspect", version, "--no-color", cwd=workdir).out
        assert "\x1b" not in shown
        assert "echo \\u001b[1A\\u001b[2K" in shown, shown
