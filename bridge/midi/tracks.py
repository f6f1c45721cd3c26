"""MIDI files read as a clip: their tracks by channel, the melody track among them, their tempo, meter and key."""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bridge.errors import InvalidRequest
from models.types import METERS, Note

MAX_FILE_NOTES = 200_000
DRUM_CHANNEL = 10  # General MIDI's, counted from 1 as DAWs show it
MAX_OVERLAP = 0.2  # a melody track has at most this share of notes starting while another still sounds
MIN_SHARE = 0.25  # ... and at least this share of the notes of the busiest such track
MELODY_RULE = ("the track with the highest median pitch among those whose notes mostly sound one at a time "
               "(drums never), or pick one with --melody-track")


@dataclass(frozen=True)
class Track:
    """The notes of one channel of one track of the file; ``number`` counts tracks with notes from 1."""

    number: int
    name: str
    channel: int  # 1-16
    notes: tuple[Note, ...]

    @property
    def drums(self) -> bool:
        return self.channel == DRUM_CHANNEL

    def describe(self) -> str:
        return f"track {self.number} {self.name!r} (channel {self.channel}, {len(self.notes)} notes)"


@dataclass(frozen=True)
class Clip:
    """What a file gives a request: its notes, and the tempo, meter and key it says (None or "": it does not)."""

    path: Path
    notes: tuple[Note, ...]
    tempo: float | None
    meter: tuple[int, int] | None
    key: str
    used: str  # which track the notes are, in words ("": every track)
    tracks: tuple[Track, ...]
    meter_text: str = ""  # the file's time signature when continuo cannot write it (5/4...)


def read_clip(path: Path | str, what: str, melody: bool = False, track: str | None = None) -> Clip:
    """Read ``path`` for a clip key (``what`` names it in messages, e.g. "--melody file").

    The drum channel is left out unless it is all there is. ``melody`` picks one track: ``track`` (a name,
    a number from 1 in the file's order of tracks with notes, or ch1-ch16), else ``MELODY_RULE``.
    """
    path = Path(path)
    midi = _parse(path, what)
    tracks = _tracks(midi)
    if not tracks:
        raise InvalidRequest(f"{what} {path} holds no notes")
    pitched = [t for t in tracks if not t.drums]
    if melody:
        if not pitched:
            raise InvalidRequest(f"{what} {path} holds only drums (channel {DRUM_CHANNEL}); a melody needs "
                                 "pitched notes: give a file with the melody in it")
        chosen = [_chosen(tracks, track, what, path)] if track is not None else [_melody(pitched)]
        used = chosen[0].describe()
    else:
        chosen = pitched or tracks
        used = "" if len(chosen) == len(tracks) else f"every track but the drums (channel {DRUM_CHANNEL})"
    notes = tuple(sorted((n for t in chosen for n in t.notes), key=lambda n: (n.start_beats, n.pitch)))
    tempo, meter, key = _first(midi, "set_tempo"), _first(midi, "time_signature"), _first(midi, "key_signature")
    bpm = round(60_000_000 / tempo.tempo, 2) if tempo is not None and tempo.tempo > 0 else None
    signature = (meter.numerator, meter.denominator) if meter is not None else None
    return Clip(path, notes, bpm, signature if signature in METERS else None, key.key if key is not None else "", used,
                tuple(tracks), f"{signature[0]}/{signature[1]}" if signature and signature not in METERS else "")


def _parse(path: Path, what: str):
    """The file, checked by symusic first (fast, strict about damage and size), then read with mido."""
    import mido
    import symusic

    if not path.is_file():
        raise InvalidRequest(f"{what} {path} does not exist")
    try:
        count = symusic.Score(str(path), ttype="quarter").note_num()
        if count <= MAX_FILE_NOTES:
            return mido.MidiFile(str(path))
    except (RuntimeError, ValueError, OSError, EOFError, KeyError, IndexError) as err:
        raise InvalidRequest(f"{what} {path} {file_problem(err)}") from None
    raise InvalidRequest(f"{what} {path} has {count} notes; at most {MAX_FILE_NOTES} are read")


def file_problem(err: BaseException) -> str:
    """Why a MIDI file could not be read, in words (not the parser's)."""
    text = str(err)
    if "MThd" in text or "less than 14" in text:
        return ("is not a readable standard MIDI file: it does not start like one; export the clip from your DAW "
                "as a .mid file")
    return "is not a readable standard MIDI file: it is damaged or cut short; save or export it again"


