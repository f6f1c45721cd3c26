"""The arp's controls: checking rate, pattern, octaves and gate, and choosing those a request leaves open."""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from models.types import Note, Request
from models.validation import RequestError

# rate -> the step in quarter-note beats
RATES = {"1/8": 0.5, "1/16": 0.25, "1/8T": 1 / 3, "1/16T": 1 / 6}
PATTERNS = ("up", "down", "up-down", "down-up", "random", "as-voiced")
COMPOUND_METERS = ((6, 8), (12, 8))

# Styles by feel (the pitched styles and the drum styles a preset may name, e.g. edm-arp's "dance").
DRIVING = frozenset({"upbeat", "rock", "dance", "edm", "house", "techno", "trance", "disco", "punk", "funk", "latin",
                     "afrocuban", "afrobeat", "hiphop"})
GENTLE = frozenset({"ballad", "folk", "chorale", "renaissance", "classical", "soul", "gospel", "blues", "country",
                    "reggae"})
SWUNG = frozenset({"jazz", "neworleans"})

# the pattern a style's arp plays when nothing else decides: (pattern, weight), drawn with the result's seed
_PATTERN_WEIGHTS = {
    "driving": (("up", 4), ("up-down", 3), ("down", 1.5), ("down-up", 1.5)),
    "gentle": (("up", 4.5), ("up-down", 3.5), ("as-voiced", 2)),
    "other": (("up", 4), ("up-down", 4), ("down-up", 1), ("down", 1)),
}
_GATES = {"driving": 0.5, "gentle": 0.9, "swung": 0.7, "other": 0.75}
# the pitch the figure centres on: a dance arp above the pad, a pop one above the keys, a picked one around the
# guitar's middle
ANCHORS = {"driving": 72.0, "gentle": 62.0, "swung": 64.0, "other": 66.0}
_FASTEST, _SLOWEST = 10.0, 1.8  # notes per second the model keeps its rate between
_ONE_OCTAVE_ABOVE = 6.0  # notes per second above which the model climbs one octave only


@dataclass(frozen=True, slots=True)
class ArpSettings:
    """The arp's four controls, all decided."""

    rate: str
    pattern: str
    octaves: int
    gate: float

    @property
    def step_beats(self) -> float:
        return RATES[self.rate]

    def describe(self) -> str:
        return f"rate {self.rate}, pattern {self.pattern}, octaves {self.octaves}, gate {self.gate:g}"


@dataclass(frozen=True, slots=True)
class Hints:
    """What the notes the inner model wrote for the arp say: its usual step, direction, register and velocity."""

    step_beats: float | None = None
    direction: str | None = None  # "up", "down" or "up-down"
    pitch: float | None = None
    velocity: float | None = None


def check_arp(request: Request) -> None:
    """Raise RequestError, naming the key, for an arp control outside what the arpeggiator plays."""
    if request.rate and request.rate not in RATES:
        raise RequestError(f"{{key}} '{request.rate}' is not an arp rate: use one of {', '.join(RATES)}, "
                           "or leave it out for the model to choose", "rate")
    if request.pattern and request.pattern not in PATTERNS:
        raise RequestError(f"{{key}} '{request.pattern}' is not an arp pattern: use one of {', '.join(PATTERNS)}, "
                           "or leave it out for the model to choose", "pattern")
    if isinstance(request.octaves, bool) or not isinstance(request.octaves, int) or not 0 <= request.octaves <= 3:
        raise RequestError(f"{{key}} must be 1, 2 or 3 (0 for the model to choose), not {request.octaves!r}",
                           "octaves")
    gate = request.gate
    if isinstance(gate, bool) or not isinstance(gate, (int, float)) or not math.isfinite(gate) \
            or not (gate == 0 or 0.05 <= gate <= 1):
        raise RequestError(f"{{key}} must be between 0.05 (staccato) and 1 (legato), or 0 for the model to choose, "
                           f"not {gate!r}", "gate")


