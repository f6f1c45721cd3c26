"""Levels of a render: a part's place and gain, the balance of parts, the true-peak ceiling, clipping warnings."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np

from bridge.render.audio import OVERSHOOT_DB, gain_to, peak_dbfs, sample_peak, true_peak_dbfs
from bridge.render.presets import BUNDLED_PRESETS, preset_dirs
from bridge.render.specs import RenderPreset

log = logging.getLogger(__name__)

PEAK_MARGIN_DB = 0.05  # true_peak_dbfs is within this of SciPy's long polyphase resampler (test_meters.py)
BALANCE_LUFS = -20.0  # with ``balance``, every part is brought here before its gain_db (then the mix to its target)


def place(audio: np.ndarray, pan: float, gain_db: float) -> np.ndarray:
    """Mono → stereo with an equal-power pan (unity in the centre); stereo → balance. Then gain."""
    gain = 10.0 ** (gain_db / 20.0)
    if audio.shape[0] == 1:
        angle = (pan + 1.0) * math.pi / 4.0
        left, right = math.cos(angle) * math.sqrt(2), math.sin(angle) * math.sqrt(2)
        audio = np.repeat(audio.astype(np.float32, copy=False), 2, axis=0)
    else:
        left, right = min(1.0, 1.0 - pan), min(1.0, 1.0 + pan)
        audio = audio.astype(np.float32, copy=False)
    if gain * left != 1.0:
        audio[0] *= np.float32(gain * left)
    if gain * right != 1.0:
        audio[1] *= np.float32(gain * right)
    return audio


def balance(audio: np.ndarray, sample_rate: int, gain_db: float) -> None:
    """Bring a part (in place, after its effects) to BALANCE_LUFS + ``gain_db``, whatever its instrument and
    effects do to its level: a quiet SoundFont bass and a loud synth lead then sit where the preset says.
    Silence stays as it is."""
    gain = gain_to(audio, sample_rate, BALANCE_LUFS + gain_db, estimate=True)
    if gain != 1.0:
        audio *= np.float32(gain)


def held_gain(audio: np.ndarray, gain: float, ceiling_dbtp: float, peak: float | None = None) -> float:
    """``gain``, lowered where needed so that ``audio`` times it peaks at ``ceiling_dbtp`` at most (true peak),
    by any accurate meter: the 48-tap interpolation reads up to PEAK_MARGIN_DB under a long filter, so the
    ceiling is held that much lower. ``peak``: ``sample_peak(audio)`` when already known."""
    ceiling_dbtp -= PEAK_MARGIN_DB
    level = 20.0 * math.log10(gain)
    peak = sample_peak(audio) if peak is None else peak
    if peak_dbfs(audio, peak) + level + OVERSHOOT_DB <= ceiling_dbtp:
        return gain  # even the highest point between samples stays under: no need to interpolate
    peak = true_peak_dbfs(audio, floor_dbfs=ceiling_dbtp - level, peak=peak) + level
    return gain if peak <= ceiling_dbtp else gain * 10.0 ** ((ceiling_dbtp - peak) / 20.0)


def warn_if_clipping(audio: np.ndarray, gain: float, name: str, source: Path, preset: RenderPreset,
                     peak: float | None = None) -> None:
    """Warn when a stem or the mix (``name`` "mix") reaches full scale once ``gain`` is applied, with a fix
    the user can make: their own preset (a copy, for a bundled one: it is replaced on every upgrade) or a
    lower loudness target."""
    peak = peak_dbfs(audio, peak) + (20.0 * math.log10(gain) if gain > 0 else float("-inf"))
    if peak < 0.0:
        return
    what = "the mix" if name == "mix" else f"stem {name}"
    clips = "it clips" if preset.bit_depth != 32 else "over full scale (a 32-bit float file keeps it; a DAW may not)"
    log.warning("%s: %s peaks at %+.1f dBFS, %s; %s", source, what, peak, clips, clipping_fix(preset, name))


def clipping_fix(preset: RenderPreset, name: str) -> str:
    """How to lower a part or the mix with ``preset``: in the user's own copy of it, or by the loudness target."""
    what = "add a Limiter to [render.master]" if name == "mix" else f"lower gain_db in [render.parts.{name}]"
    loudness = "or ask for a lower loudness (--loudness -20, loudness_lufs on OSC)"
    origin = Path(preset.source)
    if origin.suffix == ".toml" and origin.parent.resolve() == BUNDLED_PRESETS.resolve():
        mine = preset_dirs()[0] / origin.name
        return (f"copy the preset into your preset folder (continuo presets --show {origin.stem} > {mine}) and "
                f"{what} there, {loudness}")
    if origin.suffix == ".toml":
        return f"{what} of {origin}, {loudness}"
    return f"give it less gain, {loudness}"
