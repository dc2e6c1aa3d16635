"""The README's `tfshadow.hcl` examples are HCL as Terraform reads it, not only as tfshadow's
more lenient parser does: copied into a file an editor or `terraform fmt` reads, they must
parse."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tfshadow.runner import embedded_engine

README = Path(__file__).parents[2] / "README.md"
_HCL_BLOCK = re.compile(r"```hcl\n(.*?)```", re.DOTALL)


def _examples() -> list[str]:
    return _HCL_BLOCK.findall(README.read_text(encoding="utf-8"))


def test_the_readme_has_hcl_examples() -> None:
    assert len(_examples()) >= 3


@pytest.mark.parametrize("index", range(len(_examples())))
def test_each_readme_hcl_example_is_valid_hcl_for_terraform(
    index: int, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    example = _examples()[index]
    # `terraform fmt` parses the file and exits 2 on a syntax error; it checks no schema.
    (tmp_path / "example.tf").write_text(example, encoding="utf-8")
    code = embedded_engine().run(
        ["fmt", "-no-color", "-list=false", "example.tf"], cwd=tmp_path, environ=dict(os.environ)
    )
    _, err = capfd.readouterr()
    assert code == 0, f"{example.splitlines()[0]} …: {err}"
