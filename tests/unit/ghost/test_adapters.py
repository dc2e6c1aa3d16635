"""Ghost adapters: what is copied from a known-good version, and how a ghost is declared.

Golden files hold each adapter's declaration, stopped and running, of the resources in
data/known_good.json (canonical state entries). Set UPDATE_GOLDEN=1 to rewrite them.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tfshadow.errors import GhostError, TfshadowError
from tfshadow.ghost import adapters, config_file
from tfshadow.ghost.adapters import Adapter, adapter_for, ghost_name

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
KNOWN_GOOD: dict[str, dict[str, Any]] = json.loads((HERE / "data" / "known_good.json").read_text())
SEAL = "tfshadow:sensitive:v1:fp:0123456789abcdef"
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")

# Attributes providers compute, whatever the adapter itself says about them.
COMPUTED = {
    "id",
    "arn",
    "pid",
    "started_at",
    "log_file",
    "public_ip",
    "public_dns",
    "private_dns",
    "private_ip",
    "primary_network_interface_id",
    "instance_state",
    "tags_all",
    "self_link",
    "instance_id",
    "cpu_platform",
    "current_status",
    "network_ip",
    "nat_ip",
    "effective_labels",
    "terraform_labels",
    "label_fingerprint",
    "virtual_machine_id",
    "private_ip_address",
    "public_ip_address",
    "uid",
    "resource_version",
    "generation",
    "network_data",
    "exit_code",
    "volume_id",
    "source",
}
# The one argument that tells a stopped ghost from a running one, per declared resource type.
SWITCH = {
    "localcloud_instance": {"state"},
    "aws_ec2_instance_state": {"state"},
    "google_compute_instance": {"desired_status"},
    "azapi_resource_action": {"action"},
    "kubernetes_deployment": {"spec"},
    "docker_container": {"start", "must_run"},
}


CASES = [pytest.param(address, entry, id=entry["type"]) for address, entry in KNOWN_GOOD.items()]


def _declare(address: str, entry: Mapping[str, Any], *, running: bool) -> dict[str, Any]:
    adapter = adapter_for(entry["type"])
    return adapter.declare(
        ghost_name(entry["name"]), entry["attributes"], running=running, ghost_of=address
    )


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@pytest.mark.parametrize(("address", "entry"), CASES)
@pytest.mark.parametrize("state", ["stopped", "running"])
def test_adapters_declaration_matches_golden(
    address: str, entry: dict[str, Any], state: str
) -> None:
    fragment = _declare(address, entry, running=state == "running")
    text = json.dumps(fragment, indent=2, sort_keys=True) + "\n"
    golden = GOLDEN / f"{entry['type']}.{state}.tf.json"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()


@pytest.mark.parametrize(("address", "entry"), CASES)
def test_adapters_declaration_has_terraform_json_shape(address: str, entry: dict[str, Any]) -> None:
    fragment = _declare(address, entry, running=False)
    assert set(fragment) <= {"resource", "variable"}
    assert fragment["resource"][entry["type"]].keys() == {ghost_name(entry["name"])}
    for type_, blocks in fragment["resource"].items():
        assert IDENTIFIER.match(type_)
        for name, body in blocks.items():
            assert IDENTIFIER.match(name)
            assert isinstance(body, dict) and body
            # Nested blocks are lists of objects: never a bare object inside a list of values.
            for value in body.values():
                if isinstance(value, list) and any(isinstance(v, dict) for v in value):
                    assert all(isinstance(v, dict) for v in value)
    json.loads(json.dumps(fragment))


@pytest.mark.parametrize(("address", "entry"), CASES)
def test_adapters_arguments_copy_no_computed_attribute(address: str, entry: dict[str, Any]) -> None:
    adapter = adapter_for(entry["type"])
    arguments = adapter.arguments(entry["attributes"], ghost_of=address)
    assert not set(arguments) & adapter.computed
    assert not set(arguments) & COMPUTED
    assert not set(_keys(arguments)) & COMPUTED
    assert set(arguments) <= set(entry["attributes"]) | {"tags", "labels"}


@pytest.mark.parametrize(("address", "entry"), CASES)
def test_adapters_allow_list_names_no_computed_attribute(
    address: str, entry: dict[str, Any]
) -> None:
    adapter = adapter_for(entry["type"])
    assert not set(adapter.allowed) & adapter.computed
    assert adapter.computed & set(entry["attributes"])  # the fixture is a realistic state


@pytest.mark.parametrize(("address", "entry"), CASES)
def test_adapters_ghost_names_differ_from_original(address: str, entry: dict[str, Any]) -> None:
    name = ghost_name(entry["name"])
    assert name != entry["name"]
    body = _declare(address, entry, running=True)["resource"][entry["type"]][name]
    original = entry["attributes"]
    for argument in ("name", "computer_name"):
        if argument in original:
            assert body[argument] == f"{original[argument]}-ghost"
    if entry["type"] == "kubernetes_deployment":
        assert body["metadata"][0]["name"] == "cart-ghost"
    if entry["type"] == "aws_instance":
        assert body["tags"]["Name"] == "api (ghost)"
        assert body["tags"]["tfshadow:ghost-of"] == address


@pytest.mark.parametrize(("address", "entry"), CASES)
def test_adapters_switch_is_the_only_difference(address: str, entry: dict[str, Any]) -> None:
    stopped = _declare(address, entry, running=False)
    running = _declare(address, entry, running=True)
    assert stopped.get("variable") == running.get("variable")
    assert stopped["resource"].keys() == running["resource"].keys()
    changed = []
    for type_, blocks in stopped["resource"].items():
        assert blocks.keys() == running["resource"][type_].keys()
        for name, body in blocks.items():
            other = running["resource"][type_][name]
            assert body.keys() == other.keys()
            changed += [(type_, key) for key in body if body[key] != other[key]]
    assert changed
    assert all(key in SWITCH[type_] for type_, key in changed)


def test_adapters_kubernetes_scales_between_zero_and_known_good_replicas() -> None:
    address = "kubernetes_deployment.cart"
    entry = KNOWN_GOOD[address]
    stopped = _declare(address, entry, running=False)["resource"]["kubernetes_deployment"]
    running = _declare(address, entry, running=True)["resource"]["kubernetes_deployment"]
    stopped_spec, running_spec = stopped["cart_ghost"]["spec"][0], running["cart_ghost"]["spec"][0]
    assert (stopped_spec["replicas"], running_spec["replicas"]) == ("0", "3")
    assert {**stopped_spec, "replicas": "3"} == running_spec
    assert running_spec["selector"][0]["match_labels"] == {
        "app": "cart",
        "tfshadow.io/ghost": "true",
    }


def test_adapters_aws_instance_state_points_at_the_ghost() -> None:
    address = "module.app.aws_instance.api"
    fragment = _declare(address, KNOWN_GOOD[address], running=False)
    assert fragment["resource"]["aws_ec2_instance_state"] == {
        "api_ghost": {"instance_id": "${aws_instance.api_ghost.id}", "state": "stopped"}
    }


def test_adapters_copied_templates_stay_literal() -> None:
    # "${PORT}" in a startup script is the shell's, not Terraform's.
    for address, entry in KNOWN_GOOD.items():
        fragment = _declare(address, entry, running=True)
        own = {"${aws_instance.api_ghost.id}", "${azurerm_linux_virtual_machine.ledger_ghost.id}"}
        own.add("${var.ledger_ghost_network_interface_ids}")
        for text in _strings(fragment):
            if text not in own:
                assert "${" not in text.replace("$${", ""), (address, text)
    docker = 'docker_container.search["eu"]'
    body = _declare(docker, KNOWN_GOOD[docker], running=True)
    assert "GREETING=$${USER}" in body["resource"]["docker_container"]["search_ghost"]["env"]


@pytest.mark.parametrize(
    ("address", "path"),
    [
        ("azurerm_linux_virtual_machine.ledger", ("admin_password",)),
        ("google_compute_instance.checkout", ("boot_disk", 0, "disk_encryption_key_raw")),
        ('docker_container.search["eu"]', ("env", 1)),
        ("localcloud_instance.web", ("command", 2)),
        (
            "kubernetes_deployment.cart",
            ("spec", 0, "template", 0, "spec", 0, "container", 0, "image"),
        ),
    ],
)
def test_adapters_sealed_value_is_refused(address: str, path: tuple[str | int, ...]) -> None:
    entry = copy.deepcopy(KNOWN_GOOD[address])
    target: Any = entry["attributes"]
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = SEAL
    with pytest.raises(GhostError) as caught:
        _declare(address, entry, running=False)
    assert "sealed" in caught.value.message
    assert str(path[0]) in caught.value.message
    assert SEAL not in caught.value.one_line()
    # Setting TFSHADOW_KEY does not open it: the hint must not send the user there.
    assert caught.value.hint is not None and "by hand" in caught.value.hint
    assert "TFSHADOW_KEY" not in caught.value.hint


def test_adapters_aws_user_data_digest_is_refused() -> None:
    entry = copy.deepcopy(KNOWN_GOOD["module.app.aws_instance.api"])
    entry["attributes"]["user_data"] = "3f786850e387550fdab836ed7e6dc881de23001b"
    with pytest.raises(GhostError, match="digest of user_data"):
        _declare("module.app.aws_instance.api", entry, running=False)


def test_adapters_kubernetes_without_replicas_is_refused() -> None:
    entry = copy.deepcopy(KNOWN_GOOD["kubernetes_deployment.cart"])
    entry["attributes"]["spec"][0]["replicas"] = "0"
    with pytest.raises(GhostError, match="no replicas"):
        _declare("kubernetes_deployment.cart", entry, running=False)


def test_adapters_bad_ghost_name_is_refused() -> None:
    entry = KNOWN_GOOD["localcloud_instance.web"]
    with pytest.raises(GhostError, match="not a Terraform resource name"):
        adapter_for("localcloud_instance").declare("1 web", entry["attributes"], running=False)


def test_adapters_unknown_type_lists_supported_ones() -> None:
    with pytest.raises(GhostError) as caught:
        adapter_for("aws_lambda_function")
    assert isinstance(caught.value, TfshadowError)
    assert caught.value.message == (
        "no ghost adapter for aws_lambda_function (supported: aws_instance, "
        "azurerm_linux_virtual_machine, docker_container, google_compute_instance, "
        "kubernetes_deployment, localcloud_instance)"
    )


def test_adapters_every_adapter_is_reachable_by_type() -> None:
    assert {entry["type"] for entry in KNOWN_GOOD.values()} == set(adapters.ADAPTERS)
    for type_, adapter in adapters.ADAPTERS.items():
        assert isinstance(adapter, Adapter) and adapter.type == type_


def test_adapters_localcloud_arguments_are_schema_arguments() -> None:
    from tfshadow.localcloud.provider import Instance

    schema = Instance.get_schema()
    arguments = {a.name for a in schema.attributes if a.required or a.optional}
    computed = {a.name for a in schema.attributes if a.computed and not a.optional}
    assert set(adapters.LOCALCLOUD_INSTANCE.allowed) | {"state"} == arguments
    assert adapters.LOCALCLOUD_INSTANCE.computed == computed


REQUIRED_LOCALCLOUD = {
    "terraform": {"required_providers": {"localcloud": {"source": "local/tfshadow/localcloud"}}}
}


@pytest.mark.parametrize("state", ["stopped", "running"])
def test_adapters_localcloud_declaration_passes_terraform_validate(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    state: str,
) -> None:
    from tfshadow.cli import run
    from tfshadow.localcloud import install

    rc = install.cli_config(install.mirror(tmp_path / "mirror"), tmp_path / "localcloud.tfrc")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(rc))
    work = tmp_path / "infra"
    work.mkdir()
    (work / "main.tf.json").write_text(json.dumps(REQUIRED_LOCALCLOUD))
    fragment = _declare(
        "localcloud_instance.web", KNOWN_GOOD["localcloud_instance.web"], running=state == "running"
    )
    (work / config_file.GHOSTS_FILE).write_text(json.dumps(fragment, indent=2))
    monkeypatch.chdir(work)
    assert run(["init", "-no-color"]) == 0, capfd.readouterr()
    capfd.readouterr()
    assert run(["validate", "-json", "-no-color"]) == 0, capfd.readouterr()
    assert json.loads(capfd.readouterr().out)["valid"] is True
