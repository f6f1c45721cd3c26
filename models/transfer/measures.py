"""What a transfer or a variation kept of its source: onsets, strong-beat pitches, notes, register; and how far two takes differ."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from models.music.meter import TICKS_PER_BEAT, beats_per_bar
from models.transfer.shaping import anchors
from models.types import Note


def _tick(beat: float) -> int:
    return round(beat * TICKS_PER_BEAT)


def jaccard(a: set, b: set) -> float:
    """|a & b| / |a | b| (1.0 for two empty sets)."""
    return len(a & b) / len(a | b) if a | b else 1.0


def onset_jaccard(a: Sequence[Note], b: Sequence[Note]) -> float:
    """Jaccard similarity of two clips' onset times (on the 12-per-beat grid): 1.0 the same rhythm."""
    return jaccard({_tick(n.start_beats) for n in a}, {_tick(n.start_beats) for n in b})


def note_jaccard(a: Sequence[Note], b: Sequence[Note]) -> float:
    """Jaccard similarity of two clips' (onset, pitch) pairs: 1.0 the same notes."""
    return jaccard({(_tick(n.start_beats), n.pitch) for n in a}, {(_tick(n.start_beats), n.pitch) for n in b})


def kept_share(source: Sequence[Note], out: Sequence[Note]) -> float:
    """Share of the source's notes (onset and pitch) that ``out`` still plays."""
    played = {(_tick(n.start_beats), n.pitch) for n in out}
    return sum((_tick(n.start_beats), n.pitch) in played for n in source) / max(len(source), 1)


def strong_beats_kept(source: Sequence[Note], out: Sequence[Note], meter: tuple[int, int] = (4, 4)) -> float:
    """Share of the source's strong-beat pitches (the note sounding on each strong beat) that ``out`` sounds
    on the same beat: how much of a tune survives."""
    bars = max(1, int(max((n.end_beats for n in source), default=0) // beats_per_bar(meter) + 1))
    main = anchors(source, meter, bars)
    kept = 0
    for at, note in main:
        kept += any(n.pitch == note.pitch and n.start_beats - 1e-6 <= at < n.end_beats - 1e-6 for n in out)
    return kept / max(len(main), 1)


def register_shift(source: Sequence[Note], out: Sequence[Note]) -> float:
    """Median pitch of ``out`` less the source's, in semitones."""
    if not source or not out:
        return 0.0
    return float(statistics.median(n.pitch for n in out) - statistics.median(n.pitch for n in source))

