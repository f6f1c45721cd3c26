"""The token vocabulary and the one reader of its grammar: what each token is, and where a stream stands.

A stream is ``BOS STYLE``, then per bar ``BAR METER`` and sections, each a track token (``C_`` a
given track, ``T_`` a written one) and a body: ``DENS VEL (POS (DUR PITCH+)+)*`` for notes,
``(POS (ROOT QUAL [BASS] | CHORD_N))*`` for chords. The encoders write it, the grammar masks
(``grammar.py``) follow it, ``decode`` and the voice tracker read it, all through ``KIND`` and ``INDEX``.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

from models.music.chords import QUALITIES
from models.music.meter import TICKS_PER_BEAT, beats_per_bar
from models.types import METERS, STYLES

TOKENIZER_VERSION = 1
# Tracks of the token stream. "chord" holds chord symbols; the rest hold notes. Chorale and
# renaissance textures use the four voices; POP909 uses melody, counter (its BRIDGE), keys, bass.
TRACKS = ("chord", "melody", "counter", "keys", "bass", "pad", "arp", "drums",
          "soprano", "alto", "tenor", "bassvoice")
NOTE_TRACKS = TRACKS[1:]
ROLES = ("control", "target")
MAX_BAR_TICKS = 72  # 12/8 = 6 beats
DURATIONS = (1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16, 18, 20, 24, 30, 32, 36, 42, 48, 54, 60, 72, 84, 96,
             120, 144, 168, 192)
DENSITY_EDGES = (0, 1, 2, 3, 5, 7, 10, 15)  # onsets per bar: bucket k holds counts >= edge k
VELOCITY_LEVELS = 8  # velocity // 16
CHORD_QUALITIES = tuple(q for q in QUALITIES if q != "N")


def meter_ticks(meter: tuple[int, int]) -> int:
    """Ticks in one bar of ``meter``."""
    return round(beats_per_bar(meter) * TICKS_PER_BEAT)


def density_bucket(onsets: int) -> int:
    """Index of the density token for ``onsets`` onsets in a bar."""
    return bisect.bisect_right(DENSITY_EDGES, onsets) - 1


def duration_index(ticks: float) -> int:
    """Nearest duration token (log scale) for a duration in ticks."""
    ticks = max(ticks, 1.0)
    return min(range(len(DURATIONS)), key=lambda i: abs(math.log(DURATIONS[i] / ticks)))


def velocity_of(level: int) -> int:
    """The MIDI velocity a ``VEL`` level stands for."""
    return max(1, min(127, level * 16 + 8))


@dataclass(frozen=True)
class Vocab:
    """Token ids by name; built once from the constants above (the order is part of the version)."""

    names: tuple[str, ...]
    ids: dict[str, int] = field(repr=False)

    @classmethod
    def build(cls) -> Vocab:
        names = ["PAD", "BOS", "EOS", "BAR"]
        names += [f"STYLE_{s}" for s in STYLES]
        names += [f"METER_{a}/{b}" for a, b in METERS]
        names += [f"{role[0].upper()}_{track}" for role in ROLES for track in TRACKS]
        names += [f"DENS_{k}" for k in range(len(DENSITY_EDGES))]
        names += [f"VEL_{k}" for k in range(VELOCITY_LEVELS)]
        names += [f"POS_{t}" for t in range(MAX_BAR_TICKS)]
        names += [f"DUR_{d}" for d in DURATIONS]
        names += [f"PITCH_{p}" for p in range(128)]
        names += [f"ROOT_{r}" for r in range(12)]
        names += [f"QUAL_{q}" for q in CHORD_QUALITIES]
        names += ["CHORD_N"]
        names += [f"BASS_{r}" for r in range(12)]
        return cls(tuple(names), {n: i for i, n in enumerate(names)})

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, name: str) -> int:
        return self.ids[name]

    def track_token(self, role: str, track: str) -> int:
        return self.ids[f"{role[0].upper()}_{track}"]


VOCAB = Vocab.build()
PAD, BOS, BAR = VOCAB["PAD"], VOCAB["BOS"], VOCAB["BAR"]
STYLE0, METER0 = VOCAB[f"STYLE_{STYLES[0]}"], VOCAB["METER_{}/{}".format(*METERS[0])]
CTRACK0, TTRACK0 = VOCAB["C_chord"], VOCAB["T_chord"]
DENS0, VEL0 = VOCAB["DENS_0"], VOCAB["VEL_0"]
POS0, DUR0, PITCH0 = VOCAB["POS_0"], VOCAB[f"DUR_{DURATIONS[0]}"], VOCAB["PITCH_0"]
ROOT0, QUAL0, CHORD_N, BASS0 = VOCAB["ROOT_0"], VOCAB[f"QUAL_{CHORD_QUALITIES[0]}"], VOCAB["CHORD_N"], VOCAB["BASS_0"]


def _kinds() -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Per token id: its kind (the name before '_'; 'TRACK' for C_ and T_) and its index within the kind."""
    kinds = tuple("TRACK" if name[:2] in ("C_", "T_") else name.split("_", 1)[0] for name in VOCAB.names)
    first: dict[str, int] = {}
    for token, kind in enumerate(kinds):
        first.setdefault(kind, token)
    return kinds, tuple(token - first[kind] for token, kind in enumerate(kinds))


