"""Make the `localcloud` provider available to Terraform without any registry.

Terraform finds the provider in a *filesystem mirror* named by a CLI configuration file::

    from pathlib import Path
    from tfshadow.localcloud import install

    rc = install.cli_config(install.mirror(Path(".tfshadow-mirror")), Path("localcloud.tfrc"))

then, in the shell that runs Terraform (or tfshadow)::

    export TF_CLI_CONFIG_FILE=$PWD/localcloud.tfrc
    # HOME must be writable: the provider keeps its TLS certificate under ~/.cache

and in the configuration::

    terraform {
      required_providers {
        localcloud = { source = "local/tfshadow/localcloud" }
      }
    }

`terraform init` then installs the provider from the mirror and records it in the lock file.
By default the CLI configuration names no other installation method, so Terraform never contacts
a registry; `allow_registry=True` lets it install every other provider from its registry as usual.
"""

from __future__ import annotations

import json
import platform
import stat
import sys
from pathlib import Path

import tfshadow

SOURCE = "local/tfshadow/localcloud"
VERSION = "0.1.0"
EXECUTABLE = f"terraform-provider-localcloud_v{VERSION}"

_ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def target() -> str:
    """Terraform's name for this platform, such as `linux_amd64`."""
    machine = platform.machine().lower()
    return f"{sys.platform.removesuffix('2')}_{_ARCHES.get(machine, machine)}"


def mirror(dir: Path) -> Path:
    """Write the provider into the filesystem mirror `dir` and return `dir`.

    The executable runs the provider with this Python interpreter and this copy of tfshadow.
    """
    platform_dir = dir / SOURCE / VERSION / target()
    platform_dir.mkdir(parents=True, exist_ok=True)
    package_root = Path(tfshadow.__file__).resolve().parent.parent
    executable = platform_dir / EXECUTABLE
    executable.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        f"sys.path.insert(0, {str(package_root)!r})\n"
        "from tfshadow.localcloud.__main__ import main\n"
        "main()\n"
    )
    executable.chmod(executable.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return dir


def cli_config(mirror_dir: Path, path: Path, *, allow_registry: bool = False) -> Path:
    """Write a Terraform CLI configuration that installs `localcloud` from `mirror_dir`."""
    source = json.dumps(SOURCE)
    text = (
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {json.dumps(str(mirror_dir.absolute()))}\n"
        f"    include = [{source}]\n"
        "  }\n"
    )
    if allow_registry:
        text += f"  direct {{\n    exclude = [{source}]\n  }}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "}\n")
    return path
