"""The loudness meter (ITU-R BS.1770-4) against the standard's reference tone and against pyloudnorm."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.render.audio import gain_to, measure_lufs

pyloudnorm = pytest.importorskip("pyloudnorm")


def tone(rate: int, seconds: float, hz: float = 1000.0, amplitude: float = 1.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)[None]


@pytest.mark.parametrize("rate", [44100, 48000, 96000])
def test_a_full_scale_1khz_tone_reads_minus_3_lufs(rate: int) -> None:
    # BS.1770: a 0 dBFS 1 kHz sine in one channel measures -3.01 LKFS
    assert measure_lufs(tone(rate, 3.0), rate) == pytest.approx(-3.01, abs=0.05)
    assert measure_lufs(tone(rate, 3.0, amplitude=0.1), rate) == pytest.approx(-23.01, abs=0.05)


def test_music_like_signals_agree_with_pyloudnorm() -> None:
    rng = np.random.default_rng(7)
    rate = 44100
    for trial in range(4):
        frames = rate * 12
        noise = rng.standard_normal((2, frames)).astype(np.float32) * 0.05
        envelope = np.repeat(rng.uniform(0.0, 1.0, frames // 4410 + 1), 4410)[:frames]
        envelope[: rate * 2] = 0.0  # a silent intro: gated out by both meters
        audio = noise * envelope + tone(rate, 12.0, hz=110.0 * (trial + 1), amplitude=0.2)
        reference = pyloudnorm.Meter(rate).integrated_loudness(audio.T.astype(np.float64))
        # pyloudnorm's K-weighting coefficients are a slight approximation: 0.05 LU apart at most
        assert measure_lufs(audio, rate) == pytest.approx(reference, abs=0.1)


def test_silence_and_short_sounds() -> None:
    assert measure_lufs(np.zeros((2, 44100), np.float32), 44100) == float("-inf")
    assert gain_to(np.zeros((2, 44100), np.float32), 44100, -16.0) == 1.0
    blip = tone(44100, 0.1)
    assert np.isfinite(measure_lufs(blip, 44100))  # shorter than one 400 ms block: padded, still measured
    audio = np.repeat(tone(44100, 2.0, amplitude=0.3), 2, axis=0)
    before = audio.copy()
    measure_lufs(audio, 44100)
    assert np.array_equal(audio, before)  # the caller's buffer is left alone
    gain = gain_to(audio, 44100, -20.0)
    assert measure_lufs(audio * gain, 44100) == pytest.approx(-20.0, abs=0.01)


def test_agrees_with_torchaudio_where_it_imports() -> None:
    """torchaudio (the `audio` extra) only imports beside a CUDA build of torch: skipped elsewhere."""
    torch = pytest.importorskip("torch")
    functional = pytest.importorskip("torchaudio.functional")
    rng = np.random.default_rng(3)
    audio = (rng.standard_normal((2, 44100 * 6)) * 0.1).astype(np.float32)
    reference = float(functional.loudness(torch.from_numpy(audio), 44100))
    assert measure_lufs(audio, 44100) == pytest.approx(reference, abs=0.1)


@pytest.mark.parametrize("rate", [44100, 22050])  # 22050: how estimate_lufs measures 44.1 kHz, every other sample
def test_channels_filtered_one_at_a_time_give_the_stereo_energies_exactly(rate: int) -> None:
    """Measured a channel at a time (a quarter less CPU): the same sums, so every gain and file is as before."""
    from bridge.render.audio import LOUDNESS_SLICE_HOPS, _hop_energies, _hop_energy, k_filters

    rng = np.random.default_rng(11)
    frames = rate * 7 + 123
    audio = (rng.standard_normal((2, frames)) * np.linspace(0.01, 0.4, frames)).astype(np.float32)
    audio[1] += tone(rate, frames / rate, hz=220.0, amplitude=0.3)[0, :frames]  # the channels differ
    hop = rate // 10
    count = frames // hop
    board, _ = k_filters(rate)
    together = np.concatenate([
        _hop_energy(board(np.ascontiguousarray(audio[:, at * hop:(at + n) * hop]), rate, reset=at == 0), n)
        for at in range(0, count, LOUDNESS_SLICE_HOPS) for n in [min(LOUDNESS_SLICE_HOPS, count - at)]])
    assert np.array_equal(_hop_energies(audio, rate, 0, count), together)
    assert measure_lufs(audio, rate, threads=2) == measure_lufs(audio, rate)
