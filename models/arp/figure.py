"""The arp's notes: for each chord in each bar, the chord's (or the keys') notes stacked in octaves, placed in the
arp's register and stepped through in the pattern, on the rate's grid, with a mild accent on the beats."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from models.arp.settings import COMPOUND_METERS, ArpSettings
from models.music.chords import Chord, ChordError, parse_chord
from models.music.meter import beats_per_bar
from models.types import ChordSpan, Note

LOWEST, HIGHEST = 48, 88  # the arp's register (models/transformer/grammar.py lets it reach 36-96)
WIDEST_VOICING = 19  # a keys voicing wider than this keeps its upper notes (the left hand's bass stays out)
_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class Segment:
    """Part of a bar under one chord: the arp's pattern starts again at each."""

    start: float
    end: float
    chord: Chord | None  # None: no chord known here (the keys, or the chord before, decide)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where the arp sits: the pitch its figure centres on, the highest it may reach, its base velocity."""

    anchor: float = 64.0
    ceiling: int = HIGHEST
    velocity: float = 80.0


def _parse(symbol: str) -> Chord | None:
    try:
        return parse_chord(symbol)
    except ChordError:
        return None


def bar_segments(chords: Sequence[ChordSpan], bar: int, meter: tuple[int, int]) -> list[Segment]:
    """The chords sounding in bar ``bar`` (0-based), cut at its bar lines; a stretch no chord covers is a segment
    without a chord."""
    beats = beats_per_bar(meter)
    start, end = bar * beats, (bar + 1) * beats
    segments: list[Segment] = []
    cursor = start
    for span in sorted(chords, key=lambda s: s.start_beats):
        lo, hi = max(span.start_beats, start), min(span.start_beats + span.duration_beats, end)
        if hi - lo <= _EPS:
            continue
        if lo - cursor > _EPS:
            segments.append(Segment(cursor, lo, None))
        segments.append(Segment(lo, hi, _parse(span.symbol)))
        cursor = max(cursor, hi)
    if end - cursor > _EPS:
        segments.append(Segment(cursor, end, None))
    return segments


def chord_cell(chord: Chord) -> list[int]:
    """The chord's notes in the order its symbol voices them (root, third, fifth, seventh, then extensions above),
    from the written bass for a slash chord; pitches from the root's octave at MIDI 48."""
    assert chord.root is not None
    pitches: list[int] = []
    for interval in chord.intervals:
        pitch = 48 + chord.root + interval
        while pitches and pitch <= pitches[-1]:
            pitch += 12
        pitches.append(pitch)
    if chord.bass is not None and chord.bass != chord.root:
        tones = [p % 12 for p in pitches]
        if chord.bass in tones:  # an inversion: start from the bass, the notes below it an octave up
            at = tones.index(chord.bass)
            pitches = pitches[at:] + [p + 12 for p in pitches[:at]]
        else:
            pitches = [48 + chord.bass - (12 if chord.bass > chord.root else 0)] + pitches
    return pitches


def keys_cell(keys: Sequence[Note], segment: Segment) -> list[int] | None:
    """The keys' voicing under ``segment`` in the order it sounds (chord tones only where the chord is known),
    or None when the keys give fewer than two pitch classes there."""
    sounding = [n for n in keys if n.start_beats < segment.end - _EPS and n.end_beats > segment.start + _EPS]
    if segment.chord is not None and not segment.chord.is_rest:
        tones = segment.chord.pitch_classes
        sounding = [n for n in sounding if n.pitch % 12 in tones]
    struck = [n for n in sounding if n.start_beats >= segment.start - _EPS]
    if len({n.pitch % 12 for n in struck}) >= 2:  # a chord held over from before gives way to the one struck here
        sounding = struck
    order: list[int] = []
    for note in sorted(sounding, key=lambda n: (n.start_beats, n.pitch)):
        if note.pitch not in order:
            order.append(note.pitch)
    top = max(order, default=0)
    order = [p for p in order if top - p <= WIDEST_VOICING]
    if len({p % 12 for p in order}) < 2:
        return None
    if segment.chord is not None and not segment.chord.is_rest:  # an open fifth gets its third back
        low = min(order)
        order += [low + (pc - low) % 12 for pc in _core(segment.chord) if pc not in {p % 12 for p in order}]
    return order


def _core(chord: Chord) -> list[int]:
    """The pitch classes an arpeggio of the chord cannot leave out: its root and its third (or suspension)."""
    assert chord.root is not None
    third = next((i for i in chord.intervals if i in (3, 4)), next((i for i in chord.intervals if i in (2, 5)), None))
    return [chord.root] + ([(chord.root + third) % 12] if third is not None else [])


