"""Pieces to token arrays (cached as .npz), the held-out split, and training windows with roles and transposition."""

from __future__ import annotations

import bisect
import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.corpora import Piece
from models.tokenizer import (
    BAR,
    BASS0,
    BOS,
    CTRACK0,
    METER0,
    METERS,
    PAD,
    PITCH0,
    ROOT0,
    STYLE0,
    STYLES,
    TOKENIZER_VERSION,
    TRACKS,
    TTRACK0,
    encode_chords,
    encode_notes,
    meter_ticks,
)

log = logging.getLogger(__name__)

DEFAULT_CACHE = Path.home() / ".cache" / "continuo"
CHORD, DRUMS = TRACKS.index("chord"), TRACKS.index("drums")


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
    """Every encoded piece of one split in flat arrays (see ``build_cache``)."""

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
    """Cache file stem for a list of source specs and the tokenizer version."""
    text = json.dumps([TOKENIZER_VERSION, 2, sorted(sources)])
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def read_source(spec: str, limit: int = 0) -> Iterable[Piece]:
    """Pieces of one source spec: ``pop909:DIR``, ``music21[:name,name]`` or ``midi:DIR:STYLE``."""
    from models.corpora import (
        MUSIC21_SOURCES,
        read_midi_folder,
        read_music21,
        read_pop909,
    )

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


@dataclass(frozen=True)
class Roles:
    """Which tracks are given (controls) and which are written (targets); others are left out."""

    controls: tuple[int, ...]
    targets: tuple[int, ...]


def transpose_body(body: np.ndarray, track: int, shift: int) -> np.ndarray:
    """Shift pitches (not drums) and chord roots/basses of a section body by ``shift`` semitones."""
    if shift == 0 or track == DRUMS:
        return body
    body = body.astype(np.int64)
    if track == CHORD:
        for first in (ROOT0, BASS0):
            mask = (body >= first) & (body < first + 12)
            body[mask] = first + (body[mask] - first + shift) % 12
    else:
        mask = (body >= PITCH0) & (body < PITCH0 + 128)
        body[mask] = np.clip(body[mask] + shift, PITCH0, PITCH0 + 127)
    return body


def assemble(cache: TokenCache, piece: int, first_bar: int, roles: Roles, shift: int, max_tokens: int) -> np.ndarray:
    """Token window: BOS STYLE, then per bar BAR METER, control sections, target sections."""
    style, bar0, count = cache.pieces[piece, :3]
    out = [np.array([BOS, STYLE0 + style])]
    length = 2
    for bar in range(bar0 + first_bar, bar0 + count):
        meter, sec0, nsec = cache.bars[bar]
        found = {int(cache.sections[s, 0]): s for s in range(sec0, sec0 + nsec)}
        parts = [np.array([BAR, meter])]
        for role_first, tracks in ((CTRACK0, roles.controls), (TTRACK0, roles.targets)):
            for track in tracks:
                if track in found:
                    _, start, stop = cache.sections[found[track]]
                    parts.append(np.array([role_first + track]))
                    parts.append(transpose_body(cache.tokens[start:stop], track, shift))
        bar_tokens = np.concatenate(parts)
        out.append(bar_tokens)
        length += len(bar_tokens)
        if length >= max_tokens:
            break
    tokens = np.concatenate(out)[:max_tokens]
    return np.pad(tokens, (0, max_tokens - len(tokens)), constant_values=PAD)


def present_tracks(cache: TokenCache, piece: int) -> list[int]:
    """Track indices that have sections in the piece's first bar."""
    _, sec0, nsec = cache.bars[cache.pieces[piece, 1]]
    return sorted(int(t) for t in cache.sections[sec0:sec0 + nsec, 0])


def random_roles(tracks: Sequence[int], rng: np.random.Generator) -> Roles:
    """Chords are given 75 % of the time; every other track is left out, given or written."""
    controls, targets = [], []
    for track in tracks:
        if track == CHORD:
            (controls if rng.random() < 0.75 else targets).append(track)
            continue
        draw = rng.random()
        if draw < 0.45:
            targets.append(track)
        elif draw < 0.75:
            controls.append(track)
    if not targets:
        movable = [t for t in controls if t != CHORD] or controls
        pick = movable[rng.integers(len(movable))]
        controls.remove(pick)
        targets.append(pick)
    return Roles(tuple(controls), tuple(targets))


class WindowSampler:
    """Random training windows: a piece (weighted by bars), a start bar, roles and a transposition."""

    def __init__(self, cache: TokenCache, seq_len: int, seed: int = 0, transpose: bool = True) -> None:
        self.cache, self.seq_len, self.transpose = cache, seq_len, transpose
        self.rng = np.random.default_rng(seed)
        bars = cache.pieces[:, 2].astype(float)
        self.weights = bars / bars.sum()

    def window(self) -> np.ndarray:
        piece = int(self.rng.choice(len(self.weights), p=self.weights))
        count = int(self.cache.pieces[piece, 2])
        first = 0 if self.rng.random() < 0.1 else int(self.rng.integers(count))
        roles = random_roles(present_tracks(self.cache, piece), self.rng)
        shift = 0
        if self.transpose:
            low, high = int(self.cache.pieces[piece, 3]), int(self.cache.pieces[piece, 4])
            shift = int(self.rng.integers(max(-5, -low), min(6, 127 - high) + 1))
        return assemble(self.cache, piece, first, roles, shift, self.seq_len + 1)

    def batch(self, size: int) -> np.ndarray:
        """``(size, seq_len + 1)`` int64 windows (inputs are ``[:, :-1]``, targets ``[:, 1:]``)."""
        return np.stack([self.window() for _ in range(size)]).astype(np.int64)
