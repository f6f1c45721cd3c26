"""Effect chains run slice by slice in place only where that gives the same samples as one pass."""

from __future__ import annotations

import numpy as np
import pedalboard
import pytest

from bridge.render import effects
from bridge.render.effects import STREAMING_EFFECTS, apply_chain, build_builtin
from bridge.render.specs import EffectSpec

RATE = 44100
WORKING = {"Compressor": {"threshold_db": -30.0, "ratio": 6.0}, "NoiseGate": {"threshold_db": -30.0},
           "Limiter": {"threshold_db": -12.0}, "Delay": {"delay_seconds": 0.3, "feedback": 0.6, "mix": 0.5},
           "Reverb": {"room_size": 0.9, "wet_level": 0.5}, "Chorus": {"depth": 0.6, "mix": 0.5}}  # settings that act


def _music(seconds: float = 3.2) -> np.ndarray:
    """Noise bursts and a silence, so compressors, gates and tails all have something to do."""
    rng = np.random.default_rng(7)
    audio = (rng.standard_normal((2, int(seconds * RATE))) * 0.3).astype(np.float32)
    audio[:, RATE // 2:RATE] *= 0.02
    audio[:, 2 * RATE:int(2.5 * RATE)] = 0.0
    return audio


@pytest.mark.parametrize("name", sorted(STREAMING_EFFECTS))
def test_streaming_effects_sound_the_same_in_slices(name: str) -> None:
    assert name in effects.builtin_effects()
    spec = EffectSpec(name, params=WORKING.get(name, {}))
    audio = _music()
    whole = pedalboard.Pedalboard([build_builtin(spec, "test")])(audio, RATE, reset=True)
    sliced = audio.copy()
    assert apply_chain(pedalboard.Pedalboard([build_builtin(spec, "test")]), sliced, RATE) is sliced
    assert sliced.shape[1] > 2 * effects.SLICE_FRAMES  # several slices, and a short last one
    assert np.array_equal(sliced, whole)


def test_effects_with_latency_run_on_the_whole_stem() -> None:
    specs = [EffectSpec("Reverb"), EffectSpec("PitchShift", params={"semitones": 3.0})]
    chain = pedalboard.Pedalboard([build_builtin(spec, "test") for spec in specs])
    audio = _music()
    original = audio.copy()
    wet = apply_chain(chain, audio, RATE)
    assert wet is not audio and np.array_equal(audio, original)  # the stem itself is left alone
    assert wet.shape == audio.shape and np.abs(wet).max() > 0.01
