"""Grammar masks: every sampled section is legal, forced densities and rhythms are kept, the harmony bias."""

from __future__ import annotations

import numpy as np
import pytest

from models.sampling import Sampling, sample_token
from models.transformer.grammar import (
    HARMONY_WEIGHT,
    MAX_POLYPHONY,
    PITCH_RANGE,
    Section,
    State,
    advance,
    harmony_bias,
    legal_tokens,
    start,
)
from models.transformer.tokenizer import decode
from models.transformer.tokens import (BAR, DENS0, DENSITY_EDGES, DUR0, DURATIONS, PITCH0, POS0, VEL0, VOCAB,
                                       density_bucket)

V = len(VOCAB)


def _sample_section(section: Section, seed: int) -> list[int]:
    generator = np.random.default_rng(seed)
    logits = generator.normal(size=V) * 3
    state, out = start(section), []
    for _ in range(500):
        token = sample_token(logits, legal_tokens(state), generator, Sampling(temperature=1.5))
        out.append(token)
        if token == section.end:
            return out
        state = advance(state, token)
        logits = generator.normal(size=V) * 3
    raise AssertionError("section never closed")


@pytest.mark.parametrize("track", ["bass", "keys", "melody", "pad", "chord"])
@pytest.mark.parametrize("seed", range(6))
def test_random_logits_always_give_a_legal_section(track, seed):
    section = Section(track, 48, BAR)
    tokens = _sample_section(section, seed)
    names = [VOCAB.names[t] for t in tokens]
    positions = [int(n[4:]) for n in names if n.startswith("POS_")]
    assert positions == sorted(set(positions)) and all(p < 48 for p in positions)
    if track == "chord":
        assert names[0] == "POS_0"
        return
    assert names[0].startswith("DENS_") and names[1].startswith("VEL_")
    density = int(names[0][5:])
    assert density_bucket(len(positions)) == density
    pitches = [t - PITCH0 for t in tokens if PITCH0 <= t < PITCH0 + 128]
    lo, hi = PITCH_RANGE[track]
    assert all(lo <= p <= hi for p in pitches)
    notes = decode([VOCAB.track_token("target", track)] + tokens[:-1]).tracks.get(track, [])
    per_onset = {}
    for note in notes:
        per_onset[note.start_beats] = per_onset.get(note.start_beats, 0) + 1
    assert max(per_onset.values(), default=0) <= MAX_POLYPHONY.get(track, 1)


def test_forced_density_and_rhythm():
    rhythm = ((0, DURATIONS.index(12), 1), (12, DURATIONS.index(6), 1), (30, DURATIONS.index(18), 1))
    section = Section("bass", 48, BAR, density=density_bucket(3), rhythm=rhythm)
    for seed in range(4):
        tokens = _sample_section(section, seed)
        notes = decode([VOCAB.track_token("target", "bass")] + tokens[:-1]).tracks["bass"]
        assert [(round(n.start_beats * 12), round(n.duration_beats * 12)) for n in notes] == [(0, 12), (12, 6), (30, 18)]


def test_density_is_respected_when_forced():
    for bucket in range(len(DENSITY_EDGES)):
        tokens = _sample_section(Section("keys", 48, BAR, density=bucket), bucket)
        assert VOCAB.names[tokens[0]] == f"DENS_{bucket}"
        assert density_bucket(sum(POS0 <= t < POS0 + 72 for t in tokens)) == bucket


def test_harmony_bias_pushes_down_non_chord_tones():
    chords = ((0, frozenset({0, 4, 7})), (24, frozenset({2, 5, 9})))
    state = State(Section("keys", 48, BAR, chords=chords), stage="dur", pos=30)
    bias = harmony_bias(state)
    assert bias[62] == 0.0 and bias[60] == pytest.approx(np.log(HARMONY_WEIGHT["keys"]))
    assert harmony_bias(state, 0.0) is None
    assert harmony_bias(State(Section("melody", 48, BAR, chords=chords), stage="dur", pos=0)) is None


def test_a_minimum_density_keeps_a_section_from_being_empty():
    section = Section("melody", 48, BAR)
    assert legal_tokens(start(section))[DENS0]  # a bar of rest is allowed...
    first = Section("melody", 48, BAR, min_density=1)
    allowed = legal_tokens(start(first))
    assert not allowed[DENS0] and allowed[DENS0 + 1:DENS0 + len(DENSITY_EDGES)].all()  # ...but not in a first bar


@pytest.mark.parametrize("enter_by", [0, 11])
def test_a_first_bar_enters_by_its_tick(enter_by):
    state = advance(advance(start(Section("bass", 48, BAR, min_density=1, entries=((0, enter_by),))), DENS0 + 2),
                    VEL0 + 5)
    allowed = legal_tokens(state)
    assert allowed[POS0:POS0 + enter_by + 1].all() and not allowed[POS0 + enter_by + 1:POS0 + 48].any()
    state = advance(advance(advance(state, POS0 + enter_by), DUR0 + 3), PITCH0 + 40)
    assert legal_tokens(state)[POS0 + 30]  # only the first note is held to the bar line
