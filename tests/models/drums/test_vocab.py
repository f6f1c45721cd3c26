"""The drum vocabulary: hits survive encoding within a bin, and the grammar accepts every encoded bar."""

from __future__ import annotations

import numpy as np
import pytest

from models.drums.kit import INSTRUMENTS, instrument_of
from models.drums.vocab import (
    BAR,
    GRID,
    OFFSET_BINS,
    OFFSET_RANGE,
    VELOCITY_BINS,
    DrumHit,
    Grammar,
    bar_positions,
    decode_bar,
    encode_bars,
)


def _random_hits(meter: tuple[int, int], bars: int, seed: int) -> list[DrumHit]:
    rng = np.random.default_rng(seed)
    size = bar_positions(meter)
    ticks = rng.integers(0, bars * size, 60)
    offsets = rng.uniform(-OFFSET_RANGE * 0.99, OFFSET_RANGE * 0.99, 60)
    hits = {(int(t), int(n)): DrumHit(max(0.0, t / GRID + o), int(n), int(v))
            for t, o, n, v in zip(ticks, offsets, rng.choice(INSTRUMENTS, 60), rng.integers(1, 128, 60))}
    return sorted(hits.values(), key=lambda h: (h.onset_beats, h.note))


@pytest.mark.parametrize("meter", [(4, 4), (3, 4), (6, 8), (5, 4)])
@pytest.mark.parametrize("seed", [0, 1])
def test_hits_come_back_from_their_tokens_within_a_bin(meter, seed):
    hits = _random_hits(meter, 3, seed)
    rows = encode_bars(hits, meter, 3)
    def key(h: DrumHit) -> tuple[int, int]:
        return round(h.onset_beats * GRID), h.note

    back = sorted((h for i, row in enumerate(rows) for h in decode_bar(row, meter, i)), key=key)
    assert len(back) == len(hits)
    for hit, got in zip(sorted(hits, key=key), back):
        assert got.note == hit.note
        assert abs(got.onset_beats - hit.onset_beats) <= OFFSET_RANGE / OFFSET_BINS + 1e-9
        assert abs(got.velocity - hit.velocity) <= 127 / VELOCITY_BINS / 2 + 1
    quantised = [h for i, row in enumerate(rows) for h in decode_bar(row, meter, i, quantise=True)]
    assert all(abs(h.onset_beats * GRID - round(h.onset_beats * GRID)) < 1e-9 for h in quantised)


@pytest.mark.parametrize("meter", [(4, 4), (6, 8)])
def test_the_grammar_accepts_every_encoded_bar(meter):
    grammar = Grammar(meter)
    for row in encode_bars(_random_hits(meter, 4, 3), meter, 4):
        grammar.start_bar()
        for token in row:
            assert grammar.legal()[token], token
            grammar.advance(token)
        assert grammar.legal()[BAR] == bool(row)


def test_a_hit_just_before_a_bar_line_opens_the_next_bar_played_early():
    rows = encode_bars([DrumHit(3.99, 36, 100)], (4, 4), 2)
    assert rows[0] == [] and decode_bar(rows[1], (4, 4), 1)[0].onset_beats < 4.0


def test_general_midi_notes_outside_the_kit_fold_onto_its_classes_and_others_are_dropped():
    assert INSTRUMENTS[instrument_of(35)] == 36 and INSTRUMENTS[instrument_of(40)] == 38
    assert instrument_of(22, roland=True) == instrument_of(42) and instrument_of(58, roland=True) == instrument_of(43)
    assert instrument_of(60) is None and encode_bars([DrumHit(0.0, 60, 90)], (4, 4), 1) == [[]]
