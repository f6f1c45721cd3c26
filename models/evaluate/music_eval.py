"""``continuo eval --metrics music``: a model's accompaniment of held-out songs measured beside the songs' own piano."""

from __future__ import annotations

import logging
import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from models.data.pieces import Piece
from models.evaluate.features import FEATURES, feature_overlaps
from models.evaluate.generation import generate_first, progression_text
from models.evaluate.musical import (bars_with_downbeat, bars_with_onset, empty_bar_rate, part_figures, tonal_distance,
                                     velocity_figures)
from models.music.chords import chord_at, parse_progression
from models.music.meter import beats_per_bar
from models.types import Generator, Note, Request

log = logging.getLogger(__name__)

PARTS = ("bass", "keys", "pad")  # the 3-part accompaniment every song gets
METER_CHECKS = ((4, 4), (3, 4), (6, 8), (12, 8), (2, 4))
FIRST_BAR = 8  # skip the intro: the excerpt starts at bar 9 of the song

# (figure key, label, format): "%" shares, "f1"/"f2" numbers with 1 or 2 decimals.
PART_ROWS = (("empty_bars", "empty bars (MuseGAN EB)", "%"), ("bars_with_onset", "bars starting a note", "%"),
             ("bars_with_downbeat", "bars with a note on beat 1", "%"),
             ("used_pitch_classes", "used pitch classes per bar (UPC)", "f2"),
             ("qualified_notes", "qualified notes (QN, >= 1/32)", "%"), ("onsets_per_bar", "onsets per bar", "f2"),
             ("notes_per_bar", "notes per bar", "f2"), ("on_beat_onsets", "onsets on the beat", "%"),
             ("off_beat_onsets", "onsets on the eighth off-beat", "%"),
             ("sixteenth_onsets", "onsets on a sixteenth off-beat", "%"), ("triplet_onsets", "onsets on a triplet", "%"),
             ("sounding_at_once", "notes sounding at once", "f2"), ("root_first", "first note of the bar = root", "%"),
             ("root_or_slash_first", "first note = root or the slash bass", "%"),
             ("chord_tones", "chord-tone ratio (given chords)", "f2"), ("mean_pitch", "mean pitch", "f1"),
             ("lowest_pitch", "lowest pitch", "f1"), ("highest_pitch", "highest pitch", "f1"),
             ("distinct_velocities", "distinct velocities per 8 bars", "f1"),
             ("velocity_spread", "velocity spread within a bar (std)", "f2"), ("mean_velocity", "mean velocity", "f1"))
PIANO_ROWS = (("distinct_velocities", "distinct velocities per 8 bars", "f1"),
              ("velocity_spread", "velocity spread within a bar (std)", "f2"), ("mean_velocity", "mean velocity", "f1"),
              ("tonal_distance", "bass-keys tonal distance (MuseGAN TD)", "f2"))


@dataclass
class Excerpt:
    """``bars`` bars of one held-out song: what the model is given and what the song's pianist played."""

    name: str
    chords: str  # the progression text the model gets (half-bar resolution)
    downbeats: list[str]  # the chord on each bar line, for rebarring into other meters
    melody: tuple[Note, ...]
    human: dict[str, list[Note]]  # bass and keys of the same bars
    later: dict[str, list[Note]]  # bass and keys of the next bars: the human-to-human comparison


def _window(notes: Sequence[Note], start: float, end: float) -> list[Note]:
    """Notes starting in [start, end), moved to start at 0 and cut at ``end``."""
    return sorted((Note(n.pitch, n.start_beats - start, min(n.end_beats, end) - n.start_beats, n.velocity)
                   for n in notes if start <= n.start_beats < end), key=lambda n: (n.start_beats, n.pitch))


def _piano(piece: Piece, start: float, end: float) -> dict[str, list[Note]]:
    """The song's piano in a window, as the role rule splits it: bass, and keys (arp bars included)."""
    keys = piece.tracks.get("keys", []) + piece.tracks.get("arp", [])
    return {"bass": _window(piece.tracks.get("bass", []), start, end), "keys": _window(keys, start, end)}


def select_excerpts(pieces: Sequence[Piece], songs: int, bars: int = 8) -> list[Excerpt]:
    """Up to ``songs`` excerpts from pieces in 4/4 with chords, long enough for two excerpts after the intro,
    whose pianist plays bass and keys in the first."""
    out = []
    for piece in pieces:
        if len(out) >= songs:
            break
        last = FIRST_BAR + 2 * bars
        if not piece.chords or len(piece.bars) <= last or any(m != (4, 4) for _, m in piece.bars[:last]):
            continue
        start, middle = piece.bars[FIRST_BAR][0], piece.bars[FIRST_BAR + bars][0]
        human = _piano(piece, start, middle)
        if not human["bass"] or not human["keys"]:
            continue
        downbeats = []
        for bar in range(bars):
            chord = chord_at(piece.chords, start + 4.0 * bar)
            downbeats.append(chord.name if chord is not None else "N")
        out.append(Excerpt(piece.name, progression_text(piece.chords, start, bars), downbeats,
                           tuple(_window(piece.tracks.get("melody", []), start, middle)), human,
                           _piano(piece, middle, piece.bars[last][0])))
    return out


