"""Note helpers: monophonic parts, the pad register, clipping, overlap clean-up, notes in a bar, a prompt joined to its continuation."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from models.types import ChordSpan, Note, Result

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


def split_top_line(notes: Sequence[Note]) -> tuple[list[Note], list[Note]]:
    """(the highest note of each onset, in time order; every other note)."""
    top: dict[float, Note] = {}
    for note in notes:
        if note.start_beats not in top or note.pitch > top[note.start_beats].pitch:
            top[note.start_beats] = note
    line = sorted(top.values(), key=lambda n: n.start_beats)
    return line, [n for n in notes if top.get(n.start_beats) is not n]


def with_prompt(result: Result, prompt: Sequence[Note], prompt_chords: Sequence[ChordSpan], prompt_bars: int,
                beats_per_bar: float) -> Result:
    """A continuation preceded by its prompt, as one result from the prompt's first bar.

    The prompt's notes are kept as given (cut at its last bar line): its top line in "melody", the rest
    in "keys" when the result has keys, else in "melody" too; the continuation's notes and chords move
    ``prompt_bars`` bars later.
    """
    offset = prompt_bars * beats_per_bar
    line, rest = split_top_line(prompt)
    given = {"melody": line + ([] if "keys" in result.parts else rest), "keys": rest if "keys" in result.parts else []}
    parts = {}
    for part, notes in result.parts.items():
        later = [Note(n.pitch, n.start_beats + offset, n.duration_beats, n.velocity) for n in notes]
        parts[part] = clip_notes(given.get(part, []), offset) + tuple(later)  # the prompt ends where they start
    chords = tuple(prompt_chords) + tuple(ChordSpan(c.symbol, c.start_beats + offset, c.duration_beats)
                                          for c in result.chords)
    info = {**result.info, "prompt_bars": str(prompt_bars), "include_prompt": "true"}
    return Result(parts, chords, prompt_bars + result.bars, result.meter, result.tempo, info)


def chordal_share(notes: Sequence[Note]) -> float:
    """Share of onsets that sound more than one note (0 for a single line)."""
    onsets: dict[float, int] = {}
    for note in notes:
        onsets[round(note.start_beats, 3)] = onsets.get(round(note.start_beats, 3), 0) + 1
    return sum(1 for count in onsets.values() if count > 1) / max(len(onsets), 1)


def guess_role(notes: Sequence[Note]) -> str:
    """The part a clip most likely is, from its register, polyphony and note lengths: bass, melody, pad or keys."""
    median = statistics.median(n.pitch for n in notes)
    if chordal_share(notes) < 0.2:
        return "bass" if median < 52 else "melody"
    if median < 48:
        return "bass"
    return "pad" if statistics.mean(n.duration_beats for n in notes) >= 2.5 else "keys"
