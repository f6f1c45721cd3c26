"""What a musician hears in a part: MuseGAN's bar measures, tonal distance, rhythm and voicing idioms, dynamics."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from models.music.chords import chord_at
from models.music.meter import TICKS_PER_BEAT
from models.music.metrics import chord_tone_ratio
from models.types import ChordSpan, Note

# MuseGAN (Dong et al., AAAI 2018) calls a note "qualified" when it lasts at least 3 time steps of its
# 24-per-beat grid: a 32nd note.
QUALIFIED_BEATS = 3 / 24


def bar_of(note: Note, beats: float) -> int:
    """Index of the bar the note starts in."""
    return int(note.start_beats // beats + 1e-9)


def _sounds_in(note: Note, bar: int, beats: float) -> bool:
    return note.start_beats < (bar + 1) * beats - 1e-6 and note.end_beats > bar * beats + 1e-6


def empty_bar_rate(notes: Sequence[Note], bars: int, beats: float = 4.0) -> float:
    """MuseGAN's EB: share of bars in which no note sounds (a note held over the bar line fills it)."""
    return sum(not any(_sounds_in(n, bar, beats) for n in notes) for bar in range(bars)) / bars


def bars_with_onset(notes: Sequence[Note], bars: int, beats: float = 4.0) -> float:
    """Share of bars in which the part starts at least one note."""
    return len({bar_of(n, beats) for n in notes if 0 <= bar_of(n, beats) < bars}) / bars


