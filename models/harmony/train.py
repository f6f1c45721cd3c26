"""Count the chord model from POP909's annotated chords under their melodies (``python -m models.harmony.train``)."""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from models.harmony.melody_fit import CHANGE_BINS, fit_softmax, melody_change, slot_features, slot_pitch_weights
from models.harmony.table import STATES, ChordTable, Progressions, state_of
from models.music.chords import parse_chord
from models.music.keys import detect_key
from models.types import ChordSpan, Note

log = logging.getLogger(__name__)

SLOT_BEATS = (2.0, 4.0, 8.0)  # chords_per_bar 2, 1 and 0.5 in 4/4
SMOOTHING = 4.0  # pseudo-counts of the back-off (how often the chord comes at all) per context
FLOOR = 0.02  # share of a uniform distribution, so a chord the data never had stays possible
FIT_SLOTS = (2.0, 4.0)  # the melody fit learns from half-bar and whole-bar slots
STAY_SMOOTHING = 5.0  # pseudo-counts pulling a sparse stay cell to its slot length's mean


class _Counts:
    """Counts of one style and mode: first chords, chord changes, last chords."""

    def __init__(self) -> None:
        self.start = np.zeros(STATES)
        self.change = np.zeros((STATES, STATES))
        self.end = np.zeros(STATES)

    def add(self, states: Sequence[int]) -> None:
        changes = [s for k, s in enumerate(states) if k == 0 or s != states[k - 1]]
        if len(changes) < 2:
            return
        self.start[changes[0]] += 1
        self.end[changes[-1]] += 1
        for a, b in zip(changes, changes[1:]):
            self.change[a, b] += 1

    def progressions(self) -> Progressions:
        unigram = self.change.sum(axis=0) + 1.0
        unigram /= unigram.sum()

        def smooth(counts: np.ndarray, prior: np.ndarray) -> np.ndarray:
            p = (counts + SMOOTHING * prior) / (counts.sum(axis=-1, keepdims=True) + SMOOTHING)
            return np.log((1 - FLOOR) * p + FLOOR / STATES)

        change = self.change.copy()
        np.fill_diagonal(change, 0.0)
        prior = np.tile(unigram, (STATES, 1))
        np.fill_diagonal(prior, 0.0)
        prior /= prior.sum(axis=1, keepdims=True)
        return Progressions(smooth(self.start, unigram), smooth(change, prior), smooth(self.end, unigram))


def _chord_states(chords: Sequence[ChordSpan], tonic: int) -> list[tuple[float, float, int | None]]:
    out = []
    for span in chords:
        chord = parse_chord(span.symbol)
        state = None if chord.is_rest else state_of(chord.root, chord.quality, tonic)
        out.append((span.start_beats, span.start_beats + span.duration_beats, state))
    return out


def _slot_states(spans, start: float, end: float, slot: float) -> list[int | None]:
    """The chord covering most of each slot from ``start`` to ``end``."""
    out = []
    t = start
    while t < end - 1e-6:
        cover: dict[int | None, float] = {}
        for a, b, state in spans:
            overlap = min(b, t + slot) - max(a, t)
            if overlap > 0:
                cover[state] = cover.get(state, 0.0) + overlap
        out.append(max(cover, key=cover.get) if cover else None)
        t += slot
    return out


def _stay_probabilities(stay: dict[float, np.ndarray]) -> dict[float, np.ndarray]:
    """(held, slot pairs) counts per slot length -> (2, CHANGE_BINS) probabilities, shrunk to the length's mean."""
    out = {}
    for slot, (held, total) in stay.items():
        mean = held.sum() / max(total.sum(), 1.0)
        out[slot] = (held + STAY_SMOOTHING * mean) / (total + STAY_SMOOTHING)
    return out


def bar_runs(bar_starts: Sequence[float], beats: float = 4.0) -> list[tuple[float, float]]:
    """(start, end) beats of each run of consecutive bars on the music's bar lines.

    POP909's aligned bar starts skip the bars a beat off the music and the odd two- or six-beat bar, so a
    grid of whole bars laid from the first bar line drifts half a bar off the music after such a bar
    (17 % of a sample of songs' bars); each run gets its own grid instead.
    """
    runs: list[list[float]] = []
    for start in bar_starts:
        if runs and abs(start - runs[-1][-1] - beats) < 1e-6:
            runs[-1].append(start)
        else:
            runs.append([start])
    return [(run[0], run[-1] + beats) for run in runs]


