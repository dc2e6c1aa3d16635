"""The scratch copy keeps the working directory's backend (tfshadow/revert/backend.py)."""

from __future__ import annotations

import json

import pytest

from tfshadow.revert.backend import backend_override, declared_backend

S3_PROD = b"""
terraform {
  required_version = ">= 1.5"
  backend "s3" {
    bucket    = "state"
    key       = "prod/terraform.tfstate"
    endpoints = { s3 = "http://127.0.0.1:9000" }
    assume_role {
      role_arn = "arn:aws:iam::1:role/tf"
    }
  }
}
"""
S3_MOVED = S3_PROD.replace(b"prod/terraform", b"prod-eu/terraform")
MAIN = b'resource "terraform_data" "a" {}\n'


def test_backend_declared_in_hcl_with_nested_blocks() -> None:
    assert declared_backend({"backend.tf": S3_PROD, "main.tf": MAIN}) == {
        "backend": {
            "s3": {
                "bucket": "state",
                "key": "prod/terraform.tfstate",
                "endpoints": {"s3": "http://127.0.0.1:9000"},
                "assume_role": {"role_arn": "arn:aws:iam::1:role/tf"},
            }
        }
    }


def test_backend_declared_in_json_and_cloud_blocks() -> None:
    doc = {"terraform": {"backend": {"local": {"path": "states/prod.tfstate"}}}}
    assert declared_backend({"main.tf.json": json.dumps(doc).encode()}) == doc["terraform"]
    cloud = b"""
terraform {
  cloud {
    organization = "acme"
    workspaces {
      name = "web"
    }
  }
}
"""
    assert declared_backend({"main.tf": cloud}) == {
        "cloud": {"organization": "acme", "workspaces": {"name": "web"}}
    }


def test_backend_of_an_override_file_wins_and_modules_do_not_count() -> None:
    override = S3_MOVED.replace(b'required_version = ">= 1.5"', b"")
    files = {"override.tf": override, "backend.tf": S3_PROD, "modules/x/main.tf": S3_MOVED}
    assert declared_backend(files)["backend"]["s3"]["key"] == "prod-eu/terraform.tfstate"  # type: ignore[index]
    assert declared_backend({"main.tf": MAIN, "modules/x/main.tf": S3_PROD}) is None


def test_backend_override_only_when_the_backend_moved() -> None:
    assert backend_override({"backend.tf": S3_PROD}, {"backend.tf": S3_PROD}) is None
    # Written differently, declared the same: no override.
    same_json = json.dumps({"terraform": declared_backend({"b.tf": S3_PROD})}).encode()
    assert backend_override({"b.tf.json": same_json}, {"backend.tf": S3_PROD}) is None
    moved = backend_override({"backend.tf": S3_PROD, "main.tf": MAIN}, {"backend.tf": S3_MOVED})
    assert moved is not None
    assert json.loads(moved)["terraform"]["backend"]["s3"]["key"] == "prod-eu/terraform.tfstate"
    # The version had no backend block (the local one); the directory has one now.
    assert backend_override({"main.tf": MAIN}, {"backend.tf": S3_MOVED}) is not None


def test_backend_override_not_made_from_what_cannot_be_read() -> None:
    # No backend here now: an override cannot say "none", so Terraform decides as it would.
    assert backend_override({"backend.tf": S3_PROD}, {"main.tf": MAIN}) is None
    reference = S3_MOVED.replace(b'"state"', b"var.bucket")
    assert backend_override({"backend.tf": S3_PROD}, {"backend.tf": reference}) is None
    assert backend_override({"backend.tf": S3_PROD}, {"backend.tf": b"terraform {"}) is None


def test_files_that_cannot_declare_a_backend_are_not_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tfshadow.settings import hcl

    as_json = json.dumps({"terraform": declared_backend({"b.tf": S3_MOVED})}).encode()

    def refuse(text: str) -> None:
        raise AssertionError(f"parsed: {text[:40]!r}")

    monkeypatch.setattr(hcl, "parse", refuse)
    # The same `terraform` blocks on both sides, whatever else changed: nothing to parse.
    changed = MAIN.replace(b'"a"', b'"b"')
    assert (
        backend_override(
            {"backend.tf": S3_PROD, "main.tf": MAIN}, {"backend.tf": S3_PROD, "main.tf": changed}
        )
        is None
    )
    assert backend_override({"main.tf": MAIN}, {"main.tf": changed, "web.tf": MAIN}) is None
    # A JSON file is read as JSON; only a native-syntax file with a block would be parsed.
    assert backend_override({"main.tf": MAIN}, {"b.tf.json": as_json}) is not None
