"""Held-out likelihood: NLL per note of the transformer/LSTM over whole-bar windows, pitch NLL of the Markov chain."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from models.data.pieces import Piece
from models.data.token_cache import TokenCache
from models.markov.parts import pitch_weights
from models.markov.table import MarkovTable
from models.music.chords import chord_at
from models.music.meter import beats_per_bar
from models.transformer.tokens import BAR, BOS, CTRACK0, KIND, STYLE0, TRACKS, TTRACK0

EVAL_CONTROLS = ("chord",)
# Scored tracks: the monophonic lines every model can score (keys and arp are left out, so that a
# window of the 512-token context holds several bars of what is scored).
EVAL_TARGETS = ("melody", "counter", "bass", "soprano", "alto", "tenor", "bassvoice")
PITCH_PARTS = ("melody", "counter", "bass")  # monophonic parts every model can score
FLOOR = 0.01  # the Markov chain's pitch distribution is mixed with 1 % uniform so unseen pitches stay finite


@dataclass
class NLLTotals:
    """Summed negative log-likelihoods (nats) and the notes they cover."""

    full: float = 0.0
    notes: int = 0
    pitch: float = 0.0
    pitch_notes: int = 0
    per_part: dict[str, list[float]] = field(default_factory=dict)

    def add_pitch(self, part: str, nll: float) -> None:
        self.pitch += nll
        self.pitch_notes += 1
        self.per_part.setdefault(part, []).append(nll)

    def summary(self) -> dict[str, float]:
        out = {"nll_per_note": self.full / self.notes if self.notes else math.nan,
               "pitch_nll_per_note": self.pitch / self.pitch_notes if self.pitch_notes else math.nan,
               "notes": float(self.notes),
               "pitch_notes": float(self.pitch_notes)}
        out.update({f"pitch_nll_{p}": float(np.mean(v)) for p, v in self.per_part.items()})
        return out


def eval_windows(cache: TokenCache, piece: int, max_tokens: int) -> list[tuple[list[int], list[str | None], list[bool]]]:
    """Consecutive windows of whole bars: tokens, the target track each token belongs to (None for
    controls and structure) and whether the token is a PITCH of a target track."""
    style, bar0, count = cache.pieces[piece, :3]
    present = {int(t) for b in range(bar0, bar0 + count) for t in cache.sections[cache.bars[b, 1]:cache.bars[b, 1] + cache.bars[b, 2], 0]}
    controls = [TRACKS.index(t) for t in EVAL_CONTROLS if TRACKS.index(t) in present]
    targets = [TRACKS.index(t) for t in EVAL_TARGETS if TRACKS.index(t) in present]
    windows: list[tuple[list[int], list[str | None], list[bool]]] = []
    current: tuple[list[int], list[str | None], list[bool]] = ([BOS, STYLE0 + style], [None, None], [False, False])
    for bar in range(bar0, bar0 + count):
        meter, sec0, nsec = cache.bars[bar]
        found = {int(cache.sections[s, 0]): s for s in range(sec0, sec0 + nsec)}
        tokens, owners = [BAR, int(meter)], [None, None]
        for first, tracks, role in ((CTRACK0, controls, "c"), (TTRACK0, sorted(targets), "t")):
            for track in tracks:
                if track not in found:
                    continue
                _, start, stop = cache.sections[found[track]]
                body = [int(t) for t in cache.tokens[start:stop]]
                tokens += [first + track] + body
                owners += [None] + [TRACKS[track] if role == "t" else None] * len(body)
        if len(current[0]) + len(tokens) > max_tokens and len(current[0]) > 2:
            windows.append(current)
            current = ([BOS, STYLE0 + style], [None, None], [False, False])
        if len(current[0]) + len(tokens) > max_tokens:
            continue  # a single bar longer than the context is skipped
        current[0].extend(tokens)
        current[1].extend(owners)
        current[2].extend(KIND[t] == "PITCH" for t in tokens)
    if len(current[0]) > 2:
        windows.append(current)
    return windows


@torch.no_grad()
def model_nll(model: torch.nn.Module, cache: TokenCache, totals: NLLTotals | None = None) -> NLLTotals:
    """Full NLL per target note (every token of the target sections, including the one closing each
    section) and pitch NLL of the monophonic parts, over every piece of ``cache``."""
    totals = totals or NLLTotals()
    n_ctx = model.config.n_ctx if model.config.kind == "transformer" else 2048  # type: ignore[union-attr]
    for piece in range(len(cache)):
        for tokens, owners, is_pitch in eval_windows(cache, piece, n_ctx):
            idx = torch.tensor([tokens])
            logits = model(idx[:, :-1]).float()[0]  # (T-1, V)
            nll = F.cross_entropy(logits, idx[0, 1:], reduction="none").numpy()
            for i in range(1, len(tokens)):
                owner = owners[i] or owners[i - 1]  # a target token, or the token closing a target section
                if owner is None:
                    continue
                totals.full += float(nll[i - 1])
                if is_pitch[i] and owners[i] is not None:
                    totals.notes += 1
                    if owners[i] in PITCH_PARTS:
                        totals.add_pitch(owners[i], float(nll[i - 1]))
    return totals


def markov_pitch_nll(table: MarkovTable, pieces: Sequence[Piece]) -> NLLTotals:
    """Pitch NLL per note of the Markov chain's pitch distribution (as its sampler builds it)."""
    totals = NLLTotals()
    for piece in pieces:
        starts = [b for b, _ in piece.bars]
        end = piece.bars[-1][0] + beats_per_bar(piece.bars[-1][1]) if piece.bars else 0
        for part in PITCH_PARTS:
            notes = [n for n in piece.tracks.get(part, []) if starts and starts[0] - 1e-6 <= n.start_beats < end]
            history: list[int] = []
            previous = None
            previous_chord = None
            for note in notes:
                chord = chord_at(piece.chords, note.start_beats)
                if chord is None or chord.is_rest:
                    history, previous = [], None
                    totals.add_pitch(part, -math.log(1 / 128))
                    continue
                low, high = table.ranges[part]
                candidates = np.arange(128)
                weights = pitch_weights(table, part, chord, history, previous, candidates, chord != previous_chord)
                weights = np.where((candidates >= low) & (candidates <= high), weights, 0.0)
                probs = (1 - FLOOR) * weights / weights.sum() + FLOOR / 128
                totals.add_pitch(part, -math.log(probs[note.pitch]))
                history = (history + [(note.pitch - chord.root) % 12])[-2:]
                previous, previous_chord = note.pitch, chord
    return totals
