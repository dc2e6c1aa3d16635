"""A store a newer tfshadow wrote (a higher format number) is refused by every command, before
Terraform runs; the store and the state are left as they were."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tfshadow.store.layout import MARKER, STORE_FORMAT

from .conftest import Tfshadow


def test_a_store_of_a_newer_format_is_refused_before_terraform_runs(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    store = workdir / ".tfshadow"
    marker = store / MARKER
    marker.chmod(0o644)
    marker.write_text(json.dumps({"format": STORE_FORMAT + 1, "kind": "tfshadow shadow store"}))
    marker.chmod(0o444)
    git = ["git", "-C", str(store), "-c", "user.name=N", "-c", "user.email=n@example.com"]
    subprocess.run([*git, "commit", "-q", "-am", "newer"], check=True)
    tip = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True).stdout
    state = (workdir / "terraform.tfstate").read_bytes()

    for command in (
        ("apply", "-auto-approve", "-no-color", "-var", "size=large"),
        ("log",),
        ("store", "check"),
        ("revert", "1", "--auto-approve", "-no-color"),
    ):
        result = tfshadow(*command, cwd=workdir)
        assert result.code == 2, (command, result.err)
        assert f"was written by a newer tfshadow (store format {STORE_FORMAT + 1}" in result.err
        assert "upgrade tfshadow" in result.err
        assert len(result.err.strip().splitlines()) == 1, result.err

    assert (workdir / "terraform.tfstate").read_bytes() == state
    assert subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True).stdout == tip
