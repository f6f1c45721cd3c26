"""Timing feel: swing (the second eighth or sixteenth of each pair comes late) and humanized onsets.

Both are pure functions of the notes; randomness comes from the ``numpy`` generator the caller seeds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from models.types import Note

SWING_STEPS = {"eighths": 0.5, "sixteenths": 0.25}  # beats per step of a swung pair
MIN_BEATS = 1 / 64  # the shortest note timing changes leave
EPSILON = 1e-6


def swing_time(beats: float, step: float, amount: float) -> float:
    """A time moved by swing: each pair of ``step``-beat steps keeps its start and end, and the point between
    them moves ``amount`` (0-0.75) of a step late; times inside the pair stretch or shrink with it (a linear
    warp), so onsets stay in order and legato notes stay legato."""
    period = 2 * step
    base = math.floor(beats / period + EPSILON) * period
    phase = beats - base
    late = amount * step
    if phase <= step:
        return base + phase * (step + late) / step
    return base + step + late + (phase - step) * (step - late) / step


def swing_notes(notes: Sequence[Note], step: float, amount: float) -> list[Note]:
    """``notes`` with their onsets and ends moved by ``swing_time``."""
    out = []
    for note in notes:
        start = round(swing_time(note.start_beats, step, amount), 6)
        end = round(swing_time(note.end_beats, step, amount), 6)
        out.append(Note(note.pitch, start, max(end - start, MIN_BEATS), note.velocity))
    return out


def is_monophonic(notes: Sequence[Note]) -> bool:
    """No two notes sound at once (a line: bass, melody, a counter-melody)."""
    ordered = sorted(notes, key=lambda n: n.start_beats)
    return all(b.start_beats >= a.end_beats - EPSILON for a, b in zip(ordered, ordered[1:]))


def humanize_notes(notes: Sequence[Note], limit_beats: float, total_beats: float,
                   rng: np.random.Generator) -> list[Note]:
    """Onsets moved off the grid by at most ``limit_beats`` each way, durations kept.

    The notes of a chord move together (with a little spread of their own), as a player's hand does. No onset
    moves before beat 0 or to ``total_beats`` or later; in a line (``is_monophonic``) no note crosses its
    neighbour's onset and each ends by the next one's start.
    """
    if limit_beats <= 0 or not notes:
        return list(notes)
    ordered = sorted(notes, key=lambda n: (n.start_beats, n.pitch))
    onsets = sorted({n.start_beats for n in ordered})
    shared = dict(zip(onsets, rng.normal(0.0, limit_beats / 2, len(onsets)).tolist()))
    own = rng.normal(0.0, limit_beats / 8, len(ordered)).tolist()
    line = is_monophonic(ordered)
    starts = []
    for index, note in enumerate(ordered):
        offset = min(max(shared[note.start_beats] + own[index], -limit_beats), limit_beats)
        if line:  # stay inside the gaps to the neighbours, so the line keeps its order
            before = note.start_beats - ordered[index - 1].start_beats if index else math.inf
            after = ordered[index + 1].start_beats - note.start_beats if index + 1 < len(ordered) else math.inf
            offset = min(max(offset, -0.45 * before), 0.45 * after)
        start = min(max(0.0, note.start_beats + offset), max(0.0, total_beats - MIN_BEATS))
        starts.append(round(start, 6))
    out = []
    for index, (note, start) in enumerate(zip(ordered, starts)):
        end = start + note.duration_beats
        if line and index + 1 < len(ordered) and note.end_beats <= ordered[index + 1].start_beats + EPSILON:
            end = min(end, starts[index + 1])
        end = min(end, total_beats)
        out.append(Note(note.pitch, start, max(end - start, MIN_BEATS), note.velocity))
    return out
