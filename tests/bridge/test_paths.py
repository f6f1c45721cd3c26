"""Names from the network never become paths outside the output folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bridge.errors import InvalidRequest, OutputError
from bridge.paths import check_name, output_path, write_atomic


@pytest.mark.parametrize("name", ["take1", "Verse_2", "a.b-c", "x" * 64, "0"])
def test_good_names(name: str) -> None:
    assert check_name(name, "clip name") == name


@pytest.mark.parametrize(
    "name",
    ["", "..", "../x", "a/b", "a\\b", "/etc/passwd", "C:evil", "x\x00y", ".hidden", "-flag", "a..b",
     "CON", "nul.mid", "com1", "x" * 65, "tab\tname", "é", 7, None],
)
def test_bad_names(name: object) -> None:
    with pytest.raises(InvalidRequest, match="name"):
        check_name(name, "clip name")


def test_output_path_stays_inside(tmp_path: Path) -> None:
    assert output_path(tmp_path, "song", ".mid") == tmp_path.resolve() / "song.mid"
    (tmp_path / "link.mid").symlink_to("/etc/hostname")
    with pytest.raises(InvalidRequest, match="outside"):
        output_path(tmp_path, "link", ".mid")


def test_write_atomic_leaves_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "song.mid"

    def fail(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match="free space"):
        write_atomic(target, fail)
    assert list(tmp_path.iterdir()) == []
    write_atomic(target, lambda tmp: tmp.write_bytes(b"MThd"))
    assert target.read_bytes() == b"MThd"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_folder_is_explained(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    with pytest.raises(OutputError, match="--output-dir"):
        write_atomic(folder / "x.mid", lambda tmp: tmp.write_bytes(b""))