def _tracks(midi) -> list[Track]:
    """Every (track, channel) with notes, in file order; a note-on is ended by the first matching note-off."""
    found: list[Track] = []
    scale = 1.0 / midi.ticks_per_beat
    for events in midi.tracks:
        name, tick = "", 0
        sounding: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
        notes: dict[int, list[Note]] = defaultdict(list)
        for message in events:
            tick += message.time
            if message.type == "track_name" and not name:
                name = message.name.strip()
            elif message.type == "note_on" and message.velocity > 0:
                sounding[(message.channel, message.note)].append((tick, message.velocity))
            elif message.type in ("note_on", "note_off") and sounding.get((message.channel, message.note)):
                start, velocity = sounding[(message.channel, message.note)].pop(0)
                if tick > start:
                    notes[message.channel].append(Note(message.note, start * scale, (tick - start) * scale, velocity))
        for channel in sorted(notes):
            found.append(Track(len(found) + 1, name or f"channel {channel + 1}", channel + 1, tuple(notes[channel])))
    return found


def _first(midi, kind: str):
    """The earliest meta message of ``kind`` in any track, or None."""
    best, best_tick = None, None
    for events in midi.tracks:
        tick = 0
        for message in events:
            tick += message.time
            if message.type == kind and (best_tick is None or tick < best_tick):
                best, best_tick = message, tick
                break
    return best


def _melody(pitched: list[Track]) -> Track:
    """``MELODY_RULE``: mostly one note at a time, enough notes, the highest median pitch (then the most notes)."""
    single = [t for t in pitched if _overlap(t.notes) <= MAX_OVERLAP] or pitched
    busiest = max(len(t.notes) for t in single)
    enough = [t for t in single if len(t.notes) >= MIN_SHARE * busiest]
    return max(enough, key=lambda t: (statistics.median(n.pitch for n in t.notes), len(t.notes), -t.number))


def _overlap(notes: tuple[Note, ...]) -> float:
    """The share of notes that start while an earlier one still sounds (a sixteenth of grace allowed)."""
    ordered = sorted(notes, key=lambda n: n.start_beats)
    held, overlapping = float("-inf"), 0
    for note in ordered:
        if note.start_beats < held - 0.25:
            overlapping += 1
        held = max(held, note.end_beats)
    return overlapping / max(len(ordered), 1)


def _chosen(tracks: list[Track], choice: str, what: str, path: Path) -> Track:
    """The track ``choice`` names (name, number or channel); InvalidRequest listing the tracks otherwise."""
    listing = "; ".join(f"{t.number} {t.name!r} (channel {t.channel}{', drums' if t.drums else ''})" for t in tracks)
    fix = f"choose with --melody-track a name, a number or ch1-ch16; the tracks of {path.name}: {listing}"
    text = choice.strip()
    channel = re.fullmatch(r"(?:ch|channel)\s*(\d+)", text, re.IGNORECASE)
    if channel:
        number = int(channel.group(1))
        if not 1 <= number <= 16:
            raise InvalidRequest(f"--melody-track {choice!r}: channels are numbered 1 to 16; {fix}")
        matches = [t for t in tracks if t.channel == number]
        wanted = f"no track on channel {number}"
    elif text.isdigit():
        matches = [t for t in tracks if t.number == int(text)]
        wanted = f"no track {text}"
    else:
        matches = [t for t in tracks if t.name.casefold() == text.casefold()]
        wanted = f"no track named {text!r}"
    if not matches:
        raise InvalidRequest(f"--melody-track {choice!r}: {what} {path} has {wanted}; {fix}")
    if any(t.drums for t in matches):
        raise InvalidRequest(f"--melody-track {choice!r} is the drums (channel {DRUM_CHANNEL}), never a melody; {fix}")
    if len(matches) > 1:
        names = ", ".join(str(t.number) for t in matches)
        raise InvalidRequest(f"--melody-track {choice!r} names tracks {names}; pick one by number; {fix}")
    return matches[0]


def file_settings(clips: dict[str, Clip], given: set[str]) -> tuple[dict[str, object], list[str]]:
    """The tempo, meter and key the clip files say (the first file that says one), for each the request
    does not give; and a line per file saying which track was used and what was taken from it."""
    from bridge.keys import KEYS

    values: dict[str, object] = {}
    lines = []
    for key, clip in clips.items():
        low, high = KEYS["tempo"].low, KEYS["tempo"].high
        found = {"tempo": clip.tempo if clip.tempo is not None and low <= clip.tempo <= high else None,
                 "meter": clip.meter, "key": clip.key or None}
        taken = {name: value for name, value in found.items()
                 if value is not None and name not in given and name not in values}
        values.update(taken)
        said = [clip.used] if clip.used else []
        if taken:
            said.append(", ".join(f"{name} {_shown(value)}" for name, value in taken.items()) + " from the file")
        if clip.meter_text and "meter" not in given:
            said.append(f"its meter {clip.meter_text} is not one continuo writes: choose one with --meter")
        if said:
            lines.append(f"--{key} {clip.path.name}: " + "; ".join(said))
    return values, lines


def _shown(value: object) -> str:
    if isinstance(value, tuple):
        return f"{value[0]}/{value[1]}"
    return f"{value:g}" if isinstance(value, float) else str(value)
