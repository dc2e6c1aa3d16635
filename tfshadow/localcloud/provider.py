"""The `localcloud` provider: resource types backed by real local processes and files.

The classes follow the `tf` package's Provider and Resource protocols by shape (the package ships
no type information, so they do not inherit from it). Every RPC builds a fresh resource object;
nothing is kept between calls but the provider's configuration.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Any

from msgpack import ExtType  # type: ignore[import-untyped]
from tf.iface import _validate_config  # type: ignore[import-untyped]
from tf.schema import Attribute, Schema  # type: ignore[import-untyped]
from tf.types import List, Number, String, Unknown  # type: ignore[import-untyped]

from tfshadow.env import TFSHADOW_ROOT_MODULE_DIR
from tfshadow.localcloud import process

State = dict[str, Any]
DEFAULT_WORK_DIR = ".localcloud"
DEFAULT_READY_TIMEOUT = 30.0
STATES = ("running", "stopped")
# A name becomes a file name: no separators, no leading dot.
NAME_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def _known(value: Any) -> bool:
    # Terraform sends an unknown value that carries refinements (`var.x == "a" ? 1 : 2` while
    # validating, `tostring()` of a value known only after apply) as a msgpack extension the `tf`
    # package passes through undecoded: it is as unknown as the plain one.
    return value is not None and value is not Unknown and not isinstance(value, ExtType)


class LocalCloud:
    """The provider: `provider "localcloud" { work_dir = "…" }` (work_dir is optional)."""

    def __init__(self) -> None:
        self.work_dir = DEFAULT_WORK_DIR

    def get_model_prefix(self) -> str:
        return "localcloud_"

    def full_name(self) -> str:
        return "local/tfshadow/localcloud"

    def get_provider_schema(self, diags: Any) -> Any:
        return Schema(
            attributes=[
                Attribute(
                    "work_dir",
                    String(),
                    description="Directory for logs and data (default `.localcloud`).",
                    optional=True,
                )
            ]
        )

    def validate_config(self, diags: Any, config: dict[str, Any]) -> None:
        pass

    def configure_provider(self, diags: Any, config: dict[str, Any]) -> None:
        if _known(config.get("work_dir")):
            self.work_dir = str(config["work_dir"])

    def get_data_sources(self) -> list[type[Any]]:
        return []

    def get_resources(self) -> list[type[Any]]:
        return [Instance, Datastore, Network]

    def get_functions(self) -> list[type[Any]]:
        return []

    def new_resource(self, klass: type[Any]) -> Any:
        return klass(self)

    def new_data_source(self, klass: type[Any]) -> Any:
        return klass(self)

    def new_function(self, klass: type[Any]) -> Any:
        return klass(self)


class _LocalResource:
    """What the three resource types share: the provider they belong to, a plan that is the
    configuration as given (nothing is computed before apply), and schema version 0."""

    def __init__(self, provider: LocalCloud) -> None:
        self.provider = provider

    @classmethod
    def get_schema(cls) -> Any:
        raise NotImplementedError

    def _validate_schema(self, diags: Any, type_name: str, config: dict[str, Any]) -> None:
        schema = self.get_schema()
        _validate_config(diags, type_name, config, schema.attributes, schema.block_types)

    def plan(self, ctx: Any, current: State | None, planned: State) -> State:
        return planned

    def upgrade(self, ctx: Any, version: int, old: State) -> State:
        return old


class Instance(_LocalResource):
    """`localcloud_instance`: one OS process running `command`, running or stopped."""

    @classmethod
    def get_name(cls) -> str:
        return "instance"

    @classmethod
    def get_schema(cls) -> Any:
        return Schema(
            attributes=[
                Attribute("id", String(), computed=True),
                Attribute(
                    "command",
                    List(String()),
                    description="Program and arguments; a change starts a new process.",
                    required=True,
                    requires_replace=True,
                ),
                Attribute(
                    "state",
                    String(),
                    description='"running" (default) or "stopped" (SIGSTOP: memory kept, no CPU).',
                    optional=True,
                ),
                Attribute(
                    "ready_port",
                    Number(),
                    description="Start counts as done once 127.0.0.1:ready_port accepts.",
                    optional=True,
                ),
                Attribute("ready_timeout", Number(), description="Seconds (30).", optional=True),
                Attribute(
                    "work_dir",
                    String(),
                    description="Directory for the log (default: the provider's work_dir).",
                    optional=True,
                    requires_replace=True,
                ),
                Attribute("pid", Number(), computed=True),
                Attribute(
                    "started_at",
                    Number(),
                    description="Start time in clock ticks since boot; tells a reused PID apart.",
                    computed=True,
                ),
                Attribute("log_file", String(), computed=True),
            ]
        )

    # -- validation and planning ------------------------------------------------------------

    def validate(self, diags: Any, type_name: str, config: dict[str, Any]) -> None:
        self._validate_schema(diags, type_name, config)
        state = config.get("state")
        if _known(state) and state not in STATES:
            diags.add_error(f'state must be "running" or "stopped", not {state!r}', path=["state"])
        if _known(config.get("command")) and len(config["command"]) == 0:
            diags.add_error("command must name a program", path=["command"])

    # -- lifecycle -------------------------------------------------------------------------

    def create(self, ctx: Any, planned: State) -> State | None:
        work_dir = root_relative(planned.get("work_dir") or self.provider.work_dir)
        ident = uuid.uuid4().hex[:16]
        log_file = work_dir / f"instance-{ident}.log"
        try:
            info = process.spawn(planned["command"], log_file, cwd=root_module_dir())
        except process.ProcessError as exc:
            ctx.diagnostics.add_error("cannot start the instance", str(exc))
            return None
        try:
            self._await_ready(planned, info)
        except process.ProcessError as exc:
            process.terminate(info)
            ctx.diagnostics.add_error("the instance did not become ready", f"{exc}; see {log_file}")
            return None
        if planned.get("state") == "stopped":
            process.pause(info)
        return {
            **planned,
            "id": ident,
            "pid": info.pid,
            "started_at": info.started_at,
            "log_file": str(log_file),
        }

    def read(self, ctx: Any, current: State) -> State | None:
        info = self._find(current)
        if info is None:
            return None  # gone: Terraform plans to create it again
        desired = current.get("state") or "running"
        actual = "stopped" if info.stopped else "running"
        # An unset state means "running": keep it unset while that holds, so no diff appears.
        return {**current, "state": current.get("state") if actual == desired else actual}

    def update(self, ctx: Any, current: State, planned: State) -> State | None:
        info = self._find(current)
        if info is None:
            ctx.diagnostics.add_error(
                f"process {current.get('pid')} is gone", "Run terraform apply again to start it."
            )
            return None
        if (planned.get("state") or "running") == "running":
            if info.stopped:
                process.resume(info)
            try:
                self._await_ready(planned, info)
            except process.ProcessError as exc:
                ctx.diagnostics.add_error("the instance did not become ready", str(exc))
        elif not info.stopped:
            process.pause(info)
        return planned

    def import_(self, ctx: Any, id: str) -> State | None:
        """`terraform import localcloud_instance.x <pid>`: adopt a running process."""
        found = process.read_stat(int(id)) if id.isascii() and id.isdigit() else None
        info = None if found is None else process.find(found.pid, found.started_at)
        if info is None:
            ctx.diagnostics.add_error(f"no process {id!r}", "Import by the PID of a live process.")
            return None
        try:
            raw = Path(f"/proc/{info.pid}/cmdline").read_bytes()
        except OSError as exc:
            ctx.diagnostics.add_error(f"cannot read the command of process {id}", str(exc))
            return None
        try:
            log = os.readlink(f"/proc/{info.pid}/fd/1")
        except OSError:
            log = None
        return {
            "id": uuid.uuid4().hex[:16],
            "command": [arg.decode(errors="surrogateescape") for arg in raw.split(b"\0")[:-1]],
            "state": "stopped" if info.stopped else None,
            "ready_port": None,
            "ready_timeout": None,
            "work_dir": None,
            "pid": info.pid,
            "started_at": info.started_at,
            # Only a log file is the instance's to remove on destroy, not a terminal or a pipe.
            "log_file": log if log is not None and Path(log).is_file() else None,
        }

    def delete(self, ctx: Any, current: State) -> None:
        info = self._find(current)
        if info is not None:
            process.terminate(info)
        if _known(current.get("log_file")):
            Path(current["log_file"]).unlink(missing_ok=True)

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _find(state: State) -> process.ProcessInfo | None:
        if not (_known(state.get("pid")) and _known(state.get("started_at"))):
            return None
        return process.find(int(state["pid"]), int(state["started_at"]))

    @staticmethod
    def _await_ready(state: State, info: process.ProcessInfo) -> None:
        if not _known(state.get("ready_port")):
            return
        timeout = state.get("ready_timeout")
        seconds = float(state["ready_timeout"]) if _known(timeout) else DEFAULT_READY_TIMEOUT
        process.wait_ready(info, int(state["ready_port"]), seconds)


def _work_dir_attribute() -> Any:
    return Attribute(
        "work_dir",
        String(),
        description="Directory of the file (default: the provider's work_dir).",
        optional=True,
        requires_replace=True,
    )


def _name_attribute(what: str) -> Any:
    return Attribute(
        "name",
        String(),
        description=f"Names the {what} file; a change makes a new one.",
        required=True,
        requires_replace=True,
    )


def _validate_name(diags: Any, config: dict[str, Any]) -> None:
    name = config.get("name")
    if _known(name) and not NAME_PATTERN.fullmatch(str(name)):
        diags.add_error(
            f"name {name!r} cannot name a file",
            "Use letters, digits, '_', '.' and '-', not starting with '.'.",
            path=["name"],
        )


def _validate_port(diags: Any, config: dict[str, Any], key: str) -> None:
    port: Any = config.get(key)
    if _known(port) and not (port == int(port) and 1 <= int(port) <= 65535):
        diags.add_error(f"{key} must be a whole number from 1 to 65535, not {port}", path=[key])


def root_module_dir() -> Path:
    """The directory relative paths start from: Terraform's working directory, or the one a
    scratch copy stands in for (tfshadow's revert plans and applies in such a copy)."""
    return Path(os.environ.get(TFSHADOW_ROOT_MODULE_DIR) or os.getcwd())


def root_relative(path: str | Path) -> Path:
    """``path`` made absolute against :func:`root_module_dir`."""
    return Path(os.path.abspath(root_module_dir() / path))


def _file_path(provider: LocalCloud, state: State, suffix: str) -> Path:
    work_dir: Any = state.get("work_dir")
    return root_relative(work_dir if _known(work_dir) else provider.work_dir) / (
        f"{state['name']}{suffix}"
    )


def _imported(provider: LocalCloud, ctx: Any, id: str, suffix: str) -> State | None:
    """The identity of the file `id` names (`id`, `name`, `work_dir`, `path`), written as a
    configuration most likely is; None, with an error, when it is not a file of this type."""
    path = root_relative(id)
    name = path.name.removesuffix(suffix)
    if not path.name.endswith(suffix) or not NAME_PATTERN.fullmatch(name):
        ctx.diagnostics.add_error(
            f"{id!r} is not a file this resource manages",
            f"Import by the path of a <name>{suffix} file.",
        )
        return None
    parent = path.parent
    work_dir: str | None = str(parent)
    if parent == root_relative(provider.work_dir):
        work_dir = None
    elif parent.is_relative_to(root_module_dir()):
        # The configuration most likely names a directory under the working directory relatively.
        work_dir = parent.relative_to(root_module_dir()).as_posix()
    return {"id": str(path), "name": name, "work_dir": work_dir, "path": str(path)}


# The datastore and network modules are imported inside the methods that use them: sqlite3 and
# tempfile are then loaded only when such a resource is touched, and provider start-up stays cheap.


class Datastore(_LocalResource):
    """`localcloud_datastore`: a SQLite database file with a managed journal mode and cache size.

    The journal mode and cache size are also recorded in a `settings` table inside the database;
    see `tfshadow.localcloud.datastore` for how an application applies them.
    """

    SUFFIX = ".sqlite"

    @classmethod
    def get_name(cls) -> str:
        return "datastore"

    @classmethod
    def get_schema(cls) -> Any:
        return Schema(
            attributes=[
                Attribute("id", String(), computed=True),
                _name_attribute("database"),
                _work_dir_attribute(),
                Attribute(
                    "cache_size",
                    Number(),
                    description="PRAGMA cache_size (-2000): pages, or KiB when negative.",
                    optional=True,
                ),
                Attribute(
                    "journal_mode",
                    String(),
                    description="One of delete (default), truncate, persist, memory, wal, off.",
                    optional=True,
                ),
                Attribute("path", String(), description="The .sqlite file.", computed=True),
            ]
        )

    def validate(self, diags: Any, type_name: str, config: dict[str, Any]) -> None:
        self._validate_schema(diags, type_name, config)
        _validate_name(diags, config)
        from tfshadow.localcloud.datastore import JOURNAL_MODES as modes

        mode = config.get("journal_mode")
        if _known(mode) and mode not in modes:
            diags.add_error(
                f"journal_mode must be one of {', '.join(modes)}, not {mode!r}",
                path=["journal_mode"],
            )
        size: Any = config.get("cache_size")
        if _known(size) and size != int(size):
            diags.add_error(f"cache_size must be a whole number, not {size}", path=["cache_size"])

    def create(self, ctx: Any, planned: State) -> State | None:
        path = _file_path(self.provider, planned, self.SUFFIX)
        if not self._write(ctx, path, planned, create=True):
            return None
        return {**planned, "id": str(path), "path": str(path)}

    def read(self, ctx: Any, current: State) -> State | None:
        from tfshadow.localcloud import datastore as store

        path = Path(current["path"])
        try:
            settings = store.read(path)
        except store.DatastoreError as exc:
            ctx.diagnostics.add_error("cannot read the datastore", str(exc))
            return current
        if settings is None:
            return None  # gone: Terraform plans to create it again
        defaults = store.Settings()
        return {
            **current,
            # An unset setting means SQLite's default: keep it unset while that holds.
            "journal_mode": _unless_default(
                current.get("journal_mode"), settings.journal_mode, defaults.journal_mode
            ),
            "cache_size": _unless_default(
                current.get("cache_size"), settings.cache_size, defaults.cache_size
            ),
        }

    def update(self, ctx: Any, current: State, planned: State) -> State | None:
        if not self._write(ctx, Path(current["path"]), planned, create=False):
            return None
        return planned

    def delete(self, ctx: Any, current: State) -> None:
        if _known(current.get("path")):
            from tfshadow.localcloud import datastore as store

            store.remove(Path(current["path"]))

    def import_(self, ctx: Any, id: str) -> State | None:
        """`terraform import localcloud_datastore.x <path of the .sqlite file>`."""
        state = _imported(self.provider, ctx, id, self.SUFFIX)
        if state is None:
            return None
        if not Path(state["path"]).is_file():
            ctx.diagnostics.add_error(
                f"no database at {state['path']}", "Import an existing .sqlite file."
            )
            return None
        return self.read(ctx, {**state, "journal_mode": None, "cache_size": None})

    def _write(self, ctx: Any, path: Path, state: State, *, create: bool) -> bool:
        from tfshadow.localcloud import datastore as store

        mode: Any = state.get("journal_mode")
        size: Any = state.get("cache_size")
        settings = store.Settings(
            journal_mode=mode if _known(mode) else store.DEFAULT_JOURNAL_MODE,
            cache_size=int(size) if _known(size) else store.DEFAULT_CACHE_SIZE,
        )
        try:
            store.write(path, settings, create=create)
        except store.DatastoreError as exc:
            hint = "Import it, or remove it." if create and path.exists() else ""
            ctx.diagnostics.add_error(
                f"cannot {'create' if create else 'update'} {path}", f"{exc}. {hint}".strip()
            )
            return False
        return True


def _unless_default(configured: Any, actual: Any, default: Any) -> Any:
    return configured if not _known(configured) and actual == default else actual


class Network(_LocalResource):
    """`localcloud_network`: a loopback port mapping kept as a JSON file."""

    SUFFIX = ".network.json"

    @classmethod
    def get_name(cls) -> str:
        return "network"

    @classmethod
    def get_schema(cls) -> Any:
        return Schema(
            attributes=[
                Attribute("id", String(), computed=True),
                _name_attribute("mapping"),
                Attribute(
                    "listen_port",
                    Number(),
                    description="Port on 127.0.0.1 that receives.",
                    required=True,
                ),
                Attribute(
                    "target_port",
                    Number(),
                    description="Port on 127.0.0.1 it goes to.",
                    required=True,
                ),
                _work_dir_attribute(),
                Attribute("path", String(), description="The JSON file.", computed=True),
            ]
        )

    def validate(self, diags: Any, type_name: str, config: dict[str, Any]) -> None:
        self._validate_schema(diags, type_name, config)
        _validate_name(diags, config)
        _validate_port(diags, config, "listen_port")
        _validate_port(diags, config, "target_port")

    def create(self, ctx: Any, planned: State) -> State | None:
        path = _file_path(self.provider, planned, self.SUFFIX)
        if path.exists():
            ctx.diagnostics.add_error(f"{path} already exists", "Import it, or remove it.")
            return None
        if not self._write(ctx, path, planned):
            return None
        return {**planned, "id": str(path), "path": str(path)}

    def read(self, ctx: Any, current: State) -> State | None:
        from tfshadow.localcloud import network as net

        mapping = net.read(Path(current["path"]))
        if mapping is None:
            return None  # gone: Terraform plans to create it again
        return {**current, "listen_port": mapping.listen_port, "target_port": mapping.target_port}

    def update(self, ctx: Any, current: State, planned: State) -> State | None:
        if not self._write(ctx, Path(current["path"]), planned):
            return None
        return planned

    def delete(self, ctx: Any, current: State) -> None:
        if _known(current.get("path")):
            Path(current["path"]).unlink(missing_ok=True)

    def import_(self, ctx: Any, id: str) -> State | None:
        """`terraform import localcloud_network.x <path of the .network.json file>`."""
        state = _imported(self.provider, ctx, id, self.SUFFIX)
        if state is None:
            return None
        imported = self.read(ctx, {**state, "listen_port": None, "target_port": None})
        if imported is None:
            ctx.diagnostics.add_error(f"no mapping at {state['path']}", "Import an existing file.")
        return imported

    def _write(self, ctx: Any, path: Path, state: State) -> bool:
        from tfshadow.localcloud import network as net

        mapping = net.Mapping(int(state["listen_port"]), int(state["target_port"]))
        try:
            net.write(path, str(state["name"]), mapping)
        except OSError as exc:
            ctx.diagnostics.add_error(f"cannot write {path}", exc.strerror or str(exc))
            return False
        return True
