"""How well a chord fits a slot of melody: duration- and metric-weighted pitch classes, a learnt softmax over chords."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from models.types import Note

ANTICIPATION = 0.5  # beats: how early a held note may come before the half bar whose chord it belongs to
SUSTAINED = 0.6  # a note begun in an earlier slot counts less than one struck in this slot
EVIDENCE_BEATS = 1.0  # a slot with less weighted melody than this has its fit scaled down
FEATURES = 97  # 12 each: shares, sounding or not, first note, shares per half, shares either side, last note; 1


def metric_weight(offset_beats: float, beats_per_bar: float) -> float:
    """How much a note's onset position weighs: downbeat 1.5, mid-bar 1.25, other beats 1.1, off-beats 1."""
    position = offset_beats % beats_per_bar
    if position < 1e-6 or beats_per_bar - position < 1e-6:
        return 1.5
    if abs(position - beats_per_bar / 2) < 1e-6:
        return 1.25
    return 1.1 if abs(position - round(position)) < 1e-6 else 1.0


def on_the_beat(melody: Sequence[Note], grid_beats: float, early_beats: float = ANTICIPATION) -> list[Note]:
    """Anticipations moved onto the line they anticipate: a note struck up to ``early_beats`` before a
    multiple of ``grid_beats`` and held past it belongs to the chord after the line, as pop melodies sing it."""
    out = []
    for note in melody:
        line = math.ceil(note.start_beats / grid_beats - 1e-9) * grid_beats
        if 0 < line - note.start_beats <= early_beats + 1e-9 and note.end_beats > line + early_beats - 1e-9:
            note = Note(note.pitch, line, note.end_beats - line, note.velocity)
        out.append(note)
    return out


def slot_pitch_weights(melody: Sequence[Note], slots: Sequence[tuple[float, float]], beats_per_bar: float) -> np.ndarray:
    """(S, 12): duration- and metric-weighted melody pitch classes in each slot."""
    weights = np.zeros((len(slots), 12))
    starts = np.array([start for start, _ in slots])
    ends = np.array([start + length for start, length in slots])
    for note in on_the_beat(melody, beats_per_bar / 2):
        first = max(0, int(np.searchsorted(ends, note.start_beats + 1e-9, side="right")))
        for index in range(first, len(slots)):
            if starts[index] >= note.end_beats - 1e-9:
                break
            overlap = min(note.end_beats, ends[index]) - max(note.start_beats, starts[index])
            if overlap <= 1e-9:
                continue
            struck = note.start_beats >= starts[index] - 1e-6
            weight = metric_weight(note.start_beats, beats_per_bar) if struck else SUSTAINED
            weights[index, note.pitch % 12] += overlap * weight
    return weights


def _shares(weights: np.ndarray) -> np.ndarray:
    total = weights.sum(axis=1, keepdims=True)
    return weights / np.where(total > 0, total, 1.0)


def _sounding(melody: Sequence[Note], times: np.ndarray, tonic: int) -> np.ndarray:
    """(len(times), 12): one-hot of the melody note sounding at each time (above the tonic)."""
    out = np.zeros((len(times), 12))
    for note in melody:
        low = int(np.searchsorted(times, note.start_beats - 1e-6))
        high = int(np.searchsorted(times, note.end_beats - 1e-6))
        out[low:high, (note.pitch - tonic) % 12] = 1.0
    return out


def slot_features(melody: Sequence[Note], slots: Sequence[tuple[float, float]], beats_per_bar: float,
                  tonic: int) -> tuple[np.ndarray, np.ndarray]:
    """(S, FEATURES) key-relative features of each slot's melody and (S,) its evidence in [0, 1].

    Per slot: the pitch-class shares of the whole slot, of each half and of the slots either side,
    which classes sound at all, the note sounding as the slot begins and as it ends, and a bias.
    """
    weights = np.roll(slot_pitch_weights(melody, slots, beats_per_bar), -tonic, axis=1)  # (S, 12) above the tonic
    total = weights.sum(axis=1)
    halves = [(a + k * n / 2, n / 2) for a, n in slots for k in (0, 1)]
    half = np.roll(slot_pitch_weights(melody, halves, beats_per_bar), -tonic, axis=1)  # (2S, 12)
    shares = _shares(weights)
    pad = np.zeros((1, 12))
    around = np.vstack([pad, shares, pad])
    tune = on_the_beat(melody, beats_per_bar / 2)
    starts = np.array([a for a, _ in slots])
    ends = np.array([a + n - 1e-3 for a, n in slots])
    features = np.hstack([shares, (weights > 0).astype(float), _sounding(tune, starts, tonic),
                          _shares(half[0::2]), _shares(half[1::2]), around[:-2], around[2:],
                          _sounding(tune, ends, tonic), np.ones((len(slots), 1))])
    return features, np.minimum(1.0, total / EVIDENCE_BEATS)


CHANGE_EDGES = (0.1, 0.4, 0.75)  # histogram intersections that part a melody's change from slot to slot into bins
CHANGE_BINS = len(CHANGE_EDGES) + 2  # bin 0: one of the two slots has no melody


def melody_change(weights: np.ndarray) -> np.ndarray:
    """(S,) bin of how much the melody's pitch classes change from slot s-1 to slot s (0 for slot 0):
    1 almost the same notes ... 4 almost all new, 0 where either slot has no melody."""
    shares = _shares(weights)
    out = np.zeros(len(weights), dtype=np.int64)
    for s in range(1, len(weights)):
        if weights[s].sum() <= 0 or weights[s - 1].sum() <= 0:
            continue
        overlap = float(np.minimum(shares[s], shares[s - 1]).sum())
        out[s] = CHANGE_BINS - 1 - int(np.searchsorted(CHANGE_EDGES, overlap, side="right"))
    return out


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def fit_softmax(features: np.ndarray, labels: np.ndarray, classes: int, steps: int = 400,
                l2: float = 1e-4) -> np.ndarray:
    """(F, classes) weights of a softmax regression of ``labels`` on ``features``, fitted with Adam."""
    weights = np.zeros((features.shape[1], classes))
    target = np.eye(classes)[labels]
    m, v = np.zeros_like(weights), np.zeros_like(weights)
    for step in range(1, steps + 1):
        p = np.exp(log_softmax(features @ weights))
        grad = features.T @ (p - target) / len(labels) + l2 * weights
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad ** 2
        weights -= 0.05 * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
    return weights
