from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tfshadow.errors import UsageError
from tfshadow.settings import hcl
from tfshadow.state import config_files, config_seal, delta
from tfshadow.state.config_files import (
    collect_files,
    config_summary,
    expression_variable_names,
    files_from_document,
    parse_var_files,
    parse_variable_args,
    root_variable_names,
    sensitive_variable_names,
    state_intents,
)
from tfshadow.state.config_seal import (
    config_document,
    masked_comment_lines,
    seal_known_literals,
    seal_secret_strings,
    sealed_configuration,
    secret_variable_items,
)
from tfshadow.state.redact import unescaped

SECRET_NAME = re.compile(r"(?i)password|secret|token|private_key")


def seal(value: Any) -> str:
    digest = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
    return f"tfshadow:sensitive:v1:fp:{digest[:16]}"


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def document(files: dict[str, bytes], variables: dict[str, str] | None = None) -> dict[str, Any]:
    return config_document(
        files, variables or {}, seal, SECRET_NAME, sensitive_variable_names(files)
    )


def text_of(doc: dict[str, Any], path: str) -> str:
    return "".join(doc["files"][path])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "live"
    write(
        root / "main.tf",
        """
module "web" {
  source = "./modules/web"
}
module "shared" {
  source = "../shared"
}
module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.0.0"
}
""",
    )
    write(root / "variables.tf.json", '{"variable": {"size": {"default": "small"}}}')
    write(root / "terraform.tfvars", 'size = "large"\n')
    write(root / "prod.tfvars.json", '{"size": "xl"}\n')
    write(root / ".terraform.lock.hcl", '# lock\nprovider "registry.terraform.io/x/y" {}\n')
    write(root / "README.md", "not configuration\n")
    write(root / "modules/web/main.tf", 'module "db" {\n  source = "../db"\n}\n')
    write(root / "modules/web/terraform.tfvars", 'ignored = "by terraform"\n')
    write(root / "modules/db/main.tf", 'resource "null_resource" "db" {}\n')
    write(root / "modules/db/extra.tf.json", '{"module": {"deep": {"source": "./deep"}}}')
    write(root / "modules/db/deep/main.tf", "# deepest\n")
    write(root / "modules/unused/main.tf", "# never referenced\n")
    write(tmp_path / "shared/main.tf", 'output "x" {\n  value = 1\n}\n')
    write(root / ".terraform/modules/vpc/main.tf", "# downloaded copy\n")
    write(root / ".tfshadow/config/main.tf", "# a stored copy\n")
    return root


def test_collect_files_follows_local_modules_only(project: Path) -> None:
    files = collect_files(project)
    assert list(files) == [
        "../shared/main.tf",
        ".terraform.lock.hcl",
        "main.tf",
        "modules/db/deep/main.tf",
        "modules/db/extra.tf.json",
        "modules/db/main.tf",
        "modules/web/main.tf",
        "prod.tfvars.json",
        "terraform.tfvars",
        "variables.tf.json",
    ]
    assert files["modules/db/deep/main.tf"] == b"# deepest\n"


def test_collect_files_is_deterministic(project: Path) -> None:
    assert list(collect_files(project).items()) == list(collect_files(project).items())


def test_collect_files_never_enters_terraform_or_store_dirs(project: Path) -> None:
    write(
        project / "cached.tf",
        'module "a" {\n  source = "./.terraform/modules/vpc"\n}\n'
        'module "b" {\n  source = "./.tfshadow/config"\n}\n',
    )
    assert not [p for p in collect_files(project) if ".terraform/" in p or ".tfshadow" in p]


def test_collect_files_survives_unparsable_files_and_module_cycles(project: Path) -> None:
    write(project / "broken.tf", 'module "x" {\n  source = "./modules/unused"\n  oops =\n')
    write(project / "broken.tf.json", '{"module": ')
    write(project / "modules/db/cycle.tf", 'module "up" {\n  source = "../web"\n}\n')
    files = collect_files(project)
    assert files["broken.tf"].endswith(b"oops =\n")
    assert "broken.tf.json" in files
    assert "modules/unused/main.tf" not in files


def test_collect_files_includes_var_files_given(project: Path, tmp_path: Path) -> None:
    write(project / "env/prod.vars", 'size = "huge"\n')
    write(tmp_path / "secrets.tfvars", 'db_password = "x"\n')
    files = collect_files(project, var_files=("env/prod.vars", "../secrets.tfvars", "missing"))
    assert files["env/prod.vars"] == b'size = "huge"\n'
    assert "../secrets.tfvars" in files


def test_collect_files_empty_dir_gives_nothing(tmp_path: Path) -> None:
    assert collect_files(tmp_path) == {}


def test_files_from_document_round_trips_without_secrets(project: Path) -> None:
    write(project / "crlf.tf", b'locals {\r\n  a = "b"\r\n}\r\n\r\n')
    write(project / "no-newline.tf", "# last line has no newline")
    write(project / "latin1.tfvars", b'size = "gro\xdf"\n')
    files = collect_files(project)
    doc = document(files, {"size": "large"})
    assert files_from_document(doc) == files
    assert files_from_document(delta.loads(delta.dumps(doc))) == files
    assert doc["files"]["crlf.tf"] == ["locals {\r\n", '  a = "b"\r\n', "}\r\n", "\r\n"]
    assert list(doc["binary_files"]) == ["latin1.tfvars"]
    assert "latin1.tfvars" not in doc["files"]
    assert doc["variables"] == {"size": "large"}
    assert doc["format"] == 1


def test_files_from_document_rejects_unknown_format() -> None:
    with pytest.raises(ValueError, match="format"):
        files_from_document({"format": 99, "files": {}})


def test_config_document_seals_tfvars_secrets_in_place() -> None:
    tfvars = (
        "# credentials\n"
        'db_password = "hunter2" # rotate monthly\n'
        'size        = "large"\n'
        "admin_key   = 1234\n"
        "api = {\n"
        '  token = "tok-abc"\n'
        '  url   = "https://example.com"\n'
        "}\n"
        'users = [{ name = "ann", password = "ann-pw" }]\n'
        "cert_secret = <<EOT\n"
        "-----BEGIN-----\n"
        "EOT\n"
        'tail = "kept"\n'
    )
    files = {
        "variables.tf": b'variable "admin_key" {\n  sensitive = true\n}\n',
        "terraform.tfvars": tfvars.encode(),
    }
    doc = document(files)
    dumped = delta.dumps(doc)
    heredoc = "<<EOT\n-----BEGIN-----\nEOT"
    for plain in (b"hunter2", b"1234", b"tok-abc", b"ann-pw", b"BEGIN"):
        assert plain not in dumped
    assert text_of(doc, "terraform.tfvars") == (
        "# credentials\n"
        f'db_password = "{seal("hunter2")}" # rotate monthly\n'
        'size        = "large"\n'
        f'admin_key   = "{seal(1234)}"\n'
        "api = {\n"
        f'  token = "{seal("tok-abc")}"\n'
        '  url   = "https://example.com"\n'
        "}\n"
        f'users = [{{ name = "ann", password = "{seal("ann-pw")}" }}]\n'
        f'cert_secret = "{seal(heredoc)}"\n'
        'tail = "kept"\n'
    )


