"""What every metric source gives and takes: resources, time ranges and series.

A source answers, for one resource and one metric name, a time series over a range. Sources
never decide whether a series is healthy; missing points stay NaN so the forecaster can tell
"no data" from "normal".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

STANDARD_METRICS = ("cpu", "memory", "network_io", "disk_io")


@dataclass(frozen=True)
class ResourceRef:
    """A resource instance as the latest shadow version records it."""

    address: str
    type: str
    name: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    # The Terraform workspace whose version it is: one address stands for as many resources
    # as there are workspaces, each with metrics of its own.
    workspace: str = "default"


@dataclass(frozen=True)
class TimeRange:
    """``[start, end]``, both timezone-aware (UTC)."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class Series:
    """One metric of one resource.

    ``timestamps`` are ``datetime64[ns]`` (UTC, naive in numpy), ascending; ``values`` float64 of
    the same length, NaN where the source had a point but no usable value. ``notes`` are the
    source's remarks a user should see (rows skipped, series merged…), one phrase each.
    ``step_for`` and ``window`` are set by a source whose step grows with the range (Prometheus,
    CloudWatch).
    """

    resource: str
    metric: str
    source: str
    timestamps: npt.NDArray[np.datetime64]
    values: npt.NDArray[np.float64]
    notes: tuple[str, ...] = ()
    # How the source read it, for a "too little history" that names the right range: the step
    # it reads a range of so many seconds at (a module-level function, so that the series
    # still pickles for worker processes), None when the points are as they were sampled; and
    # the length of the range asked for, in seconds.
    step_for: Callable[[float], int] | None = None
    window: float | None = None
    # The range starts at a fixed moment (the last action a profile took) and ends now: it
    # lengthens as time passes, so "too little history" can say how soon there is enough.
    grows: bool = False

    def __len__(self) -> int:
        return int(self.values.shape[0])


class MetricSource(Protocol):
    """A place metrics come from (Prometheus, CloudWatch, CSV files, the local agent)."""

    @property
    def name(self) -> str:
        """The source's name in ``tfshadow.hcl`` (``resource_metrics { source = … }``)."""
        ...

    def metric_names(self, resource: ResourceRef) -> tuple[str, ...]:
        """The metrics this source can give for ``resource`` (may be empty)."""
        ...

    def fetch(self, resource: ResourceRef, metric: str, window: TimeRange) -> Series:
        """The series of ``metric`` for ``resource`` over ``window``.

        Raises :class:`tfshadow.errors.MetricsError` with a one-line message naming the
        resource and the problem (unreachable, query error, no data, bad file…).
        """
        ...
