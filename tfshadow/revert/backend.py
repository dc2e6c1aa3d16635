"""The backend a revert plans against: the working directory's, whatever version N declared.

A revert changes the infrastructure the working directory manages now, through the state it
keeps now. When the backend moved since version N (another bucket or key, a migration to a
remote backend), N's own ``backend`` block would make Terraform refuse the scratch copy
("Backend initialization required") or, initialised, point it at the old state. So when the two
differ, the scratch gets the working directory's backend (or ``cloud``) block as an override
file, which Terraform lets replace the one of the version's files
(https://developer.hashicorp.com/terraform/language/files/override).

Only literal settings can be carried over, which is all Terraform accepts in a backend block.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from tfshadow.settings import hcl

OVERRIDE_NAME = "tfshadow_backend_override.tf.json"
_KINDS = ("backend", "cloud")
# Indexed by "is JSON": a native-syntax block opens with `terraform {`, a JSON one is a key.
_TERRAFORM_BLOCK = {False: re.compile(rb"\bterraform\s*\{"), True: re.compile(rb'"terraform"')}


class _Unreadable(Exception):
    """A backend setting that is not a literal, or a file that does not parse."""


def backend_override(
    version_files: Mapping[str, bytes], current_files: Mapping[str, bytes]
) -> bytes | None:
    """An override file giving the scratch the working directory's backend, or None when the
    version declares the same one (or either side cannot be read: Terraform then reports it)."""
    declared = _declared_pair(version_files, current_files)
    if declared is None:
        return None
    version, current = declared
    if current is None or current == version:
        return None
    return (json.dumps({"terraform": current}, indent=2, sort_keys=True) + "\n").encode()


def backend_differs(version_files: Mapping[str, bytes], current_files: Mapping[str, bytes]) -> bool:
    """Whether the version's files declare another backend than the working directory's
    (False when either side cannot be read)."""
    declared = _declared_pair(version_files, current_files)
    return declared is not None and declared[0] != declared[1]


_Declared = dict[str, Any] | None


def _declared_pair(
    version_files: Mapping[str, bytes], current_files: Mapping[str, bytes]
) -> tuple[_Declared, _Declared] | None:
    """The backends the version's and the current files declare; None when the same files
    declare it (nothing to parse: HCL's parser alone takes ~0.1 s to load) or when either side
    cannot be read."""
    version_blocks = _with_terraform_blocks(version_files)
    current_blocks = _with_terraform_blocks(current_files)
    if version_blocks == current_blocks:
        return None
    try:
        return declared_backend(version_blocks), declared_backend(current_blocks)
    except _Unreadable:
        return None


def _with_terraform_blocks(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The root module's files that may hold a ``terraform`` block: only they can declare a
    backend. A file is kept on a mere mention (in a comment, a string): it is parsed then."""
    return {
        key: data
        for key, data in files.items()
        if "/" not in key and _TERRAFORM_BLOCK[key.endswith(".json")].search(data)
    }


def declared_backend(files: Mapping[str, bytes]) -> dict[str, Any] | None:
    """``{"backend": {"s3": {…}}}`` or ``{"cloud": {…}}`` as the root module's files declare
    it, override files last (their backend replaces the others'), or None when none does."""
    found: dict[str, Any] | None = None
    root = [key for key in files if "/" not in key]
    primary = sorted(key for key in root if not _is_override(key))
    overrides = sorted(key for key in root if _is_override(key))
    for key in [*primary, *overrides]:
        for declared in _declared_in(key, files[key]):
            found = declared
    return found


def _is_override(name: str) -> bool:
    stem = name.removesuffix(".json").removesuffix(".tf")
    return stem == "override" or stem.endswith("_override")


def _declared_in(name: str, data: bytes) -> list[dict[str, Any]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Unreadable from None
    if name.endswith(".tf.json"):
        return _from_json(text)
    if name.endswith(".tf"):
        return _from_hcl(text)
    return []


def _from_json(text: str) -> list[dict[str, Any]]:
    try:
        doc = json.loads(text)
    except ValueError:
        raise _Unreadable from None
    blocks = doc.get("terraform") if isinstance(doc, dict) else None
    found: list[dict[str, Any]] = []
    for block in blocks if isinstance(blocks, list) else [blocks]:
        if not isinstance(block, dict):
            continue
        for kind in _KINDS:
            if kind in block:
                found.append({kind: block[kind]})
    return found


def _from_hcl(text: str) -> list[dict[str, Any]]:
    try:
        body = hcl.parse(text)
    except hcl.HclSyntaxError:
        raise _Unreadable from None
    found: list[dict[str, Any]] = []
    for terraform in body.blocks_of("terraform"):
        for block in terraform.body.blocks:
            if block.type == "backend" and len(block.labels) == 1:
                found.append({"backend": {block.labels[0]: _literal_body(block.body)}})
            elif block.type == "cloud" and not block.labels:
                found.append({"cloud": _literal_body(block.body)})
    return found


def _literal_body(body: hcl.Body) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for entry in body.attributes:
        if entry.name is None or not entry.value.is_literal:
            raise _Unreadable
        doc[entry.name] = entry.value.literal
    for block in body.blocks:
        if block.labels:
            raise _Unreadable
        doc[block.type] = _literal_body(block.body)
    return doc
