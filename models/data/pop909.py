"""POP909 read into beats: song folders, the held-out split, chord labels, melody/counter/bass/keys/arp/pad parts."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.data.pieces import Piece, is_test_song
from models.music.chords import Chord, chord_at, make_chord, parse_chord
from models.music.meter import TICKS_PER_BEAT
from models.music.notes import PAD_RANGE
from models.types import ChordSpan, Note

BASS_CEILING = 55  # a PIANO note below G3 that is the lowest sounding note is read as bass
OFF_BEAT_MIN = 2  # bass onsets on beat 2 or 4 of a run of bars that can mark its bar lines as a beat off
_POP909_QUALITY = {"maj": "maj", "min": "min", "7": "7", "maj7": "maj7", "min7": "min7", "dim": "dim",
                   "dim7": "dim7", "aug": "aug", "hdim7": "m7b5", "sus2": "sus2", "sus4": "sus4",
                   "sus4(b7)": "7sus4", "maj6": "6", "min6": "min6", "minmaj7": "minmaj7"}
_DEGREE = {"1": 0, "b2": 1, "2": 2, "b3": 3, "3": 4, "4": 5, "b5": 6, "5": 7, "#5": 8, "b6": 8, "6": 9,
           "b7": 10, "7": 11}


def split_songs(root: str | Path) -> tuple[list[Path], list[Path]]:
    """``(train, test)`` song folders of a POP909 copy, sorted by name (about 90/10)."""
    folders = sorted(p for p in Path(root).iterdir() if p.is_dir() and (p / f"{p.name}.mid").exists())
    if not folders:
        raise FileNotFoundError(f"no POP909 song folders (NNN/NNN.mid) under {root}")
    return [p for p in folders if not is_test_song(p.name)], [p for p in folders if is_test_song(p.name)]


def pop909_chord(label: str) -> Chord:
    """``'F:maj/3'`` -> Chord F/A; unknown qualities fall back to the triad they contain."""
    if label == "N":
        return parse_chord("N")
    root_text, _, rest = label.partition(":")
    quality_text, _, degree = rest.partition("/")
    root = parse_chord(root_text).root
    quality = _POP909_QUALITY.get(quality_text, "min" if quality_text.startswith("min") else "maj")
    bass = (root + _DEGREE[degree]) % 12 if degree in _DEGREE else None
    return make_chord(root, quality, bass)


@dataclass
class Song:
    """One POP909 song in beats: notes per role, chord spans, 4-beat bar starts and key."""

    name: str
    parts: dict[str, list[Note]]
    chords: list[ChordSpan]
    bar_starts: list[int]
    key: tuple[int, str]


def _monophonic(notes: list[Note]) -> list[Note]:
    """Keep the highest note per onset and cut each note at the next onset."""
    by_onset: dict[float, Note] = {}
    for note in notes:
        held = by_onset.get(note.start_beats)
        if held is None or note.pitch > held.pitch:
            by_onset[note.start_beats] = note
    ordered = [by_onset[t] for t in sorted(by_onset)]
    out = []
    for note, nxt in zip(ordered, ordered[1:] + [None]):
        end = note.end_beats if nxt is None else min(note.end_beats, nxt.start_beats)
        out.append(Note(note.pitch, note.start_beats, max(end - note.start_beats, 1 / TICKS_PER_BEAT), note.velocity))
    return out


def _split_piano(notes: list[Note]) -> tuple[list[Note], list[Note]]:
    """Bass = lowest note of an onset group when below G3 and nothing lower still sounds."""
    groups: dict[float, list[Note]] = defaultdict(list)
    for note in notes:
        groups[note.start_beats].append(note)
    bass, keys = [], []
    sounding: list[Note] = []
    for onset in sorted(groups):
        group = sorted(groups[onset], key=lambda n: n.pitch)
        sounding = [n for n in sounding if n.end_beats > onset + 0.1]
        low = group[0]
        if low.pitch < BASS_CEILING and all(n.pitch >= low.pitch for n in sounding):
            bass.append(low)
            group = group[1:]
        keys += group
        sounding += groups[onset]
    return _monophonic(bass), keys


def aligned_bars(bar_starts: Sequence[int], bass: Sequence[Note]) -> list[int]:
    """The bar starts left after dropping each run of 4-beat bars whose bass says the bar line is elsewhere.

    In 145 of the 824 songs with 4-beat bars, ``beat_midi.txt`` puts a run of bar lines a beat off
    the music (song 009: after a spurious 3-beat bar the bass strikes the annotated beat 2 in 97 of
    105 bars, beat 1 in 5), 8436 of 65355 bars; the chord labels there follow neither grid
    consistently. A model trained on them learns that a song may sit a beat late (issue 15). A run
    is dropped when the bass starts a note on its beat 2 or 4 at least twice, and twice as often
    as on beat 1 (a bass on beat 3 is ordinary: 58 % of aligned bars).
    """
    onsets = {note.start_beats for note in bass}
    kept: list[int] = []
    run: list[int] = []
    for start in [*bar_starts, None]:
        if run and (start is None or start - run[-1] != 4):
            on_beat = [sum(bar + beat in onsets for bar in run) for beat in range(4)]
            if max(on_beat[1], on_beat[3]) < max(OFF_BEAT_MIN, 2 * on_beat[0]):
                kept += run
            run = []
        if start is not None:
            run.append(start)
    return kept


def load_song(folder: Path) -> Song | None:
    """Read one POP909 folder into beats; None for songs without 4-beat bars on the music's bar lines."""
    import symusic  # imported here so that generation never needs it

    rows = [line.split() for line in (folder / "beat_midi.txt").read_text().splitlines() if line.strip()]
    beat_sec = np.array([float(r[0]) for r in rows])
    downbeats = [i for i, r in enumerate(rows) if float(r[2]) == 1.0]
    gaps = Counter(b - a for a, b in zip(downbeats, downbeats[1:]))
    if len(beat_sec) < 8 or not gaps or gaps.most_common(1)[0][0] != 4:
        return None
    step = beat_sec[-1] - beat_sec[-2]

    def to_beats(sec: float) -> float:
        if sec > beat_sec[-1]:
            return len(beat_sec) - 1 + (sec - beat_sec[-1]) / step
        return float(np.interp(sec, beat_sec, np.arange(len(beat_sec))))

    score = symusic.Score(str(folder / f"{folder.name}.mid"), ttype="second")
    raw: dict[str, list[Note]] = {}
    for track in score.tracks:
        notes = []
        for n in track.notes:
            start = round(to_beats(n.time) * TICKS_PER_BEAT) / TICKS_PER_BEAT
            end = round(to_beats(n.time + n.duration) * TICKS_PER_BEAT) / TICKS_PER_BEAT
            if start >= 0:
                notes.append(Note(n.pitch, start, max(end - start, 1 / TICKS_PER_BEAT), max(1, n.velocity)))
        raw[track.name.upper()] = sorted(notes, key=lambda x: (x.start_beats, x.pitch))
    bass, keys = _split_piano(raw.get("PIANO", []))
    parts = {"melody": _monophonic(raw.get("MELODY", [])), "counter": _monophonic(raw.get("BRIDGE", [])),
             "bass": bass, "keys": keys}
    chords: list[ChordSpan] = []
    for line in (folder / "chord_midi.txt").read_text().splitlines():
        start_sec, end_sec, label = line.split("\t")
        start, end = round(to_beats(float(start_sec)) * 4) / 4, round(to_beats(float(end_sec)) * 4) / 4
        name = pop909_chord(label.strip()).name
        if end <= start:
            continue
        if chords and chords[-1].symbol == name and abs(chords[-1].start_beats + chords[-1].duration_beats - start) < 1e-6:
            chords[-1] = ChordSpan(name, chords[-1].start_beats, end - chords[-1].start_beats)
        else:
            chords.append(ChordSpan(name, start, end - start))
    key_text = (folder / "key_audio.txt").read_text().split("\t")[2].strip() if (folder / "key_audio.txt").exists() else "C:maj"
    tonic, _, mode = key_text.partition(":")
    bar_starts = aligned_bars([a for a, b in zip(downbeats, downbeats[1:]) if b - a == 4], bass)
    if not bar_starts:
        return None  # every annotated bar line is a beat off the music
    return Song(folder.name, parts, chords, bar_starts, (parse_chord(tonic).root, "minor" if mode.startswith("min") else "major"))


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


def read_pop909(root: str | Path, limit: int = 0, test_only: bool = False) -> Iterator[Piece]:
    """POP909 songs (train and test folders; ``Piece.is_test`` tells them apart; ``test_only``: held-out ones)."""
    train, test = split_songs(root)
    folders = sorted(test if test_only else train + test)[: limit or None]
    for folder in folders:
        song = load_song(folder)
        if song is None:
            continue
        bars = [(float(b), (4, 4)) for b in song.bar_starts]
        keys, arp = _split_arp(song.parts["keys"], bars)
        tracks = {"melody": song.parts["melody"], "counter": song.parts["counter"], "bass": song.parts["bass"],
                  "keys": keys, "arp": arp, "pad": _pad_notes(song.chords, bars)}
        yield Piece(folder.name, "pop", bars, {k: v for k, v in tracks.items() if v}, song.chords)