def test_config_document_seals_tfvars_json_secrets_keeping_layout() -> None:
    text = (
        "{\n"
        '  "db_password": "hunter2",\n'
        '  "size": "large",\n'
        '  "api": {"token": "tok-abc", "n": 1},\n'
        '  "creds": {"user": "u", "pass": "p"}\n'
        "}\n"
    )
    files = {
        "variables.tf": b'variable "creds" {\n  sensitive = true\n}\n',
        "prod.tfvars.json": text.encode(),
    }
    doc = document(files)
    assert b"hunter2" not in delta.dumps(doc) and b"tok-abc" not in delta.dumps(doc)
    assert text_of(doc, "prod.tfvars.json") == (
        "{\n"
        f'  "db_password": "{seal("hunter2")}",\n'
        '  "size": "large",\n'
        f'  "api": {{"token": "{seal("tok-abc")}", "n": 1}},\n'
        f'  "creds": "{seal({"user": "u", "pass": "p"})}"\n'
        "}\n"
    )


def test_config_document_seals_literal_secrets_in_tf_files() -> None:
    main_tf = (
        'variable "db_password" {\n'
        '  default = "var-default-pw"\n'
        "}\n"
        'variable "region" {\n'
        "  sensitive = true\n"
        '  default   = "eu-secret-region"\n'
        "}\n"
        'variable "size" {\n'
        '  default = "large"\n'
        "}\n"
        'resource "aws_db_instance" "db" {\n'
        '  password       = "hunter2"\n'
        "  other_password = var.db_password\n"
        '  secret_suffix  = "pre-${var.size}"\n'
        "  private_key    = <<-EOT\n"
        "    KEYDATA\n"
        "  EOT\n"
        '  name           = "db"\n'
        "}\n"
    )
    doc = document({"main.tf": main_tf.encode()})
    dumped = delta.dumps(doc)
    for plain in (b"var-default-pw", b"eu-secret-region", b"hunter2", b"pre-", b"KEYDATA"):
        assert plain not in dumped
    text = text_of(doc, "main.tf")
    assert 'default = "large"' in text
    assert "other_password = var.db_password\n" in text
    assert f'  password       = "{seal("hunter2")}"\n' in text
    heredoc = "<<-EOT\n    KEYDATA\n  EOT"
    assert f'  private_key    = "{seal(heredoc)}"\n' in text
    assert '  name           = "db"\n}\n' in text


def test_config_document_seals_secrets_inside_function_arguments() -> None:
    main_tf = (
        'resource "aws_secretsmanager_secret_version" "v" {\n'
        '  payload = jsonencode({ user = "admin", password = "hunter2" })\n'
        '  tags    = merge(var.tags, { api_token = "tok-abc" })\n'
        "}\n"
    )
    doc = document({"main.tf": main_tf.encode()})
    assert text_of(doc, "main.tf") == (
        'resource "aws_secretsmanager_secret_version" "v" {\n'
        f'  payload = jsonencode({{ user = "admin", password = "{seal("hunter2")}" }})\n'
        f'  tags    = merge(var.tags, {{ api_token = "{seal("tok-abc")}" }})\n'
        "}\n"
    )


def test_config_document_leaves_null_and_references_alone() -> None:
    files = {
        "terraform.tfvars": b"db_password = null\n",
        "main.tf": b'variable "db_password" {\n  default = null\n}\n',
    }
    assert files_from_document(document(files)) == files


def test_config_document_seals_tf_json_secrets() -> None:
    text = json.dumps(
        {
            "resource": {"x": {"y": {"password": "hunter2", "token": "${var.t}", "n": "v"}}},
            "variable": {"k": {"sensitive": True, "default": "k-value"}},
        },
        indent=2,
    )
    doc = document({"main.tf.json": text.encode()})
    result = json.loads(text_of(doc, "main.tf.json"))
    assert result["resource"]["x"]["y"] == {
        "password": seal("hunter2"),
        "token": "${var.t}",
        "n": "v",
    }
    assert result["variable"]["k"]["default"] == seal("k-value")
    assert text_of(doc, "main.tf.json").count("\n") == text.count("\n")


def test_config_document_seals_literal_values_of_sensitive_or_secret_named_outputs() -> None:
    # The state seals these outputs' values; the snapshot must not spell them out instead.
    main_tf = (
        'output "api_token" {\n'
        '  value = "out-tok-1"\n'
        "}\n"
        'output "dsn" {\n'
        "  sensitive = true\n"
        '  value     = "postgres://app:out-pw-2@db"\n'
        "}\n"
        'output "db_password" {\n'
        "  value = var.db_password\n"
        "}\n"
        'output "region" {\n'
        '  value = "eu-west-1"\n'
        "}\n"
    )
    main_tf_json = json.dumps(
        {"output": {"conn": {"sensitive": True, "value": "out-pw-3"}, "n": {"value": "plain"}}}
    )
    doc = document({"main.tf": main_tf.encode(), "extra.tf.json": main_tf_json.encode()})
    dumped = delta.dumps(doc)
    for plain in (b"out-tok-1", b"out-pw-2", b"out-pw-3"):
        assert plain not in dumped
    text = text_of(doc, "main.tf")
    assert f'  value = "{seal("out-tok-1")}"\n' in text
    assert "  value = var.db_password\n" in text
    assert '  value = "eu-west-1"\n' in text
    assert json.loads(text_of(doc, "extra.tf.json"))["output"]["n"]["value"] == "plain"


def test_config_document_seals_unparsable_files_line_by_line() -> None:
    files = {
        "broken.tf": b'resource "x" "y" {\n  password = "hunter2"\n  name = "n"\n  oops =\n',
        "broken.tfvars": b'db_password = "pw-1"\napi_token = {\n  a = "pw-2"\n}\nsize = [\n',
        "broken.tfvars.json": b'{\n  "db_password": "pw-3",\n  "size": "x",\n',
    }
    doc = document(files)
    dumped = delta.dumps(doc)
    for plain in (b"hunter2", b"pw-1", b"pw-2", b"pw-3"):
        assert plain not in dumped
    assert f'  password = "{seal("hunter2")}"\n  name = "n"\n' in text_of(doc, "broken.tf")
    assert '  "size": "x",\n' in text_of(doc, "broken.tfvars.json")


def test_config_document_seals_an_unparsable_one_line_json_variable_file() -> None:
    # A variable file no command was given (Terraform never reads it) may be broken, written
    # on one line: a trailing comma, a placeholder.
    files = {
        "stage.tfvars.json": (
            b'{"db_password": "pw-4", "size": "x", "creds": {"private_key": "pw-5"},}\n'
        ),
        "prod.tfvars.json": b'{"size": "y", "api_token": "pw-6", TODO}\n',
    }
    doc = document(files)
    dumped = delta.dumps(doc)
    for plain in (b"pw-4", b"pw-5", b"pw-6"):
        assert plain not in dumped
    assert text_of(doc, "stage.tfvars.json").startswith(
        f'{{"db_password": "{seal("pw-4")}", "size": "x", '
    )


