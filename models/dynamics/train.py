"""Fit the dynamics table to POP909's human piano: ``python -m models.dynamics.train [--data DIR] [--out FILE]``.

Reads the training songs only (``models.data.pieces.is_test_song`` holds the others out), splits each piano into
the project's parts (bass, keys, arp by the role rule; melody and counter from their own tracks), and fits the
additive terms of ``models.dynamics.model`` by backfitting (each term the shrunk mean of what the others leave),
with a term per song that takes the recording's overall loudness out. What is left is split into what a whole
4-bar phrase shares, what a bar shares across parts, a part's own level in a song, and what each note has alone.
"""

from __future__ import annotations

import argparse
import bisect
import logging
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from models.data.pieces import Piece
from models.data.pop909 import read_pop909
from models.dynamics.model import (CHORD_CLASSES, LENGTH_CLASSES, METRIC_CLASSES, PHRASE_SLOTS, VOICE_CLASSES,
                                   DynamicsTable, length_class, metric_class, phrase_slot, voice_classes)

log = logging.getLogger(__name__)

LEARNT_PARTS = ("melody", "counter", "bass", "keys", "arp")
BORROWED = {"pad": "keys"}  # POP909's pad is written from the chord labels (velocity 60): it plays like the keys
SHRINK = 20.0  # notes' worth of pull towards 0 for a rarely seen term
SWEEPS = 8
TABLE_NAME = "dynamics-pop909.json.gz"


def note_rows(pieces: Iterable[Piece]) -> dict[str, np.ndarray]:
    """One row per note of the training songs: part, beat class, voice, length, phrase slot, song, bar, velocity."""
    rows: dict[str, list[float]] = {k: [] for k in ("part", "metric", "voice", "chord", "length", "slot", "song", "bar",
                                                    "velocity", "in_chord")}
    songs = 0
    for piece in pieces:
        if piece.is_test:
            continue
        starts = [start for start, _ in piece.bars]
        for part in LEARNT_PARTS:
            notes = piece.tracks.get(part, [])
            struck: dict[float, list[int]] = {}
            for note in notes:
                struck.setdefault(note.start_beats, []).append(note.velocity)
            for note, (voice, size) in zip(notes, voice_classes(notes)):
                index = bisect.bisect_right(starts, note.start_beats + 1e-6) - 1
                if index < 0:
                    continue
                start, meter = piece.bars[index]
                bar_beats = meter[0] * 4 / meter[1]
                offset = note.start_beats - start
                if offset >= bar_beats:  # in a run of bars the reader dropped (bar lines off the music)
                    continue
                rows["part"].append(LEARNT_PARTS.index(part))
                rows["metric"].append(METRIC_CLASSES.index(metric_class(offset, meter)))
                rows["voice"].append(VOICE_CLASSES.index(voice))
                rows["chord"].append(CHORD_CLASSES.index(size))
                rows["in_chord"].append(note.velocity - float(np.mean(struck[note.start_beats])))
                rows["length"].append(LENGTH_CLASSES.index(length_class(note.duration_beats)))
                rows["slot"].append(phrase_slot(index, offset, bar_beats))
                rows["song"].append(songs)
                rows["bar"].append(songs * 100_000 + index)
                rows["velocity"].append(note.velocity)
        songs += 1
    return {k: np.asarray(v, dtype=float if k == "in_chord" else np.int64) for k, v in rows.items()}


def _group_mean(keys: np.ndarray, values: np.ndarray, size: int, shrink: float = 0.0) -> np.ndarray:
    """Per key, the mean of ``values``, pulled towards 0 by ``shrink`` notes' worth (0 for a key never seen)."""
    total = np.bincount(keys, weights=values, minlength=size)
    count = np.bincount(keys, minlength=size)
    return total / np.maximum(count + shrink, 1e-9)


