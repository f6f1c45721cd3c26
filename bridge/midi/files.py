"""Standard MIDI files: results written as one named track per part; clips read from files."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import mido

from bridge.midi.tracks import MAX_FILE_NOTES, read_clip  # noqa: F401 - MAX_FILE_NOTES: the limit on read files
from bridge.paths import write_atomic
from models.types import PARTS, ChordSpan, Note

log = logging.getLogger(__name__)

TICKS_PER_BEAT = 480


def _ticks(beats: float) -> int:
    return max(0, round(beats * TICKS_PER_BEAT))


def build_midi(
    parts: Mapping[str, Sequence[Note]],
    tempo: float,
    meter: tuple[int, int],
    chords: Sequence[ChordSpan] = (),
    title: str = "continuo",
    programs: Mapping[str, int] | None = None,
    key: str = "",
) -> mido.MidiFile:
    """A type-1 file: a conductor track (tempo, meter, key, chord markers) then one track per part.

    ``programs`` (part → General MIDI program, e.g. a preset's) replaces a part's own program.
    ``key`` (``'D'``, ``'Bm'``, a harmonization's key) is written as the key signature.
    """
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    conductor = mido.MidiTrack()
    conductor.append(mido.MetaMessage("track_name", name=title, time=0))
    conductor.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo), time=0))
    conductor.append(mido.MetaMessage("time_signature", numerator=meter[0], denominator=meter[1], time=0))
    if key:
        conductor.append(mido.MetaMessage("key_signature", key=key, time=0))
    markers = [(_ticks(c.start_beats), 2, mido.MetaMessage("marker", text=c.symbol)) for c in chords]
    conductor.extend(_with_deltas(markers))
    midi.tracks.append(conductor)
    for name, notes in parts.items():
        channel, program = PARTS.get(name, (0, 0))
        program = (programs or {}).get(name, program)
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=name, time=0))
        if channel != 9:
            track.append(mido.Message("program_change", channel=channel, program=program, time=0))
        events = []
        for note in notes:
            on, off = _ticks(note.start_beats), _ticks(note.end_beats)
            off = max(off, on + 1)
            events.append((on, 1, mido.Message("note_on", channel=channel, note=note.pitch, velocity=note.velocity)))
            # offs sort before ons at the same tick so a repeated pitch is never cut short
            events.append((off, 0, mido.Message("note_off", channel=channel, note=note.pitch, velocity=0)))
        track.extend(_with_deltas(events))
        midi.tracks.append(track)
    return midi


def _with_deltas(events: list[tuple[int, int, mido.Message]]) -> list[mido.Message]:
    out, now = [], 0
    for tick, _, message in sorted(events, key=lambda e: (e[0], e[1])):
        out.append(message.copy(time=tick - now))
        now = tick
    out.append(mido.MetaMessage("end_of_track", time=0))
    return out


def write_midi(path: Path, midi: mido.MidiFile) -> Path:
    """Write ``midi`` to ``path`` atomically."""
    return write_atomic(path, lambda tmp: midi.save(str(tmp)))


def read_notes(path: Path | str, what: str = "MIDI file") -> tuple[Note, ...]:
    """The notes of a MIDI file in beats, sorted by time, without the drums unless they are all it holds;
    a clear error for a bad file (``bridge/midi/tracks.py`` reads it, with its tracks, tempo, meter and key)."""
    return read_clip(path, what).notes
