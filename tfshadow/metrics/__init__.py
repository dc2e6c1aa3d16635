"""Where metrics come from: one :class:`MetricSource` per kind of place.

Only this package knows about Prometheus, CloudWatch, CSV files and the local agent; the rest of
tfshadow reads :class:`Series`. The sources' libraries (requests, boto3, psutil) are imported
only when a source is used, so importing this package stays cheap.
"""

from __future__ import annotations

from tfshadow.metrics.base import STANDARD_METRICS, MetricSource, ResourceRef, Series, TimeRange

__all__ = ["STANDARD_METRICS", "MetricSource", "ResourceRef", "Series", "TimeRange"]
