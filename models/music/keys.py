"""Keys: reading key names, estimating the key of notes, the chords of a key, naming a key."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

from models.music.chords import QUALITIES, ChordError, make_chord, pitch_class
from models.types import Note


_MAJOR_PROFILE = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
_MINOR_PROFILE = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
_KEY = re.compile(r"^([A-Ga-g])([#b]?)\s*(m|min|minor|maj|major|M)?$")


def parse_key(text: str) -> tuple[int, str] | None:
    """Read ``'C'``, ``'Am'``, ``'F# minor'`` into ``(tonic_pc, 'major'|'minor')``; ``''`` -> None.

    Raises:
        ChordError: the text is not a key name.
    """
    text = text.strip()
    if not text:
        return None
    match = _KEY.match(text)
    if match is None:
        raise ChordError(f"key '{text}' is not a key: write a tonic A-G with optional # or b and "
                         "optionally 'm'/'minor' or 'major' (e.g. 'C', 'Am', 'F# minor'), or '' for auto")
    mode = "minor" if match.group(3) in ("m", "min", "minor") else "major"
    return pitch_class(match.group(1).upper(), match.group(2)), mode


def pc_histogram(notes: Iterable[Note]) -> list[float]:
    """Duration-weighted pitch-class histogram."""
    weights = [0.0] * 12
    for note in notes:
        weights[note.pitch % 12] += note.duration_beats
    return weights


def _correlation(a: Sequence[float], b: Sequence[float]) -> float:
    mean_a, mean_b = sum(a) / 12, sum(b) / 12
    num = sum((x - mean_a) * (y - mean_b) for x, y in zip(a, b))
    den = math.sqrt(sum((x - mean_a) ** 2 for x in a) * sum((y - mean_b) ** 2 for y in b))
    return num / den if den else 0.0


def detect_key(notes: Iterable[Note]) -> tuple[int, str]:
    """Krumhansl-Schmuckler key estimate ``(tonic_pc, mode)``; C major when there are no notes."""
    hist = pc_histogram(notes)
    if not any(hist):
        return 0, "major"
    best = max(
        ((_correlation(hist, [profile[(pc - tonic) % 12] for pc in range(12)]), tonic, mode)
         for tonic in range(12)
         for mode, profile in (("major", _MAJOR_PROFILE), ("minor", _MINOR_PROFILE))),
    )
    return best[1], best[2]


def diatonic_chords(key: tuple[int, str]) -> dict[tuple[int, str], float]:
    """Diatonic triads and sevenths of ``key`` -> prior weight (tonic, IV, V favoured)."""
    tonic, mode = key
    major = tonic if mode == "major" else (tonic + 3) % 12
    degrees = [(0, "maj", 1.0), (2, "min", 0.7), (4, "min", 0.6), (5, "maj", 1.0), (7, "maj", 1.0),
               (9, "min", 0.9), (7, "7", 0.6), (2, "min7", 0.4), (9, "min7", 0.4), (0, "maj7", 0.3),
               (5, "maj7", 0.3), (4, "7", 0.3), (11, "dim", 0.2)]
    return {((major + step) % 12, quality): weight for step, quality, weight in degrees}


# The notes of a key above its tonic (minor: the natural minor and the leading tone, for V and vii°), and the
# borrowed chords a key commonly takes as (degree, quality): iv, bVI, bVII and bIII from the parallel minor;
# IV (dorian), the Neapolitan bII and the Picardy I in minor.
SCALES = {"major": frozenset({0, 2, 4, 5, 7, 9, 11}), "minor": frozenset({0, 2, 3, 5, 7, 8, 10, 11})}
BORROWED = {"major": frozenset({(5, "min"), (5, "min7"), (8, "maj"), (10, "maj"), (10, "7"), (3, "maj")}),
            "minor": frozenset({(5, "maj"), (5, "7"), (1, "maj"), (0, "maj")})}


def in_key(key: tuple[int, str], root: int, quality: str) -> bool:
    """True for a chord of ``key``: every tone in its scale, or one of its common borrowed chords."""
    tonic, mode = key
    degree = (root - tonic) % 12
    return all((degree + step) % 12 in SCALES[mode] for step in QUALITIES[quality]) or (degree, quality) in BORROWED[mode]


def key_name(key: tuple[int, str]) -> str:
    """``(9, 'minor')`` -> ``'Am'``."""
    return make_chord(key[0], "maj").name + ("m" if key[1] == "minor" else "")
