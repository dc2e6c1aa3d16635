"""Sensitivity: how many standard deviations of its own past errors a series may stray.

Words map to thresholds measured on the evaluation set (``make bench``): ``medium`` keeps false
alarms near one per 1,000 points on clean series; ``high`` catches smaller changes sooner at
several times that; ``low`` only speaks of large, sustained changes.
"""

from __future__ import annotations

from tfshadow.errors import UsageError
from tfshadow.settings.analysis import LOWEST_SENSITIVITY

LEVELS: dict[str, float] = {"high": 3.0, "medium": 3.75, "low": 5.0}


def threshold(value: str | float) -> float:
    """The threshold in σ for ``low|medium|high`` or a positive number (also as text)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        text = str(value).strip().lower()
        if text in LEVELS:
            return LEVELS[text]
        try:
            number = float(text)
        except ValueError:
            raise UsageError(
                f"sensitivity `{value}` is not low, medium, high or a number",
                hint="use e.g. --sensitivity high or --sensitivity 4.5",
            ) from None
    if not number > 0 or number == float("inf"):
        raise UsageError(
            f"sensitivity {value} must be a positive number of standard deviations",
            hint="use e.g. --sensitivity 3.5",
        )
    if number < LOWEST_SENSITIVITY:
        raise UsageError(
            f"sensitivity {value} is below {LOWEST_SENSITIVITY:g}σ: it is a number of standard "
            "deviations, not a fraction",
            hint="use e.g. --sensitivity 3.5, or high (3σ)",
        )
    return number


def label(value: str | float) -> str:
    """How a sensitivity is shown: the word, or ``4.5σ``."""
    if isinstance(value, str) and value.strip().lower() in LEVELS:
        return value.strip().lower()
    return f"{threshold(value):g}σ"