def place(cell: Sequence[int], octaves: int, placement: Placement, closed: bool) -> tuple[list[int], list[int]]:
    """``cell`` over ``octaves`` octaves (closed on its first note above the top where ``closed``), moved by
    octaves into the register, centred near the anchor.

    A voicing wider than the octaves asked for is folded into them; one that fills more than an octave itself
    is stacked that many times fewer. Returns the notes as voiced (the cell's order, octave by octave) and in
    ascending order, both without notes above the ceiling.
    """
    low = min(cell)
    folded: list[int] = []
    for pitch in cell:
        if (pitch - low) % (12 * octaves) not in folded:
            folded.append((pitch - low) % (12 * octaves))
    repeats = octaves - max(1, math.ceil(max(folded) / 12)) + 1
    voiced = [p + 12 * k for k in range(repeats) for p in folded] + ([folded[0] + 12 * octaves] if closed else [])
    span = max(voiced)
    ceiling = min(HIGHEST, max(placement.ceiling, LOWEST + span))  # a melody's ceiling gives way to the stack
    target = min(placement.anchor - span / 2, ceiling - span)
    bottoms = [b for b in range(LOWEST, HIGHEST + 1) if b % 12 == low % 12]
    fitting = [b for b in bottoms if b + span <= ceiling] or bottoms[:1]
    bottom = min(fitting, key=lambda b: (abs(b - target), b))
    voiced = [bottom + p for p in voiced if bottom + p <= ceiling]
    deduped = [p for i, p in enumerate(voiced) if i == 0 or p != voiced[i - 1]]
    return deduped, sorted(set(voiced))


def ordered(pattern: str, voiced: list[int], ascending: list[int]) -> list[int]:
    """One cycle of the pattern ("random" is drawn step by step, so its cycle is the ascending notes)."""
    if pattern == "as-voiced":
        return voiced
    if pattern == "down":
        return ascending[::-1]
    if pattern == "up-down":
        return ascending + ascending[-2:0:-1]
    if pattern == "down-up":
        return ascending[::-1] + ascending[1:-1]
    return ascending


def figure(cell: Sequence[int], settings: ArpSettings, placement: Placement, meter: tuple[int, int]) -> list[int]:
    """One cycle of the pattern over ``cell``: closed on the octave above (C E G C) or not (C E G), whichever
    cycle falls in with the bar and the beat (four steps in 4/4 eighths or sixteenths, three in 6/8 and triplets,
    C E G C G E in 3/4 eighths)."""
    step = settings.step_beats
    bar_steps = round(beats_per_bar(meter) / step)
    beat = (1.5 if tuple(meter) in COMPOUND_METERS else 1.0) / step
    beat_steps = round(beat) if abs(beat - round(beat)) < _EPS else 0

    def fit(cycle: list[int]) -> tuple[bool, bool]:
        length = len(cycle)
        return bar_steps % length == 0, bool(beat_steps) and (length % beat_steps == 0 or beat_steps % length == 0)

    cycles = [ordered(settings.pattern, *place(cell, settings.octaves, placement, closed)) for closed in (False, True)]
    return cycles[1] if fit(cycles[1]) > fit(cycles[0]) else cycles[0]


def _accent(offset: float, meter: tuple[int, int]) -> int:
    """A mild accent: the downbeat most, the other beats less, eighths level, the steps between a little softer."""
    beat = 1.5 if tuple(meter) in COMPOUND_METERS else 1.0
    if abs(offset) < _EPS:
        return 8
    if abs(offset / beat - round(offset / beat)) < _EPS:
        return 4
    if abs(offset * 2 - round(offset * 2)) < _EPS:
        return 0
    return -4


def write_arp(chords: Sequence[ChordSpan], keys: Sequence[Note], bars: Iterable[int], meter: tuple[int, int],
              settings: ArpSettings, placement: Placement, seed: int, end_beats: float) -> list[Note]:
    """The arp in ``bars`` (0-based): every step of every bar sounds, except under a chord written as a rest
    ("N", "N.C." or "-"); over the keys' voicing where the keys play, else over the chord symbol."""
    beats = beats_per_bar(meter)
    step = settings.step_beats
    count = max(1, round(beats / step))
    rng = random.Random(f"arp-notes:{seed}")
    notes: list[Note] = []
    previous: Chord | None = None
    for bar in bars:
        bar_start = bar * beats
        for segment in bar_segments(chords, bar, meter):
            chord = segment.chord if segment.chord is not None else previous
            if chord is not None and chord.is_rest:
                previous = chord
                continue
            heard = Segment(segment.start, segment.end, chord)
            cell = keys_cell(keys, heard) or (chord_cell(chord) if chord is not None else None)
            previous = chord
            if cell is None:
                continue
            cycle = figure(cell, settings, placement, meter)
            ascending = sorted(set(cycle))
            steps = [bar_start + k * step for k in range(count)]
            steps = [t for t in steps if segment.start - _EPS <= t < segment.end - _EPS and t < end_beats - _EPS]
            last = None
            for index, start in enumerate(steps):
                if settings.pattern == "random":
                    choices = [p for p in ascending if p != last] or ascending
                    pitch = rng.choice(choices)
                else:
                    pitch = cycle[index % len(cycle)]
                last = pitch
                length = min(step * settings.gate, segment.end - start, end_beats - start)
                velocity = round(placement.velocity) + _accent(start - bar_start, meter)
                notes.append(Note(pitch, start, length, max(1, min(127, velocity))))
    return notes
