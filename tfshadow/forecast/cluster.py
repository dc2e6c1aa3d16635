"""Judging series on a Dask cluster: connect, submit, stream the judgements back.

The one module that imports ``dask.distributed``, and only when a scheduler is named: a run
without one never pays for it. Series are fetched on this machine (sources are reached with its
network and credentials); only judging, pure computation on plain data, goes to the workers,
in tasks of up to :data:`BATCH_MAX` series. A series that fails costs only its own verdict, and
only a few tasks per worker thread are in flight at a time, so memory here and on the scheduler
stays bounded however large the fleet.

The workers must run the same tfshadow, numpy and darts as this machine (checked on connecting):
the judgements are then those of a local run, score for score.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from tfshadow.errors import ClusterError

if TYPE_CHECKING:
    from tfshadow.forecast.engine import Judgement, SeriesConfig
    from tfshadow.metrics.base import Series

Job = tuple["Series", "SeriesConfig"]

CONNECT_TIMEOUT = 10.0  # seconds
# A result must match a local run's, so everything that computes one must be the same release.
MATCHING_PACKAGES = ("tfshadow", "numpy", "darts")
IN_FLIGHT_PER_THREAD = 4  # enough queued work that no worker idles while a result travels back
MIN_IN_FLIGHT = 16  # tasks
BATCH_MAX = 32  # series per task
BATCH_BYTES = 4 * 2**20  # of series data per task: well below what Dask warns about (10 MiB)
BATCHES_PER_THREAD = 4
READY_POLL = 0.02  # seconds between looks for a finished task
WORKER_CHECK = 0.5  # seconds between asking the scheduler whether any worker is left
INSTALL_HINT = "install it with `pip install 'tfshadow[dask]'`"


class Cluster:
    """A connection to a Dask scheduler (see :func:`connect`); close it when done."""

    def __init__(self, client: Any, address: str, timeout: float = CONNECT_TIMEOUT) -> None:
        self._client = client
        self.address = address
        self._timeout = timeout

    def threads(self) -> int:
        """Worker threads on the cluster now (workers may come and go)."""
        return sum(int(n) for n in self._client.nthreads().values())

    def judge(self, jobs: Sequence[Job]) -> Iterator[tuple[int, Judgement | ClusterError]]:
        """Judge every ``(series, config)`` on the cluster; yield ``(index in jobs, outcome)``
        as each one finishes, in no particular order. A series whose judging fails on a worker
        gives a :class:`ClusterError` naming it (so do the other series of its task when the
        worker dies running it); losing the scheduler itself raises one."""
        from distributed import as_completed

        if not jobs:
            return
        threads = max(self.threads(), 1)
        # A task costs the client and the scheduler milliseconds of their own, a series tens of
        # milliseconds of a worker's: batches keep the client from becoming the bottleneck, and
        # enough of them per thread keep the workers evenly loaded to the end.
        largest = max(series.timestamps.nbytes + series.values.nbytes for series, _ in jobs)
        size = min(BATCH_MAX, len(jobs) // (threads * BATCHES_PER_THREAD), BATCH_BYTES // largest)
        size = max(size, 1)
        batches = [range(at, min(at + size, len(jobs))) for at in range(0, len(jobs), size)]
        run = uuid.uuid4().hex[:12]  # keys of concurrent runs on one cluster never collide
        span_of: dict[str, range] = {}

        def submit(b: int) -> Any:
            span = batches[b]
            future = self._client.submit(
                judge_batch, [jobs[i] for i in span], key=f"tfshadow-judge-{run}-{b}"
            )
            span_of[future.key] = span
            return future

        window = max(MIN_IN_FLIGHT, IN_FLIGHT_PER_THREAD * threads)
        first = [submit(b) for b in range(min(window, len(batches)))]
        following = iter(range(len(first), len(batches)))
        # Closing the client (``close``) releases whatever is still queued if the caller stops.
        stream = as_completed(first, loop=self._client.loop)  # type: ignore[no-untyped-call]
        while not stream.is_empty():  # type: ignore[no-untyped-call]
            future = self._next_done(stream)
            upcoming = next(following, None)
            if upcoming is not None:
                stream.add(submit(upcoming))  # type: ignore[no-untyped-call]
            span = span_of.pop(future.key)
            outcomes = self._outcomes(future, [jobs[i][0] for i in span])
            future.release()
            yield from zip(span, outcomes, strict=True)

    def _next_done(self, stream: Any) -> Any:
        """The next finished task. The scheduler keeps tasks waiting for as long as it has no
        worker, so a cluster left without any for ``timeout`` seconds is an error, not a hang."""
        alone_since: float | None = None
        checked = 0.0
        while not stream.has_ready():
            now = time.monotonic()
            if now - checked >= WORKER_CHECK:
                checked = now
                if self.threads() > 0:
                    alone_since = None
                elif alone_since is None:
                    alone_since = now
                elif now - alone_since > self._timeout:
                    raise ClusterError(
                        f"the Dask cluster at {self.address} has had no workers for "
                        f"{self._timeout:g} s, with series still to judge",
                        hint="start workers (`dask worker <scheduler address>`), then analyse "
                        "again, or leave out --scheduler to analyse on this machine",
                    )
            time.sleep(READY_POLL)
        return stream.next()

    def _outcomes(self, future: Any, batch: list[Series]) -> list[Judgement | ClusterError]:
        if future.status == "finished":
            results: list[Judgement | Failure] = future.result()
            return [
                _failed(series, r.kind, r.detail) if isinstance(r, Failure) else r
                for series, r in zip(batch, results, strict=True)
            ]
        if future.status == "cancelled" or self._client.status != "running":
            raise ClusterError(
                f"lost the connection to the Dask scheduler at {self.address}",
                hint="check that the scheduler is running, then analyse again "
                "(or leave out --scheduler to analyse on this machine)",
            )
        error = future.exception()  # the task itself failed: a worker died running it…
        return [_failed(series, type(error).__name__, _first_line(error)) for series in batch]

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


@dataclass(frozen=True)
class Failure:
    """Why judging one series raised on a worker (the exception's type and first line)."""

    kind: str
    detail: str


def judge_batch(jobs: list[Job]) -> list[Judgement | Failure]:
    """Runs on a worker: judge each series, keeping a failure to its own series."""
    from tfshadow.forecast.engine import judge

    outcomes: list[Judgement | Failure] = []
    for job in jobs:
        try:
            outcomes.append(judge(*job))
        except Exception as exc:  # a bug must cost one series its verdict, not the batch
            outcomes.append(Failure(type(exc).__name__, _first_line(exc)))
    return outcomes


def _failed(series: Series, kind: str, detail: str) -> ClusterError:
    return ClusterError(
        f"{series.resource} {series.metric}: judging failed on the Dask cluster ({kind}: {detail})",
        hint=f"see the workers' logs, or run `tfshadow analyze --resource {series.resource}` "
        "without --scheduler to see the failure on this machine",
    )


def connect(scheduler: str, timeout: float = CONNECT_TIMEOUT) -> Cluster:
    """Connect to the scheduler at ``scheduler`` (``tcp://host:8786``, ``tls://…``, or the path
    of a scheduler file), wait for a worker, and check that the workers can judge as this
    machine does. Raises :class:`ClusterError` within about ``timeout`` seconds otherwise.

    ``tls://`` takes its certificates from Dask's own configuration
    (``DASK_DISTRIBUTED__COMM__TLS__CA_FILE``, ``…__TLS__CLIENT__CERT``, ``…__TLS__CLIENT__KEY``).
    """
    try:
        from distributed import Client
    except ImportError:
        raise ClusterError(
            f"a Dask scheduler is named ({scheduler}) but Dask is not installed",
            hint=INSTALL_HINT,
        ) from None

    is_file = "://" not in scheduler
    if is_file and not os.path.isfile(scheduler):
        raise ClusterError(
            f"no Dask scheduler file at {scheduler}",
            hint="start the scheduler with `dask scheduler --scheduler-file "
            f"{scheduler}`, or give its address (tcp://host:8786)",
        )
    where = f"the Dask scheduler {'of' if is_file else 'at'} {scheduler}"
    # Read here rather than by Dask, which waits out the timeout on a file it cannot parse and
    # then fails inside; and Dask reads no port out of an address ending in "/".
    address = _address_in(scheduler) if is_file else scheduler.strip().rstrip("/")
    try:
        options: dict[str, Any] = {"timeout": timeout, "set_as_default": False}
        client = Client(address, **options)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as exc:
        cause = _first_line(exc)
        said = "" if cause.startswith("Timed out") else f" ({cause})"  # Dask's says the same
        raise ClusterError(
            f"cannot reach {where} within {timeout:g} s{said}",
            hint="check the address and that `dask scheduler` runs there and its port is "
            "open, or leave out --scheduler (and analysis.scheduler) to analyse on this machine",
        ) from None
    cluster = Cluster(client, scheduler, timeout)
    try:
        _check_workers(client, where, timeout)
    except BaseException:
        cluster.close()
        raise
    return cluster


def _address_in(scheduler_file: str) -> str:
    """The scheduler's address in a file written by ``dask scheduler --scheduler-file``."""
    try:
        doc = json.loads(Path(scheduler_file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        doc = None
    address = doc.get("address") if isinstance(doc, dict) else None
    if not isinstance(address, str) or "://" not in address:
        raise ClusterError(
            f"{scheduler_file} is not a Dask scheduler file (a JSON object naming the "
            "scheduler's address)",
            hint=f"start the scheduler with `dask scheduler --scheduler-file {scheduler_file}`, "
            "or give its address (tcp://host:8786)",
        )
    return address


def _check_workers(client: Any, where: str, timeout: float) -> None:
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError):
        raise ClusterError(
            f"{where} has no workers (none joined within {timeout:g} s)",
            hint="start some with `dask worker <scheduler address>`",
        ) from None
    try:
        reported: dict[str, dict[str, str | None]] = client.run(package_versions)
    except Exception as exc:  # whatever a worker raises when it cannot unpickle or run us
        raise ClusterError(
            f"the workers of {where} cannot run tfshadow ({_first_line(exc)})",
            hint=f"install the same tfshadow on every worker: {INSTALL_HINT}",
        ) from None
    here = package_versions()
    for worker, versions in sorted(reported.items()):
        differing = [p for p in MATCHING_PACKAGES if versions.get(p) != here[p]]
        if differing:
            names = ", ".join(f"{p} {versions.get(p) or 'missing'}" for p in differing)
            wanted = " ".join(f"{p}=={here[p]}" for p in differing if here[p])
            raise ClusterError(
                f"worker {worker} of {where} has {names}; this machine has "
                + ", ".join(f"{p} {here[p] or 'missing'}" for p in differing),
                hint=f"the results would differ from a local run: install {wanted} on the workers",
            )


def package_versions() -> dict[str, str | None]:
    """The installed releases of :data:`MATCHING_PACKAGES` (None: not installed); runs on the
    workers too, so it reads package metadata instead of importing anything heavy."""
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str | None] = {}
    for name in MATCHING_PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def _first_line(error: BaseException) -> str:
    text = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return text[:200]
