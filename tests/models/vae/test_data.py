"""The VAE's training segments: POP909's training songs only, 2 bars of piano with their chords."""

from __future__ import annotations

import numpy as np
import pytest

from models.data.pieces import is_test_song
from models.vae.data import DEFAULT_POP909, MIN_NOTES, extract
from models.vae.roll import CHORD_FEATURES, SEGMENT_BEATS, STEPS

pytestmark = pytest.mark.skipif(not DEFAULT_POP909.is_dir(), reason="POP909 is not in ../shared/datasets")


def test_segments_come_from_training_songs_with_notes_and_chords() -> None:
    segments = extract(DEFAULT_POP909, limit=3)
    assert len(segments) > 50
    assert not any(is_test_song(name) for name in set(segments.songs))
    assert segments.chords.shape[1:] == (SEGMENT_BEATS, CHORD_FEATURES)
    rolls, durations, chords = segments.batch(np.arange(4), np.array([0, 1, -1, 5]))
    assert rolls.shape == (4, 2, STEPS, 88) and durations.shape == (4, STEPS, 88)
    assert all(r[0].sum() >= MIN_NOTES - 1 for r in rolls)  # a note transposed off the keyboard may drop
    assert all(c[:, 12:24].sum() > 0 for c in chords)  # every segment has a chord root somewhere


def test_held_out_segments_are_the_test_songs() -> None:
    segments = extract(DEFAULT_POP909, test=True, limit=2)
    assert all(is_test_song(name) for name in set(segments.songs))
