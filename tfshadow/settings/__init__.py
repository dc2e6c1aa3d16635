"""The project's ``tfshadow.hcl``: schema, loading and validation."""

from __future__ import annotations

from tfshadow.settings.analysis import MetricsSettings, parse_duration
from tfshadow.settings.load import load_settings
from tfshadow.settings.schema import Settings, StoreSettings, TerraformSettings

__all__ = [
    "MetricsSettings",
    "Settings",
    "StoreSettings",
    "TerraformSettings",
    "load_settings",
    "parse_duration",
]
