"""Notes and chords to token sections (one bar of one track) and token streams back to notes and chords."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from models.music.chords import make_chord, parse_chord
from models.music.meter import TICKS_PER_BEAT
from models.transformer.tokens import (
    BASS0,
    CHORD_N,
    CHORD_QUALITIES,
    DENS0,
    DUR0,
    INDEX,
    KIND,
    PITCH0,
    POS0,
    QUAL0,
    ROLES,
    ROOT0,
    VEL0,
    VELOCITY_LEVELS,
    StreamReader,
    density_bucket,
    duration_index,
)
from models.types import STYLES, ChordSpan, Note


def encode_notes(notes: Iterable[Note], bar_start: float, bar_ticks: int) -> list[int]:
    """Section body for the notes starting in one bar: ``DENS VEL (POS (DUR PITCH+)+)*``.

    Notes at one position are ordered by duration then pitch, so that one DUR token serves a
    whole block chord; duplicates (same position, duration and pitch) are dropped.
    """
    events: dict[int, set[tuple[int, int]]] = {}
    velocities = []
    for note in notes:
        tick = round((note.start_beats - bar_start) * TICKS_PER_BEAT)
        if not 0 <= tick < bar_ticks:
            continue
        events.setdefault(tick, set()).add((duration_index(note.duration_beats * TICKS_PER_BEAT), note.pitch))
        velocities.append(note.velocity)
    velocity = round(sum(velocities) / len(velocities)) if velocities else 80
    out = [DENS0 + density_bucket(len(events)), VEL0 + min(velocity // 16, VELOCITY_LEVELS - 1)]
    for tick in sorted(events):
        out.append(POS0 + tick)
        current = -1
        for dur, pitch in sorted(events[tick]):
            if dur != current:
                out.append(DUR0 + dur)
                current = dur
            out.append(PITCH0 + pitch)
    return out


def encode_chords(chords: Sequence[ChordSpan], bar_start: float, bar_ticks: int) -> list[int]:
    """Chord section body for one bar: ``(POS (ROOT QUAL [BASS] | CHORD_N))*``.

    The chord sounding at the downbeat is always written at POS_0, so that every bar states its harmony.
    """
    out: list[int] = []
    bar_end = bar_start + bar_ticks / TICKS_PER_BEAT
    last = -1
    for span in chords:
        end = span.start_beats + span.duration_beats
        if end <= bar_start + 1e-6 or span.start_beats >= bar_end - 1e-6:
            continue
        tick = max(0, round((span.start_beats - bar_start) * TICKS_PER_BEAT))
        if tick <= last or tick >= bar_ticks:
            continue
        chord = parse_chord(span.symbol)
        out.append(POS0 + tick)
        if chord.is_rest:
            out.append(CHORD_N)
        else:
            out += [ROOT0 + chord.root, QUAL0 + CHORD_QUALITIES.index(chord.quality)]
            if chord.bass is not None and chord.bass != chord.root:
                out.append(BASS0 + chord.bass)
        last = tick
    return out


@dataclass
class Decoded:
    """Notes per track (beats from the first bar), chord spans and bar layout read from tokens."""

    tracks: dict[str, list[Note]]
    chords: list[ChordSpan]
    bar_starts: list[float]
    meters: list[tuple[int, int]]
    style: str | None = None


def decode(tokens: Sequence[int], roles: Iterable[str] = ROLES) -> Decoded:
    """Read a token stream back into notes and chords; tokens that break the grammar are skipped.

    Args:
        tokens: ids from ``VOCAB``.
        roles: which sections to read ("control", "target" or both).
    """
    wanted = set(roles)
    out = Decoded({}, [], [], [])
    reader = StreamReader()
    chord_marks: list[tuple[float, str]] = []
    pending_root: int | None = None
    pending_quality: str | None = None

    def flush_chord() -> None:
        nonlocal pending_root, pending_quality
        if pending_root is not None and pending_quality is not None:
            chord_marks.append((reader.start_beats, make_chord(pending_root, pending_quality).name))
        pending_root = pending_quality = None

    for token in tokens:
        kind = KIND[token]
        if kind in ("BAR", "TRACK", "POS", "EOS", "PAD"):
            flush_chord()  # a chord ends where the next one, section or bar starts
        reader.read(token)
        if kind == "STYLE":
            out.style = STYLES[INDEX[token]]
        elif kind == "BAR":
            out.bar_starts.append(reader.bar_start / TICKS_PER_BEAT)
            out.meters.append(reader.meter)
        elif kind == "METER" and out.meters:
            out.meters[-1] = reader.meter
        elif reader.track is None or reader.role not in wanted:
            continue
        elif kind == "PITCH" and reader.track != "chord":
            out.tracks.setdefault(reader.track, []).append(
                Note(INDEX[token], reader.start_beats, reader.duration / TICKS_PER_BEAT, reader.velocity))
        elif reader.track != "chord":
            continue
        elif kind == "ROOT":
            pending_root = INDEX[token]
        elif kind == "QUAL":
            pending_quality = CHORD_QUALITIES[INDEX[token]]
        elif kind == "BASS" and pending_root is not None and pending_quality is not None:
            chord_marks.append((reader.start_beats, make_chord(pending_root, pending_quality, INDEX[token]).name))
            pending_root = pending_quality = None
        elif kind == "CHORD":
            chord_marks.append((reader.start_beats, "N"))
    flush_chord()
    end = (reader.bar_start + reader.bar_ticks) / TICKS_PER_BEAT if out.bar_starts else 0.0
    chord_marks.sort()
    for (start, symbol), nxt in zip(chord_marks, chord_marks[1:] + [(end, "")]):
        if out.chords and out.chords[-1].symbol == symbol and start - (out.chords[-1].start_beats + out.chords[-1].duration_beats) < 1e-6:
            last = out.chords[-1]
            out.chords[-1] = ChordSpan(symbol, last.start_beats, nxt[0] - last.start_beats)
        elif nxt[0] > start:
            out.chords.append(ChordSpan(symbol, start, nxt[0] - start))
    return out
