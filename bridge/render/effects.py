"""Effect chains from preset specs: pedalboard's built-in effects by name, external plugins by path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pedalboard

from bridge.errors import PresetError
from bridge.render.specs import EffectSpec

_NOT_EFFECTS = {"Plugin", "PluginContainer", "Pedalboard", "Chain", "Mix", "ExternalPlugin", "VST3Plugin",
                "AudioUnitPlugin", "IIRFilter"}
_NOT_PARAMS = {"is_effect", "is_instrument", "impulse_response", "reported_latency_samples"}


def builtin_effects() -> dict[str, type]:
    """Every built-in pedalboard effect a preset may name, by class name."""
    found = {}
    for name in dir(pedalboard):
        value = getattr(pedalboard, name)
        if (isinstance(value, type) and issubclass(value, pedalboard.Plugin) and name not in _NOT_EFFECTS
                and not name.startswith("_")):
            found[name] = value
    return dict(sorted(found.items()))


def effect_params(cls: type) -> list[str]:
    """The parameter names an effect accepts (its settable properties)."""
    return [n for n in dir(cls) if not n.startswith("_") and n not in _NOT_PARAMS
            and isinstance(getattr(cls, n, None), property)]


def check_effect(spec: EffectSpec, where: str) -> None:
    """Raise PresetError unless ``spec`` names a known effect with known parameters of the right type.

    External plugins are only checked for a path here: loading one can crash, so that happens in the
    render process.
    """
    if spec.plugin:
        return
    build_builtin(spec, where)


def build_builtin(spec: EffectSpec, where: str) -> pedalboard.Plugin:
    effects = builtin_effects()
    cls = effects.get(spec.name)
    if cls is None:
        raise PresetError(f"unknown effect {spec.name!r} in {where}; built-in effects: {', '.join(effects)}; "
                          "or use plugin = \"/path/to/Effect.vst3\" for an external plugin")
    accepted = effect_params(cls)
    unknown = [k for k in spec.params if k not in accepted]
    if unknown:
        raise PresetError(f"unknown parameter {unknown[0]!r} for {spec.name} in {where}; "
                          f"{spec.name} accepts: {', '.join(accepted)}")
    try:
        return cls(**{k: _enum_value(cls, k, v, where) for k, v in spec.params.items()})
    except (TypeError, ValueError, RuntimeError) as err:
        raise PresetError(f"bad parameter value for {spec.name} in {where}: {_first_line(err)}") from err


def _enum_value(cls: type, key: str, value: Any, where: str) -> Any:
    """Allow enum parameters by member name (``mode = "LPF24"`` for LadderFilter)."""
    if not isinstance(value, str):
        return value
    for attr in dir(cls):
        options = getattr(cls, attr)
        members = getattr(options, "__members__", None)
        if isinstance(options, type) and members and attr.lower() == key.lower():
            if value not in members:
                raise PresetError(f"{key} = {value!r} for {cls.__name__} in {where}: choose from {', '.join(members)}")
            return members[value]
    return value


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


def build_chain(specs: Sequence[EffectSpec], where: str, plugin_timeout_seconds: float = 10.0) -> pedalboard.Pedalboard:
    """A Pedalboard for ``specs``; external plugins are loaded here (call it in a render process)."""
    chain = []
    for number, spec in enumerate(specs, start=1):
        at = f"effect {number} of {where}"
        if spec.plugin:
            from bridge.render.plugins import load_effect_plugin

            chain.append(load_effect_plugin(spec, at, plugin_timeout_seconds))
        else:
            chain.append(build_builtin(spec, at))
    return pedalboard.Pedalboard(chain)


# Built-in effects whose output does not depend on how the audio is sliced (no latency, no look-ahead,
# no fixed-size frames): a chain of these runs over a stem slice by slice, in place, which spares a
# fresh copy of the stem per effect (tested against a whole-buffer run for every name here).
STREAMING_EFFECTS = frozenset({
    "Bitcrush", "Chorus", "Clipping", "Compressor", "Delay", "Distortion", "Gain", "HighShelfFilter",
    "HighpassFilter", "Invert", "LadderFilter", "Limiter", "LowShelfFilter", "LowpassFilter", "NoiseGate",
    "PeakFilter", "Phaser", "Reverb",
})
SLICE_FRAMES = 65536  # a multiple of pedalboard's own 8192-frame blocks


def apply_chain(chain: pedalboard.Pedalboard, audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """``audio`` (2, frames) float32 through ``chain`` from its start.

    A chain of STREAMING_EFFECTS writes over ``audio`` and returns it; any other (an external
    plugin, an effect with latency) processes the whole buffer at once into a new array, whose
    length the effect decides.
    """
    if not len(chain):
        return audio
    if any(type(effect).__name__ not in STREAMING_EFFECTS for effect in chain):
        return chain(audio, sample_rate, reset=True)
    for start in range(0, audio.shape[1], SLICE_FRAMES):
        part = audio[:, start:start + SLICE_FRAMES]
        part[...] = chain(part, sample_rate, reset=start == 0)
    return audio