def _mean(values: Sequence[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return float(np.mean(kept)) if kept else math.nan


def _summarise(column: str, sets: Sequence[dict[str, list[Note]]], excerpts: Sequence[Excerpt], bars: int,
               parts: Sequence[str]) -> dict[str, float]:
    """Per-part figures of one column (the model's or the human parts), averaged over the excerpts."""
    out: dict[str, float] = {}
    for part in parts:
        rows = [part_figures(s.get(part, []), parse_progression(e.chords, (4, 4), bars), bars)
                for s, e in zip(sets, excerpts)]
        out.update({f"{column}.{part}.{key}": _mean([r[key] for r in rows]) for key in rows[0]})
    piano = [velocity_figures(s["bass"] + s["keys"], bars) for s in sets]
    out.update({f"{column}.piano.{key}": _mean([r[key] for r in piano]) for key in piano[0]})
    out[f"{column}.piano.tonal_distance"] = _mean([tonal_distance(s["bass"], s["keys"], 4.0 * bars) for s in sets])
    return out


def _overlaps(samples: Sequence[list[Note]], reference: Sequence[list[Note]], column: str,
              bars: int) -> dict[str, float]:
    out = {}
    for name, (overlap, kl) in feature_overlaps(samples, reference, bars).items():
        out[f"oa.{name}.{column}"], out[f"kl.{name}.{column}"] = overlap, kl
    out[f"oa.mean.{column}"] = _mean([out[f"oa.{name}.{column}"] for name in FEATURES])
    out[f"kl.mean.{column}"] = _mean([out[f"kl.{name}.{column}"] for name in FEATURES])
    return out


def _meter_checks(generator: Generator, excerpts: Sequence[Excerpt], bars: int, seed: int) -> dict[str, float]:
    """Each excerpt's bar-line chords rebarred into every meter the model accepts, one chord a bar."""
    out: dict[str, float] = {}
    for meter in tqdm(METER_CHECKS, desc="meters", leave=False):
        beats, label = beats_per_bar(meter), f"{meter[0]}/{meter[1]}"
        rows: dict[str, list[tuple[float, float, float]]] = {part: [] for part in PARTS}
        for index, excerpt in enumerate(excerpts):
            request = Request(chords=" | ".join(excerpt.downbeats), bars=bars, parts=PARTS, meter=meter,
                              seed=seed + index)
            result = generate_first(generator, request)
            for part in PARTS:
                notes = result.parts.get(part, ())
                rows[part].append((bars_with_onset(notes, bars, beats), bars_with_downbeat(notes, bars, beats),
                                   len(notes) / bars))
        for part, values in rows.items():
            out[f"meter.{label}.{part}.bars_with_onset"] = _mean([v[0] for v in values])
            out[f"meter.{label}.{part}.bars_with_downbeat"] = _mean([v[1] for v in values])
            out[f"meter.{label}.{part}.notes_per_bar"] = _mean([v[2] for v in values])
    return out


def music_metrics(generator: Generator, pieces: Sequence[Piece], songs: int = 20, bars: int = 8, seed: int = 0,
                  melody: bool = True, meter_songs: int = 5) -> dict[str, float]:
    """Everything ``continuo eval --metrics music`` prints, as ``{name: value}``.

    Keys: ``model.<part>.<figure>`` and ``human.<part>.<figure>`` (parts bass, keys, pad, and
    ``piano`` for bass and keys together), ``oa.<feature>.model|human`` and ``kl.…`` (Yang & Lerch
    against the human piano: the model's 8 bars, and another 8 bars of the same songs),
    ``model.arp.*`` (an arp asked for with bass and keys), ``meter.<m>.<part>.*``, ``latency_p50_s`` (wall)
    and ``latency_cpu_p50_s`` (process CPU time) of the excerpts' requests.

    Raises:
        ValueError: no piece has chords, 4/4 bars and a piano in bass and keys.
    """
    excerpts = select_excerpts(pieces, songs, bars)
    if not excerpts:
        raise ValueError("no held-out piece has chord labels, enough 4/4 bars and a piano part: "
                         "use a POP909 folder for --metrics music")
    model: list[dict[str, list[Note]]] = []
    arp: list[list[Note]] = []
    latencies, cpu = [], []
    for index, excerpt in enumerate(tqdm(excerpts, desc="accompany", leave=False)):
        request = Request(chords=excerpt.chords, bars=bars, parts=PARTS, seed=seed + index,
                          melody=excerpt.melody if melody else ())
        began, began_cpu = time.perf_counter(), time.process_time()
        result = generate_first(generator, request)
        latencies.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
        model.append({part: list(result.parts.get(part, ())) for part in PARTS})
        with_arp = generate_first(generator, request.replace(parts=("bass", "keys", "arp")))
        arp.append(list(with_arp.parts.get("arp", ())))
    log.info("generated %d excerpts, p50 %.3f s", len(model), statistics.median(latencies))
    out = _summarise("model", model, excerpts, bars, PARTS)
    out.update(_summarise("human", [e.human for e in excerpts], excerpts, bars, ("bass", "keys")))
    reference = [e.human["bass"] + e.human["keys"] for e in excerpts]
    out.update(_overlaps([m["bass"] + m["keys"] for m in model], reference, "model", bars))
    out.update(_overlaps([e.later["bass"] + e.later["keys"] for e in excerpts], reference, "human", bars))
    out["model.arp.empty_bars"] = _mean([empty_bar_rate(a, bars) for a in arp])
    out["model.arp.bars_with_onset"] = _mean([bars_with_onset(a, bars) for a in arp])
    out["model.arp.sounding_share"] = _mean([_sounding_share(a, 4.0 * bars) for a in arp])
    out.update(_meter_checks(generator, excerpts[:meter_songs], bars, seed))
    out["latency_p50_s"] = statistics.median(latencies)
    out["latency_cpu_p50_s"] = statistics.median(cpu)
    out["songs"] = float(len(excerpts))
    out["melody_given"] = float(melody)
    return out


def _sounding_share(notes: Sequence[Note], total_beats: float) -> float:
    """Share of the time at least one of the notes sounds (on a 48th-note grid)."""
    grid = np.zeros(int(round(total_beats * 12)))
    for note in notes:
        grid[int(round(note.start_beats * 12)):int(round(note.end_beats * 12))] = 1
    return float(grid.mean()) if len(grid) else math.nan


def _cell(value: float | None, kind: str) -> str:
    if value is None:
        return f"{'-':>9s}"
    if math.isnan(value):
        return f"{'n/a':>9s}"
    return f"{100 * value:8.1f}%" if kind == "%" else f"{value:9.{kind[1]}f}"


def format_music(results: dict[str, float]) -> str:
    """The table ``continuo eval --metrics music`` prints: the model's column beside the human one."""
    lines = [f"Yang & Lerch 2020: inter-set distances against the human piano's intra-set distances "
             f"({int(results['songs'])} held-out songs, bass+keys)",
             f"  {'feature':34s} {'model OA':>9s} {'model KL':>9s} {'human OA':>9s} {'human KL':>9s}"]
    for name in (*FEATURES, "mean"):
        lines.append(f"  {name.replace('_', ' '):34s}" + "".join(
            _cell(results[f"{kind}.{name}.{column}"], "f3") for column in ("model", "human") for kind in ("oa", "kl")))
    lines.append("  (human: another 8 bars of the same songs against the reference 8 bars: the ceiling)")
    lines.append(f"Per part (MuseGAN, idioms, register, dynamics)  {'model':>9s} {'human':>9s}")
    for part in PARTS:
        for key, label, kind in PART_ROWS:
            human = results.get(f"human.{part}.{key}")
            lines.append(f"  {part:5s} {label:40s}{_cell(results[f'model.{part}.{key}'], kind)}{_cell(human, kind)}")
    for key, label, kind in PIANO_ROWS:
        lines.append(f"  piano {label:40s}{_cell(results[f'model.piano.{key}'], kind)}"
                     f"{_cell(results[f'human.piano.{key}'], kind)}")
    lines.append(f"  arp   {'empty bars, asked with bass and keys':40s}{_cell(results['model.arp.empty_bars'], '%')}")
    lines.append(f"  arp   {'sounding share of the time':40s}{_cell(results['model.arp.sounding_share'], '%')}")
    lines.append("Meters (bar-line chords rebarred, one chord a bar): bars starting a note / with a note on beat 1 / "
                 "notes per bar")
    for meter in METER_CHECKS:
        label = f"{meter[0]}/{meter[1]}"
        lines.append(f"  {label:5s} " + "  ".join(
            f"{part} {_cell(results[f'meter.{label}.{part}.bars_with_onset'], '%').strip():>6s} "
            f"{_cell(results[f'meter.{label}.{part}.bars_with_downbeat'], '%').strip():>6s} "
            f"{results[f'meter.{label}.{part}.notes_per_bar']:4.1f}" for part in PARTS))
    given = "melody given" if results.get("melody_given", 1.0) else "chords only"
    lines.append(f"8-bar 3-part accompaniment ({given}): p50 {1000 * results['latency_p50_s']:.0f} ms wall, "
                 f"{1000 * results['latency_cpu_p50_s']:.0f} ms of process CPU time")
    return "\n".join(lines)
