"""Preset files: where they are looked up, and the `[render]` section read with messages that name the fix."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs

from bridge.errors import PresetError
from bridge.render.specs import (
    FORMATS,
    INSTRUMENTS,
    LOUDNESS_MODES,
    SAMPLE_RATES,
    EffectSpec,
    PartSpec,
    RenderPreset,
    check_output,
)

# package data, so every install has them; pip installs packages as folders, so this is a real one (found
# from this file: importlib.resources would load zipfile, 3-8 ms of every render's start, to say the same)
BUNDLED_PRESETS = Path(__file__).resolve().parent.parent / "bundled" / "presets"


def preset_dirs() -> tuple[Path, ...]:
    """Where preset names are looked up, first match wins: the user's folder, then the bundled one."""
    return (Path(platformdirs.user_config_dir("continuo")) / "presets", BUNDLED_PRESETS)


def find_preset(name: str, dirs: tuple[Path, ...] | None = None, allow_path: bool = True) -> Path:
    """The file for a preset name (``<name>.toml`` in a preset folder) or path; a clear error when there is none.

    ``allow_path=False`` (names from the network) only ever looks inside the preset folders.
    """
    if not allow_path and (name.endswith(".toml") or "/" in name or "\\" in name or ".." in name):
        raise PresetError(f"preset {name!r}: give a preset name (`continuo presets` lists them), not a path")
    if name.endswith(".toml") or "/" in name or "\\" in name:
        path = Path(name).expanduser()
        if not path.is_file():
            raise PresetError(f"preset file {path} does not exist; give a TOML file or a preset name")
        return path
    dirs = preset_dirs() if dirs is None else dirs
    for folder in dirs:
        path = folder / f"{name}.toml"
        if path.is_file():
            return path
    known = sorted({p.stem for folder in dirs if folder.is_dir() for p in folder.glob("*.toml")})
    raise PresetError(
        f"no preset named {name!r} in {', '.join(str(d) for d in dirs)}; "
        f"known presets: {', '.join(known) or '(none)'}; or give the path of a TOML file"
    )


def parse_render(section: Mapping[str, Any], origin: str) -> RenderPreset:
    """Validate a ``[render]`` table; ``origin`` names the file in every message."""
    where = f"[render] in {origin}"
    _known(section, ("format", "sample_rate", "bit_depth", "tail_seconds", "loudness_lufs", "loudness_mode",
                     "true_peak_dbtp", "balance", "soundfont", "default", "parts", "master"), where)
    balance = section.get("balance", False)
    if not isinstance(balance, bool):
        _bad(where, "balance", balance, "true or false")
    parts_table = _table(section.get("parts", {}), "[render.parts]", origin)
    master = _table(section.get("master", {}), "[render.master]", origin)
    default = _table(section.get("default", {}), "[render.default]", origin)
    _known(master, ("effects", "gain_db"), f"[render.master] in {origin}")
    preset = RenderPreset(
        format=_choice(section, "format", FORMATS, "wav", where),
        sample_rate=int(_choice(section, "sample_rate", SAMPLE_RATES, 44100, where)),
        bit_depth=int(_choice(section, "bit_depth", (16, 24, 32), 24, where)),
        tail_seconds=_number(section, "tail_seconds", 2.0, 0.0, 60.0, where),
        loudness_lufs=_number(section, "loudness_lufs", None, -70.0, 0.0, where),
        loudness_mode=_choice(section, "loudness_mode", LOUDNESS_MODES, "mix", where),
        true_peak_dbtp=_number(section, "true_peak_dbtp", -1.0, -20.0, 0.0, where),
        balance=balance,
        soundfont=_text(section, "soundfont", where),
        default=_part(default, f"[render.default] in {origin}"),
        # a part inherits every key it does not set from [render.default]
        parts={name: _part({**default, **_table(spec, f"[render.parts.{name}]", origin)},
                           f"[render.parts.{name}] in {origin}")
               for name, spec in parts_table.items()},
        master=_effects(master.get("effects", []), f"[render.master] in {origin}"),
        master_gain_db=_number(master, "gain_db", 0.0, -60.0, 24.0, f"[render.master] in {origin}"),
        source=origin,
    )
    check_output(preset, where)
    return preset


