"""Fit the Markov baseline's count tables on POP909's training split (``python -m models.markov.train``)."""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from models.data.pop909 import Song, load_song, split_songs
from models.markov.contexts import (
    BAR_TICKS,
    PATTERN_TICKS,
    TABLE_VERSION,
    chain_contexts,
    chord_contexts,
    pattern_key,
    quality_class,
)
from models.markov.table import MARKOV_STYLES
from models.music.chords import chord_at, parse_chord
from models.music.meter import TICKS_PER_BEAT
from models.music.metrics import chord_tone_ratio
from models.types import Note

log = logging.getLogger(__name__)

MAX_PATTERNS = 1000
MAX_SUCCESSORS = 25
# What the table writes: POP909's four parts, arpeggios read from its keys, pads voiced from its chords.
LEARNT_PARTS = ("melody", "counter", "bass", "keys", "pad", "arp")


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
            "styles": list(MARKOV_STYLES),
            "parts": list(LEARNT_PARTS),
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
    """Command line: ``python -m models.markov.train --data ../shared/datasets/pop909``."""
    from models.registry import default_model_path

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default="../shared/datasets/pop909", help="POP909 folder (NNN/NNN.mid ...)")
    parser.add_argument("--out", default=str(default_model_path()), help="table file to write (.json.gz)")
    parser.add_argument("--eval", action="store_true", help="also report POP909's chord-tone ratio on the test split")
    args = parser.parse_args(argv)
    train(args.data, args.out)
    if args.eval:
        songs = [s for s in (load_song(p) for p in split_songs(args.data)[1]) if s is not None]
        log.info("POP909 test split chord-tone ratio: %s", evaluate_songs(songs))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    main()
