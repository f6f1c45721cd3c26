"""Names from the network checked before they touch the disk; atomic writes inside the output folder."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from bridge.errors import InvalidRequest, OutputError

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}")
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
NAME_RULE = "1-64 characters: letters, digits, _ . - (not starting with . or -, no '..')"


def check_name(name: object, what: str) -> str:
    """Return ``name`` if it is safe as a clip, job or file name; raise InvalidRequest otherwise."""
    if not isinstance(name, str):
        raise InvalidRequest(f"{what} must be a text name ({NAME_RULE}), got {type(name).__name__} {name!r}")
    if not _NAME.fullmatch(name) or ".." in name or name.split(".")[0].upper() in _RESERVED:
        raise InvalidRequest(f"{what} {name!r} is not a usable name: use {NAME_RULE}")
    return name


def output_path(output_dir: Path, stem: str, suffix: str) -> Path:
    """The file ``stem + suffix`` in ``output_dir``; never a path outside it."""
    check_name(stem, "output name")
    root = output_dir.resolve()
    path = root / f"{stem}{suffix}"
    if path.is_symlink() or path.resolve().parent != root:
        raise InvalidRequest(f"output name {stem!r} points outside the output folder; choose another name")
    return path


def write_atomic(path: Path, write: Callable[[Path], None], durable: bool = True) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path`` and rename it into place.

    A crash or a full disk never leaves a half-written ``path``; ``durable`` also syncs the data to
    disk before the rename (so a power cut does not leave an empty file either).
    """
    tmp = stage(path, write, durable)
    commit(tmp, path)
    return path


def stage(path: Path, write: Callable[[Path], None], durable: bool = True) -> Path:
    """The first half of ``write_atomic``: the complete temporary file beside ``path``, not yet in place.

    Give it to ``commit`` (or unlink it) when the files written together are all done.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        os.close(fd)
    except OSError as err:
        raise OutputError(
            f"cannot write to the output folder {path.parent}: {err.strerror}; "
            "choose a writable folder with --output-dir or output_dir in the config"
        ) from err
    tmp = Path(tmp_name)
    try:
        write(tmp)
        if durable:
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
    except BaseException as err:
        tmp.unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise OutputError(f"could not write {path}: {err.strerror or err}; check free space and "
                              "permissions") from err
        raise
    return tmp


def commit(tmp: Path, path: Path) -> None:
    """Rename a file made by ``stage`` into place."""
    try:
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"could not write {path}: {err.strerror or err}; check free space and permissions") from err