def fit(rows: dict[str, np.ndarray]) -> DynamicsTable:
    """The voice terms from inside chords, then backfit the additive terms to what they leave, then split the
    residual spread by phrase, bar and note."""
    n_parts = len(LEARNT_PARTS)
    voice_keys = rows["part"] * len(VOICE_CLASSES) + rows["voice"]
    voice = _group_mean(voice_keys, rows["in_chord"], n_parts * len(VOICE_CLASSES), SHRINK)
    voice = voice.reshape(n_parts, len(VOICE_CLASSES))
    voice[:, VOICE_CLASSES.index("single")] = 0.0
    velocity = rows["velocity"].astype(float) - voice.reshape(-1)[voice_keys]
    terms = {  # name -> (key per note, number of keys, shrink)
        "song": (rows["song"], int(rows["song"].max()) + 1, 0.0),
        "level": (rows["part"], n_parts, 0.0),
        "metric": (rows["part"] * len(METRIC_CLASSES) + rows["metric"], n_parts * len(METRIC_CLASSES), SHRINK),
        "chord": (rows["part"] * len(CHORD_CLASSES) + rows["chord"], n_parts * len(CHORD_CLASSES), SHRINK),
        "length": (rows["part"] * len(LENGTH_CLASSES) + rows["length"], n_parts * len(LENGTH_CLASSES), SHRINK),
        "phrase": (rows["slot"], PHRASE_SLOTS, SHRINK),
    }
    values = {name: np.zeros(size) for name, (_, size, _) in terms.items()}
    fitted = np.zeros_like(velocity)
    for sweep in range(SWEEPS):
        for name, (keys, size, shrink) in terms.items():
            others = fitted - values[name][keys]
            values[name] = _group_mean(keys, velocity - others, size, shrink)
            fitted = others + values[name][keys]
        log.info("sweep %d: residual std %.2f", sweep + 1, float(np.std(velocity - fitted)))
    residual = velocity - fitted
    # centre each part's tables on its notes (note-weighted), moving their means into the part's level
    level = values["level"] + float(np.mean(values["song"][rows["song"]]))
    tables: dict[str, dict[str, dict[str, float]]] = {}
    for name, classes, column in (("metric", METRIC_CLASSES, "metric"), ("chord", CHORD_CLASSES, "chord"),
                                  ("length", LENGTH_CLASSES, "length")):
        grid = values[name].reshape(n_parts, len(classes))
        tables[name] = {}
        for p, part in enumerate(LEARNT_PARTS):
            mine = rows["part"] == p
            mean = float(np.mean(grid[p][rows[column][mine]])) if mine.any() else 0.0
            level[p] += mean
            seen = np.bincount(rows[column][mine], minlength=len(classes)) > 0
            tables[name][part] = {c: round(float(grid[p][i] - mean), 2) if seen[i] else 0.0
                                  for i, c in enumerate(classes)}
    tables["voice"] = {part: {c: round(float(voice[p][i]), 2) for i, c in enumerate(VOICE_CLASSES)}
                       for p, part in enumerate(LEARNT_PARTS)}
    phrase_mean = float(np.mean(values["phrase"][rows["slot"]]))
    level += phrase_mean
    phrase = tuple(round(float(v - phrase_mean), 2) for v in values["phrase"])
    noise_phrase, noise_bar, noise_part, noise_note = _spreads(rows, residual)
    levels = {part: round(float(level[p]), 2) for p, part in enumerate(LEARNT_PARTS)}
    song_levels = values["song"][np.unique(rows["song"])]
    piano = np.isin(rows["part"], [LEARNT_PARTS.index("bass"), LEARNT_PARTS.index("keys")])
    info = {"songs": len(np.unique(rows["song"])), "notes": int(len(velocity)),
            "piano_mean": round(float(np.mean(rows["velocity"][piano])), 2),
            "song_level_std": round(float(np.std(song_levels)), 2),
            "residual_std": round(float(np.std(residual)), 2), "velocity_std": round(float(np.std(velocity)), 2),
            "borrowed": BORROWED, "data": "POP909 training songs (is_test_song False)"}
    for part, source in BORROWED.items():
        levels[part] = levels[source]
        for name in tables:
            tables[name][part] = dict(tables[name][source])
        noise_note[part] = noise_note[source]
        noise_part[part] = noise_part[source]
    return DynamicsTable(levels, tables["metric"], tables["chord"], tables["voice"], tables["length"], phrase,
                         round(noise_phrase, 2), round(noise_bar, 2), noise_part, noise_note, info)


