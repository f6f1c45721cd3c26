"""A style classifier for one part over a few bars: rhythm, articulation, texture and melodic-motion features (no
velocity, no absolute pitch) and a softmax regression over them; bench/bench_transfer.py fits it on human music."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.harmony.melody_fit import fit_softmax, log_softmax
from models.music.meter import TICKS_PER_BEAT
from models.types import Note

SPAN_EDGES = (0.2, 0.3, 0.4, 0.6, 0.8, 1.1, 1.6, 2.2, 3.5)  # beats: bins of inter-onset intervals and durations
FEATURES = TICKS_PER_BEAT + 2 * (len(SPAN_EDGES) + 1) + 4 + 6


def _histogram(values: Sequence[float], edges: Sequence[float]) -> np.ndarray:
    counts = np.bincount(np.searchsorted(edges, values), minlength=len(edges) + 1).astype(float)
    return counts / max(counts.sum(), 1.0)


def style_features(notes: Sequence[Note], total_beats: float) -> np.ndarray:
    """A fixed-length description of a part's style over ``total_beats``: where in the beat its onsets fall, its
    inter-onset intervals and durations, its melodic motion (repeats, steps, leaps, large leaps), and density,
    chord size, legato, rests and range. Velocity and absolute register are left out: a transfer keeps its source's."""
    ordered = sorted(notes, key=lambda n: (n.start_beats, -n.pitch))
    onsets: dict[float, list[Note]] = {}
    for note in ordered:
        onsets.setdefault(round(note.start_beats * TICKS_PER_BEAT) / TICKS_PER_BEAT, []).append(note)
    times = sorted(onsets)
    ticks = [round(t * TICKS_PER_BEAT) % TICKS_PER_BEAT for t in times]
    position = np.bincount(ticks, minlength=TICKS_PER_BEAT).astype(float) / max(len(ticks), 1)
    gaps = np.diff(times) if len(times) > 1 else np.array([total_beats])
    top = [max(group, key=lambda n: n.pitch).pitch for group in (onsets[t] for t in times)]
    moves = np.abs(np.diff(top)) if len(top) > 1 else np.zeros(1)
    motion = np.array([np.mean(moves == 0), np.mean((moves > 0) & (moves <= 2)), np.mean((moves > 2) & (moves <= 7)),
                       np.mean(moves > 7)])
    sounding = np.zeros(max(int(np.ceil(total_beats)), 1), dtype=bool)
    for note in ordered:
        sounding[int(note.start_beats):int(np.ceil(note.end_beats))] = True
    legato = [min(onsets[t][0].duration_beats / g, 2.0) for t, g in zip(times, gaps)] if len(times) > 1 else [1.0]
    pitches = [n.pitch for n in ordered] or [0]
    shape = np.array([np.log1p(len(times) / max(total_beats, 1e-6)),
                      np.mean([len(g) for g in onsets.values()] or [0]) / 4,
                      np.mean(legato), 1 - sounding.mean(), np.std(pitches) / 12, (max(pitches) - min(pitches)) / 24])
    return np.concatenate([position, _histogram(gaps, SPAN_EDGES),
                           _histogram([n.duration_beats for n in ordered] or [0.0], SPAN_EDGES), motion, shape])


@dataclass
class StyleClassifier:
    """Softmax regression on standardised ``style_features``."""

    styles: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray

    @classmethod
    def fit(cls, rows: np.ndarray, labels: Sequence[str], steps: int = 600) -> StyleClassifier:
        """Fitted on ``rows`` (N, FEATURES) labelled with style names; classes balanced by resampling."""
        styles = tuple(sorted(set(labels)))
        index = np.array([styles.index(label) for label in labels])
        most = max(np.bincount(index))
        rng = np.random.default_rng(0)
        chosen = np.concatenate([rng.choice(np.flatnonzero(index == k), most) for k in range(len(styles))])
        mean, scale = rows.mean(axis=0), rows.std(axis=0) + 1e-6
        weights = fit_softmax(cls._design((rows[chosen] - mean) / scale), index[chosen], len(styles), steps, 1e-3)
        return cls(styles, mean, scale, weights)

    @staticmethod
    def _design(x: np.ndarray) -> np.ndarray:
        return np.hstack([x, np.ones((len(x), 1))])

    def predict(self, rows: np.ndarray) -> list[str]:
        scores = log_softmax(self._design((np.atleast_2d(rows) - self.mean) / self.scale) @ self.weights)
        return [self.styles[k] for k in scores.argmax(axis=1)]