def test_config_document_seals_sensitive_variables() -> None:
    files = {"variables.tf": b'variable "region" {\n  sensitive = true\n}\n'}
    doc = document(files, {"region": "eu-1", "db_password": "hunter2", "size": "large"})
    assert doc["variables"] == {
        "db_password": seal("hunter2"),
        "region": seal("eu-1"),
        "size": "large",
    }


def test_config_document_keeps_lock_file_untouched() -> None:
    lock = b'provider "registry.terraform.io/x/y" {\n  secret_hashes = ["h1:abc"]\n}\n'
    doc = document({".terraform.lock.hcl": lock})
    assert files_from_document(doc) == {".terraform.lock.hcl": lock}


def test_expression_variable_names_are_the_non_primitive_types() -> None:
    # Terraform parses a -var value as HCL for these, and takes it literally for the others.
    files = {
        "main.tf": b'variable "m" {\n  type = map(string)\n}\nvariable "s" {\n  type = string\n}\n'
        b'variable "n" {\n  type = number\n}\nvariable "untyped" {}\n'
        b'variable "a" {\n  type = any\n}\nvariable "l" {\n  type = list\n}\n',
        "vars.tf.json": json.dumps(
            {"variable": {"o": {"type": "object({x = string})"}, "b": {"type": "bool"}}}
        ).encode(),
        "modules/x/main.tf": b'variable "inner" {\n  type = list(string)\n}\n',
    }

    assert expression_variable_names(files) == {"m", "a", "l", "o"}


def test_sensitive_variable_names_reads_root_module_only() -> None:
    files = {
        "variables.tf": (
            b'variable "a" {\n  sensitive = true\n}\n'
            b'variable "b" {\n  sensitive = false\n}\n'
            b'variable "c" {\n  type = string\n}\n'
        ),
        "more.tf.json": b'{"variable": {"d": {"sensitive": true}, "e": {}}}',
        "broken.tf": b'variable "f" {\n  sensitive = true\n}\nresource "x" {\n  oops =\n',
        "modules/web/variables.tf": b'variable "g" {\n  sensitive = true\n}\n',
    }
    assert sensitive_variable_names(files) == frozenset({"a", "d", "f"})


def test_parse_variable_args_precedence(tmp_path: Path) -> None:
    args = ["apply", "-var", "size=small", "-var=size=large", "-var", "tags={a = 1}", "plan.out"]
    environ = {"TF_VAR_size": "env", "TF_VAR_region": "eu-1", "HOME": "/h", "TF_VAR_": "x"}
    assert parse_variable_args(args, environ, tmp_path) == {
        "region": "eu-1",
        "size": "large",
        "tags": "{a = 1}",
    }


def test_parse_variable_args_value_may_contain_equals_and_be_empty(tmp_path: Path) -> None:
    args = ["plan", "--var", "conn=a=b", "-var", "empty="]
    assert parse_variable_args(args, {}, tmp_path) == {"conn": "a=b", "empty": ""}


def test_parse_variable_args_reads_tf_cli_args_before_typed_args(tmp_path: Path) -> None:
    environ = {
        "TF_CLI_ARGS": "-var size=generic -var only=generic",
        "TF_CLI_ARGS_apply": "-var size=specific -var 'spaced=a b'",
        "TF_CLI_ARGS_plan": "-var size=plan",
    }
    assert parse_variable_args(["apply"], environ, tmp_path) == {
        "only": "generic",
        "size": "generic",
        "spaced": "a b",
    }
    typed = ["-chdir=x", "apply", "-var", "size=typed"]
    assert parse_variable_args(typed, environ, tmp_path)["size"] == "typed"


