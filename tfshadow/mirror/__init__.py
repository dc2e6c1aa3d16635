"""The shadow store's object-storage mirror: every version uploaded after its commit, a queue for
failed uploads, verification, and restoring a whole store (git history included) from it.

Importing this package imports neither boto3 nor git; :mod:`tfshadow.mirror.s3` imports boto3 on
the first request.
"""

from __future__ import annotations

from tfshadow.mirror.base import Mirror

__all__ = ["Mirror"]
