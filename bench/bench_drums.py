"""Drum model benchmark: empty bars, per-style figures, latency, and a style classifier's verdict on generated grooves.

    .venv/bin/python bench/bench_drums.py [--model models/checkpoints/drums.safetensors] [--seeds 6] [--first-seed 0] [--runs 15]

Prints, per style, what generated 8-bar grooves hold (hits per bar, mean velocity, mean distance
from the grid in ms, empty bars) beside the same figures of the Groove validation takes; the p50
latency of an 8-bar drums part (funk, 100 bpm, one variation) and of an 8-bar full band with the
default model (and the shipped drum model) on this machine; the share of bass onsets on kick
onsets in a full band (bass, keys, drums) per style, beside the share expected by chance (issue
#16's point 3); and a style classifier (``models.drums.style_classifier``: logistic regression on
what a drummer names in 8-bar windows, each drum's place in the bar, accents, swing, push and drag,
trained on the Groove train split's 4/4 grooves, tempo left out): its accuracy on the human
validation windows beside its accuracy on generated grooves of the requested style (issue #16's
target: >= 60 %). ``--style-only`` skips the latency and bass-lock sections.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch

from models.data.groove import DEFAULT_GROOVE, read_groove
from models.drums.generator import DrumGenerator
from models.drums.style_classifier import StyleClassifier, features, windows
from models.drums.vocab import GRID, DrumHit
from models.evaluate.musical import LOCK_BEATS, kick_lock
from models.registry import drums_checkpoint_path, load_generator
from models.types import Request

WINDOW = 8  # bars per classified groove


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(drums_checkpoint_path()))
    parser.add_argument("--data", default=str(DEFAULT_GROOVE))
    parser.add_argument("--seeds", type=int, default=6, help="generated 8-bar grooves per style")
    parser.add_argument("--first-seed", type=int, default=0, help="the grooves' seeds start here (another seed set)")
    parser.add_argument("--runs", type=int, default=15, help="latency runs")
    parser.add_argument("--temperature", type=float, default=1.0, help="sampling temperature of the grooves")
    parser.add_argument("--top-p", type=float, default=0.95, help="nucleus of the grooves' sampling")
    parser.add_argument("--style-only", action="store_true", help="only the grooves' figures and the style classifier")
    args = parser.parse_args()
    torch.set_num_threads(1)
    generator = DrumGenerator.load(args.model)
    takes = [t for t in read_groove(args.data) if not t.fill]
    tempo = {s: statistics.median(t.bpm for t in takes if t.style == s) for s in {t.style for t in takes}}
    styles = sorted(s for s in generator.trained_styles if s in tempo)

    print(f"drum model {args.model} (trained {generator.info.get('step', '?')} steps, "
          f"best validation loss {generator.info.get('best_valid', float('nan')):.4f})")
    print(f"\n{'style':<11} {'bpm':>4} | generated: {'hits/bar':>8} {'vel':>5} {'off ms':>6} {'empty':>6} | "
          f"human validation: {'hits/bar':>8} {'vel':>5} {'off ms':>6}")
    generated: dict[str, list[list[DrumHit]]] = defaultdict(list)
    empty_total = bars_total = 0
    for style in styles:
        rows = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            request = Request(task="accompany", chords="C", bars=WINDOW, parts=("drums",), style=style,
                              tempo=tempo[style], seed=seed, fills=0, temperature=args.temperature,
                              top_p=args.top_p)
            notes = generator.generate(request)[0].parts["drums"]
            hits = [DrumHit(n.start_beats, n.pitch, n.velocity) for n in notes]
            generated[style].append(hits)
            filled = {int(n.start_beats // 4) for n in notes}
            empty_total += WINDOW - len(filled)
            bars_total += WINDOW
            rows.append(_figures(hits, WINDOW, tempo[style]) + (WINDOW - len(filled),))
        human = [_figures(list(t.hits), t.bars, t.bpm) for t in takes if t.style == style and t.split == "validation"
                 and t.meter == (4, 4)]
        g = np.mean(rows, axis=0)
        h = f"{'':>17} " + (" ".join(f"{v:>{w}.{d}f}" for v, w, d in zip(np.mean(human, axis=0), (8, 5, 6), (1, 0, 1)))
                            if human else f"{'(no validation groove)':>21}")
        print(f"{style:<11} {tempo[style]:>4.0f} | {'':>11} {g[0]:>8.1f} {g[1]:>5.0f} {g[2]:>6.1f} {g[3] / WINDOW:>6.0%} | {h}")
    print(f"\nempty drum bars: {empty_total / bars_total:.1%} of {bars_total} generated bars (target <= 5 %)")

    if not args.style_only:
        _print_latency(generator, args.runs)
        _print_kick_lock(load_generator("default", "cpu"), styles, tempo, args.seeds)
    _print_style_classifier(takes, generated)


def _print_latency(generator: DrumGenerator, runs: int) -> None:
    """p50 latency of an 8-bar drums part, and of an 8-bar full band with the default model."""
    latencies = []
    request = Request(task="accompany", chords="C | F | G | C", bars=8, parts=("drums",), style="funk", tempo=100)
    generator.generate(request.replace(seed=99))  # warm
    for run in range(runs):
        start = time.perf_counter()
        generator.generate(request.replace(seed=run))
        latencies.append(time.perf_counter() - start)
    print(f"8-bar drums part: p50 {statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
          f"({runs} runs, one thread)")
    band, latencies = load_generator("default", "cpu"), []
    request = request.replace(parts=("bass", "keys", "pad", "arp", "counter", "drums"), style="pop")
    band.generate(request.replace(seed=99))
    for run in range(runs):
        start = time.perf_counter()
        band.generate(request.replace(seed=run))
        latencies.append(time.perf_counter() - start)
    print(f"8-bar full band with the default model (bass, keys, pad, arp, counter, drums; pop): "
          f"p50 {statistics.median(latencies) * 1000:.0f} ms (target <= 600 ms)")


def _print_style_classifier(takes, generated: dict[str, list[list[DrumHit]]]) -> None:
    """The classifier's accuracy on human validation windows beside that on generated grooves."""

    def rows(split: str) -> list[tuple[np.ndarray, str]]:
        return [(features(w, WINDOW), t.style) for t in takes if t.split == split and t.meter == (4, 4)
                for w in windows(t.hits, t.bars, WINDOW)]

    train, valid = rows("train"), rows("validation")
    classes = sorted({s for _, s in train})
    classifier = StyleClassifier(np.stack([w for w, _ in train]), np.array([classes.index(s) for _, s in train]), classes)
    human_right = [p == s for p, (_, s) in zip(classifier.predict(np.stack([w for w, _ in valid])), valid)]
    known = [right for right, (_, s) in zip(human_right, valid) if s in classes]
    gen = [(features(h, WINDOW), s) for s, grooves in generated.items() for h in grooves if s in classes]
    gen_right = [p == s for p, (_, s) in zip(classifier.predict(np.stack([w for w, _ in gen])), gen)]
    print(f"\nstyle classifier ({len(classes)} styles, {len(train)} train windows of {WINDOW} bars; chance "
          f"{1 / len(classes):.0%}): human validation {np.mean(human_right):.0%} of {len(valid)} "
          f"({np.mean(known):.0%} of the {len(known)} in styles it learnt), "
          f"generated {np.mean(gen_right):.0%} of {len(gen)} (target >= 60 %)")
    per_style = {}
    for name, pairs, right in (("human validation", valid, human_right), ("generated", gen, gen_right)):
        per_style[name] = defaultdict(list)
        for r, (_, style) in zip(right, pairs):
            per_style[name][style].append(r)
        print(f"  {name}, per style: " + ", ".join(f"{s} {np.mean(r):.0%} of {len(r)}"
                                                   for s, r in sorted(per_style[name].items())))
    # The generated grooves span every style evenly, the human windows mostly rock, latin and funk,
    # the styles with the most training data: the same mix on both sides, for a like-for-like figure.
    human, made = per_style["human validation"], per_style["generated"]
    shared = [s for s in human if s in made]
    weight = np.array([len(human[s]) for s in shared], float)
    print(f"  like for like, the {len(shared)} styles with validation grooves weighted as those windows are: "
          f"human {np.average([np.mean(human[s]) for s in shared], weights=weight):.0%}, "
          f"generated {np.average([np.mean(made[s]) for s in shared], weights=weight):.0%}; "
          f"each style alike: human {np.mean([np.mean(human[s]) for s in shared]):.0%}, "
          f"generated {np.mean([np.mean(made[s]) for s in shared]):.0%}")


