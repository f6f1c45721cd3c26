"""Stems from MIDI: sketch instruments with nothing installed, a real GM SoundFont, formats, loudness."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bridge.cli import main
from bridge.errors import SoundfontError
from bridge.render.audio import measure_lufs, read_audio
from bridge.render import stems
from bridge.presets import load_preset
from bridge.render.presets import parse_render
from bridge.render.song import Part, Song
from bridge.render.soundfont import find_soundfont
from bridge.render.specs import EffectSpec, with_instrument
from bridge.render.stems import render_files
from tests.bridge.render_fakes import write_song

SONG_SECONDS = 4.0  # two bars at 120 bpm
HAVE_SOUNDFONT = find_soundfont() is not None
needs_soundfont = pytest.mark.skipif(not HAVE_SOUNDFONT, reason="no GM SoundFont installed (apt install "
                                     "timgm6mb-soundfont); CI installs one")


@pytest.fixture
def nothing_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SoundFont in any folder and no FluidSynth library, as on a bare machine."""
    monkeypatch.setattr("bridge.render.soundfont.soundfont_dirs", lambda: ())
    monkeypatch.setattr("bridge.render.soundfont._lib", None)
    monkeypatch.setattr("bridge.render.soundfont.LIBRARY_NAMES", ())
    monkeypatch.setattr("ctypes.util.find_library", lambda name: None)


