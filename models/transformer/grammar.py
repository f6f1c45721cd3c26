"""Grammar of a target section as small pure functions that mask logits; the harmony bias on pitches, the key bias on chords."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.music.keys import in_key
from models.music.meter import TICKS_PER_BEAT, beats_per_bar
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
    density_bucket,
    meter_ticks,
)

V = len(VOCAB)
# Lowest and highest pitch a track may write, and how many notes may start together.
PITCH_RANGE = {"melody": (48, 96), "counter": (43, 91), "keys": (36, 96), "bass": (24, 62), "pad": (43, 88),
               "arp": (36, 96), "drums": (27, 87), "soprano": (55, 84), "alto": (50, 79), "tenor": (43, 72),
               "bassvoice": (33, 65)}
MAX_POLYPHONY = {"keys": 6, "pad": 5, "arp": 1, "drums": 4}
# The latest tick of the first note in a track's first freely written 4/4 bar (``entries``).
# In one POP909 song in six a run of annotated bar lines sits a beat off the music (models/data/pop909.py,
# ``aligned_bars``): the shipped model learnt that a song may be a beat late and, with nothing before
# it, chose that in about a fifth of its 4/4 accompaniments, then kept it in every bar (issue 15). In
# aligned songs the bass starts on the bar line and the keys within the first beat in 95 % of bars.
# POP909 is all 4/4; in the meters it did not learn every bar is held to it (``entries``).
ENTER_BY = {"bass": 0, "keys": TICKS_PER_BEAT - 1}
ENTER_BY_METERS = ((4, 4),)

# Parts that play in every bar unless the chords rest there (an ``N`` bar): a written part that stops
# is heard as a fault (issue 15: 3 bass notes in 8 bars of 3/4).
EVERY_BAR = ("bass", "keys", "pad", "arp")
# The meters the model learnt its accompaniment parts (``EVERY_BAR``, all from POP909) in: POP909 is
# all 4/4 (``Section.meter`` steers the others; the melody and the chorale voices learnt more meters).
LEARNT_METERS = ((4, 4),)
COMPOUND_METERS = ((6, 8), (12, 8))
EIGHTH = TICKS_PER_BEAT // 2


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
    # (first, latest) ticks of windows that must each hold an onset, in order: each bar's entry
    # (``ENTER_BY``) and, for ``EVERY_BAR`` parts, a note in every bar (``entries``)
    entries: tuple[tuple[int, int], ...] = ()
    key: tuple[int, str] | None = None  # chords: (tonic pitch class, mode) to keep them in, see ``key_bias``
    meter: tuple[int, int] | None = None  # a meter the model did not learn: ``meter_bias``, notes end by the bar line


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
        last = len(DURATIONS)
        if sec.meter is not None:  # the chord of the next bar is not this one's: do not hold over the bar line
            last = max(first + 1, _DURATION_ENDS[sec.bar_ticks - state.pos])
        mask[DUR0 + first:DUR0 + last] = True
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
    # the windows still to fill: no position past the next one's latest tick, none before it when the
    # onsets the density leaves are all needed there, and no end before they are filled
    pending = [window for window in sec.entries if window[0] > state.pos]
    if state.onsets < most and last > state.pos:
        mask[POS0 + state.pos + 1:POS0 + min(last, pending[0][1] if pending else sec.bar_ticks) + 1] = True
        if pending and most - state.onsets <= len(pending):
            mask[POS0 + state.pos + 1:POS0 + pending[0][0]] = False
    if (state.onsets >= fewest and not pending) or not mask.any():
        mask[sec.end] = True
    return mask


# For each number of ticks left in the bar, how many durations (from the shortest) fit in them.
_DURATION_ENDS = tuple(sum(d <= left for d in DURATIONS) for left in range(max(DURATIONS) + 1))


def entries(track: str, meter: tuple[int, int], first: bool, downbeats: Sequence[int],
            bar_ticks: int) -> tuple[tuple[int, int], ...]:
    """The windows a freely written bar must put an onset in (``Section.entries``).

    ``downbeats``: the ticks where the bars the request counts start (several when a 4/4 bar of the
    model stands for two of 2/4 or 6/8, ``models.transformer.meters``), less the bars where the
    chords rest; ``bar_ticks``: the ticks of one of them. ``ENTER_BY`` parts start each on time: in
    4/4 only the first bar (later bars follow what the model wrote before), in the meters the model
    did not learn every bar, the keys within the first eighth in 6/8 and 12/8 written in their own
    bars. Other ``EVERY_BAR`` parts just play in each."""
    native = meter in LEARNT_METERS and len(downbeats) <= 1 and bar_ticks == meter_ticks(meter)
    latest = ENTER_BY.get(track) if (first and meter in ENTER_BY_METERS) or not native else None
    if latest is not None and track == "keys" and meter in COMPOUND_METERS:
        latest = EIGHTH - 1
    if latest is None and track not in EVERY_BAR:
        return ()
    return tuple((tick, tick + (bar_ticks - 1 if latest is None else latest)) for tick in downbeats)


# The lowest density bucket of the keys in 3/4 (written in its own bars): there the model holds one
# chord a bar; a waltz has the keys on the beats after the bass.
METER_DENSITY = {(3, 4): {"keys": 2}}


def min_density(track: str, meter: tuple[int, int], first: bool, windows: int) -> int:
    """The lowest density bucket of a freely written bar: 1 (not empty) for a track's first bar, room for
    one onset per window (``entries``) and more in meters the model did not learn (``METER_DENSITY``)."""
    floor = METER_DENSITY.get(meter, {}).get(track, 0) if windows else 0
    return max(floor, int(first), density_bucket(windows))


def meter_bias(state: State, logits: np.ndarray, legal: np.ndarray) -> np.ndarray | None:
    """``logits`` with the next position pulled towards the beats of a meter the model did not learn
    (None when nothing applies): in 6/8 and 12/8 to the dotted-quarter beats (the bass on eighths 1 and
    4, the keys in groups of three eighths), in 3/4 and 2/4 to the quarter beats, off the sixteenths.
    The ``legal`` positions are shifted together so that their total probability, and so the chance
    that the section ends here, stays the network's."""
    sec = state.section
    if sec.meter is None or sec.rhythm is not None or state.stage not in ("body", "pitch"):
        return None
    span = slice(POS0 + state.pos + 1, POS0 + sec.bar_ticks)
    allowed = legal[span]
    if allowed.sum() < 2:
        return None
    prior = _position_prior(sec.track, sec.meter)[state.pos + 1:]
    before = logits[span][allowed].astype(np.float64)
    after = before + prior[allowed]
    top = max(before.max(), after.max())
    shift = np.log(np.exp(before - top).sum()) - np.log(np.exp(after - top).sum())
    out = logits.copy()
    out[span] = np.where(allowed, logits[span] + prior + shift, logits[span])
    return out


# Log-weights of a position by what it is in a meter the model did not learn: (beat, eighth, finer).
# The bass keeps to the beats (1 and 4 of the eighths in 6/8); the keys may fill the eighths between.
POSITION_WEIGHTS = {"compound": {"bass": (0.0, -2.5, -6.0), "other": (0.0, -1.0, -5.0)},
                    "simple": {"bass": (0.0, -1.0, -3.0), "other": (0.0, -0.3, -1.5)}}


@functools.lru_cache(maxsize=64)
def _position_prior(track: str, meter: tuple[int, int]) -> np.ndarray:
    compound = meter in COMPOUND_METERS
    beat = 3 * EIGHTH if compound else TICKS_PER_BEAT
    table = POSITION_WEIGHTS["compound" if compound else "simple"]
    on_beat, on_eighth, finer = table.get(track, table["other"])
    ticks = round(beats_per_bar(meter) * TICKS_PER_BEAT)
    prior = np.array([on_beat if t % beat == 0 else on_eighth if t % EIGHTH == 0 else finer for t in range(ticks)])
    prior.flags.writeable = False
    return prior


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
