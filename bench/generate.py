"""Realistic Terraform state v4 documents for benchmarks and tests.

``generate_state(n, seed)`` builds a state of ``n`` resource instances shaped like an AWS estate
(instances, security groups with nested rules, S3 buckets with tags, databases with a password
and ``sensitive_attributes``, IAM roles with JSON policies, DNS records), spread over the root
module and nested modules, with ``count`` and ``for_each`` keys, and outputs including a
sensitive one. Instances average about 2.5 KB of JSON, like real states.

``churn(state, fraction, seed)`` returns the next state after a typical apply: about
``fraction`` of the instances changed, added or removed, and ``serial`` incremented. The input
is left untouched and unchanged instances are shared, not copied.

Plain Python, deterministic for a given seed. Run as a script to write a state file::

    python bench/generate.py 10000 --seed 1 > state.json
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import uuid
from collections.abc import Callable
from typing import Any

REGION = "eu-west-1"
ACCOUNT = "123456789012"
AWS = 'provider["registry.terraform.io/hashicorp/aws"]'

# (type, relative weight). The mix is roughly what a mid-sized AWS estate looks like.
_MIX: list[tuple[str, int]] = [
    ("aws_instance", 22),
    ("aws_security_group", 14),
    ("aws_s3_bucket", 12),
    ("aws_db_instance", 6),
    ("aws_iam_role", 12),
    ("aws_route53_record", 20),
    ("aws_subnet", 14),
]
_MODULES = [
    "",
    "module.network",
    "module.app",
    'module.app["eu"]',
    'module.app["us"]',
    "module.data.module.storage",
    'module.platform["prod"].module.workers',
]
_INSTANCE_TYPES = ["t3.micro", "t3.small", "t3.medium", "m5.large", "m5.xlarge", "c5.2xlarge"]
_ENVS = ["prod", "staging", "dev"]
_TEAMS = ["payments", "search", "platform", "identity", "growth"]


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ip(rng: random.Random) -> str:
    return f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _tags(rng: random.Random, name: str) -> dict[str, str]:
    tags = {
        "Name": name,
        "Environment": rng.choice(_ENVS),
        "Team": rng.choice(_TEAMS),
        "ManagedBy": "terraform",
    }
    if rng.random() < 0.5:
        tags["CostCenter"] = f"cc-{rng.randrange(1000, 9999)}"
    return tags


def _aws_instance(rng: random.Random, name: str) -> tuple[dict[str, Any], list[Any]]:
    iid = f"i-0{_hex(rng, 16)}"
    ip = _ip(rng)
    tags = _tags(rng, name)
    attrs: dict[str, Any] = {
        "ami": f"ami-0{_hex(rng, 16)}",
        "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{iid}",
        "associate_public_ip_address": False,
        "availability_zone": f"{REGION}{rng.choice('abc')}",
        "capacity_reservation_specification": [
            {"capacity_reservation_preference": "open", "capacity_reservation_target": []}
        ],
        "cpu_core_count": rng.choice([1, 2, 4]),
        "cpu_options": [{"amd_sev_snp": "", "core_count": 1, "threads_per_core": 2}],
        "cpu_threads_per_core": 2,
        "credit_specification": [{"cpu_credits": "unlimited"}],
        "disable_api_stop": False,
        "disable_api_termination": False,
        "ebs_block_device": [],
        "ebs_optimized": False,
        "enclave_options": [{"enabled": False}],
        "ephemeral_block_device": [],
        "get_password_data": False,
        "hibernation": False,
        "host_id": "",
        "host_resource_group_arn": None,
        "iam_instance_profile": f"{name}-profile",
        "id": iid,
        "instance_initiated_shutdown_behavior": "stop",
        "instance_lifecycle": "",
        "instance_market_options": [],
        "instance_state": "running",
        "instance_type": rng.choice(_INSTANCE_TYPES),
        "ipv6_address_count": 0,
        "ipv6_addresses": [],
        "key_name": f"deploy-{rng.choice(_ENVS)}",
        "launch_template": [],
        "maintenance_options": [{"auto_recovery": "default"}],
        "metadata_options": [
            {
                "http_endpoint": "enabled",
                "http_protocol_ipv6": "disabled",
                "http_put_response_hop_limit": 2,
                "http_tokens": "required",
                "instance_metadata_tags": "disabled",
            }
        ],
        "monitoring": rng.random() < 0.5,
        "network_interface": [],
        "outpost_arn": "",
        "password_data": "",
        "placement_group": "",
        "placement_partition_number": 0,
        "primary_network_interface_id": f"eni-0{_hex(rng, 16)}",
        "private_dns": f"ip-{ip.replace('.', '-')}.{REGION}.compute.internal",
        "private_dns_name_options": [
            {
                "enable_resource_name_dns_a_record": False,
                "enable_resource_name_dns_aaaa_record": False,
                "hostname_type": "ip-name",
            }
        ],
        "private_ip": ip,
        "public_dns": "",
        "public_ip": "",
        "root_block_device": [
            {
                "delete_on_termination": True,
                "device_name": "/dev/xvda",
                "encrypted": True,
                "iops": 3000,
                "kms_key_id": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{_uuid(rng)}",
                "tags": {},
                "tags_all": {},
                "throughput": 125,
                "volume_id": f"vol-0{_hex(rng, 16)}",
                "volume_size": rng.choice([8, 20, 50, 100]),
                "volume_type": "gp3",
            }
        ],
        "secondary_private_ips": [],
        "security_groups": [],
        "source_dest_check": True,
        "spot_instance_request_id": "",
        "subnet_id": f"subnet-0{_hex(rng, 16)}",
        "tags": tags,
        "tags_all": dict(tags),
        "tenancy": "default",
        "timeouts": None,
        "user_data": _hex(rng, 40),
        "user_data_base64": None,
        "user_data_replace_on_change": False,
        "volume_tags": None,
        "vpc_security_group_ids": [f"sg-0{_hex(rng, 16)}" for _ in range(rng.randint(1, 3))],
    }
    return attrs, []


def _rule(rng: random.Random, egress: bool) -> dict[str, Any]:
    port = rng.choice([22, 80, 443, 5432, 6379, 8080, 9090])
    return {
        "cidr_blocks": ["0.0.0.0/0"] if egress else [f"10.{rng.randrange(256)}.0.0/16"],
        "description": "all outbound" if egress else f"allow {port}",
        "from_port": 0 if egress else port,
        "ipv6_cidr_blocks": [],
        "prefix_list_ids": [],
        "protocol": "-1" if egress else "tcp",
        "security_groups": [] if rng.random() < 0.7 else [f"sg-0{_hex(rng, 16)}"],
        "self": False,
        "to_port": 0 if egress else port,
    }


def _aws_security_group(rng: random.Random, name: str) -> tuple[dict[str, Any], list[Any]]:
    sid = f"sg-0{_hex(rng, 16)}"
    tags = _tags(rng, name)
    return {
        "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{sid}",
        "description": f"Security group for {name}",
        "egress": [_rule(rng, True)],
        "id": sid,
        "ingress": [_rule(rng, False) for _ in range(rng.randint(1, 4))],
        "name": name,
        "name_prefix": "",
        "owner_id": ACCOUNT,
        "revoke_rules_on_delete": False,
        "tags": tags,
        "tags_all": dict(tags),
        "timeouts": None,
        "vpc_id": f"vpc-0{_hex(rng, 16)}",
    }, []


def _aws_s3_bucket(rng: random.Random, name: str) -> tuple[dict[str, Any], list[Any]]:
    bucket = f"{name.replace('_', '-')}-{_hex(rng, 8)}"
    tags = _tags(rng, bucket)
    return {
        "acceleration_status": "",
        "acl": None,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucket": bucket,
        "bucket_domain_name": f"{bucket}.s3.amazonaws.com",
        "bucket_prefix": "",
        "bucket_regional_domain_name": f"{bucket}.s3.{REGION}.amazonaws.com",
        "cors_rule": [],
        "force_destroy": False,
        "grant": [
            {
                "id": _hex(rng, 64),
                "permissions": ["FULL_CONTROL"],
                "type": "CanonicalUser",
                "uri": "",
            }
        ],
        "hosted_zone_id": "Z1BKCTXD74EZPE",
        "id": bucket,
        "lifecycle_rule": [],
        "logging": [],
        "object_lock_configuration": [],
        "object_lock_enabled": False,
        "policy": "",
        "region": REGION,
        "replication_configuration": [],
        "request_payer": "BucketOwner",
        "server_side_encryption_configuration": [
            {
                "rule": [
                    {
                        "apply_server_side_encryption_by_default": [
                            {"kms_master_key_id": "", "sse_algorithm": "AES256"}
                        ],
                        "bucket_key_enabled": False,
                    }
                ]
            }
        ],
        "tags": tags,
        "tags_all": dict(tags),
        "timeouts": None,
        "versioning": [{"enabled": rng.random() < 0.6, "mfa_delete": False}],
        "website": [],
        "website_domain": None,
        "website_endpoint": None,
    }, []


def _aws_db_instance(rng: random.Random, name: str) -> tuple[dict[str, Any], list[Any]]:
    ident = name.replace("_", "-")
    tags = _tags(rng, ident)
    engine = rng.choice(["postgres", "mysql"])
    attrs = {
        "address": f"{ident}.c{_hex(rng, 10)}.{REGION}.rds.amazonaws.com",
        "allocated_storage": rng.choice([20, 100, 500]),
        "allow_major_version_upgrade": None,
        "apply_immediately": False,
        "arn": f"arn:aws:rds:{REGION}:{ACCOUNT}:db:{ident}",
        "auto_minor_version_upgrade": True,
        "availability_zone": f"{REGION}a",
        "backup_retention_period": 7,
        "backup_window": "03:00-04:00",
        "ca_cert_identifier": "rds-ca-rsa2048-g1",
        "copy_tags_to_snapshot": True,
        "db_name": "app",
        "db_subnet_group_name": f"{ident}-subnets",
        "deletion_protection": True,
        "endpoint": f"{ident}.c{_hex(rng, 10)}.{REGION}.rds.amazonaws.com:5432",
        "engine": engine,
        "engine_version": "16.3" if engine == "postgres" else "8.0.36",
        "hosted_zone_id": "Z29XKXDKYMONMX",
        "id": f"db-{_hex(rng, 26).upper()}",
        "identifier": ident,
        "instance_class": rng.choice(["db.t3.medium", "db.r6g.large"]),
        "iops": 0,
        "kms_key_id": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{_uuid(rng)}",
        "maintenance_window": "sun:05:00-sun:06:00",
        "master_user_secret": [],
        "multi_az": rng.random() < 0.5,
        "parameter_group_name": f"default.{engine}",
        "password": "".join(
            rng.choice("abcdefghijkmnpqrstuvwxyzABCDEFGH23456789") for _ in range(24)
        ),
        "port": 5432 if engine == "postgres" else 3306,
        "publicly_accessible": False,
        "status": "available",
        "storage_encrypted": True,
        "storage_type": "gp3",
        "tags": tags,
        "tags_all": dict(tags),
        "username": "app_admin",
        "vpc_security_group_ids": [f"sg-0{_hex(rng, 16)}"],
    }
    return attrs, [[{"type": "get_attr", "value": "password"}]]


def _aws_iam_role(rng: random.Random, name: str) -> tuple[dict[str, Any], list[Any]]:
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "sts:AssumeRole",
                    "Effect": "Allow",
                    "Principal": {
                        "Service": rng.choice(["ec2.amazonaws.com", "ecs.amazonaws.com"])
                    },
                }
            ],
        }
    )
    return {
        "arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "assume_role_policy": policy,
        "create_date": f"2024-03-0{rng.randint(1, 9)}T10:00:00Z",
        "description": f"Role for {name}",
        "force_detach_policies": False,
        "id": name,
        "inline_policy": [],
        "managed_policy_arns": [
            f"arn:aws:iam::aws:policy/{p}"
            for p in rng.sample(
                ["ReadOnlyAccess", "AmazonS3ReadOnlyAccess", "CloudWatchFullAccess"], 2
            )
        ],
        "max_session_duration": 3600,
        "name": name,
        "name_prefix": "",
        "path": "/",
        "permissions_boundary": "",
        "tags": _tags(rng, name),
        "tags_all": {},
        "unique_id": f"AROA{_hex(rng, 17).upper()}",
    }, []


def _aws_route53_record(rng: random.Random, name: str) -> tuple[dict[str, Any], list[Any]]:
    zone = f"Z0{_hex(rng, 12).upper()}"
    fqdn = f"{name.replace('_', '-')}.{rng.choice(_ENVS)}.example.com"
    return {
        "alias": [],
        "allow_overwrite": None,
        "cidr_routing_policy": [],
        "failover_routing_policy": [],
        "fqdn": fqdn,
        "geolocation_routing_policy": [],
        "health_check_id": "",
        "id": f"{zone}_{fqdn}_A",
        "latency_routing_policy": [],
        "multivalue_answer_routing_policy": False,
        "name": fqdn,
        "records": [_ip(rng) for _ in range(rng.randint(1, 2))],
        "set_identifier": "",
        "ttl": rng.choice([60, 300, 3600]),
        "type": "A",
        "weighted_routing_policy": [],
        "zone_id": zone,
    }, []


def _aws_subnet(rng: random.Random, name: str) -> tuple[dict[str, Any], list[Any]]:
    sid = f"subnet-0{_hex(rng, 16)}"
    tags = _tags(rng, name)
    return {
        "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{sid}",
        "assign_ipv6_address_on_creation": False,
        "availability_zone": f"{REGION}{rng.choice('abc')}",
        "availability_zone_id": f"euw1-az{rng.randint(1, 3)}",
        "cidr_block": f"10.{rng.randrange(256)}.{rng.randrange(256)}.0/24",
        "customer_owned_ipv4_pool": "",
        "enable_dns64": False,
        "enable_resource_name_dns_a_record_on_launch": False,
        "id": sid,
        "ipv6_cidr_block": "",
        "map_public_ip_on_launch": False,
        "owner_id": ACCOUNT,
        "private_dns_hostname_type_on_launch": "ip-name",
        "tags": tags,
        "tags_all": dict(tags),
        "timeouts": None,
        "vpc_id": f"vpc-0{_hex(rng, 16)}",
    }, []


_BUILDERS: dict[str, Callable[[random.Random, str], tuple[dict[str, Any], list[Any]]]] = {
    "aws_instance": _aws_instance,
    "aws_security_group": _aws_security_group,
    "aws_s3_bucket": _aws_s3_bucket,
    "aws_db_instance": _aws_db_instance,
    "aws_iam_role": _aws_iam_role,
    "aws_route53_record": _aws_route53_record,
    "aws_subnet": _aws_subnet,
}
_SCHEMA_VERSION = {"aws_instance": 1, "aws_db_instance": 2, "aws_route53_record": 2}


def _instance(rng: random.Random, rtype: str, name: str, key: int | str | None) -> dict[str, Any]:
    label = name if key is None else f"{name}-{key}"
    attrs, sensitive = _BUILDERS[rtype](rng, label)
    inst: dict[str, Any] = {}
    if key is not None:
        inst["index_key"] = key
    inst["schema_version"] = _SCHEMA_VERSION.get(rtype, 0)
    inst["attributes"] = attrs
    inst["sensitive_attributes"] = sensitive
    inst["identity_schema_version"] = 0
    # Terraform stores the provider's private data base64-encoded; timeouts are typical.
    inst["private"] = "eyJzY2hlbWFfdmVyc2lvbiI6IjEifQ=="
    if rng.random() < 0.6:
        inst["dependencies"] = sorted(
            f"aws_security_group.sg_{rng.randrange(50)}" for _ in range(rng.randint(1, 3))
        )
    return inst


def _sort_key(res: dict[str, Any]) -> tuple[str, str, str, str]:
    return (res.get("module", ""), res["mode"], res["type"], res["name"])


def _instance_sort_key(inst: dict[str, Any]) -> tuple[int, int, str]:
    key = inst.get("index_key")
    if key is None:
        return (0, 0, "")
    if isinstance(key, int):
        return (1, key, "")
    return (2, 0, str(key))


def generate_state(n_instances: int, seed: int = 0) -> dict[str, Any]:
    """A Terraform state v4 document with exactly ``n_instances`` resource instances."""
    rng = random.Random(seed)
    types = [t for t, _ in _MIX]
    weights = [w for _, w in _MIX]
    resources: dict[tuple[str, str, str], dict[str, Any]] = {}
    made = 0
    block = 0
    while made < n_instances:
        rtype = rng.choices(types, weights)[0]
        module = rng.choice(_MODULES)
        name = f"{rtype.removeprefix('aws_')}_{block}"
        block += 1
        res: dict[str, Any] = {}
        if module:
            res["module"] = module
        res.update(mode="managed", type=rtype, name=name, provider=AWS, instances=[])
        style = rng.random()
        room = n_instances - made
        keys: list[int | str | None]
        if style < 0.5 or room == 1:
            keys = [None]
        elif style < 0.8:
            keys = list(range(min(room, rng.randint(2, 6))))
        else:
            keys = [f"{rng.choice(_TEAMS)}-{i}" for i in range(min(room, rng.randint(2, 5)))]
        for key in keys:
            res["instances"].append(_instance(rng, rtype, name, key))
        res["instances"].sort(key=_instance_sort_key)
        resources[(module, rtype, name)] = res
        made += len(keys)
    db_passwords = [
        inst["attributes"]["password"]
        for res in resources.values()
        if res["type"] == "aws_db_instance"
        for inst in res["instances"]
    ]
    outputs: dict[str, Any] = {
        "vpc_id": {"value": f"vpc-0{_hex(rng, 16)}", "type": "string"},
        "instance_count": {"value": n_instances, "type": "number"},
        "endpoints": {
            "value": [f"svc-{i}.example.com" for i in range(3)],
            "type": ["list", "string"],
        },
        "db_password": {
            "value": db_passwords[0] if db_passwords else "none",
            "type": "string",
            "sensitive": True,
        },
    }
    return {
        "version": 4,
        "terraform_version": "1.15.5",
        "serial": 1,
        "lineage": _uuid(rng),
        "outputs": outputs,
        "resources": sorted(resources.values(), key=_sort_key),
        "check_results": None,
    }


def _modify(rng: random.Random, res_type: str, inst: dict[str, Any]) -> dict[str, Any]:
    new = copy.deepcopy(inst)
    attrs = new["attributes"]
    roll = rng.random()
    if "tags" in attrs and roll < 0.4:
        attrs["tags"]["Version"] = f"v{rng.randrange(100)}"
        if attrs.get("tags_all"):
            attrs["tags_all"]["Version"] = attrs["tags"]["Version"]
    elif res_type == "aws_instance":
        attrs["instance_type"] = rng.choice(_INSTANCE_TYPES)
    elif res_type == "aws_security_group":
        attrs["ingress"].append(_rule(rng, False))
    elif res_type == "aws_db_instance":
        attrs["password"] = "".join(rng.choice("abcdefgh2345678") for _ in range(24))
    elif res_type == "aws_route53_record":
        attrs["records"] = [_ip(rng)]
    elif res_type == "aws_s3_bucket":
        attrs["versioning"][0]["enabled"] = not attrs["versioning"][0]["enabled"]
    else:
        attrs["description" if "description" in attrs else "id"] = f"changed-{_hex(rng, 6)}"
    return new


def churn(state: dict[str, Any], fraction: float = 0.01, seed: int = 0) -> dict[str, Any]:
    """The state after a typical apply: ~``fraction`` of instances changed, added or removed.

    70% of the touched instances are modified in place, 15% are added (a new ``count`` index or
    ``for_each`` key, or a new resource), 15% are destroyed. ``serial`` goes up by one.
    """
    rng = random.Random(seed)
    resources = [dict(r, instances=list(r["instances"])) for r in state["resources"]]
    total = sum(len(r["instances"]) for r in resources)
    touches = max(1, round(total * fraction))
    for _ in range(touches):
        res = rng.choice(resources)
        roll = rng.random()
        insts = res["instances"]
        if roll < 0.70 and insts:
            i = rng.randrange(len(insts))
            insts[i] = _modify(rng, res["type"], insts[i])
        elif roll < 0.85:
            keys = [inst.get("index_key") for inst in insts]
            if keys and all(isinstance(k, int) for k in keys):
                key: int | str | None = max(k for k in keys if isinstance(k, int)) + 1
            elif keys and all(isinstance(k, str) for k in keys):
                key = f"{rng.choice(_TEAMS)}-new-{_hex(rng, 4)}"
            else:
                new_res = dict(res, name=f"{res['name']}_new_{_hex(rng, 4)}", instances=[])
                new_res["instances"].append(_instance(rng, res["type"], new_res["name"], None))
                resources.append(new_res)
                continue
            insts.append(_instance(rng, res["type"], res["name"], key))
            insts.sort(key=_instance_sort_key)
        elif len(insts) > 1:
            insts.pop(rng.randrange(len(insts)))
        elif insts:
            resources.remove(res)
    out = dict(state)
    out["serial"] = state["serial"] + 1
    out["resources"] = sorted(resources, key=_sort_key)
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("instances", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--churn", type=int, default=0, help="apply churn this many times")
    args = parser.parse_args(argv)
    state = generate_state(args.instances, args.seed)
    for i in range(args.churn):
        state = churn(state, seed=args.seed + i + 1)
    json.dump(state, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
