"""Which resources a revert lets go of rather than destroys (tfshadow/revert/forget.py)."""

from __future__ import annotations

import json
from typing import Any

from tfshadow.revert.forget import forget_file, resources_to_forget


def _state(*addresses: str) -> dict[str, Any]:
    return {"resources": {a: {"mode": "managed", "attributes": {"id": a}} for a in addresses}}


def test_only_resources_wholly_imported_since_and_unknown_to_n_are_let_go_of() -> None:
    live = _state(
        "terraform_data.legacy",  # imported since N
        'aws_instance.pool["a"]',  # imported since N
        'aws_instance.pool["b"]',  # created since N: destroying it is the revert
        "module.net.aws_vpc.main",  # imported, in a module N does not call
        "terraform_data.declared",  # imported, but N's files declare it (count = 0 then)
        "terraform_data.kept",  # in N too
    )
    imported = {
        "terraform_data.legacy",
        'aws_instance.pool["a"]',
        "module.net.aws_vpc.main",
        "terraform_data.declared",
        "terraform_data.kept",
    }
    files = {
        "main.tf": b'resource "terraform_data" "declared" {\n  count = 0\n}\n',
        "modules/x/main.tf": b'resource "terraform_data" "legacy" {}\n',  # not the root's
    }
    target = _state("terraform_data.kept")
    assert resources_to_forget(live, target, imported, files) == [
        "terraform_data.legacy",
        "module.net.aws_vpc.main",
    ]
    # Declared in a JSON file of N: left to the plan too.
    as_json = {
        "main.tf.json": json.dumps({"resource": {"terraform_data": {"legacy": {}}}}).encode()
    }
    assert resources_to_forget(live, target, imported, as_json) == [
        "terraform_data.declared",
        "module.net.aws_vpc.main",
    ]


def test_forget_file_writes_one_removed_block_per_resource() -> None:
    text = forget_file(["terraform_data.a", "aws_instance.b"]).decode()
    assert text.count("removed {") == 2
    assert "from = aws_instance.b\n  lifecycle {\n    destroy = false\n  }" in text


def test_resources_in_modules_are_let_go_of_where_n_does_not_declare_them() -> None:
    live = _state(
        'module.app["a"].terraform_data.x',  # imported in every instance of the module
        'module.app["b"].terraform_data.x[0]',
        'module.app["a"].terraform_data.made',  # created since N in one instance
        'module.app["b"].terraform_data.made',
        "module.app.module.inner.terraform_data.deep",  # imported, nested local module
        "module.app.module.inner.terraform_data.declared",  # imported, but N declares it
        "module.vpc.aws_vpc.this",  # imported, in a registry module: N's files cannot tell
    )
    imported = set(live["resources"]) - {'module.app["b"].terraform_data.made'}
    files = {
        "main.tf": (
            b'module "app" {\n  source   = "./app"\n  for_each = toset(["a", "b"])\n}\n'
            b'module "vpc" {\n  source = "terraform-aws-modules/vpc/aws"\n}\n'
        ),
        "app/main.tf": b'module "inner" {\n  source = "../inner"\n}\n',
        "inner/main.tf": b'resource "terraform_data" "declared" {\n  count = 0\n}\n',
    }

    assert resources_to_forget(live, _state(), imported, files) == [
        "module.app.terraform_data.x",
        "module.app.module.inner.terraform_data.deep",
    ]
    # One `removed` block names every instance of the module and of the resource.
    assert (
        "from = module.app.terraform_data.x\n"
        in forget_file(["module.app.terraform_data.x"]).decode()
    )
