"""Training windows from a token cache: which tracks are given or written (roles), transposition, batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.data.token_cache import CHORD, TokenCache
from models.transformer.tokens import BAR, BASS0, BOS, CTRACK0, PAD, PITCH0, ROOT0, STYLE0, TRACKS, TTRACK0

DRUMS = TRACKS.index("drums")


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
