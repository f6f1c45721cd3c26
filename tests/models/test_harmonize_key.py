"""The transformer's harmonize keeps its chords in the key asked for, or the melody's, and says which key it used."""

from __future__ import annotations

import pytest

from models.music.chords import parse_chord
from models.music.keys import in_key, parse_key
from models.registry import load_model
from models.types import Note, Request

# eight bars of a tune in C major
TUNE = tuple(Note(p, i * 1.0, 1.0, 90) for i, p in enumerate(
    [60, 64, 67, 72, 71, 67, 62, 65, 64, 60, 57, 60, 62, 65, 69, 67,
     64, 67, 72, 76, 74, 71, 67, 62, 65, 69, 72, 69, 67, 64, 62, 60]))
SEEDS = (1, 2, 3)


@pytest.fixture(scope="module")
def takes():
    """key -> the harmonize results of SEEDS (the transformer alone, not the harmonizer in front of it)."""
    generator = load_model("transformer", "cpu")
    return {key: [generator.generate(Request(task="harmonize", melody=TUNE, key=key, parts=("bass",), seed=seed))[0]
                  for seed in SEEDS] for key in ("", "C", "F# minor")}


def share_in(results, key: str) -> float:
    """The share of the chords of ``results`` that belong to ``key`` (its scale's chords, common borrowed ones)."""
    chords = [parse_chord(c.symbol) for r in results for c in r.chords if c.symbol not in ("N", "NC")]
    return sum(in_key(parse_key(key), c.root, c.quality) for c in chords) / len(chords)


def test_the_key_asked_for_pulls_the_chords_into_it(takes) -> None:
    assert share_in(takes["F# minor"], "F# minor") >= share_in(takes["C"], "F# minor") + 0.3
    assert share_in(takes["C"], "C") >= 0.9
    assert [r.chords for r in takes["C"]] != [r.chords for r in takes["F# minor"]]


def test_the_key_used_is_reported(takes) -> None:
    assert {(r.info["key"], r.info["key_source"]) for r in takes["F# minor"]} == {("F#m", "request")}
    assert {(r.info["key"], r.info["key_source"]) for r in takes[""]} == {("C", "melody")}  # detected from the tune


@pytest.mark.parametrize("key, root, quality, inside", [
    ("C", 7, "7", True), ("C", 5, "min", True),  # V7; iv, borrowed from C minor
    ("C", 1, "maj", False), ("A minor", 4, "7", True),  # Db; E7 with the leading tone
    ("A minor", 6, "maj", False),
])
def test_in_key(key, root, quality, inside) -> None:
    assert in_key(parse_key(key), root, quality) is inside
