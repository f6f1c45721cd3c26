"""Held-out evaluation (``continuo eval``): NLL per note for transformer/LSTM/Markov and metrics of generated music."""

from __future__ import annotations

import argparse
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from models.api import ChordSpan, Note, Request
from models.chords import chord_at, chord_tone_ratio
from models.corpora import Piece, read_midi_folder, read_pop909
from models.data import TokenCache
from models.tokenizer import BAR, BOS, CTRACK0, PITCH0, STYLE0, TRACKS, TTRACK0

log = logging.getLogger(__name__)

EVAL_CONTROLS = ("chord",)
# Scored tracks: the monophonic lines every model can score (keys and arp are left out, so that a
# window of the 512-token context holds several bars of what is scored).
EVAL_TARGETS = ("melody", "counter", "bass", "soprano", "alto", "tenor", "bassvoice")
PITCH_PARTS = ("melody", "counter", "bass")  # monophonic parts every model can score
FLOOR = 0.01  # the Markov chain's pitch distribution is mixed with 1 % uniform so unseen pitches stay finite


@dataclass
class NLLTotals:
    """Summed negative log-likelihoods (nats) and the notes they cover."""

    full: float = 0.0
    notes: int = 0
    pitch: float = 0.0
    pitch_notes: int = 0
    per_part: dict[str, list[float]] = field(default_factory=dict)

    def add_pitch(self, part: str, nll: float) -> None:
        self.pitch += nll
        self.pitch_notes += 1
        self.per_part.setdefault(part, []).append(nll)

    def summary(self) -> dict[str, float]:
        out = {"nll_per_note": self.full / self.notes if self.notes else math.nan,
               "pitch_nll_per_note": self.pitch / self.pitch_notes if self.pitch_notes else math.nan,
               "notes": float(self.notes),
               "pitch_notes": float(self.pitch_notes)}
        out.update({f"pitch_nll_{p}": float(np.mean(v)) for p, v in self.per_part.items()})
        return out


def eval_windows(cache: TokenCache, piece: int, max_tokens: int) -> list[tuple[list[int], list[str | None], list[bool]]]:
    """Consecutive windows of whole bars: tokens, the target track each token belongs to (None for
    controls and structure) and whether the token is a PITCH of a target track."""
    style, bar0, count = cache.pieces[piece, :3]
    present = {int(t) for b in range(bar0, bar0 + count) for t in cache.sections[cache.bars[b, 1]:cache.bars[b, 1] + cache.bars[b, 2], 0]}
    controls = [TRACKS.index(t) for t in EVAL_CONTROLS if TRACKS.index(t) in present]
    targets = [TRACKS.index(t) for t in EVAL_TARGETS if TRACKS.index(t) in present]
    windows: list[tuple[list[int], list[str | None], list[bool]]] = []
    current: tuple[list[int], list[str | None], list[bool]] = ([BOS, STYLE0 + style], [None, None], [False, False])
    for bar in range(bar0, bar0 + count):
        meter, sec0, nsec = cache.bars[bar]
        found = {int(cache.sections[s, 0]): s for s in range(sec0, sec0 + nsec)}
        tokens, owners = [BAR, int(meter)], [None, None]
        for first, tracks, role in ((CTRACK0, controls, "c"), (TTRACK0, sorted(targets), "t")):
            for track in tracks:
                if track not in found:
                    continue
                _, start, stop = cache.sections[found[track]]
                body = [int(t) for t in cache.tokens[start:stop]]
                tokens += [first + track] + body
                owners += [None] + [TRACKS[track] if role == "t" else None] * len(body)
        if len(current[0]) + len(tokens) > max_tokens and len(current[0]) > 2:
            windows.append(current)
            current = ([BOS, STYLE0 + style], [None, None], [False, False])
        if len(current[0]) + len(tokens) > max_tokens:
            continue  # a single bar longer than the context is skipped
        current[0].extend(tokens)
        current[1].extend(owners)
        current[2].extend(PITCH0 <= t < PITCH0 + 128 for t in tokens)
    if len(current[0]) > 2:
        windows.append(current)
    return windows