def read_hints(notes: Sequence[Note]) -> Hints:
    """The step, direction, register and velocity of the arp the inner model wrote (None where it wrote too little)."""
    if not notes:
        return Hints()
    ordered = sorted(notes, key=lambda n: (n.start_beats, -n.pitch))
    lines: list[Note] = []  # the top note of each onset
    for note in ordered:
        if not lines or note.start_beats - lines[-1].start_beats > 1e-6:
            lines.append(note)
    gaps = [(b.start_beats - a.start_beats, b.pitch - a.pitch) for a, b in zip(lines, lines[1:])]
    gaps = [(gap, move) for gap, move in gaps if gap <= 1.0 + 1e-6]  # steps inside a phrase, not across rests
    step = statistics.median(gap for gap, _ in gaps) if len(gaps) >= 3 else None
    moves = [move for _, move in gaps if move]
    direction = None
    if len(moves) >= 3:
        rising = sum(move > 0 for move in moves) / len(moves)
        direction = "up" if rising >= 0.65 else "down" if rising <= 0.35 else "up-down"
    return Hints(step, direction, statistics.median(n.pitch for n in notes),
                 statistics.median(n.velocity for n in notes))


def feel(style: str) -> str:
    """A style's feel: driving, gentle, swung or other."""
    return "driving" if style in DRIVING else "gentle" if style in GENTLE else "swung" if style in SWUNG else "other"


def _nearest_rate(step: float, compound: bool) -> str:
    """The rate nearest ``step``; in 6/8 and 12/8 the straight ones, which already fall in threes there."""
    choices = ("1/8", "1/16") if compound else tuple(RATES)
    return min(choices, key=lambda rate: abs(math.log(RATES[rate] / step)))


def _rate(request: Request, kind: str, hints: Hints) -> str:
    compound = tuple(request.meter) in COMPOUND_METERS
    if kind == "driving":
        rate = "1/16"
    elif kind == "gentle":
        rate = "1/8"
    elif kind == "swung":
        rate = "1/8" if compound else "1/8T"
    elif hints.step_beats is not None:
        rate = _nearest_rate(hints.step_beats, compound)
    else:
        rate = "1/16" if request.tempo < 110 else "1/8"
    # keep it playable at the tempo: sixteenths at 170 become eighths, eighths at 50 sixteenths
    per_second = request.tempo / 60 / RATES[rate]
    if per_second > _FASTEST:
        rate = {"1/16": "1/8", "1/16T": "1/8T"}.get(rate, rate)
    elif per_second < _SLOWEST:
        rate = {"1/8": "1/16", "1/8T": "1/16T"}.get(rate, rate)
    return rate


def _octaves(request: Request, rate: str) -> int:
    """Two octaves where a bar has the steps for a sweep of them (a triad's seven notes) at an easy pace, else one."""
    steps = request.meter[0] * 4 / request.meter[1] / RATES[rate]
    per_second = request.tempo / 60 / RATES[rate]
    return 2 if steps >= 8 and per_second <= _ONE_OCTAVE_ABOVE else 1


def choose_settings(request: Request, hints: Hints, seed: int) -> ArpSettings:
    """The request's arp controls, with those it leaves open ("" or 0) decided from the style, meter and tempo,
    the arp the inner model wrote (``hints``), and ``seed`` (the same seed, the same choice)."""
    kind = feel(request.style)
    rng = random.Random(f"arp-settings:{seed}")
    rate = request.rate or _rate(request, kind, hints)
    pattern = request.pattern
    if not pattern:
        if hints.direction is not None:
            pattern = hints.direction
        else:
            names, weights = zip(*_PATTERN_WEIGHTS.get(kind, _PATTERN_WEIGHTS["other"]))
            pattern = rng.choices(names, weights)[0]
    octaves = request.octaves or _octaves(request, rate)
    gate = float(request.gate) or _GATES[kind]
    return ArpSettings(rate, pattern, octaves, gate)
