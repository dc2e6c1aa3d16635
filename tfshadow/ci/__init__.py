"""Decisions and network for pipelines: the gate's exit code, sticky PR comments."""

from __future__ import annotations

from tfshadow.ci.comments import CommentResult, marker, post_sticky, trim_markdown
from tfshadow.ci.gate import GateResult, gate

__all__ = ["CommentResult", "GateResult", "gate", "marker", "post_sticky", "trim_markdown"]