def count_pop909(folders: Iterable[Path]) -> tuple[dict[str, _Counts], dict[float, np.ndarray],
                                                   dict[str, tuple[list, list]], int]:
    """Progression counts per mode, stay counts per slot length, (melody features, chord) per mode."""
    from models.data.pop909 import load_song

    modes = {"major": _Counts(), "minor": _Counts()}
    stay = {slot: np.zeros((2, 2, CHANGE_BINS)) for slot in SLOT_BEATS}  # (held or all, opens a bar or not, change)
    examples: dict[str, tuple[list, list]] = {mode: ([], []) for mode in modes}
    used = 0
    for folder in tqdm(list(folders), desc="POP909 chords", unit="song"):
        song = load_song(folder)
        if song is None or not song.bar_starts:
            continue
        used += 1
        tonic, mode = song.key
        spans = _chord_states(song.chords, tonic)
        for first, last in bar_runs(song.bar_starts):
            count_run(song, spans, first, last, modes[mode], stay, examples[mode])
    return modes, stay, examples, used


def count_run(song, spans, first: float, last: float, counts: _Counts, stay: dict[float, np.ndarray],
               examples: tuple[list, list]) -> None:
    """Add one run of whole bars (``first`` to ``last`` beats) of a song to the counts."""
    tonic = song.key[0]
    melody = [Note(n.pitch, n.start_beats - first, n.duration_beats, n.velocity)
              for n in song.parts["melody"] if first <= n.start_beats < last]
    for slot in SLOT_BEATS:
        states = _slot_states(spans, first, last, slot)
        grid = [(float(a), slot) for a in np.arange(0.0, last - first, slot)][:len(states)]
        changes = melody_change(slot_pitch_weights(melody, grid, 4.0))
        for s in range(1, len(grid)):
            if states[s - 1] is not None and states[s] is not None:
                inside = int(grid[s][0] % 4.0 > 1e-6)
                stay[slot][:, inside, changes[s]] += (states[s - 1] == states[s], 1.0)
    runs: list[list[int]] = [[]]  # no-chord spans cut the song into progressions
    for state in _slot_states(spans, first, last, 2.0):
        if state is None:
            runs.append([])
        else:
            runs[-1].append(state)
    for run in runs:
        counts.add(run)
    for slot in FIT_SLOTS:
        grid = [(float(a), slot) for a in np.arange(0.0, last - first, slot)]
        features, evidence = slot_features(melody, grid, 4.0, tonic)
        for row, weight, state in zip(features, evidence, _slot_states(spans, first, last, slot)):
            if state is not None and weight > 0:
                examples[0].append(row)
                examples[1].append(state)


def count_chorales(limit: int = 0) -> tuple[_Counts, _Counts, int] | None:
    """Chord changes of music21's Bach chorales (training split), key-relative; None without music21."""
    try:
        from models.data.music21_corpora import read_music21
        import music21  # noqa: F401 - only to know whether the corpus is there
    except ImportError:
        log.warning("music21 is not installed (pip install -e '.[train]'): the chorale style uses POP909's progressions")
        return None
    modes = {"major": _Counts(), "minor": _Counts()}
    used = 0
    for piece in tqdm(read_music21(["bach"], limit), desc="Bach chorales", unit="chorale"):
        if piece.is_test:
            continue
        notes: list[Note] = [n for track in piece.tracks.values() for n in track]
        tonic, mode = detect_key(notes)
        modes[mode].add([s for _, _, s in _chord_states(piece.chords, tonic) if s is not None])
        used += 1
    return modes["major"], modes["minor"], used


def train(data: Path, out: Path, chorales: bool = True) -> ChordTable:
    """Count every table and write ``out``; returns the table."""
    from models.data.pop909 import split_songs

    started = time.perf_counter()
    train_folders, test_folders = split_songs(data)
    modes, stay, examples, used = count_pop909(train_folders)
    info: dict[str, object] = {"pop909_songs": used, "held_out_songs": len(test_folders),
                               "slot_beats": list(SLOT_BEATS)}
    styles = {"pop": {mode: counts.progressions() for mode, counts in modes.items()}}
    found = count_chorales() if chorales else None
    if found is not None:
        major, minor, count = found
        styles["chorale"] = {"major": major.progressions(), "minor": minor.progressions()}
        info["bach_chorales"] = count
    fit, prior = {}, {}
    for mode, (features, labels) in examples.items():
        log.info("fitting the melody fit of %s keys on %d slots", mode, len(labels))
        fit[mode] = fit_softmax(np.array(features), np.array(labels), STATES)
        counts = np.bincount(labels, minlength=STATES) + 1.0
        prior[mode] = np.log(counts / counts.sum())
    table = ChordTable(styles, _stay_probabilities(stay), fit, prior, info)
    table.save(out)
    log.info("wrote %s from %d POP909 songs in %.0f s", out, used, time.perf_counter() - started)
    return table


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m models.harmony.train --data ../shared/datasets/pop909``."""
    from models.harmony.harmonizer import default_table_path

    parser = argparse.ArgumentParser(prog="python -m models.harmony.train", description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets/pop909"), help="POP909 folder")
    parser.add_argument("--out", type=Path, default=default_table_path(), help="table to write (.json.gz)")
    parser.add_argument("--no-chorales", action="store_true", help="skip music21's Bach chorales")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    train(args.data, args.out, chorales=not args.no_chorales)


if __name__ == "__main__":
    main()
