"""How the VAE is judged: onset F1 of a reconstruction, the distance between two clips, chord tones, onset Jaccard."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.music.chords import chord_at
from models.types import ChordSpan, Note


def onset_scores(predicted: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    """``(precision, recall, F1)`` of predicted onsets (boolean ``(..., 32, 88)``) against the true ones."""
    hits = float(np.logical_and(predicted, truth).sum())
    guessed, real = float(predicted.sum()), float(truth.sum())
    precision = hits / guessed if guessed else 0.0
    recall = hits / real if real else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _cells(notes: Sequence[Note], sustain: bool) -> set[tuple[int, int]]:
    """The (sixteenth, pitch) cells where notes start (and, with ``sustain``, where they still sound)."""
    cells = set()
    for note in notes:
        first = int(round(note.start_beats * 4))
        last = max(first + 1, int(round(note.end_beats * 4))) if sustain else first + 1
        cells.update((step, note.pitch) for step in range(first, last))
    return cells


def roll_distance(a: Sequence[Note], b: Sequence[Note]) -> float:
    """Jaccard distance (0 same, 1 nothing shared) between the piano rolls (sounding sixteenth-pitch cells) of two
    clips: the distance interpolation smoothness is measured in."""
    x, y = _cells(a, True), _cells(b, True)
    union = x | y
    return 1.0 - len(x & y) / len(union) if union else 0.0


def onset_jaccard(a: Sequence[Note], b: Sequence[Note]) -> float:
    """Jaccard similarity of the two clips' onset times (sixteenths, pitch ignored): 1 is the same rhythm."""
    x = {int(round(n.start_beats * 4)) for n in a}
    y = {int(round(n.start_beats * 4)) for n in b}
    return len(x & y) / len(x | y) if x | y else 1.0


def chord_tone_ratio(notes: Sequence[Note], chords: Sequence[ChordSpan]) -> float:
    """Share of notes (weighted by duration) whose pitch class belongs to the chord sounding at their onset."""
    inside = total = 0.0
    for note in notes:
        chord = chord_at(chords, note.start_beats + 1e-3)
        if chord is None or chord.is_rest:
            continue
        total += note.duration_beats
        inside += note.duration_beats * (note.pitch % 12 in chord.pitch_classes)
    return inside / total if total else 1.0


def smoothness(steps: Sequence[Sequence[Note]]) -> tuple[float, float]:
    """``(mean distance between consecutive steps, distance between the ends)``: a smooth morph has the first
    near ``ends / (len - 1)``; a jump-cut has it near ``ends``."""
    consecutive = [roll_distance(a, b) for a, b in zip(steps, steps[1:])]
    return float(np.mean(consecutive)), roll_distance(steps[0], steps[-1])


def changed_cells(a: Sequence[Note], b: Sequence[Note]) -> int:
    """Sounding (sixteenth, pitch) cells in one clip's piano roll and not the other's: an additive distance (a path
    that only adds and removes cells on its way sums to the ends' count), which does not saturate as Jaccard's does."""
    return len(_cells(a, True) ^ _cells(b, True))


def additive_smoothness(steps: Sequence[Sequence[Note]]) -> float:
    """Mean cells changed between consecutive steps over the cells changed between the ends: ``1 / (len - 1)`` for
    a morph that changes each cell once, in even shares; more where steps add notes that later go again."""
    ends = changed_cells(steps[0], steps[-1])
    return float(np.mean([changed_cells(a, b) for a, b in zip(steps, steps[1:])])) / ends if ends else 0.0
