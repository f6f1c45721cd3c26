"""The drum-event vocabulary: conditioning tokens, bars of (position, hit, micro-timing) tokens, and its grammar.

A sequence is ``BOS STYLE_s TEMPO_t METER_m``, then per bar ``BAR FLAG_beat|FLAG_fill`` and the bar's
hits in time order: ``POS_p`` (a point of the 12-per-beat grid: sixteenths and eighth-note triplets)
once per grid point, then for each hit there ``HIT_i_v`` (instrument class ``i``, velocity bin ``v``)
and ``OFF_k`` (how far the drummer played from the grid point, in 1/96-beat bins within half a grid
step). Hits at one grid point come in instrument order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from models.drums.kit import DRUM_METERS, DRUM_STYLES, INSTRUMENTS

GRID = 12  # grid points per quarter-note beat: the project's tick grid (models.music.meter.TICKS_PER_BEAT)
VELOCITY_BINS = 10
OFFSET_BINS = 8
OFFSET_RANGE = 0.5 / GRID  # beats either side of a grid point: half a grid step
MAX_POSITIONS = 5 * GRID  # the longest bar the model writes, 5/4
TEMPO_EDGES = (70, 80, 90, 100, 110, 120, 135, 150, 170)  # bpm; TEMPO_0 is below 70


@dataclass(frozen=True, slots=True)
class DrumHit:
    """One stroke: onset in beats from the start of the part, General MIDI drum note, velocity 1-127."""

    onset_beats: float
    note: int
    velocity: int


class _Vocab:
    """Token names and the first id of each family."""

    def __init__(self) -> None:
        names = ["PAD", "BOS", "EOS", "BAR", "FLAG_beat", "FLAG_fill"]
        self.style0 = len(names)
        names += [f"STYLE_{s}" for s in DRUM_STYLES]
        self.tempo0 = len(names)
        names += [f"TEMPO_{i}" for i in range(len(TEMPO_EDGES) + 1)]
        self.meter0 = len(names)
        names += [f"METER_{a}/{b}" for a, b in DRUM_METERS]
        self.pos0 = len(names)
        names += [f"POS_{p}" for p in range(MAX_POSITIONS)]
        self.hit0 = len(names)
        names += [f"HIT_{i}_{v}" for i in range(len(INSTRUMENTS)) for v in range(VELOCITY_BINS)]
        self.off0 = len(names)
        names += [f"OFF_{k}" for k in range(OFFSET_BINS)]
        self.names = tuple(names)

    def __len__(self) -> int:
        return len(self.names)


VOCAB = _Vocab()
PAD, BOS, EOS, BAR, FLAG_BEAT, FLAG_FILL = range(6)
VOCAB_VERSION = 1


def style_token(style: str) -> int:
    return VOCAB.style0 + DRUM_STYLES.index(style)


def tempo_token(bpm: float) -> int:
    return VOCAB.tempo0 + sum(bpm >= edge for edge in TEMPO_EDGES)


def meter_token(meter: tuple[int, int]) -> int:
    return VOCAB.meter0 + DRUM_METERS.index(tuple(meter))


def header(style: str, bpm: float, meter: tuple[int, int]) -> list[int]:
    """The conditioning tokens that open every sequence."""
    return [BOS, style_token(style), tempo_token(bpm), meter_token(meter)]


def bar_positions(meter: tuple[int, int]) -> int:
    """Grid points in one bar of ``meter`` (4/4 -> 48, 6/8 -> 36)."""
    return round(meter[0] * 4 / meter[1] * GRID)


def velocity_bin(velocity: int) -> int:
    return min(VELOCITY_BINS - 1, (max(1, min(127, velocity)) - 1) * VELOCITY_BINS // 127)


def bin_velocity(index: int) -> int:
    """The middle velocity of a bin."""
    return int(round(1 + (index + 0.5) * 127 / VELOCITY_BINS))


def offset_bin(offset_beats: float) -> int:
    k = math.floor((offset_beats + OFFSET_RANGE) / (2 * OFFSET_RANGE) * OFFSET_BINS)
    return min(OFFSET_BINS - 1, max(0, k))


def bin_offset(index: int) -> float:
    """The middle offset (beats) of a bin."""
    return -OFFSET_RANGE + (index + 0.5) * 2 * OFFSET_RANGE / OFFSET_BINS


def encode_bars(hits: Iterable[DrumHit], meter: tuple[int, int], bars: int) -> list[list[int]]:
    """The event tokens of each of ``bars`` bars (no BAR or FLAG), hits outside them dropped.

    Each hit goes to its nearest grid point (a hit just before a bar line opens the next bar, played
    early); notes that are not drum notes the kit knows are dropped.
    """
    from models.drums.kit import instrument_of

    size = bar_positions(meter)
    keyed = []
    for hit in hits:
        instrument = instrument_of(hit.note)
        if instrument is None:
            continue
        tick = round(hit.onset_beats * GRID)
        if 0 <= tick < bars * size:
            keyed.append((tick, instrument, offset_bin(hit.onset_beats - tick / GRID), velocity_bin(hit.velocity)))
    out: list[list[int]] = [[] for _ in range(bars)]
    last_tick = -1
    for tick, instrument, offset, velocity in sorted(keyed):
        if tick != last_tick:
            out[tick // size].append(VOCAB.pos0 + tick % size)
            last_tick = tick
        out[tick // size] += [VOCAB.hit0 + instrument * VELOCITY_BINS + velocity, VOCAB.off0 + offset]
    return out


def decode_bar(tokens: Sequence[int], meter: tuple[int, int], bar: int, quantise: bool = False) -> list[DrumHit]:
    """Hits of one bar's event tokens (grid point + offset bin; ``quantise`` puts them on the grid)."""
    size = bar_positions(meter)
    hits, position, pending = [], 0, None
    for token in tokens:
        if VOCAB.pos0 <= token < VOCAB.hit0:
            position = token - VOCAB.pos0
        elif VOCAB.hit0 <= token < VOCAB.off0:
            pending = divmod(token - VOCAB.hit0, VELOCITY_BINS)
        elif token >= VOCAB.off0 and pending is not None:
            instrument, velocity = pending
            onset = (bar * size + position) / GRID + (0.0 if quantise else bin_offset(token - VOCAB.off0))
            hits.append(DrumHit(max(0.0, onset), INSTRUMENTS[instrument], bin_velocity(velocity)))
            pending = None
    return hits