# What token ``t`` is: KIND[t] ('BAR', 'METER', 'TRACK', 'POS', 'DUR', 'PITCH', 'ROOT', 'QUAL', ...) and
# INDEX[t], its place among its kind: the tick of a POS, the pitch of a PITCH, an index into METERS,
# DURATIONS, CHORD_QUALITIES or the (role, track) pairs of a TRACK.
KIND, INDEX = _kinds()


def track_of(token: int) -> tuple[str, str] | None:
    """``(role, track)`` of a track token, else None."""
    if KIND[token] != "TRACK":
        return None
    return ROLES[INDEX[token] // len(TRACKS)], TRACKS[INDEX[token] % len(TRACKS)]


class StreamReader:
    """Where a token stream stands, read token by token: the bar (start and length in ticks), the
    section (role and track) and, in a note section, the position, duration and velocity.
    Tokens out of place (a METER before any BAR, note tokens outside a section) change nothing."""

    def __init__(self) -> None:
        self.bars = 0  # BAR tokens read
        self.bar_start, self.bar_ticks = 0, meter_ticks((4, 4))  # ticks from the first bar's start
        self.meter: tuple[int, int] = (4, 4)
        self.role: str | None = None
        self.track: str | None = None
        self.tick, self.duration, self.velocity = 0, DURATIONS[0], 80  # ticks, ticks, MIDI velocity

    def read(self, token: int) -> str:
        """Take one token; returns its kind."""
        kind = KIND[token]
        if kind == "BAR":
            if self.bars:
                self.bar_start += self.bar_ticks
            self.bars += 1
            self.meter, self.role, self.track = (4, 4), None, None
        elif kind == "METER":
            if self.bars:
                self.meter = METERS[INDEX[token]]
                self.bar_ticks = meter_ticks(self.meter)
        elif kind == "TRACK":
            self.role, self.track = track_of(token)  # type: ignore[misc]
            self.tick, self.duration = 0, DURATIONS[0]
        elif self.track is None:
            pass
        elif kind == "VEL":
            self.velocity = velocity_of(INDEX[token])
        elif kind == "POS":
            self.tick = INDEX[token]
        elif kind == "DUR":
            self.duration = DURATIONS[INDEX[token]]
        return kind

    @property
    def start_beats(self) -> float:
        """The current position in beats from the first bar."""
        return self.bar_start / TICKS_PER_BEAT + self.tick / TICKS_PER_BEAT
