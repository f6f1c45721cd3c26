"""Read POP909, split it by song hash and fit the Markov baseline's count tables (``python -m models.markov_train``)."""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.api import ChordSpan, Note
from models.chords import Chord, chord_at, chord_tone_ratio, make_chord, parse_chord

log = logging.getLogger(__name__)

TICKS_PER_BEAT = 12
BAR_TICKS = 48  # learned from 4-beat bars; other meters are mapped at sampling time
# Rhythm patterns span a bar for single lines and half a bar for keys/arp, whose comping is so
# varied that whole-bar patterns repeat too rarely to be counted (a sixth of bars in the top 400).
PATTERN_TICKS = {"melody": 48, "counter": 48, "bass": 48, "keys": 24, "arp": 24}
DURATION_BUCKETS = {"melody": (3, 6, 12, 24, 48), "counter": (3, 6, 12, 24, 48), "bass": (3, 6, 12, 24, 48),
                    "keys": (3, 12, 36), "arp": (3, 12, 36)}
MAX_GROUP = 3  # onset groups of 3 or more notes are one class: "a chord"
BASS_CEILING = 55  # a PIANO note below G3 that is the lowest sounding note is read as bass
LEARNED_PARTS = ("melody", "counter", "bass", "keys", "arp")
TABLE_VERSION = 1
MAX_PATTERNS = 1000
MAX_SUCCESSORS = 25

_POP909_QUALITY = {"maj": "maj", "min": "min", "7": "7", "maj7": "maj7", "min7": "min7", "dim": "dim",
                   "dim7": "dim7", "aug": "aug", "hdim7": "m7b5", "sus2": "sus2", "sus4": "sus4",
                   "sus4(b7)": "7sus4", "maj6": "6", "min6": "min6", "minmaj7": "minmaj7"}
_DEGREE = {"1": 0, "b2": 1, "2": 2, "b3": 3, "3": 4, "4": 5, "b5": 6, "5": 7, "#5": 8, "b6": 8, "6": 9,
           "b7": 10, "7": 11}


def is_test_song(name: str) -> bool:
    """Deterministic held-out split: a song is in the test set when sha1(folder name) % 10 == 0."""
    return int(hashlib.sha1(name.encode()).hexdigest(), 16) % 10 == 0


def split_songs(root: str | Path) -> tuple[list[Path], list[Path]]:
    """``(train, test)`` song folders of a POP909 copy, sorted by name (about 90/10)."""
    folders = sorted(p for p in Path(root).iterdir() if p.is_dir() and (p / f"{p.name}.mid").exists())
    if not folders:
        raise FileNotFoundError(f"no POP909 song folders (NNN/NNN.mid) under {root}")
    return [p for p in folders if not is_test_song(p.name)], [p for p in folders if is_test_song(p.name)]


def quality_class(chord: Chord) -> str:
    """Coarse chord family used as Markov context: maj, min, dom, dim, aug, sus."""
    pcs = set(chord.intervals)
    if 4 in pcs:
        return "aug" if 8 in pcs and 7 not in pcs else ("dom" if 10 in pcs else "maj")
    if 3 in pcs:
        return "dim" if 6 in pcs and 7 not in pcs else "min"
    return "sus"


def duration_bucket(part: str, ticks: float) -> int:
    """Nearest duration bucket (log scale) of ``part`` for a duration in ticks."""
    ticks = max(ticks, 1.0)
    return min(DURATION_BUCKETS[part], key=lambda b: abs(np.log(b / ticks)))


def pattern_key(part: str, groups: Sequence[tuple[int, Sequence[Note]]]) -> str:
    """Text key of a rhythm pattern: 'tick,duration,size;...' from (tick in unit, onset group) pairs."""
    return ";".join(f"{t},{duration_bucket(part, max(n.duration_beats for n in g) * TICKS_PER_BEAT)},"
                    f"{min(len(g), MAX_GROUP)}" for t, g in groups)


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


def load_song(folder: Path) -> Song | None:
    """Read one POP909 folder into beats; None for songs without 4-beat bars."""
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
    bar_starts = [a for a, b in zip(downbeats, downbeats[1:]) if b - a == 4]
    return Song(folder.name, parts, chords, bar_starts, (parse_chord(tonic).root, "minor" if mode.startswith("min") else "major"))


