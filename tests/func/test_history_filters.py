"""`tfshadow log` narrowed as `git log` is (addresses, author, description, time), and
`inspect`/`diff` narrowed to what `--target` names (resources, and the configuration blocks that
declare them), on versions real applies made."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .conftest import Tfshadow


def _versions(tfshadow: Tfshadow, workdir: Path, *args: str) -> list[int]:
    result = tfshadow("log", "--json", *args, cwd=workdir)
    assert result.code == 0, result.err
    return [v["version"] for v in result.json()["versions"]]


def test_log_lists_the_versions_that_changed_an_address_or_match_a_filter(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    applies = [
        ("--message", "first"),
        ("-var", "size=large", "--message", "Scale web tier"),
        ("-var", "size=large", "-var", "api_token=rotated", "--message", "rotate the token"),
    ]
    for extra in applies:
        assert tfshadow("apply", "-auto-approve", "-no-color", *extra, cwd=workdir).code == 0

    assert _versions(tfshadow, workdir) == [3, 2, 1]
    assert _versions(tfshadow, workdir, "terraform_data.web") == [2, 1]
    assert _versions(tfshadow, workdir, "terraform_data.auth") == [3, 1]
    assert _versions(tfshadow, workdir, "terraform_data.web", "terraform_data.auth") == [3, 2, 1]
    # An address is read as -target reads it: a prefix of another name is not that name.
    assert _versions(tfshadow, workdir, "terraform_data.we") == []
    assert _versions(tfshadow, workdir, "--grep", "scale") == [2]
    assert _versions(tfshadow, workdir, "--grep", "^rotate|^first") == [3, 1]
    assert _versions(tfshadow, workdir, "--author", "test@example") == [3, 2, 1]
    assert _versions(tfshadow, workdir, "--author", "somebody else") == []
    assert _versions(tfshadow, workdir, "--since", "1h", "-n", "2") == [3, 2]
    assert _versions(tfshadow, workdir, "--until", "2001-01-01") == []
    assert _versions(tfshadow, workdir, "--since", "2001-01-01", "--until", "2999-12-31") == [
        3,
        2,
        1,
    ]

    none = tfshadow("log", "--no-color", "--grep", "nothing like this", cwd=workdir)
    assert none.code == 0 and none.out == "No version matches.\n"
    for bad, said in [
        (("--since", "yesterday"), "--since yesterday: neither a time ago nor a date"),
        (("--grep", "(web"), "--grep (web: not a regular expression"),
    ]:
        refused = tfshadow("log", *bad, cwd=workdir)
        assert refused.code == 2 and said in refused.err
        assert len(refused.err.strip().splitlines()) == 1


def test_inspect_and_diff_show_only_the_resources_targeted(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    changed = ("-var", "size=large", "-var", "api_token=rotated-value")
    assert tfshadow("apply", "-auto-approve", "-no-color", *changed, cwd=workdir).code == 0

    whole = tfshadow("diff", "1", "2", "--json", cwd=workdir).json()["changes"]
    assert [r["address"] for r in whole["resources"]] == [
        "terraform_data.auth",
        "terraform_data.web",
    ]
    assert whole["outputs"]

    narrowed = tfshadow("diff", "1", "2", "--json", "--target", "terraform_data.web", cwd=workdir)
    assert narrowed.code == 0, narrowed.err
    changes = narrowed.json()["changes"]
    assert [r["address"] for r in changes["resources"]] == ["terraform_data.web"]
    assert changes["outputs"] == []

    text = tfshadow("inspect", "2", "--no-color", "--target", "terraform_data.auth", cwd=workdir)
    assert text.code == 0, text.err
    assert "# terraform_data.auth was updated in-place" in text.out
    assert "# terraform_data.web" not in text.out
    assert "Changes: 0 added, 1 changed, 0 destroyed." in text.out

    missing = tfshadow("inspect", "2", "--target", "terraform_data.nope", cwd=workdir)
    assert missing.code == 2
    assert "--target terraform_data.nope: no resource at that address in version 1 or 2" in (
        missing.err
    )


_APPLY = ("apply", "-auto-approve", "-no-color")


def _config_files(doc: dict[str, Any]) -> dict[str, str]:
    """The configuration files a ``diff --json`` shows, and their diffs."""
    return {f["path"]: f["diff"] for f in doc["config"]["files"]}


def test_target_narrows_the_configuration_changes_to_the_blocks_that_declare_it(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow(*_APPLY, cwd=workdir).code == 0
    main = workdir / "main.tf"
    text = main.read_text()
    for old, new in [
        ('default = "small"', 'default = "medium"'),
        ("  input = var.size\n", '  input = "${var.size}-v2"\n'),
        ('    user     = "svc"\n', '    user     = "svc"\n    role     = "admin"\n'),
    ]:
        assert old in text
        text = text.replace(old, new)
    main.write_text(text)
    (workdir / "outputs.tf").write_text('output "user" {\n  value = "svc"\n}\n')
    assert tfshadow(*_APPLY, "-var", "size=large", cwd=workdir).code == 0

    whole = tfshadow("diff", "1", "2", "--json", cwd=workdir).json()
    assert sorted(_config_files(whole)) == ["main.tf", "outputs.tf"]
    assert "not_shown" not in whole["config"] and whole["config"]["variables"]

    web = tfshadow("diff", "1", "2", "--json", "--target", "terraform_data.web", cwd=workdir)
    assert web.code == 0, web.err
    doc = web.json()
    (diff,) = _config_files(doc).values()
    head, hunks = diff.split("\n", 2)[:2], diff.split("\n", 2)[2]
    assert head == ["--- a/main.tf", "+++ b/main.tf"]
    changed = [line for line in hunks.splitlines() if line[:1] in "+-"]
    assert changed == ["-  input = var.size", '+  input = "${var.size}-v2"']
    # One hunk, numbered as in the files: the block's change with its three lines of context.
    assert hunks.startswith("@@ -10,7 +10,7 @@\n") and hunks.count("@@ ") == 1
    # The rest of main.tf (a variable's default, the other resource), outputs.tf and the
    # variable given with -var.
    assert doc["config"]["variables"] == [] and doc["config"]["not_shown"] == 3

    text_out = tfshadow(
        "diff", "1", "2", "--no-color", "--target", "terraform_data.auth", cwd=workdir
    )
    assert text_out.code == 0, text_out.err
    assert '+    role     = "admin"' in text_out.out
    assert "var.size" not in text_out.out and "medium" not in text_out.out
    assert "outputs.tf" not in text_out.out
    assert "(3 other configuration changes not shown: --target)" in text_out.out

    inspected = tfshadow(
        "inspect", "2", "--no-color", "--target", "terraform_data.auth", cwd=workdir
    )
    assert inspected.code == 0, inspected.err
    assert "~ main.tf (+1 -0)" in inspected.out
    assert "(3 other configuration changes not shown: --target)" in inspected.out


def test_target_in_a_module_shows_its_call_and_the_module_files(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    work = tmp_path / "infra"
    (work / "m").mkdir(parents=True)
    inner = (
        'variable "name" {\n  type = string\n}\n\n'
        'resource "terraform_data" "inner" {\n  input = %s\n}\n'
    )
    root = (
        'module "app" {\n  source = "./m"\n  name   = "%s"\n}\n\n'
        'resource "terraform_data" "root" {\n  input = "%s"\n}\n'
    )
    (work / "m" / "main.tf").write_text(inner % "var.name")
    (work / "main.tf").write_text(root % ("one", "r1"))
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*_APPLY, cwd=work).code == 0
    (work / "m" / "main.tf").write_text(inner % '"${var.name}-x"')
    (work / "main.tf").write_text(root % ("two", "r2"))
    assert tfshadow(*_APPLY, cwd=work).code == 0

    def narrowed(target: str) -> dict[str, Any]:
        result = tfshadow("diff", "1", "2", "--json", "--target", target, cwd=work)
        assert result.code == 0, result.err
        doc: dict[str, Any] = result.json()
        return doc

    module = narrowed("module.app")
    files = _config_files(module)
    assert sorted(files) == ["m/main.tf", "main.tf"]
    assert '+  name   = "two"' in files["main.tf"] and "r2" not in files["main.tf"]
    assert '+  input = "${var.name}-x"' in files["m/main.tf"]
    assert module["config"]["not_shown"] == 1

    assert sorted(_config_files(narrowed("module.app.terraform_data.inner"))) == [
        "m/main.tf",
        "main.tf",
    ]
    root_only = narrowed("terraform_data.root")
    assert list(_config_files(root_only)) == ["main.tf"]
    assert '+  input = "r2"' in _config_files(root_only)["main.tf"]
    assert "two" not in _config_files(root_only)["main.tf"]
    assert root_only["config"]["not_shown"] == 2


def test_target_reads_tf_json_and_counts_a_removed_block_of_the_older_version(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    work = tmp_path / "infra"
    work.mkdir()

    def write(resources: dict[str, object]) -> None:
        doc = {"resource": {"terraform_data": resources}}
        (work / "main.tf.json").write_text(json.dumps(doc, indent=2) + "\n")

    write({"a": {"input": "a1"}, "b": {"input": "b1"}, "c": {"input": "c1"}})
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*_APPLY, cwd=work).code == 0
    # a changes, b is removed, c is left as it was.
    write({"a": {"input": "a2"}, "c": {"input": "c1"}})
    assert tfshadow(*_APPLY, cwd=work).code == 0

    a = tfshadow("diff", "1", "2", "--json", "--target", "terraform_data.a", cwd=work).json()
    (diff,) = _config_files(a).values()
    assert '+        "input": "a2"' in diff and '"b1"' not in diff
    assert a["config"]["not_shown"] == 1

    b = tfshadow("diff", "1", "2", "--json", "--target", "terraform_data.b", cwd=work).json()
    (diff,) = _config_files(b).values()
    assert '-        "input": "b1"' in diff and "a2" not in diff
    assert b["config"]["not_shown"] == 1

    # c's block did not change: nothing of the configuration is its, the rest is counted.
    c = tfshadow("diff", "1", "2", "--no-color", "--target", "terraform_data.c", cwd=work)
    assert c.code == 0, c.err
    assert "No configuration changes to the targets.\n" in c.out
    assert "(1 other configuration change not shown: --target)" in c.out
    assert "---" not in c.out


def test_log_patch_shows_each_version_listed_as_inspect_does(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    (workdir / "extra.tf").write_text('resource "terraform_data" "extra" {\n  input = 1\n}\n')
    assert (
        tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=large", cwd=workdir).code == 0
    )

    def out(*args: str) -> str:
        result = tfshadow(*args, "--no-color", cwd=workdir)
        assert result.code == 0, result.err
        return result.out

    assert out("log", "-p") == out("inspect", "2") + "\n" + out("inspect", "1")
    assert out("log", "--patch", "-n", "1") == out("inspect", "2")
    # Narrowed to an address: the versions that changed it, each showing only it.
    assert out("log", "-p", "terraform_data.extra") == out(
        "inspect", "2", "--target", "terraform_data.extra"
    )
    assert json.loads(out("log", "-p", "--json")) == {
        "versions": [
            json.loads(out("inspect", "2", "--json")),
            json.loads(out("inspect", "1", "--json")),
        ]
    }
