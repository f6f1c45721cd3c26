"""The sketch drum kit: General MIDI drum notes (channel 10) mapped to synthesized one-shots."""

from __future__ import annotations

import numpy as np
import pedalboard

from bridge.render.song import Part

OUTPUT_LEVEL = 0.4  # about a General MIDI SoundFont's drum level

KICKS = (35, 36)
SNARES = (38, 40)
TOMS = (41, 43, 45, 47, 48, 50)
CLOSED_HATS = (42, 44)
OPEN_HATS = (46,)
CRASHES = (49, 52, 55, 57)
RIDES = (51, 53, 59)


def render_kit(part: Part, sample_rate: int, frames: int) -> np.ndarray:
    """The drum part as mono float32 audio of ``frames`` samples (shape (1, frames))."""
    out = np.zeros(frames, dtype=np.float64)
    shots: dict[int, np.ndarray] = {}
    for start, _duration, pitch, velocity in part.notes:
        pitch = int(pitch)
        if pitch not in shots:
            shots[pitch] = one_shot(pitch, sample_rate)
        shot = shots[pitch]
        first = int(round(start * sample_rate))
        length = min(len(shot), frames - first)
        if length > 0:
            out[first:first + length] += (velocity / 127.0) ** 1.3 * shot[:length]
    return (out * OUTPUT_LEVEL).astype(np.float32)[None, :]


def one_shot(pitch: int, sample_rate: int) -> np.ndarray:
    """The sound of one drum note; noise is seeded by the note so renders are repeatable."""
    rng = np.random.default_rng(pitch)
    if pitch in KICKS:
        return _layer(0.9 * _sweep(sample_rate, 0.45, 150.0, 48.0, 0.045, 0.28),
                      0.1 * _noise(rng, sample_rate, 0.006, 0.002))
    if pitch in SNARES or pitch == 39:  # 39: hand clap, a snare without the tone
        noise = _filtered(_noise(rng, sample_rate, 0.25, 0.06 if pitch != 39 else 0.035), sample_rate, high=1500)
        tone = _sweep(sample_rate, 0.2, 240.0, 180.0, 0.02, 0.06) * (pitch != 39)
        return _layer(0.45 * tone, 0.6 * noise)
    if pitch in TOMS:
        base = 80.0 + 22.0 * TOMS.index(pitch)
        return 0.7 * _sweep(sample_rate, 0.5, base * 1.5, base, 0.04, 0.2)
    if pitch in CLOSED_HATS or pitch in OPEN_HATS:
        decay = 0.28 if pitch in OPEN_HATS else (0.045 if pitch == 42 else 0.07)
        return 0.35 * _filtered(_metal(rng, sample_rate, decay * 5, decay), sample_rate, high=7000)
    if pitch in CRASHES or pitch in RIDES:
        decay = 0.9 if pitch in CRASHES else 0.5
        return 0.3 * _filtered(_metal(rng, sample_rate, decay * 3, decay), sample_rate, high=4500)
    # everything else (percussion 54-81): a short pitched tick
    freq = 300.0 * 2 ** ((pitch - 60) / 24.0)
    return _layer(0.35 * _sweep(sample_rate, 0.12, freq, freq, 0.03, 0.03), 0.15 * _noise(rng, sample_rate, 0.05, 0.015))


def _layer(*sounds: np.ndarray) -> np.ndarray:
    """Sounds of different lengths added from their first sample."""
    out = np.zeros(max(len(s) for s in sounds))
    for sound in sounds:
        out[:len(sound)] += sound
    return out


def _sweep(sample_rate: int, seconds: float, f_start: float, f_end: float, sweep_tau: float,
           decay_tau: float) -> np.ndarray:
    """A sine whose pitch falls exponentially from ``f_start`` to ``f_end``, decaying."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    freq = f_end + (f_start - f_end) * np.exp(-t / sweep_tau)
    phase = 2 * np.pi * np.cumsum(freq) / sample_rate
    return np.sin(phase) * np.exp(-t / decay_tau)


def _noise(rng: np.random.Generator, sample_rate: int, seconds: float, decay_tau: float) -> np.ndarray:
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    return rng.uniform(-1.0, 1.0, len(t)) * np.exp(-t / decay_tau)


def _metal(rng: np.random.Generator, sample_rate: int, seconds: float, decay_tau: float) -> np.ndarray:
    """Noise ring-modulated by detuned squares (the classic 808 cymbal recipe)."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    squares = sum(np.sign(np.sin(2 * np.pi * f * t)) for f in (205.3, 304.4, 369.6, 522.7, 540.0, 800.0))
    return (0.6 * squares / 6 + 0.4 * rng.uniform(-1.0, 1.0, len(t))) * np.exp(-t / decay_tau)


def _filtered(audio: np.ndarray, sample_rate: int, high: float) -> np.ndarray:
    board = pedalboard.Pedalboard([pedalboard.HighpassFilter(cutoff_frequency_hz=high)])
    return board(audio.astype(np.float32)[None, :], sample_rate)[0].astype(np.float64)
