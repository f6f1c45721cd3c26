"""`continuo render` starts light: only what a SoundFont render with the default preset needs, at its levels."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bridge.errors import SoundfontError
from bridge.presets import load_preset
from bridge.render import soundfont
from bridge.render.audio import measure_lufs, read_audio, true_peak_dbfs
from bridge.render.soundfont import SoundfontSynth, find_soundfont
from bridge.render.specs import with_instrument
from bridge.render.stems import render_files
from tests.bridge.render_fakes import write_song

needs_soundfont = pytest.mark.skipif(find_soundfont() is None, reason="no GM SoundFont installed (apt install "
                                     "timgm6mb-soundfont); CI installs one")

# loaded by a render that does not use them: pyfluidsynth (its import runs `ldconfig` to find the library),
# symusic's Python package around its core (factory dataclasses, hashlib and OpenSSL, pySmartDL: urllib, http,
# ssl), zipfile (importlib.resources, to find the bundled presets), the sketch synth and plugin host, torch, scipy
NOT_NEEDED = ("fluidsynth", "symusic.factory", "hashlib", "pySmartDL", "http.client", "zipfile",
              "bridge.render.sketch", "bridge.render.plugins", "torch", "scipy")


def run_fresh(code: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1]


@needs_soundfont
def test_a_soundfont_render_loads_only_what_it_uses(tmp_path: Path) -> None:
    song = write_song(tmp_path / "song.mid", ("melody", "keys", "bass", "drums"))
    code = ("import sys\nfrom bridge.cli import main\n"
            f"assert main(['render', {str(song)!r}, '--out', {str(tmp_path / 'out')!r}]) == 0\n"
            f"print(' '.join(m for m in {NOT_NEEDED!r} if m in sys.modules))")
    loaded = run_fresh(code, tmp_path)
    assert (tmp_path / "out" / "song-mix.wav").is_file()
    assert loaded == "", f"the render loaded {loaded}"


@needs_soundfont
@pytest.mark.skipif(not Path("/proc/self/task").is_dir() or (os.cpu_count() or 1) < 2,
                    reason="counts the process's threads in /proc; BLAS starts none on one core")
def test_a_render_starts_no_blas_threads(tmp_path: Path) -> None:
    """NumPy's OpenBLAS starts a thread per core as it loads, which spins on the core a render needs: the render
    command has it start none (a render does no matrix products), unless the environment asks for them."""
    song = write_song(tmp_path / "song.mid", ("melody", "bass"))
    code = ("import os, time\nfrom bridge.cli import main\n"
            f"assert main(['render', {str(song)!r}, '--out', {str(tmp_path / 'out')!r}]) == 0\n"
            "for _ in range(40):  # the render's own threads, joined, take a moment to leave the list\n"
            "    if len(os.listdir('/proc/self/task')) == 1: break\n"
            "    time.sleep(0.05)\n"
            "print(len(os.listdir('/proc/self/task')), os.environ.get('OPENBLAS_NUM_THREADS'))")
    env = {key: value for key, value in os.environ.items() if key not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    assert run_fresh(code, tmp_path, env) == "1 1"  # this thread alone
    assert run_fresh(code, tmp_path, dict(env, OPENBLAS_NUM_THREADS="2")).split() == ["2", "2"]  # asked for


def test_symusic_can_still_download_its_soundfonts_after_a_render_read_a_file(tmp_path: Path) -> None:
    """symusic is imported without its downloader; asked to download, it gets the real one."""
    song = write_song(tmp_path / "song.mid", ("bass",))
    code = ("import sys\nfrom bridge.render.song import read_song\n"
            f"read_song({str(song)!r})\n"
            "import symusic.soundfont as sf\n"
            "download = sf.SmartDL('https://example.invalid/x.sf3', " + repr(str(tmp_path)) + ", progress_bar=False)\n"
            "print(type(download).__module__, 'pySmartDL' in sys.modules)")
    assert run_fresh(code, tmp_path) == "pySmartDL.pySmartDL True"


def test_symusic_imported_after_a_render_read_a_file_reads_files_too(tmp_path: Path) -> None:
    """A render loads symusic's core alone; the whole package, imported afterwards in the same process (the
    daemon reads MIDI with it), wraps that same core."""
    song = write_song(tmp_path / "song.mid", ("melody", "bass"))
    code = ("import sys\nfrom bridge.render.song import read_song\n"
            f"parts = len(read_song({str(song)!r}).parts)\n"
            "assert 'symusic' not in sys.modules\n"
            "import symusic\n"
            f"score = symusic.Score({str(song)!r}, ttype='second')\n"
            "print(parts, len(score.tracks), score.note_num() > 0)")
    assert run_fresh(code, tmp_path) == "2 2 True"


@needs_soundfont
def test_the_soundfont_is_parsed_while_numpy_loads(tmp_path: Path) -> None:
    """The render command starts parsing the SoundFont before the preset's check loads NumPy and pedalboard
    (about 0.1 s in which the second core had nothing to do); the parts then find it parsed."""
    song = write_song(tmp_path / "song.mid", ("melody", "bass"))
    code = ("import sys\nfrom bridge.render import soundfont\nfrom bridge.cli import main\n"
            "seen = []\nplain = soundfont.preload\n"
            "def preload(wanted=''):\n"
            "    seen.append('numpy' in sys.modules)\n"
            "    return plain(wanted)\n"
            "soundfont.preload = preload\n"
            f"assert main(['render', {str(song)!r}, '--out', {str(tmp_path / 'out')!r}]) == 0\n"
            "print(seen)")
    assert run_fresh(code, tmp_path) == "[False]"
    assert (tmp_path / "out" / "song-mix.wav").is_file()


def test_the_render_command_leaves_little_for_the_exit_to_collect(tmp_path: Path) -> None:
    """What the render loaded (NumPy, pedalboard, its modules) is left out of later garbage collections, the
    interpreter's last one as the command exits included (20 ms after every file is written); a process that
    calls the command and goes on still collects."""
    song = write_song(tmp_path / "song.mid", ("bass",))
    code = ("import gc, sys\nfrom bridge.cli import main\n"
            f"assert main(['render', {str(song)!r}, '--out', {str(tmp_path / 'out')!r}, '--preset', 'sketch']) == 0\n"
            "print(len(gc.get_objects()) * 4 < gc.get_freeze_count(), gc.isenabled(), 'numpy' in sys.modules)")
    assert run_fresh(code, tmp_path) == "True True True"
    assert (tmp_path / "out" / "song-mix.wav").is_file()


@needs_soundfont
def test_without_the_fluidsynth_library_a_soundfont_part_says_how_to_fix(monkeypatch) -> None:
    monkeypatch.setattr(soundfont, "_lib", None)
    monkeypatch.setattr(soundfont, "LIBRARY_NAMES", ("libfluidsynth-missing.so.9",))
    monkeypatch.setattr("ctypes.util.find_library", lambda name: None)
    with pytest.raises(SoundfontError, match="needs the FluidSynth library .*apt install libfluidsynth3"):
        SoundfontSynth(find_soundfont(), 44100)


@needs_soundfont
def test_the_default_preset_mix_hits_its_loudness_under_its_ceiling(tmp_path: Path) -> None:
    """The mix is measured at half the rate on two threads: still within a tenth of a LU of the target."""
    midi = write_song(tmp_path / "tune.mid", ("melody", "keys", "bass", "drums"), bars=8)
    preset = with_instrument(load_preset("default").render, "soundfont")
    for jobs in (1, 2):
        [song] = render_files([midi], preset, tmp_path / f"stems{jobs}", jobs=jobs)
        mix, rate = read_audio(song.mix)
        assert measure_lufs(mix, rate) == pytest.approx(preset.loudness_lufs, abs=0.1)
        assert true_peak_dbfs(mix) <= preset.true_peak_dbtp + 0.05
        stems = sum(read_audio(path)[0] for path in song.stems.values())
        assert np.abs(stems).max() > 0.05  # the stems are there, at the mix's gain
