"""Chord symbols: parsing, progressions, keys, recognition from notes and the chord-tone metric."""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from models.api import ChordSpan, Note

log = logging.getLogger(__name__)

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


def _pc(letter: str, accidental: str) -> int:
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
    root = _pc(match.group(1), match.group(2))
    bass = _pc(match.group(4), match.group(5)) if match.group(4) else None
    return Chord(root, quality, QUALITIES[quality], bass, text)


def make_chord(root: int, quality: str, bass: int | None = None) -> Chord:
    """Build a chord from a root pitch class and a quality name from ``QUALITIES``."""
    chord = Chord(root % 12, quality, QUALITIES[quality], bass, "")
    return Chord(chord.root, quality, chord.intervals, bass, chord.name)


def bar_beats(meter: tuple[int, int]) -> float:
    """Quarter-note beats in one bar of ``meter`` (6/8 -> 3.0)."""
    numerator, denominator = meter
    if numerator < 1 or denominator not in (1, 2, 4, 8, 16):
        raise ChordError(f"meter {numerator}/{denominator} is not a time signature: "
                         "use e.g. 4/4, 3/4, 2/4, 6/8 or 12/8")
    return numerator * 4.0 / denominator


def parse_progression(text: str, meter: tuple[int, int] = (4, 4), bars: int = 0) -> list[ChordSpan]:
    """Read ``"Am7 | D7 | G Em | C"`` into chord spans in quarter-note beats.

    Bars are separated by ``|`` (or new lines); chords inside a bar share it equally; ``%`` repeats
    the previous bar. With ``bars`` above the written count the progression loops; below, it is cut.

    Raises:
        ChordError: an empty bar, a bad symbol (naming its bar), or nothing to read.
    """
    if bars < 0:
        raise ChordError(f"bars must be 0 (as written) or more, not {bars}")
    beats = bar_beats(meter)
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


# ---------------------------------------------------------------- keys

_MAJOR_PROFILE = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
_MINOR_PROFILE = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
_KEY = re.compile(r"^([A-Ga-g])([#b]?)\s*(m|min|minor|maj|major|M)?$")


def parse_key(text: str) -> tuple[int, str] | None:
    """Read ``'C'``, ``'Am'``, ``'F# minor'`` into ``(tonic_pc, 'major'|'minor')``; ``''`` -> None.

    Raises:
        ChordError: the text is not a key name.
    """
    text = text.strip()
    if not text:
        return None
    match = _KEY.match(text)
    if match is None:
        raise ChordError(f"key '{text}' is not a key: write a tonic A-G with optional # or b and "
                         "optionally 'm'/'minor' or 'major' (e.g. 'C', 'Am', 'F# minor'), or '' for auto")
    mode = "minor" if match.group(3) in ("m", "min", "minor") else "major"
    return _pc(match.group(1).upper(), match.group(2)), mode


def pc_histogram(notes: Iterable[Note]) -> list[float]:
    """Duration-weighted pitch-class histogram."""
    weights = [0.0] * 12
    for note in notes:
        weights[note.pitch % 12] += note.duration_beats
    return weights


def _correlation(a: Sequence[float], b: Sequence[float]) -> float:
    mean_a, mean_b = sum(a) / 12, sum(b) / 12
    num = sum((x - mean_a) * (y - mean_b) for x, y in zip(a, b))
    den = math.sqrt(sum((x - mean_a) ** 2 for x in a) * sum((y - mean_b) ** 2 for y in b))
    return num / den if den else 0.0


def detect_key(notes: Iterable[Note]) -> tuple[int, str]:
    """Krumhansl-Schmuckler key estimate ``(tonic_pc, mode)``; C major when there are no notes."""
    hist = pc_histogram(notes)
    if not any(hist):
        return 0, "major"
    best = max(
        ((_correlation(hist, [profile[(pc - tonic) % 12] for pc in range(12)]), tonic, mode)
         for tonic in range(12)
         for mode, profile in (("major", _MAJOR_PROFILE), ("minor", _MINOR_PROFILE))),
    )
    return best[1], best[2]


def diatonic_chords(key: tuple[int, str]) -> dict[tuple[int, str], float]:
    """Diatonic triads and sevenths of ``key`` -> prior weight (tonic, IV, V favoured)."""
    tonic, mode = key
    major = tonic if mode == "major" else (tonic + 3) % 12
    degrees = [(0, "maj", 1.0), (2, "min", 0.7), (4, "min", 0.6), (5, "maj", 1.0), (7, "maj", 1.0),
               (9, "min", 0.9), (7, "7", 0.6), (2, "min7", 0.4), (9, "min7", 0.4), (0, "maj7", 0.3),
               (5, "maj7", 0.3), (4, "7", 0.3), (11, "dim", 0.2)]
    return {((major + step) % 12, quality): weight for step, quality, weight in degrees}


# ---------------------------------------------------------------- recognition

