"""How the Markov tables are keyed: chord families, back-off contexts and rhythm pattern keys (table and trainer)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.music.chords import Chord
from models.music.meter import TICKS_PER_BEAT
from models.types import Note

TABLE_VERSION = 1
BAR_TICKS = 48  # learned from 4-beat bars; other meters are mapped at sampling time
# Rhythm patterns span a bar for single lines and half a bar for keys/arp, whose comping is so
# varied that whole-bar patterns repeat too rarely to be counted (a sixth of bars in the top 400).
PATTERN_TICKS = {"melody": 48, "counter": 48, "bass": 48, "keys": 24, "arp": 24}
DURATION_BUCKETS = {"melody": (3, 6, 12, 24, 48), "counter": (3, 6, 12, 24, 48), "bass": (3, 6, 12, 24, 48),
                    "keys": (3, 12, 36), "arp": (3, 12, 36)}
MAX_GROUP = 3  # onset groups of 3 or more notes are one class: "a chord"


def quality_class(chord: Chord) -> str:
    """Coarse chord family used as Markov context: maj, min, dom, dim, aug, sus."""
    pcs = set(chord.intervals)
    if 4 in pcs:
        return "aug" if 8 in pcs and 7 not in pcs else ("dom" if 10 in pcs else "maj")
    if 3 in pcs:
        return "dim" if 6 in pcs and 7 not in pcs else "min"
    return "sus"


def duration_bucket(part: str, ticks: float) -> int:
    """Nearest duration bucket (log scale) of ``part`` for a duration in ticks."""
    ticks = max(ticks, 1.0)
    return min(DURATION_BUCKETS[part], key=lambda b: abs(np.log(b / ticks)))


def pattern_key(part: str, groups: Sequence[tuple[int, Sequence[Note]]]) -> str:
    """Text key of a rhythm pattern: 'tick,duration,size;...' from (tick in unit, onset group) pairs."""
    return ";".join(f"{t},{duration_bucket(part, max(n.duration_beats for n in g) * TICKS_PER_BEAT)},"
                    f"{min(len(g), MAX_GROUP)}" for t, g in groups)


def chain_contexts(q: str, history: Sequence[int]) -> list[str]:
    """Back-off contexts of the pitch chain, longest first: 'maj|4,7', 'maj|7', 'maj|'."""
    out = [f"{q}|"]
    if history:
        out.insert(0, f"{q}|{history[-1]}")
    if len(history) >= 2:
        out.insert(0, f"{q}|{history[-2]},{history[-1]}")
    return out


def chord_contexts(tokens: Sequence[str]) -> list[str]:
    """Back-off contexts of the chord chain, longest first."""
    out = [""]
    if tokens:
        out.insert(0, tokens[-1])
    if len(tokens) >= 2:
        out.insert(0, f"{tokens[-2]} {tokens[-1]}")
    return out
