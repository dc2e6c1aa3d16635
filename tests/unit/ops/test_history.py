"""Naming versions: numbers, v-numbers, latest and latest~N."""

from __future__ import annotations

import pytest

from tfshadow.errors import UnknownVersionError, UsageError
from tfshadow.ops.history import parse_version

NUMBERS = [4, 5, 6]


def test_parse_version_accepts_numbers_and_latest() -> None:
    assert parse_version("5", NUMBERS) == 5
    assert parse_version("V5", NUMBERS) == 5
    assert parse_version("latest", NUMBERS) == 6
    assert parse_version("latest~2", NUMBERS) == 4
    with pytest.raises(UnknownVersionError):
        parse_version("latest~3", NUMBERS)


@pytest.mark.parametrize("text", ["²", "v²", "latest~²", "٣", "latest~٣", "", "1e3", "latest~"])
def test_parse_version_non_ascii_digits_are_not_a_version(text: str) -> None:
    # str.isdigit() holds for "²" and "٣": int() fails on the first and reads the second.
    with pytest.raises(UsageError, match="is not a version"):
        parse_version(text, NUMBERS)


def test_latest_back_too_far_counts_one_version_in_the_singular() -> None:
    with pytest.raises(UnknownVersionError, match=r"further than the 1 version kept"):
        parse_version("latest~1", [7])
    with pytest.raises(UnknownVersionError, match=r"further than the 3 versions kept"):
        parse_version("latest~3", NUMBERS)
