"""`tfshadow apply` and friends record versions; read through log, inspect and diff."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import Tfshadow, git_history_text, plain_apply, store_files

SECRET = "fixture-token-value"


def test_apply_records_versions_and_history_reads_them(workdir: Path, tfshadow: Tfshadow) -> None:
    first = tfshadow("apply", "-auto-approve", "-no-color", "--message", "first", cwd=workdir)
    assert first.code == 0, first.err
    assert "Apply complete! Resources: 2 added" in first.out  # Terraform's stdout, unaltered
    assert "recorded version 1" in first.err
    second = tfshadow(
        "apply",
        "-auto-approve",
        "-no-color",
        "-var",
        "size=large",
        "--message",
        "scale web tier",
        cwd=workdir,
    )
    assert second.code == 0, second.err
    assert "recorded version 2" in second.err

    log = tfshadow("log", "--json", cwd=workdir)
    assert log.code == 0, log.err
    versions = log.json()["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    latest = versions[0]
    assert latest["description"] == "scale web tier"
    assert latest["kind"] == "apply" and latest["outcome"] == "success"
    assert latest["parent"] == 1 and versions[1]["parent"] is None
    assert latest["changes"] == {
        "add": 0,
        "change": 1,
        "destroy": 0,
        "addresses": ["terraform_data.web"],
    }
    assert latest["terraform"]["engine"] == "embedded"
    assert latest["terraform"]["version"].startswith("1.15.")
    assert latest["workspace"] == "default"
    assert latest["author"] == {"name": "Test User", "email": "test@example.com", "source": "git"}
    assert latest["timestamp"].endswith("Z")
    assert len(latest["state_sha256"]) == 64 and len(latest["config_sha256"]) == 64

    text_log = tfshadow("log", "--no-color", cwd=workdir)
    assert "scale web tier" in text_log.out and "first" in text_log.out

    inspect = tfshadow("inspect", "2", "--no-color", cwd=workdir)
    assert inspect.code == 0, inspect.err
    assert "terraform_data.web" in inspect.out
    assert '"small" -> "large"' in inspect.out

    diff = tfshadow("diff", "1", "2", "--json", cwd=workdir)
    assert diff.code == 0, diff.err
    doc = diff.json()
    assert doc["from"]["version"] == 1 and doc["to"]["version"] == 2
    [web] = doc["changes"]["resources"]
    assert web["address"] == "terraform_data.web" and web["action"] == "update"


def test_apply_without_state_change_records_nothing(workdir: Path, tfshadow: Tfshadow) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    again = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert again.code == 0
    assert "nothing recorded" in again.err
    assert len(tfshadow("log", "--json", cwd=workdir).json()["versions"]) == 1


@pytest.mark.parametrize(
    "config",
    [
        'resource "terraform_data" "a" { input = }\n',  # a syntax error
        # A provider that was never installed: `init` is needed first.
        'resource "localcloud_instance" "a" { command = ["sleep", "1"] }\n',
    ],
    ids=["syntax-error", "not-initialised"],
)
def test_a_failed_first_apply_leaves_no_store(
    tmp_path: Path, tfshadow: Tfshadow, config: str
) -> None:
    (tmp_path / "main.tf").write_text(config)
    failed = tfshadow("apply", "-auto-approve", "-no-color", cwd=tmp_path)
    assert failed.code == 1, failed.err
    assert "No state to record" in failed.err
    assert not (tmp_path / ".tfshadow").exists()
    # The store appears with the first state there is to record.
    (tmp_path / "main.tf").write_text('resource "terraform_data" "a" { input = 1 }\n')
    applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=tmp_path)
    assert applied.code == 0, applied.err
    assert [v["kind"] for v in tfshadow("log", "--json", cwd=tmp_path).json()["versions"]] == [
        "apply"
    ]


def test_a_version_without_resource_changes_is_described_by_its_configuration(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    main = 'resource "terraform_data" "a" {}\nresource "terraform_data" "b" {\n'
    (tmp_path / "main.tf").write_text(main + "}\n")
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=tmp_path).code == 0
    # Terraform records the new dependency in its state, and changes no resource.
    (tmp_path / "main.tf").write_text(main + "  depends_on = [terraform_data.a]\n}\n")
    second = tfshadow("apply", "-auto-approve", "-no-color", cwd=tmp_path)
    assert second.code == 0, second.err
    assert "Resources: 0 added, 0 changed, 0 destroyed" in second.out
    [latest, _] = tfshadow("log", "--json", cwd=tmp_path).json()["versions"]
    assert latest["description"] == "no resource changes; configuration changed: main.tf"


def test_generated_description_summarises_the_change(workdir: Path, tfshadow: Tfshadow) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    [meta] = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert meta["description"].startswith("2 to add, 0 to change, 0 to destroy")
    assert "terraform_data.web" in meta["description"]


def test_existing_state_is_recorded_as_baseline_first(workdir: Path, tfshadow: Tfshadow) -> None:
    plain_apply(workdir)
    result = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=medium", cwd=workdir)
    assert result.code == 0, result.err
    versions = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert [(v["version"], v["kind"]) for v in versions] == [(2, "apply"), (1, "baseline")]
    assert versions[0]["changes"]["addresses"] == ["terraform_data.web"]


def test_change_made_outside_tfshadow_is_recovered(workdir: Path, tfshadow: Tfshadow) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    plain_apply(workdir, "-var", "size=sneaky")
    log = tfshadow("log", "--json", cwd=workdir)
    assert log.code == 0, log.err
    versions = log.json()["versions"]
    assert [(v["version"], v["kind"]) for v in versions] == [(2, "recovered"), (1, "apply")]
    assert "serial" in versions[0]["description"]


def test_failed_apply_that_changed_state_is_partial(workdir: Path, tfshadow: Tfshadow) -> None:
    (workdir / "broken.tf").write_text(
        'resource "terraform_data" "ok" {\n  input = "fine"\n}\n\n'
        'resource "terraform_data" "bad" {\n  input = "x"\n  depends_on = [terraform_data.ok]\n'
        '  lifecycle {\n    postcondition {\n      condition     = self.output == "y"\n'
        '      error_message = "deliberately broken"\n    }\n  }\n}\n'
    )
    result = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert result.code == 1
    assert "deliberately broken" in result.err
    [meta] = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert meta["outcome"] == "partial"
    assert "terraform_data.ok" in meta["changes"]["addresses"]


def test_a_moved_block_and_state_mv_are_recorded_as_moves(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    main = workdir / "main.tf"
    main.write_text(
        main.read_text()
        .replace('"terraform_data" "web"', '"terraform_data" "site"')
        .replace("terraform_data.web.", "terraform_data.site.")
        + "\nmoved {\n  from = terraform_data.web\n  to   = terraform_data.site\n}\n"
    )
    applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert applied.code == 0, applied.err
    assert "has moved to terraform_data.site" in applied.out  # Terraform's own plan
    moved = tfshadow(
        "state", "mv", "terraform_data.auth", 'terraform_data.each["a b"]', cwd=workdir
    )
    assert moved.code == 0, moved.err

    versions = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert [(v["kind"], v["description"]) for v in versions[:2]] == [
        ("state mv", 'state: 0 added, 0 changed, 0 removed, 1 moved: terraform_data.each["a b"]'),
        ("apply", "0 to add, 0 to change, 0 to destroy, 1 moved: terraform_data.site"),
    ]
    assert [v["changes"]["destroy"] for v in versions[:2]] == [0, 0]
    assert versions[1]["changes"]["moved_from"] == ["terraform_data.web"]
    # A move is found under either address; the object's other versions under the one it had.
    for address, found in [
        ("terraform_data.web", [2, 1]),
        ("terraform_data.site", [2]),
        ("terraform_data.auth", [3, 1]),
        ('terraform_data.each["a b"]', [3]),
    ]:
        listed = tfshadow("log", "--json", address, cwd=workdir).json()["versions"]
        assert [v["version"] for v in listed] == found, address
    inspect = tfshadow("inspect", "2", "--no-color", cwd=workdir)
    assert "# terraform_data.web has moved to terraform_data.site" in inspect.out
    assert "was destroyed" not in inspect.out
    doc = tfshadow("diff", "1", "3", "--json", cwd=workdir).json()
    assert sorted((r["moved_from"], r["address"]) for r in doc["changes"]["resources"]) == [
        ("terraform_data.auth", 'terraform_data.each["a b"]'),
        ("terraform_data.web", "terraform_data.site"),
    ]


def test_import_and_removed_blocks_are_recorded_as_imports_and_forgets(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    state = json.loads((workdir / "terraform.tfstate").read_text())
    [web] = [r for r in state["resources"] if r["name"] == "web"]
    ident = web["instances"][0]["attributes"]["id"]
    removal = "removed {\n  from = terraform_data.web\n  lifecycle {\n    destroy = false\n  }\n}\n"
    main = workdir / "main.tf"
    text = main.read_text()
    block = text[text.index('resource "terraform_data" "web"') :]
    block = block[: block.index("}\n") + 2]
    main.write_text(text.replace(block, removal).replace("terraform_data.web.output", '"gone"'))
    forgot = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert forgot.code == 0, forgot.err
    assert "will no longer be managed by Terraform" in forgot.out  # Terraform's own plan
    main.write_text(text + f'\nimport {{\n  to = terraform_data.web\n  id = "{ident}"\n}}\n')
    imported = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert imported.code == 0, imported.err
    assert "1 imported" in imported.out  # Terraform's own summary

    versions = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert [v["description"] for v in versions] == [
        "1 to import, 0 to add, 0 to change, 0 to destroy: terraform_data.web",
        "0 to add, 0 to change, 0 to destroy, 1 to forget: terraform_data.web",
        "2 to add, 0 to change, 0 to destroy: terraform_data.auth, terraform_data.web",
    ]
    assert [v["changes"]["destroy"] for v in versions] == [0, 0, 0]
    forget = tfshadow("inspect", "2", "--no-color", cwd=workdir).out
    assert "terraform_data.web is no longer managed by Terraform" in forget
    assert "was destroyed" not in forget
    assert '  . resource "terraform_data" "web" {\n        id ' in forget
    assert "-> null" not in forget  # the object stays as it was
    assert (
        "# terraform_data.web was imported"
        in tfshadow("inspect", "3", "--no-color", cwd=workdir).out
    )


def test_destroy_and_state_rm_are_recorded_other_commands_pass_through(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    applied = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=large", cwd=workdir)
    assert applied.code == 0, applied.err
    listed = tfshadow("state", "list", cwd=workdir)
    assert listed.code == 0
    assert listed.out.split() == ["terraform_data.auth", "terraform_data.web"]
    plan = tfshadow("plan", "-detailed-exitcode", "-no-color", "-var", "size=x", cwd=workdir)
    assert plan.code == 2  # "changes present", passed through exactly
    removed = tfshadow("state", "rm", "terraform_data.auth", cwd=workdir)
    assert removed.code == 0, removed.err
    destroyed = tfshadow(
        "destroy", "-auto-approve", "-no-color", "-target=terraform_data.web", cwd=workdir
    )
    assert destroyed.code == 0, destroyed.err
    versions = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert [(v["kind"], v["changes"]["destroy"], v["changes"].get("forget")) for v in versions] == [
        ("destroy", 1, None),
        ("state rm", 0, 1),
        ("apply", 0, None),
    ]
    # `state rm` forgets: it destroys nothing, and its description does not say it did.
    assert versions[1]["description"] == (
        "state: 0 added, 0 changed, 0 removed, 1 forgotten: terraform_data.auth"
    )
    # Given no variables, it keeps those of the version before: none was removed.
    state_rm = tfshadow("inspect", "2", "--json", cwd=workdir).json()
    assert state_rm["config"] == {"files": [], "variables": []}
    assert state_rm["changes"]["summary"] | {"import": 0, "move": 0} == {
        "add": 0,
        "change": 0,
        "destroy": 0,
        "import": 0,
        "move": 0,
        "forget": 1,
    }
    [forgotten] = state_rm["changes"]["resources"]
    assert forgotten["address"] == "terraform_data.auth" and forgotten["forgotten"] is True
    inspected = tfshadow("inspect", "2", "--no-color", "--no-pager", cwd=workdir).out
    assert "# terraform_data.auth is no longer managed by Terraform" in inspected
    assert '  . resource "terraform_data" "auth" {' in inspected
    assert "State: 0 added, 0 changed, 0 removed, 1 forgotten." in inspected
    # log's columns: nothing destroyed by the `state rm`, one object forgotten (`.1`).
    log = tfshadow("log", "--no-color", "--no-pager", cwd=workdir).out.splitlines()
    counts = [re.search(r"\+\d+ ~\d+ -\d+( \.\d+)?", line) for line in log]
    assert [found.group() if found else None for found in counts] == [
        "+0 ~0 -1",
        "+0 ~0 -0 .1",
        "+2 ~0 -0",
    ]
    # The descriptions after them still start in one column.
    starts = ("0 to add", "state:", "2 to add")
    assert len({line.index(text) for line, text in zip(log, starts, strict=True)}) == 1


def test_help_and_version_requests_pass_through_unrecorded(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    # Terraform prints its version for -v anywhere on the line, and its help for -help before
    # or after the command: it runs nothing, so nothing is to be locked, recorded or reported.
    plain_apply(workdir)
    for args in (
        ["apply", "-auto-approve", "-no-color", "-v"],
        ["-help", "apply"],
        ["state", "rm", "-version", "terraform_data.web"],
        ["plan", "-version"],
    ):
        result = tfshadow(*args, cwd=workdir)
        assert result.code == 0, result.err
        assert "Terraform v" in result.out or "Usage: terraform" in result.out, args
        assert result.err == "", args
    assert not (workdir / ".tfshadow").exists()


@pytest.mark.parametrize(
    ("args", "name", "own"),
    [
        (["apply", "-help"], "apply", ["--message TEXT", "records"]),
        (["-help", "apply", "-auto-approve"], "apply", ["--message TEXT"]),
        (["destroy", "--help"], "destroy", ["--message TEXT", "records"]),
        (["import", "-h"], "import", ["--message TEXT", "records"]),
        (["refresh", "-help"], "refresh", ["--message TEXT"]),
        (["taint", "-help"], "taint", ["--message TEXT"]),
        (["untaint", "-help"], "untaint", ["--message TEXT"]),
        (["state", "mv", "-help"], "state mv", ["--message TEXT", "moved"]),
        (["state", "rm", "-help"], "state rm", ["--message TEXT", "forgotten"]),
        (["state", "push", "-help"], "state push", ["--message TEXT"]),
        (["state", "replace-provider", "-help"], "state replace-provider", ["--message TEXT"]),
        (["plan", "--help"], "plan", ["--format markdown|json|text", "--report-file PATH"]),
        (["plan", "-help", "--format", "json"], "plan", ["--format markdown|json|text"]),
    ],
)
def test_help_of_a_wrapped_command_says_what_tfshadow_adds_then_shows_terraforms(
    workdir: Path, tfshadow: Tfshadow, args: list[str], name: str, own: list[str]
) -> None:
    result = tfshadow(*args, cwd=workdir)
    assert result.code == 0, result.err
    assert result.err == ""
    ours, _, terraforms = result.out.partition(f"Terraform's own help for {name} follows.")
    assert terraforms.lstrip("\n").startswith(f"Usage: terraform [global options] {name} ")
    assert ours.startswith(f"tfshadow {name} runs Terraform's {name}")
    for option in [*own, "--chdir DIR", "--terraform-bin PATH", "--lock-timeout SECS"]:
        assert option in ours, option
    assert not (workdir / ".tfshadow").exists()  # help runs nothing, records nothing


@pytest.mark.parametrize(
    ("variable", "args", "name"),
    [
        ("TF_CLI_ARGS_apply", ["apply", "-auto-approve"], "apply"),
        ("TF_CLI_ARGS", ["destroy", "-auto-approve"], "destroy"),
        ("TF_CLI_ARGS_state_rm", ["state", "rm", "terraform_data.web"], "state rm"),
    ],
)
def test_help_asked_through_tf_cli_args_is_help_too(
    workdir: Path,
    tfshadow: Tfshadow,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    args: list[str],
    name: str,
) -> None:
    monkeypatch.setenv(variable, "-help")
    result = tfshadow(*args, cwd=workdir)
    assert result.code == 0, result.err
    ours, _, terraforms = result.out.partition(f"Terraform's own help for {name} follows.")
    assert ours.startswith(f"tfshadow {name} runs Terraform's {name}")
    assert terraforms.lstrip("\n").startswith(f"Usage: terraform [global options] {name} ")
    assert result.err == ""  # no "No state to record": nothing ran
    assert not (workdir / ".tfshadow").exists()


def test_help_of_a_command_tfshadow_does_not_wrap_is_terraforms_alone(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    for args in (["state", "list", "-help"], ["init", "-help"], ["-help"], ["output", "-h"]):
        result = tfshadow(*args, cwd=workdir)
        assert result.out.startswith("Usage: terraform"), args
        assert "tfshadow" not in result.out, args
    # `state` itself names the subcommands tfshadow records.
    state = tfshadow("state", "-help", cwd=workdir)
    ours, _, terraforms = state.out.partition("Terraform's own help for state follows.")
    assert "`state rm`" in ours and terraforms.lstrip("\n").startswith("Usage: terraform")


def test_no_color_from_tf_cli_args_makes_tfshadows_own_lines_plain_too(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # as on a terminal
    monkeypatch.delenv("NO_COLOR", raising=False)
    for name in ("TF_CLI_ARGS", "TF_CLI_ARGS_apply"):
        monkeypatch.setenv(name, "-no-color")
        result = tfshadow("apply", "-auto-approve", "-var", f"size={name}", cwd=workdir)
        monkeypatch.delenv(name)
        assert result.code == 0, result.err
        assert "recorded version" in result.err
        assert "\x1b[" not in result.out + result.err, name


def test_tf_cli_args_terraform_cannot_read_stop_a_recorded_command_with_one_line(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    plain_apply(workdir, "-var", "size=outside")  # a change a recorded command would record
    state = (workdir / "terraform.tfstate").read_bytes()
    given = (
        ("TF_CLI_ARGS_apply", "-var 'size=x", ("apply", "-auto-approve"), "a ' is not closed"),
        ("TF_CLI_ARGS", '-var "size=x', ("destroy", "-auto-approve"), 'a " is not closed'),
        ("TF_CLI_ARGS_state_rm", "-dry-run `", ("state", "rm", "terraform_data.web"), "a `"),
    )
    for name, value, args, problem in given:
        monkeypatch.setenv(name, value)
        result = tfshadow(*args, "-no-color", cwd=workdir)
        monkeypatch.delenv(name)
        assert result.code == 2, (name, result.err)
        assert result.out == ""
        [line] = result.err.splitlines()
        assert line.startswith(f"tfshadow: error: Terraform cannot read {name}: {problem}"), line
        assert f"fix the quoting in {name}" in line
    assert (workdir / "terraform.tfstate").read_bytes() == state
    # Not even the change made outside tfshadow (`log` records it, so the store is asked).
    from tfshadow.project import Project

    assert len(Project(workdir, os.environ).open_store(create=False).versions("default")) == 1
    # Passed through, the error and its exit code are Terraform's own, with nothing after.
    monkeypatch.setenv("TF_CLI_ARGS", "-var 'size=x")
    listed = tfshadow("state", "list", cwd=workdir)
    assert listed.code == 1
    assert listed.err.strip().endswith(
        "Error parsing extra CLI args from TF_CLI_ARGS: invalid command line string"
    )
    assert "tfshadow" not in listed.err


def test_a_damaged_ghost_registry_changes_no_exit_code_of_terraform(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    from tfshadow.project import Project

    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    store = Project(workdir, os.environ).open_store(create=False)
    registry = store.private_dir("ghosts") / "ghosts.json"
    registry.write_text('{"terraform_data.web": {"gho')  # cut short by a full disk
    # The plan and the apply reach their report on ghosts after Terraform ran: it is a warning.
    plan = tfshadow("plan", "-detailed-exitcode", "-no-color", "-var", "size=p", cwd=workdir)
    assert plan.code == 2, plan.err
    assert "ghost registry" in plan.err and "Traceback" not in plan.err
    applied = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=p", cwd=workdir)
    assert applied.code == 0, applied.err
    assert "recorded version 2" in applied.err
    assert "ghosts were not brought up to date" in applied.err
    # The ghost commands say what to do about it.
    listed = tfshadow("ghost", "list", cwd=workdir)
    assert listed.code == 2
    assert "remove it and enable the ghosts again" in listed.err


@pytest.mark.parametrize(
    "damaged",
    ['["terraform_data.web"]', '{"terraform_data.web": 1}', '{"terraform_data.web": {"ghost": 1}}'],
)
def test_a_ghost_registry_of_the_wrong_shape_is_damaged_not_empty_nor_a_crash(
    workdir: Path, tfshadow: Tfshadow, damaged: str
) -> None:
    from tfshadow.project import Project

    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    store = Project(workdir, os.environ).open_store(create=False)
    (store.private_dir("ghosts") / "ghosts.json").write_text(damaged)
    applied = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=p", cwd=workdir)
    assert applied.code == 0, applied.err
    assert "ghosts were not brought up to date" in applied.err
    listed = tfshadow("ghost", "list", cwd=workdir)
    # Not "No ghosts.": the next enable would overwrite what the registry held.
    assert listed.code == 2, listed.out
    assert "ghost registry" in listed.err and "cannot be read" in listed.err
    assert "Traceback" not in listed.err + applied.err


def test_secrets_never_reach_the_store(workdir: Path, tfshadow: Tfshadow) -> None:
    (workdir / "secrets.auto.tfvars").write_text(f'api_token = "{SECRET}-tfvars"\n')
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    assert (
        tfshadow(
            "apply", "-auto-approve", "-no-color", "-var", f"api_token={SECRET}-cli", cwd=workdir
        ).code
        == 0
    )
    store = workdir / ".tfshadow"
    everything = "\n".join(store_files(store).values()) + git_history_text(store)
    assert SECRET not in everything
    inspect = tfshadow("inspect", "2", "--no-color", cwd=workdir)
    assert SECRET not in inspect.out and "(sensitive value)" in inspect.out


def test_a_secret_named_variable_is_sealed_wherever_the_state_holds_it(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    # Named like a secret but not declared sensitive: Terraform keeps its value in plain text
    # in an attribute named `input`; the store must not, also in versions recorded by commands
    # that were never given the value.
    (workdir / "deploy.tf").write_text(
        'variable "deploy_token" {\n  type = string\n}\n'
        'resource "terraform_data" "deploy" {\n  input = var.deploy_token\n}\n'
    )
    token = f"{SECRET}-deploy"
    applied = tfshadow(
        "apply", "-auto-approve", "-no-color", "-var", f"deploy_token={token}", cwd=workdir
    )
    assert applied.code == 0, applied.err
    assert token in (workdir / "terraform.tfstate").read_text()  # Terraform's own record
    log = tfshadow("log", "--json", cwd=workdir)  # a drift check, without the value
    assert [v["version"] for v in log.json()["versions"]] == [1]
    moved = tfshadow("state", "mv", "terraform_data.deploy", "terraform_data.deployed", cwd=workdir)
    assert moved.code == 0, moved.err
    assert "recorded version 2" in moved.err
    store = workdir / ".tfshadow"
    everything = "\n".join(store_files(store).values()) + git_history_text(store)
    assert token not in everything
    inspect = tfshadow("inspect", "1", "--json", cwd=workdir)
    assert token not in inspect.out


def test_a_json_document_holding_a_secret_named_key_is_sealed_whole(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    # A file read with file() and a jsonencode'd document of innocently named values: the
    # state holds them as one string, whose key `password` no attribute name tells of.
    password, token = "hunter2-in-a-json-file", "tok-nested-twice-value"
    (workdir / "creds.json").write_text(
        json.dumps({"user": "svc", "password": password, "size": "SIZE"}, indent=2)
    )
    (workdir / "docs.tf").write_text(
        'variable "app_settings" {\n  type    = string\n  default = ""\n}\n'
        'resource "terraform_data" "creds" {\n'
        '  input = replace(file("${path.module}/creds.json"), "SIZE", var.size)\n}\n'
        'resource "terraform_data" "settings" {\n'
        "  input = jsonencode({ app = var.app_settings, size = var.size })\n}\n"
    )
    nested = json.dumps({"client": {"api_token": token}, "mode": "a"})
    for size in ("small", "large"):
        applied = tfshadow(
            "apply", "-auto-approve", "-no-color", "-var", f"size={size}",
            "-var", f"app_settings={nested}", cwd=workdir,
        )  # fmt: skip
        assert applied.code == 0, applied.err
    store = workdir / ".tfshadow"
    everything = "\n".join(store_files(store).values()) + git_history_text(store)
    assert password not in everything and token not in everything
    for args in (("inspect", "2", "--no-color"), ("log", "-p", "--no-color"), ("diff", "1", "2")):
        shown = tfshadow(*args, "--no-pager", cwd=workdir)
        assert shown.code == 0, shown.err
        assert password not in shown.out and token not in shown.out
    creds = tfshadow("inspect", "2", "--json", cwd=workdir).json()
    assert password not in json.dumps(creds) and token not in json.dumps(creds)


def test_the_items_of_a_secret_list_or_map_variable_are_sealed_where_the_state_holds_them(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    # Named like secrets, not declared sensitive, given as a list and a map: the state holds
    # each item on its own, not the whole value that the recorded variables seal.
    (workdir / "keys.tf").write_text(
        'variable "api_tokens" {\n  type = list(string)\n}\n'
        'variable "service_token" {\n  type = map(string)\n}\n'
        'resource "terraform_data" "keys" {\n'
        "  input = { all = var.api_tokens, svc = var.service_token }\n}\n"
    )
    (workdir / "svc.tfvars.json").write_text(
        json.dumps({"service_token": {"primary": f"{SECRET}-from-json"}})
    )
    applied = tfshadow(
        "apply",
        "-auto-approve",
        "-no-color",
        "-var-file=svc.tfvars.json",
        "-var",
        f'api_tokens=["{SECRET}-from-cli"]',
        cwd=workdir,
    )
    assert applied.code == 0, applied.err

    store = workdir / ".tfshadow"
    everything = "\n".join(store_files(store).values()) + git_history_text(store)
    assert f"{SECRET}-from-cli" not in everything
    assert f"{SECRET}-from-json" not in everything
    shown = tfshadow("inspect", "1", "--no-color", cwd=workdir).out
    sealed = [line for line in shown.splitlines() if "(sensitive value)" in line]
    assert any('input["all"][0]' in line for line in sealed)
    assert any('input["svc"]["primary"]' in line for line in sealed)


def test_a_secret_changed_outside_tfshadow_is_sealed_where_the_version_before_sealed_it(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    # A plain `terraform apply` with a new token: the recovered version is recorded without the
    # value, so only the place the old one was sealed at can tell it is a secret.
    (workdir / "deploy.tf").write_text(
        'variable "deploy_token" {\n  type = string\n}\n'
        'resource "terraform_data" "deploy" {\n  input = var.deploy_token\n}\n'
    )
    applied = tfshadow(
        "apply", "-auto-approve", "-no-color", "-var", f"deploy_token={SECRET}-one", cwd=workdir
    )
    assert applied.code == 0, applied.err
    plain_apply(workdir, "-var", f"deploy_token={SECRET}-two")

    log = tfshadow("log", "--json", cwd=workdir)

    assert log.json()["versions"][0]["kind"] == "recovered"
    store = workdir / ".tfshadow"
    everything = "\n".join(store_files(store).values()) + git_history_text(store)
    assert f"{SECRET}-two" not in everything
    inspect = tfshadow("inspect", "2", "--no-color", cwd=workdir)
    assert "input  = (sensitive value)" in inspect.out


def test_a_drift_check_without_the_key_finds_no_drift_and_keeps_the_secret_sealed(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Recorded with TFSHADOW_KEY, checked without it: the encrypted seal cannot be compared
    # with the unmarked value in the state, whose place must still seal it.
    (workdir / "deploy.tf").write_text(
        'variable "deploy_token" {\n  type = string\n}\n'
        'resource "terraform_data" "deploy" {\n  input = var.deploy_token\n}\n'
    )
    monkeypatch.setenv("TFSHADOW_KEY", "a-key-for-this-test")
    applied = tfshadow(
        "apply", "-auto-approve", "-no-color", "-var", f"deploy_token={SECRET}-key", cwd=workdir
    )
    assert applied.code == 0, applied.err
    monkeypatch.delenv("TFSHADOW_KEY")

    log = tfshadow("log", "--json", cwd=workdir)

    assert [v["kind"] for v in log.json()["versions"]] == ["apply"]
    store = workdir / ".tfshadow"
    everything = "\n".join(store_files(store).values()) + git_history_text(store)
    assert f"{SECRET}-key" not in everything


def test_a_default_the_state_holds_sealed_is_sealed_in_the_configuration_too(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    # Neither the variable's name nor its declaration says secret, but the attribute it lands in
    # does: the state holds it sealed, and so must the stored configuration (its default).
    token = f"{SECRET}-default"
    (workdir / "token.tf").write_text(
        f'variable "tok" {{\n  default = "{token}"\n}}\n'
        'resource "terraform_data" "api" {\n  input = { api_token = var.tok }\n}\n'
    )
    applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert applied.code == 0, applied.err
    store = workdir / ".tfshadow"
    everything = "\n".join(store_files(store).values()) + git_history_text(store)
    assert token not in everything
    assert token not in tfshadow("inspect", "1", "--json", cwd=workdir).out


@pytest.mark.parametrize("key", [None, "a-key-for-this-test"])
@pytest.mark.parametrize(
    "command",
    [("destroy", "-auto-approve", "-target=terraform_data.lit"), ("state", "rm")],
)
def test_a_literal_sealed_before_stays_sealed_once_the_state_no_longer_holds_it(
    workdir: Path,
    tfshadow: Tfshadow,
    monkeypatch: pytest.MonkeyPatch,
    command: tuple[str, ...],
    key: str | None,
) -> None:
    # The literal is sealed in the configuration because the state held it sealed; a targeted
    # destroy or a `state rm` takes it out of the state while the files still hold it.
    if key is not None:
        monkeypatch.setenv("TFSHADOW_KEY", key)
    literal = f"{SECRET}-literal"
    (workdir / "lit.tf").write_text(
        f'resource "terraform_data" "lit" {{\n  input = sensitive("{literal}")\n}}\n'
    )
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    args = (*command, "terraform_data.lit") if command[0] == "state" else command
    removed = tfshadow(*args, "-no-color", cwd=workdir)
    assert removed.code == 0, removed.err
    assert "recorded version 2" in removed.err

    store = workdir / ".tfshadow"
    everything = "\n".join(store_files(store).values()) + git_history_text(store)
    assert literal not in everything
    assert literal not in tfshadow("diff", "1", "2", "--json", cwd=workdir).out


def _everything_in_the_store(store: Path) -> bytes:
    """Every byte the store keeps: its files (git's and tfshadow's own included, as they are
    on disk) and the content of every git object, loose or packed, reachable or not."""
    raw = b"".join(p.read_bytes() for p in sorted(store.rglob("*")) if p.is_file())
    objects = subprocess.run(
        ["git", "-C", str(store), "cat-file", "--batch-all-objects", "--batch"],
        check=True,
        capture_output=True,
    ).stdout
    return raw + objects


@pytest.mark.parametrize("key", [None, "a-key-for-this-test"])
def test_a_literal_in_a_tf_json_template_is_sealed_as_in_a_tf_file(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    # In a .tf.json file every string is a template: `sensitive("…")` is written escaped in it.
    if key is not None:
        monkeypatch.setenv("TFSHADOW_KEY", key)
    literal = f"{SECRET}-json-literal"
    template = f'${{sensitive("{literal}")}}'
    config = {"resource": {"terraform_data": {"lit": {"input": template}}}}
    (workdir / "lit.tf.json").write_text(json.dumps(config, indent=2) + "\n")
    applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert applied.code == 0, applied.err
    # The state no longer holds it after `state rm`, while the file still does.
    removed = tfshadow("state", "rm", "-no-color", "terraform_data.lit", cwd=workdir)
    assert removed.code == 0, removed.err
    assert "recorded version 2" in removed.err

    store = workdir / ".tfshadow"
    needle = literal.encode()
    assert needle not in _everything_in_the_store(store)
    subprocess.run(["git", "-C", str(store), "gc", "-q"], check=True)
    assert needle not in _everything_in_the_store(store)
    for args in (("inspect", "1", "--json"), ("diff", "1", "2", "--json")):
        assert literal not in tfshadow(*args, cwd=workdir).out, args
    # The file's other strings stay readable: only the template holding the literal is sealed.
    config_text = "\n".join(store_files(store).values())
    assert '"terraform_data"' in config_text and "lit.tf.json" in config_text


DB_TF = (
    'variable "db_password" {\n  type = string\n}\n'
    'variable "short_token" {\n  type    = string\n  default = "ab12"\n}\n'
    'resource "terraform_data" "app" {\n  input = {\n'
    '    url  = "postgres://admin:${var.db_password}@db:5432/app"\n'
    '    note = "ticket-${var.short_token}"\n  }\n}\n'
)


def _db_with_a_url(workdir: Path, monkeypatch: pytest.MonkeyPatch, key: str | None) -> str:
    """DB_TF in ``workdir``, with TFSHADOW_KEY set to ``key`` (unset for None); the password
    to give it."""
    if key is not None:
        monkeypatch.setenv("TFSHADOW_KEY", key)
    (workdir / "db.tf").write_text(DB_TF)
    return f"{SECRET}-db"


@pytest.mark.parametrize("key", [None, "a-key-for-this-test"])
def test_a_secret_inside_a_connection_url_is_sealed_with_the_url(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    # Named like secrets but not declared sensitive: Terraform keeps the strings built from
    # them unmarked, in plain text, in `input`.
    password = _db_with_a_url(workdir, monkeypatch, key)
    given = ("-var", f"db_password={password}")
    applies = [
        (*given,),
        (*given, "-var", "size=large"),  # the URL stays as it was
        ("-var", f"db_password={password}-rotated", "-var", "size=large"),
    ]
    for args in applies:
        applied = tfshadow("apply", "-auto-approve", "-no-color", *args, cwd=workdir)
        assert applied.code == 0, applied.err
    assert f"admin:{password}-rotated@db" in (workdir / "terraform.tfstate").read_text()

    store = workdir / ".tfshadow"
    needle = password.encode()
    assert needle not in _everything_in_the_store(store)
    subprocess.run(["git", "-C", str(store), "gc", "-q"], check=True)
    assert needle not in _everything_in_the_store(store)
    versions = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert [v["changes"]["addresses"] for v in versions[:2]] == [
        ["terraform_data.app"],
        ["terraform_data.web"],
    ]
    second = tfshadow("inspect", "2", "--no-color", cwd=workdir).out
    assert "terraform_data.app" not in second
    third = tfshadow("inspect", "3", "--no-color", cwd=workdir).out
    assert 'input["url"]  = (sensitive value)' in third
    # A secret shorter than 6 characters is not looked for inside other strings: "ab12" would
    # be found in far too many innocent ones. Its variable is sealed, the note stays readable.
    first = tfshadow("inspect", "1", "--no-color", cwd=workdir).out
    assert "ticket-ab12" in first
    assert password not in first + second + third


@pytest.mark.parametrize("key", [None, "a-key-for-this-test"])
def test_a_url_holding_a_secret_stays_sealed_in_versions_recorded_without_the_value(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    # `state mv` and a change made outside tfshadow are recorded without the password: the
    # version before's seals tell what to look for (the key opens them), or, without the key,
    # the URL's own seal and the place it was sealed at do.
    password = _db_with_a_url(workdir, monkeypatch, key)
    applied = tfshadow(
        "apply", "-auto-approve", "-no-color", "-var", f"db_password={password}", cwd=workdir
    )
    assert applied.code == 0, applied.err
    moved = tfshadow("state", "mv", "terraform_data.app", "terraform_data.moved", cwd=workdir)
    assert moved.code == 0, moved.err
    assert "recorded version 2" in moved.err
    (workdir / "db.tf").write_text(DB_TF.replace('"app"', '"moved"'))
    plain_apply(workdir, "-var", f"db_password={password}-changed")

    versions = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert versions[0]["kind"] == "recovered"
    store = workdir / ".tfshadow"
    assert password.encode() not in _everything_in_the_store(store)
    third = tfshadow("inspect", "3", "--no-color", cwd=workdir).out
    assert 'input["url"]  = (sensitive value)' in third


@pytest.mark.parametrize("key", [None, "a-key-for-this-test"])
def test_a_literal_or_variable_containing_a_secret_is_sealed_whole(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    # The fixture's `api_token` is declared sensitive; its default is spelled out again inside
    # a URL, a heredoc, a variable file and a -var value, none of them named like a secret.
    if key is not None:
        monkeypatch.setenv("TFSHADOW_KEY", key)
    conn = (
        'variable "dsn" {\n  type = string\n}\n'
        'variable "db_url" {\n  type = string\n}\n'
        "locals {\n"
        f'  url  = "postgres://svc:{SECRET}@db:5432/app"\n'
        f"  conf = <<EOT\nuser: svc\nsecret: {SECRET}\nEOT\n"
        "}\n"
        'resource "terraform_data" "conn" {\n'
        "  input = [local.url, local.conf, var.dsn, var.db_url]\n}\n"
    )
    (workdir / "conn.tf").write_text(conn)
    (workdir / "db.tfvars").write_text(f'db_url = "mysql://root:{SECRET}@db/x"\n')
    applied = tfshadow(
        "apply",
        "-auto-approve",
        "-no-color",
        "-var-file=db.tfvars",
        "-var",
        f"dsn=host=db password={SECRET} dbname=app",
        cwd=workdir,
    )
    assert applied.code == 0, applied.err

    store = workdir / ".tfshadow"
    assert SECRET.encode() not in _everything_in_the_store(store)
    for args in (("inspect", "1", "--json"), ("log", "--json")):
        assert SECRET not in tfshadow(*args, cwd=workdir).out, args
    if key is not None:
        # The key opens the sealed literals: a checkout writes the files back as they were.
        (workdir / "conn.tf").write_text("# replaced\n")
        checkout = tfshadow("checkout", "1", "--force", cwd=workdir)
        assert checkout.code == 0, checkout.err
        assert (workdir / "conn.tf").read_text() == conn


@pytest.mark.parametrize("key", [None, "a-key-for-this-test"])
def test_a_secret_written_escaped_or_in_a_template_of_several_lines_is_sealed(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    # jsonencode writes `<`, `>` and `&` as \u escapes, into a state attribute nothing marks;
    # a .tf.json file may write any character so; an interpolation may span lines.
    if key is not None:
        monkeypatch.setenv("TFSHADOW_KEY", key)
    password = "p<ss>&w0rd-42"
    conn = (
        f'variable "db_pass" {{\n  type      = string\n  sensitive = true\n'
        f'  default   = "{password}"\n}}\n'
        'resource "terraform_data" "doc" {\n'
        "  input = nonsensitive(jsonencode({ pw = var.db_pass }))\n}\n"
        f'locals {{\n  hosts = "${{join(",", [\n    "svc:{SECRET}@db",\n    "other",\n  ])}}"\n}}\n'
        'resource "terraform_data" "hosts" {\n  input = local.hosts\n}\n'
    )
    escaped = SECRET.replace("e", "\\u0065")
    extra = f'{{"locals": {{"escaped": "svc:{escaped}@db"}}}}\n'
    (workdir / "conn.tf").write_text(conn)
    (workdir / "extra.tf.json").write_text(extra)
    applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert applied.code == 0, applied.err

    stored = _everything_in_the_store(workdir / ".tfshadow")
    for plain in (SECRET, "w0rd-42", escaped):
        assert plain.encode() not in stored, plain
    assert "w0rd-42" not in tfshadow("inspect", "1", "--json", cwd=workdir).out
    if key is not None:
        # The key opens what was sealed: a checkout writes the files back as they were.
        (workdir / "conn.tf").write_text("# replaced\n")
        (workdir / "extra.tf.json").write_text("{}\n")
        checkout = tfshadow("checkout", "1", "--force", cwd=workdir)
        assert checkout.code == 0, checkout.err
        assert (workdir / "conn.tf").read_text() == conn
        # A JSON string is sealed by its value, and put back as one: the same value.
        assert json.loads((workdir / "extra.tf.json").read_text()) == json.loads(extra)


def test_a_secret_in_a_variable_file_terraform_cannot_read_is_sealed(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    # A variable file no command was given, half written: the apply does not read it, the
    # version records it, with the sensitive `api_token`'s value in a heredoc and unquoted.
    stage = f"notes = <<EOT\nrotated from {SECRET}\nEOT\nold = {SECRET}-2\nsize = [\n"
    (workdir / "stage.tfvars").write_text(stage)
    applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert applied.code == 0, applied.err

    assert SECRET.encode() not in _everything_in_the_store(workdir / ".tfshadow")
    files = tfshadow("inspect", "1", "--json", cwd=workdir).json()["config"]["files"]
    [recorded] = [f for f in files if f["path"] == "stage.tfvars"]
    assert "(sensitive value)" in recorded["diff"] and SECRET not in recorded["diff"]


@pytest.mark.parametrize("key", [None, "a-key-for-this-test"])
def test_a_secret_a_comment_holds_outside_quotes_is_sealed(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    # The sensitive `api_token`'s value noted in comments, unquoted, as people do.
    if key is not None:
        monkeypatch.setenv("TFSHADOW_KEY", key)
    notes = (
        f"# rotated from {SECRET} last week\n"
        f'resource "terraform_data" "noted" {{ // was {SECRET}\n'
        f'  input = "x" /* {SECRET}, {SECRET} */\n}}\n'
    )
    (workdir / "notes.tf").write_text(notes)
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0

    assert SECRET.encode() not in _everything_in_the_store(workdir / ".tfshadow")
    assert tfshadow("log", "--no-color", cwd=workdir).code == 0
    # The file here gives the value back to a checkout; with the key, the seal itself does.
    (workdir / "main.tf").write_text((workdir / "main.tf").read_text() + "\n# later\n")
    if key is not None:
        (workdir / "notes.tf").write_text("# replaced\n")
    checkout = tfshadow("checkout", "1", "--force", cwd=workdir)
    assert checkout.code == 0, checkout.err
    assert (workdir / "notes.tf").read_text() == notes


def test_a_description_reaches_the_terminal_without_control_sequences(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    # A pull request's title or a --message is anyone's text; `log` prints it to a terminal.
    message = "scale \x1b]0;owned\x07web \x1b[2J"
    applied = tfshadow("apply", "-auto-approve", "-no-color", "--message", message, cwd=workdir)
    assert applied.code == 0, applied.err
    log = tfshadow("log", "--no-color", cwd=workdir)
    assert "\x1b" not in log.out and "scale ]0;ownedweb [2J" in log.out
    assert tfshadow("log", "--json", cwd=workdir).json()["versions"][0]["description"] == (
        "scale ]0;ownedweb [2J"
    )


def test_configuration_diffs_show_no_seal_strings(workdir: Path, tfshadow: Tfshadow) -> None:
    # The store holds a secret written in a tfvars file as a seal; a diff of that file says a
    # sensitive value changed, without its fingerprint or ciphertext.
    (workdir / "secrets.auto.tfvars").write_text(f'api_token = "{SECRET}-one"\n')
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    (workdir / "secrets.auto.tfvars").write_text(f'api_token = "{SECRET}-two"\n')
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    text = tfshadow("diff", "1", "2", "--no-color", cwd=workdir).out
    as_json = tfshadow("diff", "1", "2", "--json", cwd=workdir)
    assert "tfshadow:sensitive" not in as_json.out
    [tfvars] = [f for f in as_json.json()["config"]["files"] if f["path"] == "secrets.auto.tfvars"]
    for shown in (text, tfvars["diff"]):
        assert "tfshadow:sensitive" not in shown and SECRET not in shown
        assert '-api_token = "(sensitive value)"' in shown
        assert '+api_token = "(sensitive value)"' in shown


def test_store_files_are_read_only_and_commits_authored(workdir: Path, tfshadow: Tfshadow) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", "--message", "m1", cwd=workdir).code == 0
    store = workdir / ".tfshadow"
    files = [p for p in (store / "workspaces").rglob("*") if p.is_file()]
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o444 for p in files)
    head = subprocess.run(
        ["git", "-C", str(store), "log", "-1", "--format=%an|%ae|%s"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert head == "Test User|test@example.com|m1"


def test_variables_from_cli_env_and_tf_cli_args_are_recorded(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / "extra.tf").write_text('variable "region" {\n  default = "eu"\n}\n')
    monkeypatch.setenv("TF_CLI_ARGS_apply", "-var=size=from-cli-args")
    monkeypatch.setenv("TF_VAR_region", "us")
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    from tfshadow.project import Project

    project = Project(workdir, os.environ)
    store = project.open_store(create=False)
    config = store.reconstruct("default", 1).config
    assert config["variables"] == {"size": "from-cli-args", "region": "us"}


def test_chdir_both_spellings(tmp_path: Path, workdir: Path, tfshadow: Tfshadow) -> None:
    assert (
        tfshadow("--chdir", str(workdir), "apply", "-auto-approve", "-no-color", cwd=tmp_path).code
        == 0
    )
    assert (
        tfshadow(
            f"-chdir={workdir}",
            "apply",
            "-auto-approve",
            "-no-color",
            "-var",
            "size=b",
            cwd=tmp_path,
        ).code
        == 0
    )
    assert (
        len(tfshadow("--chdir", str(workdir), "log", "--json", cwd=tmp_path).json()["versions"])
        == 2
    )
    assert not (tmp_path / ".tfshadow").exists()


def test_one_history_per_workspace(workdir: Path, tfshadow: Tfshadow) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    assert tfshadow("workspace", "new", "-no-color", "staging", cwd=workdir).code == 0
    assert tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=s", cwd=workdir).code == 0
    staging = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    default = tfshadow("log", "--json", "--workspace", "default", cwd=workdir).json()["versions"]
    assert [v["workspace"] for v in staging] == ["staging"]
    assert [v["workspace"] for v in default] == ["default"]
    # In a terminal nothing else in the lines says which history is shown.
    text = tfshadow("log", "--no-color", cwd=workdir).out.splitlines()
    assert text[0] == "Workspace staging (also: default)" and text[1].startswith("1 ")


def test_apply_that_cannot_be_recorded_exits_1_not_bad_input(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    state = workdir / ".tfshadow" / "workspaces" / "default" / "000001" / "state.json"
    before = (workdir / "terraform.tfstate").read_bytes()
    state.chmod(0o644)
    state.write_text(state.read_text().replace("small", "tiny"))
    # A store found tampered with before Terraform runs: nothing is applied.
    refused = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=x", cwd=workdir)
    assert refused.code == 2, refused.err
    assert "tampered" in refused.err
    assert (workdir / "terraform.tfstate").read_bytes() == before

    # Tampered with while Terraform runs: the change is made and cannot be recorded.
    state.write_text(state.read_text().replace("tiny", "small"))
    (workdir / "during.tf").write_text(
        'resource "terraform_data" "tamper" {\n'
        '  provisioner "local-exec" {\n'
        f'    command = "sed -i s/small/tiny/ {state}"\n'
        "  }\n}\n"
    )
    result = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=x", cwd=workdir)
    assert "Apply complete! Resources: 1 added, 1 changed" in result.out
    # Terraform changed the state, so "bad input, nothing written" (2) would be untrue.
    assert result.code == 1
    assert "not recorded" in result.err and "modified" in result.err
    assert "Traceback" not in result.err


def test_apply_whose_state_cannot_be_read_before_or_after_says_it_is_not_recorded(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    # A backend unreachable for `state pull` around an apply that succeeds.
    terraform = tmp_path / "terraform"
    terraform.write_text(
        '#!/bin/sh\nif [ "$1" = state ]; then echo "Error: backend unreachable" >&2; exit 1; fi\n'
    )
    terraform.chmod(0o755)
    monkeypatch.setenv("TF_CLI_ARGS_apply", "-no-color")  # the state is asked of Terraform

    result = tfshadow("--terraform-bin", str(terraform), "apply", "-auto-approve", cwd=workdir)

    assert result.code == 1, result.err
    assert "could not be read afterwards" in result.err
    assert "No state to record" not in result.err


def test_apply_of_a_saved_plan_records_the_plans_variables(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    planned = tfshadow(
        "plan",
        "-no-color",
        "-out=saved.tfplan",
        "-var",
        "size=from-plan",
        "-var",
        f"api_token={SECRET}-plan",
        cwd=workdir,
    )
    assert planned.code == 0, planned.err
    applied = tfshadow("apply", "-no-color", "-lock-timeout", "5s", "saved.tfplan", cwd=workdir)
    assert applied.code == 0, applied.err
    doc = tfshadow("inspect", "1", "--json", cwd=workdir).json()
    variables = {v["name"]: v for v in doc["config"]["variables"]}
    # What a revert to version 1 needs: the values the plan was made with.
    assert variables["size"]["after"] == "from-plan"
    assert variables["api_token"]["sensitive"] is True
    store = workdir / ".tfshadow"
    assert SECRET not in "\n".join(store_files(store).values()) + git_history_text(store)


def test_apply_of_a_saved_destroy_plan_is_recorded_as_a_destroy(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    planned = tfshadow(
        "plan",
        "-destroy",
        "-no-color",
        "-out=gone.tfplan",
        "-target=terraform_data.web",
        cwd=workdir,
    )
    assert planned.code == 0, planned.err
    applied = tfshadow("apply", "-no-color", "gone.tfplan", cwd=workdir)
    assert applied.code == 0, applied.err
    assert "Apply complete! Resources: 0 added, 0 changed, 1 destroyed." in applied.out
    # As `apply -destroy` is: the CI workflow plans to a file and applies that.
    assert "recorded version 2 (destroy, success; +0 ~0 -1)" in applied.err
    versions = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert [v["kind"] for v in versions] == ["destroy", "apply"]


def test_destroy_or_refresh_only_from_tf_cli_args_apply_is_recorded_as_such(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    # Terraform reads TF_CLI_ARGS_apply as if typed after `apply`.
    monkeypatch.setenv("TF_CLI_ARGS_apply", "-destroy -target=terraform_data.auth")
    applied = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert applied.code == 0, applied.err
    assert "recorded version 2 (destroy, success; +0 ~0 -1)" in applied.err
    monkeypatch.setenv("TF_CLI_ARGS_apply", "-destroy=false")
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    versions = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert [v["kind"] for v in versions] == ["apply", "destroy", "apply"]


def test_tf_var_of_a_variable_the_configuration_does_not_declare_is_not_recorded(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CI runners export TF_VAR_* for many configurations; Terraform ignores the undeclared.
    monkeypatch.setenv("TF_VAR_other_stack_pat", "ghp-not-for-this-configuration")
    monkeypatch.setenv("TF_VAR_size", "from-env")
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    doc = tfshadow("inspect", "1", "--json", cwd=workdir).json()
    assert [v["name"] for v in doc["config"]["variables"]] == ["size"]
    store = workdir / ".tfshadow"
    everything = "\n".join(store_files(store).values()) + git_history_text(store)
    assert "ghp-not-for-this-configuration" not in everything


def test_another_tfshadow_key_is_not_taken_for_a_change_outside_tfshadow(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TFSHADOW_KEY", "the key CI records with")
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    # Someone reads the history without the key: the sealed values seal differently, and
    # nothing changed.
    monkeypatch.delenv("TFSHADOW_KEY")
    log = tfshadow("log", "--json", cwd=workdir)
    assert log.code == 0, log.err
    assert [v["kind"] for v in log.json()["versions"]] == ["apply"]
    again = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert again.code == 0, again.err
    assert "nothing recorded" in again.err
    assert len(tfshadow("log", "--json", cwd=workdir).json()["versions"]) == 1


def test_setting_tfshadow_key_later_does_not_show_every_secret_as_changed(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Recorded with fingerprints first; the team then sets a key. The unchanged secrets are
    # encrypted from then on, which is no change of theirs.
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    monkeypatch.setenv("TFSHADOW_KEY", "the key set later")
    applied = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=large", cwd=workdir)
    assert applied.code == 0, applied.err

    log = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert log[0]["changes"]["addresses"] == ["terraform_data.web"]
    for shown in (
        tfshadow("inspect", "2", "--no-color", cwd=workdir).out,
        tfshadow("diff", "1", "2", "--no-color", cwd=workdir).out,
    ):
        assert "terraform_data.web" in shown
        assert "terraform_data.auth" not in shown
        assert "(sensitive value)" not in shown


def test_a_key_that_does_not_open_the_version_before_is_warned_of(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TFSHADOW_KEY", "the team key")
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    monkeypatch.setenv("TFSHADOW_KEY", "the team kye")
    typo = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=large", cwd=workdir)
    monkeypatch.delenv("TFSHADOW_KEY")
    unset = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=huge", cwd=workdir)

    assert typo.code == 0 and unset.code == 0
    assert "TFSHADOW_KEY does not open the secrets of version 1" in typo.err
    assert "TFSHADOW_KEY is not set, but version 2 was recorded with it" in unset.err
    monkeypatch.setenv("TFSHADOW_KEY", "the team kye")
    again = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=tiny", cwd=workdir)
    assert again.code == 0 and "TFSHADOW_KEY" not in again.err  # fingerprints open nothing

    # Reading across the two keys: the fingerprints the seals carry tell that no secret changed.
    across = tfshadow("diff", "1", "2", "--json", cwd=workdir)
    assert across.code == 0, across.err
    changed = [r["address"] for r in across.json()["changes"]["resources"]]
    assert changed == ["terraform_data.web"]
    assert "different keys" not in across.err
    # The typo's fingerprints and encryptions can be compared with the typo set: no warning.
    same_key = tfshadow("inspect", "4", "--no-color", cwd=workdir)
    assert "different keys" not in same_key.err
    assert "terraform_data.auth" not in same_key.out


def test_a_rotated_key_is_warned_of_before_terraform_runs_and_counts_only_real_changes(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TFSHADOW_KEY", "key one")
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    monkeypatch.setenv("TFSHADOW_KEY", "key two")
    # Before Terraform runs: also for an apply that fails and records nothing.
    failed = tfshadow("apply", "-auto-approve", "-no-color", "-var", "nope=1", cwd=workdir)
    assert failed.code == 1
    assert "TFSHADOW_KEY does not open the secrets of version 1" in failed.err
    rotated = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=large", cwd=workdir)
    assert rotated.code == 0, rotated.err
    assert rotated.err.count("TFSHADOW_KEY does not open") == 1
    monkeypatch.setenv("TFSHADOW_KEY", "key three")
    changed = tfshadow(
        "apply", "-auto-approve", "-no-color", "-var", f"api_token={SECRET}-new", cwd=workdir
    )
    assert changed.code == 0, changed.err

    log = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert log[1]["changes"]["addresses"] == ["terraform_data.web"]
    assert log[0]["changes"]["addresses"] == ["terraform_data.auth", "terraform_data.web"]
    # Read with none of the keys: what changed is said, and nothing is left in doubt.
    monkeypatch.delenv("TFSHADOW_KEY")
    for shown in (
        tfshadow("inspect", "2", "--no-color", cwd=workdir),
        tfshadow("diff", "1", "2", "--no-color", cwd=workdir),
    ):
        assert "terraform_data.web" in shown.out and "terraform_data.auth" not in shown.out
        assert "(sensitive value)" not in shown.out and "different keys" not in shown.err
    third = tfshadow("diff", "2", "3", "--no-color", cwd=workdir)
    assert 'input["password"]  = (sensitive value)' in third.out
    assert "different keys" not in third.err
    store = workdir / ".tfshadow"
    everything = "\n".join(store_files(store).values()) + git_history_text(store)
    assert SECRET not in everything


def test_a_history_sealed_before_seals_carried_fingerprints_still_reads_and_reverts(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tfshadow.ops import record
    from tfshadow.project import Project
    from tfshadow.state.redact import Redactor, fingerprint_key_from

    # Version 1 as earlier releases wrote it: plain encryptions, no key id in its meta.
    def old_redactor(self: Project, store: object) -> Redactor:
        key = self.environ["TFSHADOW_KEY"]
        return Redactor(fingerprint_key_from(key), key)

    new_meta = record.version_meta

    def old_meta(*args: Any, **kwargs: Any) -> dict[str, Any]:
        meta = new_meta(*args, **kwargs)
        del meta["key_id"]
        return meta

    monkeypatch.setenv("TFSHADOW_KEY", "key one")
    with monkeypatch.context() as old:
        old.setattr(Project, "redactor", old_redactor)
        old.setattr(record, "version_meta", old_meta)
        assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    assert "key_id" not in tfshadow("log", "--json", cwd=workdir).json()["versions"][0]

    monkeypatch.setenv("TFSHADOW_KEY", "key two")
    rotated = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=large", cwd=workdir)
    assert rotated.code == 0, rotated.err
    assert "TFSHADOW_KEY does not open the secrets of version 1" in rotated.err
    # Its seals carry no fingerprint: without the old key whether they changed stays unknown…
    apart = tfshadow("diff", "1", "2", "--no-color", cwd=workdir)
    assert apart.code == 0, apart.err
    assert "versions 1 and 2 sealed their secrets under different keys" in apart.err
    # …and with it, it is known.
    monkeypatch.setenv("TFSHADOW_KEY", "key one")
    known = tfshadow("diff", "1", "2", "--no-color", cwd=workdir)
    assert "terraform_data.auth" not in known.out and "different keys" not in known.err
    reverted = tfshadow("revert", "1", "--dry-run", "--no-color", cwd=workdir)
    assert reverted.code == 0, reverted.err
    assert "2 resources return exactly to version 1" in reverted.out + reverted.err
    state_only = tfshadow("revert", "1", "--state-only", "--dry-run", "--no-color", cwd=workdir)
    assert state_only.code == 0, state_only.err
    assert "terraform_data.web" in state_only.out + state_only.err
    assert "terraform_data.auth" not in state_only.out + state_only.err
    checkout = tfshadow("checkout", "1", "--no-color", cwd=workdir)
    assert checkout.code == 0, checkout.err
    assert "already are version 1's" in checkout.out + checkout.err


def test_another_copy_of_the_store_keeps_the_seals_of_unchanged_secrets(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TFSHADOW_KEY", "the key")
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    # A CI runner's fresh clone: no fingerprint key, so it makes another one.
    store = workdir / ".tfshadow"
    (store / ".git" / "tfshadow" / "fingerprint.key").unlink()
    applied = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=large", cwd=workdir)
    assert applied.code == 0, applied.err
    assert "TFSHADOW_KEY" not in applied.err
    log = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert log[0]["changes"]["addresses"] == ["terraform_data.web"]
    change = subprocess.run(
        ["git", "-C", str(store), "show", "--format=", "HEAD", "--", "workspaces"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # The secrets' seals are those of version 1: no seal is written again.
    assert "size" in change and "tfshadow:sensitive" not in change


def test_apply_with_a_legacy_state_file_records_that_file(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    # -state / -state-out point the local backend at another file: that is the state changed.
    result = tfshadow("apply", "-auto-approve", "-no-color", "-state=other.tfstate", cwd=workdir)
    assert result.code == 0, result.err
    assert (workdir / "other.tfstate").exists()
    assert not (workdir / "terraform.tfstate").exists()
    assert "recorded version 1" in result.err
    again = tfshadow(
        "apply",
        "-auto-approve",
        "-no-color",
        "-state",
        "other.tfstate",
        "-state-out",
        "next.tfstate",
        "-var",
        "size=large",
        cwd=workdir,
    )
    assert again.code == 0, again.err
    assert "recorded version 2" in again.err
    assert tfshadow("inspect", "2", "--json", cwd=workdir).json()["changes"]


def test_a_legacy_state_file_in_another_workspace_is_refused_before_terraform_runs(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    assert tfshadow("workspace", "new", "-no-color", "staging", cwd=workdir).code == 0

    refused = tfshadow("apply", "-auto-approve", "-no-color", "-state=other.tfstate", cwd=workdir)

    # Terraform would use the file whatever the workspace; recorded as staging's, its state
    # and staging's own would alternate in one history.
    assert refused.code == 2
    assert "cannot record it as workspace staging's; nothing was run" in refused.err
    assert len(refused.err.strip().splitlines()) == 1
    assert not (workdir / "other.tfstate").exists()
    assert tfshadow("log", "--json", "--workspace", "staging", cwd=workdir).code != 0


def test_legacy_state_file_from_tf_cli_args_apply_is_the_one_recorded(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = tfshadow("apply", "-auto-approve", "-no-color", "-state=other.tfstate", cwd=workdir)
    assert first.code == 0, first.err
    # Terraform reads TF_CLI_ARGS_apply as if typed after `apply`: the same file changes.
    monkeypatch.setenv("TF_CLI_ARGS_apply", "-state=other.tfstate")
    result = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=large", cwd=workdir)
    assert result.code == 0, result.err
    assert not (workdir / "terraform.tfstate").exists()
    assert "recorded version 2 (apply, success; +0 ~1 -0)" in result.err
    assert "No state to record" not in result.err


_INTERRUPT_WHILE_RECORDING = """
import os, signal, sys

