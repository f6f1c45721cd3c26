"""Presets: bundled styles that work with the default model, user overrides, clear errors; preview; demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from bridge.cli import main
from bridge.client import ContinuoReplyError
from bridge.errors import PresetError
from bridge.presets import list_presets, load_preset, read_preset
from bridge.requests import JobSpec, parse_mapping, parse_pairs
from models.registry import load_generator

BUNDLED = [p for p in list_presets() if not isinstance(p, Exception)]
STYLES = [p.name for p in BUNDLED if p.generate]


def test_at_least_eight_styles_are_bundled_and_valid() -> None:
    assert not [p for p in list_presets() if isinstance(p, Exception)]
    assert len(STYLES) >= 8
    for preset in BUNDLED:
        assert preset.title and preset.description, preset.name


@pytest.mark.parametrize("name", STYLES)
def test_each_style_preset_generates_with_the_default_model(name: str) -> None:
    spec = parse_mapping({"preset": name, "chords": "C | Am | F | G", "seed": 1})
    request = spec.build(lambda clip: ())
    preset = load_preset(name)
    assert request.parts == preset.generate["parts"] and request.tempo == preset.generate["tempo"]
    result = load_generator("default").generate(request)[0]
    assert set(result.parts) == set(preset.generate["parts"])
    assert all(result.parts.values())
    assert set(result.parts) <= set(preset.render.parts) | {"melody"}, "every part has a sound"


def test_request_keys_win_over_the_preset() -> None:
    spec = parse_pairs(["preset", "jazz-trio", "tempo", 90, "parts", "bass"])
    assert spec.values["tempo"] == 90.0 and spec.values["parts"] == ("bass",)
    assert spec.values["style"] == load_preset("jazz-trio").generate["style"]


def test_user_folder_overrides_and_extends(tmp_path: Path) -> None:
    folder = tmp_path / "config" / "continuo" / "presets"
    folder.mkdir(parents=True)
    (folder / "jazz-trio.toml").write_text('title = "Mine"\ndescription = "x"\n[generate]\ntempo = 200\n')
    (folder / "my-style.toml").write_text('title = "New"\ndescription = "y"\n[generate]\nparts = ["pad"]\n')
    assert load_preset("jazz-trio").generate == {"tempo": 200.0}
    assert load_preset("my-style").generate["parts"] == ("pad",)
    assert {"jazz-trio", "my-style", "pop-ballad"} <= {p.name for p in list_presets()}


@pytest.mark.parametrize(
    "text, words",
    [
        ('colour = "red"\n', "unknown key(s) colour"),
        ('[generate]\nseed = 3\n', "'seed' is not allowed"),
        ('[generate]\ntempo = "fast"\n', "tempo must be a number"),
        ('[generate]\nparts = ["tuba"]\n', "tuba"),
        ('[render.parts.keys]\neffects = [{ name = "Flanger" }]\n', "Flanger"),
        ('[render.parts.keys]\neffects = [{ name = "Reverb", size = 2 }]\n', "size"),
        ("title = \n", "cannot be read"),
    ],
)
def test_bad_presets_name_the_file_and_the_fix(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(text)
    with pytest.raises(PresetError, match="broken.toml") as info:
        read_preset(path)
    assert words in str(info.value)


def test_preset_and_preview_over_osc(connect, app) -> None:
    client = connect()
    result = client.generate("styled", preset="edm-arp", chords="Am | F | C | G", preview="true", seed=2,
                             parts="arp,bass,pad", style="upbeat")  # the Markov model: no drums
    assert set(result.parts) == {"arp", "bass", "pad"}
    client.send("/continuo/generate", "pv", "chords", "C | G", "preview", 1)
    _, args = client.wait_for("/continuo/preview")
    png = Path(args[1])
    assert png.parent == app.settings.output_dir.resolve() and png.suffix == ".png"
    assert Image.open(png).size[0] > 100


@pytest.mark.parametrize("name", ["../../etc/x", "/tmp/evil.toml", "nosuch"])
def test_preset_names_from_the_network_are_names_only(connect, name: str) -> None:
    client = connect()
    with pytest.raises(ContinuoReplyError) as info:
        client.generate("p", preset=name, chords="C")
    assert info.value.code == "bad_request"


def test_presets_command_lists_them(capsys) -> None:
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    for name in STYLES:
        assert name in out
    assert main(["presets", "--show", "folk"]) == 0
    assert 'meter = "3/4"' in capsys.readouterr().out


def test_cli_generate_with_a_preset_file_and_preview(tmp_path: Path, capsys) -> None:
    preset = tmp_path / "mine.toml"
    preset.write_text('[generate]\nparts = ["bass", "pad"]\ntempo = 101\n')
    out = tmp_path / "song.mid"
    assert main(["generate", "--chords", "C | G", "--preset", str(preset), "--preview", "true", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "bass" in printed and "pad" in printed and (tmp_path / "song.png").is_file()
    assert JobSpec(parse_mapping({"preset": str(preset)}, preset_paths=True).values).values["tempo"] == 101.0


@pytest.mark.slow
def test_demo_writes_midi_preview_stems_and_mix(tmp_path: Path, capsys) -> None:
    assert main(["demo", "--preset", "folk", "--output-dir", str(tmp_path), "--log-level", "warning"]) == 0
    out = capsys.readouterr().out
    files = {line.split()[0]: line.split()[1] for line in out.splitlines() if line.split()[0] in ("MIDI", "preview", "mix")}
    assert set(files) == {"MIDI", "preview", "mix"}
    stems = [line.split()[1] for line in out.splitlines() if line.startswith("stem")]
    assert len(stems) == 3  # melody, arp, bass
    for path in [*files.values(), *stems]:
        assert Path(path).is_file() and Path(path).stat().st_size > 1000
