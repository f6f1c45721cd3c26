"""Meters the model did not learn, written through the one it did: 2/4, 6/8 and 12/8 as 4/4 bars and back.

POP909, all the pop the model saw, is 4/4. Asked for other meters directly it held one chord a bar or
left bars empty (issue 15). So an accompaniment in 2/4 is written two bars to a 4/4 bar, 12/8 as 4/4
with every beat dotted, 6/8 as half a 12/8 bar: the whole timeline is scaled (``Frame.scale``), the
model writes 4/4 pop, and its notes come back with each beat's straight eighths and sixteenths moved
onto the compound beat's three eighths (``SWUNG``), the way a 12/8 groove is a shuffled 4/4. 3/4 has no
such frame and is decoded in its own bars under the grammar's meter rules (``grammar.meter_bias``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from models.music.meter import TICKS_PER_BEAT, beats_per_bar
from models.types import ChordSpan, Note

FRAME_METER = (4, 4)
# Where a tick of a 4/4 beat lands in a dotted beat (18 ticks): on the beat, the straight sixteenth
# to the second eighth, the straight eighth to the third (a shuffle), the last sixteenth just after it;
# eighth-note triplets (ticks 4 and 8) to the second and third eighths, as the scaled time would.
SWUNG = (0, 2, 4, 6, 6, 9, 12, 12, 12, 15, 16, 17)


@dataclass(frozen=True)
class Frame:
    """How a meter is written as 4/4: ``scale`` real beats per frame beat, ``per_bar`` real bars per 4/4 bar."""

    meter: tuple[int, int]
    scale: float
    per_bar: int

    @property
    def compound(self) -> bool:
        return self.scale != 1.0

    @property
    def bar_ticks(self) -> int:
        """Frame ticks of one real bar."""
        return round(beats_per_bar(self.meter) / self.scale * TICKS_PER_BEAT)

    def frame_bars(self, real_bars: int) -> int:
        return math.ceil(real_bars / self.per_bar)

    def to_frame(self, notes: Sequence[Note]) -> tuple[Note, ...]:
        """Given notes in frame time (compound eighths become triplet eighths, exactly on the grid)."""
        return tuple(Note(n.pitch, n.start_beats / self.scale, n.duration_beats / self.scale, n.velocity) for n in notes)

    def spans_to_frame(self, spans: Sequence[ChordSpan]) -> tuple[ChordSpan, ...]:
        return tuple(ChordSpan(s.symbol, s.start_beats / self.scale, s.duration_beats / self.scale) for s in spans)

    def from_frame(self, beats: float) -> float:
        """A frame time in real beats: straight subdivisions swung onto the compound beat (``SWUNG``)."""
        if not self.compound:
            return beats
        tick = round(beats * TICKS_PER_BEAT)
        beat, sub = divmod(tick, TICKS_PER_BEAT)
        return (beat * round(self.scale * TICKS_PER_BEAT) + SWUNG[sub]) / TICKS_PER_BEAT

    def notes_from_frame(self, notes: Sequence[Note]) -> list[Note]:
        out = []
        for n in notes:
            start = self.from_frame(n.start_beats)
            end = max(self.from_frame(n.start_beats + n.duration_beats), start + 1 / TICKS_PER_BEAT)
            out.append(Note(n.pitch, start, end - start, n.velocity))
        return out


FRAMES = {(2, 4): Frame((2, 4), 1.0, 2), (6, 8): Frame((6, 8), 1.5, 2), (12, 8): Frame((12, 8), 1.5, 1)}


def frame_for(meter: Sequence[int]) -> Frame | None:
    """The 4/4 frame a meter is written in, None for 4/4 and 3/4 (written in their own bars)."""
    return FRAMES.get(tuple(meter))  # type: ignore[arg-type]