_TEMPLATES = ("maj", "min", "7", "maj7", "min7", "dim", "sus4", "sus2", "aug", "m7b5")
_COMPLEXITY = {"maj": 0.0, "min": 0.0, "7": 0.06, "maj7": 0.08, "min7": 0.06, "dim": 0.12,
               "sus4": 0.1, "sus2": 0.12, "aug": 0.2, "m7b5": 0.15}


def _segment_scores(notes: Sequence[Note], start: float, end: float, monophonic: bool,
                    prior: dict[tuple[int, str], float]) -> list[tuple[float, int, str]]:
    weights = [0.0] * 12
    lowest = None
    for note in notes:
        overlap = min(note.end_beats, end) - max(note.start_beats, start)
        if overlap <= 0:
            continue
        onset_bonus = 1.3 if note.start_beats >= start - 1e-6 else 1.0
        weights[note.pitch % 12] += overlap * onset_bonus
        if lowest is None or note.pitch < lowest.pitch:
            lowest = note
    total = sum(weights)
    if total <= 0:
        return []
    scores = []
    for quality in _TEMPLATES:
        if monophonic and quality not in ("maj", "min", "7", "dim", "min7"):
            continue
        for root in range(12):
            pcs = {(root + i) % 12 for i in QUALITIES[quality]}
            inside = sum(weights[pc] for pc in pcs) / total
            score = inside - 0.7 * (1 - inside) - _COMPLEXITY[quality]
            if not monophonic and lowest is not None and lowest.pitch % 12 == root:
                score += 0.12
            if weights[root] > 0:
                score += 0.05
            score += (0.25 if monophonic else 0.08) * prior.get((root, quality), 0.0)
            if monophonic and (root, quality) not in prior:
                score -= 0.3
            scores.append((score, root, quality))
    scores.sort(reverse=True)
    return scores


def recognise_chords(notes: Sequence[Note], meter: tuple[int, int] = (4, 4), bars: int = 0,
                     per_bar: int = 0, key: str | tuple[int, str] | None = None) -> list[ChordSpan]:
    """Name the chords of a clip, one or two per bar.

    Template matching on duration-weighted pitch classes, with a lowest-note (bass) hint for
    textures. A monophonic melody is harmonized instead: only triads, dominant sevenths and
    diminished chords are tried and diatonic ones in ``key`` (given or detected) are preferred.

    Args:
        notes: any texture; times in beats from bar 1.
        meter: time signature.
        bars: bars to cover (0: as many as the notes span).
        per_bar: 1 or 2 chords per bar, 0 to split a bar only when its halves clearly differ.
        key: key text (``'Am'``), ``(tonic, mode)``, or None to detect.

    Returns:
        Spans covering every bar; a bar with no notes holds the previous chord ('N' at the start).
    """
    beats = bar_beats(meter)
    if bars <= 0:
        bars = max(1, math.ceil(max((n.end_beats for n in notes), default=beats) / beats - 1e-6))
    if isinstance(key, str):
        key = parse_key(key)
    key = key or detect_key(notes)
    prior = diatonic_chords(key)
    onsets: dict[float, int] = {}
    for note in notes:
        onsets[round(note.start_beats, 3)] = onsets.get(round(note.start_beats, 3), 0) + 1
    monophonic = bool(notes) and sum(1 for c in onsets.values() if c > 1) < 0.2 * len(onsets)
    spans: list[ChordSpan] = []
    previous = "N"
    for bar in range(bars):
        start = bar * beats
        whole = _segment_scores(notes, start, start + beats, monophonic, prior)
        halves = [_segment_scores(notes, start + k * beats / 2, start + (k + 1) * beats / 2, monophonic, prior)
                  for k in range(2)]
        split = per_bar == 2 or (
            per_bar == 0 and all(halves) and whole and beats >= 2
            and halves[0][0][1:] != halves[1][0][1:]
            and (halves[0][0][0] + halves[1][0][0]) / 2 > whole[0][0] + 0.2)
        segments = [(halves[0], start, beats / 2), (halves[1], start + beats / 2, beats / 2)] if split \
            else [(whole, start, beats)]
        for scores, seg_start, length in segments:
            symbol = make_chord(scores[0][1], scores[0][2]).name if scores else previous
            spans.append(ChordSpan(symbol, seg_start, length))
            previous = symbol
    log.debug("recognised %d chord spans over %d bars (monophonic=%s)", len(spans), bars, monophonic)
    return spans


def chord_tone_ratio(notes: Iterable[Note], chords: Sequence[ChordSpan]) -> float:
    """Share of note time (duration-weighted) whose pitch class belongs to the chord at its onset.

    Notes starting outside every span or over a no-chord ('N') span are left out. Returns NaN when
    no note qualifies. POP909's own piano parts score about 0.97, uniformly random pitches 0.26.
    """
    inside = total = 0.0
    for note in notes:
        chord = chord_at(chords, note.start_beats)
        if chord is None or chord.is_rest:
            continue
        total += note.duration_beats
        if note.pitch % 12 in chord.pitch_classes:
            inside += note.duration_beats
    return inside / total if total else float("nan")
