"""Variations stay around the source: similarity sets how much of it they keep; no octave jumps, no flat velocities."""

from __future__ import annotations

import statistics

import pytest

from models.transfer.generator import TransferGenerator
from models.transfer.measures import kept_share
from models.types import Note, Request
from tests.models.transfer.test_transfer import BASS, TUNE


def vary(stand_in, source, part, similarity, seed):
    request = Request(task="variations", source=source, parts=(part,), similarity=similarity, seed=seed)
    [result] = TransferGenerator(stand_in).generate(request)
    return result.parts[part]


@pytest.mark.parametrize("source, part", [(BASS, "bass"), (TUNE, "melody")])
def test_closer_variations_keep_more_of_the_source(stand_in, source, part) -> None:
    near = [kept_share(source, vary(stand_in, source, part, 0.9, s)) for s in range(6)]
    far = [kept_share(source, vary(stand_in, source, part, 0.1, s)) for s in range(6)]
    assert statistics.mean(near) > 0.75 and statistics.mean(far) < 0.5
    assert statistics.mean(near) > statistics.mean(far) + 0.4


@pytest.mark.parametrize("similarity", [0.1, 0.5, 0.9])
def test_no_octave_jump_and_no_flat_velocities(stand_in, similarity) -> None:
    for seed in range(4):
        notes = vary(stand_in, TUNE, "melody", similarity, seed)
        assert abs(statistics.median(n.pitch for n in notes) - statistics.median(n.pitch for n in TUNE)) < 12
        assert len({n.velocity for n in notes}) > 1


def test_a_flat_source_still_gets_an_accent(stand_in) -> None:
    flat = tuple(Note(n.pitch, n.start_beats, n.duration_beats, 120) for n in BASS)
    notes = vary(stand_in, flat, "bass", 0.5, 1)
    assert len({n.velocity for n in notes}) > 1 and max(n.velocity for n in notes) <= 127


def test_each_variation_is_its_seeds(stand_in) -> None:
    layer = TransferGenerator(stand_in)
    takes = layer.generate(Request(task="variations", source=BASS, parts=("bass",), seed=4, variations=3))
    assert [t.info["seed"] for t in takes] == ["4", "5", "6"]
    assert takes[1].parts == layer.generate(Request(task="variations", source=BASS, parts=("bass",), seed=5))[0].parts
    assert len({t.parts["bass"] for t in takes}) == 3


def test_drum_variations_keep_whole_bars_as_similarity_grows(stand_in) -> None:
    groove = tuple(Note(p, b * 0.5, 0.25, 90) for b in range(32) for p in ((36,) if b % 4 == 0 else (38,) if b % 4 == 2 else (42,)))
    same = vary(stand_in, groove, "drums", 1.0, 3)
    assert same == groove
    far = vary(stand_in, groove, "drums", 0.0, 3)
    assert kept_share(groove, far) < 0.2  # every lane from the new groove


def test_a_waltz_tune_keeps_its_downbeats(stand_in) -> None:
    from models.transfer.measures import strong_beats_kept

    waltz = tuple(Note(p, i * 1.0, 1.0, 80 + i % 3) for i, p in enumerate([67, 72, 76, 74, 71, 67, 69, 72, 77, 76, 74, 72]))
    [result] = TransferGenerator(stand_in).generate(Request(task="transfer", source=waltz, parts=("melody",),
                                                            meter=(3, 4), seed=2))
    assert strong_beats_kept(waltz, result.parts["melody"], (3, 4)) == 1.0 and result.bars == 4
