"""Bad folders and files given to the commands: one clear line naming the flag, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bridge.cli import main
from bridge.jobs.outputs import save_results
from models.types import Note, Result


@pytest.fixture
def song(tmp_path: Path) -> Path:
    result = Result({"bass": (Note(40, 0.0, 1.0, 80),)}, (), 1, (4, 4), 120.0)
    return save_results([result], "song", tmp_path, title="t")[0]


def _one_line(capsys) -> str:
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("continuo: ") and "Traceback" not in lines[0], lines
    return lines[0]


@pytest.mark.parametrize("out", ["a-file/stems", "a-file", "a-file/deeper/stems"])
def test_render_into_a_file_or_under_one_says_so(tmp_path: Path, song: Path, out: str, capsys) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    code = main(["render", str(song), "--out", str(tmp_path / out), "--preset", "sketch", "--jobs", "1"])
    line = _one_line(capsys)
    assert code == 2 and "--out" in line and "a-file" in line and "is a file" in line


def test_generate_out_under_a_file_says_so(tmp_path: Path, capsys) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    code = main(["generate", "--chords", "C", "--parts", "bass", "--out", str(tmp_path / "a-file" / "x.mid")])
    line = _one_line(capsys)
    assert code == 2 and "--out" in line and "is a file" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_render_into_an_unwritable_folder_says_so(tmp_path: Path, song: Path, capsys) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    code = main(["render", str(song), "--out", str(locked / "stems"), "--preset", "sketch", "--jobs", "1"])
    line = _one_line(capsys)
    assert code == 2 and "--out" in line and "write" in line
