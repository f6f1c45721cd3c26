"""A stand-in model for the transfer layer's tests: it writes each part over the given chords in its own register,
rhythm and flat loudness (seeded), so what the tests see is what the transfer layer made of it."""

from __future__ import annotations

import numpy as np
import pytest

from models.music.chords import parse_chord, parse_progression
from models.music.meter import beats_per_bar
from models.types import Note, Request, Result

# the register the stand-in writes each part in: an octave or two away from where the tests' sources sit
REGISTER = {"bass": 60, "keys": 72, "melody": 84, "pad": 60, "counter": 72, "arp": 72}
DRUMS = (36, 38, 42, 46, 49, 51)


class StandIn:
    """Writes ``parts[0]`` over ``chords`` (task accompany); records every request it is given."""

    name = "stand-in"
    device = "cpu"

    def __init__(self) -> None:
        self.requests: list[Request] = []

    def generate(self, request: Request, progress=None) -> list[Result]:
        self.requests.append(request)
        if request.task != "accompany":
            return [Result({"keys": ()}, (), 1, request.meter, request.tempo, {"seed": "0", "task": request.task})]
        spans = parse_progression(request.chords, request.meter, request.bars)
        bars = round(sum(s.duration_beats for s in spans) / beats_per_bar(request.meter))
        out = []
        for index in range(request.variations):
            seed = (request.seed or 0) + index
            rng = np.random.default_rng(seed + 1000 * len(request.style))
            part = request.parts[0]
            notes = []
            for span in spans:
                chord = parse_chord(span.symbol)
                tones = sorted((chord.root + i) % 12 for i in chord.intervals)
                t = span.start_beats
                while t < span.start_beats + span.duration_beats - 1e-6:
                    step = float(rng.choice([0.5, 1.0, 1.5]))
                    step = min(step, span.start_beats + span.duration_beats - t)
                    if part == "drums":
                        notes.append(Note(int(rng.choice(DRUMS)), t, 0.25, 100))
                    else:
                        notes.append(Note(REGISTER[part] + int(rng.choice(tones)), t, step, 100))
                    t += step
            out.append(Result({part: tuple(notes)}, tuple(spans), bars, request.meter, request.tempo,
                              {"seed": str(seed), "model": self.name, "style": request.style}))
        return out


@pytest.fixture
def stand_in() -> StandIn:
    return StandIn()
