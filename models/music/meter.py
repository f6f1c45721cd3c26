"""Time: the tick grid every model quantises to, beats per bar of a meter, the bars a clip spans."""

from __future__ import annotations

import math
from collections.abc import Sequence

from models.types import Note

TICKS_PER_BEAT = 12  # sixteenths (3) and eighth-note triplets (4)


def beats_per_bar(meter: tuple[int, int]) -> float:
    """Quarter-note beats in one bar of ``meter`` (6/8 -> 3.0).

    Raises:
        ValueError: ``meter`` is not a time signature.
    """
    numerator, denominator = meter
    if numerator < 1 or denominator not in (1, 2, 4, 8, 16):
        raise ValueError(f"meter {numerator}/{denominator} is not a time signature: "
                         "use e.g. 4/4, 3/4, 2/4, 6/8 or 12/8")
    return numerator * 4.0 / denominator


def bars_spanned(notes: Sequence[Note], beats: float) -> int:
    """Whole bars of ``beats`` beats the notes reach into (at least 1)."""
    return max(1, math.ceil(max(n.end_beats for n in notes) / beats - 1e-6))
