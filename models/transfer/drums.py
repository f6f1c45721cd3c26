"""A drum groove moved to another style lane by lane (hi-hats and cymbals first, the kick last), or varied bar by bar."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.types import Note

KICK = frozenset({35, 36})
SNARE = frozenset({37, 38, 39, 40})
CYMBALS = frozenset({42, 44, 46, 49, 51, 52, 53, 55, 57, 59})
# the order in which a transfer takes the new style's lanes as strength grows: what colours a groove first,
# what holds it together last
LANES = ("cymbals", "percussion", "snare", "kick")


def lane(pitch: int) -> str:
    """The lane of a General MIDI drum note: kick, snare, cymbals (hi-hats, rides, crashes) or percussion."""
    if pitch in KICK:
        return "kick"
    if pitch in SNARE:
        return "snare"
    return "cymbals" if pitch in CYMBALS else "percussion"


def lanes_for(amount: float) -> frozenset[str]:
    """The lanes the new groove plays at ``amount`` (0-1): cymbals alone at 0, every lane at 1."""
    return frozenset(LANES[:1 + int(3 * amount + 0.5)])


def drum_blend(source: Sequence[Note], fresh: Sequence[Note], bars: int, beats: float, amount: float, task: str,
               rng: np.random.Generator) -> tuple[Note, ...]:
    """The source's groove with ``fresh``'s lanes in.

    Transfer (``amount`` is the strength): every bar takes the lanes ``lanes_for(amount)`` from the new groove.
    Variations (``amount`` is the similarity): a bar is kept whole with probability ``amount``, else it takes
    ``lanes_for(1 - amount)`` from the new groove. A bar where the source plays nothing stays silent.
    """
    out = []
    for bar in range(bars):
        start, end = bar * beats, (bar + 1) * beats
        old = [n for n in source if start - 1e-6 <= n.start_beats < end - 1e-6]
        if not old:
            continue
        if task == "transfer":
            taken = lanes_for(amount)
        else:
            taken = frozenset() if rng.random() < amount else lanes_for(1 - amount)
        new = [n for n in fresh if start - 1e-6 <= n.start_beats < end - 1e-6]
        out += [n for n in old if lane(n.pitch) not in taken] + [n for n in new if lane(n.pitch) in taken]
    return tuple(sorted(out, key=lambda n: (n.start_beats, n.pitch)))
