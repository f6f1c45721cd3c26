"""Metrics of generated music: accompaniment from held-out chords, chorale harmonizations, latency."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np

from models.data.pieces import Piece
from models.music.chords import chord_at, parse_progression
from models.music.metrics import chord_tone_ratio, parallels, pc_overlap
from models.types import ChordSpan, Generator, Note, Request, Result


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


def _piece_bars(piece: Piece, first: int, count: int) -> tuple[float, float]:
    start = piece.bars[first][0]
    return start, start + count * 4.0


def _shifted(notes: Sequence[Note], start: float, end: float) -> list[Note]:
    return [Note(n.pitch, n.start_beats - start, n.duration_beats, n.velocity) for n in notes if start <= n.start_beats < end]


def generation_metrics(generator: Generator, pieces: Sequence[Piece], count: int = 12, bars: int = 8,
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
        result = generate_first(generator, request)
        latencies.append(time.perf_counter() - began)
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
        result = generate_first(generator, request)
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


def generate_first(generator: Generator, request: Request) -> Result:
    """First result; a style the model does not know falls back to pop (the Markov baseline's case)."""
    try:
        return generator.generate(request)[0]
    except ValueError as err:
        if "style" not in str(err):
            raise
        return generator.generate(request.replace(style="pop"))[0]
