"""Provider adapters: how a resource type's ghost is copied, declared stopped and started.

An :class:`Adapter` is plain data about one resource type:

* ``allowed``: the arguments that define the resource, as an allow-list. Only these are copied
  from the known-good version's state attributes, so computed attributes (``id``, ``arn``,
  ``pid``, ``public_ip``…) and arguments that would collide with the original (a fixed private
  IP, an attached disk or network interface) never reach the ghost. Nested blocks name their
  own allow-list; they stay lists of objects, as Terraform JSON expects.
* a rename step: the ghost gets its own cloud-side name (``-ghost`` suffix) so both can exist,
  and is marked as a ghost of its original where the provider has tags or labels.
* a switch: how the copy is declared stopped and running. The two declarations differ only
  there, so activating a ghost is one apply that changes one value.

A sealed value (:func:`tfshadow.state.redact.is_sealed`) is never copied: the known-good version
holds a fingerprint or ciphertext, not the value, so the ghost is refused instead.

What each adapter relies on, per the providers' own schemas:

``localcloud_instance``
    ``state = "stopped" | "running"``. The ghost runs the same ``command``: a command bound to a
    fixed port cannot become ready while the original holds that port.
``aws_instance`` (hashicorp/aws)
    The instance plus an ``aws_ec2_instance_state`` resource (``state = "stopped" | "running"``)
    naming it. State keeps only a SHA-1 digest of ``user_data``, so an instance with ``user_data``
    is refused (``user_data_base64`` is kept in full and is copied).
``google_compute_instance`` (hashicorp/google)
    ``desired_status = "TERMINATED" | "RUNNING"``; the boot disk is created anew from its image.
``azurerm_linux_virtual_machine`` (hashicorp/azurerm + Azure/azapi)
    The resource has no power-state argument, so an ``azapi_resource_action`` POSTs the
    ``deallocate`` or ``start`` action of the VM (``Microsoft.Compute/virtualMachines``); the
    configuration must require the azapi provider. A network interface serves one VM only, so the
    ghost's come from a variable, ``<ghost>_network_interface_ids``, that the declaration adds.
``kubernetes_deployment`` (hashicorp/kubernetes)
    ``spec.replicas`` ``"0"`` while stopped, the known-good count once running. The ghost's
    selector and pod labels gain ``tfshadow.io/ghost = "true"`` so its pods are never counted as
    the original's, while a Service selecting the original's labels still reaches them.
``docker_container`` (kreuzwerker/docker)
    ``start`` and ``must_run``, both false while stopped and true once running (the provider
    replaces a container that must run but does not, so activation is still one apply).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from tfshadow.errors import GhostError
from tfshadow.state import redact

Spec: TypeAlias = Mapping[str, "Spec | None"]
"""An allow-list: argument name to ``None`` (copy the value whole) or the nested block's list."""

NAME_SUFFIX = "_ghost"
CLOUD_SUFFIX = "-ghost"
GHOST_OF_TAG = "tfshadow:ghost-of"

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
# TFSHADOW_KEY does not help: opening the seal would write the secret in clear into the
# declaration file, which sits in the working directory and in every configuration snapshot.
_SEALED_HINT = (
    "the known-good version holds only a seal of it, and a ghost's declaration never holds a "
    "secret in clear: declare this ghost by hand (its secret from a variable)"
)


def ghost_name(name: str) -> str:
    """The Terraform resource name of the ghost of resource ``name``."""
    return name + NAME_SUFFIX


