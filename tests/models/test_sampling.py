"""Grammar masks and samplers: every sampled section is legal, forced tokens are forced, seeds repeat."""

from __future__ import annotations

import numpy as np
import pytest

from models.sampling import (
    MAX_POLYPHONY,
    PITCH_RANGE,
    Section,
    advance,
    filter_logits,
    legal_tokens,
    sample_token,
    start,
)
from models.tokenizer import (
    BAR,
    DENS0,
    DENSITY_EDGES,
    DURATIONS,
    PITCH0,
    POS0,
    VOCAB,
    decode,
    density_bucket,
)

V = len(VOCAB)


def _sample_section(section: Section, seed: int) -> list[int]:
    generator = np.random.default_rng(seed)
    logits = generator.normal(size=V) * 3
    state, out = start(section), []
    for _ in range(500):
        token = sample_token(logits, legal_tokens(state), generator, temperature=1.5)
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


def test_filters():
    logits = np.arange(V, dtype=np.float32)
    mask = np.ones(V, dtype=bool)
    assert np.isfinite(filter_logits(logits, mask, top_k=5)).sum() == 5
    assert np.isfinite(filter_logits(logits, mask, temperature=0.1, top_p=0.5)).sum() == 1
    assert np.isfinite(filter_logits(logits, mask, temperature=100.0, top_p=0.5)).sum() > 20
    mask[:10] = False
    assert not np.isfinite(filter_logits(logits, mask)[:10]).any()


def test_seeds_repeat_and_single_legal_token_is_forced():
    logits = np.random.default_rng(0).normal(size=V)
    mask = np.ones(V, dtype=bool)
    draws = [sample_token(logits, mask, np.random.default_rng(7)) for _ in range(3)]
    assert len(set(draws)) == 1
    only = np.zeros(V, dtype=bool)
    only[42] = True
    assert sample_token(logits, only, np.random.default_rng(1)) == 42


def test_harmony_bias_pushes_down_non_chord_tones():
    from models.sampling import HARMONY_WEIGHT, State, harmony_bias

    chords = ((0, frozenset({0, 4, 7})), (24, frozenset({2, 5, 9})))
    state = State(Section("keys", 48, BAR, chords=chords), stage="dur", pos=30)
    bias = harmony_bias(state)
    assert bias[62] == 0.0 and bias[60] == pytest.approx(np.log(HARMONY_WEIGHT["keys"]))
    assert harmony_bias(state, 0.0) is None
    assert harmony_bias(State(Section("melody", 48, BAR, chords=chords), stage="dur", pos=0)) is None


def test_the_draw_is_the_one_over_the_whole_filtered_vocabulary():
    """``sample_token`` works on the legal tokens only; it must draw what sampling from
    ``filter_logits`` over every token draws, for the same random number."""
    rng = np.random.default_rng(5)
    for case in range(300):
        logits = (rng.normal(size=V) * rng.uniform(0.5, 4)).astype(np.float32)
        mask = rng.random(V) < rng.uniform(0.02, 0.6)
        mask[rng.integers(V)] = True
        mask[rng.integers(V)] = True
        temperature, top_k, top_p = rng.uniform(0.3, 1.5), int(rng.choice([0, 1, 3, 20])), rng.choice([1.0, 0.9, 0.5])
        seed = int(rng.integers(1 << 30))
        filtered = filter_logits(logits, mask, temperature, top_k, top_p)
        cumulative = np.cumsum(np.exp(filtered - filtered.max()))
        expected = int(np.searchsorted(cumulative, np.random.default_rng(seed).random() * cumulative[-1], side="right"))
        drawn = sample_token(logits, mask, np.random.default_rng(seed), temperature, top_k, top_p)
        assert drawn == expected, case
        assert mask[drawn] and np.isfinite(filtered[drawn])


def test_a_minimum_density_keeps_a_section_from_being_empty():
    section = Section("melody", 48, BAR)
    assert legal_tokens(start(section))[DENS0]  # a bar of rest is allowed...
    first = Section("melody", 48, BAR, min_density=1)
    allowed = legal_tokens(start(first))
    assert not allowed[DENS0] and allowed[DENS0 + 1:DENS0 + len(DENSITY_EDGES)].all()  # ...but not in a first bar
