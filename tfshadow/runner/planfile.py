"""What a saved plan file says about the ``-target`` and the mode it was made with.

``terraform show -json PLAN`` does not tell the targets of a targeted plan, yet ``apply PLAN``
applies only them, and the version recorded must say so as it does for ``apply -target``. Nor
does it tell a ``plan -destroy`` or ``plan -refresh-only`` from a plain plan, yet applying one
is a destroy or a refresh, recorded as ``apply -destroy`` and ``apply -refresh-only`` are. The
plan file is a zip archive whose ``tfplan`` member is a protocol buffer message (Terraform's
``planproto.Plan``); its ``target_addrs`` are field 5, repeated strings, and its ``ui_mode`` field
17, an enum (0 normal, 1 destroy, 2 refresh-only). Only these fields are read, and only from the
plan format this was written against (field 1, ``version``, equal to 3): any other file, format
or damage gives no targets and no mode, as before this reader existed.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

_PLAN_MEMBER = "tfplan"
_FORMAT_FIELD = 1
_FORMAT_VERSION = 3
_TARGETS_FIELD = 5
_MODE_FIELD = 17
_MODES = {0: "normal", 1: "destroy", 2: "refresh-only"}
_MAX_PLAN_BYTES = 256 * 1024 * 1024  # a bigger member is not a plan of this format


class _Malformed(Exception):
    pass


def saved_plan_targets(path: Path) -> tuple[str, ...]:
    """The ``-target`` addresses of the saved plan at ``path``, in order; () when it has none or
    cannot be read."""
    read = _read(path)
    return read[0] if read is not None else ()


def saved_plan_mode(path: Path) -> str | None:
    """``"normal"``, ``"destroy"`` or ``"refresh-only"``: how the saved plan at ``path`` was
    made; None when it cannot be read."""
    read = _read(path)
    return read[1] if read is not None else None


def _read(path: Path) -> tuple[tuple[str, ...], str | None] | None:
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(_PLAN_MEMBER)
            if info.file_size > _MAX_PLAN_BYTES:
                return None
            data = archive.read(info)
        return _fields(data)
    except (OSError, KeyError, zipfile.BadZipFile, _Malformed, UnicodeDecodeError):
        return None


def _fields(data: bytes) -> tuple[tuple[str, ...], str | None] | None:
    """The targets and the mode in a ``tfplan`` member; None when it is of another format."""
    version: int | None = None
    mode = 0  # proto3 leaves a field at its default value out
    targets: list[str] = []
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
            if field == _FORMAT_FIELD:
                version = value
            elif field == _MODE_FIELD:
                mode = value
        elif wire == 2:
            length, i = _varint(data, i)
            if i + length > len(data):
                raise _Malformed
            if field == _TARGETS_FIELD:
                targets.append(data[i : i + length].decode("utf-8"))
            i += length
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            raise _Malformed
    if version != _FORMAT_VERSION:
        return None
    return tuple(targets), _MODES.get(mode)


def _varint(data: bytes, i: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if i >= len(data) or shift > 63:
            raise _Malformed
        byte = data[i]
        i += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, i
