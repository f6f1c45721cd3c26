"""Chord styles over decoded triads: sevenths by degree, jazz extensions, tritone substitutions, ii-V insertions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.music.chords import QUALITIES, make_chord

CHORD_STYLES = ("triads", "sevenths", "jazz")
# Seventh quality per (degree above the tonic, class), for each mode; other chords use _SEVENTH_DEFAULT.
_DIATONIC_SEVENTHS = {
    "major": {(0, "maj"): "maj7", (2, "min"): "min7", (4, "min"): "min7", (5, "maj"): "maj7", (7, "maj"): "7",
              (9, "min"): "min7", (11, "dim"): "m7b5"},
    "minor": {(0, "min"): "min7", (2, "dim"): "m7b5", (3, "maj"): "maj7", (5, "min"): "min7", (7, "maj"): "7",
              (7, "min"): "min7", (8, "maj"): "maj7", (10, "maj"): "7", (11, "dim"): "dim7"},
}
_SEVENTH_DEFAULT = {"maj": "7", "min": "min7", "dim": "dim7", "sus4": "7sus4"}  # outside the key: secondary dominants
_NINTHS = {"maj7": "maj9", "min7": "min9", "7": "9"}
CLASH_SHARE = 0.12  # a tone is left out when this share of the slot's melody lies a semitone above it
FIT_SHARE = 0.6  # an inserted or substituted chord must hold this share of the slot's melody


@dataclass
class Cell:
    """One slot of the harmony: where it starts, how long it is, its chord symbols (sharing it equally)."""

    start: float
    length: float
    symbols: list[str]


def _clashes(pcs: np.ndarray, tone: int) -> bool:
    """Does the melody sit a semitone above ``tone`` (pitch class), a minor ninth over it, for a noticeable
    share of the slot? (A semitone below, a major seventh, is how a melody rubs on a chord without clashing.)"""
    total = pcs.sum()
    return total > 0 and pcs[(tone + 1) % 12] / total >= CLASH_SHARE


def _fits(pcs: np.ndarray, root: int, quality: str, tensions: tuple[int, ...] = ()) -> bool:
    """Do the chord's tones (and allowed tensions) hold most of the slot's melody?"""
    total = pcs.sum()
    if total <= 0:
        return True
    tones = {(root + i) % 12 for i in QUALITIES[quality] + tensions}
    return sum(pcs[pc] for pc in tones) / total >= FIT_SHARE


def seventh(root: int, family: str, key: tuple[int, str], pcs: np.ndarray) -> str:
    """The seventh chord of a decoded triad in ``key``, or the triad when the seventh would rub on the melody."""
    degree = (root - key[0]) % 12
    quality = _DIATONIC_SEVENTHS[key[1]].get((degree, family), _SEVENTH_DEFAULT[family])
    added = {(root + i) % 12 for i in QUALITIES[quality]} - {(root + i) % 12 for i in QUALITIES[family]}
    if any(_clashes(pcs, tone) for tone in added):
        return make_chord(root, family).name
    return make_chord(root, quality).name


def extend(symbol_root: int, quality: str, pcs: np.ndarray) -> str:
    """A ninth (or a 13th over a dominant whose melody holds the sixth) where the melody allows it."""
    if quality == "7" and pcs.sum() > 0 and pcs[(symbol_root + 9) % 12] / pcs.sum() >= 0.25:
        return make_chord(symbol_root, "13").name
    richer = _NINTHS.get(quality)
    if richer is None or _clashes(pcs, (symbol_root + 2) % 12):
        return make_chord(symbol_root, quality).name
    return make_chord(symbol_root, richer).name


def style_cells(states: list[tuple[int, str]], cells: list[Cell], key: tuple[int, str], style: str,
                weights: np.ndarray, half_weights: list[np.ndarray]) -> list[Cell]:
    """Write each slot's symbols in ``style``.

    Args:
        states: (root pitch class, class) decoded per slot.
        cells: the slots (their symbols are filled in here).
        key: the key.
        style: one of ``CHORD_STYLES``.
        weights: (S, 12) melody pitch-class weights per slot.
        half_weights: per slot, (2, 12) weights of its two halves (for ii-V insertions); empty when slots
            are shorter than a bar, which leaves no room for them.
    """
    if style not in CHORD_STYLES:
        raise ValueError(f"chord_style '{style}' is not known: choose from {', '.join(CHORD_STYLES)}")
    for cell, (root, family), pcs in zip(cells, states, weights):
        if style == "triads":
            cell.symbols = [make_chord(root, family).name]
        else:
            cell.symbols = [seventh(root, family, key, pcs)]
    if style != "jazz":
        return cells
    _substitute(states, cells, weights)
    if half_weights:
        _insert_two_fives(states, cells, half_weights)
    for cell, pcs in zip(cells, weights):
        if len(cell.symbols) == 1:
            root, quality = _root_quality(cell.symbols[0])
            cell.symbols = [extend(root, quality, pcs)]
    return cells


def _root_quality(symbol: str) -> tuple[int, str]:
    from models.music.chords import parse_chord

    chord = parse_chord(symbol)
    return chord.root, chord.quality


def _substitute(states: list[tuple[int, str]], cells: list[Cell], weights: np.ndarray) -> None:
    """Tritone substitution of a dominant seventh that falls a fifth to its next chord, where the melody allows."""
    for index in range(len(cells) - 1):
        root, quality = _root_quality(cells[index].symbols[0])
        following = states[index + 1][0]
        if quality != "7" or (following - root) % 12 != 5:
            continue
        sub = (root + 6) % 12
        if _fits(weights[index], sub, "7", tensions=(2, 6, 9)):
            cells[index].symbols = [make_chord(sub, "7").name]


def _insert_two_fives(states: list[tuple[int, str]], cells: list[Cell], half_weights: list[np.ndarray]) -> None:
    """Where a chord is held over two slots before a major or minor chord, its second slot becomes ii7-V7 of it."""
    for index in range(1, len(cells) - 1):
        target_root, target_family = states[index + 1]
        if target_family not in ("maj", "min") or states[index] != states[index - 1] or states[index + 1] == states[index]:
            continue
        two, five = (target_root + 2) % 12, (target_root + 7) % 12
        two_quality = "min7" if target_family == "maj" else "m7b5"
        halves = half_weights[index]
        if _fits(halves[0], two, two_quality, tensions=(2,)) and _fits(halves[1], five, "7", tensions=(2, 9)):
            cells[index].symbols = [make_chord(two, two_quality).name, make_chord(five, "7").name]
