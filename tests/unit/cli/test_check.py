"""`tfshadow check` (tfshadow/cli/check.py) run through click, output piped as in CI."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tfshadow.cli.commands import CliContext
from tfshadow.cli.main import command_group
from tfshadow.store import GitShadowStore, StoreConfig

# Long enough that its warning is far wider than the 80 columns rich gives piped output.
ADDRESS = 'module.platform.module.frontend.aws_instance.web_server_with_a_long_name["eu-west-1a"]'

PROFILE = """
profile "cpu" {
  resource_types = ["aws_instance"]
  trigger {
    metric = "cpu"
    above  = 80
    for    = "2m"
  }
  action = "recommend"
}
"""


def _workdir_with_one_version(root: Path) -> Path:
    (root / "tfshadow.hcl").write_text(PROFILE)
    state = {
        "format": 1,
        "version": 4,
        "terraform_version": "1.15.5",
        "serial": 1,
        "lineage": "7f1d3c2e-0000-4000-8000-000000000001",
        "outputs": {},
        "resources": {
            ADDRESS: {
                "module": "module.platform.module.frontend",
                "mode": "managed",
                "type": "aws_instance",
                "name": "web_server_with_a_long_name",
                "each": "map",
                "index_key": "eu-west-1a",
                "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                "schema_version": 1,
                "attributes": {"id": "i-0123"},
                "sensitive_attributes": [],
            }
        },
    }
    store = GitShadowStore.open(StoreConfig(workdir=root), create=True)
    store.record(
        "default",
        {"author": {"name": "Ann", "email": "ann@example.com"}, "description": "first"},
        state,
        {"format": 1, "files": {}, "variables": {}},
    )
    return root


def test_check_warning_stays_on_one_line_when_piped(tmp_path: Path) -> None:
    workdir = _workdir_with_one_version(tmp_path)
    result = CliRunner().invoke(
        command_group("check"),
        ["check", "--no-color"],
        obj=CliContext(workdir=workdir, terraform_bin=None, lock_timeout=None),
        standalone_mode=False,
    )
    assert result.exception is None, result.output
    warnings = [line for line in result.output.splitlines() if "warning" in line]
    assert warnings == [
        f"warning: {ADDRESS}: no resource_metrics block gives it metrics, so its profile "
        "trigger on cpu cannot be judged"
    ]
