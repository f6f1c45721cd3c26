"""External plugins (VST3, and Audio Units on macOS) as instruments driven by MIDI and as effects."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pedalboard

from bridge.errors import PluginLoadError
from bridge.render.audio import fit_frames
from bridge.render.specs import EffectSpec
from bridge.render.song import Part

log = logging.getLogger(__name__)

SUFFIXES = (".vst3", ".component")
BUFFER_FRAMES = 512


def plugin_dirs() -> tuple[Path, ...]:
    """The usual places plugins are installed on this system."""
    home = Path.home()
    if sys.platform == "darwin":
        return (home / "Library/Audio/Plug-Ins/VST3", Path("/Library/Audio/Plug-Ins/VST3"),
                home / "Library/Audio/Plug-Ins/Components", Path("/Library/Audio/Plug-Ins/Components"))
    if sys.platform == "win32":
        common = Path(os.environ.get("COMMONPROGRAMFILES", "C:/Program Files/Common Files"))
        return (common / "VST3", home / "AppData/Local/Programs/Common/VST3")
    return (home / ".vst3", Path("/usr/lib/vst3"), Path("/usr/local/lib/vst3"))


def find_plugin(wanted: str, where: str) -> Path:
    """``wanted`` as a path, or a file name (``Surge XT.vst3``) in the usual plugin folders."""
    path = Path(os.path.expanduser(wanted))
    if path.exists():
        return path
    for folder in plugin_dirs():
        if (folder / wanted).exists():
            return folder / wanted
    if path.suffix.lower() not in SUFFIXES:
        hint = "a .vst3 bundle" + (" or an Audio Unit .component" if sys.platform == "darwin" else "")
        raise PluginLoadError(f"plugin {wanted!r} in {where} is not {hint}; give the plugin file's full path")
    raise PluginLoadError(f"plugin {wanted!r} in {where} not found (looked in "
                          f"{', '.join(map(str, plugin_dirs()))}); install it or give its full path")


def load_plugin(wanted: str, plugin_name: str, params: Mapping[str, Any], where: str,
                timeout_seconds: float = 10.0) -> pedalboard.Plugin:
    """Load a plugin and set its parameters; every failure becomes a PluginLoadError naming ``where``."""
    path = find_plugin(wanted, where)
    if path.suffix.lower() == ".component" and sys.platform != "darwin":
        raise PluginLoadError(f"{path} in {where} is an Audio Unit: those load on macOS only; use its VST3")
    try:
        plugin = pedalboard.load_plugin(str(path), plugin_name=plugin_name or None,
                                        initialization_timeout=timeout_seconds)
    except (ImportError, RuntimeError, ValueError, OSError) as err:
        raise PluginLoadError(f"plugin {path} in {where} failed to load: {str(err).strip()}; "
                              "check that it is a 64-bit plugin for this system (and name plugin_name for "
                              "a bundle of several plugins)") from err
    for key, value in params.items():
        if key not in plugin.parameters:
            known = ", ".join(list(plugin.parameters)[:40])
            raise PluginLoadError(f"plugin {path.name} in {where} has no parameter {key!r}; its parameters: {known}")
        try:
            setattr(plugin, key, value)
        except (TypeError, ValueError) as err:
            raise PluginLoadError(f"parameter {key} = {value!r} of {path.name} in {where}: {err}") from err
    return plugin


def load_effect_plugin(spec: EffectSpec, where: str, timeout_seconds: float = 10.0) -> pedalboard.Plugin:
    plugin = load_plugin(spec.plugin, spec.plugin_name, spec.params, where, timeout_seconds)
    if not plugin.is_effect:
        raise PluginLoadError(f"{spec.plugin} in {where} is an instrument, not an effect; "
                              "use it as a part's instrument (instrument = \"plugin\")")
    return plugin


def midi_events(part: Part) -> list[tuple[bytes, float]]:
    """The part as raw MIDI messages with absolute times in seconds, offs before ons at the same time."""
    ch = part.channel
    events: list[tuple[float, int, bytes]] = []
    for start, duration, pitch, velocity in part.notes:
        events.append((float(start), 1, bytes((0x90 | ch, int(pitch), int(velocity)))))
        events.append((float(start + duration), 0, bytes((0x80 | ch, int(pitch), 0))))
    for time, number, value in part.controls:
        events.append((time, 0, bytes((0xB0 | ch, number & 0x7F, value & 0x7F))))
    for time, value in part.bends:
        raw = max(0, min(16383, value + 8192))
        events.append((time, 0, bytes((0xE0 | ch, raw & 0x7F, raw >> 7))))
    if part.program and not part.is_drum:
        events.append((0.0, -1, bytes((0xC0 | ch, part.program & 0x7F))))
    events.sort(key=lambda e: (e[0], e[1]))
    return [(message, time) for time, _, message in events]


def render_plugin_part(part: Part, instrument: pedalboard.Plugin, frames: int, sample_rate: int,
                       where: str) -> np.ndarray:
    """Drive an instrument plugin with the part's MIDI; stereo float32 of exactly ``frames`` samples."""
    if not instrument.is_instrument:
        raise PluginLoadError(f"plugin {instrument.name!r} in {where} is an effect, not an instrument; "
                              "put it in the part's effects list instead")
    audio = instrument(midi_events(part), duration=frames / sample_rate, sample_rate=sample_rate,
                       num_channels=2, buffer_size=BUFFER_FRAMES, reset=True)
    return fit_frames(np.asarray(audio, dtype=np.float32), frames)
