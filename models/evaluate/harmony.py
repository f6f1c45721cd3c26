"""Harmonization measures (Yeh et al. 2021; key, chord tones, root agreement) of chords under held-out melodies."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.music.chords import Chord, chord_at
from models.music.metrics import chord_tone_ratio
from models.types import ChordSpan, Note

_CONSONANT = {0: 1.0, 3: 1.0, 4: 1.0, 7: 1.0, 8: 1.0, 9: 1.0, 5: 0.0}  # PCS: unison, thirds, fifth, sixths; fourth 0
_SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10, 11)}  # minor: natural plus leading tone
FRAME = 0.25  # beats: the sixteenth-note frames melody measures are counted in


def _centroid(pcs: Sequence[int]) -> np.ndarray:
    """Harte's 6-D tonal centroid of pitch classes (fifths, minor thirds, major thirds)."""
    if not pcs:
        return np.zeros(6)
    angles = np.array(pcs, dtype=float)
    rows = [np.sin(angles * 7 * np.pi / 6), np.cos(angles * 7 * np.pi / 6),
            np.sin(angles * 3 * np.pi / 2), np.cos(angles * 3 * np.pi / 2),
            0.5 * np.sin(angles * 2 * np.pi / 3), 0.5 * np.cos(angles * 2 * np.pi / 3)]
    return np.array(rows).mean(axis=1)


def _frames(melody: Sequence[Note], chords: Sequence[ChordSpan]):
    """(note index, pitch, chord) per sixteenth frame where a melody note and a chord sound."""
    for index, note in enumerate(melody):
        steps = max(1, round(note.duration_beats / FRAME))
        for k in range(steps):
            chord = chord_at(chords, note.start_beats + k * FRAME)
            if chord is not None and not chord.is_rest:
                yield index, note.pitch, chord


def ctnctr(melody: Sequence[Note], chords: Sequence[ChordSpan]) -> float:
    """(chord tones + proper non-chord tones) / (chord tones + non-chord tones), over melody frames.

    A non-chord tone is proper when it resolves: the next different melody note lies within 2 semitones
    and is a chord tone of the chord under it.
    """
    notes = sorted(melody, key=lambda n: n.start_beats)
    chord_tones = non_chord = proper = 0
    for index, pitch, chord in _frames(notes, chords):
        if pitch % 12 in chord.pitch_classes:
            chord_tones += 1
            continue
        non_chord += 1
        following = next((n for n in notes[index + 1:] if n.pitch != pitch), None)
        if following is not None and abs(following.pitch - pitch) <= 2:
            under = chord_at(chords, following.start_beats)
            proper += under is not None and following.pitch % 12 in under.pitch_classes
    total = chord_tones + non_chord
    return (chord_tones + proper) / total if total else math.nan


def pcs(melody: Sequence[Note], chords: Sequence[ChordSpan]) -> float:
    """Pitch consonance score: mean over melody frames and chord tones of +1 (unison, 3rd, 5th, 6th), 0 (4th), -1."""
    total = count = 0.0
    for _, pitch, chord in _frames(melody, chords):
        for pc in chord.pitch_classes:
            total += _CONSONANT.get((pitch - pc) % 12, -1.0)
            count += 1
    return total / count if count else math.nan


def mctd(melody: Sequence[Note], chords: Sequence[ChordSpan]) -> float:
    """Melody-chord tonal distance: mean distance of each melody frame's tonal centroid to its chord's."""
    distances = [float(np.linalg.norm(_centroid([pitch % 12]) - _centroid(sorted(chord.pitch_classes))))
                 for _, pitch, chord in _frames(melody, chords)]
    return float(np.mean(distances)) if distances else math.nan


def half_bar_chords(chords: Sequence[ChordSpan], bars: int, beats: float = 4.0) -> list[Chord | None]:
    """The chord at the start of every half bar (None where none sounds or 'N')."""
    out = []
    for k in range(bars * 2):
        chord = chord_at(chords, k * beats / 2)
        out.append(None if chord is None or chord.is_rest else chord)
    return out


def che_cc(grid: Sequence[Chord | None]) -> tuple[float, int]:
    """Chord histogram entropy (nats) and chord coverage (distinct chords) of a half-bar chord sequence."""
    names = [c.name for c in grid if c is not None]
    if not names:
        return math.nan, 0
    _, counts = np.unique(names, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum()), len(counts)


def ctd(grid: Sequence[Chord | None]) -> float:
    """Chord tonal distance: mean tonal-centroid distance between consecutive half-bar chords."""
    chords = [c for c in grid if c is not None]
    steps = [float(np.linalg.norm(_centroid(sorted(a.pitch_classes)) - _centroid(sorted(b.pitch_classes))))
             for a, b in zip(chords, chords[1:])]
    return float(np.mean(steps)) if steps else math.nan


def triads_in_key(grid: Sequence[Chord | None], key: tuple[int, str]) -> float:
    """Share of half-bar chords whose triad (root, third, fifth) lies in the key's scale."""
    scale = {(key[0] + step) % 12 for step in _SCALES[key[1]]}
    chords = [c for c in grid if c is not None]
    inside = sum(all((c.root + i) % 12 in scale for i in c.intervals[:3]) for c in chords)
    return inside / len(chords) if chords else math.nan


