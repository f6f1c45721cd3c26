"""Musical metrics of notes: chord-tone ratio, pitch-class overlap, parallel fifths and octaves."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from models.music.chords import chord_at
from models.types import ChordSpan, Note


def chord_tone_ratio(notes: Iterable[Note], chords: Sequence[ChordSpan]) -> float:
    """Share of note time (duration-weighted) whose pitch class belongs to the chord at its onset.

    Notes starting outside every span or over a no-chord ('N') span are left out. Returns NaN when
    no note qualifies. POP909's own piano parts score about 0.97, uniformly random pitches 0.26.
    """
    inside = total = 0.0
    for note in notes:
        chord = chord_at(chords, note.start_beats)
        if chord is None or chord.is_rest:
            continue
        total += note.duration_beats
        if note.pitch % 12 in chord.pitch_classes:
            inside += note.duration_beats
    return inside / total if total else float("nan")


def pc_overlap(a: Sequence[Note], b: Sequence[Note]) -> float:
    """Overlap (sum of minima) of two duration-weighted pitch-class histograms, 1.0 = identical."""
    ha, hb = np.zeros(12), np.zeros(12)
    for note in a:
        ha[note.pitch % 12] += note.duration_beats
    for note in b:
        hb[note.pitch % 12] += note.duration_beats
    if ha.sum() == 0 or hb.sum() == 0:
        return math.nan
    return float(np.minimum(ha / ha.sum(), hb / hb.sum()).sum())


def parallels(voices: Sequence[Sequence[Note]]) -> tuple[int, int]:
    """(parallel fifths and octaves, voice-leading steps) between every pair of voices.

    A step is a pair of consecutive onset times of the texture at which both voices sound and at
    least one moves; it is parallel when both move the same way and the interval stays a perfect
    fifth or an octave/unison (modulo 12).
    """
    times = sorted({n.start_beats for v in voices for n in v})

    def sounding(voice: Sequence[Note], t: float) -> int | None:
        for note in voice:
            if note.start_beats <= t + 1e-6 < note.end_beats:
                return note.pitch
        return None

    grid = [[sounding(v, t) for t in times] for v in voices]
    found = steps = 0
    for i in range(len(voices)):
        for j in range(i + 1, len(voices)):
            for k in range(1, len(times)):
                a0, a1, b0, b1 = grid[i][k - 1], grid[i][k], grid[j][k - 1], grid[j][k]
                if None in (a0, a1, b0, b1) or (a0 == a1 and b0 == b1):
                    continue
                steps += 1
                same_way = (a1 - a0) * (b1 - b0) > 0
                if same_way and (a0 - b0) % 12 == (a1 - b1) % 12 and (a0 - b0) % 12 in (0, 7):
                    found += 1
    return found, steps
