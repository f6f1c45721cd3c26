"""Hostile MIDI bytes (issue list): decoded or dropped and counted, never raised; the stream recovers."""

from __future__ import annotations

import mido
import pytest

from bridge.midi.decode import DropLog, MidiDecoder


def decode(data: list[int]) -> tuple[list[mido.Message], DropLog]:
    drops = DropLog()
    return list(MidiDecoder(drops).feed(data)), drops


NOTE_ON = [0x90, 60, 100]


@pytest.mark.parametrize(
    "name, data, expected",
    [
        ("64 KB SysEx", [0xF0] + [0x11] * 65536 + [0xF7] + NOTE_ON, [("note_on", 60, 100)]),
        ("unterminated SysEx, then a note", [0xF0, 1, 2, 3] + NOTE_ON, [("note_on", 60, 100)]),
        ("realtime inside SysEx", [0xF0, 1, 2, 0xF8, 3, 0xF7] + NOTE_ON, [("clock",), ("note_on", 60, 100)]),
        ("velocity-0 note-on", [0x90, 60, 0], [("note_on", 60, 0)]),
        ("duplicate note-ons", NOTE_ON + NOTE_ON, [("note_on", 60, 100), ("note_on", 60, 100)]),
        ("note-off without note-on", [0x80, 61, 0], [("note_off", 61, 0)]),
        # a byte over 127 is a status byte: here a program change that cuts the note-on short
        ("data bytes over 127 (out of range)", [0x90, 200, 100] + NOTE_ON, [("program_change",), ("note_on", 60, 100)]),
        ("clock flood", [0xF8] * 10_000 + NOTE_ON, [("clock",)] * 10_000 + [("note_on", 60, 100)]),
    ],
)
def test_hostile_midi_bytes(name: str, data: list[int], expected: list[tuple]) -> None:
    out, drops = decode(data)
    got = [(m.type, m.note, m.velocity) if m.type.startswith("note") else (m.type,) for m in out]
    assert got == expected, name
    assert all(0 <= m.channel <= 15 for m in out if hasattr(m, "channel"))
