"""Every bundled preset renders a generated song under -1 dBTP with balanced stems; clipping says how to fix it.

Balance rule: the stems' integrated loudnesses (BS.1770) lie within 6 LU of each other, so no part is
buried more than 6 LU under the loudest (the bass 15 LU under the keys was the complaint). True peak is
measured here independently of continuo's own meter: 4x oversampling with SciPy's polyphase resampler.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import pytest

from bridge.jobs.outputs import save_results
from bridge.presets import load_preset
from bridge.render.audio import measure_lufs, read_audio
from bridge.render.presets import BUNDLED_PRESETS
from bridge.render.specs import with_instrument
from bridge.render.stems import render_files
from bridge.requests import parse_mapping
from models.registry import load_generator

signal = pytest.importorskip("scipy.signal")

PRESETS = sorted(path.stem for path in BUNDLED_PRESETS.glob("*.toml"))
CHORDS = "Am7 | D7 | Gmaj7 | Cmaj7 | Am7 | D7 | Gmaj7 | Cmaj7"
EVERY_PART = "bass,keys,pad,arp,melody,counter"  # for presets that leave the parts to the request
BALANCE_LU = 6.0
CEILING_DBTP = -1.0


def true_peak_dbtp(audio: np.ndarray) -> float:
    return float(20 * np.log10(np.abs(signal.resample_poly(audio.astype(np.float64), 4, 1, axis=1)).max()))


@pytest.fixture(scope="module")
def generator():
    return load_generator("default")


@pytest.fixture(scope="module")
def songs(generator, tmp_path_factory) -> dict[str, Path]:
    """An 8-bar result per bundled preset, generated with its keys and written with its programs."""
    folder = tmp_path_factory.mktemp("songs")
    paths = {}
    for name in PRESETS:
        preset = load_preset(name)
        keys = {"task": "accompany", "chords": CHORDS, "bars": 8, "seed": 1, "preset": name}
        if "parts" not in preset.generate:
            keys["parts"] = EVERY_PART
        results = generator.generate(parse_mapping(keys).build(lambda clip: ()))
        paths[name] = save_results(results[:1], name, folder, name, programs=preset.programs())[0]
    return paths


@pytest.mark.parametrize("instrument", ["auto", "sketch"])  # auto: the GM SoundFont where installed (CI has one)
@pytest.mark.parametrize("name", PRESETS)
def test_a_bundled_preset_peaks_under_minus_1_dbtp_with_balanced_stems(songs, tmp_path, name, instrument) -> None:
    preset = load_preset(name).render
    if instrument == "sketch" and preset.default.instrument == "sketch":
        pytest.skip("this preset plays the sketch instruments already")
    song = render_files([songs[name]], with_instrument(preset, None if instrument == "auto" else instrument),
                        tmp_path, jobs=1)[0]
    mix, rate = read_audio(song.mix)
    assert true_peak_dbtp(mix) <= CEILING_DBTP
    assert measure_lufs(mix, rate) == pytest.approx(preset.loudness_lufs, abs=1.0)  # the ceiling did not have to cost much
    loudness = {part: round(measure_lufs(read_audio(path)[0], rate), 1) for part, path in song.stems.items()}
    assert max(loudness.values()) - min(loudness.values()) <= BALANCE_LU, loudness


def hot(preset, part: str, gain_db: float = 24.0):
    """``preset`` with one part far too loud and no loudness normalisation: it must clip."""
    spec = dataclasses.replace(preset.part(part), gain_db=gain_db)
    return dataclasses.replace(preset, parts={**preset.parts, part: spec}, loudness_lufs=None)


def test_a_clipping_bundled_preset_names_a_fix_the_user_can_make(songs, tmp_path, caplog) -> None:
    preset = hot(load_preset("jazz-trio").render, "bass")
    with caplog.at_level(logging.WARNING):
        render_files([songs["jazz-trio"]], preset, tmp_path, jobs=1)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    stem = next(w for w in warnings if "stem bass" in w)
    mix = next(w for w in warnings if "the mix" in w)
    for text in (stem, mix):
        assert "dBFS" in text and "continuo presets --show jazz-trio >" in text and "--loudness" in text, text
        assert str(BUNDLED_PRESETS) not in text  # never "edit the bundled preset": it is replaced on upgrade
    assert "gain_db in [render.parts.bass]" in stem


def test_a_clipping_user_preset_names_its_own_file(songs, tmp_path, caplog) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text(load_preset("jazz-trio").path.read_text())
    preset = hot(load_preset(str(mine)).render, "keys")
    with caplog.at_level(logging.WARNING):
        render_files([songs["jazz-trio"]], preset, tmp_path / "out", jobs=1)
    stem = next(r.getMessage() for r in caplog.records if "stem keys" in r.getMessage())
    assert f"lower gain_db in [render.parts.keys] of {mine}" in stem