applied = False

def hook(event, args):
    # Ctrl-C arriving once Terraform has applied, while tfshadow records the change (its first
    # git command after the apply).
    global applied
    if event != "subprocess.Popen":
        return
    argv = [str(a) for a in (args[1] if isinstance(args[1], (list, tuple)) else [args[1]])]
    if "apply" in argv:
        applied = True
    elif applied and os.path.basename(argv[0]) == "git":
        applied = False
        os.kill(os.getpid(), signal.SIGINT)

sys.addaudithook(hook)
from tfshadow.cli import main
sys.argv = ["tfshadow", *sys.argv[1:]]
main()
"""


def _applied_then_interrupted(
    workdir: Path, signame: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """`tfshadow apply -auto-approve ARGS` in a child that gets ``signame`` once Terraform has
    applied, while tfshadow records; checked to have applied and ended as interrupted."""
    import sys

    script = _INTERRUPT_WHILE_RECORDING.replace("signal.SIGINT", f"signal.{signame}")
    proc = subprocess.run(
        [sys.executable, "-c", script, "apply", "-auto-approve", "-no-color", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Apply complete!" in proc.stdout
    assert proc.returncode == 130, (proc.returncode, proc.stderr)
    return proc


@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
def test_apply_interrupted_while_recording_says_the_change_is_not_recorded(
    signame: str, workdir: Path, tfshadow: Tfshadow
) -> None:
    # Ctrl-C, or SIGTERM (how CI cancels a job): never an end in silence after Terraform ran.
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    proc = _applied_then_interrupted(workdir, signame, "-var", f"size={signame.lower()}")
    # Terraform changed the state: the user must learn that the change is not yet recorded.
    assert "not recorded" in proc.stderr and "tfshadow log" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    log = tfshadow("log", "--json", cwd=workdir)
    assert [v["kind"] for v in log.json()["versions"]] == ["recovered", "apply"]


def test_first_apply_interrupted_before_its_store_exists_says_apply_records_it(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    # No store yet, so `log` has no history to catch up: the hint must name what does record.
    proc = _applied_then_interrupted(workdir, "SIGINT")
    assert "not recorded" in proc.stderr and "run `tfshadow apply` again" in proc.stderr
    again = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert again.code == 0, again.err
    log = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert [(v["kind"], v["changes"]["add"]) for v in log] == [("baseline", 2)], log


def test_apply_terminated_while_terraform_runs_still_records(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    import sys

    # SIGTERM during Terraform is passed on to it; what it did is recorded, not abandoned.
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    script = """
import os, signal, sys
def hook(event, args):
    if event == "subprocess.Popen":
        argv = [str(a) for a in (args[1] if isinstance(args[1], (list, tuple)) else [args[1]])]
        if "apply" in argv:
            os.kill(os.getpid(), signal.SIGTERM)
