"""Standard MIDI files: results written as one named track per part; clips read from files."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import mido

from bridge.errors import InvalidRequest
from bridge.paths import write_atomic
from models.api import PARTS, ChordSpan, Note

log = logging.getLogger(__name__)

TICKS_PER_BEAT = 480
MAX_FILE_NOTES = 200_000


def _ticks(beats: float) -> int:
    return max(0, round(beats * TICKS_PER_BEAT))


def build_midi(
    parts: Mapping[str, Sequence[Note]],
    tempo: float,
    meter: tuple[int, int],
    chords: Sequence[ChordSpan] = (),
    title: str = "continuo",
) -> mido.MidiFile:
    """A type-1 file: a conductor track (tempo, meter, chord markers) then one track per part."""
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    conductor = mido.MidiTrack()
    conductor.append(mido.MetaMessage("track_name", name=title, time=0))
    conductor.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo), time=0))
    conductor.append(mido.MetaMessage("time_signature", numerator=meter[0], denominator=meter[1], time=0))
    markers = [(_ticks(c.start_beats), 2, mido.MetaMessage("marker", text=c.symbol)) for c in chords]
    conductor.extend(_with_deltas(markers))
    midi.tracks.append(conductor)
    for name, notes in parts.items():
        channel, program = PARTS.get(name, (0, 0))
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
    """All notes of a MIDI file in beats, sorted by time; a clear error for a bad file."""
    path = Path(path)
    try:
        midi = mido.MidiFile(str(path), clip=True)
    except FileNotFoundError:
        raise InvalidRequest(f"{what} {path} does not exist") from None
    except (OSError, EOFError, ValueError, KeyError, IndexError) as err:
        raise InvalidRequest(f"{what} {path} is not a readable standard MIDI file ({err})") from None
    if midi.type == 2:
        raise InvalidRequest(f"{what} {path} is a type 2 MIDI file; save it as type 0 or 1")
    per_beat = midi.ticks_per_beat
    if per_beat <= 0:
        raise InvalidRequest(f"{what} {path} uses SMPTE time; save it with ticks per beat")
    notes: list[Note] = []
    for track in midi.tracks:
        tick = 0
        sounding: dict[tuple[int, int], tuple[int, int]] = {}
        for message in track:
            tick += message.time
            if message.type not in ("note_on", "note_off"):
                continue
            key = (message.channel, message.note)
            if message.type == "note_on" and message.velocity > 0:
                if key in sounding:  # a repeated note-on ends the previous one
                    _close(notes, key, sounding.pop(key), tick, per_beat)
                sounding[key] = (tick, message.velocity)
            elif key in sounding:
                _close(notes, key, sounding.pop(key), tick, per_beat)
            if len(notes) > MAX_FILE_NOTES:
                raise InvalidRequest(f"{what} {path} has more than {MAX_FILE_NOTES} notes")
        for key, started in sounding.items():
            log.warning("%s %s: note %d never ends; ending it at the end of its track", what, path, key[1])
            _close(notes, key, started, tick, per_beat)
    if not notes:
        raise InvalidRequest(f"{what} {path} holds no notes")
    return tuple(sorted(notes, key=lambda n: (n.start_beats, n.pitch)))


def _close(notes: list[Note], key: tuple[int, int], started: tuple[int, int], tick: int, per_beat: int) -> None:
    start, velocity = started
    if tick > start:
        notes.append(Note(key[1], start / per_beat, (tick - start) / per_beat, velocity))
