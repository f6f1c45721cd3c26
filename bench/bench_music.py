"""Music benchmark: the default model's accompaniment of held-out POP909 songs beside the songs' own piano, in one run.

    .venv/bin/python bench/bench_music.py [--data ../shared/datasets/pop909] [--songs 20] [--model default]

Prints the whole `continuo eval --metrics music` table (Yang & Lerch's overlapping areas, MuseGAN's
measures, per-part idioms, dynamics, meters; docs/models.md, "How the music is measured"), then
issue 15's target rows with the human figure beside the model's and PASS/FAIL, marking a target
the human reference fails itself (the bass's first note = root: docs/models.md says why). The latency row
is the p50 process CPU time of the run's 8-bar, 3-part accompaniments (melody given; decoding
runs on one thread, so on an idle machine this is the wall time, and it does not grow with other
people's load); the wall time and the machine's load average are printed with it.
"""

from __future__ import annotations

import argparse
import logging
import math
import operator
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from models.data.pop909 import read_pop909
from models.evaluate.music_eval import format_music, music_metrics
from models.registry import load_generator

# (label, result key, comparison, target, how to print: "%" or a number of decimals)
TARGETS = (
    ("arp empty bars (asked with bass, keys)", "model.arp.empty_bars", "<=", 0.10, "%"),
    ("keys empty bars", "model.keys.empty_bars", "<=", 0.02, "%"),
    ("distinct velocities per 8 bars (bass+keys)", "model.piano.distinct_velocities", ">=", 12, "1"),
    ("within-bar velocity spread (bass+keys)", "model.piano.velocity_spread", ">=", 3.5, "2"),
    ("keys sixteenth off-beat onsets", "model.keys.sixteenth_onsets", ">=", 0.08, "%"),
    ("bass first note = root", "model.bass.root_first", "<=", 0.92, "%"),
    ("mean Yang & Lerch OA, bass+keys", "oa.mean.model", ">=", 0.86, "3"),
    ("keys chord-tone ratio", "model.keys.chord_tones", ">=", 0.85, "2"),
    ("3/4: bass starts a note in every bar", "meter.3/4.bass.bars_with_onset", ">=", 1.0, "%"),
    ("3/4: keys starts a note in every bar", "meter.3/4.keys.bars_with_onset", ">=", 1.0, "%"),
    ("6/8: bass starts a note in every bar", "meter.6/8.bass.bars_with_onset", ">=", 1.0, "%"),
    ("6/8: keys starts a note in every bar", "meter.6/8.keys.bars_with_onset", ">=", 1.0, "%"),
    ("8-bar 3-part accompaniment p50, CPU s", "latency_cpu_p50_s", "<=", 0.300, "3"),
)
_OPS = {"<=": operator.le, ">=": operator.ge}


def _show(value: float | None, kind: str) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{100 * value:.1f}%" if kind == "%" else f"{value:.{kind}f}"


def _human(results: dict[str, float], key: str) -> float | None:
    """The human column's figure for a target row: the human part, or the human-to-human overlap."""
    if key.startswith("model."):
        return results.get("human." + key[len("model."):])
    if key == "oa.mean.model":
        return results["oa.mean.human"]
    return None


def target_rows(results: dict[str, float]) -> list[str]:
    """One line per target: label, model, human, target, PASS/FAIL, and a note where the human reference
    fails the target itself (a target no pianist of the reference meets asks the model to leave them)."""
    lines = [f"  {'target':44s} {'model':>8s} {'human':>8s} {'target':>9s}"]
    passed = human_failed = 0
    for label, key, op, target, kind in TARGETS:
        value, human = results[key], _human(results, key)
        ok = not math.isnan(value) and _OPS[op](value, target)
        passed += ok
        line = (f"  {label:44s} {_show(value, kind):>8s} {_show(human, kind):>8s} "
                f"{op} {_show(target, kind):>6s}  {'PASS' if ok else 'FAIL'}")
        if human is not None and not math.isnan(human) and not _OPS[op](human, target):
            human_failed += 1
            line += "  (the human reference fails it)"
        lines.append(line)
    lines.append(f"  {passed} of {len(TARGETS)} targets met"
                 + (f"; the human reference fails {human_failed}" if human_failed else ""))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/datasets/pop909")
    parser.add_argument("--model", default="default")
    parser.add_argument("--songs", type=int, default=20)
    parser.add_argument("--meter-songs", type=int, default=5, help="songs rebarred into each meter")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(args.threads)

    began = time.perf_counter()
    pieces = list(read_pop909(args.data, test_only=True))
    results = music_metrics(load_generator(args.model, "cpu"), pieces, args.songs, 8, args.seed,
                            meter_songs=args.meter_songs)
    print(f"model {args.model}, {int(results['songs'])} held-out POP909 songs, 8 bars each, seed {args.seed}")
    print(format_music(results))
    print("Issue 15 targets")
    print("\n".join(target_rows(results)))
    print(f"({time.perf_counter() - began:.0f} s in all, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
