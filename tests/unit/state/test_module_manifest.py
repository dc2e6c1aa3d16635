"""Whether the modules Terraform installed serve a configuration's module calls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tfshadow.state.config_files import ModuleCall, module_calls
from tfshadow.state.module_manifest import Installed, needs_install, read_manifest

LOCAL = {
    "": Installed("", None),
    "app": Installed("./m", None),
    "app.inner": Installed("./n", None),
}


def calls(**files: str) -> frozenset[ModuleCall]:
    """The module calls of ``files``, named as paths with ``__`` for ``/`` and ``_`` for ``.``
    (``m__main_tf``: ``m/main.tf``)."""
    return module_calls(
        {path.replace("__", "/").replace("_", "."): text.encode() for path, text in files.items()}
    )


def test_calls_of_local_modules_installed_under_their_keys_need_no_install() -> None:
    found = calls(
        main_tf='module "app" {\n  source = "./m/"\n}\n',
        m__main_tf='module "inner" {\n  source = "./n"\n}\n',
    )
    assert not needs_install(found, LOCAL)
    # A call the manifest does not have, under the root or inside the module.
    assert needs_install(
        calls(main_tf='module "app" {\n  source = "./m"\n}\nmodule "db" {\n  source = "./m"\n}\n'),
        LOCAL,
    )
    inner = calls(
        main_tf='module "app" {\n  source = "./m"\n}\n',
        m__main_tf='module "other" {\n  source = "./n"\n}\n',
    )
    assert needs_install(inner, LOCAL)
    # Another source than the one installed for the key.
    assert needs_install(calls(main_tf='module "app" {\n  source = "./m2"\n}\n'), LOCAL)


def test_no_calls_need_nothing_and_an_unreadable_manifest_needs_init_for_any() -> None:
    assert not needs_install(frozenset(), None)
    assert needs_install(calls(main_tf='module "app" {\n  source = "./m"\n}\n'), None)
    assert needs_install(calls(main_tf='module "app" {\n  source = "./m"\n}\n'), {})


def test_registry_sources_and_versions_as_terraform_records_them() -> None:
    manifest = {"vpc": Installed("registry.terraform.io/acme/vpc/aws", "1.4.2")}

    def vpc(version: str) -> frozenset[ModuleCall]:
        return calls(
            main_tf=f'module "vpc" {{\n  source  = "acme/vpc/aws"\n  version = "{version}"\n}}\n'
        )

    assert not needs_install(vpc("~> 1.4"), manifest)
    assert not needs_install(vpc(">= 1.0, < 2.0"), manifest)
    assert not needs_install(vpc("1.4.2"), manifest)
    assert needs_install(vpc("~> 1.5"), manifest)
    assert needs_install(vpc("~> 1.4.3"), manifest)
    assert needs_install(vpc("!= 1.4.2"), manifest)
    assert needs_install(vpc("2.0.0"), manifest)
    json_call = calls(main_tf_json=json.dumps({"module": {"vpc": {"source": "acme/vpc/aws"}}}))
    assert not needs_install(json_call, manifest)


@pytest.mark.parametrize(
    ("version", "constraint", "meets"),
    [
        ("1.4.2", "~> 1", True),
        ("2.0.0", "~> 1", True),
        ("2.0.0", "~> 1.0", False),
        ("1.9.0", "~> 1.0", True),
        ("1.4.2-beta1", ">= 1.0", False),
        ("1.4.2-beta2", "~> 1.4.2-beta1", True),
        ("1.4.2-beta1", "1.4.2", False),
        ("1.4.2", "> 1.4.2-beta1", True),
        ("1.4.2", "garbage", False),
    ],
)
def test_version_constraints_as_go_version_reads_them(
    version: str, constraint: str, meets: bool
) -> None:
    manifest = {"x": Installed("registry.terraform.io/a/x/aws", version)}
    found = calls(main_tf=f'module "x" {{\n  source = "a/x/aws"\n  version = "{constraint}"\n}}\n')
    assert needs_install(found, manifest) is not meets


def test_read_manifest(tmp_path: Path) -> None:
    assert read_manifest(tmp_path) == {}
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "modules.json").write_text(
        '{"Modules":[{"Key":"","Source":"","Dir":"."},'
        '{"Key":"vpc","Source":"registry.terraform.io/acme/vpc/aws","Version":"1.4.2","Dir":"x"}]}'
    )
    assert read_manifest(tmp_path) == {
        "": Installed("", None),
        "vpc": Installed("registry.terraform.io/acme/vpc/aws", "1.4.2"),
    }
    (tmp_path / "modules" / "modules.json").write_text("{not json")
    assert read_manifest(tmp_path) is None


@pytest.mark.parametrize(
    ("source", "recorded"),
    [
        ("github.com/acme/net", "git::https://github.com/acme/net.git"),
        ("github.com/acme/net.git", "git::https://github.com/acme/net.git"),
        ("github.com/acme/net?ref=v1.2.0", "git::https://github.com/acme/net.git?ref=v1.2.0"),
        (
            "github.com/acme/net/modules/vpc?ref=v1",
            "git::https://github.com/acme/net.git//modules/vpc?ref=v1",
        ),
        ("git@github.com:acme/net.git", "git::ssh://git@github.com/acme/net.git"),
        ("git::git@example.com:code/baz.git", "git::ssh://git@example.com/code/baz.git"),
        (
            "github.com/hashicorp/terraform-cidr-subnets//example/foo",
            "git::https://github.com/hashicorp/terraform-cidr-subnets.git//example/foo",
        ),
        (
            "git@gitlab.example.com:infra/net.git//vpc?ref=v2",
            "git::ssh://git@gitlab.example.com/infra/net.git//vpc?ref=v2",
        ),
    ],
)
def test_git_shorthands_match_the_address_terraform_records(source: str, recorded: str) -> None:
    manifest = {"net": Installed(recorded, None)}
    found = calls(main_tf=f'module "net" {{\n  source = "{source}"\n}}\n')
    assert not needs_install(found, manifest)
    other = calls(main_tf='module "net" {\n  source = "github.com/acme/other?ref=v1.2.0"\n}\n')
    assert needs_install(other, manifest)