def root_agreement(grid: Sequence[Chord | None], reference: Sequence[Chord | None]) -> float:
    """Share of half bars where both have a chord and the roots agree."""
    pairs = [(a, b) for a, b in zip(grid, reference) if a is not None and b is not None]
    return sum(a.root == b.root for a, b in pairs) / len(pairs) if pairs else math.nan


def harmony_measures(melody: Sequence[Note], chords: Sequence[ChordSpan], reference: Sequence[ChordSpan],
                     key: tuple[int, str], bars: int, beats: float = 4.0) -> dict[str, float]:
    """Every measure of one harmonization against its melody, key and reference chords."""
    grid = half_bar_chords(chords, bars, beats)
    entropy, coverage = che_cc(grid)
    return {"in_key": triads_in_key(grid, key), "ctnctr": ctnctr(melody, chords), "pcs": pcs(melody, chords),
            "mctd": mctd(melody, chords), "che": entropy, "cc": float(coverage), "ctd": ctd(grid),
            "chord_tones": chord_tone_ratio(melody, chords),
            "root_agreement": root_agreement(grid, half_bar_chords(reference, bars, beats))}


@dataclass
class Excerpt:
    """A held-out melody excerpt from bar 1 with its annotated chords and the song's key."""

    name: str
    melody: tuple[Note, ...]
    chords: tuple[ChordSpan, ...]
    key: tuple[int, str]
    bars: int


def held_out_excerpts(data: str | Path, bars: int = 16, songs: int = 0) -> list[Excerpt]:
    """``bars`` bars of every held-out POP909 song (or the first ``songs``), from the first bar with melody."""
    from models.data.pop909 import load_song, split_songs

    _, test = split_songs(data)
    out = []
    for folder in test:
        song = load_song(folder)
        if song is None or not song.parts["melody"]:
            continue
        first_note = song.parts["melody"][0].start_beats
        starts = [b for b in song.bar_starts if b <= first_note + 1e-6]
        start = starts[-1] if starts else song.bar_starts[0]
        end = start + bars * 4
        melody = tuple(Note(n.pitch, n.start_beats - start, min(n.end_beats, end) - n.start_beats, n.velocity)
                       for n in song.parts["melody"] if start <= n.start_beats < end)
        chords = tuple(ChordSpan(c.symbol, max(c.start_beats, start) - start,
                                 min(c.start_beats + c.duration_beats, end) - max(c.start_beats, start))
                       for c in song.chords if c.start_beats < end and c.start_beats + c.duration_beats > start)
        if len(melody) >= 8:
            out.append(Excerpt(folder.name, melody, chords, song.key, bars))
        if songs and len(out) >= songs:
            break
    return out


Harmonize = Callable[[Excerpt], Sequence[ChordSpan]]


def evaluate_harmony(systems: dict[str, Harmonize], excerpts: Sequence[Excerpt]) -> dict[str, dict[str, float]]:
    """Mean of every measure per system (the annotation is the system ``annotation``), plus p50 seconds."""
    table: dict[str, dict[str, float]] = {}
    for name, harmonize in systems.items():
        rows, seconds = [], []
        for excerpt in excerpts:
            started = time.perf_counter()
            chords = harmonize(excerpt)
            seconds.append(time.perf_counter() - started)
            rows.append(harmony_measures(excerpt.melody, chords, excerpt.chords, excerpt.key, excerpt.bars))
        table[name] = {key: float(np.nanmean([r[key] for r in rows])) for key in rows[0]}
        table[name]["p50_seconds"] = float(np.median(seconds))
    return table


def format_harmony(table: dict[str, dict[str, float]]) -> str:
    """The table as text: one row per measure, one column per system."""
    names = list(table)
    measures = list(next(iter(table.values())))
    lines = ["measure".ljust(16) + "".join(n.rjust(14) for n in names)]
    for measure in measures:
        lines.append(measure.ljust(16) + "".join(f"{table[n][measure]:14.3f}" for n in names))
    return "\n".join(lines)


def annotation(excerpt: Excerpt) -> Sequence[ChordSpan]:
    """The reference column: the song's own chords."""
    return excerpt.chords



def run_harmony(model_name: str, data: str, songs: int = 0, device: str = "cpu", bars: int = 16) -> dict[str, float]:
    """``continuo eval --metrics harmony``: a model's harmonize at 1 and 2 chords per bar beside the annotation."""
    import sys

    from models.registry import load_generator
    from models.types import Request

    generator = load_generator(model_name, device)

    def through(per_bar: float) -> Harmonize:
        def harmonize(excerpt: Excerpt) -> Sequence[ChordSpan]:
            request = Request(task="harmonize", melody=excerpt.melody, bars=excerpt.bars, parts=("bass",),
                              chords_per_bar=per_bar, seed=1)
            return generator.generate(request)[0].chords
        return harmonize

    excerpts = held_out_excerpts(data, bars, songs)
    table = evaluate_harmony({f"{model_name} 1/bar": through(1.0), f"{model_name} 2/bar": through(2.0),
                              "annotation": annotation}, excerpts)
    sys.stdout.write(f"harmonize on {len(excerpts)} held-out POP909 songs, {bars} bars each\n{format_harmony(table)}\n")
    return {f"{system} {measure}": value for system, row in table.items() for measure, value in row.items()}
