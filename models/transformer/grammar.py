"""Grammar of a target section as small pure functions that mask logits; the harmony bias on pitches, the key bias on chords."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from models.music.keys import in_key
from models.music.meter import TICKS_PER_BEAT
from models.transformer.tokens import (
    BASS0,
    CHORD_N,
    CHORD_QUALITIES,
    DENS0,
    DENSITY_EDGES,
    DUR0,
    DURATIONS,
    INDEX,
    KIND,
    PITCH0,
    POS0,
    QUAL0,
    ROOT0,
    VEL0,
    VELOCITY_LEVELS,
    VOCAB,
)

V = len(VOCAB)
# Lowest and highest pitch a track may write, and how many notes may start together.
PITCH_RANGE = {"melody": (48, 96), "counter": (43, 91), "keys": (36, 96), "bass": (24, 62), "pad": (43, 88),
               "arp": (36, 96), "drums": (27, 87), "soprano": (55, 84), "alto": (50, 79), "tenor": (43, 72),
               "bassvoice": (33, 65)}
MAX_POLYPHONY = {"keys": 6, "pad": 5, "arp": 1, "drums": 4}
# The latest tick of the first note in a track's first freely written 4/4 bar (``Section.enter_by``).
# In one POP909 song in six a run of annotated bar lines sits a beat off the music (models/data/pop909.py,
# ``aligned_bars``): the shipped model learnt that a song may be a beat late and, with nothing before
# it, chose that in about a fifth of its 4/4 accompaniments, then kept it in every bar (issue 15). In
# aligned songs the bass starts on the bar line and the keys within the first beat in 95 % of bars.
# POP909 is all 4/4; in other meters (pop never seen there) the rule left more bars empty, so it stays off.
ENTER_BY = {"bass": 0, "keys": TICKS_PER_BEAT - 1}
ENTER_BY_METERS = ((4, 4),)


@dataclass(frozen=True)
class Section:
    """What one target section may contain.

    ``rhythm``: if given, the exact (tick, duration index, note count) events to write (pitches are
    sampled); ``density``: a forced density bucket (else ``min_density`` is the lowest allowed);
    ``end``: the token that closes the section;
    ``chords``: (tick, pitch classes) of the given chords in this bar, for ``harmony_bias``;
    ``key``: a chord section's key, for ``key_bias``.
    """

    track: str
    bar_ticks: int
    end: int
    density: int | None = None
    velocity: int | None = None
    rhythm: tuple[tuple[int, int, int], ...] | None = None
    chords: tuple[tuple[int, frozenset[int]], ...] = ()
    min_density: int = 0  # the lowest density bucket to allow when ``density`` is not forced (1: not empty)
    enter_by: int | None = None  # the latest tick for the first note (None: any), see ``ENTER_BY``
    key: tuple[int, str] | None = None  # chords: (tonic pitch class, mode) to keep them in, see ``key_bias``


@dataclass(frozen=True)
class State:
    """Where decoding stands inside a section: the stage and what was last written."""

    section: Section
    stage: str = "start"  # start, dens, body, pos, dur, pitch (notes) / root, qual, done (chords)
    pos: int = -1
    dur: int = -1
    pitch: int = -1
    at_pos: int = 0  # notes started at the current position
    onsets: int = 0
    density: int = 0
    event: int = 0  # index into section.rhythm
    root: int = -1  # chords: the root just written

    @property
    def is_chord(self) -> bool:
        return self.section.track == "chord"


def start(section: Section) -> State:
    """The state right after the section's track token."""
    return State(section, "body" if section.track == "chord" else "start")


def _onset_bounds(state: State) -> tuple[int, int]:
    """(fewest, most) onsets the chosen density bucket allows."""
    low = DENSITY_EDGES[state.density]
    high = DENSITY_EDGES[state.density + 1] - 1 if state.density + 1 < len(DENSITY_EDGES) else 10**6
    return low, high


def legal_tokens(state: State) -> np.ndarray:
    """Boolean mask ``(V,)`` of the tokens the grammar allows next."""
    mask = np.zeros(V, dtype=bool)
    sec = state.section
    if state.is_chord:
        if state.stage == "pos":
            mask[ROOT0:ROOT0 + 12] = True
            mask[CHORD_N] = True
        elif state.stage == "root":
            mask[QUAL0:QUAL0 + len(CHORD_QUALITIES)] = True
        else:
            if state.stage == "qual":
                mask[BASS0:BASS0 + 12] = True
            if state.pos < 0:
                mask[POS0] = True  # every bar states its downbeat chord
            else:
                mask[POS0 + state.pos + 1:POS0 + sec.bar_ticks] = True
                mask[sec.end] = True
        return mask
    if state.stage == "start":
        if sec.density is not None:
            mask[DENS0 + sec.density] = True
        else:
            mask[DENS0 + sec.min_density:DENS0 + len(DENSITY_EDGES)] = True
        return mask
    if state.stage == "dens":
        if sec.velocity is not None:
            mask[VEL0 + sec.velocity] = True
        else:
            mask[VEL0:VEL0 + VELOCITY_LEVELS] = True
        return mask
    lo, hi = PITCH_RANGE.get(sec.track, (0, 127))
    fewest, most = _onset_bounds(state)
    if sec.rhythm is not None:
        return _rhythm_mask(state, mask, lo, hi)
    if state.stage == "pos":
        first = state.dur + 1 if state.dur >= 0 else 0
        mask[DUR0 + first:DUR0 + len(DURATIONS)] = True
        return mask
    if state.stage == "dur":
        mask[PITCH0 + max(lo, state.pitch + 1):PITCH0 + hi + 1] = True
        if not mask.any():
            mask[PITCH0 + hi] = True
        return mask
    if state.stage == "pitch" and state.at_pos < MAX_POLYPHONY.get(sec.track, 1):
        mask[PITCH0 + max(lo, state.pitch + 1):PITCH0 + hi + 1] = True
        mask[DUR0 + state.dur + 1:DUR0 + len(DURATIONS)] = True
    # the last position that still leaves a tick for every onset the density asks for
    last = min(sec.bar_ticks - 1, sec.bar_ticks - (fewest - state.onsets))
    if state.onsets < most and last > state.pos:
        mask[POS0 + state.pos + 1:POS0 + last + 1] = True
        if sec.enter_by is not None and state.onsets == 0:
            mask[POS0 + sec.enter_by + 1:POS0 + last + 1] = False
    if state.onsets >= fewest or not mask.any():
        mask[sec.end] = True
    return mask


