"""The Groove reader: the TD-11's articulations arrive as General MIDI drum notes, in beats, with info.csv's labels."""

from __future__ import annotations

import mido
import pytest

from models.data.groove import DEFAULT_GROOVE, read_groove, read_hits
from models.drums.kit import INSTRUMENTS

needs_groove = pytest.mark.skipif(not (DEFAULT_GROOVE / "info.csv").exists(), reason="Groove MIDI Dataset absent")


def test_edge_and_rim_articulations_map_to_general_midi(tmp_path):
    track = mido.MidiTrack()
    for note in (22, 26, 58, 40, 55, 36):  # hi-hat closed and open edge, tom 3 rim, snare rim, crash edge, kick
        track += [mido.Message("note_on", channel=9, note=note, velocity=80, time=0),
                  mido.Message("note_off", channel=9, note=note, velocity=0, time=240)]
    midi = mido.MidiFile(ticks_per_beat=480)
    midi.tracks.append(track)
    midi.save(tmp_path / "take.mid")
    hits = read_hits(tmp_path / "take.mid")
    assert [h.note for h in hits] == [42, 46, 43, 38, 49, 36]
    assert [h.onset_beats for h in hits] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]


@needs_groove
def test_a_funk_groove_and_a_fill_from_the_set():
    groove, fill = list(read_groove(limit=2))
    assert (groove.style, groove.bpm, groove.meter, groove.split, groove.fill) == ("funk", 80.0, (4, 4), "train", False)
    assert (fill.style, fill.substyle, fill.fill) == ("jazz", "jazz/funk", True)
    for take in (groove, fill):
        assert {h.note for h in take.hits} <= set(INSTRUMENTS)
        assert [h.onset_beats for h in take.hits] == sorted(h.onset_beats for h in take.hits)
    assert groove.bars > 20 and fill.bars == 1
    off_grid = [abs(h.onset_beats * 12 - round(h.onset_beats * 12)) for h in groove.hits]
    assert max(off_grid) > 0.1  # the drummer's micro-timing is kept, not quantised