class _Counts:
    """Accumulates every count table of the baseline."""

    def __init__(self) -> None:
        self.patterns: dict[str, Counter] = defaultdict(Counter)
        self.pattern_next: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
        self.chain: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
        self.motion: dict[str, Counter] = defaultdict(Counter)
        self.pitch: dict[str, Counter] = defaultdict(Counter)
        self.velocity: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
        self.shapes: dict[str, Counter] = defaultdict(Counter)
        self.chord_chain: dict[str, Counter] = defaultdict(Counter)
        self.chords_per_bar: Counter = Counter()

    def add_song(self, song: Song) -> None:
        for part, notes in song.parts.items():
            self._add_part(part, notes, song)
        if song.parts["keys"]:
            self._add_part("arp", song.parts["keys"], song, arp=True)
        self._add_chords(song)

    def _add_part(self, part: str, notes: list[Note], song: Song, arp: bool = False) -> None:
        groups: dict[int, list[Note]] = defaultdict(list)
        for note in notes:
            groups[round(note.start_beats * TICKS_PER_BEAT)].append(note)
        previous_pattern = None
        unit = PATTERN_TICKS[part]
        for bar_start in song.bar_starts:
            for first in range(bar_start * TICKS_PER_BEAT, (bar_start + 4) * TICKS_PER_BEAT, unit):
                events = [(t - first, groups[t]) for t in range(first, first + unit) if t in groups]
                if arp and (len(events) < unit // 12 or any(len(g) > 1 for _, g in events)):
                    previous_pattern = None
                    continue
                pattern = pattern_key(part, events)
                self.patterns[part][pattern] += 1
                if previous_pattern is not None:
                    self.pattern_next[part][previous_pattern][pattern] += 1
                previous_pattern = pattern
        history: list[int] = []
        previous_pitch = None
        for tick in sorted(groups):
            group = sorted(groups[tick], key=lambda n: n.pitch)
            beat = tick / TICKS_PER_BEAT
            chord = chord_at(song.chords, beat)
            for note in group:
                self.pitch[part][note.pitch] += 1
                position = "down" if tick % BAR_TICKS == 0 else ("beat" if tick % TICKS_PER_BEAT == 0 else "off")
                self.velocity[part][position][note.velocity // 4 * 4 + 2] += 1
            if chord is None or chord.is_rest:
                history, previous_pitch = [], None
                continue
            if len(group) > 1:
                tones = sorted({n.pitch for n in group if n.pitch % 12 in chord.pitch_classes})
                if len(tones) >= 2:
                    ref = tones[0] - (tones[0] - chord.root) % 12
                    self.shapes[chord.quality][",".join(str(p - ref) for p in tones)] += 1
                continue
            note = group[0]
            token = (note.pitch - chord.root) % 12
            q = quality_class(chord)
            for context in chain_contexts(q, history):
                self.chain[part][context][token] += 1
            if previous_pitch is not None and abs(note.pitch - previous_pitch) <= 24:
                self.motion[part][note.pitch - previous_pitch] += 1
            history = (history + [token])[-2:]
            previous_pitch = note.pitch

    def _add_chords(self, song: Song) -> None:
        tonic = song.key[0] if song.key[1] == "major" else (song.key[0] + 3) % 12
        tokens: list[str] = []
        for span in song.chords:
            chord = parse_chord(span.symbol)
            if chord.is_rest:
                continue
            token = f"{(chord.root - tonic) % 12}:{chord.quality}"
            if tokens and tokens[-1] == token:
                continue
            for context in chord_contexts(tokens):
                self.chord_chain[context][token] += 1
            tokens.append(token)
        for bar_start in song.bar_starts:
            starts = {s.start_beats for s in song.chords if bar_start <= s.start_beats < bar_start + 4}
            self.chords_per_bar[min(len(starts), 4)] += 1

    def table(self, songs: int) -> dict:
        patterns = {part: dict(counts.most_common(MAX_PATTERNS)) for part, counts in self.patterns.items()}
        pattern_next = {
            part: {prev: {nxt: c for nxt, c in nexts.most_common(MAX_SUCCESSORS) if nxt in patterns[part]}
                   for prev, nexts in table.items() if prev in patterns[part]}
            for part, table in self.pattern_next.items()}
        return {
            "version": TABLE_VERSION,
            "ticks_per_beat": TICKS_PER_BEAT,
            "bar_ticks": BAR_TICKS,
            "pattern_ticks": PATTERN_TICKS,
            "songs": songs,
            "patterns": patterns,
            "pattern_next": pattern_next,
            "chain": {part: {ctx: {str(t): c for t, c in counts.items()} for ctx, counts in table.items()}
                      for part, table in self.chain.items()},
            "motion": {part: {str(k): c for k, c in counts.items()} for part, counts in self.motion.items()},
            "pitch": {part: {str(k): c for k, c in counts.items()} for part, counts in self.pitch.items()},
            "velocity": {part: {pos: {str(k): c for k, c in counts.items()} for pos, counts in table.items()}
                         for part, table in self.velocity.items()},
            "shapes": {q: dict(counts.most_common(60)) for q, counts in self.shapes.items()},
            "chord_chain": {ctx: dict(counts.most_common(30)) for ctx, counts in self.chord_chain.items()
                            if sum(counts.values()) >= 2},
            "chords_per_bar": {str(k): c for k, c in self.chords_per_bar.items()},
        }


def chain_contexts(q: str, history: Sequence[int]) -> list[str]:
    """Back-off contexts of the pitch chain, longest first: 'maj|4,7', 'maj|7', 'maj|'."""
    out = [f"{q}|"]
    if history:
        out.insert(0, f"{q}|{history[-1]}")
    if len(history) >= 2:
        out.insert(0, f"{q}|{history[-2]},{history[-1]}")
    return out


def chord_contexts(tokens: Sequence[str]) -> list[str]:
    """Back-off contexts of the chord chain, longest first."""
    out = [""]
    if tokens:
        out.insert(0, tokens[-1])
    if len(tokens) >= 2:
        out.insert(0, f"{tokens[-2]} {tokens[-1]}")
    return out


def evaluate_songs(songs: Sequence[Song]) -> dict[str, float]:
    """Chord-tone ratio of POP909's own parts against its chord annotations."""
    return {part: float(np.nanmean([chord_tone_ratio(s.parts[part], s.chords) for s in songs if s.parts[part]]))
            for part in ("melody", "counter", "bass", "keys")}


def train(root: str | Path, out: str | Path) -> dict:
    """Fit the tables on the training split of ``root`` and write gzip JSON to ``out``."""
    started = time.perf_counter()
    train_dirs, test_dirs = split_songs(root)
    counts = _Counts()
    used = 0
    for index, folder in enumerate(train_dirs):
        song = load_song(folder)
        if song is None:
            log.info("skipping %s: not in 4-beat bars", folder.name)
            continue
        counts.add_song(song)
        used += 1
        if index % 100 == 0:
            log.info("read %d/%d songs", index, len(train_dirs))
    table = counts.table(used)
    table["split"] = {"rule": "sha1(folder name) % 10 == 0 is test", "train": used, "test": len(test_dirs)}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(out, "wt", encoding="utf-8") as handle:
        json.dump(table, handle, separators=(",", ":"), sort_keys=True)
    log.info("wrote %s (%.0f kB) from %d songs in %.1f s", out, out.stat().st_size / 1e3, used,
             time.perf_counter() - started)
    return table


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: ``python -m models.markov_train --data ../shared/datasets/pop909``."""
    from models.registry import default_model_path

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default="../shared/datasets/pop909", help="POP909 folder (NNN/NNN.mid ...)")
    parser.add_argument("--out", default=str(default_model_path()), help="table file to write (.json.gz)")
    parser.add_argument("--eval", action="store_true", help="also report POP909's chord-tone ratio on the test split")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    train(args.data, args.out)
    if args.eval:
        songs = [s for s in (load_song(p) for p in split_songs(args.data)[1]) if s is not None]
        log.info("POP909 test split chord-tone ratio: %s", evaluate_songs(songs))


if __name__ == "__main__":
    main()
