"""The key of a melody: duration-weighted key profiles with phrase endings, the first and the last note weighing in."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.types import Note

# Temperley's (Kostka-Payne) profiles: they separate a major key from its relative minor by the
# leading tone and the tonic triad better than Krumhansl's on single melodic lines.
_MAJOR = np.array([5.0, 2.0, 3.5, 2.0, 4.5, 4.0, 2.0, 4.5, 2.0, 3.5, 1.5, 4.0])
_MINOR = np.array([5.0, 2.0, 3.5, 4.5, 2.0, 4.0, 2.0, 4.5, 3.5, 2.0, 1.5, 4.0])
PHRASE_END_WEIGHT = 2.0  # a note before a rest of a beat or more, or the last of a 4-bar phrase
LAST_NOTE_WEIGHT = 4.0
FIRST_NOTE_WEIGHT = 1.5
TONIC_ENDING_BONUS = 0.15  # added to the correlation of the keys whose tonic the melody ends on


def _profiles() -> np.ndarray:
    """(24, 12): rows are C major .. B major, then C minor .. B minor."""
    rows = [np.roll(_MAJOR, tonic) for tonic in range(12)] + [np.roll(_MINOR, tonic) for tonic in range(12)]
    return np.array(rows)


def weighted_histogram(melody: Sequence[Note], beats_per_bar: float = 4.0) -> np.ndarray:
    """Duration-weighted pitch classes, phrase endings, the first and the last note counted more."""
    hist = np.zeros(12)
    notes = sorted(melody, key=lambda n: n.start_beats)
    phrase = 4 * beats_per_bar
    for index, note in enumerate(notes):
        weight = note.duration_beats
        following = notes[index + 1] if index + 1 < len(notes) else None
        if following is None:
            weight *= LAST_NOTE_WEIGHT
        elif following.start_beats - note.end_beats >= 1.0 - 1e-6 or \
                int(following.start_beats // phrase) > int(note.start_beats // phrase):
            weight *= PHRASE_END_WEIGHT
        if index == 0:
            weight *= FIRST_NOTE_WEIGHT
        hist[note.pitch % 12] += weight
    return hist


def profile_fit(hist: np.ndarray, key: tuple[int, str]) -> float:
    """Correlation of a (12,) pitch-class histogram with ``key``'s profile."""
    profile = np.roll(_MAJOR if key[1] == "major" else _MINOR, key[0])
    p, h = profile - profile.mean(), hist - hist.mean()
    denom = float(np.sqrt((p ** 2).sum() * (h ** 2).sum()))
    return float(p @ h / denom) if denom > 0 else 0.0


def find_key(melody: Sequence[Note], beats_per_bar: float = 4.0) -> tuple[int, str]:
    """``(tonic_pc, 'major'|'minor')`` of a melody; C major when it has no notes."""
    return key_candidates(melody, beats_per_bar, 1)[0][0]


def key_candidates(melody: Sequence[Note], beats_per_bar: float = 4.0,
                   count: int = 4) -> list[tuple[tuple[int, str], float]]:
    """The ``count`` likeliest keys of a melody with their profile scores, best first."""
    if not melody:
        return [((0, "major"), 0.0)]
    hist = weighted_histogram(melody, beats_per_bar)
    profiles = _profiles()
    centred = profiles - profiles.mean(axis=1, keepdims=True)
    h = hist - hist.mean()
    denom = np.sqrt((centred ** 2).sum(axis=1) * (h ** 2).sum())
    scores = centred @ h / np.where(denom > 0, denom, 1.0)  # (24,)
    last = max(melody, key=lambda n: n.start_beats).pitch % 12
    scores[last] += TONIC_ENDING_BONUS
    scores[12 + last] += TONIC_ENDING_BONUS
    order = np.argsort(-scores)[:count]
    return [((int(k) % 12, "major" if k < 12 else "minor"), float(scores[k])) for k in order]

