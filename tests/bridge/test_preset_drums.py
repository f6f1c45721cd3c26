"""The presets whose band has a drummer write a drums part, on General MIDI's drum channel (10)."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest

from bridge.cli import main
from bridge.presets import load_preset

DRUMMED = {"bossa-nova": "latin", "edm-arp": "dance", "jazz-trio": "jazz", "lofi-keys": "hiphop"}


@pytest.mark.parametrize("name, style", sorted(DRUMMED.items()))
def test_the_preset_asks_for_drums_in_a_style_that_fits(name: str, style: str) -> None:
    preset = load_preset(name)
    assert "drums" in preset.generate["parts"] and preset.generate["style"] == style
    assert preset.render.part("drums").voice == "kit"


def test_a_preset_with_drums_writes_them_on_channel_10(tmp_path: Path, capsys) -> None:
    out = tmp_path / "trio.mid"
    assert main(["generate", "--preset", "jazz-trio", "--chords", "Dm7 | G7", "--bars", "2", "--seed", "1",
                 "--out", str(out)]) == 0
    tracks = {track.name: track for track in mido.MidiFile(out).tracks}
    drums = [m for m in tracks["drums"] if m.type == "note_on" and m.velocity > 0]
    assert drums and {m.channel for m in drums} == {9}  # mido counts channels from 0
    assert {m.channel for m in tracks["bass"] if m.type == "note_on"} != {9}
