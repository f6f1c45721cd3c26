"""The Markov chain in every meter: bass and keys in every bar, 6/8 and 12/8 on dotted beats (issue 15)."""

from __future__ import annotations

import numpy as np
import pytest

from models.markov.parts import ChordTrack, PartWriter
from models.music.chords import parse_progression
from models.music.meter import TICKS_PER_BEAT, beats_per_bar
from models.registry import load_model
from models.sampling import Sampling
from models.types import Request

METERS = ((4, 4), (3, 4), (6, 8), (12, 8), (2, 4))
PROGRESSIONS = ("C | F | G | C | Am | F | G | C", "Am7 | D7 | Gmaj7 Em7 | Cmaj7 | Dm7 G7 | C | F Bb | C")


@pytest.fixture(scope="module")
def markov():
    return load_model("markov")


@pytest.mark.parametrize("style", ["pop", "ballad", "upbeat"])
@pytest.mark.parametrize("meter", METERS, ids=lambda m: f"{m[0]}-{m[1]}")
def test_bass_and_keys_start_a_note_in_every_bar(markov, meter, style):
    beats = beats_per_bar(meter)
    for chords in PROGRESSIONS:
        for seed in range(6):
            [result] = markov.generate(Request(chords=chords, bars=8, parts=("bass", "keys"), meter=meter,
                                               style=style, seed=seed))
            for part in ("bass", "keys"):
                bars = {int(n.start_beats / beats + 1e-9) for n in result.parts[part]}
                assert bars == set(range(8)), (style, meter, seed, part, sorted(bars))


@pytest.mark.parametrize("meter", [(6, 8), (12, 8)], ids=["6-8", "12-8"])
def test_compound_meters_put_the_bass_on_dotted_beats(markov, meter):
    dotted = 3 * TICKS_PER_BEAT // 2
    for style in ("pop", "ballad", "upbeat"):
        ticks, keys = [], []
        for seed in range(6):
            [result] = markov.generate(Request(chords=PROGRESSIONS[0], bars=8, parts=("bass", "keys"), meter=meter,
                                               style=style, seed=seed))
            ticks += [round(n.start_beats * TICKS_PER_BEAT) for n in result.parts["bass"]]
            keys += [round(n.start_beats * TICKS_PER_BEAT) for n in result.parts["keys"]]
        assert np.mean([t % dotted == 0 for t in ticks]) >= 0.85, style
        assert np.mean([t % (dotted // 3) == 0 for t in keys]) >= 0.85, style  # on the eighths


def test_the_same_seed_writes_the_same_notes_in_6_8(markov):
    request = Request(chords=PROGRESSIONS[1], bars=8, parts=("bass", "keys", "pad"), meter=(6, 8), style="ballad",
                      seed=11)
    assert markov.generate(request)[0].parts == markov.generate(request)[0].parts


def test_a_bar_that_keeps_drawing_silence_plays_its_downbeat_and_a_rest_bar_stays_silent(markov):
    table = markov.table
    spans = parse_progression("C | N | G", (3, 4), 3)
    writer = PartWriter(table, "bass", "pop", Sampling(), np.random.default_rng(0), ChordTrack(spans), 3.0, 9.0)
    writer._draw = lambda bar_start: []  # every pattern drawn comes out empty in this bar
    first, rest, third = (writer.write_bar(bar) for bar in range(3))
    assert [n.start_beats for n in first] == [0.0] and first[0].pitch % 12 == 0  # C's root on the downbeat
    assert rest == []
    assert [n.start_beats for n in third] == [6.0] and third[0].pitch % 12 in (7, 11, 2)
