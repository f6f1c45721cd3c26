"""The VAE's training data: 2-bar segments of POP909's piano accompaniment with its annotated chords, cached."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.data.pop909 import load_song, split_songs
from models.vae.roll import (
    SEGMENT_BEATS,
    chord_features,
    events_to_durations,
    events_to_roll,
    segment_events,
    transpose_chords,
)

log = logging.getLogger(__name__)

DEFAULT_POP909 = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "pop909"
MIN_NOTES = 4  # a segment with fewer piano onsets teaches silence


@dataclass
class Segments:
    """Sparse 2-bar segments: ``events[offsets[i]:offsets[i + 1]]`` are segment i's (step, pitch, duration) rows,
    ``chords[i]`` its per-beat chord features, ``songs[i]`` the song it came from."""

    events: np.ndarray  # (total, 3) int16
    offsets: np.ndarray  # (n + 1,) int64
    chords: np.ndarray  # (n, SEGMENT_BEATS, 36) float32
    songs: np.ndarray  # (n,) str

    def __len__(self) -> int:
        return len(self.chords)

    def segment(self, index: int) -> np.ndarray:
        return self.events[self.offsets[index]:self.offsets[index + 1]]

    def batch(self, indices: np.ndarray, shifts: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(rolls (B, 2, 32, 88), duration classes (B, 32, 88), chords (B, 8, 36))`` for ``indices``, each
        transposed by its ``shifts`` entry."""
        shifts = np.zeros(len(indices), dtype=int) if shifts is None else shifts
        rolls = np.stack([events_to_roll(self.segment(i), int(s)) for i, s in zip(indices, shifts)])
        durations = np.stack([events_to_durations(self.segment(i), int(s)) for i, s in zip(indices, shifts)])
        chords = np.stack([transpose_chords(self.chords[i], int(s)) for i, s in zip(indices, shifts)])
        return rolls, durations, chords

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.stem + ".tmp.npz")
        np.savez_compressed(tmp, events=self.events, offsets=self.offsets, chords=self.chords, songs=self.songs)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Segments:
        with np.load(path, allow_pickle=False) as data:
            return cls(data["events"], data["offsets"], data["chords"], data["songs"])


def song_segments(folder: Path) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Every 2-bar window (hop one bar) of a song's piano part (bass and keys) with its chords."""
    song = load_song(folder)
    if song is None:
        return [], []
    piano = sorted(song.parts["bass"] + song.parts["keys"], key=lambda n: (n.start_beats, n.pitch))
    starts = set(song.bar_starts)
    events, chords = [], []
    for start in song.bar_starts:
        if start + 4 not in starts:
            continue
        rows = segment_events(piano, float(start))
        features = chord_features(song.chords, float(start))
        if len(rows) < MIN_NOTES or not features.any():
            continue
        events.append(rows)
        chords.append(features)
    return events, chords


def extract(root: str | Path = DEFAULT_POP909, test: bool = False, limit: int = 0) -> Segments:
    """Segments of POP909's training songs (``test``: the held-out songs), ``limit`` songs at most."""
    from tqdm import tqdm

    train, held_out = split_songs(root)
    folders = (held_out if test else train)[: limit or None]
    events: list[np.ndarray] = []
    chords: list[np.ndarray] = []
    songs: list[str] = []
    for folder in tqdm(folders, desc="POP909 segments", unit="song", mininterval=10):
        rows, features = song_segments(folder)
        events += rows
        chords += features
        songs += [folder.name] * len(rows)
    if not events:
        raise FileNotFoundError(f"no usable POP909 songs under {root}")
    offsets = np.concatenate([[0], np.cumsum([len(e) for e in events])]).astype(np.int64)
    log.info("%d segments of %d beats from %d songs", len(events), SEGMENT_BEATS, len(set(songs)))
    return Segments(np.concatenate(events).astype(np.int16), offsets, np.stack(chords), np.array(songs))


def cached(root: str | Path, cache: Path, test: bool = False, limit: int = 0) -> Segments:
    """``extract`` once, then read from ``cache`` (an ``.npz``)."""
    if cache.exists():
        return Segments.load(cache)
    segments = extract(root, test, limit)
    segments.save(cache)
    return segments
