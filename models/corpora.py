"""Training sources turned into pieces (bars, tracks, chords, style): POP909, music21's corpora, MIDI folders."""

from __future__ import annotations

import itertools
import logging
import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from models.api import ChordSpan, Note
from models.chords import chord_at, parse_chord, recognise_chords
from models.markov_train import is_test_song, load_song, split_songs
from models.tokenizer import METERS, NOTE_TRACKS, STYLES, TICKS_PER_BEAT

log = logging.getLogger(__name__)

PAD_RANGE = (55, 77)  # POP909 has no pad: a held close voicing of each chord in this register
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


def source_styles(source: str) -> set[str] | None:
    """The style labels a ``continuo train`` source gives its pieces (None when that cannot be told)."""
    kind, _, rest = source.partition(":")
    if kind == "pop909":
        return {"pop"}
    if kind == "music21":
        names = [n for n in rest.split(",") if n] or list(MUSIC21_SOURCES)
        return {MUSIC21_SOURCES[n][0] for n in names if n in MUSIC21_SOURCES} or None
    if kind == "midi":
        style = rest.rpartition(":")[2]
        return {style} if style in STYLES else None
    return None


@dataclass
class Piece:
    """One piece in beats: bar starts with their meters, notes per track, chord spans, a style label."""

    name: str
    style: str
    bars: list[tuple[float, tuple[int, int]]]
    tracks: dict[str, list[Note]]
    chords: list[ChordSpan]

    @property
    def is_test(self) -> bool:
        """Held out by the shared rule (``models.markov_train.is_test_song`` on the file or folder name)."""
        return is_test_song(self.name.rsplit("/", 1)[-1])


# ---------------------------------------------------------------- POP909

def _pad_notes(chords: Sequence[ChordSpan], bars: Sequence[tuple[float, tuple[int, int]]]) -> list[Note]:
    """A sustained close voicing of each chord, re-struck at every bar line."""
    cuts = sorted({b for b, _ in bars} | {c.start_beats for c in chords})
    out = []
    for start, end in itertools.pairwise(cuts):
        chord = chord_at(chords, start)
        if chord is None or chord.is_rest:
            continue
        pitches = []
        for pc in [(chord.root + i) % 12 for i in chord.intervals][:4]:
            pitch = PAD_RANGE[0] + (pc - PAD_RANGE[0]) % 12
            pitches.append(pitch)
        for pitch in sorted(set(pitches)):
            out.append(Note(pitch, start, min(end - start, 16.0), 60))
    return out


def _split_arp(keys: list[Note], bars: Sequence[tuple[float, tuple[int, int]]]) -> tuple[list[Note], list[Note]]:
    """Bars whose keys are only single notes, at least one per beat, become the arp track."""
    by_bar: dict[int, list[Note]] = defaultdict(list)
    starts = [b for b, _ in bars]
    for note in keys:
        index = max(0, sum(1 for s in starts if s <= note.start_beats + 1e-6) - 1)
        by_bar[index].append(note)
    kept, arp = [], []
    for index, notes in by_bar.items():
        onsets: dict[float, int] = defaultdict(int)
        for note in notes:
            onsets[note.start_beats] += 1
        if len(onsets) >= 4 and all(c == 1 for c in onsets.values()):
            arp += notes
        else:
            kept += notes
    return kept, arp


def read_pop909(root: str | Path, limit: int = 0) -> Iterator[Piece]:
    """POP909 songs (train and test folders; ``Piece.is_test`` tells them apart)."""
    train, test = split_songs(root)
    folders = sorted(train + test)[: limit or None]
    for folder in folders:
        song = load_song(folder)
        if song is None:
            continue
        bars = [(float(b), (4, 4)) for b in song.bar_starts]
        keys, arp = _split_arp(song.parts["keys"], bars)
        tracks = {"melody": song.parts["melody"], "counter": song.parts["counter"], "bass": song.parts["bass"],
                  "keys": keys, "arp": arp, "pad": _pad_notes(song.chords, bars)}
        yield Piece(folder.name, "pop", bars, {k: v for k, v in tracks.items() if v}, song.chords)


# ---------------------------------------------------------------- bars and meters

