"""Genre benchmark: is each 4/4 genre preset recognisable from its bass line alone, and does its bass lock with the kick?

    .venv/bin/python bench/bench_genres.py [--seeds 3] [--layers all|idioms|none]

Each 4/4 preset (bossa-nova, chorale, cinematic-strings, edm-arp, jazz-trio, lofi-keys, pop-ballad) writes 8 bars
over four progressions with several seeds. Its bass line alone becomes a feature vector: where in the bar its notes
start (a histogram over the 48 twelfths of a beat in a bar), how many start per bar, how long they last (six
bins), how it moves (repeats, half steps, whole steps, thirds, fourths and fifths, larger leaps) and how much of
the time it sounds. A leave-one-out nearest-centroid classifier (features scaled to unit variance; each sample's
own genre's centroid computed without it) names the preset of every sample: the target is 80 % for each (chance
is one in seven). Then, for the presets with drums and for pop, rock and funk with drums, the share of bass
onsets on a kick onset (within a 32nd note) beside the share expected by chance (models.evaluate.musical.kick_lock),
and the share of kicks a bass onset meets.

``--layers all`` measures what a producer gets (``models.registry.load_generator``); ``idioms`` the genre layer
alone over the default model; ``none`` the default model without the idioms (issue 16's starting point).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bridge.presets import load_preset
from models.evaluate.musical import KICKS, LOCK_BEATS, kick_lock
from models.idioms.genres import inner_style
from models.types import Note, Request

PRESETS = ("bossa-nova", "chorale", "cinematic-strings", "edm-arp", "jazz-trio", "lofi-keys", "pop-ballad")
PROGRESSIONS = ("Am7 | D7 | Gmaj7 | Cmaj7", "C | G | Am | F", "Dm7 | G7 | Cmaj7 | A7", "F | C/E | Dm | Bb")
KICK_STYLES = ("pop", "rock", "funk")  # drummed styles whose bass should sit on the kick, beside the presets
TICKS, BAR = 12, 48  # twelfths of a beat; a 4/4 bar
DURATIONS = (0.3, 0.6, 1.1, 2.1, 4.1)  # beats: the upper edges of the duration bins (and one above)
MOTION = (0, 1, 2, 4, 7)  # semitones: the upper edges of the interval bins (and one above)


def load(layers: str):
    from models.registry import load_generator, load_model

    if layers == "all":
        return load_generator("default", "cpu")
    if layers == "idioms":
        from models.idioms.generator import IdiomGenerator

        return IdiomGenerator(load_model("default", "cpu"))
    return load_model("default", "cpu")


def bass_features(bass: list[Note], bars: int) -> np.ndarray:
    """Onset positions, onsets per bar, durations, motion and the share of time sounding, as one vector."""
    onsets = np.zeros(BAR)
    for item in bass:
        onsets[round(item.start_beats * TICKS) % BAR] += 1
    durations = np.histogram([n.duration_beats for n in bass], bins=(0, *DURATIONS, 1e9))[0].astype(float)
    leaps = [abs(b.pitch - a.pitch) for a, b in zip(bass, bass[1:])]
    motion = np.histogram(leaps, bins=(-0.5, *(m + 0.5 for m in MOTION), 1e9))[0].astype(float)
    count = max(len(bass), 1)
    sounding = sum(n.duration_beats for n in bass) / (4.0 * bars)
    return np.concatenate([onsets / count, [len(bass) / bars / 4], durations / count,
                           motion / max(len(leaps), 1), [sounding]])


def kicks_met(bass: list[Note], drums: list[Note]) -> float:
    """The share of kick onsets with a bass onset within a 32nd note (NaN for no kicks)."""
    kicks = sorted({n.start_beats for n in drums if n.pitch in KICKS})
    onsets = np.array(sorted({n.start_beats for n in bass}) or [-1e9])
    if not kicks:
        return float("nan")
    return sum(float(np.min(np.abs(onsets - k))) <= LOCK_BEATS + 1e-9 for k in kicks) / len(kicks)


def classify(features: np.ndarray, labels: list[str]) -> list[str]:
    """Leave-one-out nearest centroid: each sample against the centroids of every genre, its own without it."""
    scale = features.std(axis=0)
    scaled = features / np.where(scale > 1e-9, scale, 1.0)
    names = sorted(set(labels))
    label_array = np.array(labels)
    sums = {name: scaled[label_array == name].sum(axis=0) for name in names}
    counts = {name: int((label_array == name).sum()) for name in names}
    out = []
    for index, row in enumerate(scaled):
        best, best_distance = "", float("inf")
        for name in names:
            own = name == labels[index]
            if own and counts[name] == 1:
                continue
            centroid = (sums[name] - (row if own else 0)) / (counts[name] - own)
            distance = float(np.linalg.norm(row - centroid))
            if distance < best_distance:
                best, best_distance = name, distance
        out.append(best)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--bars", type=int, default=8)
    parser.add_argument("--layers", choices=("all", "idioms", "none"), default="all")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    began = time.perf_counter()
    generator = load(args.layers)
    generator.generate(Request(chords="C | G", bars=2, parts=("bass", "keys", "drums"), seed=0))  # load the models

    rows, labels, locks, times = [], [], {}, []
    jobs = [(name, dict(load_preset(name).generate)) for name in PRESETS]
    jobs += [(f"{style} (with drums)", {"style": style, "parts": ("bass", "keys", "drums")}) for style in KICK_STYLES]
    for name, settings in jobs:
        for progression in PROGRESSIONS:
            for seed in range(args.seeds):
                request = Request(task="accompany", chords=progression, bars=args.bars, seed=seed, **settings)
                if args.layers == "none":  # a genre name as the models behind the idioms take it
                    request = request.replace(style=inner_style(request.style, "drums" in request.parts))
                start = time.perf_counter()
                [result] = generator.generate(request)
                times.append(time.perf_counter() - start)
                bass = sorted(result.parts.get("bass", ()), key=lambda n: n.start_beats)
                if name in PRESETS:
                    rows.append(bass_features(bass, result.bars))
                    labels.append(name)
                if "drums" in result.parts:
                    share = kick_lock(bass, result.parts["drums"], 4.0 * result.bars)
                    met = kicks_met(bass, result.parts["drums"])
                    locks.setdefault(name, []).append((share["locked"], share["chance"], met))

    guesses = classify(np.array(rows), labels)
    print(f"layers {args.layers}: {len(labels)} bass lines, {len(PROGRESSIONS)} progressions x {args.seeds} seeds "
          f"x {len(PRESETS)} presets, {args.bars} bars each")
    print(f"  {'preset':20s} {'recognised':>10s}  most often taken for")
    passed = 0
    for name in PRESETS:
        mine = [g for g, label in zip(guesses, labels) if label == name]
        share = sum(g == name for g in mine) / len(mine)
        wrong = [g for g in mine if g != name]
        confused = max(set(wrong), key=wrong.count) if wrong else "-"
        passed += share >= 0.8
        print(f"  {name:20s} {100 * share:9.0f}%  {confused}  {'PASS' if share >= 0.8 else 'FAIL'} (>= 80%)")
    overall = sum(g == label for g, label in zip(guesses, labels)) / len(labels)
    print(f"  overall {100 * overall:.0f}% (chance {100 / len(PRESETS):.0f}%); {passed} of {len(PRESETS)} presets >= 80%")
    print(f"  {'bass onsets on a kick':34s} {'locked':>7s} {'chance':>7s} {'kicks met by the bass':>22s}")
    for name, values in locks.items():
        locked, chance, met = (statistics.mean(v[i] for v in values) for i in range(3))
        print(f"  {name:34s} {100 * locked:6.0f}% {100 * chance:6.0f}% {100 * met:21.0f}%")
    print(f"  p50 per 8-bar request {1000 * statistics.median(times):.0f} ms wall "
          f"({time.perf_counter() - began:.0f} s in all, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
