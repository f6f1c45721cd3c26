"""The meters without SciPy: K-weighting by pedalboard's filters, and the 4x oversampled true peak."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.render.audio import k_weighting, measure_lufs, true_peak_dbfs

signal = pytest.importorskip("scipy.signal")


def tone(rate: int, hz: float, seconds: float = 3.0, amplitude: float = 0.5, phase: float = 0.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return np.repeat((amplitude * np.sin(2 * np.pi * hz * t + phase)).astype(np.float32)[None], 2, axis=0)


def standard_lufs(audio: np.ndarray, rate: int) -> float:
    """Loudness of a steady signal through the standard's own K-weighting biquads (no gating needed)."""
    weighted = signal.sosfilt(k_weighting(rate), audio.astype(np.float64), axis=1)[:, rate:]  # settled
    return float(-0.691 + 10 * np.log10(np.square(weighted).mean(axis=1).sum()))


@pytest.mark.parametrize("rate", [22050, 44100, 48000, 96000])
@pytest.mark.parametrize("hz", [25.0, 60.0, 200.0, 1000.0, 4000.0, 10000.0])
def test_k_weighting_matches_the_standards_filters(rate: int, hz: float) -> None:
    audio = tone(rate, hz)
    assert measure_lufs(audio, rate) == pytest.approx(standard_lufs(audio, rate), abs=0.02)


def test_loudness_of_noise_matches_the_standards_filters() -> None:
    rng = np.random.default_rng(5)
    audio = (rng.standard_normal((2, 44100 * 5)) * 0.1).astype(np.float32)
    assert measure_lufs(audio, 44100) == pytest.approx(standard_lufs(audio, 44100), abs=0.02)


def reference_true_peak(audio: np.ndarray) -> float:
    return float(20 * np.log10(np.abs(signal.resample_poly(audio.astype(np.float64), 4, 1, axis=1)).max()))


def test_a_peak_between_samples_is_found() -> None:
    # a quarter of the sample rate, 45 degrees off: every sample is 3 dB under the wave's real peak
    audio = tone(44100, 11025.0, seconds=1.0, amplitude=1.0, phase=np.pi / 4)
    assert 20 * np.log10(np.abs(audio).max()) == pytest.approx(-3.01, abs=0.01)
    assert true_peak_dbfs(audio) == pytest.approx(0.0, abs=0.15)


@pytest.mark.parametrize("seed", range(3))
def test_true_peak_of_music_like_audio_agrees_with_a_long_filter(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rate = 44100
    noise = signal.sosfilt(signal.butter(4, 8000, fs=rate, output="sos"), rng.standard_normal((2, rate * 4)))
    audio = (noise * 0.2 + tone(rate, 220.0, 4.0, 0.3)).astype(np.float32)
    assert true_peak_dbfs(audio) == pytest.approx(reference_true_peak(audio), abs=0.05)


def test_silence_has_no_peak() -> None:
    assert true_peak_dbfs(np.zeros((2, 100), np.float32)) == float("-inf")
    assert true_peak_dbfs(np.zeros((2, 0), np.float32)) == float("-inf")


def test_a_floor_skips_only_what_cannot_pass_it() -> None:
    audio = tone(44100, 11025.0, seconds=1.0, amplitude=0.5, phase=np.pi / 4)  # true peak -6 dB, samples -9 dB
    assert true_peak_dbfs(audio, floor_dbfs=-12.0) == pytest.approx(-6.02, abs=0.15)  # over the floor: exact
    assert true_peak_dbfs(audio, floor_dbfs=-1.0) <= -1.0  # under it: at most the floor


def test_estimated_loudness_is_within_a_few_hundredths() -> None:
    from bridge.render.audio import estimate_lufs

    rng = np.random.default_rng(11)
    for rate in (44100, 48000):
        noise = signal.sosfilt(signal.butter(2, 6000, fs=rate, output="sos"), rng.standard_normal((2, rate * 6)))
        audio = (noise * 0.1 + tone(rate, 330.0, 6.0, 0.2)).astype(np.float32)
        assert estimate_lufs(audio, rate) == pytest.approx(measure_lufs(audio, rate), abs=0.05)


@pytest.mark.parametrize("rate", [44100, 48000])
def test_loudness_on_two_threads_is_the_same_value(rate: int) -> None:
    """The second half measured on a thread of its own, its filters started a second early, gives the
    very value of one pass: the filters' memory of earlier samples is gone long before."""
    from bridge.render.audio import estimate_lufs

    rng = np.random.default_rng(5)
    seconds = 40
    bass = tone(rate, 55.0, seconds, 0.3) * (1 + np.sin(np.linspace(0, 40, rate * seconds)))  # low, long-lived
    noise = signal.sosfilt(signal.butter(2, 5000, fs=rate, output="sos"), rng.standard_normal((2, rate * seconds)))
    audio = (bass + 0.05 * noise).astype(np.float32)
    audio[:, rate * 12:rate * 15] = 0.0  # a silence across which nothing may leak
    assert measure_lufs(audio, rate, threads=2) == measure_lufs(audio, rate)
    assert estimate_lufs(audio, rate, threads=2) == estimate_lufs(audio, rate)
    short = audio[:, : rate * 2]  # too short to split: one pass
    assert measure_lufs(short, rate, threads=2) == measure_lufs(short, rate)


@pytest.mark.parametrize("seed", range(6))
def test_the_ceiling_holds_by_a_long_filter_too(seed: int) -> None:
    """A mix held at -1 dBTP reads -1 dBTP at most on a reference meter, not only on continuo's 48-tap one."""
    from bridge.render.levels import held_gain

    rng = np.random.default_rng(seed)
    rate = 44100
    noise = signal.sosfilt(signal.butter(4, 12000, fs=rate, output="sos"), rng.standard_normal((2, rate * 2)))
    audio = (noise * 0.3 + tone(rate, 220.0, 2.0, 0.3)).astype(np.float32)
    gain = held_gain(audio, 4.0, -1.0)  # 12 dB up would pass the ceiling: held
    assert gain < 4.0
    assert reference_true_peak(audio * np.float32(gain)) <= -1.0
    assert reference_true_peak(audio * np.float32(gain)) >= -1.2  # and not much under it
