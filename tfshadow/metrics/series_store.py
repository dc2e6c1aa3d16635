"""The local series store that ``tfshadow agent`` writes and the ``agent`` source reads.

Layout, under a directory the caller chooses::

    <directory>/<resource>/<metric>.csv     timestamp,value   (epoch seconds UTC, then a float)
    <directory>/<resource>/.lock            held by the one agent recording that resource

``<resource>`` is the address percent-encoded (``aws_instance.web%5B0%5D``), so every address
gets its own directory and the name can be read back. Files are append-only: each batch of rows
is written, flushed and fsynced before the next sample, so a crash loses at most the batch in
flight, and a torn last line is skipped by the reader like any other bad row.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO
from urllib.parse import quote, unquote

from tfshadow.errors import MetricsError
from tfshadow.metrics._common import no_data, within
from tfshadow.metrics.base import STANDARD_METRICS, ResourceRef, Series, TimeRange
from tfshadow.metrics.csvfile import read_rows

HEADER = "timestamp,value\n"
LOCK_NAME = ".lock"
_METRIC_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")


def safe_name(resource: str) -> str:
    """``resource`` as one file name: every character but letters, digits, ``_.-~`` escaped."""
    return quote(resource, safe="")


def resource_of(directory_name: str) -> str:
    """The address a :func:`safe_name` stands for."""
    return unquote(directory_name)


class SeriesWriter:
    """Appends samples of one resource; holds its lock from :meth:`open` to :meth:`close`.

    Raises :class:`MetricsError` on open when another agent records the same resource.
    """

    def __init__(self, directory: Path, resource: str) -> None:
        self.directory = directory
        self.resource = resource
        self.folder = directory / safe_name(resource)
        self._lock: int | None = None
        self._files: dict[str, IO[str]] = {}

    def __enter__(self) -> SeriesWriter:
        self.open()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise MetricsError(
                f"cannot write the agent's series in {self.folder}: {exc.strerror}",
                "check the directory's permissions",
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _read_pid(fd)
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise MetricsError(
                    f"another agent is recording {self.resource} in {self.directory}"
                    + (f" (pid {holder})" if holder else ""),
                    "stop it first, or record another resource",
                ) from None
            raise MetricsError(
                f"cannot lock {self.folder / LOCK_NAME}: {exc.strerror}",
                "use a local file system for the agent's series",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock = fd

    def write(self, timestamp: float, values: Mapping[str, float]) -> None:
        """One batch: a row per metric at ``timestamp`` (epoch seconds), durable on return."""
        if self._lock is None:
            raise RuntimeError("SeriesWriter.write before open")
        touched = []
        for metric, value in values.items():
            handle = self._file(metric)
            handle.write(f"{timestamp:.3f},{float(value)!r}\n")
            touched.append(handle)
        for handle in touched:
            handle.flush()
            os.fsync(handle.fileno())

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
        self._files.clear()
        if self._lock is not None:
            # The lock file stays: removing it would let a third agent lock a different inode.
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            os.close(self._lock)
            self._lock = None

    def _file(self, metric: str) -> IO[str]:
        handle = self._files.get(metric)
        if handle is not None:
            return handle
        if not _METRIC_NAME.match(metric):
            raise MetricsError(
                f"metric name {metric!r} cannot be a file name",
                "use letters, digits, '_', '.' and '-'",
            )
        path = self.folder / f"{metric}.csv"
        handle = path.open("a", encoding="utf-8", newline="")
        if handle.tell() == 0:
            handle.write(HEADER)
            _fsync_dir(self.folder)
        elif not _ends_with_newline(path):
            # A crash mid-line left a torn row: end it so the next row stays readable.
            handle.write("\n")
        self._files[metric] = handle
        return handle


class AgentSource:
    """The ``metrics "agent"`` source: the series ``tfshadow agent`` recorded in ``directory``."""

    def __init__(self, directory: Path, name: str = "agent") -> None:
        self.directory = directory
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def path(self, resource: ResourceRef, metric: str) -> Path:
        return self.directory / safe_name(resource.address) / f"{metric}.csv"

    def metric_names(self, resource: ResourceRef) -> tuple[str, ...]:
        folder = self.directory / safe_name(resource.address)
        found = sorted(p.stem for p in folder.glob("*.csv") if p.is_file())
        standard = tuple(m for m in STANDARD_METRICS if m in found)
        return standard + tuple(m for m in found if m not in standard)

    def fetch(self, resource: ResourceRef, metric: str, window: TimeRange) -> Series:
        path = self.path(resource, metric)
        if not path.is_file():
            raise MetricsError(
                f"the agent has recorded no {metric} for {resource.address} in {self.directory}",
                f"run `tfshadow agent --resource {resource.address}` where it runs",
            )
        whole = read_rows(path).series(resource.address, metric, self.name)
        series = within(whole, window)
        if not len(series):
            raise no_data(
                resource, metric, window, "is `tfshadow agent` running for this resource?"
            )
        return series


def _read_pid(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as raw:
        raw.seek(-1, os.SEEK_END)
        return raw.read(1) == b"\n"


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
