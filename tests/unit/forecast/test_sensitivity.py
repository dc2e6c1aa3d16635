"""Sensitivity words and numbers."""

from __future__ import annotations

import pytest

from tfshadow.errors import UsageError
from tfshadow.forecast.sensitivity import LEVELS, label, threshold


def test_threshold_words_are_ordered() -> None:
    assert threshold("high") < threshold("medium") < threshold("low")
    assert threshold(" Medium ") == LEVELS["medium"]


def test_threshold_numbers() -> None:
    assert threshold(4) == 4.0
    assert threshold("2.5") == 2.5


@pytest.mark.parametrize("bad", ["loud", "0", "-1", 0, "inf", "nan"])
def test_threshold_rejects_bad_values(bad: object) -> None:
    with pytest.raises(UsageError):
        threshold(bad)  # type: ignore[arg-type]


def test_label() -> None:
    assert label("HIGH") == "high"
    assert label(4.5) == "4.5σ"
