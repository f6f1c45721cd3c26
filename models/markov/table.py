"""The Markov baseline's trained tables (gzip JSON) turned into distributions, drawn from with the shared sampler."""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path

import numpy as np

from models.markov.contexts import TABLE_VERSION, chain_contexts, chord_contexts, quality_class
from models.music.chords import QUALITIES, Chord
from models.music.notes import PAD_RANGE
from models.sampling import Sampling, sample_index
from models.types import PARTS

log = logging.getLogger(__name__)

# The styles the rhythm patterns are chosen for: all of them (pop), the sparser (ballad), the busier (upbeat).
MARKOV_STYLES = ("pop", "ballad", "upbeat")

Event = tuple[int, int, int]  # (onset tick in bar, duration ticks, notes in the onset group)


class TableError(ValueError):
    """The table file is missing, unreadable or of another version."""


def sample_weights(weights: np.ndarray, rng: np.random.Generator, sampling: Sampling) -> int:
    """An index drawn from unnormalised ``weights`` (0: never) with ``models.sampling``'s sampler.

    The candidates are walked best first (the order the chain has always drawn in, so a seed keeps
    giving the same notes).
    """
    weights = np.asarray(weights, dtype=float)
    order = np.argsort(-weights, kind="stable")
    ordered = weights[order]
    values = np.where(ordered > 0, np.log(np.maximum(ordered, 1e-300)), -np.inf)
    return int(order[sample_index(values, rng, sampling)])


def _parse_pattern(text: str) -> tuple[Event, ...]:
    if not text:
        return ()
    return tuple(tuple(int(x) for x in event.split(",")) for event in text.split(";"))  # type: ignore[misc]


