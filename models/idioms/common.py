"""What every idiom reads from a result: its chord spans with the next chord, pitches near an anchor, the model's
voicings, a seeded random source."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from models.music.chords import Chord, parse_chord
from models.types import Note, Result

BASS_RANGE = (28, 55)  # E1 to G3: where every bass idiom keeps its line
MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)


@dataclass(frozen=True)
class Span:
    """One chord sounding from ``start`` to ``end`` (beats), with the chord after it (None at the end)."""

    start: float
    end: float
    chord: Chord
    following: Chord | None

    @property
    def length(self) -> float:
        return self.end - self.start

    @property
    def tones(self) -> tuple[int, ...]:
        """Pitch classes of the chord, root first, then third, fifth and the rest as the symbol stacks them."""
        return tuple(dict.fromkeys((self.chord.root + i) % 12 for i in self.chord.intervals))

    @property
    def fifth(self) -> int:
        """The chord's fifth (its diminished or augmented one), else the perfect fifth above the root."""
        for interval in (7, 6, 8):
            if interval in self.chord.intervals:
                return (self.chord.root + interval) % 12
        return (self.chord.root + 7) % 12

    @property
    def third(self) -> int:
        for interval in (4, 3, 5, 2):  # sus chords: their fourth or second stands in
            if interval in self.chord.intervals:
                return (self.chord.root + interval) % 12
        return (self.chord.root + 4) % 12

    @property
    def seventh(self) -> int | None:
        for interval in (10, 11, 9):  # a sixth chord's sixth does a seventh's job in a shell
            if interval in self.chord.intervals:
                return (self.chord.root + interval) % 12
        return None

    def scale(self) -> tuple[int, ...]:
        """A scale for passing tones: minor for chords with a minor third, else major (with a flat seventh for
        dominant chords), from the root."""
        steps = MINOR if 3 in self.chord.intervals else MAJOR
        if 10 in self.chord.intervals and 4 in self.chord.intervals:
            steps = (0, 2, 4, 5, 7, 9, 10)
        return tuple((self.chord.root + s) % 12 for s in steps)


def chord_spans(result: Result) -> list[Span]:
    """The result's chords with a root, in time order, each with the chord after it (a rest ends a run)."""
    parsed = [(c.start_beats, c.start_beats + c.duration_beats, parse_chord(c.symbol))
              for c in sorted(result.chords, key=lambda c: c.start_beats)]
    out = []
    for index, (start, end, chord) in enumerate(parsed):
        if chord.is_rest:
            continue
        following = parsed[index + 1][2] if index + 1 < len(parsed) else None
        out.append(Span(start, end, chord, None if following is None or following.is_rest else following))
    return out


def near(pitch_class: int, anchor: float, low: int = 0, high: int = 127) -> int:
    """The pitch of ``pitch_class`` nearest ``anchor`` within ``[low, high]`` (below on a tie)."""
    base = int(anchor) - 6
    pitch = base + (pitch_class - base) % 12
    while pitch > high:
        pitch -= 12
    while pitch < low:
        pitch += 12
    return pitch


def step_towards(pitch: int, target: int, scale: Sequence[int]) -> int:
    """The next note of ``scale`` from ``pitch`` towards ``target`` (``pitch`` itself when they meet)."""
    if pitch == target:
        return pitch
    direction = 1 if target > pitch else -1
    candidate = pitch + direction
    while candidate % 12 not in scale and candidate != target:
        candidate += direction
    return candidate


def approach(target: int, rng: random.Random, scale: Sequence[int]) -> int:
    """A note leading into ``target``: a half step below or above, or the scale step below or above."""
    kind = rng.random()
    if kind < 0.45:
        return target - 1 if rng.random() < 0.6 else target + 1
    below = step_towards(target, target - 3, scale)
    above = step_towards(target, target + 3, scale)
    return below if kind < 0.8 else above


def mean_pitch(notes: Sequence[Note], default: float) -> float:
    return sum(n.pitch for n in notes) / len(notes) if notes else default


def sounding(notes: Sequence[Note], start: float, end: float) -> list[Note]:
    """Notes sounding at some time in ``[start, end)``."""
    return [n for n in notes if n.start_beats < end - 1e-6 and n.end_beats > start + 1e-6]


def voicing(keys: Sequence[Note], span: Span, anchor: float, size: int = 4) -> list[int]:
    """The model's voicing of ``span``'s chord: its keys pitches there that are chord tones (lowest first), else a
    close voicing of the chord from near ``anchor``."""
    tones = set(span.tones)
    mine = sorted({n.pitch for n in sounding(keys, span.start, span.end) if n.pitch % 12 in tones})
    if len(mine) >= 3 and len({p % 12 for p in mine}) >= min(3, len(tones)):
        return mine[-size:] if len(mine) > size else mine
    bottom = near(span.chord.root if span.chord.bass is None else span.chord.bass, anchor - 5)
    pitches = [bottom]
    for pc in (span.third, span.fifth, span.seventh):
        if pc is not None and len(pitches) < size:
            pitches.append(bottom + (pc - bottom) % 12 or 12)
    return sorted(pitches)


def seeded(result: Result, salt: str) -> random.Random:
    """A random source fixed by the result's seed (``info["seed"]``) and ``salt``: same seed, same notes."""
    return random.Random(f"{result.info.get('seed', '0')}:{result.info.get('variation', '0')}:{salt}")


def note(pitch: int, start: float, duration: float, velocity: int) -> Note:
    """A note with its velocity kept in MIDI's 1-127 and its length at least a 64th."""
    return Note(int(pitch), max(0.0, start), max(duration, 1 / 16), max(1, min(127, int(velocity))))


def bar_pieces(spans: Sequence[Span], beats: float) -> list[Span]:
    """``spans`` cut at every bar line of ``beats`` beats; a piece's ``following`` is the chord after it (the same
    chord when the span goes on into the next bar)."""
    out = []
    for span in spans:
        start = span.start
        while start < span.end - 1e-6:
            bar_end = (int(start / beats + 1e-6) + 1) * beats
            end = min(span.end, bar_end)
            out.append(Span(start, end, span.chord, span.chord if end < span.end - 1e-6 else span.following))
            start = end
    return out


def in_bar(start: float, beats: float) -> float:
    """Beats from the last bar line to ``start``."""
    return start - int(start / beats + 1e-6) * beats