def test_parse_variable_args_malformed_var_does_not_echo_it(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        parse_variable_args(["apply", "-var", "hunter2"], {}, tmp_path)
    assert "hunter2" not in caught.value.one_line()
    with pytest.raises(UsageError, match="-var needs a value"):
        parse_variable_args(["apply", "-var"], {}, tmp_path)


def test_parse_variable_args_stops_at_double_dash(tmp_path: Path) -> None:
    assert parse_variable_args(["apply", "--", "-var", "a=1"], {}, tmp_path) == {}


def test_parse_var_files_relative_to_workdir(tmp_path: Path) -> None:
    args = [
        "apply",
        "-var-file",
        "env/prod.tfvars",
        f"-var-file={tmp_path.parent / 'other.tfvars'}",
        "-var",
        "a=1",
        "-var-file=./x/../y.tfvars.json",
    ]
    assert parse_var_files(args, {"TF_CLI_ARGS_apply": "-var-file=ci.tfvars"}, tmp_path) == (
        "ci.tfvars",
        "env/prod.tfvars",
        "../other.tfvars",
        "y.tfvars.json",
    )


def test_config_summary_lists_declarations_per_module(project: Path) -> None:
    write(
        project / "resources.tf",
        'resource "aws_instance" "web" {}\n'
        'data "aws_ami" "ubuntu" {}\n'
        'provider "aws" {\n  alias = "east"\n}\n'
        'output "ip" {\n  value = 1\n}\n',
    )
    write(project / "broken.tf", "resource {\n")
    summary = config_summary(collect_files(project))
    root = summary["modules"]["."]
    assert root["resources"] == ["aws_instance.web"]
    assert root["data"] == ["aws_ami.ubuntu"]
    assert root["providers"] == ["aws.east"]
    assert root["outputs"] == ["ip"]
    assert root["variables"] == ["size"]
    assert root["module_calls"] == {
        "shared": "../shared",
        "vpc": "terraform-aws-modules/vpc/aws",
        "web": "./modules/web",
    }
    assert summary["modules"]["modules/db"]["resources"] == ["null_resource.db"]
    assert summary["modules"]["modules/db"]["module_calls"] == {"deep": "./deep"}
    assert summary["modules"]["../shared"]["outputs"] == ["x"]
    assert summary["unparsed"] == ["broken.tf"]
    json.dumps(summary)


def test_config_document_is_idempotent_on_sealed_files() -> None:
    files = {
        "variables.tf": b'variable "key" {\n  sensitive = true\n  default = "k"\n}\n',
        "main.tf": b'resource "x" "y" {\n  password = <<EOT\npw\nEOT\n}\n',
        "terraform.tfvars": b'key = "v"\ndb_password = "hunter2"\n',
        "x.tfvars.json": b'{"api_token": "t"}',
    }
    doc = document(files)
    assert document(files_from_document(doc)) == doc


def test_config_document_keeps_flags_and_empty_values_of_secret_names() -> None:
    files = {
        "variables.tf": b'variable "flag" {\n  sensitive = true\n}\n',
        "terraform.tfvars": (
            b'manage_master_user_password = true\ndb_password = ""\nflag = false\n'
        ),
        "main.tf": b'resource "x" "y" {\n  manage_password = true\n}\n',
    }
    doc = document(files)
    assert text_of(doc, "terraform.tfvars") == (
        f'manage_master_user_password = true\ndb_password = ""\nflag = "{seal(False)}"\n'
    )
    assert text_of(doc, "main.tf") == files["main.tf"].decode()


def test_config_document_tf_json_block_labels_are_not_attribute_names() -> None:
    import json as _json

    text = _json.dumps(
        {
            "variable": {"api_token": {"type": "string", "sensitive": True}},
            "resource": {"terraform_data": {"token": {"input": "plain", "password": "hunter2"}}},
        },
        indent=2,
    )
    doc = config_document(
        {"main.tf.json": text.encode()},
        {},
        lambda value: "tfshadow:sensitive:v1:fp:0000",
        SECRET_NAME,
        frozenset({"api_token"}),
    )
    written = "".join(doc["files"]["main.tf.json"])
    assert "hunter2" not in written
    parsed = _json.loads(written)
    assert parsed["variable"]["api_token"] == {"type": "string", "sensitive": True}
    assert parsed["resource"]["terraform_data"]["token"]["input"] == "plain"


def test_calls_modules_sees_quoted_unquoted_and_json_module_blocks() -> None:
    from tfshadow.state.config_files import calls_modules

    assert not calls_modules({"main.tf": b'resource "x" "y" {}\n# module "commented"\n'})
    assert calls_modules({"main.tf": b'module "app" {\n  source = "./app"\n}\n'})
    assert calls_modules({"main.tf": b'module app {\n  source = "./app"\n}\n'})
    assert calls_modules({"main.tf.json": b'{"module": {"app": {"source": "./app"}}}'})


def test_root_variable_names_root_module_only_even_when_unparsable() -> None:
    files = {
        "main.tf": b'variable "size" {\n  default = "s"\n}\n',
        "broken.tf": b'variable "region" {\n  default = \n',
        "vars.tf.json": json.dumps({"variable": {"count_of": {}}}).encode(),
        "modules/web/main.tf": b'variable "inner" {}\n',
        "terraform.tfvars": b'size = "m"\n',
    }
    assert root_variable_names(files) == {"size", "region", "count_of"}


def test_seal_secret_strings_seals_quoted_literals_and_variables_equal_to_a_secret() -> None:
    files = {
        "main.tf": b'variable "tok" {\n  default = "s3cr3t-value"\n}\n'
        b'locals {\n  note = "not s3cr3t-value itself"\n  other = "plain"\n}\n',
    }
    doc = config_document(
        files, {"tok": "s3cr3t-value", "size": "large"}, seal, SECRET_NAME, frozenset()
    )
    sealed = seal_secret_strings(doc, {"s3cr3t-value"}, seal)
    lines = sealed["files"]["main.tf"]
    assert lines[1] == f'  default = "{seal("s3cr3t-value")}"\n'
    # A longer string holding the secret is sealed whole, others stay as written.
    assert lines[4] == f'  note = "{seal("not s3cr3t-value itself")}"\n'
    assert lines[5] == '  other = "plain"\n'
    assert sealed["variables"] == {"tok": seal("s3cr3t-value"), "size": "large"}
    assert seal_secret_strings(doc, set(), seal) == doc


def test_seal_secret_strings_seals_literals_and_variables_containing_a_secret() -> None:
    url = "postgres://admin:hunter2pw@db:5432/app"
    main = (
        f'locals {{\n  url = "{url}"\n  tpl = "postgres://admin:hunter2pw@${{var.host}}/app"\n'
        '  doc = <<EOT\npassword: hunter2pw\nEOT\n  short = "user:abc@db"\n'
        '  call = "${format("%s@db", "admin:hunter2pw")}"\n}\n'
    )
    files = {"main.tf": main.encode(), "db.tfvars": f'db_url = "{url}"\n'.encode()}
    doc = config_document(files, {"dsn": f"{url}?ssl=1"}, seal, SECRET_NAME, frozenset())

    # "abc" is too short to look for inside other strings: it would be found in far too many.
    sealed = seal_secret_strings(doc, {"hunter2pw", "abc"}, seal)

    text = text_of(sealed, "main.tf")
    assert "hunter2pw" not in text and "hunter2pw" not in text_of(sealed, "db.tfvars")
    assert f'url = "{seal(url)}"' in text
    # A template is sealed as its source, so that it is put back as a template.
    assert (
        f'tpl = "{seal(chr(34) + "postgres://admin:hunter2pw@${var.host}/app" + chr(34))}"' in text
    )
    assert '"user:abc@db"' in text
    # A literal inside a template's interpolation: the template is sealed as its source.
    call = '"${format("%s@db", "admin:hunter2pw")}"'
    assert f"call = {json.dumps(seal(call))}" in text
    assert hcl.parse(text) is not None
    assert sealed["variables"] == {"dsn": seal(f"{url}?ssl=1")}


def test_a_heredoc_opening_in_a_comment_or_a_string_is_no_heredoc() -> None:
    # `<<EOT` written in a comment (or a string) opens nothing: taken for a heredoc, it ran to
    # the real heredoc's closing line and sealed the code between as one.
    main = (
        "# the policy below is a heredoc, <<EOT\n"
        'resource "terraform_data" "a" {\n  input = "<<EOT"\n}\n'
        "locals {\n  doc = <<EOT\npassword: hunter2pw\nEOT\n}\n"
        "/* <<EOT\n*/ # hunter2pw\n"
    )
    doc = config_document({"main.tf": main.encode()}, {}, seal, SECRET_NAME, frozenset())

    text = text_of(seal_secret_strings(doc, {"hunter2pw"}, seal), "main.tf")

    assert "hunter2pw" not in text
    heredoc = "<<EOT\npassword: hunter2pw\nEOT"
    assert text == main.replace(heredoc, json.dumps(seal(heredoc))).replace(
        "# hunter2pw", f"# {seal('hunter2pw')}"
    )


def test_seal_secret_strings_seals_a_heredoc_and_a_non_ascii_literal_equal_to_a_secret() -> None:
    main = (
        'locals {\n  material = "s3cr3t-\u00fcml"\n  cert = <<-EOT\n    s3cr3t-pem\n'
        "    line two\n  EOT\n  plain = <<EOT\ns3cr3t-raw\nEOT\n"
        "  other = <<EOT\nnot ${var.x}\nEOT\n}\n"
    )
    files = {"main.tf": main.encode()}
    doc = config_document(files, {}, seal, SECRET_NAME, frozenset())
    secrets = {"s3cr3t-\u00fcml", "s3cr3t-pem\nline two\n", "s3cr3t-raw\n", "not ${var.x}\n"}
    text = text_of(seal_secret_strings(doc, secrets, seal), "main.tf")
    for secret in ("s3cr3t-\u00fcml", "s3cr3t-pem", "s3cr3t-raw"):
        assert secret not in text
    assert text.count("tfshadow:sensitive:v1:fp:") == 3
    assert "  other = <<EOT\nnot ${var.x}\nEOT\n" in text  # a template is not a literal
    assert hcl.parse(text).blocks[0].body.attribute("plain") is not None


def test_seal_secret_strings_seals_a_heredoc_inside_an_expression() -> None:
    # `sensitive(<<-EOT … EOT)`: the heredoc is a function's argument, no entry's value.
    main = (
        'resource "terraform_data" "cert" {\n  input = sensitive(<<-EOT\n    s3cr3t-in-call\n'
        "  EOT\n  )\n}\n"
    )
    doc = config_document({"main.tf": main.encode()}, {}, seal, SECRET_NAME, frozenset())
    text = text_of(seal_secret_strings(doc, {"s3cr3t-in-call\n"}, seal), "main.tf")
    assert "s3cr3t-in-call" not in text
    source = "<<-EOT\n    s3cr3t-in-call\n  EOT"
    assert f'input = sensitive("{seal(source)}"\n  )' in text
    assert hcl.parse(text) is not None


def test_seal_known_literals_seals_what_a_version_before_sealed() -> None:
    main = (
        'resource "terraform_data" "a" {\n  input = sensitive("s3cr3t-gone")\n}\n'
        'resource "terraform_data" "b" {\n  input = sensitive(<<EOT\ns3cr3t-doc\nEOT\n  )\n}\n'
        'locals {\n  other = "not-known"\n}\n'
    )
    doc = config_document({"main.tf": main.encode()}, {}, seal, SECRET_NAME, frozenset())
    known = {seal("s3cr3t-gone"), seal("s3cr3t-doc\n")}
    text = text_of(seal_known_literals(doc, lambda value: seal(value) in known, seal), "main.tf")
    assert "s3cr3t-gone" not in text and "s3cr3t-doc" not in text
    assert 'other = "not-known"' in text


def _nowhere(secret: str, doc: dict[str, Any]) -> bool:
    """Whether ``secret`` is written nowhere in ``doc``, also with JSON's escapes undone."""
    text = delta.dumps(doc).decode()
    return not any(secret in level for level in (text, *unescaped(text)))


def test_seal_secret_strings_finds_a_secret_written_with_json_escapes() -> None:
    # A .tf.json or .tfvars.json file may write any character as \u; a JSON document held in
    # a string (a policy) escapes the secret once more.
    policy = '{"Statement": [{"pw": "s3cr\\u0033t-value"}]}'
    main = json.dumps(
        {"locals": {"same": "SAME", "policy": policy, "other": "kept"}}, indent=2
    ).replace("SAME", "s3cr\\u0033t-value")
    assert "s3cr3t-value" not in main and '\\"s3cr\\\\u0033t-value\\"' in main
    files = {
        "main.tf.json": main.encode(),
        "prod.tfvars.json": b'{"conn": "user:s3cr\\u0033t-value@db", "size": "x"}\n',
    }
    variables = {"doc": '{"pw": "s3cr\\u0033t-value"}', "size": "large"}
    doc = config_document(files, variables, seal, SECRET_NAME, frozenset())

    sealed = seal_secret_strings(doc, {"s3cr3t-value"}, seal)

    assert _nowhere("s3cr3t-value", sealed)
    locals_ = json.loads(text_of(sealed, "main.tf.json"))["locals"]
    # A string written with escapes a checkout would not write is sealed as written, quotes
    # included, so that a checkout writes it back so.
    assert locals_ == {
        "same": seal('"s3cr\\u0033t-value"'),
        "policy": seal(policy),
        "other": "kept",
    }
    assert json.loads(text_of(sealed, "prod.tfvars.json")) == {
        "conn": seal('"user:s3cr\\u0033t-value@db"'),
        "size": "x",
    }
    assert sealed["variables"] == {"doc": seal(variables["doc"]), "size": "large"}


def test_seal_secret_strings_seals_a_template_whose_interpolation_spans_lines() -> None:
    # HCL reads line breaks inside an interpolation: the literal holding the secret may share
    # the opening line, or follow the interpolation on the closing one.
    first = '"${join(",", ["user:s3cr3t-value@db",\n    "other"])}"'
    last = '"${join(",", [\n    # a comment\'s "quote"\n    "x",\n  ])}:s3cr3t-value"'
    main = f'locals {{\n  first = {first}\n  last  = {last}\n  kept  = "plain"\n}}\n'
    assert hcl.parse(main) is not None
    doc = config_document({"main.tf": main.encode()}, {}, seal, SECRET_NAME, frozenset())

    text = text_of(seal_secret_strings(doc, {"s3cr3t-value"}, seal), "main.tf")

    assert "s3cr3t-value" not in text
    # Each template is sealed as its source, on one line, as a template on one line is.
    assert text == (
        f"locals {{\n  first = {json.dumps(seal(first))}\n  last  = {json.dumps(seal(last))}\n"
        '  kept  = "plain"\n}\n'
    )


def test_seal_secret_strings_seals_known_secrets_anywhere_in_an_unparsable_file() -> None:
    # Terraform refuses these files, and they are recorded all the same: a heredoc, an
    # unclosed string or an unquoted value still holds the secret there.
    heredoc = "<<EOT\nline s3cr3t-value\nEOT"
    files = {
        "broken.tf": f"locals {{\n  doc = {heredoc}\n}}\nresource {{{{ oops\n".encode(),
        "notes.tf": b'locals {\n  note = "unclosed s3cr3t-value\n  bare = s3cr3t-value-2\n}\n',
        "broken.tf.json": b'{"locals": {"note": "unclosed s3cr3t-value}\n',
        "fine.tf": b'locals {\n  # about s3cr3t-value\n  kept = "plain"\n}\n',
    }
    doc = config_document(files, {}, seal, SECRET_NAME, frozenset())

    sealed = seal_secret_strings(doc, {"s3cr3t-value"}, seal)

    assert _nowhere("s3cr3t-value", sealed)
    assert text_of(sealed, "broken.tf").startswith(
        f"locals {{\n  doc = {json.dumps(seal(heredoc))}"
    )
    assert f"bare = {seal('s3cr3t-value')}-2\n" in text_of(sealed, "notes.tf")
    assert (
        text_of(sealed, "fine.tf")
        == f'locals {{\n  # about {seal("s3cr3t-value")}\n  kept = "plain"\n}}\n'
    )


def test_a_literal_inside_a_tf_json_template_is_sealed_with_its_string() -> None:
    template = '${sensitive("s3cr3t-in-json")}'
    config = {
        "resource": {"terraform_data": {"a": {"input": template, "note": "s3cr3t-in-json too"}}},
        "locals": {"other": '${upper("not-known")}'},
    }
    files = {"main.tf.json": (json.dumps(config, indent=2) + "\n").encode()}
    doc = config_document(files, {}, seal, SECRET_NAME, frozenset())
    for sealed in (
        seal_secret_strings(doc, {"s3cr3t-in-json"}, seal),
        seal_known_literals(doc, lambda value: value == "s3cr3t-in-json", seal),
    ):
        text = text_of(sealed, "main.tf.json")
        assert '\\"s3cr3t-in-json\\"' not in text
        parsed = json.loads(text)
        assert parsed["resource"]["terraform_data"]["a"]["input"] == seal(template)
        # A string that contains the secret among other text is sealed whole too; others stay
        # as written.
        assert parsed["resource"]["terraform_data"]["a"]["note"] == seal("s3cr3t-in-json too")
        assert parsed["locals"]["other"] == '${upper("not-known")}'


def test_config_document_seals_module_arguments_the_module_declares_sensitive() -> None:
    module = b'variable "dsn" {\n  type      = string\n  sensitive = true\n}\nvariable "name" {}\n'
    files = {
        "main.tf": b'module "db" {\n  source = "./mod"\n  dsn    = "pg://a:s3cr3t-arg@h"\n'
        b'  name   = "app"\n}\nmodule "ref" {\n  source = "./mod"\n  dsn    = var.dsn\n}\n',
        "mod/main.tf": module,
        "extra.tf.json": b'{"module": {"j": {"source": "./mod", "dsn": "json-s3cr3t-arg"}}}\n',
        "../shared/main.tf": module,
        "nested.tf": b'module "up" {\n  source = "../shared"\n  dsn    = "up-s3cr3t-arg"\n}\n',
    }
    doc = document(files)
    assert "s3cr3t-arg" not in json.dumps(doc)
    main = text_of(doc, "main.tf")
    assert f'dsn    = "{seal("pg://a:s3cr3t-arg@h")}"' in main
    assert 'name   = "app"' in main and "dsn    = var.dsn" in main
    assert json.loads(text_of(doc, "extra.tf.json"))["module"]["j"]["dsn"] == seal(
        "json-s3cr3t-arg"
    )


def test_config_document_seals_a_variable_value_holding_a_secret_named_key() -> None:
    files = {"main.tf": b'variable "settings" {\n  type = map(string)\n}\n'}
    variables = {
        "settings": '{user = "u", password = "map-s3cr3t"}',
        "servers": '[{host = "h", "db_password": "list-s3cr3t"}]',
        "plain": '{user = "u", size = 12}',
        "note": "password = not an object",
    }
    doc = config_document(files, variables, seal, SECRET_NAME, frozenset())
    assert doc["variables"] == {
        "settings": seal(variables["settings"]),
        "servers": seal(variables["servers"]),
        "plain": variables["plain"],
        "note": variables["note"],
    }


def test_config_document_seals_backend_and_provider_credentials() -> None:
    """A backend block cannot use variables: its credentials are always literals."""
    from tfshadow.state.redact import SECRET_NAME as REAL_SECRET_NAME

    files = {
        "main.tf": b'terraform {\n  backend "pg" {\n'
        b'    conn_str = "postgres://tf:pg-s3cr3t@db/state"\n  }\n}\n'
        b'provider "kubernetes" {\n  client_key = "-----BEGIN KEY----- k8s-s3cr3t"\n}\n'
    }
    doc = config_document(files, {}, seal, REAL_SECRET_NAME, frozenset())
    assert "s3cr3t" not in json.dumps(doc)


def test_config_document_masks_secrets_in_trailing_and_block_comments() -> None:
    # Code commented out keeps its assignments: after code on a line, and in /* … */.
    main = (
        'locals {\n  a = 1 # password = "s3cr3t-trail"\n  b = 2 // token = "s3cr3t-slashes"\n'
        '  url = "http://h/#password = \\"in-a-string\\""\n}\n'
        '/*\nresource "x" "y" {\n  password = "s3cr3t-block"\n}\n*/\n'
        '/* secret = "s3cr3t-inline" */ locals { c = 3 }\n'
    )
    text = text_of(document({"main.tf": main.encode()}), "main.tf")
    for plain in ("s3cr3t-trail", "s3cr3t-slashes", "s3cr3t-block", "s3cr3t-inline"):
        assert plain not in text
    assert '  a = 1 # password = "(sensitive value)"\n' in text
    assert '  password = "(sensitive value)"\n}\n*/\n' in text
    assert 'url = "http://h/#password = \\"in-a-string\\""' in text  # a string, no comment
    assert masked_comment_lines(main, SECRET_NAME)['  password = "(sensitive value)"\n'] == (
        '  password = "s3cr3t-block"\n'
    )


def test_config_document_masks_secrets_assigned_in_comments() -> None:
    main = (
        'resource "terraform_data" "x" {\n'
        '  # password = "old-s3cr3t-1"\n'
        '  // api_token: "old-s3cr3t-2"\n'
        '  # size = "kept"\n'
        "  input = <<EOT\n"
        '# password = "script-line"\n'
        "EOT\n"
        "}\n"
    )
    files = {"main.tf": main.encode(), "terraform.tfvars": b'# db_password = "old-s3cr3t-3"\n'}
    doc = document(files)
    assert "old-s3cr3t" not in json.dumps(doc)
    text = text_of(doc, "main.tf")
    assert '  # password = "(sensitive value)"\n' in text
    assert '  # size = "kept"\n' in text
    assert '# password = "script-line"\n' in text  # a heredoc's text is a value, not a comment
    assert text_of(document({"main.tf": text.encode()}), "main.tf") == text  # stable


def test_comments_between_the_lines_of_an_interpolation_are_comments() -> None:
    # An interpolation may span lines, and hold comments there: masked and sealed as any.
    main = (
        'locals {\n  hosts = "${join(",", [\n    # password = "old-s3cr3t-4"\n'
        '    "a", // was s3cr3t-value\n  ])}"\n}\n'
    )
    doc = document({"main.tf": main.encode()})
    text = text_of(doc, "main.tf")
    assert '    # password = "(sensitive value)"\n' in text
    sealed = text_of(seal_secret_strings(doc, {"s3cr3t-value"}, seal), "main.tf")
    assert "s3cr3t-value" not in sealed and "old-s3cr3t" not in sealed


def test_sealed_configuration_tells_the_secrets_long_enough_to_look_for() -> None:
    # One rule for every caller: what it sealed, and the items of secret lists and objects,
    # of MIN_KNOWN_LENGTH characters or more. Shorter ones are sealed where assigned only.
    files = {
        "main.tf": b'variable "db" {\n  sensitive = true\n}\nlocals {\n  password = "pw123"\n'
        b'  token    = "long-token-value"\n}\n',
        "terraform.tfvars": b'db = "db-secret-value"\napi_tokens = ["short", "item-token-value"]\n',
        # Sealed as written (its escape), told by its value, as the state holds it.
        "extra.tfvars.json": b'{"token": "json-s\\u0033cret"}\n',
    }

    doc, secrets = sealed_configuration(files, {"password": "var-secret-value"}, seal, SECRET_NAME)

    assert secrets == {
        "json-s3cret",
        "long-token-value",
        "db-secret-value",
        "item-token-value",
        "var-secret-value",
    }
    assert doc == document(files, {"password": "var-secret-value"})
    assert seal("pw123") in text_of(doc, "main.tf")  # sealed where it is assigned
    written = seal(r'"json-s\u0033cret"')
    assert text_of(doc, "extra.tfvars.json") == f'{{"token": "{written}"}}\n'


def test_a_block_comment_inside_an_interpolation_is_a_comment() -> None:
    # Its brace closed the interpolation and its quote ended the string for the scanner: the
    # secret-holding literal after it on the line was read as code and stored as written.
    after = '"${join("", [ /* } */ "svc:s3cr3t-value@db",\n  ])}"'
    masked = '"${join("", [\n    /* password = "old-s3cr3t" */\n    "a",\n  ])}"'
    main = f'locals {{\n  url  = {after}\n  list = {masked}\n  kept = "plain"\n}}\n'
    assert hcl.parse(main) is not None
    doc = document({"main.tf": main.encode()})
    text = text_of(doc, "main.tf")
    assert '/* password = "(sensitive value)" */' in text

    sealed = text_of(seal_secret_strings(doc, {"s3cr3t-value"}, seal), "main.tf")

    assert "s3cr3t-value" not in sealed and "old-s3cr3t" not in sealed
    assert f"  url  = {json.dumps(seal(after))}\n" in sealed  # the template whole, as its source
    assert '  kept = "plain"\n' in sealed


def test_a_heredoc_inside_an_interpolation_is_text() -> None:
    # A heredoc's `#`, quotes and braces are its text: not a comment to mask, nor a string's
    # end, nor the interpolation's.
    heredoc = '"${join("", [<<EOT\n# password = "kept" } s3cr3t-value\nEOT\n, "x"])}"'
    brace = '"${join("", [<<EOT\n} "\nEOT\n])}"'
    main = (
        f"locals {{\n  doc  = {heredoc}\n  more = {brace}\n"
        '  conn = [ "${local.doc}", "svc:s3cr3t-value@db" ]\n}\n'
    )
    assert hcl.parse(main) is not None
    doc = document({"main.tf": main.encode()})
    assert text_of(doc, "main.tf") == main  # nothing in it is a comment

    sealed = text_of(seal_secret_strings(doc, {"s3cr3t-value"}, seal), "main.tf")

    assert "s3cr3t-value" not in sealed
    assert f"  doc  = {json.dumps(seal(heredoc))}\n" in sealed
    assert f"  more = {brace}\n" in sealed
    assert f'"svc:{seal("s3cr3t-value")}@db"' not in sealed  # sealed whole, never in part
    assert json.dumps(seal("svc:s3cr3t-value@db")) in sealed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A block comment inside an interpolation, over lines, with a quote and braces.
        (
            'x = "${f(/* " { */ 1,\n /* } */ 2)}"\ny = "b"\n',
            [("comment", 9, 18), ("comment", 23, 30), ("string", 4, 35), ("string", 40, 43)],
        ),
        # A heredoc inside an interpolation, its text holding `"`, `}` and `#`.
        (
            'x = "${f(<<-EOT\n  } " #\n  EOT\n)}"\ny = "b"\n',
            [("heredoc", 9, 29), ("string", 4, 33), ("string", 38, 41)],
        ),
        # A block comment left open inside an interpolation: no string there (Terraform
        # refuses the file), the rest read line by line.
        ('x = "${f(/* open\n)}"\ny = "b"\n', [("string", 25, 28)]),
        # A heredoc left open inside an interpolation: no string there (Terraform refuses
        # the file), and the quote after it opens none.
        ('x = "${f(<<EOT\n)}"\n', []),
        # `<<` that opens no heredoc inside an interpolation (Terraform has no such operator,
        # the file does not read) ends nothing.
        ('x = "${a << b}"\n', [("string", 4, 15)]),
    ],
)
def test_hcl_spans_inside_interpolations(text: str, expected: list[tuple[str, int, int]]) -> None:
    from tfshadow.state.config_seal import _hcl_spans

    assert list(_hcl_spans(text)) == expected


