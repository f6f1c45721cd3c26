"""The built-in "sketch" instruments: band-limited wavetable oscillators with envelopes, shaped by pedalboard."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pedalboard

from bridge.render.song import Part

TABLE_BITS = 13
TABLE_SIZE = 1 << TABLE_BITS
HARMONIC_STEPS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)
OUTPUT_LEVEL = 0.3  # about a General MIDI SoundFont's level, so presets suit both


@dataclass(frozen=True)
class Voice:
    """A sketch voice: a spectrum, an envelope (seconds; ``sustain`` 0..1) and a tone-shaping chain."""

    spectrum: str  # sine, saw, square, triangle, keys, organ
    attack: float
    decay: float
    sustain: float
    release: float
    cutoff_hz: float
    detune_cents: float = 0.0  # a second oscillator this far up, for width
    chorus: bool = False
    level: float = 0.5


VOICES: dict[str, Voice] = {
    "keys": Voice("keys", 0.004, 1.6, 0.0, 0.25, 6000),
    "pluck": Voice("triangle", 0.002, 0.5, 0.0, 0.2, 4500),
    "organ": Voice("organ", 0.01, 0.1, 0.9, 0.08, 5000, level=0.3),
    "bass": Voice("saw", 0.005, 0.4, 0.6, 0.08, 900, level=0.6),
    "strings": Voice("saw", 0.12, 0.3, 0.8, 0.4, 3500, detune_cents=6, chorus=True, level=0.3),
    "lead": Voice("saw", 0.01, 0.2, 0.7, 0.12, 3200, level=0.35),
    "flute": Voice("sine", 0.04, 0.2, 0.85, 0.12, 5000, level=0.5),
    "reed": Voice("square", 0.03, 0.2, 0.8, 0.1, 2800, level=0.35),
    "pad": Voice("saw", 0.35, 0.5, 0.8, 0.9, 2200, detune_cents=8, chorus=True, level=0.25),
    "kit": Voice("sine", 0, 0, 0, 0, 0),  # drums: see bridge.render.kit
}

# General MIDI program families (eight programs each) -> sketch voice
_FAMILIES = ("keys", "pluck", "organ", "pluck", "bass", "strings", "strings", "lead",
             "reed", "flute", "lead", "pad", "pad", "pluck", "pluck", "pad")


def voice_for_program(program: int, is_drum: bool) -> str:
    """The sketch voice that stands in for a General MIDI program."""
    if is_drum:
        return "kit"
    if program == 46:  # orchestral harp sits among the strings but is plucked
        return "pluck"
    return _FAMILIES[max(0, min(127, program)) // 8]


@functools.lru_cache(maxsize=128)
def _wavetable(spectrum: str, harmonics: int) -> np.ndarray:
    """One cycle of ``spectrum`` with ``harmonics`` partials, peak 1; made once per process and shared.

    Summed without BLAS: a matrix product here woke NumPy's BLAS threads, which then spun on another
    core for a tenth of a sketch render's CPU time.
    """
    amps = _spectrum(spectrum, np.arange(1, harmonics + 1, dtype=np.float64))
    phase = np.arange(TABLE_SIZE) / TABLE_SIZE
    table = (np.sin(2 * np.pi * np.outer(phase, np.arange(1, harmonics + 1))) * amps).sum(axis=1)
    table = (table / max(1e-9, np.abs(table).max())).astype(np.float32)
    table.flags.writeable = False
    return table


class SketchSynth:
    """Renders parts with one voice each (the wavetables are made once per process: ``_wavetable``)."""

    def __init__(self, sample_rate: int):
        self.sample_rate = sample_rate

    def render(self, part: Part, voice_name: str, frames: int) -> np.ndarray:
        """``part`` as mono float32 audio of exactly ``frames`` samples (shape (1, frames))."""
        if voice_name == "kit":
            from bridge.render.kit import render_kit

            return render_kit(part, self.sample_rate, frames)
        voice = VOICES[voice_name]
        out = np.zeros(frames, dtype=np.float32)
        for start, duration, pitch, velocity in part.notes:
            self._add_note(out, voice, start, duration, int(pitch), int(velocity))
        chain = [pedalboard.LowpassFilter(cutoff_frequency_hz=voice.cutoff_hz)]
        if voice.chorus:
            chain.append(pedalboard.Chorus(rate_hz=0.4, depth=0.2, centre_delay_ms=8.0, mix=0.35))
        out *= np.float32(OUTPUT_LEVEL)
        audio = out[None, :]
        return pedalboard.Pedalboard(chain)(audio, self.sample_rate)

    def _add_note(self, out: np.ndarray, voice: Voice, start: float, duration: float, pitch: int,
                  velocity: int) -> None:
        sr = self.sample_rate
        first = int(round(start * sr))
        held = max(1, int(round(duration * sr)))
        freq = 440.0 * 2.0 ** ((pitch - 69) / 12.0)
        length = held + int(voice.release * sr * 5)  # the release fades to -43 dB
        if voice.sustain == 0.0:  # a decaying voice is silent (-60 dB) after 7 decay times anyway
            length = min(length, int((voice.attack + 7 * self._decay_seconds(voice, freq)) * sr) + 1)
        length = min(length, len(out) - first)
        if length <= 0:
            return
        n = np.arange(length, dtype=np.int64)
        wave = self._oscillator(voice.spectrum, freq, n)
        if voice.detune_cents:
            wave = np.float32(0.5) * (wave + self._oscillator(voice.spectrum, freq * 2 ** (voice.detune_cents / 1200), n))
        env = self._envelope(voice, n, held, freq)
        env *= np.float32(voice.level * (velocity / 127.0) ** 1.5)
        env *= wave
        out[first:first + length] += env

    def _oscillator(self, spectrum: str, freq: float, n: np.ndarray) -> np.ndarray:
        limit = (self.sample_rate / 2) // freq  # band-limited: no harmonic above Nyquist
        harmonics = max([h for h in HARMONIC_STEPS if h <= limit] or [1])  # few tables, each reused
        table = _wavetable(spectrum, harmonics)
        # 32-bit fixed-point phase (integer multiply, shift, mask: no float modulo) and a nearest-sample
        # lookup: with 8192 points its error stays near -70 dB, inaudible under a sketch
        phase = n * int(round(freq / self.sample_rate * 2**32))
        phase >>= 32 - TABLE_BITS
        phase &= TABLE_SIZE - 1
        return table[phase]

    def _decay_seconds(self, voice: Voice, freq: float) -> float:
        if voice.sustain == 0.0:  # low notes ring longer, like strings
            return voice.decay * min(2.0, max(0.35, 220.0 / freq) ** 0.5)
        return voice.decay

    def _envelope(self, voice: Voice, n: np.ndarray, held: int, freq: float) -> np.ndarray:
        """Attack (linear), decay to sustain, then release from wherever note-off finds it (exponential)."""
        sr = self.sample_rate
        length = len(n)
        env = np.empty(length, dtype=np.float32)
        attack = max(1, int(voice.attack * sr))
        end_attack = min(attack, held, length)
        env[:end_attack] = np.arange(1, end_attack + 1, dtype=np.float32) / np.float32(attack)
        end_hold = min(held, length)
        if end_hold > end_attack:
            decay = np.arange(end_hold - end_attack, dtype=np.float32)
            decay *= np.float32(-1.0 / max(1.0, self._decay_seconds(voice, freq) * sr))
            np.exp(decay, out=decay)
            env[end_attack:end_hold] = voice.sustain + (1 - voice.sustain) * decay
        if length > end_hold:
            release = np.arange(length - end_hold, dtype=np.float32)
            release *= np.float32(-1.0 / max(1.0, voice.release * sr))
            np.exp(release, out=release)
            env[end_hold:] = env[end_hold - 1] * release
        return env


def _spectrum(name: str, k: np.ndarray) -> np.ndarray:
    """Harmonic amplitudes (k = 1, 2, ...) of a wavetable."""
    if name == "saw":
        return 1.0 / k
    if name == "square":
        return np.where(k % 2 == 1, 1.0 / k, 0.0)
    if name == "triangle":
        return np.where(k % 2 == 1, (-1.0) ** ((k - 1) // 2) / k**2, 0.0)
    if name == "keys":
        return np.where(k <= 8, 1.0 / k**1.6, 0.0)
    if name == "organ":  # drawbars 8', 4', 2 2/3', 2', 1 3/5', 1'
        drawbars = {1: 1.0, 2: 0.8, 3: 0.6, 4: 0.4, 6: 0.3, 8: 0.2}
        return np.array([drawbars.get(int(h), 0.0) for h in k])
    return (k == 1).astype(np.float64)  # sine