def _check_stems(song, seconds: float, sample_rate: int, parts: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Every file: stereo, the rate asked for, the same length, non-silent, starting at bar 1."""
    assert list(song.stems) == list(parts)
    audio = {}
    for name, path in [("mix", song.mix), *song.stems.items()]:
        data, rate = read_audio(path)
        assert rate == sample_rate and data.shape == (2, song.frames), name
        assert np.abs(data).max() > 0.01, f"{name} is silent"
        onset = np.argmax(np.abs(data).max(axis=0) > 1e-3) / rate
        assert onset < 0.05, f"{name} starts {onset:.3f} s late"  # every part plays on beat 1
        audio[name] = data
    assert song.frames == pytest.approx((SONG_SECONDS + seconds) * sample_rate, abs=sample_rate * 0.2)
    return audio


def test_sketch_instruments_with_nothing_installed(tmp_path: Path, nothing_installed) -> None:
    parts = ("melody", "counter", "keys", "bass", "pad", "arp", "drums")
    midi = write_song(tmp_path / "tune.mid", parts)
    preset = load_preset("default").render  # instrument auto: falls back to sketch
    [song] = render_files([midi], preset, tmp_path / "stems", jobs=1)
    assert set(song.instruments.values()) >= {"sketch:kit", "sketch:bass", "sketch:keys", "sketch:pad"}
    audio = _check_stems(song, preset.tail_seconds, 44100, parts)
    assert measure_lufs(audio["mix"], 44100) == pytest.approx(-16.0, abs=0.5)
    # deterministic: the same input gives the same bytes
    [again] = render_files([midi], preset, tmp_path / "again", jobs=1)
    for a, b in zip([song.mix, *song.stems.values()], [again.mix, *again.stems.values()]):
        assert a.read_bytes() == b.read_bytes()


def test_asking_for_a_soundfont_with_none_installed_says_how_to_fix(tmp_path: Path, nothing_installed) -> None:
    midi = write_song(tmp_path / "tune.mid", ("keys",))
    preset = with_instrument(load_preset("default").render, "soundfont")
    with pytest.raises(SoundfontError, match="no SoundFont .*apt install timgm6mb-soundfont"):
        render_files([midi], preset, tmp_path / "stems", jobs=1)
    named = parse_render({"soundfont": "Missing.sf2", "default": {"instrument": "soundfont"}}, "x.toml")
    with pytest.raises(SoundfontError, match="'Missing.sf2' not found"):
        render_files([midi], named, tmp_path / "stems", jobs=1)


@needs_soundfont
@pytest.mark.parametrize("fmt, rate, depth", [("wav", 48000, 24), ("flac", 44100, 16), ("aiff", 44100, 24)])
def test_soundfont_stems_formats_and_loudness(tmp_path: Path, fmt: str, rate: int, depth: int) -> None:
    parts = ("melody", "keys", "bass", "drums")
    midi = write_song(tmp_path / "tune.mid", parts)
    preset = with_instrument(load_preset("default").render, "soundfont").replace(
        format=fmt, sample_rate=rate, bit_depth=depth, loudness_lufs=-18.0)
    [song] = render_files([midi], preset, tmp_path / "stems", jobs=1)
    assert set(song.instruments.values()) == {f"soundfont:{find_soundfont().name}"}
    assert song.mix.suffix == {"wav": ".wav", "flac": ".flac", "aiff": ".aif"}[fmt]
    audio = _check_stems(song, preset.tail_seconds, rate, parts)
    assert measure_lufs(audio["mix"], rate) == pytest.approx(-18.0, abs=0.5)


@needs_soundfont
def test_each_stem_normalised_and_reverb_tail_kept(tmp_path: Path) -> None:
    midi = write_song(tmp_path / "tune.mid", ("keys", "bass"))
    preset = parse_render({
        "loudness_lufs": -20.0, "loudness_mode": "each", "tail_seconds": 3.0,
        "default": {"instrument": "soundfont"},
        "parts": {"keys": {"effects": [{"name": "Reverb", "room_size": 0.9, "wet_level": 0.5}]}},
    }, "inline")
    [song] = render_files([midi], preset, tmp_path / "stems", jobs=1)
    audio = _check_stems(song, 3.0, 44100, ("keys", "bass"))
    for name in ("mix", "keys", "bass"):
        assert measure_lufs(audio[name], 44100) == pytest.approx(-20.0, abs=0.5), name
    tail = audio["keys"][:, int((SONG_SECONDS + 0.5) * 44100):]
    assert np.abs(tail).max() > 1e-3  # the reverb rings on after the last note, inside the file


@pytest.mark.slow
def test_batch_folder_in_parallel_from_the_cli(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "songs"
    folder.mkdir()
    write_song(folder / "one.mid", ("keys", "bass"))
    write_song(folder / "two.mid", ("pad", "drums"))
    (folder / "notes.txt").write_text("not MIDI")
    code = main(["render", str(folder), "--out", str(tmp_path / "stems"), "--preset", "sketch", "--jobs", "2",
                 "--format", "flac", "--bit-depth", "16"])
    assert code == 0
    printed = capsys.readouterr().out
    for name in ("one-mix", "one-keys", "one-bass", "two-mix", "two-pad", "two-drums"):
        assert (tmp_path / "stems" / f"{name}.flac").is_file() and f"{name}.flac" in printed


@pytest.mark.slow
@pytest.mark.parametrize("loudness", ["mix", None])  # stems wait for the mix's gain, or are written at once
def test_parts_in_parallel_give_the_same_bytes_as_one_process(tmp_path: Path, monkeypatch, loudness) -> None:
    midi = write_song(tmp_path / "tune.mid", ("keys", "bass", "drums", "pad"))
    preset = load_preset("default").render
    if loudness is None:
        preset = dataclasses.replace(preset, loudness_lufs=None)
    [one] = render_files([midi], preset, tmp_path / "one", jobs=1)
    [threads] = render_files([midi], preset, tmp_path / "threads", jobs=2)  # parts on threads
    monkeypatch.setattr(stems, "_uses_plugins", lambda songs, preset: True)
    [processes] = render_files([midi], preset, tmp_path / "processes", jobs=2)  # a part per process, as with plugins
    for other in (threads, processes):
        for a, b in zip([one.mix, *one.stems.values()], [other.mix, *other.stems.values()]):
            assert a.read_bytes() == b.read_bytes(), (a.name, b)


def test_external_plugins_keep_parts_in_processes() -> None:
    song = Song("tune", (Part("keys", 0, False, np.zeros((0, 4))), Part("bass", 33, False, np.zeros((0, 4)))), 1.0)
    preset = load_preset("default").render
    assert not stems._uses_plugins([song], preset)
    plugin_effect = EffectSpec(plugin="/plugins/Shimmer.vst3")
    with_effect = replace(preset, parts={**preset.parts, "bass": replace(preset.part("bass"), effects=(plugin_effect,))})
    assert stems._uses_plugins([song], with_effect)
    assert stems._uses_plugins([song], replace(preset, master=(plugin_effect,)))
    synth = replace(preset, parts={**preset.parts, "keys": replace(preset.part("keys"), instrument="plugin",
                                                                    plugin="/plugins/Piano.vst3")})
    assert stems._uses_plugins([song], synth)


def test_cli_errors_name_the_fix(tmp_path: Path, capsys) -> None:
    assert main(["render", str(tmp_path / "missing.mid"), "--out", str(tmp_path)]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["render", str(tmp_path / "empty"), "--out", str(tmp_path)]) == 2
    assert "holds no .mid" in capsys.readouterr().err
    write_song(tmp_path / "tune.mid", ("keys",))
    assert main(["render", str(tmp_path / "tune.mid"), "--out", str(tmp_path), "--preset", "nope"]) == 2
    assert "known presets" in capsys.readouterr().err


def _installed_vst3() -> Path | None:
    from bridge.render.plugins import plugin_dirs

    found = sorted(p for d in plugin_dirs() if d.is_dir() for p in d.glob("*.vst3"))
    return found[0] if found else None


@pytest.mark.plugins
@pytest.mark.skipif(_installed_vst3() is None, reason="no VST3 plugin installed in the usual folders")
def test_an_installed_vst3_plays_a_part_or_processes_it(tmp_path: Path) -> None:
    import pedalboard

    path = _installed_vst3()
    is_instrument = pedalboard.load_plugin(str(path)).is_instrument
    part = {"instrument": "plugin", "plugin": str(path)} if is_instrument else {
        "instrument": "sketch", "effects": [{"plugin": str(path)}]}
    preset = parse_render({"parts": {"keys": part}}, "inline")
    midi = write_song(tmp_path / "tune.mid", ("keys",))
    [song] = render_files([midi], preset, tmp_path / "stems", jobs=1)
    assert read_audio(song.stems["keys"])[0].shape == (2, song.frames)


@needs_soundfont
def test_switching_soundfonts_in_one_process_sounds_the_same(tmp_path: Path) -> None:
    """The parsed SoundFont is shared between parts; another file replaces it, and renders stay identical."""
    from bridge.render.song import read_song
    from bridge.render.soundfont import SoundfontSynth

    original = find_soundfont()
    copy = tmp_path / "copy.sf2"
    copy.write_bytes(original.read_bytes())
    part = read_song(str(write_song(tmp_path / "tune.mid", ("keys",)))).parts[0]
    takes = []
    for path in (original, copy, original):
        synth = SoundfontSynth(path, 44100)
        try:
            takes.append(synth.render(part, 44100 * 3))
        finally:
            synth.close()
    assert np.abs(takes[0]).max() > 0.01
    assert np.array_equal(takes[0], takes[1]) and np.array_equal(takes[0], takes[2])


@needs_soundfont
def test_silences_are_skipped_without_changing_a_sample() -> None:
    """A part with long rests renders the same bytes whether FluidSynth runs through the silence or not."""
    from bridge.render.song import Part
    from bridge.render.soundfont import SoundfontSynth

    # a piano's release rings for seconds: the rests are long enough to outlast it
    notes = np.array([[0.0, 0.5, 60, 100], [0.25, 2.0, 64, 90], [12.0, 0.3, 67, 110], [22.5, 0.1, 72, 60]])
    part = Part("keys", 0, False, notes, controls=((11.0, 7, 90),), bends=((12.1, 1200),))
    takes, synthesised = [], []
    for skip in (False, True):
        synth = SoundfontSynth(find_soundfont(), 44100)
        synth.skip_silence = skip
        fill, frames = synth._fill, []
        synth._fill = lambda start, end, fill=fill, frames=frames: (frames.append(end - start), fill(start, end))
        try:
            takes.append(synth.render(part, 44100 * 30))
        finally:
            synth.close()
        synthesised.append(sum(frames))
    assert synthesised[0] == 44100 * 30 and synthesised[1] < 44100 * 25  # the rests and the tail were skipped
    assert np.abs(takes[0][:, 44100 * 12:44100 * 13]).max() > 0.01  # the note after the rest sounds
    assert not takes[0][:, 44100 * 10:44100 * 11].any()  # the rest is silent
    assert np.array_equal(takes[0], takes[1])
    used = np.full((2, 44100 * 30), 0.5, dtype=np.float32)  # another part's memory, rendered over
    synth = SoundfontSynth(find_soundfont(), 44100)
    try:
        assert synth.render(part, 44100 * 30, out=used) is used
    finally:
        synth.close()
    assert np.array_equal(used, takes[0])


@needs_soundfont
def test_stems_written_as_they_come_add_up_to_the_mix(tmp_path: Path) -> None:
    """With no loudness target each stem is written once mixed and its memory used for the next part."""
    parts = ("melody", "keys", "bass", "drums")
    midi = write_song(tmp_path / "tune.mid", parts)
    preset = parse_render({"default": {"instrument": "soundfont"}, "bit_depth": 32}, "inline")
    [song] = render_files([midi], preset, tmp_path / "stems", jobs=1)
    audio = _check_stems(song, preset.tail_seconds, 44100, parts)
    summed = sum(audio[name] for name in parts)
    assert np.allclose(audio["mix"], summed, atol=1e-6)
    assert len({audio[name].tobytes() for name in parts}) == len(parts)  # no stem is another's leftover


@needs_soundfont
def test_a_failed_render_leaves_no_files_behind(tmp_path: Path, monkeypatch) -> None:
    midi = write_song(tmp_path / "tune.mid", ("melody", "keys", "bass"))
    out = tmp_path / "stems"
    preset = parse_render({"default": {"instrument": "soundfont"}}, "inline")
    [first] = render_files([midi], preset, out, jobs=1)
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    real = stems.render_part

    def failing(part, *args, **kwargs):
        if part.name == "bass":
            raise RuntimeError("the bass instrument broke")
        return real(part, *args, **kwargs)

    monkeypatch.setattr(stems, "render_part", failing)
    louder = preset.replace(bit_depth=16)  # different bytes, were any file replaced
    for jobs in (1, 2):
        with pytest.raises(RuntimeError, match="bass"):
            render_files([midi], louder, out, jobs=jobs)
        assert {path.name: path.read_bytes() for path in out.iterdir()} == before  # the last good set, whole
