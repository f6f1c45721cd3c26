"""A stand-in model for the idiom tests: root bass, block chords on the bar line and, when asked, a four-on-the-floor
kick a little late, so what the idioms change is plain to see."""

from __future__ import annotations

import pytest

from models.music.chords import parse_chord, parse_progression
from models.music.meter import beats_per_bar
from models.types import Note, Request, Result


class BlockChords:
    """Writes what a mechanical chord chart plays; records the requests it gets."""

    name = "block-chords"
    device = "cpu"

    def __init__(self) -> None:
        self.requests: list[Request] = []

    def generate(self, request: Request, progress=None) -> list[Result]:
        self.requests.append(request)
        beats = beats_per_bar(request.meter)
        spans = parse_progression(request.chords, request.meter, request.bars)
        bars = round(sum(s.duration_beats for s in spans) / beats)
        out = []
        for index in range(request.variations):
            parts: dict[str, list[Note]] = {p: [] for p in request.parts}
            for span in spans:
                chord = parse_chord(span.symbol)
                pcs = [(chord.root + i) % 12 for i in chord.intervals[:3]]
                if "bass" in parts:
                    parts["bass"].append(Note(36 + (chord.root - 36) % 12, span.start_beats,
                                              span.duration_beats, 80))
                for part in ("keys", "pad"):
                    if part in parts:
                        parts[part] += [Note(60 + pc, span.start_beats, span.duration_beats, 72) for pc in pcs]
            if "drums" in parts:
                for beat in range(int(bars * beats)):
                    parts["drums"] += [Note(36, beat + 0.03, 0.1, 100), Note(42, beat + 0.5, 0.1, 40),
                                       Note(42, beat, 0.1, 70)]
            seed = (request.seed or 0) + index
            out.append(Result({p: tuple(n) for p, n in parts.items()}, tuple(spans), bars, request.meter,
                              request.tempo, {"seed": str(seed), "style": request.style}))
        return out


@pytest.fixture
def chart() -> BlockChords:
    return BlockChords()
