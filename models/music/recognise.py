"""Chord recognition: the chords of a clip, one or two per bar, by template matching with a key prior."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

from models.music.chords import QUALITIES, make_chord
from models.music.keys import detect_key, diatonic_chords, parse_key
from models.music.meter import beats_per_bar
from models.types import ChordSpan, Note

log = logging.getLogger(__name__)


_TEMPLATES = ("maj", "min", "7", "maj7", "min7", "dim", "sus4", "sus2", "aug", "m7b5")
_COMPLEXITY = {"maj": 0.0, "min": 0.0, "7": 0.06, "maj7": 0.08, "min7": 0.06, "dim": 0.12,
               "sus4": 0.1, "sus2": 0.12, "aug": 0.2, "m7b5": 0.15}


def _segment_scores(notes: Sequence[Note], start: float, end: float, monophonic: bool,
                    prior: dict[tuple[int, str], float]) -> list[tuple[float, int, str]]:
    weights = [0.0] * 12
    lowest = None
    for note in notes:
        overlap = min(note.end_beats, end) - max(note.start_beats, start)
        if overlap <= 0:
            continue
        onset_bonus = 1.3 if note.start_beats >= start - 1e-6 else 1.0
        weights[note.pitch % 12] += overlap * onset_bonus
        if lowest is None or note.pitch < lowest.pitch:
            lowest = note
    total = sum(weights)
    if total <= 0:
        return []
    scores = []
    for quality in _TEMPLATES:
        if monophonic and quality not in ("maj", "min", "7", "dim", "min7"):
            continue
        for root in range(12):
            pcs = {(root + i) % 12 for i in QUALITIES[quality]}
            inside = sum(weights[pc] for pc in pcs) / total
            score = inside - 0.7 * (1 - inside) - _COMPLEXITY[quality]
            if not monophonic and lowest is not None and lowest.pitch % 12 == root:
                score += 0.12
            if weights[root] > 0:
                score += 0.05
            score += (0.25 if monophonic else 0.08) * prior.get((root, quality), 0.0)
            if monophonic and (root, quality) not in prior:
                score -= 0.3
            scores.append((score, root, quality))
    scores.sort(reverse=True)
    return scores


def recognise_chords(notes: Sequence[Note], meter: tuple[int, int] = (4, 4), bars: int = 0,
                     per_bar: int = 0, key: str | tuple[int, str] | None = None) -> list[ChordSpan]:
    """Name the chords of a clip, one or two per bar.

    Template matching on duration-weighted pitch classes, with a lowest-note (bass) hint for
    textures. A monophonic melody is harmonized instead: only triads, dominant sevenths and
    diminished chords are tried and diatonic ones in ``key`` (given or detected) are preferred.

    Args:
        notes: any texture; times in beats from bar 1.
        meter: time signature.
        bars: bars to cover (0: as many as the notes span).
        per_bar: 1 or 2 chords per bar, 0 to split a bar only when its halves clearly differ.
        key: key text (``'Am'``), ``(tonic, mode)``, or None to detect.

    Returns:
        Spans covering every bar; a bar with no notes holds the previous chord ('N' at the start).
    """
    beats = beats_per_bar(meter)
    if bars <= 0:
        bars = max(1, math.ceil(max((n.end_beats for n in notes), default=beats) / beats - 1e-6))
    if isinstance(key, str):
        key = parse_key(key)
    key = key or detect_key(notes)
    prior = diatonic_chords(key)
    onsets: dict[float, int] = {}
    for note in notes:
        onsets[round(note.start_beats, 3)] = onsets.get(round(note.start_beats, 3), 0) + 1
    monophonic = bool(notes) and sum(1 for c in onsets.values() if c > 1) < 0.2 * len(onsets)
    spans: list[ChordSpan] = []
    previous = "N"
    for bar in range(bars):
        start = bar * beats
        whole = _segment_scores(notes, start, start + beats, monophonic, prior)
        halves = [_segment_scores(notes, start + k * beats / 2, start + (k + 1) * beats / 2, monophonic, prior)
                  for k in range(2)]
        split = per_bar == 2 or (
            per_bar == 0 and all(halves) and whole and beats >= 2
            and halves[0][0][1:] != halves[1][0][1:]
            and (halves[0][0][0] + halves[1][0][0]) / 2 > whole[0][0] + 0.2)
        segments = [(halves[0], start, beats / 2), (halves[1], start + beats / 2, beats / 2)] if split \
            else [(whole, start, beats)]
        for scores, seg_start, length in segments:
            symbol = make_chord(scores[0][1], scores[0][2]).name if scores else previous
            spans.append(ChordSpan(symbol, seg_start, length))
            previous = symbol
    log.debug("recognised %d chord spans over %d bars (monophonic=%s)", len(spans), bars, monophonic)
    return spans