def test_state_intents_reads_import_targets_and_removed_blocks_that_keep_the_object() -> None:
    files = {
        "main.tf": (
            b'import {\n  to = aws_instance.web["a b"]\n  id = "i-1"\n}\n'
            b"import {\n  for_each = var.ids\n  to = aws_instance.many[each.key]\n"
            b"  id = each.value\n}\n"
            b"removed {\n  from = module.old\n  lifecycle {\n    destroy = false\n  }\n}\n"
            b"removed {\n  from = aws_instance.gone\n}\n"
        ),
        "extra.tf.json": (
            b'{"import": [{"to": "aws_s3_bucket.b", "id": "b"}],'
            b' "removed": {"from": "aws_s3_bucket.k", "lifecycle": {"destroy": false}}}'
        ),
        "modules/m/main.tf": b'import {\n  to = aws_instance.inner\n  id = "x"\n}\n',
    }

    assert state_intents(files) == (
        # With `for_each`, what `each` gives is any key.
        frozenset({'aws_instance.web["a b"]', "aws_instance.many[*]", "aws_s3_bucket.b"}),
        frozenset({"module.old", "aws_s3_bucket.k"}),
    )


def test_expression_variable_names_skip_parsing_files_of_literal_types_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The parser's first use costs a revert 0.2 s: files whose every `type =` is a literal type
    # are answered without it; any other spelling of a type is still parsed and found.
    from tfshadow.state import config_files

    literal = {
        "main.tf": b'variable "s" {\n  type = string # the name\n}\n'
        b'variable "n" {\n  type=number\n}\nvariable "u" {}\n'
        b'resource "terraform_data" "x" {\n  input = "type"\n}\n',
    }
    monkeypatch.setattr(config_files, "parse_hcl_text", _no_parse)
    assert expression_variable_names(literal) == frozenset()
    monkeypatch.undo()
    for spelling in (b"type=list(string)", b"type = map(\n    string\n  )", b"type = any"):
        files = {"main.tf": b'variable "x" {\n  ' + spelling + b"\n}\n"}
        assert expression_variable_names(files) == {"x"}, spelling