@torch.no_grad()
def model_nll(model: torch.nn.Module, cache: TokenCache, totals: NLLTotals | None = None) -> NLLTotals:
    """Full NLL per target note (every token of the target sections, including the one closing each
    section) and pitch NLL of the monophonic parts, over every piece of ``cache``."""
    totals = totals or NLLTotals()
    n_ctx = model.config.n_ctx if model.config.kind == "transformer" else 2048  # type: ignore[union-attr]
    for piece in range(len(cache)):
        for tokens, owners, is_pitch in eval_windows(cache, piece, n_ctx):
            idx = torch.tensor([tokens])
            logits = model(idx[:, :-1]).float()[0]  # (T-1, V)
            nll = F.cross_entropy(logits, idx[0, 1:], reduction="none").numpy()
            for i in range(1, len(tokens)):
                owner = owners[i] or owners[i - 1]  # a target token, or the token closing a target section
                if owner is None:
                    continue
                totals.full += float(nll[i - 1])
                if is_pitch[i] and owners[i] is not None:
                    totals.notes += 1
                    if owners[i] in PITCH_PARTS:
                        totals.add_pitch(owners[i], float(nll[i - 1]))
    return totals


def markov_pitch_nll(table, pieces: Sequence[Piece]) -> NLLTotals:
    """Pitch NLL per note of the Markov chain's pitch distribution (as its sampler builds it)."""
    from models.markov_parts import pitch_weights

    totals = NLLTotals()
    for piece in pieces:
        starts = [b for b, _ in piece.bars]
        end = piece.bars[-1][0] + piece.bars[-1][1][0] * 4 / piece.bars[-1][1][1] if piece.bars else 0
        for part in PITCH_PARTS:
            notes = [n for n in piece.tracks.get(part, []) if starts and starts[0] - 1e-6 <= n.start_beats < end]
            history: list[int] = []
            previous = None
            previous_chord = None
            for note in notes:
                chord = chord_at(piece.chords, note.start_beats)
                if chord is None or chord.is_rest:
                    history, previous = [], None
                    totals.add_pitch(part, -math.log(1 / 128))
                    continue
                low, high = table.ranges[part]
                candidates = np.arange(128)
                weights = pitch_weights(table, part, chord, history, previous, candidates, chord != previous_chord)
                weights = np.where((candidates >= low) & (candidates <= high), weights, 0.0)
                probs = (1 - FLOOR) * weights / weights.sum() + FLOOR / 128
                totals.add_pitch(part, -math.log(probs[note.pitch]))
                history = (history + [(note.pitch - chord.root) % 12])[-2:]
                previous, previous_chord = note.pitch, chord
    return totals


# ---------------------------------------------------------------- musical metrics of generated parts

def progression_text(chords: Sequence[ChordSpan], start: float, bars: int, beats: float = 4.0) -> str:
    """Bars of the annotation as progression text, at half-bar resolution."""
    cells = []
    for bar in range(bars):
        names = []
        for half in (0.0, beats / 2):
            chord = chord_at(chords, start + bar * beats + half)
            names.append(chord.name if chord is not None else "N")
        cells.append(names[0] if names[0] == names[1] else " ".join(names))
    return " | ".join(cells)


def pc_overlap(a: Sequence[Note], b: Sequence[Note]) -> float:
    """Overlap (sum of minima) of two duration-weighted pitch-class histograms, 1.0 = identical."""
    ha, hb = np.zeros(12), np.zeros(12)
    for note in a:
        ha[note.pitch % 12] += note.duration_beats
    for note in b:
        hb[note.pitch % 12] += note.duration_beats
    if ha.sum() == 0 or hb.sum() == 0:
        return math.nan
    return float(np.minimum(ha / ha.sum(), hb / hb.sum()).sum())