class MarkovTable:
    """Distributions read from the trained count tables; read-only after construction."""

    def __init__(self, data: dict) -> None:
        if data.get("version") != TABLE_VERSION:
            raise TableError(f"table version {data.get('version')} is not {TABLE_VERSION}: retrain with "
                             "python -m models.markov.train")
        styles, parts = data.get("styles"), data.get("parts")
        if not (isinstance(styles, list) and set(styles) <= set(MARKOV_STYLES) and styles
                and isinstance(parts, list) and set(parts) <= set(PARTS) and parts):
            raise TableError("the Markov table does not record the styles and parts it learnt: retrain it with "
                             "python -m models.markov.train")
        self.styles: tuple[str, ...] = tuple(styles)
        self.parts: tuple[str, ...] = tuple(parts)
        self.ticks_per_beat = int(data["ticks_per_beat"])
        self.songs = int(data["songs"])
        self.pattern_ticks: dict[str, int] = {**data["pattern_ticks"], "pad": data["bar_ticks"]}
        self.patterns: dict[str, list[tuple[Event, ...]]] = {}
        self.pattern_counts: dict[str, np.ndarray] = {}
        self.pattern_index: dict[str, dict[str, int]] = {}
        self.pattern_next: dict[str, dict[int, tuple[np.ndarray, np.ndarray]]] = {}
        self.style_mask: dict[tuple[str, str], np.ndarray] = {}
        for part, counts in data["patterns"].items():
            keys = [k for k in counts if k]  # a requested part never sits out a whole bar
            self.pattern_index[part] = {k: i for i, k in enumerate(keys)}
            self.patterns[part] = [_parse_pattern(k) for k in keys]
            self.pattern_counts[part] = np.array([counts[k] for k in keys], dtype=float)
            self.pattern_next[part] = {
                self.pattern_index[part][prev]: (
                    np.array([self.pattern_index[part][n] for n in nexts if n in self.pattern_index[part]], dtype=int),
                    np.array([c for n, c in nexts.items() if n in self.pattern_index[part]], dtype=float))
                for prev, nexts in data["pattern_next"].get(part, {}).items() if prev in self.pattern_index[part]}
            density = np.array([len(p) for p in self.patterns[part]], dtype=float)
            order = np.argsort(density, kind="stable")
            cumulative = np.cumsum(self.pattern_counts[part][order]) / self.pattern_counts[part].sum()
            low = density[order][np.searchsorted(cumulative, 0.4)]
            high = density[order][np.searchsorted(cumulative, 0.6)]
            self.style_mask[(part, "pop")] = np.ones(len(keys), dtype=bool)
            self.style_mask[(part, "ballad")] = density <= low
            self.style_mask[(part, "upbeat")] = density >= high
        self.chain: dict[str, dict[str, tuple[np.ndarray, float]]] = {}
        for part, table in data["chain"].items():
            self.chain[part] = {}
            for context, counts in table.items():
                vector = np.zeros(12)
                for token, count in counts.items():
                    vector[int(token)] = count
                self.chain[part][context] = (vector / vector.sum(), float(vector.sum()))
        self.motion = {part: self._vector(counts, 49, offset=24, smoothing=0.5)
                       for part, counts in data["motion"].items()}
        self.register = {part: self._vector(counts, 128, smoothing=0.0) for part, counts in data["pitch"].items()}
        self.ranges = {part: self._range(vector) for part, vector in self.register.items()}
        self.ranges["pad"] = PAD_RANGE
        self.velocity = {part: {pos: self._vector(counts, 128, smoothing=0.0) for pos, counts in table.items()}
                         for part, table in data["velocity"].items()}
        self.shapes: dict[str, tuple[list[tuple[int, ...]], np.ndarray]] = {
            quality: ([tuple(int(x) for x in s.split(",")) for s in counts],
                      np.array(list(counts.values()), dtype=float))
            for quality, counts in data["shapes"].items() if counts}
        self.chord_chain = {ctx: (list(counts), np.array(list(counts.values()), dtype=float))
                            for ctx, counts in data["chord_chain"].items()}
        per_bar = data["chords_per_bar"]
        self.chords_per_bar = np.array([per_bar.get("1", 1), per_bar.get("2", 0)], dtype=float)

    @staticmethod
    def _vector(counts: dict[str, int], size: int, offset: int = 0, smoothing: float = 0.0) -> np.ndarray:
        vector = np.full(size, smoothing)
        for key, count in counts.items():
            index = int(key) + offset
            if 0 <= index < size:
                vector[index] += count
        return vector / vector.sum()

    @staticmethod
    def _range(register: np.ndarray) -> tuple[int, int]:
        cumulative = np.cumsum(register)
        return int(np.searchsorted(cumulative, 0.03)), int(np.searchsorted(cumulative, 0.97))

    @classmethod
    def load(cls, path: str | Path) -> MarkovTable:
        """Read a gzip JSON table (never pickle).

        Raises:
            TableError: missing, unreadable or wrong-version file.
        """
        path = Path(path)
        try:
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, json.JSONDecodeError) as err:
            raise TableError(f"cannot read the Markov table {path}: {err}; retrain it with "
                             "python -m models.markov.train") from err
        log.info("loaded Markov table %s (%d songs)", path, data.get("songs", 0))
        return cls(data)

    # ------------------------------------------------------------ distributions

    def next_pattern(self, part: str, style: str, previous: int | None, rng: np.random.Generator,
                     sampling: Sampling) -> int:
        """Index of the next bar's rhythm pattern for ``part`` given the previous bar's."""
        mask = self.style_mask[(part, style)]
        weights = np.where(mask, self.pattern_counts[part], 0.0)
        weights = 0.2 * weights / weights.sum()
        if previous is not None and previous in self.pattern_next[part]:
            indices, counts = self.pattern_next[part][previous]
            allowed = mask[indices]
            if allowed.any():
                follow = np.zeros_like(weights)
                follow[indices[allowed]] = counts[allowed]
                weights = weights + 0.8 * follow / follow.sum()
        return sample_weights(weights, rng, sampling)

    def pitch_class_weights(self, part: str, chord: Chord, history: list[int]) -> np.ndarray:
        """P(interval above the chord root) from the order-2 chain, interpolated with lower orders."""
        table = self.chain[part]
        probs = np.full(12, 1.0 / 12)
        for context in reversed(chain_contexts(quality_class(chord), history)):  # shortest first
            if context in table:
                vector, total = table[context]
                weight = total / (total + 8.0)
                probs = weight * vector + (1 - weight) * probs
        return probs

    def sample_velocity(self, part: str, position: str, rng: np.random.Generator) -> int:
        """A velocity learned for this part at this metric position ('down', 'beat', 'off')."""
        table = self.velocity["keys" if part == "pad" else part]
        vector = table.get(position) if position in table else next(iter(table.values()))
        return int(rng.choice(128, p=vector))

    def shape_candidates(self, chord: Chord) -> tuple[list[tuple[int, ...]], np.ndarray]:
        """Learned voicing shapes (semitones above a root) for the nearest learned chord quality."""
        if chord.quality in self.shapes:
            return self.shapes[chord.quality]
        wanted = set(chord.intervals)
        best = max(self.shapes, key=lambda q: (len(wanted & set(QUALITIES[q])) / len(wanted | set(QUALITIES[q])),
                                               self.shapes[q][1].sum()))
        return self.shapes[best]

    def next_chord_token(self, tokens: list[str], rng: np.random.Generator, sampling: Sampling) -> str:
        """Next key-relative chord token ('7:maj' = the V chord) from the order-2 chord chain."""
        for context in chord_contexts(tokens):
            if context in self.chord_chain:
                names, counts = self.chord_chain[context]
                return names[sample_weights(counts, rng, sampling)]
        names, counts = self.chord_chain[""]
        return names[sample_weights(counts, rng, sampling)]
