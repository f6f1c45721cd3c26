"""Yang & Lerch's six note features and their set comparison: pairwise distances, kernel densities, overlap and KL."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from models.types import Note

# Yang & Lerch 2020 ("On the evaluation of generative models in music", Neural Computing and
# Applications): pitch count per bar, note count per bar, pitch-class histogram, inter-onset
# interval, pitch range, note-length histogram.
FEATURES = ("pitch_count_per_bar", "note_count_per_bar", "pitch_class_histogram", "inter_onset_interval",
            "pitch_range", "note_length_histogram")

# The twelve note-length classes of the paper, in quarter-note beats: whole, half, quarter, eighth,
# sixteenth; the same dotted; half, quarter and eighth triplets.
NOTE_LENGTHS = (4.0, 2.0, 1.0, 0.5, 0.25, 3.0, 1.5, 0.75, 0.375, 4 / 3, 2 / 3, 1 / 3)
_GRID_POINTS = 2048


def _in_bar(note: Note, bar: int, beats: float) -> bool:
    """The note sounds somewhere in the bar (a held note counts in every bar it reaches)."""
    return note.start_beats < (bar + 1) * beats - 1e-6 and note.end_beats > bar * beats + 1e-6


def pitch_count_per_bar(notes: Sequence[Note], bars: int, beats: float) -> np.ndarray:
    """Distinct pitches sounding in each bar: a vector of ``bars`` counts."""
    return np.array([len({n.pitch for n in notes if _in_bar(n, bar, beats)}) for bar in range(bars)], float)


def note_count_per_bar(notes: Sequence[Note], bars: int, beats: float) -> np.ndarray:
    """Notes starting in each bar: a vector of ``bars`` counts."""
    counts = np.zeros(bars)
    for note in notes:
        bar = int(note.start_beats // beats + 1e-9)
        if 0 <= bar < bars:
            counts[bar] += 1
    return counts


def pitch_class_histogram(notes: Sequence[Note]) -> np.ndarray:
    """Share of notes on each of the 12 pitch classes (C first); zeros for no notes."""
    hist = np.zeros(12)
    for note in notes:
        hist[note.pitch % 12] += 1
    return hist / hist.sum() if hist.sum() else hist


def inter_onset_interval(notes: Sequence[Note]) -> np.ndarray:
    """Mean time in beats between consecutive distinct onsets (0 with fewer than two onsets)."""
    onsets = np.unique(np.round([n.start_beats for n in notes], 6))
    return np.array([float(np.diff(onsets).mean()) if len(onsets) > 1 else 0.0])


def pitch_range(notes: Sequence[Note]) -> np.ndarray:
    """Highest minus lowest pitch in semitones (0 for no notes)."""
    pitches = [n.pitch for n in notes]
    return np.array([float(max(pitches) - min(pitches)) if pitches else 0.0])


def note_length_histogram(notes: Sequence[Note]) -> np.ndarray:
    """Share of notes in each of the 12 length classes of ``NOTE_LENGTHS`` (nearest class)."""
    hist = np.zeros(len(NOTE_LENGTHS))
    lengths = np.array(NOTE_LENGTHS)
    for note in notes:
        hist[int(np.argmin(np.abs(lengths - note.duration_beats)))] += 1
    return hist / hist.sum() if hist.sum() else hist


def note_features(notes: Sequence[Note], bars: int, beats: float = 4.0) -> dict[str, np.ndarray]:
    """The six features of one sample (an excerpt of ``bars`` bars starting at beat 0)."""
    return {"pitch_count_per_bar": pitch_count_per_bar(notes, bars, beats),
            "note_count_per_bar": note_count_per_bar(notes, bars, beats),
            "pitch_class_histogram": pitch_class_histogram(notes),
            "inter_onset_interval": inter_onset_interval(notes),
            "pitch_range": pitch_range(notes),
            "note_length_histogram": note_length_histogram(notes)}


def intra_set_distances(values: Sequence[np.ndarray]) -> np.ndarray:
    """Euclidean distance of each sample to every other sample of the same set (leave one out)."""
    out = [np.linalg.norm(values[i] - values[j]) for i in range(len(values)) for j in range(len(values)) if i != j]
    return np.array(out, float)


def inter_set_distances(values: Sequence[np.ndarray], reference: Sequence[np.ndarray]) -> np.ndarray:
    """Euclidean distance of each sample of a set to every sample of the reference set."""
    return np.array([np.linalg.norm(a - b) for a in values for b in reference], float)


def _bandwidth(values: np.ndarray, floor: float) -> float:
    """Scott's rule for one dimension, never below ``floor`` (a set of equal distances has no spread)."""
    return max(float(np.std(values, ddof=1)) * len(values) ** -0.2 if len(values) > 1 else 0.0, floor)


def _density(values: np.ndarray, grid: np.ndarray, width: float) -> np.ndarray:
    """Gaussian kernel density estimate of ``values`` on ``grid``."""
    z = (grid[:, None] - values[None, :]) / width
    return np.exp(-0.5 * z**2).sum(axis=1) / (len(values) * width * math.sqrt(2 * math.pi))


def compare_distributions(reference: np.ndarray, other: np.ndarray) -> tuple[float, float]:
    """(overlapping area, KL divergence of ``reference`` from ``other``) of their kernel density estimates.

    Both densities are evaluated on one grid covering both sets (3 bandwidths beyond the extremes);
    the overlap is the area under the smaller density (1.0 = the same distribution, 0.0 = disjoint).
    """
    if len(reference) == 0 or len(other) == 0:
        return math.nan, math.nan
    scale = max(float(np.ptp(np.concatenate([reference, other]))), float(np.abs(reference).max()), 1e-6)
    w_ref, w_other = _bandwidth(reference, 0.01 * scale), _bandwidth(other, 0.01 * scale)
    low = min(reference.min() - 3 * w_ref, other.min() - 3 * w_other)
    high = max(reference.max() + 3 * w_ref, other.max() + 3 * w_other)
    grid = np.linspace(low, high, _GRID_POINTS)
    step = grid[1] - grid[0]
    p, q = _density(reference, grid, w_ref), _density(other, grid, w_other)
    overlap = float(np.minimum(p, q).sum() * step)
    p_mass, q_mass = p / p.sum(), np.maximum(q / q.sum(), 1e-12)
    kl = float(np.sum(np.where(p_mass > 0, p_mass * np.log(np.maximum(p_mass, 1e-300) / q_mass), 0.0)))
    return min(overlap, 1.0), kl


def feature_overlaps(samples: Sequence[Sequence[Note]], reference: Sequence[Sequence[Note]], bars: int,
                     beats: float = 4.0) -> dict[str, tuple[float, float]]:
    """Per feature, (overlapping area, KL divergence) of the inter-set distances of ``samples`` against
    ``reference`` with the reference's intra-set distances, as Yang & Lerch compare two sets.

    Each sample is one excerpt's notes (any number of parts together), ``bars`` bars long.
    """
    ours = [note_features(s, bars, beats) for s in samples]
    theirs = [note_features(s, bars, beats) for s in reference]
    out = {}
    for name in FEATURES:
        intra = intra_set_distances([f[name] for f in theirs])
        inter = inter_set_distances([f[name] for f in ours], [f[name] for f in theirs])
        out[name] = compare_distributions(intra, inter)
    return out