@dataclass(frozen=True)
class Adapter:
    """How ghosts of one resource type are copied and declared stopped or running."""

    type: str
    allowed: Spec
    computed: frozenset[str]
    """The type's computed-only attributes: never in ``allowed``, listed to be checked."""
    refuse: Callable[[Mapping[str, Any]], None]
    """Raises :class:`GhostError` when the state attributes cannot make a faithful copy."""
    rename: Callable[[dict[str, Any], str | None], None]
    """Gives the copied arguments the ghost's own names and marks (in place)."""
    switch: Callable[[str, dict[str, Any], bool], dict[str, Any]]
    """``(ghost_name, arguments, running)`` to the Terraform JSON fragment."""

    def arguments(
        self, attributes: Mapping[str, Any], *, ghost_of: str | None = None
    ) -> dict[str, Any]:
        """The ghost's configuration arguments, copied from a known-good version's attributes.

        ``ghost_of`` is the original's address, recorded in a tag or annotation when given.
        """
        self.refuse(attributes)
        arguments = _select(self.type, attributes, self.allowed, "")
        self.rename(arguments, ghost_of)
        return arguments

    def declare(
        self,
        ghost_name: str,
        attributes: Mapping[str, Any],
        *,
        running: bool,
        ghost_of: str | None = None,
    ) -> dict[str, Any]:
        """The Terraform JSON fragment declaring the ghost ``ghost_name``, stopped or running.

        The fragment is ``{"resource": {TYPE: {ghost_name: {...}}}}``, with the adapter's extra
        resources (or variables) beside it.
        """
        if not _IDENTIFIER.match(ghost_name):
            raise GhostError(
                f"{ghost_name!r} is not a Terraform resource name",
                "use letters, digits, underscores and dashes, not starting with a digit",
            )
        arguments = _escape(self.arguments(attributes, ghost_of=ghost_of))
        return self.switch(ghost_name, arguments, running)


def _empty(value: Any) -> bool:
    # Providers write unset optional arguments as null, "" or []; leaving them out is the same.
    return value is None or value == "" or value == [] or value == {}


def _select(type_: str, attributes: Mapping[str, Any], spec: Spec, path: str) -> dict[str, Any]:
    selected: dict[str, Any] = {}
    for name, nested in spec.items():
        value = attributes.get(name)
        if _empty(value):
            continue
        where = f"{path}{name}"
        if nested is None:
            _refuse_sealed(type_, value, where)
            selected[name] = copy.deepcopy(value)
        elif isinstance(value, list) and all(isinstance(item, Mapping) for item in value):
            selected[name] = [
                _select(type_, item, nested, f"{where}[{i}].") for i, item in enumerate(value)
            ]
        elif isinstance(value, Mapping):
            selected[name] = _select(type_, value, nested, f"{where}.")
        else:
            raise GhostError(
                f"{type_} attribute {where} is not a block in the known-good state",
                "the state does not have the shape this ghost adapter expects; "
                "declare this ghost by hand",
            )
    return selected


def _refuse_sealed(type_: str, value: Any, where: str) -> None:
    if redact.is_sealed(value):
        raise GhostError(f"{type_} argument {where} is sealed", _SEALED_HINT)
    if isinstance(value, Mapping):
        for key, item in value.items():
            _refuse_sealed(type_, item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _refuse_sealed(type_, item, f"{where}[{i}]")


def _escape(value: Any) -> Any:
    # Terraform JSON reads every string as a template: a copied "${HOME}" must stay literal.
    if isinstance(value, str):
        return value.replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, Mapping):
        return {_escape(key): _escape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_escape(item) for item in value]
    return value


def _suffixed(type_: str, argument: str, name: Any, limit: int | None = None) -> str:
    ghost = f"{name}{CLOUD_SUFFIX}"
    if limit is not None and len(ghost) > limit:
        raise GhostError(
            f"{type_} {argument} {ghost!r} is longer than {limit} characters",
            "shorten the original's name or declare this ghost by hand",
        )
    return ghost


def _resource(type_: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"resource": {type_: {name: body}}}


def _nothing_to_refuse(attributes: Mapping[str, Any]) -> None:
    pass


# -- localcloud_instance -----------------------------------------------------------------------


def _localcloud_rename(arguments: dict[str, Any], ghost_of: str | None) -> None:
    pass  # a process has no name of its own


def _localcloud_switch(name: str, arguments: dict[str, Any], running: bool) -> dict[str, Any]:
    return _resource(
        "localcloud_instance", name, {**arguments, "state": "running" if running else "stopped"}
    )


LOCALCLOUD_INSTANCE = Adapter(
    type="localcloud_instance",
    allowed={"command": None, "ready_port": None, "ready_timeout": None, "work_dir": None},
    computed=frozenset({"id", "pid", "started_at", "log_file"}),
    refuse=_nothing_to_refuse,
    rename=_localcloud_rename,
    switch=_localcloud_switch,
)


# -- aws_instance ------------------------------------------------------------------------------


def _aws_refuse(attributes: Mapping[str, Any]) -> None:
    if not _empty(attributes.get("user_data")):
        raise GhostError(
            "aws_instance keeps only a SHA-1 digest of user_data in its state",
            "give the original its user data with user_data_base64, which is kept in full, "
            "or declare this ghost by hand",
        )
    if not _empty(attributes.get("network_interface")):
        raise GhostError(
            "aws_instance attaches existing network interfaces, which serve one instance only",
            "declare this ghost by hand with network interfaces of its own",
        )


