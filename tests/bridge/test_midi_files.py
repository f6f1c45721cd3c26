"""Result files: one named track per part, right tempo, meter and channel; files read back exactly."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest

from bridge.errors import InvalidRequest
from bridge.midi.files import build_midi, read_notes, write_midi
from models.types import PARTS, ChordSpan, Note


def test_round_trip_keeps_every_note(tmp_path: Path) -> None:
    parts = {
        "bass": (Note(36, 0.0, 1.5, 100), Note(36, 1.5, 0.5, 80), Note(43, 2.0, 2.0, 90)),
        "keys": (Note(60, 0.0, 4.0, 70), Note(64, 0.0, 4.0, 70), Note(67, 1 / 3, 1 / 3, 70)),
    }
    path = write_midi(tmp_path / "r.mid", build_midi(parts, 96.0, (3, 4), [ChordSpan("Am7", 0.0, 3.0)]))
    midi = mido.MidiFile(path)
    assert [t.name for t in midi.tracks] == ["continuo", "bass", "keys"]
    conductor = {m.type: m for m in midi.tracks[0]}
    assert round(mido.tempo2bpm(conductor["set_tempo"].tempo), 3) == 96.0
    assert (conductor["time_signature"].numerator, conductor["time_signature"].denominator) == (3, 4)
    assert conductor["marker"].text == "Am7"
    channels = {m.channel for m in midi.tracks[1] if m.type == "note_on"}
    assert channels == {PARTS["bass"][0]}
    back = read_notes(path)
    expected = sorted((n for notes in parts.values() for n in notes), key=lambda n: (n.start_beats, n.pitch))
    assert [(n.pitch, n.velocity) for n in back] == [(n.pitch, n.velocity) for n in expected]
    for got, want in zip(back, expected):
        assert got.start_beats == pytest.approx(want.start_beats, abs=1 / 480)
        assert got.duration_beats == pytest.approx(want.duration_beats, abs=1 / 480)


def test_repeated_pitch_is_not_cut_short(tmp_path: Path) -> None:
    notes = (Note(60, 0.0, 1.0), Note(60, 1.0, 1.0))
    path = write_midi(tmp_path / "r.mid", build_midi({"keys": notes}, 120.0, (4, 4)))
    assert [(n.start_beats, n.duration_beats) for n in read_notes(path)] == [(0.0, 1.0), (1.0, 1.0)]


def test_drums_have_no_program_change(tmp_path: Path) -> None:
    path = write_midi(tmp_path / "d.mid", build_midi({"drums": (Note(36, 0, 0.5),)}, 120.0, (4, 4)))
    track = mido.MidiFile(path).tracks[1]
    assert not [m for m in track if m.type == "program_change"]
    assert {m.channel for m in track if m.type == "note_on"} == {9}


@pytest.mark.parametrize("content, words", [(b"", "not a readable"), (b"MThd\x00\x00\x00\x06\x00\x01", "not a readable")])
def test_broken_files_are_explained(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "bad.mid"
    path.write_bytes(content)
    with pytest.raises(InvalidRequest, match=words):
        read_notes(path, "--melody file")


def test_file_without_notes(tmp_path: Path) -> None:
    path = write_midi(tmp_path / "e.mid", build_midi({}, 120.0, (4, 4)))
    with pytest.raises(InvalidRequest, match="holds no notes"):
        read_notes(path)
