"""Note helpers: monophonic parts, the pad register, clipping, overlap clean-up and notes in a bar."""

from __future__ import annotations

from collections.abc import Sequence

from models.types import Note

# Parts (and four-voice tracks) that sound one note at a time.
MONOPHONIC = ("melody", "counter", "bass", "soprano", "alto", "tenor", "bassvoice", "arp")
# POP909 has no pad: the Markov chain voices pads in this register and the corpus readers write each
# chord's close voicing from its lowest note for the transformer to learn.
PAD_RANGE = (53, 79)
MIN_DURATION = 1 / 24  # beats: shorter notes left by cutting overlaps are dropped


def clip_notes(notes: Sequence[Note], total_beats: float) -> tuple[Note, ...]:
    """Sorted by start and pitch, cut at ``total_beats``; notes starting at or after it dropped."""
    return tuple(Note(n.pitch, n.start_beats, min(n.end_beats, total_beats) - n.start_beats, n.velocity)
                 for n in sorted(notes, key=lambda n: (n.start_beats, n.pitch))
                 if n.start_beats < total_beats and min(n.end_beats, total_beats) - n.start_beats > 0)


def tidy(notes: Sequence[Note], total_beats: float, monophonic: bool) -> tuple[Note, ...]:
    """Sort, clip to ``[0, total_beats)``, count a note repeated at one start and pitch once (the last
    given: the decoder writes durations shortest first), cut overlaps (every one in a monophonic line,
    same-pitch ones otherwise), keep one note per onset in a monophonic line (the lowest) and drop notes
    that became shorter than ``MIN_DURATION``."""
    ordered = sorted({(n.start_beats, n.pitch): n for n in notes if n.start_beats < total_beats}.values(),
                     key=lambda n: (n.start_beats, n.pitch))
    out: list[Note] = []
    for index, note in enumerate(ordered):
        if monophonic and out and out[-1].start_beats == note.start_beats:
            continue
        end = min(note.end_beats, total_beats)
        for later in ordered[index + 1:]:
            if later.start_beats >= end:
                break
            if later.start_beats > note.start_beats and (monophonic or later.pitch == note.pitch):
                end = later.start_beats
                break
        if end - note.start_beats >= MIN_DURATION:
            out.append(Note(note.pitch, note.start_beats, end - note.start_beats, note.velocity))
    return tuple(out)


def notes_in_bar(notes: Sequence[Note], start: float, beats: float) -> list[Note]:
    """The notes starting in the bar from ``start`` lasting ``beats``."""
    return [n for n in notes if start - 1e-6 <= n.start_beats < start + beats - 1e-6]
