"""What the chord table learns from: slots laid on the music's own bar lines."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from models.harmony.melody_fit import FEATURES
from models.harmony.table import CLASSES
from models.harmony.train import _chord_states, _Counts, bar_runs, count_run
from models.types import ChordSpan, Note

SLOT_BEATS = (2.0, 4.0, 8.0)


def test_a_short_bar_starts_a_new_run():
    # bars at 0, 4, 8, then a two-beat bar (10 is missing), then bars at 14 and 18
    assert bar_runs([0, 4, 8, 14, 18]) == [(0, 12), (14, 22)]
    assert bar_runs([]) == []


def test_slots_after_a_two_beat_bar_stay_on_the_bar_lines():
    """After a two-beat bar a grid laid from the song's first bar line would cut every later bar in
    half; the chord each bar opens must be the bar's own."""
    chords = [ChordSpan("C", 0, 12), ChordSpan("G", 12, 2),  # the two-beat bar 12-14 on G
              ChordSpan("F", 14, 4), ChordSpan("G", 18, 4)]
    melody = [Note(60 + (k % 3) * 4, float(k), 1.0, 90) for k in range(22)]
    song = SimpleNamespace(key=(0, "major"), parts={"melody": melody})
    examples: tuple[list, list] = ([], [])
    stay = {slot: np.zeros((2, 2, 5)) for slot in SLOT_BEATS}
    for first, last in bar_runs([0, 4, 8, 14, 18]):
        count_run(song, _chord_states(chords, 0), first, last, _Counts(), stay, examples)
    rows, labels = examples
    assert all(len(row) == FEATURES for row in rows)
    c, f, g = (degree * len(CLASSES) for degree in (0, 5, 7))
    # per run: its half bars, then its bars; none of them straddles a bar line
    assert labels == [c] * 6 + [c] * 3 + [f, f, g, g] + [f, g]