def _aws_rename(arguments: dict[str, Any], ghost_of: str | None) -> None:
    tags = dict(arguments.get("tags") or {})
    if "Name" in tags:
        tags["Name"] = f"{tags['Name']} (ghost)"
    if ghost_of is not None:
        tags[GHOST_OF_TAG] = ghost_of
    if tags:
        arguments["tags"] = tags


def _aws_switch(name: str, arguments: dict[str, Any], running: bool) -> dict[str, Any]:
    return {
        "resource": {
            "aws_instance": {name: arguments},
            # The instance itself has no stopped state argument; this resource stops and starts it.
            "aws_ec2_instance_state": {
                name: {
                    "instance_id": f"${{aws_instance.{name}.id}}",
                    "state": "running" if running else "stopped",
                }
            },
        }
    }


AWS_INSTANCE = Adapter(
    type="aws_instance",
    allowed={
        "ami": None,
        "instance_type": None,
        "subnet_id": None,
        "vpc_security_group_ids": None,
        "key_name": None,
        "iam_instance_profile": None,
        "user_data": None,  # refused above: state holds a digest
        "user_data_base64": None,
        "associate_public_ip_address": None,
        "ebs_optimized": None,
        "monitoring": None,
        "tenancy": None,
        "source_dest_check": None,
        "instance_initiated_shutdown_behavior": None,
        "tags": None,
        "volume_tags": None,
        "credit_specification": {"cpu_credits": None},
        "metadata_options": {
            "http_endpoint": None,
            "http_put_response_hop_limit": None,
            "http_tokens": None,
            "instance_metadata_tags": None,
        },
        "root_block_device": {
            "delete_on_termination": None,
            "encrypted": None,
            "iops": None,
            "kms_key_id": None,
            "throughput": None,
            "volume_size": None,
            "volume_type": None,
            "tags": None,
        },
    },
    computed=frozenset(
        {
            "id",
            "arn",
            "instance_lifecycle",
            "instance_state",
            "outpost_arn",
            "password_data",
            "primary_network_interface_id",
            "private_dns",
            "public_dns",
            "public_ip",
            "spot_instance_request_id",
            "tags_all",
        }
    ),
    refuse=_aws_refuse,
    rename=_aws_rename,
    switch=_aws_switch,
)


# -- google_compute_instance -------------------------------------------------------------------


def _google_rename(arguments: dict[str, Any], ghost_of: str | None) -> None:
    if "name" in arguments:
        arguments["name"] = _suffixed("google_compute_instance", "name", arguments["name"], 63)
    # Label values allow no dots or brackets, so the address itself cannot be one.
    arguments["labels"] = {**(arguments.get("labels") or {}), "tfshadow-ghost": "true"}


def _google_switch(name: str, arguments: dict[str, Any], running: bool) -> dict[str, Any]:
    status = "RUNNING" if running else "TERMINATED"
    return _resource("google_compute_instance", name, {**arguments, "desired_status": status})


GOOGLE_COMPUTE_INSTANCE = Adapter(
    type="google_compute_instance",
    allowed={
        "name": None,
        "machine_type": None,
        "zone": None,
        "description": None,
        "tags": None,
        "labels": None,
        "metadata": None,
        "metadata_startup_script": None,
        "can_ip_forward": None,
        "min_cpu_platform": None,
        "allow_stopping_for_update": None,
        "boot_disk": {
            "auto_delete": None,
            "mode": None,
            "kms_key_self_link": None,
            "disk_encryption_key_raw": None,
            # Not "source": that is the original's own disk.
            "initialize_params": {"image": None, "size": None, "type": None, "labels": None},
        },
        "network_interface": {
            "network": None,
            "subnetwork": None,
            "subnetwork_project": None,
            "stack_type": None,
            "nic_type": None,
            # Not "nat_ip": a static address belongs to the original; the ghost gets its own.
            "access_config": {"network_tier": None},
        },
        "service_account": {"email": None, "scopes": None},
        "scheduling": {
            "automatic_restart": None,
            "on_host_maintenance": None,
            "preemptible": None,
            "provisioning_model": None,
        },
        "shielded_instance_config": {
            "enable_secure_boot": None,
            "enable_vtpm": None,
            "enable_integrity_monitoring": None,
        },
    },
    computed=frozenset(
        {
            "id",
            "instance_id",
            "self_link",
            "cpu_platform",
            "current_status",
            "creation_timestamp",
            "label_fingerprint",
            "metadata_fingerprint",
            "tags_fingerprint",
            "effective_labels",
            "terraform_labels",
        }
    ),
    refuse=_nothing_to_refuse,
    rename=_google_rename,
    switch=_google_switch,
)


