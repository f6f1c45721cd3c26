"""VAE benchmark: reconstruction, interpolation smoothness and texture transfer on held-out POP909 songs.

    .venv/bin/python bench/bench_vae.py [--checkpoint models/checkpoints/vae.safetensors] [--songs 40] [--pairs 40]

Reconstruction: every 2-bar segment of the held-out songs' piano part (bass and keys) encoded to its latents' means
and decoded as served (an onset where its probability passes ``THRESHOLD``); onset precision, recall and F1 over
(sixteenth, pitch) cells, and note accuracy (onset and duration class both right, over the true notes).
Interpolation: pairs of 4-bar passages from two different songs, 5 steps through `continuo`'s interpolate task; the
distance is the Jaccard distance between piano rolls (sounding sixteenth-pitch cells), smoothness the mean distance
between consecutive steps against the distance between the ends (a jump-cut: all of it; Jaccard saturates, so even a
cross-fade that swaps each note once scores about 0.4), beside random and fixed-moment cross-fades, and the additive
figure (cells changed between consecutive steps over those between the ends: an even path 1/4).
Texture transfer: the same pairs, the first passage's chords (recognised, as a user's clip's are) under the second's
texture; chord-tone ratio against the first passage's annotated chords, onset Jaccard with the texture clip and with
the source, beside the two clips' own figures.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch

from models.data.pop909 import load_song, split_songs
from models.types import ChordSpan, Note, Request
from models.vae.codec import THRESHOLD, VaeCodec
from models.vae.data import DEFAULT_POP909, song_segments
from models.vae.generator import CHECKPOINT, VaeTasks
from models.vae.metrics import (
    additive_smoothness,
    chord_tone_ratio,
    onset_jaccard,
    onset_scores,
    roll_distance,
    smoothness,
)
from models.vae.roll import DURATIONS, events_to_durations, events_to_roll

PASSAGE_BEATS = 16


class _Nothing:
    name, device = "none", "cpu"

    def generate(self, request, progress=None):
        raise AssertionError("the VAE's layer answers these tasks itself")


def reconstruction(codec: VaeCodec, folders: list[Path]) -> dict[str, float]:
    events = [e for folder in folders for e in song_segments(folder)[0]]
    chords = [c for folder in folders for c in song_segments(folder)[1]]
    predicted, truth, right = [], [], 0
    for start in range(0, len(events), 256):
        rows = events[start:start + 256]
        rolls = torch.from_numpy(np.stack([events_to_roll(r) for r in rows]))
        durations = np.stack([events_to_durations(r) for r in rows])
        with torch.no_grad():
            (mu_c, _), (mu_t, _) = codec.model.encode(rolls, torch.from_numpy(np.stack(chords[start:start + 256])))
            onset_logits, duration_logits = codec.model.decode(mu_c, mu_t)
        guess, real = torch.sigmoid(onset_logits).numpy() > THRESHOLD, rolls[:, 0].numpy() > 0
        right += int((guess & real & (duration_logits.argmax(-1).numpy() == durations)).sum())
        predicted.append(guess)
        truth.append(real)
    precision, recall, f1 = onset_scores(np.concatenate(predicted), np.concatenate(truth))
    notes = float(np.concatenate(truth).sum())
    return {"segments": len(events), "precision": precision, "recall": recall, "f1": f1, "note_accuracy": right / notes}


def passages(folders: list[Path], per_song: int = 2) -> list[tuple[str, list[Note], list[ChordSpan]]]:
    """4-bar passages of each song's piano part (times from 0) with the annotated chords, ``per_song`` at most."""
    out = []
    for folder in folders:
        song = load_song(folder)
        if song is None:
            continue
        piano = song.parts["bass"] + song.parts["keys"]
        starts = set(song.bar_starts)
        runs = [s for s in song.bar_starts if all(s + 4 * k in starts for k in range(4))]
        for start in runs[len(runs) // 4::max(1, len(runs) // (per_song + 1))][:per_song]:
            notes = [Note(n.pitch, n.start_beats - start, n.duration_beats, n.velocity) for n in piano
                     if start <= n.start_beats < start + PASSAGE_BEATS]
            chords = [ChordSpan(c.symbol, c.start_beats - start, c.duration_beats) for c in song.chords
                      if c.start_beats + c.duration_beats > start and c.start_beats < start + PASSAGE_BEATS]
            if len(notes) >= 16:
                out.append((folder.name, notes, chords))
    return out


def crossfade(a: list[Note], b: list[Note], steps: int, rng: np.random.Generator) -> list[list[Note]]:
    """The naive morph: at step i, each note of ``a`` kept with probability 1 - t and each of ``b`` with t."""
    out = []
    for index in range(steps):
        t = index / (steps - 1)
        out.append([n for n in a if rng.random() >= t] + [n for n in b if rng.random() < t])
    return out


def nested_crossfade(a: list[Note], b: list[Note], steps: int, rng: np.random.Generator) -> list[list[Note]]:
    """The naive morph with each note's moment fixed: a note of ``a`` leaves, one of ``b`` enters, at its own random
    time, so a note gone stays gone (the best this distance gives a morph that only swaps the clips' notes)."""
    leave, enter = rng.random(len(a)), rng.random(len(b))
    out = []
    for index in range(steps):
        t = index / (steps - 1)
        out.append([n for n, u in zip(a, leave) if u >= t or t == 0] + [n for n, u in zip(b, enter) if u < t or t == 1])
    return out


def morphs(tasks: VaeTasks, pairs: list[tuple]) -> dict[str, float]:
    ratios, firsts, middles, monotone, naive, nested, additive, naive_additive = [], [], [], [], [], [], [], []
    rng, fixed = np.random.default_rng(0), np.random.default_rng(1)
    for (_, a, _), (_, b, _) in pairs:
        consecutive, ends = smoothness(crossfade(a, b, 5, rng))
        naive.append(consecutive / ends)
        fade = nested_crossfade(a, b, 5, fixed)
        consecutive, ends = smoothness(fade)
        nested.append(consecutive / ends)
        naive_additive.append(additive_smoothness(fade))
        steps = [r.parts["keys"] for r in tasks.generate(Request(task="interpolate", source=tuple(a),
                                                                 target=tuple(b), steps=5, seed=0, parts=("keys",)))]
        consecutive, ends = smoothness(steps)
        ratios.append(consecutive / ends)
        additive.append(additive_smoothness(steps))
        firsts.append(roll_distance(steps[0], steps[1]) / ends)
        middles.append(np.mean([roll_distance(x, y) for x, y in zip(steps[1:-1], steps[2:-1])]) / ends)
        from_source = [roll_distance(steps[0], s) for s in steps]
        monotone.append(float(all(x <= y + 1e-9 for x, y in zip(from_source[1:], from_source[2:]))))
    return {"ratio": float(np.mean(ratios)), "first": float(np.mean(firsts)), "middle": float(np.mean(middles)),
            "monotone": float(np.mean(monotone)), "crossfade": float(np.mean(naive)), "nested": float(np.mean(nested)),
            "additive": float(np.mean(additive)), "nested_additive": float(np.mean(naive_additive))}


def transfers(tasks: VaeTasks, pairs: list[tuple]) -> dict[str, float]:
    rows = []
    for (_, a, chords), (_, b, _) in pairs:
        out = tasks.generate(Request(task="transfer", source=tuple(a), texture=tuple(b), parts=("keys",),
                                     seed=0))[0].parts["keys"]
        rows.append((chord_tone_ratio(out, chords), onset_jaccard(out, b), onset_jaccard(out, a),
                     chord_tone_ratio(a, chords), chord_tone_ratio(b, chords), onset_jaccard(a, b), len(out) / len(b)))
    keys = ("chord_tones", "jaccard_texture", "jaccard_source", "source_chord_tones", "texture_chord_tones",
            "jaccard_between", "notes_ratio")
    return dict(zip(keys, np.mean(rows, axis=0).tolist()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=str(CHECKPOINT))
    parser.add_argument("--data", default=str(DEFAULT_POP909))
    parser.add_argument("--songs", type=int, default=40, help="held-out songs to read (0: all)")
    parser.add_argument("--pairs", type=int, default=40, help="passage pairs to morph and transfer")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(1)
    started = time.perf_counter()
    codec = VaeCodec.load(args.checkpoint)
    tasks = VaeTasks(_Nothing(), codec)
    folders = split_songs(args.data)[1][: args.songs or None]
    print(f"VAE {args.checkpoint}: step {codec.info.get('step')}, {codec.info.get('parameters', 0) / 1e6:.2f}M "
          f"parameters; {len(folders)} held-out POP909 songs")
    rec = reconstruction(codec, folders)
    print(f"reconstruction of {rec['segments']} held-out 2-bar segments (onsets above {THRESHOLD}): "
          f"onset F1 {rec['f1']:.3f} "
          f"(precision {rec['precision']:.3f}, recall {rec['recall']:.3f}), note accuracy (onset and duration of "
          f"{len(DURATIONS)} classes) {rec['note_accuracy']:.3f}")
    found = passages(folders)
    rng = np.random.default_rng(0)
    pairs = []
    while len(pairs) < min(args.pairs, len(found)):
        i, j = rng.choice(len(found), 2, replace=False)
        if found[i][0] != found[j][0]:
            pairs.append((found[i], found[j]))
    morph = morphs(tasks, pairs)
    print(f"interpolation, {len(pairs)} pairs of 4-bar passages, 5 steps: mean consecutive distance / end distance "
          f"{morph['ratio']:.3f} (a random note-by-note cross-fade {morph['crossfade']:.3f}, the same with each note's "
          f"moment fixed {morph['nested']:.3f}, a jump-cut 1.000); cells changed between consecutive steps / "
          f"between the ends {morph['additive']:.3f} (the fixed cross-fade {morph['nested_additive']:.3f}, an even "
          f"path 0.250); source -> step 2 {morph['first']:.3f}, "
          f"between decoded steps {morph['middle']:.3f}; distance from the source never falls: "
          f"{morph['monotone']:.0%} of morphs")
    moved = transfers(tasks, pairs)
    print(f"texture transfer, {len(pairs)} pairs: chord-tone ratio against the source's annotated chords "
          f"{moved['chord_tones']:.3f} (the source itself {moved['source_chord_tones']:.3f}, the texture clip "
          f"{moved['texture_chord_tones']:.3f}); onset Jaccard with the texture {moved['jaccard_texture']:.3f}, with "
          f"the source {moved['jaccard_source']:.3f} (texture against source {moved['jaccard_between']:.3f}); "
          f"notes / texture's notes {moved['notes_ratio']:.2f}")
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
