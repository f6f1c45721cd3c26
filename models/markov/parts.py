"""Writes one part bar by bar from the Markov tables: learned rhythms, chord-aware pitches, voicings."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from models.markov.contexts import pattern_key
from models.markov.table import MarkovTable, sample_weights
from models.music.chords import Chord, parse_chord
from models.music.notes import MIN_DURATION
from models.sampling import Sampling
from models.types import ChordSpan, Note

log = logging.getLogger(__name__)

# How much a pitch outside the sounding chord is weighted against a chord tone. The melody keeps
# the passing tones it learned; accompaniment parts are held to chord tones so that they can be
# laid under any progression (the chord-tone ratio they must reach is 0.9).
NON_CHORD_WEIGHT = {"melody": 1.0, "counter": 0.35, "bass": 0.01, "keys": 0.0, "arp": 0.0, "pad": 0.0}
STYLE_VELOCITY = {"pop": 0, "ballad": -10, "upbeat": 8}
# Parts that play in every bar the chords do not rest in, and how many pattern draws that may take
# before the bar gets one note on its downbeat (issue 15: a part that stops is heard as a fault).
EVERY_BAR = ("bass", "keys", "pad", "arp")
DRAWS = 8
# Where a tick of a learnt 4/4 beat lands in a dotted beat of 6/8 or 12/8 (18 ticks): straight eighths
# swung to the third eighth, sixteenths to the second (as models/transformer/meters.py ``SWUNG``).
SWUNG = (0, 2, 4, 6, 6, 9, 12, 12, 12, 15, 16, 17)


@dataclass
class LineState:
    """What a part remembers from one event to the next."""

    history: list[int] = field(default_factory=list)
    previous_pitch: int | None = None
    previous_pattern: int | None = None
    previous_voicing: tuple[int, ...] = ()


class ChordTrack:
    """Parsed chord spans with fast lookup by beat."""

    def __init__(self, spans: Sequence[ChordSpan]) -> None:
        self.spans = list(spans)
        self.starts = np.array([s.start_beats for s in spans])
        self.chords = [parse_chord(s.symbol) for s in spans]

    def index_at(self, beat: float) -> int | None:
        index = int(np.searchsorted(self.starts, beat + 1e-6, side="right")) - 1
        if index < 0 or beat >= self.spans[index].start_beats + self.spans[index].duration_beats - 1e-6:
            return None
        return index

    def at(self, beat: float) -> Chord | None:
        index = self.index_at(beat)
        return None if index is None else self.chords[index]

    def next_change(self, beat: float) -> float:
        index = self.index_at(beat)
        if index is None:
            return math.inf
        span = self.spans[index]
        return span.start_beats + span.duration_beats


def pitch_weights(table: MarkovTable, part: str, chord: Chord, history: list[int], previous_pitch: int | None,
                  candidates: np.ndarray, first_in_chord: bool) -> np.ndarray:
    """Unnormalised probabilities of ``candidates`` as the next note of a monophonic ``part``: the
    chain given the chord and the last two pitch classes, times register, melodic motion, the part's
    weight on non-chord tones and, for the bass, a pull to the chord's bass note when the chord changes.
    The sampler draws from them; ``models.evaluate`` scores held-out notes with them."""
    chain_part = "keys" if part == "pad" else part
    weights = table.pitch_class_weights(chain_part, chord, history)[(candidates - chord.root) % 12]
    weights = weights * (table.register[chain_part][candidates] + 1e-4) ** 0.5
    if previous_pitch is not None:
        weights = weights * table.motion[chain_part][np.clip(candidates - previous_pitch, -24, 24) + 24]
    in_chord = np.isin(candidates % 12, list(chord.pitch_classes))
    if NON_CHORD_WEIGHT[part] < 1.0 and in_chord.any():
        weights = np.where(in_chord, weights, weights * NON_CHORD_WEIGHT[part])
    if part == "bass" and first_in_chord:
        target = chord.bass if chord.bass is not None else chord.root
        weights = np.where(candidates % 12 == target, weights * 6.0, weights)
    return weights


class PartWriter:
    """Generates one part against a chord track; holds that part's Markov state."""

    def __init__(self, table: MarkovTable, part: str, style: str, sampling: Sampling, rng: np.random.Generator,
                 chords: ChordTrack, beats_per_bar: float, total_beats: float,
                 ceilings: dict[int, int] | None = None, compound: bool = False) -> None:
        self.table, self.part, self.style, self.sampling, self.rng = table, part, style, sampling, rng
        self.compound = compound  # 6/8 or 12/8: dotted beats, each a learnt 4/4 beat swung (``SWUNG``)
        self.chords, self.beats_per_bar, self.total_beats = chords, beats_per_bar, total_beats
        self.ceilings = ceilings or {}
        self.state = LineState()
        self.tpb = table.ticks_per_beat

    # ------------------------------------------------------------ rhythm

    def rhythm(self, bar: int) -> list[tuple[float, float, int]]:
        """Onsets (beats), durations (beats) and group sizes for one bar, from the pattern chain.

        Patterns are learned in 4/4; shorter bars keep the pattern's first beats, longer bars continue
        with the next pattern of the chain. A compound bar takes as many learnt beats as it has dotted
        beats (6/8 two, 12/8 four) and swings each onto three eighths. A part in ``EVERY_BAR`` draws
        again when a bar whose chords sound came out empty, and after ``DRAWS`` draws plays its downbeat.
        """
        bar_start = bar * self.beats_per_bar
        if self.part == "pad":
            return self._pad_rhythm(bar_start)
        events = self._draw(bar_start)
        if self.part in EVERY_BAR and self._sounding(bar_start):
            for _ in range(DRAWS - 1):
                if events:
                    break
                events = self._draw(bar_start)
            if not events:
                end = min(self.chords.next_change(bar_start), bar_start + self.beats_per_bar)
                events = [(bar_start, end - bar_start, 1 if self.part in ("bass", "arp") else 3)]
        return events

    def _draw(self, bar_start: float) -> list[tuple[float, float, int]]:
        """One bar of events from the pattern chain (``rhythm``)."""
        beats = self.beats_per_bar / 1.5 if self.compound else self.beats_per_bar
        bar_ticks = round(beats * self.tpb)
        ticks = []
        for offset in range(0, bar_ticks, self.table.pattern_ticks[self.part]):
            index = self.table.next_pattern(self.part, self.style, self.state.previous_pattern, self.rng, self.sampling)
            self.state.previous_pattern = index
            ticks += [(offset + t, d, k) for t, d, k in self.table.patterns[self.part][index] if offset + t < bar_ticks]
        if self.compound:
            ticks = [(self._swung(t), max(self._swung(t + d) - self._swung(t), 1), k) for t, d, k in ticks]
        return [(bar_start + t / self.tpb, d / self.tpb, k) for t, d, k in ticks]

    def _swung(self, tick: int) -> int:
        beat, sub = divmod(tick, self.tpb)
        return beat * self.tpb * 3 // 2 + SWUNG[sub * 12 // self.tpb]

    def _sounding(self, bar_start: float) -> bool:
        """Whether a chord sounds somewhere in the bar from ``bar_start`` (not only rests, N)."""
        beat, bar_end = bar_start, bar_start + self.beats_per_bar
        while beat < bar_end - 1e-6:
            chord = self.chords.at(beat)
            if chord is not None and not chord.is_rest:
                return True
            beat = self.chords.next_change(beat)
        return False

    def _pad_rhythm(self, bar_start: float) -> list[tuple[float, float, int]]:
        events, beat, bar_end = [], bar_start, bar_start + self.beats_per_bar
        while beat < bar_end - 1e-6:
            end = min(self.chords.next_change(beat), bar_end)
            if end == math.inf:
                break
            events.append((beat, end - beat, 4))
            beat = end
        return events

    def seed_pattern(self, notes: Sequence[Note], bar_start: float) -> None:
        """Continue the pattern chain from a given bar of existing notes (if that rhythm was learned)."""
        if self.part not in self.table.pattern_index:
            return  # pad rhythm follows the chords, it has no pattern chain
        unit = self.table.pattern_ticks[self.part]
        groups: dict[int, list[Note]] = {}
        for note in notes:
            tick = round((note.start_beats - bar_start) * self.tpb)
            if 0 <= tick < round(self.beats_per_bar * self.tpb):
                groups.setdefault(tick, []).append(note)
        last = max(groups, default=0) // unit * unit  # the last unit of the bar that holds notes
        key = pattern_key(self.part, [(t - last, g) for t, g in sorted(groups.items()) if t >= last])
        self.state.previous_pattern = self.table.pattern_index.get(self.part, {}).get(key)

    def seed_line(self, notes: Sequence[Note], chords: ChordTrack) -> None:
        """Continue the pitch chain from the last two notes of an existing line."""
        for note in sorted(notes, key=lambda n: (n.start_beats, n.pitch))[-2:]:
            chord = chords.at(note.start_beats)
            if chord is not None and not chord.is_rest:
                self.state.history = (self.state.history + [(note.pitch - chord.root) % 12])[-2:]
            self.state.previous_pitch = note.pitch

    # ------------------------------------------------------------ pitches

    def range_for(self, bar: int) -> tuple[int, int]:
        low, high = self.table.ranges[self.part]
        if bar in self.ceilings and self.part in ("keys", "pad", "arp", "counter"):
            high = max(min(high, self.ceilings[bar] - 1), low + 12)
        return low, high

    def pitches(self, beat: float, size: int, bar: int) -> list[int]:
        """Pitches of one onset group: a voicing for keys/pad groups, else one chain-drawn note."""
        chord = self.chords.at(beat)
        if chord is None or chord.is_rest:
            return []
        low, high = self.range_for(bar)
        if self.part in ("keys", "pad") and size >= 2:
            return list(self._voicing(chord, size, low, high))
        first = self.chords.index_at(beat - 1e-3) != self.chords.index_at(beat)
        return [self._single(chord, low, high, first)]

    def _single(self, chord: Chord, low: int, high: int, first_in_chord: bool) -> int:
        state = self.state
        candidates = np.arange(low, high + 1)
        weights = pitch_weights(self.table, self.part, chord, state.history, state.previous_pitch, candidates,
                                first_in_chord)
        pitch = int(candidates[sample_weights(weights + 1e-12, self.rng, self.sampling)])
        state.history = (state.history + [(pitch - chord.root) % 12])[-2:]
        state.previous_pitch = pitch
        return pitch

    def _voicing(self, chord: Chord, size: int, low: int, high: int) -> tuple[int, ...]:
        shapes, counts = self.table.shape_candidates(chord)
        longest = max(len(s) for s in shapes)
        previous = self.state.previous_voicing
        centre = (low + high) / 2
        options, weights = [], []
        for shape, count in zip(shapes, counts):
            if len(shape) < min(size, longest):
                continue
            notes = shape[-size:]
            first_ref = chord.root + 12 * math.floor((low - notes[0] - chord.root) / 12)
            for ref in range(first_ref, high + 1, 12):
                voicing = tuple(ref + n for n in notes)
                if voicing[0] < low or voicing[-1] > high:
                    continue
                if previous:
                    distance = sum(min(abs(p - q) for q in previous) for p in voicing) / len(voicing)
                else:
                    distance = abs(sum(voicing) / len(voicing) - centre) / 2
                options.append(voicing)
                weights.append(count * math.exp(-distance / 1.5))
        if not options:
            root = chord.root + 12 * math.ceil((low - chord.root) / 12)
            options, weights = [tuple(sorted(root + i for i in chord.intervals[:size]))], [1.0]
        voicing = options[sample_weights(np.array(weights), self.rng, self.sampling)]
        self.state.previous_voicing = voicing
        self.state.previous_pitch = voicing[-1]
        return voicing

    def velocity(self, beat: float) -> int:
        """A learned velocity for this metric position, shifted by style."""
        offset = beat % self.beats_per_bar
        beat_length = 1.5 if self.compound else 1.0  # a dotted beat in 6/8 and 12/8
        on_beat = abs(offset / beat_length - round(offset / beat_length)) < 1e-6
        position = "down" if offset < 1e-6 else ("beat" if on_beat else "off")
        velocity = self.table.sample_velocity(self.part, position, self.rng) + STYLE_VELOCITY[self.style]
        return int(np.clip(velocity - (12 if self.part == "pad" else 0), 1, 127))

    # ------------------------------------------------------------ notes

    def notes_for(self, events: Sequence[tuple[float, float, int]], bar: int, clip_to_chord: bool = True) -> list[Note]:
        """Turn rhythm events into notes; sustained accompaniment stops at the next chord change."""
        notes = []
        for start, duration, size in events:
            if start >= self.total_beats:
                continue
            if clip_to_chord and self.part != "melody":
                duration = min(duration, self.chords.next_change(start) - start)
            duration = min(duration, self.total_beats - start)
            if duration < MIN_DURATION:
                continue
            velocity = self.velocity(start)
            notes += [Note(p, start, duration, velocity) for p in self.pitches(start, size, bar)]
        return notes

    def write_bar(self, bar: int) -> list[Note]:
        """One freshly generated bar of this part."""
        return self.notes_for(self.rhythm(bar), bar)
