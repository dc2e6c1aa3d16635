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


@pytest.mark.parametrize("bad", ["loud", "0", "-1", 0, "inf", "nan", "0.5", 0.99])
def test_threshold_rejects_bad_values(bad: object) -> None:
    with pytest.raises(UsageError):
        threshold(bad)  # type: ignore[arg-type]


def test_label() -> None:
    assert label("HIGH") == "high"
    assert label(4.5) == "4.5σ"


def test_threshold_below_one_sigma_says_it_is_not_a_fraction() -> None:
    with pytest.raises(UsageError) as caught:
        threshold("0.9")
    assert caught.value.message == (
        "sensitivity 0.9 is below 1σ: it is a number of standard deviations, not a fraction"
    )
    assert threshold(1) == 1.0