def _no_parse(text: str) -> None:
    raise AssertionError("parsed a file of literal types only")


def test_root_variable_names_read_plain_files_without_the_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every recorded command reads them: files with neither heredocs nor block comments are read
    # line by line (the parser's first use costs 0.2 s); the others are parsed, so a
    # declaration quoted in a heredoc or commented out is not taken for one.
    from tfshadow.state import config_files

    plain = {
        "main.tf": b'variable "size" {\n  default = "a"\n}\n  variable region{}\n'
        b'# variable "commented" {}\nlocals {\n  s = "variable \\"quoted\\" {"\n}\n'
        b'resource "terraform_data" "x" {\n  provisioner "local-exec" {\n'
        b'    command = "echo"\n  }\n}\n',
        "vars.tf.json": b'{"variable": {"from_json": {}}}',
        "modules/m/main.tf": b'variable "inner" {}\n',
    }
    monkeypatch.setattr(config_files, "parse_hcl_text", _no_parse)
    assert root_variable_names(plain) == {"size", "region", "from_json"}
    monkeypatch.undo()
    tricky = {
        "main.tf": b'variable "real" {}\nlocals {\n  doc = <<-EOT\n    variable "in_heredoc" {\n'
        b'    EOT\n}\n/*\nvariable "in_comment" {}\n*/\n',
    }
    assert root_variable_names(tricky) == {"real"}