def parallels(voices: Sequence[Sequence[Note]]) -> tuple[int, int]:
    """(parallel fifths and octaves, voice-leading steps) between every pair of voices.

    A step is a pair of consecutive onset times of the texture at which both voices sound and at
    least one moves; it is parallel when both move the same way and the interval stays a perfect
    fifth or an octave/unison (modulo 12).
    """
    times = sorted({n.start_beats for v in voices for n in v})

    def sounding(voice: Sequence[Note], t: float) -> int | None:
        for note in voice:
            if note.start_beats <= t + 1e-6 < note.end_beats:
                return note.pitch
        return None

    grid = [[sounding(v, t) for t in times] for v in voices]
    found = steps = 0
    for i in range(len(voices)):
        for j in range(i + 1, len(voices)):
            for k in range(1, len(times)):
                a0, a1, b0, b1 = grid[i][k - 1], grid[i][k], grid[j][k - 1], grid[j][k]
                if None in (a0, a1, b0, b1) or (a0 == a1 and b0 == b1):
                    continue
                steps += 1
                same_way = (a1 - a0) * (b1 - b0) > 0
                if same_way and (a0 - b0) % 12 == (a1 - b1) % 12 and (a0 - b0) % 12 in (0, 7):
                    found += 1
    return found, steps


def _piece_bars(piece: Piece, first: int, count: int) -> tuple[float, float]:
    start = piece.bars[first][0]
    return start, start + count * 4.0


def _shifted(notes: Sequence[Note], start: float, end: float) -> list[Note]:
    return [Note(n.pitch, n.start_beats - start, n.duration_beats, n.velocity) for n in notes if start <= n.start_beats < end]


def generation_metrics(generator, pieces: Sequence[Piece], count: int = 12, bars: int = 8,
                       seed: int = 0) -> dict[str, float]:
    """Accompaniment from each piece's chords (chord-tone ratio, pitch-class overlap, density) and,
    for chorales, harmonizations of the soprano (parallel fifths/octaves per 100 steps)."""
    ratios: dict[str, list[float]] = {}
    overlaps, densities, ref_densities, latencies = [], [], [], []
    found = steps = ref_found = ref_steps = 0
    pop = [p for p in pieces if p.style not in ("chorale", "renaissance") and p.chords and len(p.bars) >= bars
           and all(m == (4, 4) for _, m in p.bars[:bars])][:count]
    for index, piece in enumerate(pop):
        first = 8 if len(piece.bars) >= bars + 8 else 0
        start, end = _piece_bars(piece, first, bars)
        text = progression_text(piece.chords, start, bars)
        request = Request(task="accompany", chords=text, bars=bars, parts=("bass", "keys", "pad"), seed=seed + index,
                          style=piece.style if piece.style in ("pop", "folk", "classical") else "pop")
        began = time.perf_counter()
        result = _generate(generator, request)
        latencies.append(time.perf_counter() - began)
        from models.chords import parse_progression
        spans = parse_progression(text, (4, 4), bars)
        for part, notes in result.parts.items():
            value = chord_tone_ratio(notes, spans)
            if not math.isnan(value):
                ratios.setdefault(part, []).append(value)
        generated = [n for part in ("bass", "keys") for n in result.parts.get(part, ())]
        reference = [n for part in ("bass", "keys", "arp") for n in _shifted(piece.tracks.get(part, []), start, end)]
        overlaps.append(pc_overlap(generated, reference))
        densities.append(len(generated) / bars)
        ref_densities.append(len(reference) / bars)
    chorales = [p for p in pieces if p.style == "chorale" and "soprano" in p.tracks and len(p.bars) >= bars][:count]
    for index, piece in enumerate(chorales):
        start, end = _piece_bars(piece, 0, bars)
        melody = _shifted(piece.tracks["soprano"], start, end)
        request = Request(task="harmonize", melody=tuple(melody), bars=bars, parts=("counter", "keys", "bass"),
                          style="chorale", seed=seed + index, meter=piece.bars[0][1])
        result = _generate(generator, request)
        f, s = parallels([melody] + [list(result.parts[p]) for p in ("counter", "keys", "bass")])
        found, steps = found + f, steps + s
        f, s = parallels([_shifted(piece.tracks[v], start, end) for v in ("soprano", "alto", "tenor", "bassvoice")
                          if v in piece.tracks])
        ref_found, ref_steps = ref_found + f, ref_steps + s
    out = {f"chord_tone_{part}": float(np.mean(v)) for part, v in ratios.items()}
    all_ratios = [x for v in ratios.values() for x in v]
    out.update({"chord_tone_ratio": float(np.mean(all_ratios)) if all_ratios else math.nan,
                "pc_overlap": float(np.nanmean(overlaps)) if overlaps else math.nan,
                "notes_per_bar": float(np.mean(densities)) if densities else math.nan,
                "reference_notes_per_bar": float(np.mean(ref_densities)) if ref_densities else math.nan,
                "latency_p50_s": float(np.median(latencies)) if latencies else math.nan,
                "prompts": float(len(pop))})
    if chorales:
        out["chorale_parallels_per_100"] = 100 * found / max(steps, 1)
        out["reference_parallels_per_100"] = 100 * ref_found / max(ref_steps, 1)
    return out


