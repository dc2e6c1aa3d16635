"""`tfshadow agent`: sample this host (or some processes) into the store's series."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tfshadow.ops.analyze import AGENT_DIR

HOST = "host"  # the resource name of samples of the whole machine

if TYPE_CHECKING:
    from tfshadow.interruptible import Stoppable
    from tfshadow.project import Project


def run(
    project: Project,
    *,
    resource: str,
    interval: float,
    pids: Sequence[int] | None = None,
    count: int | None = None,
    stop: Stoppable | None = None,
    on_sample: Callable[[Mapping[str, float]], None] | None = None,
    on_gone: Callable[[str], None] | None = None,
) -> Path:
    """Sample until ``count`` samples or ``stop``; returns the series directory.

    When the processes given by ``pids`` have all exited after samples were written, the run
    ends there, as a finished one (``on_gone`` hears why); before any sample, that raises.

    The series live in the shadow store's private directory (created with the store if there is
    none yet), where ``metrics "agent" {}`` reads them back; they are never committed. Without
    ``pids``, a ``resource`` whose state has a ``pid`` attribute (a ``localcloud_instance``) is
    followed: its process is sampled, and the one that replaces it after an apply or a revert.
    """
    from tfshadow.metrics.agent import ProcessesGone, Sampler, run_agent

    if pids:
        # A pid that names no process is bad input: refused before a store is made for it.
        Sampler(pids)
    store = project.open_store(create=True)
    directory = store.private_dir(AGENT_DIR)

    samples = 0

    def heard(_: float, values: Mapping[str, float]) -> None:
        nonlocal samples
        samples += 1
        if on_sample is not None:
            on_sample(values)

    def current() -> list[int]:
        pid = process_of(project, resource)
        return [] if pid is None else [pid]

    follow = None
    if not pids and resource != HOST:
        pids = current()
        follow = current if pids else None
    try:
        run_agent(
            directory,
            resource,
            interval,
            pids=pids,
            count=count,
            stop=stop,
            on_sample=heard,
            follow=follow,
        )
    except ProcessesGone as exc:
        if not samples:
            raise
        if on_gone is not None:
            on_gone(exc.message)
    return directory


def process_of(project: Project, resource: str) -> int | None:
    """The ``pid`` attribute of ``resource`` in the current Terraform state, if it has one."""
    from tfshadow.ops.record import pull_or_none
    from tfshadow.state.normalise import canonicalise

    raw = pull_or_none(project)[0]
    entry = canonicalise(raw).get("resources", {}).get(resource) if raw else None
    pid = (entry or {}).get("attributes", {}).get("pid")
    return int(pid) if isinstance(pid, int | float) and pid > 0 else None
