"""Chord symbols: parsing, building, progressions in bars, the chord sounding at a beat."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from models.music.meter import beats_per_bar
from models.types import ChordSpan

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_LETTER_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}

# Quality name -> intervals above the root. The first spelling listed in _SUFFIXES is canonical.
QUALITIES: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "min7": (0, 3, 7, 10),
    "dim": (0, 3, 6),
    "dim7": (0, 3, 6, 9),
    "aug": (0, 4, 8),
    "m7b5": (0, 3, 6, 10),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
    "7sus4": (0, 5, 7, 10),
    "6": (0, 4, 7, 9),
    "min6": (0, 3, 7, 9),
    "9": (0, 4, 7, 10, 2),
    "min9": (0, 3, 7, 10, 2),
    "maj9": (0, 4, 7, 11, 2),
    "add9": (0, 4, 7, 2),
    "minadd9": (0, 3, 7, 2),
    "11": (0, 4, 7, 10, 2, 5),
    "min11": (0, 3, 7, 10, 2, 5),
    "13": (0, 4, 7, 10, 2, 9),
    "minmaj7": (0, 3, 7, 11),
    "aug7": (0, 4, 8, 10),
    "7b9": (0, 4, 7, 10, 1),
    "7#9": (0, 4, 7, 10, 3),
    "5": (0, 7),
    "N": (),
}

_SUFFIXES: dict[str, str] = {
    "": "maj", "maj": "maj", "M": "maj",
    "m": "min", "min": "min", "-": "min", "mi": "min",
    "7": "7", "dom7": "7",
    "maj7": "maj7", "M7": "maj7", "ma7": "maj7", "Δ": "maj7", "Δ7": "maj7", "j7": "maj7",
    "m7": "min7", "min7": "min7", "-7": "min7", "mi7": "min7",
    "dim": "dim", "o": "dim", "°": "dim",
    "dim7": "dim7", "o7": "dim7", "°7": "dim7",
    "aug": "aug", "+": "aug", "#5": "aug",
    "m7b5": "m7b5", "min7b5": "m7b5", "-7b5": "m7b5", "ø": "m7b5", "ø7": "m7b5", "hdim7": "m7b5",
    "sus2": "sus2", "sus4": "sus4", "sus": "sus4",
    "7sus4": "7sus4", "7sus": "7sus4", "9sus4": "7sus4",
    "6": "6", "maj6": "6", "m6": "min6", "min6": "min6", "-6": "min6",
    "9": "9", "m9": "min9", "min9": "min9", "-9": "min9", "maj9": "maj9", "M9": "maj9",
    "add9": "add9", "add2": "add9", "madd9": "minadd9", "m(add9)": "minadd9",
    "11": "11", "m11": "min11", "min11": "min11", "13": "13", "maj13": "maj9", "m13": "min9",
    "mmaj7": "minmaj7", "mM7": "minmaj7", "minmaj7": "minmaj7", "m(maj7)": "minmaj7",
    "aug7": "aug7", "+7": "aug7", "7#5": "aug7", "7b9": "7b9", "7#9": "7#9", "5": "5",
}
_CANONICAL = {"maj": "", "min": "m", "min7": "m7", "min6": "m6", "min9": "m9", "minadd9": "madd9",
              "min11": "m11", "minmaj7": "mmaj7"}
_REST_SYMBOLS = {"N", "NC", "N.C.", "N.C", "-"}
_SYMBOL = re.compile(r"^([A-G])([#b]?)(.*?)(?:/([A-G])([#b]?))?$")
ACCEPTED = (
    "write a root A-G with optional # or b, then a quality such as m, 7, maj7, m7, m7b5, dim, "
    "aug, sus4, 6, 9, and an optional /bass note (e.g. 'F#m7b5', 'Bb/D'); 'N' means no chord"
)


class ChordError(ValueError):
    """A chord symbol or progression a musician wrote that cannot be read."""


@dataclass(frozen=True, slots=True)
class Chord:
    """A parsed chord symbol; ``root`` and ``bass`` are pitch classes (None for no chord)."""

    root: int | None
    quality: str
    intervals: tuple[int, ...]
    bass: int | None
    symbol: str

    @property
    def is_rest(self) -> bool:
        return self.root is None

    @property
    def pitch_classes(self) -> frozenset[int]:
        """Sounding pitch classes, the slash bass included."""
        if self.root is None:
            return frozenset()
        pcs = {(self.root + i) % 12 for i in self.intervals}
        if self.bass is not None:
            pcs.add(self.bass)
        return frozenset(pcs)

    @property
    def name(self) -> str:
        """Canonical spelling, e.g. ``'Ebmaj7/G'``."""
        if self.root is None:
            return "N"
        text = NOTE_NAMES[self.root] + _CANONICAL.get(self.quality, self.quality)
        if self.bass is not None and self.bass != self.root:
            text += "/" + NOTE_NAMES[self.bass]
        return text


def pitch_class(letter: str, accidental: str) -> int:
    return (_LETTER_PC[letter] + {"#": 1, "b": -1, "": 0}[accidental]) % 12


@functools.lru_cache(maxsize=1024)
def parse_chord(symbol: str) -> Chord:
    """Parse one chord symbol such as ``'Am7'``, ``'Bb/D'``, ``'F#m7b5'`` or ``'N'``.

    Raises:
        ChordError: the text is not a chord symbol; the message says what is accepted.
    """
    text = symbol.strip()
    if text in _REST_SYMBOLS:
        return Chord(None, "N", (), None, text)
    match = _SYMBOL.match(text)
    quality = _SUFFIXES.get(match.group(3)) if match else None
    if match is None or quality is None:
        raise ChordError(f"'{symbol}' is not a chord symbol: {ACCEPTED}")
    root = pitch_class(match.group(1), match.group(2))
    bass = pitch_class(match.group(4), match.group(5)) if match.group(4) else None
    return Chord(root, quality, QUALITIES[quality], bass, text)


def make_chord(root: int, quality: str, bass: int | None = None) -> Chord:
    """Build a chord from a root pitch class and a quality name from ``QUALITIES``."""
    chord = Chord(root % 12, quality, QUALITIES[quality], bass, "")
    return Chord(chord.root, quality, chord.intervals, bass, chord.name)


def parse_progression(text: str, meter: tuple[int, int] = (4, 4), bars: int = 0) -> list[ChordSpan]:
    """Read ``"Am7 | D7 | G Em | C"`` into chord spans in quarter-note beats.

    Bars are separated by ``|`` (or new lines); chords inside a bar share it equally; ``%`` repeats
    the previous bar. With ``bars`` above the written count the progression loops; below, it is cut.

    Raises:
        ChordError: an empty bar, a bad symbol (naming its bar), or nothing to read.
        ValueError: ``meter`` is not a time signature.
    """
    if bars < 0:
        raise ChordError(f"bars must be 0 (as written) or more, not {bars}")
    beats = beats_per_bar(meter)
    lines = [line.strip().strip("|").strip() for line in text.strip().splitlines()]
    joined = "|".join(line for line in lines if line)
    if not joined:
        raise ChordError("the chord progression is empty: write bars like 'Am7 | D7 | G Em | C'")
    written: list[list[str]] = []
    for number, cell in enumerate(joined.split("|"), start=1):
        symbols = cell.split()
        if not symbols:
            raise ChordError(f"bar {number} of '{text.strip()}' is empty: put a chord in every bar "
                             "(or '%' to repeat the previous bar, 'N' for no chord)")
        if symbols == ["%"]:
            if not written:
                raise ChordError("bar 1 is '%' but there is no previous bar to repeat")
            symbols = written[-1]
        for symbol in symbols:
            try:
                parse_chord(symbol)
            except ChordError:
                raise ChordError(f"chord '{symbol}' in bar {number} is not a chord symbol: {ACCEPTED}") from None
        written.append(symbols)
    total = bars or len(written)
    spans = []
    for index in range(total):
        symbols = written[index % len(written)]
        share = beats / len(symbols)
        spans += [ChordSpan(s, index * beats + j * share, share) for j, s in enumerate(symbols)]
    return spans


def chord_at(chords: Sequence[ChordSpan], beat: float) -> Chord | None:
    """The chord sounding at ``beat`` (None outside every span)."""
    for span in chords:
        if span.start_beats - 1e-6 <= beat < span.start_beats + span.duration_beats - 1e-6:
            return parse_chord(span.symbol)
    return None


def chords_text(spans: Sequence[ChordSpan], meter: tuple[int, int], bars: int) -> str:
    """Chord spans as progression text (``"C | Am F | ..."``): per bar the chord at its start and, when another
    sounds there, at its middle; a bar without a chord ('N') takes the nearest chord there is."""
    beats = beats_per_bar(meter)
    cells: list[list[str | None]] = []
    for bar in range(bars):
        cell: list[str | None] = []
        for at in (bar * beats, bar * beats + beats / 2):
            chord = chord_at(spans, at + 1e-6)
            symbol = None if chord is None or chord.is_rest else next(
                s.symbol for s in spans if s.start_beats - 1e-6 <= at + 1e-6 < s.start_beats + s.duration_beats - 1e-6)
            if not cell or symbol != cell[-1]:
                cell.append(symbol)
        cells.append(cell)
    known = [s for cell in cells for s in cell if s]
    if not known:
        return " | ".join(["C"] * bars)
    previous = known[0]
    text = []
    for cell in cells:
        symbols = []
        for symbol in cell:
            previous = symbol or previous
            if not symbols or symbols[-1] != previous:
                symbols.append(previous)
        text.append(" ".join(symbols))
    return " | ".join(text)
