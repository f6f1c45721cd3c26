"""The learnt chord model: key-relative chord states, progression log-probabilities, melody-fit emissions (JSON.gz)."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.music.chords import make_chord

TABLE_VERSION = 4
# Chord classes the decoder chooses between; the chord style adds sevenths and extensions afterwards.
CLASSES = ("maj", "min", "dim", "sus4")
STATES = len(CLASSES) * 12  # state = degree above the key's tonic * 4 + class
_FAMILY = {"maj": "maj", "7": "maj", "maj7": "maj", "6": "maj", "9": "maj", "maj9": "maj", "add9": "maj",
           "11": "maj", "13": "maj", "7b9": "maj", "7#9": "maj", "aug": "maj", "aug7": "maj", "5": "maj",
           "min": "min", "min7": "min", "min6": "min", "min9": "min", "minadd9": "min", "min11": "min",
           "minmaj7": "min", "dim": "dim", "dim7": "dim", "m7b5": "dim",
           "sus4": "sus4", "sus2": "sus4", "7sus4": "sus4"}


def chord_class(quality: str) -> str | None:
    """The decoder's class of a chord quality (``'min7'`` -> ``'min'``); None for no chord."""
    return _FAMILY.get(quality)


def state_of(root: int, quality: str, tonic: int) -> int | None:
    """State index of a chord in a key with ``tonic``; None for no chord."""
    family = chord_class(quality)
    return None if family is None else ((root - tonic) % 12) * len(CLASSES) + CLASSES.index(family)


def state_chord_name(state: int, tonic: int) -> str:
    """The triad a state stands for in a key with ``tonic`` (``'Bdim'``, ``'Gsus4'``)."""
    degree, family = divmod(state, len(CLASSES))
    return make_chord((tonic + degree) % 12, CLASSES[family]).name


@dataclass(frozen=True)
class Progressions:
    """Log-probabilities of one mode's progressions: first chord, chord changes, last chord."""

    start: np.ndarray  # (STATES,)
    change: np.ndarray  # (STATES, STATES): next chord given a change; the diagonal is unused
    end: np.ndarray  # (STATES,)


@dataclass(frozen=True)
class ChordTable:
    """The shipped chord model. ``styles[style][mode]`` are progressions; ``stay[beats]`` (2, CHANGE_BINS)
    the chance that a slot of that many beats holds the chord of the slot before, for a slot that opens a
    bar (row 0) or starts inside one (row 1), by how much the melody changes
    (``models.harmony.melody_fit.melody_change``); ``fit[mode]`` (FEATURES, STATES) a softmax regression
    of the chord on a slot's melody (``models.harmony.melody_fit``), ``prior[mode]``
    (STATES,) the log share of slots each chord holds."""

    styles: dict[str, dict[str, Progressions]]
    stay: dict[float, np.ndarray]  # slot beats -> (2, CHANGE_BINS)
    fit: dict[str, np.ndarray]  # mode -> (FEATURES, STATES)
    prior: dict[str, np.ndarray]  # mode -> (STATES,)
    info: dict[str, object]

    def progressions(self, style: str, mode: str) -> Progressions:
        """The style's progressions when it learnt its own (chorale), POP909's otherwise."""
        return self.styles.get(style, self.styles["pop"])[mode]

    def stay_probability(self, slot_beats: float, opens_bar: bool, change: int) -> float:
        """The chance that a slot holds the chord before it (see the class docstring)."""
        nearest = min(self.stay, key=lambda beats: abs(beats - slot_beats))
        return float(self.stay[nearest][0 if opens_bar else 1, change])

    def save(self, path: str | Path) -> None:
        data = {
            "version": TABLE_VERSION, "classes": list(CLASSES), "info": self.info,
            "stay": {str(k): np.round(v, 4).tolist() for k, v in self.stay.items()},
            "fit": {mode: np.round(w, 4).tolist() for mode, w in self.fit.items()},
            "prior": {mode: np.round(p, 4).tolist() for mode, p in self.prior.items()},
            "styles": {style: {mode: {name: np.round(getattr(p, name), 3).tolist() for name in ("start", "change", "end")}
                               for mode, p in modes.items()} for style, modes in self.styles.items()},
        }
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            json.dump(data, handle, separators=(",", ":"))

    @classmethod
    def load(cls, path: str | Path) -> ChordTable:
        """Read a table written by ``python -m models.harmony.train``.

        Raises:
            ValueError: a missing file or one of another version or chord vocabulary.
        """
        try:
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, json.JSONDecodeError) as err:
            raise ValueError(f"chord table {path} cannot be read ({err}): run python -m models.harmony.train") from err
        if data.get("version") != TABLE_VERSION or tuple(data.get("classes", ())) != CLASSES:
            raise ValueError(f"chord table {path} is of another version: run python -m models.harmony.train again")
        styles = {style: {mode: Progressions(*(np.array(p[name]) for name in ("start", "change", "end")))
                          for mode, p in modes.items()} for style, modes in data["styles"].items()}
        fit = {mode: np.array(w) for mode, w in data["fit"].items()}
        prior = {mode: np.array(p) for mode, p in data["prior"].items()}
        return cls(styles, {float(k): np.array(v) for k, v in data["stay"].items()}, fit, prior, data["info"])
