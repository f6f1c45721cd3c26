"""Yang & Lerch's features and set comparison on hand-built excerpts: known feature values, same sets overlap, others don't."""

from __future__ import annotations

import numpy as np
import pytest

from models.evaluate.features import compare_distributions, feature_overlaps, note_features
from models.types import Note


def test_a_bar_of_c_e_g_quarters_has_known_features():
    notes = [Note(p, float(b), 1.0) for b in range(4) for p in (60, 64, 67)] + [Note(72, 4.0, 2.0)]
    features = note_features(notes, bars=2)
    assert list(features["pitch_count_per_bar"]) == [3, 1]
    assert list(features["note_count_per_bar"]) == [12, 1]
    assert features["pitch_class_histogram"][[0, 4, 7]] == pytest.approx([5 / 13, 4 / 13, 4 / 13])
    assert features["inter_onset_interval"][0] == 1.0 and features["pitch_range"][0] == 12
    assert features["note_length_histogram"][2] == pytest.approx(12 / 13)  # quarters
    assert features["note_length_histogram"][1] == pytest.approx(1 / 13)  # a half note


def test_identical_distributions_overlap_fully_and_distant_ones_hardly():
    rng = np.random.default_rng(0)
    same = compare_distributions(rng.normal(0, 1, 400), rng.normal(0, 1, 400))
    apart = compare_distributions(rng.normal(0, 1, 400), rng.normal(4, 1, 400))
    assert same[0] > 0.9 and same[1] < 0.05
    assert apart[0] < 0.1 and apart[1] > 3


def test_sets_like_the_reference_overlap_more_than_sets_unlike_it():
    rng = np.random.default_rng(1)

    def excerpt(busy: bool) -> list[Note]:
        step = 0.25 if busy else 2.0
        return [Note(int(rng.integers(48, 72)), t, step) for t in np.arange(0, 8.0, step)]

    reference = [excerpt(False) for _ in range(12)]
    alike = feature_overlaps([excerpt(False) for _ in range(12)], reference, bars=2)
    unlike = feature_overlaps([excerpt(True) for _ in range(12)], reference, bars=2)
    assert np.mean([v[0] for v in alike.values()]) > np.mean([v[0] for v in unlike.values()]) + 0.3
    assert unlike["note_count_per_bar"][0] < 0.05
