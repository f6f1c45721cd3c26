"""Every meter the model accepts: bass and keys play in every bar, 6/8 and 12/8 have dotted beats (issue 15)."""

from __future__ import annotations

import numpy as np
import pytest

from models.music.meter import TICKS_PER_BEAT, beats_per_bar
from models.registry import load_model
from models.transformer.grammar import Section, advance, legal_tokens, meter_bias, start
from models.transformer.meters import frame_for
from models.transformer.tokens import BAR, DENS0, DUR0, DURATIONS, PITCH0, POS0, VEL0, VOCAB
from models.types import Note, Request

PROGRESSION = "C | F | G | C | Am | F | G | C"
METERS = ((4, 4), (3, 4), (6, 8), (12, 8), (2, 4))


@pytest.fixture(scope="module")
def default():
    """The default engine: the transformer, the Markov chain for ballad and upbeat."""
    return load_model("default", "cpu")


def _onset_bars(notes, meter, bars=8) -> list[int]:
    beats = beats_per_bar(meter)
    counts = [0] * bars
    for note in notes:
        counts[int(note.start_beats / beats + 1e-9)] += 1
    return counts


@pytest.mark.parametrize("style", ["pop", "ballad", "upbeat"])
@pytest.mark.parametrize("meter", METERS, ids=lambda m: f"{m[0]}-{m[1]}")
def test_bass_and_keys_start_a_note_in_every_bar(default, meter, style):
    for seed in range(3):
        [result] = default.generate(Request(chords=PROGRESSION, bars=8, parts=("bass", "keys", "pad"), meter=meter,
                                            style=style, seed=seed))
        assert result.bars == 8 and result.meter == meter
        for part in ("bass", "keys"):
            counts = _onset_bars(result.parts[part], meter)
            assert all(counts), (style, meter, seed, part, counts)
            assert all(n.end_beats <= 8 * beats_per_bar(meter) + 1e-6 for n in result.parts[part])


@pytest.mark.parametrize("meter", [(6, 8), (12, 8)], ids=["6-8", "12-8"])
@pytest.mark.parametrize("style", ["pop", "ballad", "upbeat"])
def test_compound_meters_play_dotted_beats(default, meter, style):
    """The bass mostly on eighths 1 and 4 of each 6/8 bar, the keys in groups of three eighths."""
    dotted, eighth = 3 * TICKS_PER_BEAT // 2, TICKS_PER_BEAT // 2
    bass, keys = [], []
    for seed in range(3):
        [result] = default.generate(Request(chords=PROGRESSION, bars=8, parts=("bass", "keys"), meter=meter,
                                            style=style, seed=seed))
        bass += [round(n.start_beats * TICKS_PER_BEAT) for n in result.parts["bass"]]
        keys += sorted({round(n.start_beats * TICKS_PER_BEAT) for n in result.parts["keys"]})
    on_beat = np.mean([tick % dotted == 0 for tick in bass])
    assert on_beat >= 0.65, (style, meter, on_beat)
    assert np.mean([tick % eighth == 0 for tick in keys]) >= 0.8  # eighths, few sixteenths
    # the dotted beats lead; in 6/8 the second one, not 3/4's third beat (its fifth eighth)
    within = [tick % dotted for tick in keys]
    assert within.count(0) > 2 * within.count(eighth)  # a shuffle: the beat and its third eighth
    bar = round(beats_per_bar(meter) * TICKS_PER_BEAT)
    assert sum(tick % bar == dotted for tick in keys) > sum(tick % bar == 4 * eighth for tick in keys)


@pytest.mark.parametrize("meter", METERS, ids=lambda m: f"{m[0]}-{m[1]}")
def test_the_same_seed_writes_the_same_notes(default, meter):
    request = Request(chords=PROGRESSION, bars=8, parts=("bass", "keys"), meter=meter, seed=7)
    assert default.generate(request)[0].parts == default.generate(request)[0].parts


def test_a_bar_without_a_chord_may_rest_the_others_play(default):
    for meter in ((3, 4), (6, 8)):
        [result] = default.generate(Request(chords="C | F | N | G", bars=4, parts=("bass", "keys"), meter=meter,
                                            seed=1))
        for part in ("bass", "keys"):
            counts = _onset_bars(result.parts[part], meter, 4)
            assert counts[0] and counts[1] and counts[3], (meter, part, counts)