def split_meter(beats: float, meter: tuple[int, int]) -> list[tuple[float, tuple[int, int]]] | None:
    """One written bar -> bars in supported meters (4/2 -> two 4/4, 3/2 -> two 3/4); None if impossible."""
    if meter in METERS and abs(beats - meter[0] * 4 / meter[1]) < 1e-6:
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
    end = bars[-1][0] + bars[-1][1][0] * 4 / bars[-1][1][1]
    if chords:
        spans = [ChordSpan(s, a, b - a) for (a, s), (b, _) in zip(chords, chords[1:] + [(end, "")]) if b > a]
    else:
        texture = [n for notes in tracks.values() for n in notes]
        meter = bars[0][1]
        spans = recognise_chords(texture, meter, math.ceil(end / (meter[0] * 4 / meter[1]) - 1e-6))
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


# ---------------------------------------------------------------- a user's MIDI folder

def _role_of(track, mean_pitch: float) -> str:
    program = track.program
    if track.is_drum:
        return "drums"
    if 32 <= program <= 39 or mean_pitch < 48:
        return "bass"
    if 88 <= program <= 95 or 48 <= program <= 55:
        return "pad"
    if program <= 7 or 16 <= program <= 23:
        return "keys"
    return "melody"


def read_midi_folder(folder: str | Path, style: str) -> Iterator[Piece]:
    """Every ``*.mid``/``*.midi`` under ``folder``: tracks by program and register, chords recognised."""
    import symusic

    if style not in STYLES:
        raise ValueError(f"style '{style}' is not one the model knows: choose from {', '.join(STYLES)}")
    files = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in (".mid", ".midi"))
    if not files:
        raise FileNotFoundError(f"no .mid files under {folder}")
    for path in files:
        try:
            score = symusic.Score(str(path))
        except Exception as err:  # noqa: BLE001 - symusic raises RuntimeError and others on bad files
            log.warning("skipping %s: %s", path, err)
            continue
        tpq = score.ticks_per_quarter
        signature = score.time_signatures[0] if len(score.time_signatures) else None
        meter = (signature.numerator, signature.denominator) if signature else (4, 4)
        if meter not in METERS:
            meter = (4, 4)
        tracks: dict[str, list[Note]] = defaultdict(list)
        melodic = []
        for track in score.tracks:
            notes = [Note(n.pitch, round(n.time / tpq * TICKS_PER_BEAT) / TICKS_PER_BEAT,
                          max(round(n.duration / tpq * TICKS_PER_BEAT), 1) / TICKS_PER_BEAT, max(1, n.velocity))
                     for n in track.notes]
            if notes:
                role = _role_of(track, sum(n.pitch for n in notes) / len(notes))
                tracks[role] += notes
                if role != "drums":
                    melodic += notes
        beats = meter[0] * 4 / meter[1]
        end = max((n.end_beats for notes in tracks.values() for n in notes), default=0.0)
        count = math.ceil(end / beats - 1e-6)
        if count < 1 or not melodic:
            continue
        bars = [(k * beats, meter) for k in range(count)]
        chords = recognise_chords(melodic, meter, count)
        yield Piece(f"user/{path.stem}", style, bars,
                    {k: sorted(v, key=lambda n: (n.start_beats, n.pitch)) for k, v in tracks.items() if k in NOTE_TRACKS},
                    chords)


VOICE_PROGRAMS = {"soprano": 52, "alto": 52, "tenor": 52, "bassvoice": 52}  # choir aahs


def write_midi(tracks: dict[str, Sequence[Note]], path: str | Path, tempo: float = 120.0,
               meter: tuple[int, int] = (4, 4), ticks_per_beat: int = 480) -> Path:
    """Write notes per track to a MIDI file (one track each, program and channel from ``models.api.PARTS``)."""
    import symusic

    from models.api import PARTS

    score = symusic.Score(ticks_per_beat)
    score.tempos.append(symusic.Tempo(0, tempo))
    score.time_signatures.append(symusic.TimeSignature(0, meter[0], meter[1]))
    for index, (name, notes) in enumerate(tracks.items()):
        channel, program = PARTS.get(name, (min(index, 8), VOICE_PROGRAMS.get(name, 0)))
        track = symusic.Track(name, program, channel == 9)
        for note in notes:
            track.notes.append(symusic.Note(round(note.start_beats * ticks_per_beat),
                                            max(1, round(note.duration_beats * ticks_per_beat)), note.pitch, note.velocity))
        score.tracks.append(track)
    path = Path(path)
    score.dump_midi(str(path))
    return path