def bars_with_downbeat(notes: Sequence[Note], bars: int, beats: float = 4.0) -> float:
    """Share of bars in which the part strikes a note on the bar line (beat 1)."""
    ticks = round(beats * TICKS_PER_BEAT)
    return len({t // ticks for t in (round(n.start_beats * TICKS_PER_BEAT) for n in notes)
                if t % ticks == 0 and t // ticks < bars}) / bars


def used_pitch_classes(notes: Sequence[Note], bars: int, beats: float = 4.0) -> float:
    """MuseGAN's UPC: pitch classes sounding per bar (0-12), averaged over the bars that are not empty."""
    counts = [len({n.pitch % 12 for n in notes if _sounds_in(n, bar, beats)}) for bar in range(bars)]
    counts = [c for c in counts if c]
    return float(np.mean(counts)) if counts else math.nan


def qualified_note_rate(notes: Sequence[Note]) -> float:
    """MuseGAN's QN: share of notes at least a 32nd note long (NaN for no notes)."""
    if not notes:
        return math.nan
    return sum(n.duration_beats >= QUALIFIED_BEATS - 1e-9 for n in notes) / len(notes)


def _tonal_matrix() -> np.ndarray:
    """Harte, Sandler & Gasser's (2006) 6 x 12 projection: circles of fifths, minor and major thirds."""
    pcs = np.arange(12)
    rows = []
    for radius, angle in ((1.0, 7 / 6), (1.0, 3 / 2), (0.5, 2 / 3)):
        rows += [radius * np.sin(pcs * angle * np.pi), radius * np.cos(pcs * angle * np.pi)]
    return np.array(rows)


def _beat_chroma(notes: Sequence[Note], beat: int) -> np.ndarray:
    """Duration-weighted pitch classes sounding within one quarter-note beat."""
    chroma = np.zeros(12)
    for note in notes:
        overlap = min(note.end_beats, beat + 1) - max(note.start_beats, beat)
        if overlap > 1e-9:
            chroma[note.pitch % 12] += overlap
    return chroma


def tonal_distance(a: Sequence[Note], b: Sequence[Note], total_beats: float) -> float:
    """MuseGAN's TD: mean distance of two parts' tonal centroids, per beat where both sound (NaN if none).

    Each beat's chroma is normalised to sum 1 and projected by Harte et al.'s tonal matrix; 0 means the
    two parts imply the same harmony, larger values weaker harmonic agreement.
    """
    matrix = _tonal_matrix()
    distances = []
    for beat in range(int(math.ceil(total_beats - 1e-9))):
        ca, cb = _beat_chroma(a, beat), _beat_chroma(b, beat)
        if ca.sum() and cb.sum():
            distances.append(float(np.linalg.norm(matrix @ (ca / ca.sum()) - matrix @ (cb / cb.sum()))))
    return float(np.mean(distances)) if distances else math.nan


def onset_shares(notes: Sequence[Note], beats: float = 4.0) -> dict[str, float]:
    """Shares of distinct onsets on the beat, on the eighth off-beat, on a sixteenth off-beat and on a triplet.

    Positions are read on the quarter-note grid from each bar line (12 ticks a beat): tick 0 is on
    the beat, 6 the eighth off-beat, 3 and 9 sixteenth off-beats, 4 and 8 eighth-note triplets.
    Anything else (a 32nd, a sixteenth triplet) counts in none of the four. NaN for no notes.
    """
    onsets = sorted({round(n.start_beats * TICKS_PER_BEAT) for n in notes})
    bar_ticks = round(beats * TICKS_PER_BEAT)
    ticks = [(t % bar_ticks) % TICKS_PER_BEAT for t in onsets]
    if not ticks:
        return {"on_beat": math.nan, "off_beat": math.nan, "sixteenth": math.nan, "triplet": math.nan}
    total = len(ticks)
    return {"on_beat": sum(t == 0 for t in ticks) / total, "off_beat": sum(t == 6 for t in ticks) / total,
            "sixteenth": sum(t in (3, 9) for t in ticks) / total, "triplet": sum(t in (4, 8) for t in ticks) / total}


def mean_sounding(notes: Sequence[Note]) -> float:
    """Mean number of the part's notes sounding together, over the time at least one sounds (NaN if silent)."""
    if not notes:
        return math.nan
    end = max(round(n.end_beats * TICKS_PER_BEAT) for n in notes)
    counts = np.zeros(end + 1)
    for note in notes:
        counts[round(note.start_beats * TICKS_PER_BEAT):max(round(note.end_beats * TICKS_PER_BEAT),
                                                            round(note.start_beats * TICKS_PER_BEAT) + 1)] += 1
    busy = counts[counts > 0]
    return float(busy.mean())


def _first_notes(notes: Sequence[Note], bars: int, beats: float) -> list[Note]:
    """The first note of each bar that starts one: the lowest of its earliest onset."""
    first: dict[int, Note] = {}
    for note in notes:
        bar = bar_of(note, beats)
        held = first.get(bar)
        if 0 <= bar < bars and (held is None or (note.start_beats, note.pitch) < (held.start_beats, held.pitch)):
            first[bar] = note
    return [first[bar] for bar in sorted(first)]


def root_first_rate(notes: Sequence[Note], chords: Sequence[ChordSpan], bars: int, beats: float = 4.0,
                    slash_bass: bool = False) -> float:
    """Share of bars whose first note (the lowest of the first onset) is the root of the chord sounding then.

    With ``slash_bass`` the bass a slash chord names counts too (A under F/A): what is left is the
    bar starts that leave the chart's bass, an unwritten inversion or a passing or approach note.
    Bars without a note, or whose first note falls on no chord, are left out (NaN when none is left).
    """
    hits = total = 0
    for note in _first_notes(notes, bars, beats):
        chord = chord_at(chords, note.start_beats)
        if chord is None or chord.is_rest:
            continue
        total += 1
        hits += note.pitch % 12 == chord.root or (slash_bass and note.pitch % 12 == chord.bass)
    return hits / total if total else math.nan


def velocity_figures(notes: Sequence[Note], bars: int, beats: float = 4.0) -> dict[str, float]:
    """Distinct velocities per 8 bars (mean over 8-bar windows with notes), mean within-bar velocity spread
    (standard deviation over the bars with 2+ notes) and mean velocity."""
    if not notes:
        return {"distinct_velocities": math.nan, "velocity_spread": math.nan, "mean_velocity": math.nan}
    per_bar: dict[int, list[int]] = {}
    for note in notes:
        per_bar.setdefault(bar_of(note, beats), []).append(note.velocity)
    spreads = [float(np.std(v)) for v in per_bar.values() if len(v) > 1]
    windows: dict[int, set[int]] = {}
    for note in notes:
        windows.setdefault(bar_of(note, beats) // 8, set()).add(note.velocity)
    return {"distinct_velocities": float(np.mean([len(v) for v in windows.values()])),
            "velocity_spread": float(np.mean(spreads)) if spreads else math.nan,
            "mean_velocity": float(np.mean([n.velocity for n in notes]))}


def part_figures(notes: Sequence[Note], chords: Sequence[ChordSpan], bars: int, beats: float = 4.0) -> dict[str, float]:
    """Every per-part figure of one excerpt: MuseGAN's, the idioms, register and dynamics."""
    pitches = [n.pitch for n in notes]
    out = {"empty_bars": empty_bar_rate(notes, bars, beats), "bars_with_onset": bars_with_onset(notes, bars, beats),
           "bars_with_downbeat": bars_with_downbeat(notes, bars, beats),
           "used_pitch_classes": used_pitch_classes(notes, bars, beats), "qualified_notes": qualified_note_rate(notes),
           "onsets_per_bar": len({round(n.start_beats * TICKS_PER_BEAT) for n in notes}) / bars,
           "notes_per_bar": len(notes) / bars, "sounding_at_once": mean_sounding(notes),
           "root_first": root_first_rate(notes, chords, bars, beats),
           "root_or_slash_first": root_first_rate(notes, chords, bars, beats, slash_bass=True),
           "chord_tones": chord_tone_ratio(notes, chords),
           "mean_pitch": float(np.mean(pitches)) if pitches else math.nan,
           "lowest_pitch": float(min(pitches)) if pitches else math.nan,
           "highest_pitch": float(max(pitches)) if pitches else math.nan}
    out.update({f"{k}_onsets": v for k, v in onset_shares(notes, beats).items()})
    out.update(velocity_figures(notes, bars, beats))
    return out


KICKS = (35, 36)  # General MIDI acoustic bass drum and bass drum 1
LOCK_BEATS = 1 / 8  # a bass onset this close to a kick (a 32nd note either side) plays with it


def kick_lock(bass: Sequence[Note], drums: Sequence[Note], total_beats: float,
              within_beats: float = LOCK_BEATS) -> dict[str, float]:
    """How the bass locks with the kick: the share of its onsets on a kick, and that share by chance.

    ``locked`` is the share of distinct bass onsets within ``within_beats`` of a kick onset (notes 35
    and 36 of ``drums``); ``chance`` the share expected if the same bass onsets fell anywhere in the
    ``total_beats``, unrelated to the kicks: the part of that time lying within ``within_beats`` of a
    kick. A bass that plays with the kick scores well above chance. NaN for no bass or no time.
    """
    onsets = sorted({round(n.start_beats * TICKS_PER_BEAT) / TICKS_PER_BEAT for n in bass})
    kicks = sorted({n.start_beats for n in drums if n.pitch in KICKS})
    if not onsets or total_beats <= 0:
        return {"locked": math.nan, "chance": math.nan}
    kick_array = np.array(kicks)
    locked = sum(bool(kicks) and float(np.min(np.abs(kick_array - t))) <= within_beats + 1e-9 for t in onsets)
    covered, reach = 0.0, 0.0  # the union of the kicks' windows, clipped to the part's time
    for kick in kicks:
        lo, hi = max(kick - within_beats, reach, 0.0), min(kick + within_beats, total_beats)
        if hi > lo:
            covered += hi - lo
        reach = max(reach, hi)
    return {"locked": locked / len(onsets), "chance": min(1.0, covered / total_beats)}