def test_a_given_melody_comes_back_as_given_in_a_compound_meter(default):
    melody = tuple(Note(72 + (k % 3), k * 0.5, 0.5, 90) for k in range(24))  # eighths over 4 bars of 6/8
    [result] = default.generate(Request(chords="C | F | G | C", bars=4, parts=("melody", "bass", "keys"),
                                        meter=(6, 8), melody=melody, seed=3))
    assert result.parts["melody"] == melody
    assert all(_onset_bars(result.parts["bass"], (6, 8), 4))


# ---------------------------------------------------------------- the pieces


def test_the_frame_swings_straight_eighths_onto_compound_eighths():
    six = frame_for((6, 8))
    assert six.bar_ticks == 24 and six.frame_bars(5) == 3  # two 6/8 bars to a 4/4 bar
    # 4/4 beat 1, its "and", beat 2, beat 3: the downbeat, the third eighth, the second dotted beat, bar 2
    assert [six.from_frame(b) for b in (0.0, 0.5, 1.0, 2.0)] == [0.0, 1.0, 1.5, 3.0]
    eighths = [Note(60, k * 0.5, 0.5) for k in range(6)]  # compound eighths come back where they were
    assert [n.start_beats for n in six.notes_from_frame(six.to_frame(eighths))] == [n.start_beats for n in eighths]
    assert frame_for((2, 4)).from_frame(1.25) == 1.25 and frame_for((3, 4)) is None and frame_for((4, 4)) is None


def test_every_window_must_hold_an_onset():
    """Two 2/4 bars in one 4/4 bar: the bass on both bar lines before the section may end."""
    section = Section("bass", 48, BAR, min_density=2, entries=((0, 0), (24, 24)))
    state = advance(advance(start(section), DENS0 + 2), VEL0 + 4)  # 2 onsets
    allowed = legal_tokens(state)
    assert allowed[POS0] and not allowed[POS0 + 1:POS0 + 48].any() and not allowed[BAR]
    state = advance(advance(advance(state, POS0), DUR0 + 5), PITCH0 + 36)
    allowed = legal_tokens(state)
    assert allowed[POS0 + 24] and not allowed[POS0 + 1:POS0 + 24].any() and not allowed[POS0 + 25:POS0 + 48].any()
    assert not allowed[BAR]  # the second (and last) onset is the second bar line's
    state = advance(advance(advance(state, POS0 + 24), DUR0 + 5), PITCH0 + 43)
    assert legal_tokens(state)[BAR]


def test_a_window_keeps_an_onset_for_itself():
    """With 3-4 onsets and the second bar line still to play, the fourth onset waits for it."""
    section = Section("bass", 48, BAR, min_density=2, entries=((0, 0), (24, 24)))
    state = advance(advance(start(section), DENS0 + 3), VEL0 + 4)
    for tick in (0, 6, 12):
        state = advance(advance(advance(state, POS0 + tick), DUR0 + 2), PITCH0 + 40)
    allowed = legal_tokens(state)
    assert allowed[POS0 + 24] and not allowed[POS0 + 13:POS0 + 24].any() and not allowed[BAR]


def test_a_note_in_a_meter_the_model_did_not_learn_ends_by_the_bar_line():
    section = Section("keys", 36, BAR, meter=(3, 4))
    state = advance(advance(advance(start(section), DENS0 + 2), VEL0 + 4), POS0 + 30)
    allowed = [DURATIONS[i] for i in range(len(DURATIONS)) if legal_tokens(state)[DUR0 + i]]
    assert allowed and max(allowed) == 6


def test_the_meter_prior_moves_positions_to_the_dotted_beats_not_the_chance_to_end():
    state = advance(advance(start(Section("bass", 36, BAR, meter=(6, 8))), DENS0 + 3), VEL0 + 4)  # 3-4 onsets
    for tick in (0, 3, 6):
        state = advance(advance(advance(state, POS0 + tick), DUR0 + 2), PITCH0 + 40)
    mask = legal_tokens(state)
    assert mask[BAR] and mask[POS0 + 7:POS0 + 36].all()
    logits = np.zeros(len(VOCAB), dtype=np.float32)
    biased = meter_bias(state, logits, mask)
    assert biased[POS0 + 18] > biased[POS0 + 12] > biased[POS0 + 13]
    probability = lambda values: np.exp(values[POS0:POS0 + 36]).sum() / np.exp(values[mask]).sum()  # noqa: E731
    assert probability(biased) == pytest.approx(probability(logits), rel=1e-5)