sys.addaudithook(hook)
from tfshadow.cli import main
sys.argv = ["tfshadow", *sys.argv[1:]]
main()
"""
    proc = subprocess.run(
        [sys.executable, "-c", script, "apply", "-auto-approve", "-no-color", "-var", "size=t"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    log = tfshadow("log", "--json", cwd=workdir)
    kinds = [v["kind"] for v in log.json()["versions"]]
    if "Apply complete!" in proc.stdout:
        assert proc.returncode == 0, proc.stderr
        assert "recorded version 2" in proc.stderr and kinds == ["apply", "apply"]
    else:
        # Terraform stopped before changing anything: nothing to record.
        assert kinds == ["apply"], (proc.returncode, proc.stdout, proc.stderr)


def test_targeted_apply_records_its_targets(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A targeted version's configuration was not applied in full: a reader must be able to tell.
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    args = ("apply", "-auto-approve", "-no-color", "-var", "size=x")
    assert tfshadow(*args, "-target=terraform_data.web", cwd=workdir).code == 0
    monkeypatch.setenv("TF_CLI_ARGS_apply", "-target terraform_data.auth")
    assert tfshadow(*args, "-var", "api_token=t2", cwd=workdir).code == 0

    versions = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert [v.get("targets") for v in versions] == [
        ["terraform_data.auth"],
        ["terraform_data.web"],
        None,
    ]
    assert (
        "Targets:   terraform_data.web\n" in tfshadow("inspect", "2", "--no-color", cwd=workdir).out
    )

    # A saved plan keeps its targets: applying it records them too.
    monkeypatch.delenv("TF_CLI_ARGS_apply")
    planned = tfshadow(
        "plan", "-no-color", "-var", "size=y", "-var", "api_token=t3",
        "-target=terraform_data.web", "-out=web.tfplan", cwd=workdir,
    )  # fmt: skip
    assert planned.code == 0, planned.err
    assert tfshadow("apply", "-no-color", "web.tfplan", cwd=workdir).code == 0
    newest = tfshadow("log", "--json", cwd=workdir).json()["versions"][0]
    assert newest["version"] == 4 and newest["targets"] == ["terraform_data.web"]


def test_replacement_is_counted_as_terraform_counts_it_but_not_in_a_state_push(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    backup = workdir / "backup.tfstate"
    backup.write_text(tfshadow("state", "pull", cwd=workdir).out)
    replaced = tfshadow(
        "apply", "-auto-approve", "-no-color", "-replace=terraform_data.web", cwd=workdir
    )
    assert "Resources: 1 added, 0 changed, 1 destroyed." in replaced.out
    # Writing the old state back changes Terraform's record of the object: nothing is replaced.
    assert tfshadow("state", "push", "-force", str(backup), cwd=workdir).code == 0

    pushed, applied, _ = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert applied["changes"] | {"addresses": []} == {
        "add": 1,
        "change": 0,
        "destroy": 1,
        "addresses": [],
    }
    assert applied["description"].startswith("1 to add, 0 to change, 1 to destroy")
    assert (pushed["changes"]["add"], pushed["changes"]["change"]) == (0, 1)
    inspected = tfshadow("inspect", "2", "--no-color", cwd=workdir).out
    assert "# terraform_data.web was replaced" in inspected
    assert '-/+ resource "terraform_data" "web" {' in inspected