def _rhythm_mask(state: State, mask: np.ndarray, lo: int, hi: int) -> np.ndarray:
    events = state.section.rhythm or ()
    if state.stage == "pos":
        mask[DUR0 + events[state.event][1]] = True
    elif state.stage in ("dur", "pitch") and state.at_pos < events[state.event][2]:
        mask[PITCH0 + max(lo, state.pitch + 1):PITCH0 + hi + 1] = True
        if not mask.any():
            mask[PITCH0 + hi] = True
    elif state.event + (state.stage == "pitch") < len(events):
        mask[POS0 + events[state.event + (state.stage == "pitch")][0]] = True
    else:
        mask[state.section.end] = True
    return mask


def _moved(state: State, **changes: object) -> State:
    """``dataclasses.replace`` for the decoding loop: the frozen State copied without running its
    ``__init__`` (a few µs per sampled token less)."""
    new = object.__new__(State)
    new.__dict__.update(state.__dict__, **changes)
    return new


def advance(state: State, token: int) -> State:
    """The state after ``token`` (which ``legal_tokens`` allowed)."""
    kind, index = KIND[token], INDEX[token]
    if state.is_chord:
        if kind == "POS":
            return _moved(state, stage="pos", pos=index)
        if kind == "ROOT":
            return _moved(state, stage="root", root=index)
        if kind == "QUAL":
            return _moved(state, stage="qual")
        return _moved(state, stage="done")  # CHORD_N or BASS
    if kind == "DENS":
        return _moved(state, stage="dens", density=index)
    if kind == "VEL":
        return _moved(state, stage="body")
    if kind == "POS":
        event = state.event + (state.stage == "pitch" and state.section.rhythm is not None)
        return _moved(state, stage="pos", pos=index, dur=-1, pitch=-1, at_pos=0, onsets=state.onsets + 1, event=event)
    if kind == "DUR":
        return _moved(state, stage="dur", dur=index, pitch=-1)
    if kind == "PITCH":
        return _moved(state, stage="pitch", pitch=index, at_pos=state.at_pos + 1)
    return _moved(state, stage="done")


# How much less likely a pitch outside the sounding chord is made, per part (1.0: untouched).
# The Markov baseline zeroes them for keys, pad and arp; here they stay possible (passing tones).
HARMONY_WEIGHT = {"keys": 0.05, "pad": 0.02, "arp": 0.05, "bass": 0.1, "counter": 0.5, "melody": 1.0}
_PITCH_CLASS = np.arange(128) % 12


def harmony_bias(state: State, strength: float = 1.0) -> np.ndarray | None:
    """Log-weights ``(128,)`` to add to the pitch logits: non-chord tones of the given chord at the
    current position pushed down by the part's ``HARMONY_WEIGHT`` (None when nothing applies)."""
    sec = state.section
    weight = HARMONY_WEIGHT.get(sec.track, 1.0) ** strength
    if not sec.chords or weight >= 1.0 or state.stage not in ("dur", "pitch"):
        return None
    pcs = None
    for tick, chord in sec.chords:
        if tick <= state.pos:
            pcs = chord
    if not pcs:
        return None
    return _bias_table(pcs, weight)


@functools.lru_cache(maxsize=512)
def _bias_table(pcs: frozenset[int], weight: float) -> np.ndarray:
    table = np.where(np.isin(_PITCH_CLASS, list(pcs)), 0.0, np.log(weight))
    table.flags.writeable = False
    return table


# How much less likely a chord outside the section's key (its scale's chords and common borrowed ones,
# ``models.music.keys.in_key``) is made: a root that has no chord of the key, a quality that leaves it.
KEY_WEIGHT = 0.05


def key_bias(state: State) -> tuple[int, np.ndarray] | None:
    """(first token, log-weights) to add to the logits from that token on, for the next token of a chord
    section with a key: its ROOT (stage pos) or QUAL (stage root) tokens; None elsewhere."""
    key = state.section.key
    if key is None or not state.is_chord or state.stage not in ("pos", "root"):
        return None
    table = _key_table(key)  # (12 roots, qualities)
    return (ROOT0, table.max(axis=1)) if state.stage == "pos" else (QUAL0, table[state.root])


@functools.lru_cache(maxsize=24)
def _key_table(key: tuple[int, str]) -> np.ndarray:
    table = np.array([[0.0 if in_key(key, root, quality) else np.log(KEY_WEIGHT) for quality in CHORD_QUALITIES]
                      for root in range(12)])
    table.flags.writeable = False
    return table