# -- azurerm_linux_virtual_machine -------------------------------------------------------------

AZURE_VM_API = "Microsoft.Compute/virtualMachines@2024-03-01"


def _azure_rename(arguments: dict[str, Any], ghost_of: str | None) -> None:
    vm = "azurerm_linux_virtual_machine"
    for argument in ("name", "computer_name"):
        if argument in arguments:
            arguments[argument] = _suffixed(vm, argument, arguments[argument], 64)
    if ghost_of is not None:
        arguments["tags"] = {**(arguments.get("tags") or {}), GHOST_OF_TAG: ghost_of}


def _azure_switch(name: str, arguments: dict[str, Any], running: bool) -> dict[str, Any]:
    nics = f"{name}_network_interface_ids"
    vm = {**arguments, "network_interface_ids": f"${{var.{nics}}}"}
    return {
        "variable": {
            nics: {
                "type": "list(string)",
                "description": f"Network interfaces of the ghost {name}: one serves one VM only.",
            }
        },
        "resource": {
            "azurerm_linux_virtual_machine": {name: vm},
            "azapi_resource_action": {
                f"{name}_power": {
                    "type": AZURE_VM_API,
                    "resource_id": f"${{azurerm_linux_virtual_machine.{name}.id}}",
                    "action": "start" if running else "deallocate",
                    "method": "POST",
                }
            },
        },
    }


AZURERM_LINUX_VIRTUAL_MACHINE = Adapter(
    type="azurerm_linux_virtual_machine",
    allowed={
        "name": None,
        "computer_name": None,
        "resource_group_name": None,
        "location": None,
        "size": None,
        "zone": None,
        "admin_username": None,
        "admin_password": None,  # sensitive: sealed in every recorded version, so refused
        "disable_password_authentication": None,
        "custom_data": None,
        "source_image_id": None,
        "availability_set_id": None,
        "proximity_placement_group_id": None,
        "priority": None,
        "eviction_policy": None,
        "tags": None,
        "admin_ssh_key": {"username": None, "public_key": None},
        "source_image_reference": {"publisher": None, "offer": None, "sku": None, "version": None},
        # Not "name": the ghost's disk gets its own.
        "os_disk": {
            "caching": None,
            "storage_account_type": None,
            "disk_size_gb": None,
            "disk_encryption_set_id": None,
            "write_accelerator_enabled": None,
        },
        "identity": {"type": None, "identity_ids": None},
        "boot_diagnostics": {"storage_account_uri": None},
    },
    computed=frozenset(
        {
            "id",
            "private_ip_address",
            "private_ip_addresses",
            "public_ip_address",
            "public_ip_addresses",
            "virtual_machine_id",
        }
    ),
    refuse=_nothing_to_refuse,
    rename=_azure_rename,
    switch=_azure_switch,
)


# -- kubernetes_deployment ---------------------------------------------------------------------

GHOST_LABEL = "tfshadow.io/ghost"
GHOST_OF_ANNOTATION = "tfshadow.io/ghost-of"


def _kubernetes_refuse(attributes: Mapping[str, Any]) -> None:
    spec = (attributes.get("spec") or [{}])[0]
    if str(spec.get("replicas") or "0") == "0":
        raise GhostError(
            "kubernetes_deployment has no replicas in the known-good version",
            "a ghost of a deployment scaled to zero would start nothing; "
            "pick a version that ran at least one replica",
        )


def _kubernetes_rename(arguments: dict[str, Any], ghost_of: str | None) -> None:
    metadata = arguments["metadata"][0]
    metadata["name"] = _suffixed("kubernetes_deployment", "metadata.name", metadata["name"], 253)
    if ghost_of is not None:
        metadata["annotations"] = {**metadata.get("annotations", {}), GHOST_OF_ANNOTATION: ghost_of}
    spec = arguments["spec"][0]
    selector = spec.setdefault("selector", [{}])[0]
    selector["match_labels"] = {**selector.get("match_labels", {}), GHOST_LABEL: "true"}
    template = spec.setdefault("template", [{}])[0]
    pod_metadata = template.setdefault("metadata", [{}])[0]
    pod_metadata["labels"] = {**pod_metadata.get("labels", {}), GHOST_LABEL: "true"}


