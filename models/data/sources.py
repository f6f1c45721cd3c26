"""Training source specs (``pop909:DIR``, ``music21[:NAMES]``, ``midi:DIR:STYLE``) turned into pieces."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from models.data.midi import read_midi_folder
from models.data.music21_corpora import MUSIC21_SOURCES, read_music21
from models.data.pieces import Piece
from models.data.pop909 import read_pop909


def read_source(spec: str, limit: int = 0) -> Iterable[Piece]:
    """Pieces of one source spec: ``pop909:DIR``, ``music21[:name,name]`` or ``midi:DIR:STYLE``."""
    kind, _, rest = spec.partition(":")
    if kind == "pop909":
        return read_pop909(rest or "../shared/datasets/pop909", limit)
    if kind == "music21":
        names = [n for n in rest.split(",") if n] or list(MUSIC21_SOURCES)
        unknown = [n for n in names if n not in MUSIC21_SOURCES]
        if unknown:
            raise ValueError(f"unknown music21 source {unknown}: choose from {', '.join(MUSIC21_SOURCES)}")
        return read_music21(names, limit)
    if kind == "midi":
        folder, _, style = rest.rpartition(":")
        if not folder:
            raise ValueError(f"'{spec}': write a MIDI folder as midi:DIR:STYLE (e.g. midi:~/songs:custom)")
        return read_midi_folder(Path(folder).expanduser(), style)
    raise ValueError(f"unknown source '{spec}': use pop909:DIR, music21[:NAMES] or midi:DIR:STYLE")
