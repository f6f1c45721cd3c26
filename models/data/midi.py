"""A user's MIDI folder read as pieces (tracks by program and register, chords recognised), and pieces written as MIDI."""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path

from models.data.pieces import Piece
from models.music.meter import TICKS_PER_BEAT, beats_per_bar
from models.music.recognise import recognise_chords
from models.transformer.tokens import NOTE_TRACKS
from models.types import METERS, PARTS, STYLES, Note

log = logging.getLogger(__name__)


def _role_of(track, mean_pitch: float) -> str:
    program = track.program
    if track.is_drum:
        return "drums"
    if 32 <= program <= 39 or mean_pitch < 48:
        return "bass"
    if 88 <= program <= 95 or 48 <= program <= 55:
        return "pad"
    if program <= 7 or 16 <= program <= 23:
        return "keys"
    return "melody"


def read_midi_folder(folder: str | Path, style: str) -> Iterator[Piece]:
    """Every ``*.mid``/``*.midi`` under ``folder``: tracks by program and register, chords recognised."""
    import symusic

    if style not in STYLES:
        raise ValueError(f"style '{style}' is not one the model knows: choose from {', '.join(STYLES)}")
    files = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in (".mid", ".midi"))
    if not files:
        raise FileNotFoundError(f"no .mid files under {folder}")
    for path in files:
        try:
            score = symusic.Score(str(path))
        except Exception as err:  # noqa: BLE001 - symusic raises RuntimeError and others on bad files
            log.warning("skipping %s: %s", path, err)
            continue
        tpq = score.ticks_per_quarter
        signature = score.time_signatures[0] if len(score.time_signatures) else None
        meter = (signature.numerator, signature.denominator) if signature else (4, 4)
        if meter not in METERS:
            meter = (4, 4)
        tracks: dict[str, list[Note]] = defaultdict(list)
        melodic = []
        for track in score.tracks:
            notes = [Note(n.pitch, round(n.time / tpq * TICKS_PER_BEAT) / TICKS_PER_BEAT,
                          max(round(n.duration / tpq * TICKS_PER_BEAT), 1) / TICKS_PER_BEAT, max(1, n.velocity))
                     for n in track.notes]
            if notes:
                role = _role_of(track, sum(n.pitch for n in notes) / len(notes))
                tracks[role] += notes
                if role != "drums":
                    melodic += notes
        beats = beats_per_bar(meter)
        end = max((n.end_beats for notes in tracks.values() for n in notes), default=0.0)
        count = math.ceil(end / beats - 1e-6)
        if count < 1 or not melodic:
            continue
        bars = [(k * beats, meter) for k in range(count)]
        chords = recognise_chords(melodic, meter, count)
        yield Piece(f"user/{path.stem}", style, bars,
                    {k: sorted(v, key=lambda n: (n.start_beats, n.pitch)) for k, v in tracks.items() if k in NOTE_TRACKS},
                    chords)


VOICE_PROGRAMS = {"soprano": 52, "alto": 52, "tenor": 52, "bassvoice": 52}  # choir aahs


def write_midi(tracks: dict[str, Sequence[Note]], path: str | Path, tempo: float = 120.0,
               meter: tuple[int, int] = (4, 4), ticks_per_beat: int = 480) -> Path:
    """Write notes per track to a MIDI file (one track each, program and channel from ``models.types.PARTS``)."""
    import symusic

    score = symusic.Score(ticks_per_beat)
    score.tempos.append(symusic.Tempo(0, tempo))
    score.time_signatures.append(symusic.TimeSignature(0, meter[0], meter[1]))
    for index, (name, notes) in enumerate(tracks.items()):
        channel, program = PARTS.get(name, (min(index, 8), VOICE_PROGRAMS.get(name, 0)))
        track = symusic.Track(name, program, channel == 9)
        for note in notes:
            track.notes.append(symusic.Note(round(note.start_beats * ticks_per_beat),
                                            max(1, round(note.duration_beats * ticks_per_beat)), note.pitch, note.velocity))
        score.tracks.append(track)
    path = Path(path)
    score.dump_midi(str(path))
    return path
