"""Naming versions: numbers, v-numbers, latest and latest~N."""

from __future__ import annotations

from typing import Any

import pytest

from tfshadow.errors import UnknownVersionError, UsageError
from tfshadow.ops.history import parse_version

METAS: list[dict[str, Any]] = [{"version": n} for n in (4, 5, 6)]


def test_parse_version_accepts_numbers_and_latest() -> None:
    assert parse_version("5", METAS) == 5
    assert parse_version("V5", METAS) == 5
    assert parse_version("latest", METAS) == 6
    assert parse_version("latest~2", METAS) == 4
    with pytest.raises(UnknownVersionError):
        parse_version("latest~3", METAS)


@pytest.mark.parametrize("text", ["²", "v²", "latest~²", "٣", "latest~٣", "", "1e3", "latest~"])
def test_parse_version_non_ascii_digits_are_not_a_version(text: str) -> None:
    # str.isdigit() holds for "²" and "٣": int() fails on the first and reads the second.
    with pytest.raises(UsageError, match="is not a version"):
        parse_version(text, METAS)


def test_latest_back_too_far_counts_one_version_in_the_singular() -> None:
    with pytest.raises(UnknownVersionError, match=r"further than the 1 version kept"):
        parse_version("latest~1", [{"version": 7}])
    with pytest.raises(UnknownVersionError, match=r"further than the 3 versions kept"):
        parse_version("latest~3", METAS)
