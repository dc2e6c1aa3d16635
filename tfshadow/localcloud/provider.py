"""The `localcloud` provider: resource types backed by real local processes.

The classes follow the `tf` package's Provider and Resource protocols by shape (the package ships
no type information, so they do not inherit from it). Every RPC builds a fresh resource object;
nothing is kept between calls but the provider's configuration.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tf.iface import _validate_config  # type: ignore[import-untyped]
from tf.schema import Attribute, Schema  # type: ignore[import-untyped]
from tf.types import List, Number, String, Unknown  # type: ignore[import-untyped]

from tfshadow.localcloud import process

State = dict[str, Any]
DEFAULT_WORK_DIR = ".localcloud"
DEFAULT_READY_TIMEOUT = 30.0
STATES = ("running", "stopped")


def _known(value: Any) -> bool:
    return value is not None and value is not Unknown


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
        return [Instance]

    def get_functions(self) -> list[type[Any]]:
        return []

    def new_resource(self, klass: type[Any]) -> Any:
        return klass(self)

    def new_data_source(self, klass: type[Any]) -> Any:
        return klass(self)

    def new_function(self, klass: type[Any]) -> Any:
        return klass(self)


class Instance:
    """`localcloud_instance`: one OS process running `command`, running or stopped."""

    def __init__(self, provider: LocalCloud) -> None:
        self.provider = provider

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
        schema = self.get_schema()
        _validate_config(diags, type_name, config, schema.attributes, schema.block_types)
        state = config.get("state")
        if _known(state) and state not in STATES:
            diags.add_error(f'state must be "running" or "stopped", not {state!r}', path=["state"])
        if _known(config.get("command")) and len(config["command"]) == 0:
            diags.add_error("command must name a program", path=["command"])

    def plan(self, ctx: Any, current: State | None, planned: State) -> State:
        return planned

    def upgrade(self, ctx: Any, version: int, old: State) -> State:
        return old

    # -- lifecycle -------------------------------------------------------------------------

    def create(self, ctx: Any, planned: State) -> State | None:
        work_dir = Path(planned.get("work_dir") or self.provider.work_dir).absolute()
        ident = uuid.uuid4().hex[:16]
        log_file = work_dir / f"instance-{ident}.log"
        try:
            info = process.spawn(planned["command"], log_file)
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
