"""What every model takes and returns: Request, Result, Note, ChordSpan, the Generator protocol, parts and meters."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

TASKS = ("accompany", "harmonize", "continue", "infill", "transfer", "variations", "interpolate")

# Part name -> (MIDI channel 0-15, General MIDI program 0-127). Channel 9 is the GM drum channel.
PARTS: dict[str, tuple[int, int]] = {
    "melody": (0, 73),  # flute
    "counter": (1, 71),  # clarinet
    "keys": (2, 0),  # acoustic grand piano
    "bass": (3, 33),  # fingered electric bass
    "pad": (4, 89),  # warm pad
    "arp": (5, 46),  # orchestral harp
    "drums": (9, 0),
}

# The order of both is part of the transformer's token vocabulary (models/transformer/tokens.py).
METERS = ((4, 4), (3, 4), (2, 4), (6, 8), (12, 8))
STYLES = ("pop", "ballad", "upbeat", "chorale", "renaissance", "classical", "folk", "jazz", "rock", "custom")

ProgressFn = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class Note:
    """One note; times are in quarter-note beats from the start of bar 1."""

    pitch: int
    start_beats: float
    duration_beats: float
    velocity: int = 90

    def __post_init__(self) -> None:
        if not 0 <= self.pitch <= 127:
            raise ValueError(f"pitch {self.pitch} is outside MIDI's 0-127")
        if not 1 <= self.velocity <= 127:
            raise ValueError(f"velocity {self.velocity} is outside 1-127")
        if not (math.isfinite(self.start_beats) and self.start_beats >= 0):
            raise ValueError(f"start {self.start_beats} beats must be a finite number >= 0")
        if not (math.isfinite(self.duration_beats) and self.duration_beats > 0):
            raise ValueError(f"duration {self.duration_beats} beats must be a finite number > 0")

    @property
    def end_beats(self) -> float:
        return self.start_beats + self.duration_beats


@dataclass(frozen=True, slots=True)
class Request:
    """What to generate. Clips (melody, source, prompt) are already resolved to notes.

    ``chords`` is the progression as text: bars separated by ``|``, chords in a bar by spaces
    (``"Am7 | D7 | G Em | C"``); several chords in one bar share it equally.
    ``bars`` of 0 means "as many bars as the prompt or the progression has".
    ``infill_bars`` are 1-based bar numbers to rewrite for the infill task.
    ``fills`` and ``humanize`` shape a drums part (phrase-end fills; timing off the grid).
    ``chords_per_bar``, ``chord_style`` and ``chord_temperature`` shape the chords of the harmonize task.
    ``include_prompt``: continue returns the prompt and the new bars together, beat 0 the prompt's start.
    ``rate``, ``pattern``, ``octaves`` and ``gate`` set the arp; ``dynamics``, ``humanize``, ``humanize_velocity``
    and ``swing`` shape every part's velocities and timing; ``density`` and ``register`` are per-part controls.
    ``target``, ``texture``, ``steps``, ``strength`` and ``similarity`` drive interpolate, transfer and variations.
    """

    task: str = "accompany"
    chords: str = ""
    melody: tuple[Note, ...] = ()
    source: tuple[Note, ...] = ()
    prompt: tuple[Note, ...] = ()
    parts: tuple[str, ...] = ("bass", "keys")
    style: str = "pop"
    bars: int = 0
    meter: tuple[int, int] = (4, 4)
    tempo: float = 120.0
    key: str = ""
    temperature: float = 1.0
    top_p: float = 0.95
    top_k: int = 0
    seed: int | None = None
    variations: int = 1
    infill_bars: tuple[int, ...] = ()
    fills: int = 4  # drums: a fill every 4 or 8 bars, 0 for none
    humanize: float | None = None  # drums: ms an onset may stay off the grid (0 quantises); None: as the model plays
    chords_per_bar: float = 2.0  # harmonize: 0.5, 1 or 2 chords per bar (2 keeps a chord over the bar where the tune does)
    chord_style: str = "triads"  # harmonize: triads, sevenths or jazz
    chord_temperature: float = 0.0  # harmonize: 0 the likeliest progression, up to 2 adventurous
    include_prompt: bool = False  # continue: the prompt, then its continuation, as one result from the prompt's start
    # arp (models/arp): "" or 0 leaves the setting to the model
    rate: str = ""  # 1/8, 1/16, 1/8T, 1/16T
    pattern: str = ""  # up, down, up-down, down-up, random, as-voiced
    octaves: int = 0  # 1-3
    gate: float = 0.0  # 0.05-1: the share of each step a note sounds
    # performance (models/dynamics): velocities, timing and feel of every part
    dynamics: str = ""  # soft, medium, loud; "" as the model plays
    humanize_velocity: float | None = None  # +- velocity range of the humanizer; None: as the model plays
    swing: float = 0.0  # 0-75 %: how late the second eighth (or sixteenth) of each pair comes
    swing_on: str = "eighths"  # eighths or sixteenths
    # per-part controls (models/idioms): "high" for every part, or "bass:low keys:high"
    density: str = ""  # low, medium, high
    register: str = ""  # low, middle, high
    # transfer, variations and interpolate (models/transfer, models/vae)
    target: tuple[Note, ...] = ()  # interpolate: the clip to morph towards
    texture: tuple[Note, ...] = ()  # transfer: the clip whose texture goes over the source's chords
    steps: int = 5  # interpolate: results from source to target, 3-16
    strength: float = 1.0  # transfer: 0 a light touch, 1 a full rewrite
    similarity: float = 0.5  # variations: 0 far from the source, 1 close to it

    def replace(self, **changes: object) -> Request:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class ChordSpan:
    """A chord symbol sounding from ``start_beats`` for ``duration_beats``."""

    symbol: str
    start_beats: float
    duration_beats: float


@dataclass(frozen=True)
class Result:
    """One variation: notes per part plus the harmony and length they were written against."""

    parts: dict[str, tuple[Note, ...]]
    chords: tuple[ChordSpan, ...]
    bars: int
    meter: tuple[int, int]
    tempo: float
    info: dict[str, str] = field(default_factory=dict)


class Generator(Protocol):
    """A loaded model. ``generate`` is called from one thread at a time."""

    name: str
    device: str

    def generate(self, request: Request, progress: ProgressFn | None = None) -> list[Result]:
        """Return ``request.variations`` results; call ``progress(fraction)`` as work advances.

        ``progress`` may raise (the engine cancels a job that way); let it propagate.
        Raises ValueError (with a message a musician understands) for a request this model
        cannot serve.
        """
        ...
