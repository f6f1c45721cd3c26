"""The POP909 reader's bar lines: runs of annotated bars a beat off the music are left out (issue 15)."""

from __future__ import annotations

import pytest

from models.data.pop909 import aligned_bars
from models.types import Note


def _bass(beats):
    return [Note(40, float(b), 1.0, 80) for b in beats]


@pytest.mark.parametrize("beat, kept", [(0, True), (2, True), (1, False), (3, False)])
def test_a_run_of_bars_is_kept_only_when_its_bass_is_on_the_bar_line(beat, kept):
    starts = [0, 4, 8, 12]
    assert aligned_bars(starts, _bass(s + beat for s in starts)) == (starts if kept else [])


def test_each_run_between_irregular_bars_is_judged_on_its_own():
    aligned, late = [0, 4, 8], [15, 19, 23]  # a 3-beat bar at 12 moved the annotation a beat early
    bass = _bass([0, 4, 8, 12, 16, 20, 24])  # the music keeps its 4-beat bars
    assert aligned_bars(aligned + late, bass) == aligned


def test_one_stray_note_on_beat_2_is_no_evidence():
    assert aligned_bars([0, 4], _bass([1])) == [0, 4]
