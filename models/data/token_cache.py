"""Pieces to token arrays cached as .npz (``TokenCache``) and the train/valid/test splits of a set of sources."""

from __future__ import annotations

import bisect
import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.data.pieces import Piece
from models.data.sources import read_source
from models.transformer.tokenizer import encode_chords, encode_notes
from models.transformer.tokens import METER0, TOKENIZER_VERSION, TRACKS, meter_ticks
from models.types import METERS, STYLES

log = logging.getLogger(__name__)

DEFAULT_CACHE = Path.home() / ".cache" / "continuo"
CHORD = TRACKS.index("chord")
READERS_VERSION = 4  # of what the readers make of a source (3: pads voiced from PAD_RANGE's low end, F3;
# 4: POP909 bars a beat off the music left out, pop909.aligned_bars)


def encode_piece(piece: Piece) -> list[tuple[int, list[tuple[int, list[int]]]]]:
    """Bars as ``(meter token, [(track index, section body tokens), ...])`` for every track of the piece."""
    starts = {name: [n.start_beats for n in notes] for name, notes in piece.tracks.items()}
    has_chords = any(c.symbol != "N" for c in piece.chords)
    bars = []
    for bar_start, meter in piece.bars:
        ticks = meter_ticks(meter)
        end = bar_start + ticks / 12
        sections = []
        if has_chords:
            sections.append((CHORD, encode_chords(piece.chords, bar_start, ticks)))
        for name, notes in piece.tracks.items():
            lo = bisect.bisect_left(starts[name], bar_start - 1e-6)
            hi = bisect.bisect_left(starts[name], end - 1e-6)
            sections.append((TRACKS.index(name), encode_notes(notes[lo:hi], bar_start, ticks)))
        bars.append((METER0 + METERS.index(meter), sorted(sections)))
    return bars


@dataclass
class TokenCache:
    """Every encoded piece of one split in flat arrays (built by ``from_pieces``)."""

    tokens: np.ndarray  # (N,) int16 section bodies back to back
    sections: np.ndarray  # (S, 3) track index, start, stop into tokens
    bars: np.ndarray  # (B, 3) meter token, first section, section count
    pieces: np.ndarray  # (P, 5) style index, first bar, bar count, lowest pitch, highest pitch
    names: list[str]

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, tokens=self.tokens, sections=self.sections, bars=self.bars, pieces=self.pieces,
                            names=np.array(json.dumps(self.names)))

    @classmethod
    def load(cls, path: Path) -> TokenCache:
        with np.load(path) as data:
            return cls(data["tokens"], data["sections"], data["bars"], data["pieces"], json.loads(str(data["names"])))

    @classmethod
    def from_pieces(cls, pieces: Iterable[Piece]) -> TokenCache:
        tokens: list[int] = []
        sections, bars, rows, names = [], [], [], []
        for piece in pieces:
            encoded = encode_piece(piece)
            if not encoded:
                continue
            pitches = [n.pitch for name, notes in piece.tracks.items() if name != "drums" for n in notes] or [60]
            rows.append((STYLES.index(piece.style), len(bars), len(encoded), min(pitches), max(pitches)))
            names.append(piece.name)
            for meter_token, bar_sections in encoded:
                bars.append((meter_token, len(sections), len(bar_sections)))
                for track, body in bar_sections:
                    sections.append((track, len(tokens), len(tokens) + len(body)))
                    tokens += body
        return cls(np.array(tokens, dtype=np.int16), np.array(sections, dtype=np.int64).reshape(-1, 3),
                   np.array(bars, dtype=np.int64).reshape(-1, 3), np.array(rows, dtype=np.int64).reshape(-1, 5), names)

    def __len__(self) -> int:
        return len(self.names)


def cache_key(sources: Sequence[str]) -> str:
    """Cache file stem for a list of source specs, the tokenizer version and the readers' version."""
    text = json.dumps([TOKENIZER_VERSION, READERS_VERSION, sorted(sources)])
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def load_splits(sources: Sequence[str], cache_dir: Path = DEFAULT_CACHE, limit: int = 0) -> dict[str, TokenCache]:
    """``{"train", "valid", "test"}`` token caches; valid is every 10th training piece by name hash."""
    out = {}
    stem = cache_dir / f"tokens-{cache_key(list(sources) + [str(limit)])}"
    paths = {split: stem.with_name(f"{stem.name}-{split}.npz") for split in ("train", "valid", "test")}
    if all(p.exists() for p in paths.values()):
        return {split: TokenCache.load(p) for split, p in paths.items()}
    groups: dict[str, list[Piece]] = {"train": [], "valid": [], "test": []}
    for spec in sources:
        count = 0
        for piece in read_source(spec, limit):
            if piece.is_test:
                split = "test"
            else:
                split = "valid" if int(hashlib.sha1(piece.name.encode()).hexdigest(), 16) % 20 == 7 else "train"
            groups[split].append(piece)
            count += 1
        log.info("read %d pieces from %s", count, spec)
    for split, pieces in groups.items():
        out[split] = TokenCache.from_pieces(pieces)
        out[split].save(paths[split])
        log.info("%s: %d pieces, %d tokens -> %s", split, len(out[split]), len(out[split].tokens), paths[split])
    return out
