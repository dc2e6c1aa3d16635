"""`tfshadow agent`: sample this host (or some processes) into the store's series."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tfshadow.ops.analyze import AGENT_DIR

if TYPE_CHECKING:
    import threading

    from tfshadow.project import Project


def run(
    project: Project,
    *,
    resource: str,
    interval: float,
    pids: Sequence[int] | None = None,
    count: int | None = None,
    stop: threading.Event | None = None,
    on_sample: Callable[[Mapping[str, float]], None] | None = None,
) -> Path:
    """Sample until ``count`` samples or ``stop``; returns the series directory.

    The series live in the shadow store's private directory (created with the store if there is
    none yet), where ``metrics "agent" {}`` reads them back; they are never committed.
    """
    from tfshadow.metrics.agent import run_agent

    store = project.open_store(create=True)
    directory = store.private_dir(AGENT_DIR)

    def heard(_: float, values: Mapping[str, float]) -> None:
        if on_sample is not None:
            on_sample(values)

    run_agent(directory, resource, interval, pids=pids, count=count, stop=stop, on_sample=heard)
    return directory
