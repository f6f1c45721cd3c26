"""Training data: token caches, the shared held-out split, training windows with roles and transposition."""

from __future__ import annotations

import numpy as np

from models.data.pieces import Piece, is_test_song
from models.data.token_cache import CHORD, TokenCache
from models.data.windows import Roles, WindowSampler, assemble, random_roles
from models.transformer.tokens import BAR, BOS, CTRACK0, PITCH0, ROOT0, STYLE0, TRACKS, TTRACK0, VOCAB
from models.types import STYLES, ChordSpan, Note


def piece_of(name: str = "song", style: str = "pop", bars: int = 6) -> Piece:
    tracks = {"bass": [Note(36 + (b % 3), b * 4.0, 2.0, 80) for b in range(bars)],
              "keys": [Note(p, b * 4.0 + 1, 1.0, 90) for b in range(bars) for p in (60, 64, 67)],
              "melody": [Note(72 + (b % 5), b * 4.0 + 0.5, 0.5, 100) for b in range(bars)]}
    chords = [ChordSpan("C" if b % 2 == 0 else "G7", b * 4.0, 4.0) for b in range(bars)]
    return Piece(name, style, [(b * 4.0, (4, 4)) for b in range(bars)], tracks, chords)


def test_split_is_the_shared_rule():
    for name in ("001", "002", "017", "bach/bwv66.6-0"):
        assert piece_of(name).is_test == is_test_song(name.rsplit("/", 1)[-1])


def test_cache_round_trip(tmp_path):
    cache = TokenCache.from_pieces([piece_of("a"), piece_of("b", "chorale")])
    cache.save(tmp_path / "c.npz")
    again = TokenCache.load(tmp_path / "c.npz")
    assert again.names == ["a", "b"] and np.array_equal(again.tokens, cache.tokens)
    assert again.pieces[1, 0] == STYLES.index("chorale")


def test_window_layout_controls_before_targets():
    cache = TokenCache.from_pieces([piece_of()])
    roles = Roles(controls=(CHORD, TRACKS.index("melody")), targets=(TRACKS.index("bass"), TRACKS.index("keys")))
    window = assemble(cache, 0, 1, roles, 0, 200)
    assert list(window[:2]) == [BOS, STYLE0] and window[2] == BAR
    names = [VOCAB.names[t] for t in window if CTRACK0 <= t < TTRACK0 + len(TRACKS)]
    assert names[:4] == ["C_chord", "C_melody", "T_keys", "T_bass"] or names[:4] == ["C_chord", "C_melody", "T_bass", "T_keys"]


def test_transposition_moves_pitches_and_roots():
    cache = TokenCache.from_pieces([piece_of()])
    roles = Roles(controls=(CHORD,), targets=(TRACKS.index("bass"),))
    plain, up = assemble(cache, 0, 0, roles, 0, 100), assemble(cache, 0, 0, roles, 3, 100)
    pitch = (plain >= PITCH0) & (plain < PITCH0 + 128)
    assert np.array_equal(up[pitch], plain[pitch] + 3)
    root = (plain >= ROOT0) & (plain < ROOT0 + 12)
    assert np.array_equal((up[root] - ROOT0), (plain[root] - ROOT0 + 3) % 12)


def test_random_roles_always_write_something():
    rng = np.random.default_rng(0)
    for _ in range(200):
        roles = random_roles([CHORD, 1, 3, 4], rng)
        assert roles.targets and not set(roles.targets) & set(roles.controls)


def test_sampler_windows_are_legal_ids():
    sampler = WindowSampler(TokenCache.from_pieces([piece_of("a"), piece_of("b", bars=12)]), 128, seed=1)
    batch = sampler.batch(4)
    assert batch.shape == (4, 129) and batch.min() >= 0 and batch.max() < len(VOCAB)
