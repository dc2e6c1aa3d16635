"""Restoring a version's files and building the scratch directory, with real files and Terraform."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tfshadow.errors import SecretError, StoreError
from tfshadow.revert.materialise import (
    Scratch,
    SecretSlot,
    check_secrets,
    drop_sealed,
    materialise,
    restore_files,
    restore_variables,
    scratch_environ,
)
from tfshadow.runner import embedded_engine
from tfshadow.settings import hcl
from tfshadow.state import config_files, config_seal
from tfshadow.state.redact import SECRET_NAME, Redactor, is_sealed

KEY = "correct horse battery staple"
FP_KEY = b"f" * 32


def record(
    files: Mapping[str, bytes], redactor: Redactor, variables: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The config document tfshadow stores for these files, as a recorded apply makes it."""
    sensitive = config_files.sensitive_variable_names(files)
    return config_seal.config_document(
        files, variables or {}, redactor.seal, SECRET_NAME, sensitive
    )


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = Path(os.path.normpath(root / rel))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)


def snapshot(root: Path, skip: tuple[str, ...] = ()) -> dict[str, tuple[Any, ...]]:
    """Every entry under root (symlinks not followed): kind, content or target, mode, mtime."""
    out: dict[str, tuple[Any, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if rel in skip:
                continue
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                out[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                out[rel] = ("dir", stat.S_IMODE(info.st_mode))
            else:
                out[rel] = ("file", path.read_bytes(), stat.S_IMODE(info.st_mode), info.st_mtime_ns)
    return out


def terraform(cwd: Path, *args: str, environ: Mapping[str, str] | None = None) -> str:
    result = embedded_engine().capture(
        [*args, "-no-color"], cwd=cwd, environ=dict(environ or os.environ)
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout.decode()


# --- restoring --------------------------------------------------------------------------------

SECRET_FILES: dict[str, bytes] = {
    "main.tf": b"""variable "db_password" {
  type      = string
  sensitive = true
  default   = "qu\\"ote$${not}\\\\back"
}

variable "region" {
  default = "eu-west-1"
}

resource "terraform_data" "db" {
  input = {
    password = <<-EOT
      multi-line
      secret
    EOT
    token    = "prefix-${var.region}-suffix"
    api_key  = "hunter2"
    user     = "svc"
  }
}
""",
    "terraform.tfvars": 'db_password = "from tfvars \u00e9"\nregion      = "eu-west-2"\n'.encode(),
    "secrets.auto.tfvars.json": b'{\n  "api_token": "json-secret",\n  "size": "m"\n}\n',
    "modules/app/main.tf": b'variable "secret" {\n  default = "module-default"\n}\n',
    "../shared/main.tf": b'resource "terraform_data" "s" {\n  input = { password = "pw" }\n}\n',
}


def test_restore_files_with_the_key_gives_back_the_applied_bytes() -> None:
    redactor = Redactor(b"k" * 32, KEY)
    doc = record(SECRET_FILES, redactor, {"db_password": "cli-secret"})
    stored = json.dumps(doc)
    for secret in ("hunter2", "multi-line", "json-secret", "module-default", '"pw"', "prefix-"):
        assert secret not in stored

    files, slots = restore_files(doc, redactor)

    assert files == SECRET_FILES
    assert slots == []
    assert restore_variables(doc, redactor) == ({"db_password": "cli-secret"}, [])


@pytest.mark.parametrize(
    ("written", "hidden"),
    [
        (r'"s\u0033cret-value"', "cret-value"),  # an escape where none is needed
        (r'"key\/value-x"', "value-x"),  # JSON's escaped slash
        # Non-ASCII escaped in a file that spells out "café" elsewhere, and the other way.
        (r'"caf\u00e9-secret"', "-secret"),
        ('"café-secret"', "-secret"),
        (r'"\"quoted-secret\""', "quoted-secret"),  # a value that reads as a JSON string
        ('"plain-secret"', "plain-secret"),
    ],
)
def test_restore_files_with_the_key_gives_back_json_strings_as_written(
    written: str, hidden: str
) -> None:
    # A JSON string is sealed by value where writing the value back gives the same bytes, as
    # it was written otherwise, so a checkout with the key writes back the file as it was.
    redactor = Redactor(b"k" * 32, KEY)
    body = (
        '{\n  "locals": {"note": "café", "other": "caf\\u00e9"},\n'
        '  "resource": {"terraform_data": {"x": {"input": {"password": WRITTEN}}}}\n}\n'
    ).replace("WRITTEN", written)
    files = {
        "main.tf.json": body.encode(),
        "terraform.tfvars.json": f'{{"api_token": {written}}}\n'.encode(),
    }
    doc = record(files, redactor)
    assert hidden not in json.dumps(doc, ensure_ascii=False)

    assert restore_files(doc, redactor) == (files, [])


@pytest.mark.parametrize(
    ("written", "hidden"),
    [
        (r'"s\u0033cret-value"', "cret-value"),  # an escape where none is needed
        (r'"caf\u00e9-secret"', "-secret"),  # non-ASCII escaped
        (r'"caf\U000000e9-secret"', "-secret"),  # HCL's long escape
        (r'"\"quoted-secret\""', "quoted-secret"),  # a value that reads as a quoted string
        (r'"$${not}-secret"', "-secret"),  # the escape of a template sequence
        ('"café-secret"', "-secret"),
    ],
)
def test_restore_files_with_the_key_gives_back_hcl_strings_as_written(
    written: str, hidden: str
) -> None:
    redactor = Redactor(b"k" * 32, KEY)
    files = {
        "main.tf": (
            'variable "db_password" {\n  sensitive = true\n  default = WRITTEN\n}\n'
            'resource "terraform_data" "x" {\n  input = { api_key = WRITTEN }\n}\n'
        )
        .replace("WRITTEN", written)
        .encode(),
        "terraform.tfvars": f"api_token = {written}\n".encode(),
    }
    doc = record(files, redactor)
    assert hidden not in json.dumps(doc, ensure_ascii=False)

    assert restore_files(doc, redactor) == (files, [])


def test_restore_files_without_a_key_lists_what_stays_sealed() -> None:
    recorded_with = Redactor(FP_KEY)
    doc = record(SECRET_FILES, recorded_with, {"db_password": "cli", "region": "eu"})

    files, slots = restore_files(doc, Redactor(FP_KEY))

    by_place = {(s.path, s.line): (s.name, s.kind, s.needs_key) for s in slots}
    assert by_place == {
        ("main.tf", 4): ("db_password", "default", False),
        ("main.tf", 13): ("password", "value", False),
        ("main.tf", 14): ("token", "value", False),
        ("main.tf", 15): ("api_key", "value", False),
        ("terraform.tfvars", 1): ("db_password", "assignment", False),
        ("secrets.auto.tfvars.json", 2): ("api_token", "assignment", False),
        ("modules/app/main.tf", 2): ("secret", "value", False),
        ("../shared/main.tf", 2): ("password", "value", False),
    }
    assert is_sealed(json.loads(files["secrets.auto.tfvars.json"])["api_token"])
    assert restore_variables(doc, Redactor(FP_KEY)) == ({"region": "eu"}, ["db_password"])


def test_restore_files_encrypted_without_the_key_needs_the_key() -> None:
    doc = record(SECRET_FILES, Redactor(b"k" * 32, KEY), {"db_password": "cli"})
    _, slots = restore_files(doc, Redactor(b"k" * 32))
    assert slots and all(s.needs_key for s in slots)
    values, sealed = restore_variables(doc, Redactor(b"k" * 32))
    assert (values, sealed) == ({}, ["db_password"])
    with pytest.raises(SecretError, match="only TFSHADOW_KEY can open") as caught:
        check_secrets(slots, {"db_password", "api_token"}, version=4)
    assert "main.tf:13 (password)" in caught.value.message
    assert "TFSHADOW_KEY" in (caught.value.hint or "")


def test_restore_files_with_the_wrong_key_names_the_place_not_the_value() -> None:
    doc = record(SECRET_FILES, Redactor(b"k" * 32, KEY))
    with pytest.raises(SecretError) as caught:
        restore_files(doc, Redactor(b"k" * 32, "another key"))
    assert caught.value.message.startswith("../shared/main.tf:2: ")
    assert "TFSHADOW_KEY" in (caught.value.hint or "")


def test_restore_files_refuses_paths_outside_the_tree() -> None:
    doc = {"format": 1, "files": {"modules/../../../etc/x.tf": ["x\n"]}, "variables": {}}
    with pytest.raises(StoreError, match="unsafe path"):
        restore_files(doc, Redactor(FP_KEY))


def test_drop_sealed_comments_out_variable_values() -> None:
    redactor = Redactor(FP_KEY)
    files = {
        "main.tf": b'variable "token" {\n  sensitive = true\n  default   = "t"\n}\n'
        b'variable "api_key" { default = "k" }\n',
        "terraform.tfvars": b'region = "x"\ndb = {\n  password = "p"\n}\ntoken = "t"\n',
        "a.auto.tfvars.json": b'{"token": "t", "db": {"password": "p"}, "size": 1}',
        "b.tfvars.json": b'{\n  "size": 1,\n  "token": "t"\n}\n',
    }
    restored, slots = restore_files(record(files, redactor), redactor)

    dropped = drop_sealed(restored, slots)

    assert dropped["main.tf"].decode() == (
        'variable "token" {\n  sensitive = true\n  # token: sealed in the shadow store; supply '
        'it with -var, -var-file or TF_VAR_token\n}\nvariable "api_key" { /* api_key: sealed in '
        "the shadow store; supply it with -var, -var-file or TF_VAR_api_key */ }\n"
    )
    assert dropped["terraform.tfvars"].decode().splitlines() == [
        'region = "x"',
        "# db: sealed in the shadow store; supply it with -var, -var-file or TF_VAR_db",
        "# token: sealed in the shadow store; supply it with -var, -var-file or TF_VAR_token",
    ]
    assert json.loads(dropped["a.auto.tfvars.json"]) == {"size": 1}
    assert dropped["b.tfvars.json"] == b'{\n  "size": 1\n}\n'
    for path in ("main.tf", "terraform.tfvars"):
        hcl.parse(dropped[path].decode())  # still valid HCL
    assert {s.name for s in slots} == {"token", "api_key", "db"}


def test_check_secrets_names_every_missing_variable() -> None:
    slots = [
        SecretSlot("terraform.tfvars", 1, "db_password", "assignment"),
        SecretSlot("main.tf", 3, "api_token", "default"),
        SecretSlot("variables", None, "admin_token", "variable"),
    ]
    check_secrets(slots, {"db_password", "api_token", "admin_token"}, version=3)
    check_secrets(slots, None, version=3)
    with pytest.raises(SecretError) as caught:
        check_secrets(slots, {"api_token"}, version=3)
    assert caught.value.message == (
        "version 3 needs the sensitive variable(s) admin_token, db_password (the store holds "
        "fingerprints of their values, and none here matches)"
    )
    assert caught.value.hint == "supply them with -var, -var-file or TF_VAR_<name>"


def test_check_secrets_says_why_each_value_is_not_in_the_store() -> None:
    slots = [
        SecretSlot("terraform.tfvars", 1, "db_password", "assignment", needs_key=True),
        SecretSlot("main.tf", 3, "api_token", "default"),
    ]
    with pytest.raises(SecretError) as caught:
        check_secrets(slots[:1], set(), version=2)
    assert caught.value.message == (
        "version 2 needs the sensitive variable(s) db_password (the store holds their values "
        "encrypted, and TFSHADOW_KEY is not set)"
    )
    assert "set TFSHADOW_KEY" in (caught.value.hint or "")
    with pytest.raises(SecretError) as caught:
        check_secrets(slots, set(), version=2)
    assert (
        "fingerprints of their values, and none here matches; the store holds their values "
        "encrypted, and TFSHADOW_KEY is not set)"
    ) in caught.value.message


# --- the scratch directory --------------------------------------------------------------------

VERSION = {
    "main.tf": 'module "shared" {\n  source = "../shared"\n}\n\nmodule "app" {\n'
    '  source = "./modules/app"\n}\n\nresource "terraform_data" "web" {\n'
    '  input = templatefile("${path.module}/templates/web.tpl", { size = var.size })\n}\n\n'
    'variable "size" {\n  default = "small"\n}\n',
    "variables.auto.tfvars": 'size = "medium"\n',
    "modules/app/main.tf": 'resource "terraform_data" "app" {\n  input = "app-v1"\n}\n',
    "../shared/main.tf": 'resource "terraform_data" "shared" {\n  input = "shared-v1"\n}\n',
}

CURRENT = {
    "main.tf": 'module "app" {\n  source = "./modules/app"\n}\n\nmodule "next" {\n'
    '  source = "../next"\n}\n\nresource "terraform_data" "web" {\n'
    '  input = templatefile("${path.module}/templates/web.tpl", { size = "large" })\n}\n',
    "extra.tf": 'resource "terraform_data" "extra" {\n  input = "added later"\n}\n',
    "later.auto.tfvars": 'other = "x"\n',
    "modules/app/main.tf": 'resource "terraform_data" "app" {\n  input = "app-v2"\n}\n',
    "modules/app/new.tf": 'resource "terraform_data" "app_new" {}\n',
    "../next/main.tf": 'resource "terraform_data" "next" {}\n',
    # Not configuration: found through symlinks.
    "templates/web.tpl": "web ${size}\n",
    "modules/app/files/app.conf": "conf\n",
    "../shared/README.md": "shared modules\n",
    "../shared/main.tf": 'resource "terraform_data" "shared" {\n  input = "shared-v2"\n}\n',
    "notes.txt": "notes\n",
    ".tfshadow/tfshadow-store.json": "{}\n",
    ".terraform/modules/modules.json": '{"Modules": []}\n',
    ".terraform/terraform.tfstate": '{"backend": {}}\n',
    ".terraform/providers/registry.terraform.io/hashicorp/null/3.2.0/linux_amd64/"
    "terraform-provider-null": "binary",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    workdir = tmp_path / "repo" / "infra"
    write_tree(workdir, CURRENT)
    (workdir / "state").mkdir()
    (workdir / "state" / "prod.tfstate").write_text("{}")
    return workdir


def version_doc(files: Mapping[str, str], redactor: Redactor | None = None) -> dict[str, Any]:
    return record({k: v.encode() for k, v in files.items()}, redactor or Redactor(FP_KEY))


def test_materialise_mirrors_the_working_directory(repo: Path) -> None:
    before = snapshot(repo.parent)
    doc = version_doc(VERSION)

    with materialise(
        doc, repo, repo / ".terraform", Redactor(FP_KEY), provided_variables=()
    ) as scratch:
        root = scratch.root
        assert root.name == "infra" and root.parent.name == "repo"
        for rel, content in VERSION.items():
            path = Path(os.path.normpath(root / rel))
            assert path.read_text() == content
            assert not path.is_symlink()
        # The current configuration files the version lacks are not there to be applied.
        for rel in ("extra.tf", "later.auto.tfvars", "modules/app/new.tf", "../next/main.tf"):
            assert not os.path.lexists(root / rel), rel
        # Everything else is the user's, through symlinks.
        for rel in ("templates", "notes.txt", "state", "modules/app/files", "../shared/README.md"):
            link = Path(os.path.normpath(root / rel))
            assert link.is_symlink() and os.readlink(link) == str(
                Path(os.path.normpath(repo / rel))
            ), rel
        for name in ("terraform.tfstate", "terraform.tfstate.backup"):
            assert os.readlink(root / name) == str(repo / name)  # dangling until written
        assert not os.path.lexists(root / ".tfshadow")
        # The data dir is a copy: provider binaries hard-linked, Terraform's own files copied.
        assert scratch.data_dir == root / ".terraform"
        provider = (
            ".terraform/providers/registry.terraform.io/hashicorp/null/3.2.0/linux_amd64/"
            "terraform-provider-null"
        )
        assert (root / provider).stat().st_ino == (repo / provider).stat().st_ino
        for rel in (".terraform/modules/modules.json", ".terraform/terraform.tfstate"):
            assert (root / rel).read_bytes() == (repo / rel).read_bytes()
            assert (root / rel).stat().st_ino != (repo / rel).stat().st_ino
        assert not list((root / ".terraform").glob(".tfshadow-scratch-*"))
        assert scratch.environ({"TF_DATA_DIR": "/elsewhere", "A": "b"}) == {
            "TF_DATA_DIR": str(scratch.data_dir),
            "TFSHADOW_ROOT_MODULE_DIR": str(repo),
            "TF_IN_AUTOMATION": "1",  # no advice to apply the scratch's plan file
            "A": "b",
        }
        assert scratch.environ({"A": "b"}) == {
            "A": "b",
            "TFSHADOW_ROOT_MODULE_DIR": str(repo),
            "TF_IN_AUTOMATION": "1",
        }
        # Known before the scratch exists, except where it must name the scratch's copy.
        assert scratch_environ({"A": "b"}, repo) == scratch.environ({"A": "b"})
        assert scratch_environ({"TF_DATA_DIR": "/elsewhere"}, repo) is None
        base = scratch.base

    assert not base.exists()
    assert snapshot(repo.parent) == before


def test_materialise_outside_data_dir_lands_in_the_copy(repo: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "tfdata"
    write_tree(data_dir, {"modules/modules.json": "{}", "environment": "prod"})
    before = snapshot(tmp_path)
    with materialise(
        version_doc(VERSION), repo, data_dir, Redactor(FP_KEY), provided_variables=()
    ) as scratch:
        assert scratch.data_dir != data_dir
        assert (scratch.data_dir / "environment").read_text() == "prod"
        assert scratch.base in scratch.data_dir.parents
        assert scratch.base.parent == data_dir
        assert not (scratch.root / ".terraform").exists()
    assert snapshot(tmp_path) == before


def test_materialise_missing_sensitive_variables_writes_nothing(repo: Path) -> None:
    files = {
        **VERSION,
        "main.tf": VERSION["main.tf"]
        + 'variable "db_password" {\n  type      = string\n  sensitive = true\n}\n'
        + 'variable "api_token" {\n  sensitive = true\n  default   = "token-default"\n}\n',
        "terraform.tfvars": 'db_password = "tfvars-secret"\n',
    }
    redactor = Redactor(FP_KEY)
    doc = record(
        {k: v.encode() for k, v in files.items()}, redactor, {"admin_password": "cli-secret"}
    )
    before = snapshot(repo.parent)

    with pytest.raises(SecretError) as caught:
        materialise(
            doc, repo, repo / ".terraform", redactor, provided_variables={"size"}, version=3
        )

    assert caught.value.message == (
        "version 3 needs the sensitive variable(s) admin_password, api_token, db_password (the "
        "store holds fingerprints of their values, and none here matches)"
    )
    assert "TF_VAR_" in (caught.value.hint or "")
    text = caught.value.one_line()
    for secret in ("tfvars-secret", "token-default", "cli-secret"):
        assert secret not in text
    assert snapshot(repo.parent) == before  # not even a scratch directory was made

    provided = {"admin_password", "api_token", "db_password"}
    with materialise(
        doc, repo, repo / ".terraform", redactor, provided_variables=provided
    ) as scratch:
        tfvars = (scratch.root / "terraform.tfvars").read_text()
        assert tfvars == (
            "# db_password: sealed in the shadow store; supply it with -var, -var-file or "
            "TF_VAR_db_password\n"
        )
        assert "tfshadow:sensitive" not in (scratch.root / "main.tf").read_text()
        assert scratch.sealed_variables == ("admin_password",)
        assert scratch.variables == {}
    assert snapshot(repo.parent) == before


def test_materialise_fingerprinted_literal_secret_cannot_be_supplied(repo: Path) -> None:
    files = {
        **VERSION,
        "modules/app/main.tf": 'resource "terraform_data" "app" {\n'
        '  input = { password = "literal-secret" }\n}\n',
    }
    before = snapshot(repo.parent)
    with pytest.raises(SecretError) as caught:
        materialise(
            version_doc(files),
            repo,
            repo / ".terraform",
            Redactor(FP_KEY),
            provided_variables={"password"},
            version=2,
        )
    assert "modules/app/main.tf:2 (password)" in caught.value.message
    assert "version 2" in caught.value.message
    assert "TFSHADOW_KEY" in (caught.value.hint or "")
    assert "literal-secret" not in caught.value.one_line()
    assert snapshot(repo.parent) == before


def test_materialise_with_the_key_writes_the_secrets_back(repo: Path) -> None:
    files = {
        **VERSION,
        "modules/app/main.tf": 'resource "terraform_data" "app" {\n'
        '  input = { password = "literal-secret" }\n}\n',
        "terraform.tfvars": 'db_password = "tfvars-secret"\n',
    }
    redactor = Redactor(FP_KEY, KEY)
    with materialise(
        version_doc(files, redactor), repo, repo / ".terraform", redactor, provided_variables=()
    ) as scratch:
        for rel, content in files.items():
            assert Path(os.path.normpath(scratch.root / rel)).read_text() == content


def test_materialise_refuses_modules_above_the_file_system_root(tmp_path: Path) -> None:
    workdir = tmp_path / "w"
    workdir.mkdir()
    ups = "../" * (len(workdir.parts) + 1)
    doc = version_doc({"main.tf": "", f"{ups}x/main.tf": ""})
    with pytest.raises(StoreError):
        materialise(doc, workdir, workdir / ".terraform", Redactor(FP_KEY), provided_variables=())


def test_scratch_cleanup_removes_read_only_copies(repo: Path) -> None:
    locked = repo / ".terraform" / "modules" / "locked"
    locked.mkdir()
    (locked / "f").write_text("x")
    locked.chmod(0o555)
    try:
        scratch = materialise(
            version_doc(VERSION), repo, repo / ".terraform", Redactor(FP_KEY), provided_variables=()
        )
        assert isinstance(scratch, Scratch)
        scratch.cleanup()
        scratch.cleanup()  # twice is fine
        assert not scratch.base.exists()
        assert (locked / "f").read_text() == "x"
        assert stat.S_IMODE(locked.stat().st_mode) == 0o555
    finally:
        locked.chmod(0o755)


def test_materialise_removes_scratch_copies_killed_reverts_left(repo: Path) -> None:
    # A revert killed with SIGKILL cannot clean up, and its copy holds the version's secrets
    # filled back in: the next revert removes it. One of a process still running is kept.
    dead_pid = _ended_pid()
    stale = repo / ".terraform" / f".tfshadow-scratch-{dead_pid}-abc123"
    (stale / "infra").mkdir(parents=True)
    (stale / "infra" / "main.tf").write_text('password = "opened"\n')
    (stale / "infra").chmod(0o555)
    running = repo / ".terraform" / f".tfshadow-scratch-{os.getppid()}-def456"
    running.mkdir()

    with materialise(
        version_doc(VERSION), repo, repo / ".terraform", Redactor(FP_KEY), provided_variables=()
    ) as scratch:
        assert scratch.base.name.startswith(f".tfshadow-scratch-{os.getpid()}-")

    assert not stale.exists()
    assert running.is_dir()


def _ended_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


# --- with Terraform ---------------------------------------------------------------------------


def test_terraform_in_the_scratch_writes_the_users_state(tmp_path: Path) -> None:
    workdir = tmp_path / "repo" / "infra"
    v1 = {
        "main.tf": 'module "shared" {\n  source = "../shared"\n}\n\n'
        'resource "terraform_data" "web" {\n  input = file("${path.module}/web.txt")\n}\n',
        "../shared/main.tf": 'resource "terraform_data" "shared" {\n  input = "s1"\n}\n',
        "web.txt": "v1",
    }
    write_tree(workdir, v1)
    terraform(workdir, "init", "-input=false")
    terraform(workdir, "apply", "-auto-approve", "-input=false")
    doc = record(config_files.collect_files(workdir), Redactor(FP_KEY))

    # Version 2: the module is gone, a resource is added.
    (workdir / "main.tf").write_text(
        'resource "terraform_data" "web" {\n  input = file("${path.module}/web.txt")\n}\n'
    )
    (workdir / "extra.tf").write_text('resource "terraform_data" "extra" {}\n')
    terraform(workdir, "init", "-input=false")
    terraform(workdir, "apply", "-auto-approve", "-input=false")
    state_before = json.loads((workdir / "terraform.tfstate").read_text())
    skip = ("infra/terraform.tfstate", "infra/terraform.tfstate.backup")
    before = snapshot(workdir.parent, skip)

    with materialise(
        doc, workdir, workdir / ".terraform", Redactor(FP_KEY), provided_variables=()
    ) as scratch:
        # init installs the module again: the copy's modules.json changes, the user's does not.
        terraform(scratch.root, "init", "-input=false")
        terraform(scratch.root, "apply", "-auto-approve", "-input=false")
        assert (scratch.root / "terraform.tfstate").is_symlink()
        copied = json.loads((scratch.data_dir / "modules" / "modules.json").read_text())
        assert "shared" in {m["Key"] for m in copied["Modules"]}

    state = json.loads((workdir / "terraform.tfstate").read_text())
    assert state["serial"] > state_before["serial"]
    assert state["lineage"] == state_before["lineage"]
    addresses = {
        (r.get("module", ""), r["type"], r["name"]): r["instances"][0]["attributes"]["input"]
        for r in state["resources"]
    }
    assert addresses == {
        ("", "terraform_data", "web"): {"value": "v1", "type": "string"},
        ("module.shared", "terraform_data", "shared"): {"value": "s1", "type": "string"},
    }
    backup = json.loads((workdir / "terraform.tfstate.backup").read_text())
    assert backup["serial"] == state_before["serial"]
    assert snapshot(workdir.parent, skip) == before
    assert "extra" in (workdir / "extra.tf").read_text()


def test_terraform_in_the_scratch_uses_a_relative_local_backend_path(tmp_path: Path) -> None:
    workdir = tmp_path / "infra"
    main = (
        'terraform {\n  backend "local" {\n    path = "state/prod.tfstate"\n  }\n}\n\n'
        'resource "terraform_data" "web" {\n  input = "v1"\n}\n'
    )
    write_tree(workdir, {"main.tf": main, "state/.keep": ""})
    terraform(workdir, "init", "-input=false")
    terraform(workdir, "apply", "-auto-approve", "-input=false")
    doc = record(config_files.collect_files(workdir), Redactor(FP_KEY))
    (workdir / "main.tf").write_text(main.replace('"v1"', '"v2"'))
    terraform(workdir, "apply", "-auto-approve", "-input=false")

    with materialise(
        doc, workdir, workdir / ".terraform", Redactor(FP_KEY), provided_variables=()
    ) as scratch:
        terraform(scratch.root, "apply", "-auto-approve", "-input=false")
        assert not (scratch.root / "state").resolve().is_relative_to(scratch.base)

    state = json.loads((workdir / "state" / "prod.tfstate").read_text())
    [web] = state["resources"]
    assert web["instances"][0]["attributes"]["input"] == {"value": "v1", "type": "string"}
    assert not (workdir / "terraform.tfstate").exists()
