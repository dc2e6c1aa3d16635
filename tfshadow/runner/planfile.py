"""What a saved plan file says about the ``-target`` it was made with.

``terraform show -json PLAN`` does not tell the targets of a targeted plan, yet ``apply PLAN``
applies only them, and the version recorded must say so as it does for ``apply -target``. The
plan file is a zip archive whose ``tfplan`` member is a protocol buffer message (Terraform's
``planproto.Plan``); its ``target_addrs`` are field 5, repeated strings. Only that field is read,
and only from the plan format this was written against (field 1, ``version``, equal to 3): any
other file, format or damage gives no targets, as before this reader existed.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

_PLAN_MEMBER = "tfplan"
_FORMAT_FIELD = 1
_FORMAT_VERSION = 3
_TARGETS_FIELD = 5
_MAX_PLAN_BYTES = 256 * 1024 * 1024  # a bigger member is not a plan of this format


class _Malformed(Exception):
    pass


def saved_plan_targets(path: Path) -> tuple[str, ...]:
    """The ``-target`` addresses of the saved plan at ``path``, in order; () when it has none or
    cannot be read."""
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(_PLAN_MEMBER)
            if info.file_size > _MAX_PLAN_BYTES:
                return ()
            data = archive.read(info)
        return _targets(data)
    except (OSError, KeyError, zipfile.BadZipFile, _Malformed, UnicodeDecodeError):
        return ()


def _targets(data: bytes) -> tuple[str, ...]:
    version: int | None = None
    targets: list[str] = []
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
            if field == _FORMAT_FIELD:
                version = value
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
    return tuple(targets) if version == _FORMAT_VERSION else ()


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
