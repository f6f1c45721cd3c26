"""Commands import only what they need: the heavy libraries stay out of `continuo` and `continuo render`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bridge.midi.files import build_midi, write_midi
from models.types import Note

HEAVY = ("torch", "scipy")


def modules_after(code: str, cwd: Path) -> set[str]:
    """The top-level packages a fresh interpreter has imported after running ``code``."""
    probe = code + "\nimport sys\nprint(' '.join(sorted({name.partition('.')[0] for name in sys.modules})))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.splitlines()[-1].split())


def test_the_command_line_starts_without_torch_or_scipy(tmp_path: Path) -> None:
    loaded = modules_after("import bridge.cli\nbridge.cli.build_parser()", tmp_path)
    assert not loaded & set(HEAVY)


def test_the_render_command_needs_neither_torch_nor_scipy(tmp_path: Path) -> None:
    song = write_midi(tmp_path / "song.mid", build_midi(
        {"bass": (Note(36, 0.0, 1.0, 90),), "keys": (Note(60, 0.0, 2.0, 80), Note(64, 1.0, 1.0, 80))}, 120.0, (4, 4)))
    code = ("from bridge.cli import main\n"
            f"assert main(['render', {str(song)!r}, '--out', {str(tmp_path / 'out')!r}, '--jobs', '1']) == 0")
    loaded = modules_after(code, tmp_path)
    assert (tmp_path / "out" / "song-mix.wav").is_file()
    assert not loaded & set(HEAVY), "the default preset's render (effects, loudness) imported " + \
        ", ".join(sorted(loaded & set(HEAVY)))


def test_generate_with_the_default_model_writes_and_reports_its_file(tmp_path: Path) -> None:
    """The command leaves without the interpreter's (slow, torch) teardown: what it wrote and printed is all there."""
    out = tmp_path / "song.mid"
    done = subprocess.run([sys.executable, "-m", "bridge", "generate", "--chords", "C | G", "--parts", "bass,keys",
                           "--bars", "2", "--out", str(out)], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(str(out)) and "bass" in done.stdout
    from bridge.midi.files import read_notes

    assert read_notes(out)
