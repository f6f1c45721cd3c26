"""The harmonizer: a melody's key, then its whole chord progression decoded, styled and written as chord text."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.harmony.decode import (
    BAR_CONTEXT_WEIGHT,
    HALF_BAR_MELODY_WEIGHT,
    MELODY_WEIGHT,
    SAMPLED_MELODY_WEIGHT,
    cadence_targets,
    emission_scores,
    sample_path,
    slot_bonuses,
    step_scores,
    viterbi,
)
from models.harmony.key import key_candidates, profile_fit, weighted_histogram
from models.harmony.melody_fit import melody_change, slot_features, slot_pitch_weights
from models.harmony.styles import CHORD_STYLES, Cell, style_cells
from models.harmony.table import CLASSES, ChordTable
from models.music.chords import make_chord, parse_progression
from models.music.keys import key_name, parse_key
from models.music.meter import bars_spanned, beats_per_bar
from models.types import ChordSpan, Note

log = logging.getLogger(__name__)

CHORDS_PER_BAR = (0.5, 1.0, 2.0)
MAX_CHORD_TEMPERATURE = 2.0
KEY_PROFILE = 10.0  # weight per slot of the key profile's correlation against the progression's score
CHORD_KEY_SHARE = 0.5  # share of that correlation taken with the decoded chords' tones added to the melody's


def default_table_path() -> Path:
    """The shipped chord model, ``models/checkpoints/harmony-pop909.json.gz``."""
    return Path(__file__).resolve().parent.parent / "checkpoints" / "harmony-pop909.json.gz"


@dataclass(frozen=True)
class Harmony:
    """A decoded harmonization: chord spans, the same chords as text (bars separated by ``|``), the key."""

    chords: tuple[ChordSpan, ...]
    text: str
    key: tuple[int, str]
    key_detected: bool

    @property
    def key_name(self) -> str:
        return key_name(self.key)


def check_controls(chords_per_bar: float, chord_style: str, chord_temperature: float) -> None:
    """Raise ValueError, naming the request key, for a control the harmonizer does not take."""
    if not any(math.isclose(chords_per_bar, value) for value in CHORDS_PER_BAR):
        raise ValueError(f"chords_per_bar {chords_per_bar:g} is not offered: use 0.5 (a chord every two bars), "
                         "1 or 2")
    if chord_style not in CHORD_STYLES:
        raise ValueError(f"chord_style '{chord_style}' is not known: choose from {', '.join(CHORD_STYLES)}")
    if not (math.isfinite(chord_temperature) and 0 <= chord_temperature <= MAX_CHORD_TEMPERATURE):
        raise ValueError(f"chord_temperature {chord_temperature:g} is out of range: use 0 (the likeliest "
                         f"progression) to {MAX_CHORD_TEMPERATURE:g} (adventurous)")


class Harmonizer:
    """Chords for a melody from the learnt chord table: the whole progression decoded at once."""

    def __init__(self, table: ChordTable) -> None:
        self.table = table

    @classmethod
    def load(cls, path: str | Path | None = None) -> Harmonizer:
        """Load the shipped table (or ``path``).

        Raises:
            ValueError: the table is missing or of another version.
        """
        return cls(ChordTable.load(path or default_table_path()))

    def harmonize(self, melody: Sequence[Note], *, meter: tuple[int, int] = (4, 4), bars: int = 0, key: str = "",
                  chords_per_bar: float = 1.0, chord_style: str = "triads", style: str = "pop",
                  temperature: float = 0.0, seed: int | None = None) -> Harmony:
        """Harmonize ``melody``.

        Args:
            melody: the tune, times in beats from bar 1.
            meter: time signature.
            bars: bars to harmonize (0: as many as the melody spans).
            key: a key name (``'D'``, ``'Am'``), or empty to find it from the melody.
            chords_per_bar: 0.5, 1 or 2.
            chord_style: ``triads``, ``sevenths`` or ``jazz``.
            style: ``chorale`` uses the progressions of Bach's chorales when the table has them.
            temperature: 0 for the likeliest progression (Viterbi), above 0 to sample a whole
                progression from the posterior, more adventurous as it grows.
            seed: the sampling seed (same seed, same chords).

        Raises:
            ValueError: a control out of range or a key that is not a key name.
        """
        check_controls(chords_per_bar, chord_style, temperature)
        beats = beats_per_bar(meter)
        if bars <= 0:
            bars = bars_spanned(melody, beats) if melody else 1
        slots = _slots(bars, beats, chords_per_bar)
        weights = slot_pitch_weights(melody, slots, beats)  # (S, 12)
        given = parse_key(key) if key else None
        if given is not None:
            tonic, mode = given
        else:
            tonic, mode = self._find_key(melody, slots, weights, beats, style)
        model = self._model(melody, slots, weights, beats, (tonic, mode), style, sampled=temperature > 0)
        if temperature > 0:
            path = sample_path(*model, temperature, np.random.default_rng(seed))
        else:
            path, _ = viterbi(*model)
        detected = given is None
        states = [((tonic + s // len(CLASSES)) % 12, CLASSES[s % len(CLASSES)]) for s in path]
        cells = [Cell(start, length, []) for start, length in slots]
        halves = [slot_pitch_weights(melody, [(a, n / 2), (a + n / 2, n / 2)], beats) for a, n in slots] \
            if chords_per_bar <= 1 else []
        cells = style_cells(states, cells, (tonic, mode), chord_style, weights, halves)
        text = chord_text(cells, bars, beats)
        spans = tuple(parse_progression(text, meter, bars))
        log.debug("harmonized %d bars in %s: %s", bars, key_name((tonic, mode)), text)
        return Harmony(spans, text, (tonic, mode), detected)


    def _find_key(self, melody: Sequence[Note], slots: list[tuple[float, float]], weights: np.ndarray,
                  beats: float, style: str) -> tuple[int, str]:
        """The candidate key whose best progression, with its profile, explains the melody best.

        The profile is matched twice: against the melody alone, and against the melody with the tones
        of the progression decoded in that key, which tells a key from its relative or dominant key
        when the melody leaves out the notes that differ.
        """
        melody_share = weighted_histogram(melody, beats)
        melody_share = melody_share / max(melody_share.sum(), 1e-9)
        best, best_score = (0, "major"), -math.inf
        for key, fit in key_candidates(melody, beats):
            path, score = viterbi(*self._model(melody, slots, weights, beats, key, style))
            tones = np.zeros(12)
            for state in path:
                tones[list(make_chord((key[0] + state // len(CLASSES)) % 12,
                                      CLASSES[state % len(CLASSES)]).pitch_classes)] += 1
            fit = (1 - CHORD_KEY_SHARE) * fit + CHORD_KEY_SHARE * profile_fit(melody_share + tones / tones.sum(), key)
            score += KEY_PROFILE * len(slots) * fit
            if score > best_score:
                best, best_score = key, score
        return best

    def _model(self, melody: Sequence[Note], slots: list[tuple[float, float]], weights: np.ndarray, beats: float,
               key: tuple[int, str], style: str, sampled: bool = False) -> tuple:
        """What the decoder needs in one key: (S, STATES) emissions with the per-slot bonuses, (S, STATES, STATES)
        transition scores. Slots shorter than a bar also hear the fit of their whole bar; a ``sampled``
        progression weighs the melody less, which leaves a temperature of 1-2 room to choose."""
        tonic, mode = key
        features, evidence = slot_features(melody, slots, beats, tonic)
        progressions = self.table.progressions(style, mode)
        short = slots[0][1] < beats - 1e-6
        melody_weight = SAMPLED_MELODY_WEIGHT if sampled else HALF_BAR_MELODY_WEIGHT if short else MELODY_WEIGHT
        emission = emission_scores(features, evidence, np.roll(weights, -tonic, axis=1), self.table, mode, melody_weight)
        if short and not sampled:
            emission += self._bar_fit(melody, slots, beats, key)
        changes = melody_change(weights)
        stays = [self.table.stay_probability(length, abs(start / beats - round(start / beats)) < 1e-6, change)
                 for (start, length), change in zip(slots, changes)]
        last = max(melody, key=lambda n: n.start_beats) if melody else None
        ends_on_tonic = last is not None and last.pitch % 12 == tonic
        unary, cadence = slot_bonuses(slots, beats, mode, ends_on_tonic, progressions)
        return emission + unary, step_scores(progressions, stays, cadence, cadence_targets(mode)[1])

    def _bar_fit(self, melody: Sequence[Note], slots: list[tuple[float, float]], beats: float,
                 key: tuple[int, str]) -> np.ndarray:
        """(S, STATES): the melody fit of the bar each slot lies in, scaled by ``BAR_CONTEXT_WEIGHT``."""
        tonic, mode = key
        bars = _slots(math.ceil((slots[-1][0] + slots[-1][1]) / beats - 1e-6), beats, 1.0)
        features, evidence = slot_features(melody, bars, beats, tonic)
        weights = np.roll(slot_pitch_weights(melody, bars, beats), -tonic, axis=1)
        fit = emission_scores(features, evidence, weights, self.table, mode, BAR_CONTEXT_WEIGHT)  # (bars, STATES)
        return fit[[int(start / beats + 1e-6) for start, _ in slots]]


def _slots(bars: int, beats: float, chords_per_bar: float) -> list[tuple[float, float]]:
    """(start, length) of each harmonic slot; a last two-bar slot is cut at the end."""
    length = beats / chords_per_bar
    total = bars * beats
    starts = np.arange(0.0, total - 1e-6, length)
    return [(float(a), float(min(length, total - a))) for a in starts]


def chord_text(cells: Sequence[Cell], bars: int, beats: float) -> str:
    """Cells as progression text: bars separated by ``|``, the chords of a bar sharing it equally."""
    segments = []
    for cell in cells:
        share = cell.length / len(cell.symbols)
        segments += [(cell.start + k * share, share, symbol) for k, symbol in enumerate(cell.symbols)]
    out = []
    for bar in range(bars):
        start, end = bar * beats, (bar + 1) * beats
        halves = []
        for half in (start, start + beats / 2):
            halves.append(next(s for a, n, s in segments if a - 1e-6 <= half < a + n - 1e-6))
        out.append(halves[0] if halves[0] == halves[1] else f"{halves[0]} {halves[1]}")
    return " | ".join(out)
