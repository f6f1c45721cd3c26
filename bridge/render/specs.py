"""What a render preset holds: output options, instruments, effect chains (the data, without files)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bridge.errors import PresetError

FORMATS = ("wav", "flac", "aiff")
BIT_DEPTHS = {"wav": (16, 24, 32), "flac": (16, 24), "aiff": (16, 24)}  # wav 32: float
SAMPLE_RATES = (22050, 32000, 44100, 48000, 88200, 96000)
INSTRUMENTS = ("auto", "sketch", "soundfont", "plugin")
LOUDNESS_MODES = ("mix", "each")


@dataclass(frozen=True)
class EffectSpec:
    """One effect: a pedalboard built-in by ``name`` or an external ``plugin`` file, with parameters."""

    name: str = ""
    plugin: str = ""
    plugin_name: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PartSpec:
    """How one part sounds: its instrument, level, position and effect chain."""

    instrument: str = "auto"
    voice: str = ""  # sketch voice; empty: chosen from the part's GM program
    program: int | None = None  # GM program for the soundfont; None: the file's own
    soundfont: str = ""
    plugin: str = ""
    plugin_name: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    gain_db: float = 0.0
    pan: float = 0.0  # -1 left .. +1 right
    effects: tuple[EffectSpec, ...] = ()


@dataclass(frozen=True)
class RenderPreset:
    """Everything a render needs besides the MIDI: output format, instruments, chains, loudness."""

    format: str = "wav"
    sample_rate: int = 44100
    bit_depth: int = 24
    tail_seconds: float = 2.0
    loudness_lufs: float | None = None
    loudness_mode: str = "mix"
    true_peak_dbtp: float = -1.0  # loudness normalisation never takes a file above this 4x oversampled peak
    balance: bool = False  # every part to the same loudness first; its gain_db then sets the balance in LU
    soundfont: str = ""
    default: PartSpec = PartSpec()
    parts: Mapping[str, PartSpec] = field(default_factory=dict)
    master: tuple[EffectSpec, ...] = ()
    master_gain_db: float = 0.0
    source: str = "built-in defaults"
    overwrite: bool = False  # write over stems already there; by default the new set's name gets a number

    def part(self, name: str) -> PartSpec:
        return self.parts.get(name, self.default)

    def replace(self, **changes: Any) -> RenderPreset:
        """A copy with output options changed (CLI flags, OSC keys), validated like the file."""
        updated = dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})
        check_output(updated, "the request")
        return updated


def with_instrument(preset: RenderPreset, instrument: str | None) -> RenderPreset:
    """``preset`` with every part played by ``instrument`` (auto, sketch, soundfont); None: unchanged."""
    if instrument is None:
        return preset
    if instrument not in INSTRUMENTS or instrument == "plugin":
        raise PresetError(f"instrument {instrument!r}: choose auto, sketch or soundfont")

    def swap(spec: PartSpec) -> PartSpec:
        return dataclasses.replace(spec, instrument=instrument, voice=spec.voice if instrument == "sketch" else "")

    return dataclasses.replace(preset, default=swap(preset.default),
                               parts={name: swap(spec) for name, spec in preset.parts.items()})


def check_output(preset: RenderPreset, where: str) -> None:
    """Raise PresetError unless the format, sample rate and bit depth go together; ``where`` names the source."""
    if preset.format not in FORMATS:
        raise PresetError(f"format {preset.format!r} in {where} is not one of: {', '.join(FORMATS)}")
    if preset.sample_rate not in SAMPLE_RATES:
        raise PresetError(f"sample_rate {preset.sample_rate} in {where}: use one of "
                          + ", ".join(map(str, SAMPLE_RATES)))
    depths = BIT_DEPTHS[preset.format]
    if preset.bit_depth not in depths:
        raise PresetError(f"bit_depth {preset.bit_depth} in {where}: {preset.format} files take "
                          + ", ".join(map(str, depths)))
