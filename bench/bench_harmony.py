"""Harmonization benchmark: the harmonizer against the transformer's and the Markov chain's own harmonize, on
POP909's held-out songs, beside the songs' annotated chords (the reference column), in one run.

    .venv/bin/python bench/bench_harmony.py [--data ../shared/datasets/pop909] [--bars 16] [--songs 0] [--runs 20]

Prints Yeh et al. (2021)'s measures and the issue's own (docs/models.md, "Harmonization"): triads in the
song's key (target >= 85 %), CTnCTR (>= 0.85), PCS (>= 0.55), MCTD, CHE, CC, CTD, melody chord tones
(>= 70 %) and root agreement with the annotation per half bar (>= 45 %); then the p50 latency of an
8-bar harmonization (target < 0.5 s on 2 CPU cores): the harmonizer alone, and the whole harmonize
request of the default model with bass and keys.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.evaluate.harmony import Excerpt, annotation, evaluate_harmony, format_harmony, held_out_excerpts
from models.harmony.harmonizer import Harmonizer
from models.registry import load_generator, load_model
from models.types import Request


def systems(names: list[str], chords_per_bar: float) -> dict:
    """Each system as excerpt -> chord spans."""
    harmonizer = Harmonizer.load()
    out = {}
    for name in names:
        if name == "harmonizer":
            out[name] = lambda e: harmonizer.harmonize(e.melody, bars=e.bars, chords_per_bar=chords_per_bar).chords
        elif name == "annotation":
            out[name] = annotation
        else:  # a model's own harmonize task, without the harmonizer
            model = load_model(name, "cpu")

            def own(e: Excerpt, model=model):
                request = Request(task="harmonize", melody=e.melody, bars=e.bars, parts=("bass",), seed=1)
                return model.generate(request)[0].chords
            out[name] = own
    return out


def latency(excerpts: list[Excerpt], runs: int) -> tuple[float, float]:
    """p50 seconds of 8 bars: the harmonizer alone; harmonize with bass and keys on the default model."""
    harmonizer = Harmonizer.load()
    generator = load_generator("default", "cpu")
    alone, whole = [], []
    for k in range(runs):
        e = excerpts[k % len(excerpts)]
        melody = tuple(n for n in e.melody if n.start_beats < 32)
        started = time.perf_counter()
        harmonizer.harmonize(melody, bars=8)
        alone.append(time.perf_counter() - started)
        started = time.perf_counter()
        generator.generate(Request(task="harmonize", melody=melody, bars=8, parts=("bass", "keys"), seed=k))
        whole.append(time.perf_counter() - started)
    return statistics.median(alone), statistics.median(whole)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/datasets/pop909")
    parser.add_argument("--bars", type=int, default=16, help="bars per held-out excerpt")
    parser.add_argument("--songs", type=int, default=0, help="held-out songs (0: all)")
    parser.add_argument("--runs", type=int, default=20, help="8-bar harmonizations timed")
    parser.add_argument("--chords-per-bar", type=float, default=2.0)  # Request.chords_per_bar's default
    parser.add_argument("--systems", default="harmonizer,transformer,markov,annotation")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    excerpts = held_out_excerpts(args.data, args.bars, args.songs)
    table = evaluate_harmony(systems(args.systems.split(","), args.chords_per_bar), excerpts)
    print(f"{len(excerpts)} held-out POP909 songs, {args.bars} bars each from the first bar with melody; "
          f"harmonizer at {args.chords_per_bar:g} chords per bar")
    print(format_harmony(table))
    if args.runs:
        alone, whole = latency(excerpts, args.runs)
        print(f"8-bar harmonization, p50 of {args.runs}: harmonizer {alone * 1000:.1f} ms; "
              f"harmonize with bass and keys (default model) {whole * 1000:.0f} ms")


if __name__ == "__main__":
    main()
