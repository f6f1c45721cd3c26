"""music21's bundled corpora (chorales, Renaissance polyphony, quartets, folk tunes) read as pieces."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from pathlib import Path

from models.data.pieces import Piece
from models.music.chords import parse_chord
from models.music.meter import TICKS_PER_BEAT, beats_per_bar
from models.music.recognise import recognise_chords
from models.types import METERS, ChordSpan, Note

log = logging.getLogger(__name__)

# music21 corpus folders -> (style, how to read the voices, most files to take)
MUSIC21_SOURCES = {
    "bach": ("chorale", "voices", 450),
    "palestrina": ("renaissance", "voices", 250),
    "monteverdi": ("renaissance", "voices", 100),
    "trecento": ("renaissance", "voices", 10),
    "haydn": ("classical", "quartet", 6),
    "mozart": ("classical", "quartet", 6),
    "beethoven": ("classical", "quartet", 6),
    "ryansMammoth": ("folk", "lead", 400),
}


def split_meter(beats: float, meter: tuple[int, int]) -> list[tuple[float, tuple[int, int]]] | None:
    """One written bar -> bars in supported meters (4/2 -> two 4/4, 3/2 -> two 3/4); None if impossible."""
    if meter in METERS and abs(beats - beats_per_bar(meter)) < 1e-6:
        return [(0.0, meter)]
    for unit, sub in ((4.0, (4, 4)), (3.0, (3, 4)), (2.0, (2, 4))):
        count = beats / unit
        if count >= 1 and abs(count - round(count)) < 1e-6:
            return [(k * unit, sub) for k in range(round(count))]
    return None


def _notes_of(part, shift: float) -> list[Note]:
    out = []
    for element in part.flatten().notes:
        start = round((float(element.offset) - shift) * TICKS_PER_BEAT) / TICKS_PER_BEAT
        duration = max(round(float(element.quarterLength) * TICKS_PER_BEAT), 1) / TICKS_PER_BEAT
        if start < 0 or element.quarterLength <= 0:
            continue
        velocity = element.volume.velocity or 80
        for pitch in getattr(element, "pitches", ()):
            if 0 <= pitch.midi <= 127:
                out.append(Note(pitch.midi, start, duration, int(velocity)))
    return sorted(out, key=lambda n: (n.start_beats, n.pitch))


def _voice_tracks(parts: list[list[Note]], mode: str) -> dict[str, list[Note]]:
    parts = sorted((p for p in parts if p), key=lambda p: -sum(n.pitch for n in p) / len(p))
    if mode == "lead":
        return {"melody": parts[0]} if parts else {}
    names = ("melody", "counter", "keys", "bass") if mode == "quartet" else ("soprano", "alto", "tenor", "bassvoice")
    if len(parts) < 3:
        return {}
    tracks: dict[str, list[Note]] = {names[0]: parts[0], names[3]: parts[-1]}
    middle = parts[1:-1]
    half = max(1, len(middle) // 2) if len(middle) > 1 else 1
    tracks[names[1]] = sorted([n for p in middle[:half] for n in p], key=lambda n: (n.start_beats, n.pitch))
    if middle[half:]:
        tracks[names[2]] = sorted([n for p in middle[half:] for n in p], key=lambda n: (n.start_beats, n.pitch))
    return tracks


def convert_score(score, name: str, style: str, mode: str) -> Piece | None:
    """A music21 score -> Piece: bars from the first part's measures (a pickup is dropped)."""
    from music21 import harmony
    from music21 import meter as m21meter

    score = score.stripTies()
    measures = list(score.parts[0].getElementsByClass("Measure"))
    if len(measures) < 2:
        return None
    first_signature = score.recurse().getElementsByClass(m21meter.TimeSignature).first()
    current = None
    bars: list[tuple[float, tuple[int, int]]] = []
    for index, measure in enumerate(measures):
        current = measure.timeSignature or current or measure.getContextByClass(m21meter.TimeSignature) \
            or first_signature
        if current is None:
            return None
        nominal = float(current.barDuration.quarterLength)
        following = measures[index + 1].offset if index + 1 < len(measures) else None
        length = float(following - measure.offset) if following is not None else nominal
        if index == 0 and length < nominal - 1e-6:
            continue  # pickup
        if length <= 0:
            continue
        pieces = split_meter(length, (current.numerator, current.denominator))
        if pieces is None:
            return None
        bars += [(float(measure.offset) + off, sub) for off, sub in pieces]
    if not bars:
        return None
    shift = bars[0][0]
    bars = [(b - shift, m) for b, m in bars]
    tracks = _voice_tracks([_notes_of(p, shift) for p in score.parts], mode)
    if not tracks:
        return None
    chords = []
    if mode == "lead":
        for symbol in score.flatten().getElementsByClass(harmony.ChordSymbol):
            root = symbol.root()
            quality = {"minor": "m", "dominant-seventh": "7", "major-seventh": "maj7", "minor-seventh": "m7",
                       "diminished": "dim", "augmented": "aug"}.get(symbol.chordKind, "")
            if root is None or float(symbol.offset) < shift:
                continue
            chords.append((float(symbol.offset) - shift, parse_chord(root.name.replace("-", "b") + quality).name))
    end = bars[-1][0] + beats_per_bar(bars[-1][1])
    if chords:
        spans = [ChordSpan(s, a, b - a) for (a, s), (b, _) in zip(chords, chords[1:] + [(end, "")]) if b > a]
    else:
        texture = [n for notes in tracks.values() for n in notes]
        meter = bars[0][1]
        spans = recognise_chords(texture, meter, math.ceil(end / beats_per_bar(meter) - 1e-6))
    return Piece(name, style, bars, tracks, spans)


def read_music21(sources: Sequence[str] = tuple(MUSIC21_SOURCES), limit: int = 0) -> Iterator[Piece]:
    """Pieces from music21's bundled corpora; files that do not convert are skipped with a log line."""
    from music21 import corpus

    for source in sources:
        style, mode, most = MUSIC21_SOURCES[source]
        paths = sorted(corpus.getComposer(source))
        if source == "bach":
            paths = [p for p in paths if "bwv" in Path(p).name]
        paths = [p for p in paths if Path(p).suffix != ".rntxt"][: limit or most]
        for path in paths:
            try:
                parsed = corpus.parse(path)
                scores = list(parsed.scores) if hasattr(parsed, "scores") else [parsed]
            except Exception as err:  # noqa: BLE001 - music21 raises many unrelated types on odd files
                log.info("skipping %s: %s", path, err)
                continue
            for index, score in enumerate(scores):
                name = f"{source}/{Path(path).stem}-{index}"
                try:
                    piece = convert_score(score, name, style, mode)
                except Exception as err:  # noqa: BLE001 - same: a corpus file we cannot use
                    log.info("skipping %s: %s", name, err)
                    continue
                if piece is not None:
                    yield piece