class Grammar:
    """Where a bar's token stream stands, and which tokens may come next (a boolean mask)."""

    def __init__(self, meter: tuple[int, int]) -> None:
        self.size = bar_positions(meter)
        self.start_bar()

    def start_bar(self) -> None:
        self.position, self.instrument, self.expect, self.hits = -1, 0, "event", 0

    def legal(self) -> np.ndarray:
        mask = np.zeros(len(VOCAB), dtype=bool)
        if self.expect == "off":
            mask[VOCAB.off0:VOCAB.off0 + OFFSET_BINS] = True
            return mask
        if self.expect == "event" and self.position >= 0:  # another hit at this grid point, instrument order
            mask[VOCAB.hit0 + self.instrument * VELOCITY_BINS:VOCAB.off0] = True
        if self.expect == "hit":
            mask[VOCAB.hit0:VOCAB.off0] = True
            return mask
        mask[VOCAB.pos0 + self.position + 1:VOCAB.pos0 + self.size] = True
        if self.hits:  # a bar is never left empty
            mask[BAR] = True
        return mask

    def advance(self, token: int) -> None:
        if VOCAB.pos0 <= token < VOCAB.hit0:
            self.position, self.instrument, self.expect = token - VOCAB.pos0, 0, "hit"
        elif VOCAB.hit0 <= token < VOCAB.off0:
            self.instrument, self.expect = (token - VOCAB.hit0) // VELOCITY_BINS, "off"
            self.hits += 1
        elif token >= VOCAB.off0:
            self.expect = "event"
        elif token == BAR:
            self.start_bar()