def _print_kick_lock(band, styles: list[str], tempo: dict[str, float], seeds: int) -> None:
    """Issue #16's point 3: the share of bass onsets on kick onsets in a full band (bass, keys, drums), per style."""
    print(f"\nbass locks with the kick (bass, keys, drums; {seeds} seeds of {WINDOW} bars per style; an onset "
          f"within {LOCK_BEATS} beat of a kick): generated share, and the share by chance given the kick density")
    print("  (no human reference: the Groove set has drums only, no bass)")
    chords = "Am7 | D7 | Gmaj7 | Cmaj7"
    locked_all, chance_all = [], []
    for style in styles:
        locked, chance = [], []
        for seed in range(seeds):
            request = Request(task="accompany", chords=chords, bars=WINDOW, parts=("bass", "keys", "drums"),
                              style=style, tempo=tempo[style], seed=seed, fills=0)
            parts = band.generate(request)[0].parts
            lock = kick_lock(parts["bass"], parts["drums"], WINDOW * 4.0)
            if not np.isnan(lock["locked"]):
                locked.append(lock["locked"])
                chance.append(lock["chance"])
        locked_all += locked
        chance_all += chance
        print(f"  {style:<11} {np.mean(locked):>5.0%} on a kick, {np.mean(chance):>5.0%} by chance")
    print(f"  {'all':<11} {np.mean(locked_all):>5.0%} on a kick, {np.mean(chance_all):>5.0%} by chance")


def _figures(hits: list[DrumHit], bars: int, bpm: float) -> tuple[float, float, float]:
    """(hits per bar, mean velocity, mean distance from the grid in ms)."""
    if not hits:
        return 0.0, 0.0, 0.0
    off = [abs(h.onset_beats - round(h.onset_beats * GRID) / GRID) * 60000 / bpm for h in hits]
    return len(hits) / bars, float(np.mean([h.velocity for h in hits])), float(np.mean(off))


if __name__ == "__main__":
    main()
