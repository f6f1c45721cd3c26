"""Stereo WAV files come out as the same bytes pedalboard's writer makes, only faster."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from pedalboard.io import AudioFile

from bridge.render import audio
from bridge.render.audio import read_audio, write_audio, write_stereo_wav

SPECIAL = [np.nan, np.inf, -np.inf, 1.0, -1.0, 1.5, -2.0, 1e-30, -1e-30, 0.99999994, -0.99999994, 3.0 / 65536]


def pedalboard_bytes(samples: np.ndarray, rate: int, depth: int) -> bytes:
    handle = io.BytesIO()
    with AudioFile(handle, "w", rate, samples.shape[0], bit_depth=depth, format="wav") as out:
        out.write(samples)
    return handle.getvalue()


@pytest.mark.parametrize("depth", [16, 24, 32])
@pytest.mark.parametrize("frames", [0, 1, 999, 1000, 2501])
def test_stereo_wav_is_byte_for_byte_what_pedalboard_writes(depth: int, frames: int, monkeypatch) -> None:
    monkeypatch.setattr(audio, "WAV_CHUNK_FRAMES", 1000)  # several slices, and a short last one
    rng = np.random.default_rng(frames + depth)
    samples = (rng.standard_normal((2, frames)) * 0.6).astype(np.float32)
    if frames > len(SPECIAL):  # clipping, NaN, infinities and rounding ties
        samples[0, :len(SPECIAL)] = SPECIAL
        samples[1, -len(SPECIAL):] = SPECIAL[::-1]
        ties = rng.integers(-2**23, 2**23, frames // 4) + 0.5
        samples[1, :ties.size] = (ties / 2**23).astype(np.float32)
    ours = io.BytesIO()
    write_stereo_wav(ours, samples, 48000, depth)
    assert ours.getvalue() == pedalboard_bytes(samples, 48000, depth)


def test_written_files_read_back_as_the_audio(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    stereo = (rng.standard_normal((2, 44100)) * 0.2).astype(np.float32)
    mono = stereo[:1].copy()
    for name, samples, fmt, depth in (("s.wav", stereo, "wav", 24), ("m.wav", mono, "wav", 24),
                                      ("f.wav", stereo, "wav", 32), ("s.flac", stereo, "flac", 24)):
        path = write_audio(tmp_path / name, samples, 44100, fmt, depth)
        back, rate = read_audio(path)
        assert rate == 44100 and back.shape == samples.shape
        assert np.max(np.abs(back - samples)) <= (0 if depth == 32 else 2.0 ** -22)
    assert not list(tmp_path.glob(".*.part"))  # no temporary file left behind


@pytest.mark.parametrize("depth", [16, 24, 32])
def test_the_writer_reports_the_peak_it_wrote(depth: int, monkeypatch) -> None:
    """The clipping warning uses the peak found while writing: the level of the gained samples, over 1 too."""
    monkeypatch.setattr(audio, "WAV_CHUNK_FRAMES", 1000)
    samples = (np.random.default_rng(depth).standard_normal((2, 4321)) * 0.3).astype(np.float32)
    samples[1, 3333] = -1.7
    peak = write_stereo_wav(io.BytesIO(), samples, 44100, depth, gain=0.5)
    assert peak == float(np.abs(samples * np.float32(0.5)).max()) == pytest.approx(0.85)
