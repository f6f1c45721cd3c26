"""Names from the network checked before they touch the disk; atomic writes, never over another result unasked."""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from bridge.errors import InvalidRequest, OutputError

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}")
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
NAME_RULE = "1-64 characters: letters, digits, _ . - (not starting with . or -, no '..')"
# The files of one result named S: S.mid, S.png, S-v2.mid (variations) and the audio S-bass.wav, S-v2-mix.flac;
# not S-2-bass.wav, which is a stem of the result S-2
_AUDIO_FILES = r"(-v\d+)?-(?!\d+-)[^.]+\.(wav|flac|aiff)"
_RESULT_FILES = r"(-v\d+)?\.(mid|midi|png)|" + _AUDIO_FILES
MAX_NUMBER = 9999


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
        tmp = _new_file(path.parent, f".{path.name}.", ".part")
    except OSError as err:
        raise OutputError(
            f"cannot write to the output folder {path.parent}: {err.strerror or err}; "
            "choose a writable folder with --output-dir or output_dir in the config"
        ) from err
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


def _new_file(folder: Path, prefix: str, suffix: str) -> Path:
    """An empty file of a new random name, created with the permissions the umask allows (0644 under 022)."""
    for _ in range(100):
        path = folder / f"{prefix}{os.urandom(6).hex()}{suffix}"
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


def numbered(stem: str, number: int) -> str:
    """The name of the ``number``-th result under ``stem``: ``stem``, then ``stem-2``, ``stem-3``..."""
    return stem if number == 1 else f"{stem}-{number}"


def commit_set(folder: Path, stem: str, staged: Sequence[tuple[Path, str]], overwrite: bool = False,
               audio_only: bool = False) -> str:
    """Rename the files of one result into place under ``stem``, or under ``stem-2``, ``stem-3``... when a
    file of a result of that name is there already; return the name used.

    ``staged`` pairs each file from ``stage`` with the end of its name after the stem (``.mid``,
    ``-bass.wav``). The whole set shares one number. Every file is created exclusively, so results
    committed at the same moment, by threads or by processes, never share a number. ``overwrite``
    writes over what is there under ``stem`` itself. ``audio_only``: only audio files take a name
    (stems rendered beside the MIDI file they come from).
    """
    pattern = _AUDIO_FILES if audio_only else _RESULT_FILES
    try:
        if overwrite:
            for tmp, rest in staged:
                commit(tmp, folder / f"{stem}{rest}")
            return stem
        entries = [entry for entry in os.listdir(folder) if entry.startswith(stem)]
        for number in range(1, MAX_NUMBER + 1):
            name = numbered(stem, number)
            taken = re.compile(f"{re.escape(name)}({pattern})")
            if any(taken.fullmatch(entry) for entry in entries):
                continue
            if _claim(folder, name, staged):
                return name
            entries = [entry for entry in os.listdir(folder) if entry.startswith(stem)]  # taken meanwhile
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, _ in staged:
        tmp.unlink(missing_ok=True)
    raise OutputError(f"{MAX_NUMBER} results named {stem!r} are in {folder} already: choose another name, "
                      "or move some away")


def _claim(folder: Path, name: str, staged: Sequence[tuple[Path, str]]) -> bool:
    """Put every staged file in place under ``name`` unless one of its names exists: all of them, or none."""
    placed: list[tuple[Path, Path]] = []
    try:
        for tmp, rest in staged:
            path = folder / f"{name}{rest}"
            _place_new(tmp, path)
            placed.append((tmp, path))
    except BaseException as err:
        for tmp, path in placed:  # only names this call created
            if tmp.exists():
                path.unlink(missing_ok=True)
            else:
                os.replace(path, tmp)
        if isinstance(err, FileExistsError):
            return False
        if isinstance(err, OSError):
            raise OutputError(f"could not write {folder / name}: {err.strerror or err}; check free space and "
                              "permissions") from err
        raise
    for tmp, _ in staged:
        tmp.unlink(missing_ok=True)
    return True


def _place_new(tmp: Path, path: Path) -> None:
    """``tmp``'s file also under ``path``, which must not exist (FileExistsError otherwise)."""
    try:
        os.link(tmp, path)  # never replaces, and the file appears whole
    except FileExistsError:
        raise
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV):
            raise
        # no hard links (FAT, some network folders): claim the name with an empty file, then move it there
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        os.replace(tmp, path)


def check_folder(folder: Path, flag: str) -> Path:
    """Make ``folder`` if needed; InvalidRequest naming ``flag`` when it cannot hold new files (a file is
    in the way, or it cannot be made or written to)."""
    for place in (folder, *folder.parents):
        if place.exists() and not place.is_dir():
            raise InvalidRequest(f"{flag} {folder}: {place} is a file, not a folder; give a folder there")
        if place.is_dir():
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InvalidRequest(f"{flag} {folder}: cannot make that folder ({err.strerror or err}); give a folder "
                             "you can write to") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InvalidRequest(f"{flag} {folder}: you cannot write to that folder; give one you can write to")
    return folder
