"""What shapes any part after its genre: `density` (fewer or more onsets), `register` (an octave down or up, a bass
kept a bass), the bass kept under the keys, and the bass locked to the kick drum."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from models.idioms.common import Span, note, sounding
from models.types import Note

KICKS = (35, 36)  # General MIDI acoustic bass drum and bass drum 1
HAT = 42  # closed hi-hat
LOCK_REACH = 0.25  # beats: a bass onset within a sixteenth of a kick moves onto it
GHOST = 50  # drum hits softer than this are ghost notes, the first a thinner part leaves out
# (lowest, highest) pitch a part keeps when its register moves: a bass stays a bass
BOUNDS = {"bass": (24, 60), "drums": (0, 127)}
OTHER_BOUNDS = (36, 96)


def lock_to_kick(bass: Sequence[Note], drums: Sequence[Note], reach: float = LOCK_REACH,
                 restrike: bool = True) -> list[Note]:
    """The bass with each onset within ``reach`` beats of a kick moved onto the kick (its end kept) and, with
    ``restrike``, a held note struck again on each kick inside it (half a beat or more after it starts, a
    quarter or more before it ends), as a bassist plays with the kick drum; then one note at a time."""
    kicks = sorted({n.start_beats for n in drums if n.pitch in KICKS})
    if not kicks:
        return list(bass)
    moved = []
    for item in bass:
        index = bisect.bisect_left(kicks, item.start_beats)
        nearest = min(kicks[max(0, index - 1):index + 1], key=lambda k: abs(k - item.start_beats))
        if abs(nearest - item.start_beats) <= reach and item.end_beats - nearest > 1 / 16:
            item = note(item.pitch, nearest, item.end_beats - nearest, item.velocity)
        inside = [k for k in kicks[bisect.bisect_left(kicks, item.start_beats + 0.5):]
                  if k <= item.end_beats - 0.25] if restrike else []
        for start, end in zip([item.start_beats, *inside], [*inside, item.end_beats]):
            moved.append(note(item.pitch, start, end - start, item.velocity - (0 if start == item.start_beats else 8)))
    return monophonic(moved)


def monophonic(notes: Sequence[Note]) -> list[Note]:
    """One note at a time: a note cut where the next starts, one note per onset (the lowest)."""
    ordered = sorted(notes, key=lambda n: (n.start_beats, n.pitch))
    out: list[Note] = []
    for item in ordered:
        if out and abs(out[-1].start_beats - item.start_beats) < 1e-6:
            continue
        if out and out[-1].end_beats > item.start_beats:
            last = out.pop()
            if item.start_beats - last.start_beats >= 1 / 16:
                out.append(note(last.pitch, last.start_beats, item.start_beats - last.start_beats, last.velocity))
        out.append(item)
    return out


def thinner(notes: Sequence[Note], part: str, pieces: Sequence[Span]) -> list[Note]:
    """`density` low: each chord played once, from where it starts, and held (the lowest note alone in a one-note
    part); drums without their ghost notes."""
    if part == "drums":
        return [n for n in notes if n.velocity >= GHOST or n.pitch in KICKS]
    out: list[Note] = []
    for piece in pieces:
        here = [n for n in notes if piece.start - 1e-6 <= n.start_beats < piece.end - 1e-6]
        if not here:
            continue
        first = min(n.start_beats for n in here)
        chord = [n for n in here if n.start_beats == first]
        if part in ("bass", "melody", "counter", "arp"):
            chord = [min(chord, key=lambda n: n.pitch)]
        out += [note(n.pitch, piece.start, piece.length - 0.02, n.velocity) for n in chord]
    covered = [n for n in notes if not any(p.start - 1e-6 <= n.start_beats < p.end - 1e-6 for p in pieces)]
    return out + covered


def busier(notes: Sequence[Note], part: str, pieces: Sequence[Span]) -> list[Note]:
    """`density` high: in a one-note part long notes re-struck on the beat and every other beat-long note split
    into eighths (an octave skip); held chords broken into eighths up the chord with a sixteenth pickup before
    the next, short stabs struck again a beat later where there is room (keys, pad); drums with a closed hi-hat
    on every eighth."""
    if part == "drums":
        hats = {round(n.start_beats * 2) for n in notes if n.pitch in (42, 44, 46) and
                abs(n.start_beats * 2 - round(n.start_beats * 2)) < 0.26}  # hats on (or near) an eighth
        end = max((n.end_beats for n in notes), default=0.0)
        added = [note(HAT, i / 2, 0.125, 62) for i in range(int(end * 2)) if i not in hats]
        return list(notes) + added
    if part in ("bass", "melody", "counter", "arp"):
        out = []
        for index, item in enumerate(notes):
            if 0.75 <= item.duration_beats < 1.5 and index % 2:  # every other beat note gets an eighth skip
                half = item.duration_beats / 2
                out += [note(item.pitch, item.start_beats, half * 0.9, item.velocity),
                        note(item.pitch + (12 if item.pitch < 48 else -12), item.start_beats + half, half * 0.9,
                             item.velocity - 10)]
                continue
            if item.duration_beats < 1.5:
                out.append(item)
                continue
            step = 1.0 if item.duration_beats >= 2 else item.duration_beats / 2
            count = int(item.duration_beats / step + 1e-6)
            out += [note(item.pitch, item.start_beats + i * step, step * 0.9, item.velocity - (0 if i == 0 else 8))
                    for i in range(count)]
        return out
    out = []
    groups: dict[float, list[Note]] = {}
    for item in notes:
        groups.setdefault(item.start_beats, []).append(item)
    starts = sorted(groups)
    for index, (start, chord) in enumerate(sorted(groups.items())):
        length = min(n.duration_beats for n in chord)
        gap = (starts[index + 1] if index + 1 < len(starts) else max(n.end_beats for n in notes) + 1) - start
        if len(chord) >= 2 and length <= 1.0 and gap >= 1.5:  # a short stab with room after it: struck again
            out += chord + [note(n.pitch, start + 1.0, n.duration_beats, n.velocity - 8) for n in chord]
            continue
        if len(chord) < 3 or length <= 1.0:
            out += chord
            continue
        chord.sort(key=lambda n: n.pitch)
        out += [note(n.pitch, start, 0.5, n.velocity) for n in chord]
        steps = int(length * 2)
        for step in range(1, steps):
            pick = chord[(step % (len(chord) - 1)) + 1] if step % 2 else chord[0]
            out.append(note(pick.pitch, start + step / 2, 0.45, pick.velocity - 10))
        if length >= 2:  # a sixteenth pickup into what comes next
            out.append(note(chord[-1].pitch, start + length - 0.25, 0.25, chord[-1].velocity - 14))
    return out


def move_register(notes: Sequence[Note], part: str, word: str) -> list[Note]:
    """`register` low or high: the part an octave down or up, each note kept inside the part's range (a bass
    between E0 and C4); middle leaves it where the model put it."""
    if word == "middle":
        return list(notes)
    low, high = BOUNDS.get(part, OTHER_BOUNDS)
    shift = -12 if word == "low" else 12
    out = []
    for item in notes:
        pitch = item.pitch + shift
        while pitch > high:
            pitch -= 12
        while pitch < low:
            pitch += 12
        out.append(note(pitch, item.start_beats, item.duration_beats, item.velocity))
    return out


def under_keys(bass: Sequence[Note], keys: Sequence[Note], lowest: int = 24) -> list[Note]:
    """The bass with each note that would reach the keys' lowest note sounding then dropped an octave or two."""
    out = []
    for item in bass:
        above = sounding(keys, item.start_beats, item.start_beats + min(item.duration_beats, 0.5))
        floor = min((n.pitch for n in above), default=128)
        pitch = item.pitch
        while pitch >= floor and pitch - 12 >= lowest:
            pitch -= 12
        out.append(item if pitch == item.pitch else note(pitch, item.start_beats, item.duration_beats, item.velocity))
    return out
