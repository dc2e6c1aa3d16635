"""`tfshadow checkout` and `tfshadow mark`, end to end with real Terraform and git."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tfshadow.errors import UnknownVersionError
from tfshadow.ops.marks import resolve_version
from tfshadow.project import Project

from .conftest import EXTRA, Tfshadow, git_history_text, store_files, versions_with_an_extra_file
from .localcloud_support import REQUIRED_PROVIDERS, workspace

APPLY = ("apply", "-auto-approve", "-no-color")


def test_checkout_writes_a_versions_files_back(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TFSHADOW_KEY", "a key for the test")
    v1, v2 = versions_with_an_extra_file(workdir, tfshadow)

    result = tfshadow("checkout", "1", "--json", cwd=workdir)

    assert result.code == 0, result.err
    assert result.json() == {
        "version": 1,
        "written": ["main.tf"],
        "removed": ["extra.tf"],
        "unchanged": [],
        "needs_secrets": [],
        "backend_changed": False,
        "init_needed": False,
    }
    assert (workdir / "main.tf").read_bytes() == v1  # the sensitive default included
    assert not (workdir / "extra.tf").exists()

    back = tfshadow("checkout", "latest", "--no-color", cwd=workdir)
    assert back.code == 0, back.err
    assert "Checked out the configuration of version 2" in back.out
    assert "wrote" in back.out and "extra.tf" in back.out
    assert (workdir / "main.tf").read_bytes() == v2
    assert (workdir / "extra.tf").read_text() == EXTRA
    again = tfshadow("checkout", "2", "--no-color", cwd=workdir)
    assert again.code == 0 and "already" in again.out


def test_checkout_says_when_init_must_run_before_the_next_apply(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # Version 1 called its module from ./m, version 2 from ./m2: after checkout 1, the next
    # apply stopped on "Module not installed" with nothing said by the checkout.
    work = tmp_path / "infra"
    (work / "m").mkdir(parents=True)
    module = (
        'variable "name" {\n  type = string\n}\n\n'
        'resource "terraform_data" "inner" {\n  input = var.name\n}\n'
    )
    (work / "m" / "main.tf").write_text(module)
    (work / "main.tf").write_text('module "app" {\n  source = "./m"\n  name   = "one"\n}\n')
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, cwd=work).code == 0
    (work / "m").rename(work / "m2")
    (work / "main.tf").write_text('module "app" {\n  source = "./m2"\n  name   = "two"\n}\n')
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, cwd=work).code == 0

    result = tfshadow("checkout", "1", "--no-color", cwd=work)

    assert result.code == 0, result.err
    assert "run `tfshadow init` before the next plan or apply" in result.out
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, cwd=work).code == 0
    # Only a module's arguments differ: nothing to install.
    (work / "main.tf").write_text('module "app" {\n  source = "./m"\n  name   = "three"\n}\n')
    assert tfshadow(*APPLY, cwd=work).code == 0
    assert tfshadow("checkout", "4", "--json", cwd=work).json()["init_needed"] is False
    same = tfshadow("checkout", "1", "--json", cwd=work).json()
    assert same["written"] == ["main.tf"] and same["init_needed"] is False


def test_checkout_says_init_only_when_the_lock_file_selects_providers_not_installed(
    tmp_path: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = workspace(
        tmp_path,
        monkeypatch,
        REQUIRED_PROVIDERS + 'resource "terraform_data" "a" {\n  input = "one"\n}\n',
    )
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    lock = work / ".terraform.lock.hcl"
    installed = lock.read_text()
    # Version 1's lock also holds another platform's hash (`terraform providers lock
    # -platform=…` adds them); version 2's is the one init wrote here.
    lock.write_text(installed.replace("hashes = [\n", 'hashes = [\n    "zh:0123abcd",\n', 1))
    assert "zh:0123abcd" in lock.read_text()
    assert tfshadow(*APPLY, cwd=work).code == 0
    lock.write_text(installed)
    (work / "main.tf").write_text((work / "main.tf").read_text().replace("one", "two"))
    assert tfshadow(*APPLY, cwd=work).code == 0

    back = tfshadow("checkout", "1", "--json", cwd=work).json()

    # The package installed matches a hash version 1's lock records: plan and apply need no init.
    assert back["written"] == [".terraform.lock.hcl", "main.tf"] and back["init_needed"] is False
    assert tfshadow(*APPLY, cwd=work).code == 0


def test_checkout_says_nothing_of_init_when_the_modules_it_calls_are_installed(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # Version 2 calls a second module, which init installed: the modules installed here serve
    # version 1's call as they serve version 2's, whatever the files here call.
    work = tmp_path / "infra"
    (work / "m").mkdir(parents=True)
    (work / "m" / "main.tf").write_text(
        'variable "name" {\n  type = string\n}\n\n'
        'resource "terraform_data" "inner" {\n  input = var.name\n}\n'
    )
    app = 'module "app" {\n  source = "./m"\n  name   = "app"\n}\n'
    (work / "main.tf").write_text(app)
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, cwd=work).code == 0
    (work / "main.tf").write_text(app + 'module "db" {\n  source = "./m/"\n  name   = "db"\n}\n')
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, cwd=work).code == 0

    back = tfshadow("checkout", "1", "--json", cwd=work).json()
    assert back["written"] == ["main.tf"] and back["init_needed"] is False
    forth = tfshadow("checkout", "2", "--no-color", cwd=work)
    assert forth.code == 0, forth.err
    assert "init" not in forth.out
    reverted = tfshadow("revert", "1", "--write-config", "--auto-approve", "--no-color", cwd=work)
    assert reverted.code == 0, reverted.err
    assert "init" not in reverted.err
    # Terraform agrees: it plans version 1's files without an init.
    plan = tfshadow("plan", "-detailed-exitcode", "-no-color", cwd=work)
    assert plan.code == 0, plan.out + plan.err


def test_checkout_refuses_local_edits_unless_forced(workdir: Path, tfshadow: Tfshadow) -> None:
    v1, v2 = versions_with_an_extra_file(workdir, tfshadow)
    edited = v2 + b'\noutput "local" {\n  value = "not applied yet"\n}\n'
    (workdir / "main.tf").write_bytes(edited)

    refused = tfshadow("checkout", "1", cwd=workdir)

    assert refused.code == 2
    assert "main.tf" in refused.err and "--force" in refused.err
    assert "extra.tf" not in refused.err  # extra.tf is what version 2 holds
    assert (workdir / "main.tf").read_bytes() == edited
    assert (workdir / "extra.tf").read_text() == EXTRA

    forced = tfshadow("checkout", "1", "--force", "--no-color", cwd=workdir)
    assert forced.code == 0, forced.err
    # Recorded without TFSHADOW_KEY, the sensitive default is only a fingerprint in the store;
    # the file here holds the same value, so it goes back as it was.
    assert "api_token" not in forced.out
    assert (workdir / "main.tf").read_bytes() == v1
    assert not (workdir / "extra.tf").exists()


def test_checkout_keeps_a_file_that_holds_the_secrets(workdir: Path, tfshadow: Tfshadow) -> None:
    v1, _ = versions_with_an_extra_file(workdir, tfshadow)
    (workdir / "main.tf").write_bytes(v1)  # main.tf back as in version 1, secret and all

    result = tfshadow("checkout", "1", "--json", cwd=workdir)

    assert result.code == 0, result.err
    assert result.json()["unchanged"] == ["main.tf"]
    assert result.json()["removed"] == ["extra.tf"]
    assert result.json()["needs_secrets"] == []
    assert (workdir / "main.tf").read_bytes() == v1


def test_checkout_takes_back_what_a_checkout_wrote_without_its_secrets(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    # Recorded without TFSHADOW_KEY: checkout 1 writes main.tf with the secret left out. That
    # file is version 1 as tfshadow writes it, not a local edit: going back needs no --force.
    versions_with_an_extra_file(workdir, tfshadow)
    (workdir / "main.tf").unlink()  # the secret's value is nowhere here
    assert tfshadow("checkout", "1", cwd=workdir).code == 0
    assert "# api_token: sealed in the shadow store" in (workdir / "main.tf").read_text()

    back = tfshadow("checkout", "2", cwd=workdir)

    assert back.code == 0, back.err
    assert (workdir / "extra.tf").read_text() == EXTRA
    assert "# api_token: sealed in the shadow store" in (workdir / "main.tf").read_text()
    # An edit of that file is still a local edit.
    (workdir / "main.tf").write_text((workdir / "main.tf").read_text() + "# mine\n")
    assert tfshadow("checkout", "1", cwd=workdir).code == 2


def test_mark_and_last_good(workdir: Path, tfshadow: Tfshadow) -> None:
    versions_with_an_extra_file(workdir, tfshadow)
    store = Project(workdir, os.environ).open_store(create=False)
    with pytest.raises(UnknownVersionError) as none_good:
        resolve_version(store, "default", "last-good")
    assert "tfshadow mark N good" in (none_good.value.hint or "")

    marked = tfshadow("mark", "1", "good", "--note", "load test passed", "--no-color", cwd=workdir)
    assert marked.code == 0, marked.err
    assert "Marked version 1 good: load test passed" in marked.out
    assert resolve_version(store, "default", "last-good") == 1
    assert resolve_version(store, "default", "latest") == 2
    # The history reads it too.
    inspected = tfshadow("inspect", "last-good", "--json", cwd=workdir)
    assert inspected.code == 0, inspected.err
    assert inspected.json()["version"]["version"] == 1
    diffed = tfshadow("diff", "last-good", "--json", cwd=workdir)
    assert diffed.code == 0, diffed.err
    assert (diffed.json()["from"]["version"], diffed.json()["to"]["version"]) == (1, 2)
    assert "latest~N or last-good" in tfshadow("inspect", "newest", cwd=workdir).err

    as_json = tfshadow("mark", "latest", "bad", "--json", cwd=workdir)
    assert as_json.code == 0, as_json.err
    entry = as_json.json()
    assert entry["version"] == 2 and entry["mark"] == "bad"
    assert entry["author"]["name"] == "Test User"
    assert store.marks("default")[1]["note"] == "load test passed"

    unknown = tfshadow("mark", "9", "good", cwd=workdir)
    assert unknown.code == 2 and "no version 9" in unknown.err
    not_a_mark = tfshadow("mark", "1", "great", cwd=workdir)
    assert not_a_mark.code == 2
    assert tfshadow("checkout", "7", cwd=workdir).code == 2
    assert [v["version"] for v in tfshadow("log", "--json", cwd=workdir).json()["versions"]] == [
        2,
        1,
    ]

    # The history shows the marks.
    logged = {v["version"]: v for v in tfshadow("log", "--json", cwd=workdir).json()["versions"]}
    assert logged[1]["mark"]["mark"] == "good" and logged[2]["mark"]["mark"] == "bad"
    assert logged[1]["mark"]["note"] == "load test passed"
    text = tfshadow("log", "--no-color", cwd=workdir).out.splitlines()
    assert "[good]" in text[1] and "[bad]" in text[0]
    inspect = tfshadow("inspect", "1", "--no-color", cwd=workdir).out
    assert "Mark:      good (by Test User" in inspect and "load test passed" in inspect
    assert tfshadow("inspect", "1", "--json", cwd=workdir).json()["version"]["mark"]["mark"] == (
        "good"
    )


def test_checkout_restores_a_secret_the_directory_holds_with_the_same_fingerprint(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    # Recorded without TFSHADOW_KEY the store has only the secret's fingerprint; the file here
    # holds the same value, so version 1's file is written whole, secret included.
    tfvars = workdir / "terraform.tfvars"
    tfvars.write_text('api_token = "kept-in-the-file"\nsize      = "small"\n')
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    tfvars.write_text('api_token = "kept-in-the-file"\nsize      = "large"\n')
    assert tfshadow(*APPLY, cwd=workdir).code == 0

    result = tfshadow("checkout", "1", "--json", cwd=workdir)

    assert result.code == 0, result.err
    assert result.json()["needs_secrets"] == []
    assert tfvars.read_text() == 'api_token = "kept-in-the-file"\nsize      = "small"\n'


def test_checkout_keeps_a_commented_out_secret_the_directory_holds(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    # The store masks `# password = "…"` comments; the checkout writes the comment as the file
    # here has it, not the mask.
    tfvars = workdir / "terraform.tfvars"
    comment = '# db_password = "old-comment-s3cr3t"\n'
    tfvars.write_text(f'{comment}size = "small"\n')
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    tfvars.write_text(f'{comment}size = "large"\n')
    assert tfshadow(*APPLY, cwd=workdir).code == 0

    result = tfshadow("checkout", "1", cwd=workdir)

    assert result.code == 0, result.err
    assert tfvars.read_text() == f'{comment}size = "small"\n'


def test_checkout_keeps_a_secret_in_code_commented_out_the_directory_holds(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    # A resource commented out with /* … */ and a comment after code: masked in the store,
    # written back as the file here has them.
    extra = workdir / "extra.tf"
    block = (
        '/*\nresource "terraform_data" "old" {\n  input = { password = "block-s3cr3t" }\n}\n*/\n'
        'locals {\n  n = 1 # token = "trailing-s3cr3t"\n}\n'
    )
    extra.write_text(block)
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    store = workdir / ".tfshadow"
    everything = "\n".join(store_files(store).values()) + git_history_text(store)
    assert "block-s3cr3t" not in everything and "trailing-s3cr3t" not in everything
    extra.write_text(block + "# later\n")
    assert tfshadow(*APPLY, "-var", "size=large", cwd=workdir).code == 0

    result = tfshadow("checkout", "1", cwd=workdir)

    assert result.code == 0, result.err
    assert extra.read_text() == block


def test_checkout_takes_a_literal_only_the_state_told_was_a_secret_from_the_files_here(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # The password is written in an innocently named local: only the state, where it lands in
    # an attribute named like a secret, tells it is one. The store holds its fingerprint; the
    # file here still holds the value, which a checkout takes, and the file is no local edit.
    workdir = tmp_path / "infra"
    workdir.mkdir()
    main = (
        'locals {\n  x = "hunter2-literal"\n}\n'
        'resource "terraform_data" "db" {\n  input = { password = local.x }\n}\n'
        'resource "terraform_data" "web" {\n  input = "one"\n}\n'
    )
    (workdir / "main.tf").write_text(main)
    assert tfshadow("init", "-no-color", cwd=workdir).code == 0
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    (workdir / "main.tf").write_text(main.replace('"one"', '"two"'))
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    assert "hunter2-literal" not in git_history_text(workdir / ".tfshadow")

    back = tfshadow("checkout", "1", "--no-color", cwd=workdir)

    assert back.code == 0, back.err
    assert (workdir / "main.tf").read_text() == main
    forth = tfshadow("checkout", "2", "--no-color", cwd=workdir)
    assert forth.code == 0, forth.err
    assert (workdir / "main.tf").read_text() == main.replace('"one"', '"two"')


@pytest.mark.parametrize("key", [None, "a-key-for-this-test"])
def test_checkout_takes_literals_holding_a_secret_from_the_files_here(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    # The fixture's sensitive `api_token` default is written again inside a URL and a template:
    # the store seals both whole. Without the key only the files here hold their values.
    if key is not None:
        monkeypatch.setenv("TFSHADOW_KEY", key)
    secret = "fixture-token-value"
    conn = (
        'variable "host" {\n  default = "db"\n}\n'
        f'locals {{\n  url = "postgres://svc:{secret}@db/app"\n'
        f'  tpl = "postgres://svc:{secret}@${{var.host}}/app"\n}}\n'
        'resource "terraform_data" "conn" {\n  input = [local.url, local.tpl]\n}\n'
    )
    (workdir / "conn.tf").write_text(conn)
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    main = workdir / "main.tf"
    main.write_text(main.read_text().replace('"small"', '"large"'))
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    store = workdir / ".tfshadow"
    assert secret not in "\n".join(store_files(store).values()) + git_history_text(store)

    checkout = tfshadow("checkout", "1", cwd=workdir)

    assert checkout.code == 0, checkout.err
    assert (workdir / "conn.tf").read_text() == conn
    assert '"small"' in main.read_text()


def test_checkout_over_a_file_with_a_short_secret_written_again_elsewhere(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    # A password too short to look for inside other strings ("admin") is also the value of
    # another literal: recorded, that literal stays as written, and the file here compares
    # equal to the newest version, which holds it.
    main = workdir / "main.tf"
    main.write_text(
        main.read_text()
        + 'variable "db_password" {\n  default = "admin"\n}\n'
        + 'locals {\n  db_user = "admin"\n}\n'
    )
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    first = main.read_text()
    main.write_text(first.replace('"small"', '"large"'))
    assert tfshadow(*APPLY, cwd=workdir).code == 0

    checkout = tfshadow("checkout", "1", cwd=workdir)

    assert checkout.code == 0, checkout.err
    assert main.read_text() == first


def test_secrets_after_comments_and_heredocs_inside_an_interpolation_stay_out_of_the_store(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A `/* } */` comment or a heredoc inside an interpolation of several lines: its brace and
    # quote are text. Read as code, they hid the literal holding the token after them, which
    # was stored as written, and a heredoc's `# password = "…"` line was masked as a comment.
    monkeypatch.setenv("TFSHADOW_KEY", "a-key-for-this-test")
    secret = "fixture-token-value"
    conn = (
        "locals {\n"
        f'  url = "${{join("", [ /* }} */ "svc:{secret}@db",\n  ])}}"\n'
        '  doc = "${join("", [<<EOT\n# password = "kept" }\nEOT\n  ])}"\n'
        "}\n"
        'resource "terraform_data" "conn" {\n  input = [local.url, local.doc]\n}\n'
    )
    (workdir / "conn.tf").write_text(conn)
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    (workdir / "conn.tf").unlink()
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    store = workdir / ".tfshadow"
    assert secret not in "\n".join(store_files(store).values()) + git_history_text(store)

    checkout = tfshadow("checkout", "1", cwd=workdir)

    assert checkout.code == 0, checkout.err
    assert (workdir / "conn.tf").read_text() == conn


def test_checkout_and_recording_seal_the_same_secrets_elsewhere_in_the_files(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    # The items of a secret list in terraform.tfvars are secrets the state may hold one by one:
    # a recording seals them wherever the files write them again, if they are long enough to
    # be looked for (MIN_KNOWN_LENGTH); "short" is not. A checkout compares the files here
    # sealed by that same rule: version 2's extra.tf, written back by hand after version 3
    # removed it, is no local edit, even though neither version 1 nor the newest holds it.
    (workdir / "tokens.tf").write_text(
        'variable "api_tokens" {\n  type    = list(string)\n  default = []\n}\n'
    )
    (workdir / "terraform.tfvars").write_text('api_tokens = ["short", "token-value-one"]\n')
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    extra = (
        'locals {\n  first = "token-value-one"\n  user  = "short"\n}\n'
        'resource "terraform_data" "extra" {\n  input = local.user\n}\n'
    )
    (workdir / "extra.tf").write_text(extra)
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    (workdir / "extra.tf").unlink()
    assert tfshadow(*APPLY, "-var", "size=large", cwd=workdir).code == 0
    store = workdir / ".tfshadow"
    history = "\n".join(store_files(store).values()) + git_history_text(store)
    assert "token-value-one" not in history
    # Too short to be looked for outside its assignment (the files are stored in JSON).
    assert 'user  = \\"short\\"' in history

    (workdir / "extra.tf").write_text(extra)  # version 2's file, from the user's own copy
    checkout = tfshadow("checkout", "1", "--json", cwd=workdir)

    assert checkout.code == 0, checkout.err
    assert checkout.json()["removed"] == ["extra.tf"]
    assert not (workdir / "extra.tf").exists()


def test_a_keyed_checkout_writes_files_back_with_their_escapes(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Strings were sealed by value: `s\u0033cret` came back as `s3cret`, and `\u00e9` as `é`
    # (in a .tf.json file holding other non-ASCII text, and in a .tf file): the same values,
    # not the files as written.
    monkeypatch.setenv("TFSHADOW_KEY", "a-key-for-this-test")
    hcl = (
        'locals {\n  api_key = "s\\u0033cret-hcl-value"\n'
        '  db_password = "caf\\u00e9-hcl-value"\n}\n'
    )
    (workdir / "extra.tf").write_text(hcl)
    extra = (
        '{\n  "locals": {\n    "note": "café",\n'
        '    "url": "postgres://svc:fixture\\u002dtoken-value@db"\n  },\n'
        '  "resource": {"terraform_data": {"json": {"input": {\n'
        '    "password": "s\\u0033cret-json-value",\n'
        '    "token": "caf\\u00e9-token-value",\n'
        '    "api_key": "key\\/value-here",\n'
        '    "list": "${local.url}"\n  }}}}\n}\n'
    )
    (workdir / "extra.tf.json").write_text(extra, encoding="utf-8")
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    (workdir / "extra.tf.json").unlink()
    (workdir / "extra.tf").unlink()
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    store = workdir / ".tfshadow"
    history = "\n".join(store_files(store).values()) + git_history_text(store)
    for secret in ("cret-json-value", "token-value", "value-here", "hcl-value"):
        assert secret not in history

    checkout = tfshadow("checkout", "1", cwd=workdir)

    assert checkout.code == 0, checkout.err
    assert (workdir / "extra.tf.json").read_text(encoding="utf-8") == extra
    assert (workdir / "extra.tf").read_text() == hcl


_ESCAPED_LITERAL = {
    "main.tf.json": (
        '{"locals": {"x": "hunter\\u0032-literal"},\n'
        ' "resource": {"terraform_data": {\n'
        '  "db": {"input": {"password": "${local.x}"}},\n'
        '  "web": {"input": "one"}}}}\n'
    ),
    "main.tf": (
        'locals {\n  x = "hunter\\u0032-literal"\n}\n'
        'resource "terraform_data" "db" {\n  input = { password = local.x }\n}\n'
        'resource "terraform_data" "web" {\n  input = "one"\n}\n'
    ),
}


@pytest.mark.parametrize("name", sorted(_ESCAPED_LITERAL))
def test_checkout_takes_an_escaped_literal_only_the_state_told_was_a_secret(
    tmp_path: Path, tfshadow: Tfshadow, name: str
) -> None:
    # Written with escapes: the store holds the literal sealed as written, and the file here,
    # which holds it so, is no local edit; its value is taken from there.
    workdir = tmp_path / "infra"
    workdir.mkdir()
    main = _ESCAPED_LITERAL[name]
    (workdir / name).write_text(main)
    assert tfshadow("init", "-no-color", cwd=workdir).code == 0
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    (workdir / name).write_text(main.replace('"one"', '"two"'))
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    history = git_history_text(workdir / ".tfshadow")
    assert "hunter2-literal" not in history and "hunter\\\\u0032-literal" not in history

    back = tfshadow("checkout", "1", "--no-color", cwd=workdir)

    assert back.code == 0, back.err
    assert (workdir / name).read_text() == main
    forth = tfshadow("checkout", "2", "--no-color", cwd=workdir)
    assert forth.code == 0, forth.err
    assert (workdir / name).read_text() == main.replace('"one"', '"two"')
