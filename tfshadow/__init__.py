"""tfshadow: shadow versions of Terraform state and configuration."""

from __future__ import annotations

from tfshadow.errors import TfshadowError

__version__ = "0.1.0"
__all__ = ["TfshadowError", "__version__"]
