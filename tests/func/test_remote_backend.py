"""A remote backend end to end: Terraform's own `s3` backend against a real S3 API.

The state never touches the working directory: tfshadow reads it with `state pull`, the revert's
scratch copy talks to the same bucket and key, and a state-only revert pushes to it. The S3 API
is moto's standalone server on loopback (tests/unit/mirror/s3server.py), which Terraform's
backend reaches through its `endpoints` setting.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.func.conftest import FIXTURES, Tfshadow, git_history_text
from tests.unit.mirror.s3server import AWS_ENV, client, new_bucket

pytestmark = pytest.mark.usefixtures("aws_credentials")

APPLY = ("apply", "-auto-approve", "-no-color")
KEY = "prod/terraform.tfstate"


def backend(bucket: str, endpoint: str) -> str:
    return (
        "terraform {\n"
        '  backend "s3" {\n'
        f'    bucket                      = "{bucket}"\n'
        f'    key                         = "{KEY}"\n'
        '    region                      = "us-east-1"\n'
        f'    endpoints                   = {{ s3 = "{endpoint}" }}\n'
        "    use_path_style              = true\n"
        "    use_lockfile                = true\n"
        "    skip_credentials_validation = true\n"
        "    skip_requesting_account_id  = true\n"
        "    skip_metadata_api_check     = true\n"
        "    skip_region_validation      = true\n"
        "  }\n"
        "}\n"
    )


def remote_state(endpoint: str, bucket: str, workspace: str = "default") -> dict[str, Any]:
    key = KEY if workspace == "default" else f"env:/{workspace}/{KEY}"
    body = client(endpoint).get_object(Bucket=bucket, Key=key)["Body"].read()
    state: dict[str, Any] = json.loads(body)
    return state


def inputs(state: dict[str, Any]) -> dict[str, Any]:
    """Each resource instance's `input`, by address: what the fixture's versions differ in."""
    found = {}
    for res in state["resources"]:
        prefix = f"{res['module']}." if "module" in res else ""
        for inst in res["instances"]:
            found[f"{prefix}{res['type']}.{res['name']}"] = inst["attributes"]["input"]
    return found


def copy_version(name: str, path: Path) -> None:
    for item in (FIXTURES / "revert" / name).iterdir():
        target = path / item.name
        if item.is_dir():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(item, target)
        else:
            shutil.copy2(item, target)


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    return new_bucket(s3_endpoint, object_lock=False)


@pytest.fixture
def work(tmp_path: Path, tfshadow: Tfshadow, s3_endpoint: str, bucket: str) -> Path:
    """Version 1's configuration, its state in the bucket, initialised."""
    path = tmp_path / "infra"
    path.mkdir()
    copy_version("v1", path)
    (path / "backend.tf").write_text(backend(bucket, s3_endpoint))
    init = tfshadow("init", "-no-color", cwd=path)
    assert init.code == 0, init.err
    return path


def test_s3_backend_apply_revert_state_only_and_workspaces(
    work: Path, tfshadow: Tfshadow, s3_endpoint: str, bucket: str
) -> None:
    assert tfshadow(*APPLY, cwd=work).code == 0
    state_1 = remote_state(s3_endpoint, bucket)
    copy_version("v2", work)
    second = tfshadow(*APPLY, "-var", "size=large", cwd=work)
    assert second.code == 0, second.err
    assert "recorded version 2" in second.err
    assert not (work / "terraform.tfstate").exists()  # the state lives in the bucket only

    reverted = tfshadow("revert", "1", "--auto-approve", "--no-color", cwd=work)
    assert reverted.code == 0, reverted.err
    assert "State now equals version 1" in reverted.out + reverted.err
    after = remote_state(s3_endpoint, bucket)
    assert inputs(after) == inputs(state_1)
    assert after["lineage"] == state_1["lineage"]

    # Terraform's record only, back to version 2, pushed to the same object.
    serial = after["serial"]
    pushed = tfshadow("revert", "2", "--state-only", "--auto-approve", "--no-color", cwd=work)
    assert pushed.code == 0, pushed.err
    state_only = remote_state(s3_endpoint, bucket)
    # tfshadow pushes serial + 1; a remote backend counts its own write on top of that.
    assert state_only["serial"] > serial
    assert state_only["lineage"] == state_1["lineage"]
    assert "terraform_data.added_in_v2" in inputs(state_only)
    assert "terraform_data.only_v1" not in inputs(state_only)

    log = tfshadow("log", "--json", cwd=work).json()["versions"]
    assert [(v["version"], v["kind"]) for v in log] == [
        (4, "revert"),
        (3, "revert"),
        (2, "apply"),
        (1, "apply"),
    ]

    # A second workspace is a second history; the default one is left as it was.
    assert tfshadow("workspace", "new", "staging", "-no-color", cwd=work).code == 0
    staged = tfshadow(*APPLY, cwd=work)
    assert staged.code == 0, staged.err
    assert "recorded version 1" in staged.err
    assert set(inputs(remote_state(s3_endpoint, bucket, "staging"))) == set(inputs(state_only))
    staging_log = tfshadow("log", "--json", cwd=work).json()["versions"]
    assert [v["version"] for v in staging_log] == [1]
    assert tfshadow("workspace", "select", "default", "-no-color", cwd=work).code == 0
    assert len(tfshadow("log", "--json", cwd=work).json()["versions"]) == 4

    assert AWS_ENV["AWS_SECRET_ACCESS_KEY"] not in git_history_text(work / ".tfshadow")


def test_revert_after_the_backend_moved_acts_on_the_state_where_it_is_now(
    work: Path, tfshadow: Tfshadow, s3_endpoint: str, bucket: str
) -> None:
    assert tfshadow(*APPLY, cwd=work).code == 0
    state_1 = remote_state(s3_endpoint, bucket)

    # The state moves to another key; version 2 is applied there.
    moved_key = "prod-eu/terraform.tfstate"
    (work / "backend.tf").write_text(backend(bucket, s3_endpoint).replace(KEY, moved_key))
    migrated = tfshadow("init", "-migrate-state", "-force-copy", "-no-color", cwd=work)
    assert migrated.code == 0, migrated.err
    copy_version("v2", work)
    assert tfshadow(*APPLY, cwd=work).code == 0

    # Version 1's files name the old key: the revert still plans and applies at the new one.
    reverted = tfshadow("revert", "1", "--auto-approve", "--no-color", cwd=work)
    assert reverted.code == 0, reverted.err
    now = json.loads(client(s3_endpoint).get_object(Bucket=bucket, Key=moved_key)["Body"].read())
    assert inputs(now) == inputs(state_1)
    assert remote_state(s3_endpoint, bucket)["serial"] == state_1["serial"]  # old key untouched
    assert not list((work / ".terraform").glob("**/tfshadow_backend_override*"))
    assert not (work / "tfshadow_backend_override.tf.json").exists()

    # Writing version 1's files back brings its backend block too: the user is told.
    checkout = tfshadow("checkout", "1", "--no-color", cwd=work)
    assert checkout.code == 0, checkout.err
    assert "declare another backend than this directory used" in checkout.out
    assert KEY in (work / "backend.tf").read_text()
    again = tfshadow("checkout", "1", "--json", cwd=work)
    assert again.json()["backend_changed"] is False  # nothing written this time
