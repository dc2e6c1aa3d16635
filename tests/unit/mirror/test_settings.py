"""The store's `mirror "s3"` block in tfshadow.hcl: values, defaults and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfshadow.errors import SettingsError
from tfshadow.settings import load_settings
from tfshadow.settings.schema import MirrorSettings


def load(tmp_path: Path, text: str) -> MirrorSettings | None:
    (tmp_path / "tfshadow.hcl").write_text(text)
    return load_settings(tmp_path, {}).store.mirror


def error(tmp_path: Path, text: str) -> str:
    with pytest.raises(SettingsError) as raised:
        load(tmp_path, text)
    line = raised.value.one_line()
    assert "\n" not in line
    return line


def test_mirror_settings_read_with_defaults(tmp_path: Path) -> None:
    mirror = load(
        tmp_path,
        'store {\n  retain = 5\n  mirror "s3" {\n    bucket = "acme-tfshadow"\n'
        '    prefix = "/prod/network/"\n    endpoint = "https://s3.eu-west-1.amazonaws.com/"\n'
        "    object_lock = true\n  }\n}\n",
    )
    assert mirror == MirrorSettings(
        bucket="acme-tfshadow",
        prefix="prod/network",
        endpoint="https://s3.eu-west-1.amazonaws.com",
        object_lock=True,
        lock_mode="GOVERNANCE",
        lock_days=365,
    )
    assert load(tmp_path, "store {}\n") is None
    assert load(tmp_path, "") is None


def test_mirror_settings_lock_mode_and_days(tmp_path: Path) -> None:
    mirror = load(
        tmp_path,
        'store {\n  mirror "s3" {\n    bucket = "b-1.x"\n    object_lock = true\n'
        '    lock_mode = "COMPLIANCE"\n    retain = "30d"\n    region = "eu-west-1"\n  }\n}\n',
    )
    assert mirror is not None
    assert (mirror.lock_mode, mirror.lock_days, mirror.region) == ("COMPLIANCE", 30, "eu-west-1")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            'mirror "s3" {\n  prefix = "x"\n}',
            'tfshadow.hcl:2: block `mirror "s3"` of `store` needs setting `bucket`',
        ),
        (
            'mirror "s3" {\n  bucket = "b-1"\n  endpoint = "ftp://x"\n}',
            'tfshadow.hcl:4: setting `endpoint` in block `mirror "s3"` of `store` must be an '
            "http:// or https:// URL",
        ),
        (
            'mirror "s3" {\n  bucket = "b-1"\n  endpoint = "https://[h"\n}',
            'tfshadow.hcl:4: setting `endpoint` in block `mirror "s3"` of `store` must be an '
            "http:// or https:// URL, got one that cannot be read (Invalid IPv6 URL)",
        ),
        (
            'mirror "s3" {\n  bucket = "b-1"\n  endpoint = "https://AKIA:secret@h"\n}',
            "tfshadow.hcl:4: setting `endpoint`",
        ),
        (
            'mirror "s3" {\n  bucket = "b-1"\n  colour = "x"\n}',
            'tfshadow.hcl:4: unknown setting `colour` in block `mirror "s3"` of `store`',
        ),
        (
            'mirror "s3" {\n  bucket = "Bad_Bucket"\n}',
            'tfshadow.hcl:3: setting `bucket` in block `mirror "s3"` of `store` must be an S3 '
            "bucket name",
        ),
        (
            'mirror "gcs" {\n  bucket = "b-1"\n}',
            'tfshadow.hcl:2: block `mirror` of `store` has unknown kind "gcs" (allowed: s3)',
        ),
        (
            'mirror "s3" {\n  bucket = "b-1"\n  retain = "3d"\n}',
            'tfshadow.hcl:4: setting `retain` in block `mirror "s3"` of `store` has no effect '
            "without `object_lock = true`",
        ),
        (
            'mirror "s3" {\n  bucket = "b-1"\n  object_lock = true\n  lock_mode = "strict"\n}',
            'tfshadow.hcl:5: setting `lock_mode` in block `mirror "s3"` of `store` must be one of '
            "GOVERNANCE, COMPLIANCE",
        ),
        (
            'mirror "s3" {\n  bucket = "b-1"\n  prefix = "a//b"\n}',
            "tfshadow.hcl:4: setting `prefix`",
        ),
        (
            'mirror "s3" {\n  bucket = "b-1"\n}\nmirror "s3" {\n  bucket = "b-2"\n}',
            "tfshadow.hcl:5: block `mirror` of `store` appears twice (first at line 2)",
        ),
    ],
)
def test_mirror_settings_errors_name_file_and_line(
    tmp_path: Path, body: str, expected: str
) -> None:
    line = error(tmp_path, f"store {{\n{body}\n}}\n")
    assert line.startswith(expected), line
    assert "secret" not in line


def test_mirror_settings_retain_is_whole_days(tmp_path: Path) -> None:
    for retain, days in (('"36h"', 2), ('"1w"', 7), ("60", 1)):
        mirror = load(
            tmp_path,
            f'store {{\n  mirror "s3" {{\n    bucket = "b-1"\n    object_lock = true\n'
            f"    retain = {retain}\n  }}\n}}\n",
        )
        assert mirror is not None and mirror.lock_days == days, retain