def test_secret_variable_items_parse_only_variable_files_giving_a_secret_a_list_or_object(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every recorded command reads them (the parser's first use costs 0.2 s): a variable file
    # assigning no secret variable a list or object is not parsed; one that does is.

    plain = {
        "terraform.tfvars": b'size = "large"\ndb_password = "plain string, sealed whole"\n'
        b'tags = { owner = "team" }\n',
        "prod.auto.tfvars": b'names = ["a", "b"]\n',
        "modules/m/terraform.tfvars": b'api_tokens = ["not the root\'s"]\n',
    }
    monkeypatch.setattr(config_seal, "parse_hcl_text", _no_parse)
    assert secret_variable_items(plain, {}, SECRET_NAME, frozenset({"creds"})) == frozenset()
    monkeypatch.undo()
    secret = {
        "terraform.tfvars": b'size = "large"\napi_tokens = ["t-1", "t-2"]\n'
        b'creds = {\n  user = "u"\n  key  = "k-3"\n}\n',
    }
    found = secret_variable_items(secret, {}, SECRET_NAME, frozenset({"creds"}))
    assert found == {"t-1", "t-2", "u", "k-3"}


_USES = b"""
variable "region" {}
variable "size" {}
variable "tag" {}
variable "name" {}
variable "other" {}
provider "aws" {
  region = var.region
}
provider "google" {
  project = var.other
}
locals {
  tags = { env = var.tag }
}
data "aws_ami" "base" {
  tags = local.tags
}
resource "aws_instance" "web" {
  for_each = toset(["a b"])
  ami      = data.aws_ami.base.id
  type     = "t3.${var.size}"
  lifecycle {
    ignore_changes = [tags]
  }
}
resource "aws_instance" "lone" {
  ami = "x"
}
resource "google_thing" "g" {
  provider = google.eu
  name     = aws_instance.lone.id
}
module "app" {
  source = "./m"
  name   = var.name
}
"""


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        # Its own expressions, a data source, a local, its provider's configuration.
        (['aws_instance.web["a b"]'], {"size", "tag", "region"}),
        (["aws_instance.lone"], {"region"}),
        # An explicit provider; what it refers to is planned with it.
        (["google_thing.g"], {"other", "region"}),
        (["data.aws_ami.base"], {"tag", "region"}),
        # A module: its call, and any provider configuration it may inherit.
        (["module.app.aws_instance.x"], {"name", "region", "other"}),
        (["aws_instance.gone"], set()),
    ],
)
def test_variables_used_by_follows_what_a_target_plans(
    targets: list[str], expected: set[str]
) -> None:
    files = {"main.tf": _USES, "m/main.tf": b'variable "name" {}\n'}

    assert config_files.variables_used_by(files, targets) == expected


