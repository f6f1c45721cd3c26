"""A piece of training music (bars with meters, notes per track, chord spans, a style) and the held-out split rule."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from models.types import ChordSpan, Note


def is_test_song(name: str) -> bool:
    """Deterministic held-out split: a song is in the test set when sha1(folder name) % 10 == 0."""
    return int(hashlib.sha1(name.encode()).hexdigest(), 16) % 10 == 0


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
        """Held out by the shared rule (``is_test_song`` on the file or folder name)."""
        return is_test_song(self.name.rsplit("/", 1)[-1])
