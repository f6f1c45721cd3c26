"""Render presets: the bundled ones load; every mistake is refused with the file, the name and the fix."""

from __future__ import annotations

from pathlib import Path

import pedalboard
import pytest

from bridge.errors import PluginLoadError, PresetError
from bridge.render.effects import build_chain, builtin_effects
from bridge.render.plugins import load_plugin
from bridge.keys import KEYS, convert
from bridge.presets import load_preset
from bridge.render.presets import parse_render
from bridge.render.specs import EffectSpec, with_instrument


@pytest.mark.parametrize("name", ["default", "sketch"])
def test_bundled_presets_load_and_build(name: str) -> None:
    preset = load_preset(name).render
    assert preset.format == "wav" and preset.loudness_lufs == -16.0
    assert preset.part("bass").effects and preset.part("unknown-part") == preset.default
    assert isinstance(build_chain(preset.master, "test"), pedalboard.Pedalboard)
    if name == "sketch":
        assert preset.part("pad").instrument == "sketch"  # inherited from [render.default]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, words", [
    ('[render]\nformat = "mp4"', ["format", "wav, flac, aiff"]),
    ('[render]\nsample_rate = 12345', ["sample_rate", "44100"]),
    ('[render]\nformat = "flac"\nbit_depth = 32', ["bit_depth 32", "flac files take 16, 24"]),
    ('[render]\nloudnes_lufs = -14', ["unknown key 'loudnes_lufs'", "loudness_lufs"]),
    ('[render.parts.bass]\neffects = [{ name = "Reverbb" }]', ["unknown effect 'Reverbb'", "Reverb", "plugin ="]),
    ('[render.parts.bass]\neffects = [{ name = "Reverb", size = 1 }]', ["unknown parameter 'size'", "room_size"]),
    ('[render.parts.bass]\neffects = [{ name = "Reverb", room_size = "big" }]', ["bad parameter value", "Reverb"]),
    ('[render.parts.bass]\neffects = [{ name = "LadderFilter", mode = "LPF99" }]', ["LPF24"]),
    ('[render.master]\neffects = [{ room_size = 0.5 }]', ["needs name"]),
    ('[render.parts.bass]\ninstrument = "plugin"', ["needs plugin"]),
    ('[render.parts.bass]\nvoice = "kazoo"', ["sketch voice", "bass"]),
    ('[render.parts.bass]\npan = 3', ["pan", "-1 to 1"]),
    ('[render]\nnot toml', ["cannot be read"]),
])
def test_bad_presets_name_the_file_and_what_is_accepted(tmp_path: Path, text: str, words: list[str]) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(PresetError) as info:
        load_preset(str(path))
    message = str(info.value)
    assert str(path) in message or "cannot be read" in message
    for word in words:
        assert word in message


def test_unknown_preset_name_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(PresetError, match="known presets: .*default"):
        load_preset("nonexistent")


def test_names_from_the_network_never_become_paths() -> None:
    for name in ("../../etc/passwd", "x.toml", "a/b"):
        with pytest.raises(PresetError, match="not a path"):
            load_preset(name, allow_path=False)


def test_enum_parameters_by_name_and_other_sections_ignored() -> None:
    preset = parse_render({"master": {"effects": [{"name": "LadderFilter", "mode": "HPF12", "cutoff_hz": 200}]}},
                           "inline")
    chain = build_chain(preset.master, "test")
    assert chain[0].mode == pedalboard.LadderFilter.Mode.HPF12
    assert "Reverb" in builtin_effects() and "VST3Plugin" not in builtin_effects()


def test_overrides_are_validated_like_the_file() -> None:
    preset = load_preset("default").render
    assert preset.replace(format="flac", bit_depth=16).format == "flac"
    with pytest.raises(PresetError, match="bit_depth 32"):
        preset.replace(format="aiff", bit_depth=32)
    assert with_instrument(preset, "sketch").part("keys").instrument == "sketch"


def test_missing_and_broken_plugins_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(PluginLoadError, match="not found .*install it or give its full path"):
        load_plugin("NoSuchSynth.vst3", "", {}, "[render.parts.keys] of test.toml")
    fake = tmp_path / "Broken.vst3"
    fake.write_bytes(b"not a plugin")
    with pytest.raises(PluginLoadError, match="failed to load") as info:
        load_plugin(str(fake), "", {}, "[render.parts.keys] of test.toml")
    assert isinstance(info.value, ImportError) and "test.toml" in str(info.value)
    with pytest.raises(PluginLoadError, match="not found"):
        build_chain([EffectSpec(plugin="Nope.vst3")], "[render.master] of test.toml")


@pytest.mark.parametrize("value, expected", [("true", True), (True, True), (1, True), ("no", False), (False, False)])
def test_render_key_of_generate(value: object, expected: bool) -> None:
    assert convert(KEYS["render"], value) is expected


def test_render_key_refuses_other_values() -> None:
    with pytest.raises(ValueError, match="true or false"):
        convert(KEYS["render"], "maybe")