def _kubernetes_switch(name: str, arguments: dict[str, Any], running: bool) -> dict[str, Any]:
    spec = arguments["spec"][0]
    # The provider types replicas as a string; "0" keeps the ghost declared but without pods.
    replicas = spec["replicas"] if running else "0"
    body = {**arguments, "spec": [{**spec, "replicas": replicas}]}
    return _resource("kubernetes_deployment", name, body)


_K8S_METADATA: Spec = {"name": None, "namespace": None, "labels": None, "annotations": None}

KUBERNETES_DEPLOYMENT = Adapter(
    type="kubernetes_deployment",
    allowed={
        "metadata": _K8S_METADATA,
        "spec": {
            "replicas": None,
            "min_ready_seconds": None,
            "paused": None,
            "progress_deadline_seconds": None,
            "revision_history_limit": None,
            "selector": None,
            "strategy": None,
            # Not the template metadata's uid, generation or resource_version: all computed.
            "template": {"metadata": _K8S_METADATA, "spec": None},
        },
        "wait_for_rollout": None,
    },
    computed=frozenset({"id"}),
    refuse=_kubernetes_refuse,
    rename=_kubernetes_rename,
    switch=_kubernetes_switch,
)


# -- docker_container --------------------------------------------------------------------------


def _docker_rename(arguments: dict[str, Any], ghost_of: str | None) -> None:
    if "name" in arguments:
        arguments["name"] = _suffixed("docker_container", "name", arguments["name"])
    if ghost_of is not None:
        labels = [label for label in arguments.get("labels", []) if label["label"] != GHOST_OF_TAG]
        arguments["labels"] = [*labels, {"label": GHOST_OF_TAG, "value": ghost_of}]


def _docker_switch(name: str, arguments: dict[str, Any], running: bool) -> dict[str, Any]:
    return _resource("docker_container", name, {**arguments, "start": running, "must_run": running})


DOCKER_CONTAINER = Adapter(
    type="docker_container",
    allowed={
        "name": None,
        "image": None,
        "command": None,
        "entrypoint": None,
        "env": None,
        "working_dir": None,
        "user": None,
        "restart": None,
        "max_retry_count": None,
        "privileged": None,
        "memory": None,
        "cpu_shares": None,
        "network_mode": None,
        "log_driver": None,
        "log_opts": None,
        "ports": {"internal": None, "external": None, "ip": None, "protocol": None},
        "volumes": {
            "container_path": None,
            "host_path": None,
            "volume_name": None,
            "read_only": None,
            "from_container": None,
        },
        "labels": {"label": None, "value": None},
        # Not aliases or ipv4_address: they would take the original's place on the network.
        "networks_advanced": {"name": None},
        "healthcheck": {
            "test": None,
            "interval": None,
            "timeout": None,
            "start_period": None,
            "retries": None,
        },
    },
    computed=frozenset(
        {
            "id",
            "bridge",
            "container_logs",
            "exit_code",
            "gateway",
            "ip_address",
            "ip_prefix_length",
            "network_data",
        }
    ),
    refuse=_nothing_to_refuse,
    rename=_docker_rename,
    switch=_docker_switch,
)


ADAPTERS: Mapping[str, Adapter] = {
    adapter.type: adapter
    for adapter in (
        LOCALCLOUD_INSTANCE,
        AWS_INSTANCE,
        GOOGLE_COMPUTE_INSTANCE,
        AZURERM_LINUX_VIRTUAL_MACHINE,
        KUBERNETES_DEPLOYMENT,
        DOCKER_CONTAINER,
    )
}


def adapter_for(type_: str) -> Adapter:
    """The adapter for resource type ``type_``; :class:`GhostError` when there is none."""
    adapter = ADAPTERS.get(type_)
    if adapter is None:
        raise GhostError(
            f"no ghost adapter for {type_} (supported: {', '.join(sorted(ADAPTERS))})",
            "declare a ghost only for a resource of a supported type",
        )
    return adapter
