"""Transfer and variations through the shipped Markov model and the layers around it (registry.load_generator)."""

from __future__ import annotations

import statistics

import pytest

from models.music.chords import parse_progression
from models.music.metrics import chord_tone_ratio
from models.registry import load_generator
from models.transfer.measures import onset_jaccard, strong_beats_kept
from models.types import Request
from tests.models.transfer.test_transfer import BASS, CHORDS, TUNE


@pytest.fixture(scope="module")
def markov():
    return load_generator("markov", "cpu")


@pytest.mark.parametrize("style", ["pop", "ballad", "upbeat"])
def test_a_bass_line_in_another_style_keeps_its_chords_and_register(markov, style) -> None:
    [result] = markov.generate(Request(task="transfer", source=BASS, parts=("bass",), style=style, seed=2))
    notes = result.parts["bass"]
    assert chord_tone_ratio(notes, parse_progression(CHORDS)) >= 0.85
    assert abs(statistics.median(n.pitch for n in notes) - statistics.median(n.pitch for n in BASS)) <= 7
    assert result.info["model"] == "markov-pop909" and result.info["task"] == "transfer"


def test_a_tune_in_another_style_keeps_its_strong_beats(markov) -> None:
    [result] = markov.generate(Request(task="transfer", source=TUNE, parts=("melody",), style="ballad", seed=2))
    notes = result.parts["melody"]
    assert strong_beats_kept(TUNE, notes) >= 0.7 and onset_jaccard(TUNE, notes) <= 0.85


def test_variations_stay_in_the_register_with_live_velocities(markov) -> None:
    takes = markov.generate(Request(task="variations", source=TUNE, parts=("melody",), seed=2, variations=3,
                                    similarity=0.3))
    for take in takes:
        notes = take.parts["melody"]
        assert abs(statistics.median(n.pitch for n in notes) - statistics.median(n.pitch for n in TUNE)) < 12
        assert len({n.velocity for n in notes}) > 1
