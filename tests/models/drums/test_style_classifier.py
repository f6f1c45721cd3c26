"""The bench's drum-style classifier: its features name what a drummer hears, and it tells grooves apart by them."""

from __future__ import annotations

import numpy as np
import pytest

from models.drums.style_classifier import GROUP_NAMES, SIXTEENTHS, StyleClassifier, features, windows
from models.drums.vocab import DrumHit

KICK, SNARE, HAT, RIDE, PEDAL = 36, 38, 42, 51, 44
PROFILE = len(GROUP_NAMES) * SIXTEENTHS
SWING = slice(-7, -3)  # how late each sixteenth of the beat falls, in sixteenths


def _rock(bars: int, rng: np.random.Generator) -> list[DrumHit]:
    """Straight eighths on the hat, kick on 1 and 3, snare on 2 and 4, accented downbeats."""
    hits = []
    for bar in range(bars):
        for eighth in range(8):
            beat = bar * 4 + eighth / 2
            hits.append(DrumHit(beat + rng.normal(0, 0.005), HAT, 100 if eighth % 2 == 0 else 70))
        for beat, note in ((0, KICK), (1, SNARE), (2, KICK), (3, SNARE)):
            hits.append(DrumHit(bar * 4 + beat + rng.normal(0, 0.005), note, 110))
    return hits


def _jazz(bars: int, rng: np.random.Generator) -> list[DrumHit]:
    """Spang-a-lang on the ride (the skip note on the swung eighth), pedal hat on 2 and 4."""
    hits = []
    for bar in range(bars):
        for beat in range(4):
            hits.append(DrumHit(bar * 4 + beat + rng.normal(0, 0.005), RIDE, 90))
            if beat % 2:
                hits.append(DrumHit(bar * 4 + beat + 2 / 3 + rng.normal(0, 0.005), RIDE, 60))
                hits.append(DrumHit(bar * 4 + beat + rng.normal(0, 0.005), PEDAL, 70))
    return hits


def test_the_onset_profile_puts_each_drum_on_its_sixteenths():
    x = features(_rock(8, np.random.default_rng(0)), 8)
    profile = x[:PROFILE].reshape(len(GROUP_NAMES), SIXTEENTHS)
    kick, snare, hat = (GROUP_NAMES.index(n) for n in ("kick", "snare", "closed hi-hat"))
    assert profile[kick].tolist() == [1.0 if s in (0, 8) else 0.0 for s in range(SIXTEENTHS)]
    assert profile[snare].tolist() == [1.0 if s in (4, 12) else 0.0 for s in range(SIXTEENTHS)]
    assert profile[hat].tolist() == [1.0 if s % 2 == 0 else 0.0 for s in range(SIXTEENTHS)]


def test_swung_off_beats_read_late_and_straight_ones_on_time():
    rng = np.random.default_rng(1)
    straight, swung = features(_rock(8, rng), 8)[SWING], features(_jazz(8, rng), 8)[SWING]
    assert abs(straight[2]) < 0.1
    assert swung[3] < -0.2  # a triplet off-beat sits a third of a sixteenth before the last sixteenth


def test_a_stroke_just_ahead_of_the_window_belongs_to_it():
    hits = [DrumHit(31.99, KICK, 100), DrumHit(33.0, SNARE, 100)]
    first, second = windows(hits, 16)
    assert first == []
    assert [h.note for h in second] == [KICK, SNARE] and second[0].onset_beats == pytest.approx(-0.01)


def test_the_classifier_tells_rock_from_jazz_on_grooves_it_did_not_see():
    rng = np.random.default_rng(2)
    rows = [(features(make(8, rng), 8), label) for label, make in ((0, _rock), (1, _jazz)) for _ in range(10)]
    classifier = StyleClassifier(np.stack([x for x, _ in rows]), np.array([y for _, y in rows]), ["rock", "jazz"])
    unseen = np.stack([features(_rock(8, rng), 8), features(_jazz(8, rng), 8)])
    assert classifier.predict(unseen) == ["rock", "jazz"]
