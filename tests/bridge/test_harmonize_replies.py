"""Harmonize through the daemon: the chords come back on /continuo/chords, and the MIDI file has their markers and key."""

from __future__ import annotations

import mido

from bridge.client import Client
from tests.models.harmony.tunes import ode_to_joy


def test_the_producer_sees_the_chords_and_can_send_them_back(app) -> None:
    with Client(port=app.osc.port) as client:
        client.upload_clip("ode", [(n.pitch, n.start_beats, n.duration_beats, n.velocity) for n in ode_to_joy()])
        result = client.generate("h", task="harmonize", melody="ode", parts="bass,keys", seed=2, chord_style="sevenths")
        text = result.chords[1]
        bars = text.split(" | ")
        # Ode to Joy in D ends at home (two chords a bar, the default: the A7 under the last bar's E resolves)
        assert len(bars) == 8 and bars[-1].split()[-1] in ("D", "Dmaj7")
        again = client.generate("a", task="accompany", chords=text, parts="bass,keys", seed=2)
    midi = mido.MidiFile(result.paths[0])
    meta = [m for m in midi.tracks[0] if m.is_meta]
    markers = [m.text for m in meta if m.type == "marker"]
    assert [m.key for m in meta if m.type == "key_signature"] == ["D"]
    assert markers[0] == bars[0].split()[0] and markers[-1] == bars[-1].split()[-1]
    assert markers == [m.text for m in mido.MidiFile(again.paths[0]).tracks[0] if m.type == "marker"]
