from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tfshadow.state.changes import ConfigChanges, StateChanges, compare_configs, compare_states

SEAL_A = "tfshadow:sensitive:v1:fp:0123456789abcdef"
SEAL_B = "tfshadow:sensitive:v1:enc:QUJDREVGR0hJSktMTU5PUA"


def _instance(type_: str, name: str, attributes: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "mode": fields.pop("mode", "managed"),
        "type": type_,
        "name": name,
        "provider": 'provider["terraform.io/builtin/terraform"]',
        "schema_version": 0,
        "attributes": attributes,
        "sensitive_attributes": [],
        **fields,
    }


def _data(value: Any, id_: str) -> dict[str, Any]:
    return {"id": id_, "input": {"value": value, "type": "string"}, "triggers_replace": None}


BEFORE_STATE = {
    "format": 1,
    "resources": {
        "terraform_data.app": _instance("terraform_data", "app", _data("small", "app-id")),
        "terraform_data.old": _instance(
            "terraform_data", "old", {"id": "old-id", "tags": {"env": "dev"}, "gone": None}
        ),
        "aws_db_instance.db": _instance("aws_db_instance", "db", {"id": "db", "password": SEAL_A}),
        "data.aws_ami.u": _instance("aws_ami", "u", {"id": "ami-1"}, mode="data"),
    },
    "outputs": {
        "o": {"value": "a", "type": "string"},
        "secret": {"value": SEAL_A, "type": "string", "sensitive": True},
    },
}

AFTER_STATE = {
    "format": 1,
    "resources": {
        "terraform_data.app": _instance("terraform_data", "app", _data("large", "app-id")),
        "terraform_data.web": _instance("terraform_data", "web", _data("large", "web-id")),
        "aws_db_instance.db": _instance("aws_db_instance", "db", {"id": "db", "password": SEAL_B}),
        'module.net.aws_subnet.a["x"]': _instance(
            "aws_subnet",
            "a",
            {"id": "s1", "conf": {"user": "u", "token": SEAL_A}, "ports": [80, 443]},
            module="module.net",
        ),
        "data.aws_ami.u": _instance("aws_ami", "u", {"id": "ami-2"}, mode="data"),
    },
    "outputs": {
        "o": {"value": "b", "type": "string"},
        "secret": {"value": SEAL_B, "type": "string", "sensitive": True},
    },
}

BEFORE_CONFIG = {
    "format": 1,
    "files": {"main.tf": ['resource "terraform_data" "app" {\n', '  input = "small"\n', "}\n"]},
    "variables": {"size": "small", "password": SEAL_A},
}

AFTER_CONFIG = {
    "format": 1,
    "files": {
        "main.tf": ['resource "terraform_data" "app" {\n', '  input = "large"\n', "}\n"],
        "web.tf": ['resource "terraform_data" "web" {\n', '  input = "large"\n', "}\n"],
    },
    "variables": {"size": "large", "password": SEAL_B},
}


def _make_meta(version: int, **overrides: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "version": version,
        "timestamp": f"2024-05-0{version}T12:00:0{version}Z",
        "author": {"name": "Alice Doe", "email": "alice@example.com", "source": "git config"},
        "description": "1 to add, 1 to change, 0 to destroy: terraform_data.web",
        "kind": "apply",
        "outcome": "success",
        "terraform": {"engine": "embedded", "version": "1.15.5"},
        "workspace": "default",
        "changes": {"add": 1, "change": 1, "destroy": 0, "addresses": ["terraform_data.web"]},
        "state_sha256": "0" * 64,
        "config_sha256": "1" * 64,
        "parent": version - 1 if version > 1 else None,
        "keyframe": version == 1,
    }
    meta.update(overrides)
    return meta


@pytest.fixture
def state_changes() -> StateChanges:
    return compare_states(BEFORE_STATE, AFTER_STATE)


@pytest.fixture
def config_changes() -> ConfigChanges:
    return compare_configs(BEFORE_CONFIG, AFTER_CONFIG)


@pytest.fixture
def make_meta() -> Callable[..., dict[str, Any]]:
    """Builds version metadata as the store records it; keyword arguments override fields."""
    return _make_meta


@pytest.fixture
def seals() -> tuple[str, str]:
    return SEAL_A, SEAL_B