def _generate(generator, request: Request):
    """First result; a style the model does not know falls back to pop (the Markov baseline's case)."""
    try:
        return generator.generate(request)[0]
    except ValueError as err:
        if "style" not in str(err):
            raise
        return generator.generate(request.replace(style="pop"))[0]


def read_eval_data(data: str, style: str = "pop", test_only: bool = True, files: int = 0) -> list[Piece]:
    """Pieces to evaluate on: a POP909 copy (its test split), a source spec, or a MIDI folder.

    ``files`` caps how many files of a source spec are read (0: all).
    """
    from models.data import read_source

    path = Path(data).expanduser()
    if path.is_dir() and any((p / f"{p.name}.mid").exists() for p in path.iterdir() if p.is_dir()):
        pieces = list(read_pop909(path))
    elif path.is_dir():
        return list(read_midi_folder(path, style))
    else:
        pieces = list(read_source(data, files))
    return [p for p in pieces if p.is_test] if test_only else pieces


def evaluate(model_name: str, pieces: Sequence[Piece], generate_count: int = 12, device: str = "cpu") -> dict[str, float]:
    """NLL and generation metrics of one registered model on ``pieces``."""
    from models.registry import load_generator

    generator = load_generator(model_name, device)
    if hasattr(generator, "model"):
        totals = model_nll(generator.model, TokenCache.from_pieces(pieces))
    else:
        totals = markov_pitch_nll(generator.table, pieces)
    out = totals.summary()
    if generate_count:
        out.update(generation_metrics(generator, pieces, generate_count))
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    """``continuo eval --data DIR [--model NAME]``: print NLL per note and musical metrics."""
    parser = argparse.ArgumentParser(description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    return run(args)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="POP909 folder (test split), MIDI folder, or a source "
                        "spec such as music21:bach")
    parser.add_argument("--model", default="default", help="registered model name (default, transformer, lstm, markov)")
    parser.add_argument("--style", default="pop", help="style label of a MIDI folder")
    parser.add_argument("--all", action="store_true", help="use every piece, not only the held-out split")
    parser.add_argument("--generate", type=int, default=12, help="prompts to generate from (0: NLL only)")
    parser.add_argument("--limit", type=int, default=0, help="evaluate at most this many pieces")
    parser.add_argument("--files", type=int, default=0, help="read at most this many files of a source spec")
    parser.add_argument("--device", default="cpu")


def run(args: argparse.Namespace) -> dict[str, float]:
    import sys

    pieces = read_eval_data(args.data, args.style, not args.all, args.files)
    if args.limit:
        pieces = pieces[: args.limit]
    if not pieces:
        raise ValueError(f"no pieces to evaluate in {args.data}")
    results = evaluate(args.model, pieces, args.generate, args.device)
    lines = [f"model {args.model} on {len(pieces)} pieces from {args.data}"]
    lines += [f"  {key:28s} {value:.4f}" for key, value in results.items()]
    sys.stdout.write("\n".join(lines) + "\n")
    return results