Spreads = tuple[float, float, dict[str, float], dict[str, float]]  # phrase, bar, part (per part), note (per part)


def _spreads(rows: dict[str, np.ndarray], residual: np.ndarray) -> Spreads:
    """Method-of-moments split of the residual: what a 4-bar phrase shares and what a bar shares (across parts),
    a part's own level in a song (the balance of the hands), and what each note of a part has alone."""
    part = rows["part"]
    _, cell = np.unique(rows["bar"] * 8 + part, return_inverse=True)  # one part in one bar
    n_cell = np.bincount(cell)
    within = residual - (np.bincount(cell, weights=residual) / n_cell)[cell]
    several = n_cell[cell] > 1
    corrected = np.where(several, within ** 2 * n_cell[cell] / np.maximum(n_cell[cell] - 1, 1), 0.0)
    note, balance = {}, {}
    _, song_part = np.unique(rows["song"] * 8 + part, return_inverse=True)
    n_song_part = np.bincount(song_part)
    song_part_mean = np.bincount(song_part, weights=residual) / n_song_part
    part_of = np.bincount(song_part, weights=part, minlength=len(n_song_part)) // np.maximum(n_song_part, 1)
    for p, name in enumerate(LEARNT_PARTS):
        mine = several & (part == p)
        note[name] = round(math.sqrt(float(np.mean(corrected[mine]))), 2) if mine.any() else 0.0
        cells = part_of == p
        spread = 0.0
        if cells.any():
            spread = float(np.var(song_part_mean[cells]) - np.mean(note[name] ** 2 / n_song_part[cells]))
        balance[name] = round(math.sqrt(max(spread, 0.0)), 2)
    pooled = float(np.mean(corrected[several]))
    left = residual - song_part_mean[song_part]
    bar_ids, bar = np.unique(rows["bar"], return_inverse=True)  # bar numbers: song * 100000 + bar
    n_bar = np.bincount(bar)
    bar_mean = np.bincount(bar, weights=left) / n_bar
    _, phrase = np.unique(bar_ids // 4, return_inverse=True)
    n_phrase = np.bincount(phrase)
    deviation = bar_mean - (np.bincount(phrase, weights=bar_mean) / n_phrase)[phrase]
    kept = n_phrase[phrase] > 1
    sampling = float(np.mean(pooled / n_bar))
    inside = float(np.mean(deviation[kept] ** 2 * n_phrase[phrase][kept] / (n_phrase[phrase][kept] - 1)))
    bar_var = inside - sampling
    phrase_var = float(np.var(bar_mean)) - inside
    return math.sqrt(max(phrase_var, 0.0)), math.sqrt(max(bar_var, 0.0)), balance, note


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/datasets/pop909", help="a POP909 copy (NNN/NNN.mid folders)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "checkpoints" / TABLE_NAME))
    parser.add_argument("--limit", type=int, default=0, help="read only the first N songs (0: all)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    rows = note_rows(read_pop909(args.data, limit=args.limit))
    log.info("%d notes from %d training songs", len(rows["velocity"]), int(rows["song"].max()) + 1)
    table = fit(rows)
    table.save(Path(args.out))
    log.info("levels %s", table.level)
    log.info("phrase %s", table.phrase)
    log.info("noise: phrase %.2f, bar %.2f, part %s, note %s; %s", table.noise_phrase, table.noise_bar,
             table.noise_part, table.noise_note, table.info)
    log.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