def test_variables_used_by_cannot_tell_from_json_or_a_broken_file() -> None:
    assert config_files.variables_used_by({"main.tf.json": b"{}"}, ["a.b"]) is None
    assert config_files.variables_used_by({"main.tf": b"resource {"}, ["a.b"]) is None
    assert config_files.variables_used_by({"main.tf": _USES}, ["not an address"]) is None


def test_declaring_lines_follow_targets_into_local_modules() -> None:
    files = {
        "main.tf": (
            'variable "size" {\n  default = "small"\n}\n\n'  # lines 0-2
            'resource "aws_instance" "web" {\n  count = 2\n}\n\n'  # lines 4-6
            'data "aws_ami" "base" {\n}\n\n'  # lines 8-9
            'module "db" {\n  source = "./modules/db"\n}\n'  # lines 11-13
        ),
        "modules/db/main.tf": (
            'resource "aws_db_instance" "main" {\n}\n\n'  # lines 0-1
            'module "backup" {\n  source = "../backup"\n}\n'  # lines 3-5
        ),
        "modules/db/vars.tf": 'variable "name" {}\n',
        "modules/backup/main.tf": 'resource "aws_s3_bucket" "b" {\n}\n',
        "terraform.tfvars": 'size = "large"\n',
    }
    lines = config_files.declaring_lines
    assert lines(files, ["aws_instance.web[1]"]) == {"main.tf": [(4, 7)]}
    assert lines(files, ["data.aws_ami.base"]) == {"main.tf": [(8, 10)]}
    # A prefix of a name is not that name.
    assert lines(files, ["aws_instance.we"]) == {}
    assert lines(files, ["module.db[0].aws_db_instance.main"]) == {
        "main.tf": [(11, 14)],
        "modules/db/main.tf": [(0, 2)],
    }
    assert lines(files, ["module.db"]) == {
        "main.tf": [(11, 14)],
        "modules/db/main.tf": [(0, 6)],
        "modules/db/vars.tf": [(0, 1)],
        "modules/backup/main.tf": [(0, 2)],
    }


def test_declaring_lines_take_the_comment_written_directly_above_a_block() -> None:
    text = (
        'variable "size" {}\n'  # line 0
        "# The web tier.\n// Scaled by hand.\n"  # lines 1-2
        'resource "aws_instance" "web" {\n}\n'  # lines 3-4
        "/* The database,\n   backed up nightly. */\n"  # lines 5-6
        'resource "aws_db_instance" "db" {\n}\n'  # lines 7-8
        "# Not about the bucket: a blank line parts it.\n\n"  # lines 9-10
        'resource "aws_s3_bucket" "b" {\n}\n'  # lines 11-12
        "x = 1 /* a comment ending a line of code */\n"  # line 13
        'resource "aws_s3_bucket" "c" {\n}\n'  # lines 14-15
    )
    lines = config_files.declaring_lines
    assert lines({"main.tf": text}, ["aws_instance.web"]) == {"main.tf": [(1, 5)]}
    assert lines({"main.tf": text}, ["aws_db_instance.db"]) == {"main.tf": [(5, 9)]}
    assert lines({"main.tf": text}, ["aws_s3_bucket.b"]) == {"main.tf": [(11, 13)]}
    assert lines({"main.tf": text}, ["aws_s3_bucket.c"]) == {"main.tf": [(14, 16)]}


def test_declarations_of_tf_json_span_each_block_by_its_name() -> None:
    text = json.dumps(
        {
            "variable": {"size": {"default": "small"}},
            "resource": {"terraform_data": {"a": {"input": 1}, "b": [{"input": 2}]}},
            "module": {"db": {"source": "./db"}},
        },
        indent=2,
    )
    found = config_files.declarations("main.tf.json", text)
    assert found is not None
    spans = {(d.type, d.labels): (d.first_line, d.last_line, d.source) for d in found}
    lines = text.splitlines()
    first, last, _ = spans[("resource", ("terraform_data", "a"))]
    assert lines[first - 1].strip() == '"a": {' and lines[last - 1].strip() == "},"
    assert spans[("module", ("db",))][2] == "./db"
    assert ("resource", ("terraform_data", "b")) in spans
    assert config_files.declarations("main.tf.json", "{not json") is None
    assert config_files.declarations("terraform.tfvars", 'a = "b"\n') is None
