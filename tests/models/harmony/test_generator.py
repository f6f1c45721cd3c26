"""Harmonize through the registry: the harmonizer's chords, the parts written over them, the text round trip."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from models.music.chords import chord_at
from models.music.metrics import chord_tone_ratio, parallels
from models.registry import load_generator
from models.types import Request
from tests.conftest import REPO
from tests.models.harmony.tunes import d_minor_song, ode_to_joy


@pytest.fixture(scope="module")
def markov():
    return load_generator("markov")


def test_harmonize_reports_key_and_chords_and_writes_over_them(markov):
    melody = d_minor_song()
    [result] = markov.generate(Request(task="harmonize", melody=melody, parts=("melody", "bass", "keys"), seed=4))
    assert result.info["task"] == "harmonize"
    assert (result.info["key"], result.info["key_source"]) == ("Dm", "melody")
    assert result.parts["melody"] == melody  # the tune is returned as given
    assert result.chords[0].symbol == "Dm"
    assert chord_tone_ratio(result.parts["bass"], result.chords) > 0.9  # the bass plays the chords it reports
    bass_first = min(result.parts["bass"], key=lambda n: n.start_beats)
    assert bass_first.pitch % 12 in chord_at(result.chords, bass_first.start_beats).pitch_classes


def test_the_chords_sent_back_give_the_same_harmony(markov):
    request = Request(task="harmonize", melody=ode_to_joy(), parts=("bass",), seed=1, chord_style="jazz",
                      chords_per_bar=2)
    [harmonized] = markov.generate(request)
    [again] = markov.generate(Request(task="accompany", chords=harmonized.info["chords"], parts=("bass",), seed=1))
    assert again.chords == harmonized.chords
    assert again.parts == harmonized.parts  # same chords, same seed: the same bass


def test_the_requests_key_wins(markov):
    [result] = markov.generate(Request(task="harmonize", melody=ode_to_joy(), key="Bm", parts=("bass",), seed=1))
    assert (result.info["key"], result.info["key_source"]) == ("Bm", "request")


def test_a_bad_control_is_refused_with_its_name(markov):
    with pytest.raises(ValueError, match="chords_per_bar"):
        markov.generate(Request(task="harmonize", melody=ode_to_joy(), chords_per_bar=3))


def test_harmonize_loads_no_training_or_corpus_code():
    script = ("import sys, json\nfrom models.registry import load_generator\nfrom models.types import Request\n"
              "from tests.models.harmony.tunes import twinkle\n"
              "load_generator('markov').generate(Request(task='harmonize', melody=twinkle(), seed=1))\n"
              "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert not [m for m in loaded if m.startswith(("models.data", "models.evaluate")) or m.endswith(".train")]


@pytest.mark.slow
def test_chorale_style_sings_four_voices_over_the_chords():
    generator = load_generator("transformer", "cpu")
    melody = ode_to_joy()
    [result] = generator.generate(Request(task="harmonize", melody=melody, style="chorale", seed=3,
                                          parts=("melody", "counter", "keys", "bass")))
    voices = [result.parts[p] for p in ("melody", "counter", "keys", "bass")]
    assert all(voices)
    for voice in voices[1:]:
        assert chord_tone_ratio(voice, result.chords) > 0.7
    found, steps = parallels(voices)
    assert steps and found / steps < 0.1