def _part(spec: Mapping[str, Any], where: str) -> PartSpec:
    _known(spec, ("instrument", "voice", "program", "soundfont", "plugin", "plugin_name", "params", "gain_db", "pan",
                  "effects"), where)
    instrument = _choice(spec, "instrument", INSTRUMENTS, "auto", where)
    plugin = _text(spec, "plugin", where)
    if instrument == "plugin" and not plugin:
        raise PresetError(f"{where}: instrument = \"plugin\" needs plugin = \"/path/to/Synth.vst3\"")
    voice = _text(spec, "voice", where)
    if voice:
        from bridge.render.sketch import VOICES

        if voice not in VOICES:
            raise PresetError(f"voice {voice!r} in {where} is not a sketch voice; choose from {', '.join(VOICES)}")
    program = spec.get("program")
    if program is not None and not (_is_int(program) and 0 <= program <= 127):
        _bad(where, "program", program, "a General MIDI program number 0-127")
    return PartSpec(
        instrument=instrument,
        voice=voice,
        program=program,
        soundfont=_text(spec, "soundfont", where),
        plugin=plugin,
        plugin_name=_text(spec, "plugin_name", where),
        params=_table(spec.get("params", {}), f"params of {where}", ""),
        gain_db=_number(spec, "gain_db", 0.0, -60.0, 24.0, where),
        pan=_number(spec, "pan", 0.0, -1.0, 1.0, where),
        effects=_effects(spec.get("effects", []), where),
    )


def _effects(items: Any, where: str) -> tuple[EffectSpec, ...]:
    from bridge.render.effects import check_effect

    if not isinstance(items, list):
        raise PresetError(f"effects in {where} must be a list of tables like [{{ name = \"Reverb\", room_size = 0.4 }}]")
    specs = []
    for number, item in enumerate(items, start=1):
        at = f"effect {number} of {where}"
        item = _table(item, at, "")
        if "plugin" in item:
            _known(item, ("plugin", "plugin_name", "params"), at)
            spec = EffectSpec(plugin=_text(item, "plugin", at), plugin_name=_text(item, "plugin_name", at),
                              params=_table(item.get("params", {}), f"params of {at}", ""))
        elif "name" in item:
            params = {k: v for k, v in item.items() if k != "name"}
            spec = EffectSpec(name=_text(item, "name", at), params=params)
        else:
            raise PresetError(f"{at} needs name = \"Reverb\" (a built-in effect) or plugin = \"/path/Effect.vst3\"")
        check_effect(spec, at)
        specs.append(spec)
    return tuple(specs)


def _table(value: Any, what: str, origin: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PresetError(f"{what}{' in ' + origin if origin else ''} must be a table, got {value!r}")
    return value


def _known(table: Mapping[str, Any], accepted: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in accepted:
            raise PresetError(f"unknown key {key!r} in {where}; accepted keys: {', '.join(accepted)}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bad(where: str, key: str, value: Any, expected: str) -> Any:
    raise PresetError(f"{key} = {value!r} in {where}: expected {expected}")


def _choice(table: Mapping[str, Any], key: str, choices: tuple, default: Any, where: str) -> Any:
    value = table.get(key, default)
    if value not in choices or isinstance(value, bool):
        _bad(where, key, value, "one of " + ", ".join(map(str, choices)))
    return value


def _number(table: Mapping[str, Any], key: str, default: Any, low: float, high: float, where: str) -> Any:
    value = table.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        _bad(where, key, value, f"a number from {low:g} to {high:g}")
    if not low <= value <= high:
        _bad(where, key, value, f"a number from {low:g} to {high:g}")
    return float(value)


def _text(table: Mapping[str, Any], key: str, where: str) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        _bad(where, key, value, "text")
    return value
