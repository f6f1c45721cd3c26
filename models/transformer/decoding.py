"""Run a token plan through a model: forced tokens fed, target sections sampled under the grammar, KV cache, batches."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from models.sampling import Sampling, sample_token
from models.transformer.grammar import Section, State, advance, harmony_bias, key_bias, legal_tokens, meter_bias, start
from models.transformer.numpy_decoder import NumpyDecoder, one_thread
from models.transformer.tokens import BAR, PAD, PITCH0, VOCAB
from models.transformer.voice_leading import VOICES, VoiceTracker

log = logging.getLogger(__name__)

Plan = list[int | Section]  # forced tokens and target sections, in order; a Section follows its track token


class _Row:
    """One sequence of a batch: its plan, the tokens written so far and the grammar state."""

    def __init__(self, plan: Plan) -> None:
        self.plan, self.index = plan, 0
        self.tokens: list[int] = []
        self.state: State | None = None
        self.bars_done = 0
        # four-voice textures follow the voices so parallel fifths/octaves can be pushed down
        self.voices = VoiceTracker() if any(isinstance(i, Section) and i.track in VOICES for i in plan) else None

    @property
    def finished(self) -> bool:
        return self.index >= len(self.plan) and self.state is None

    def forced_run(self) -> list[int]:
        """Forced tokens from the current point up to the next section (empty while sampling)."""
        if self.state is not None:
            return []
        run = []
        for item in self.plan[self.index:]:
            if isinstance(item, Section):
                break
            run.append(item)
        return run

    def take_forced(self, count: int) -> list[int]:
        run = self.forced_run()[:count]
        self.index += len(run)
        self._enter_section()
        return run

    def _enter_section(self) -> None:
        if self.state is None and self.index < len(self.plan) and isinstance(self.plan[self.index], Section):
            self.state = start(self.plan[self.index])  # type: ignore[arg-type]
            self.index += 1

    def take_sampled(self, token: int) -> None:
        assert self.state is not None
        if token == self.state.section.end:
            self.state = None
            if self.index < len(self.plan) and self.plan[self.index] == token:
                self.index += 1  # the closing token is the plan's next forced token
            self._enter_section()
        else:
            self.state = advance(self.state, token)


def _pitch_bias(row: _Row, harmony: float) -> np.ndarray | None:
    """Log-weights ``(128,)`` for the row's next pitch: non-chord tones pushed down
    (``harmony_bias``) and, in four-voice textures, parallel fifths and octaves; None when neither
    applies. ``harmony`` 0 turns both off."""
    state = row.state
    if harmony <= 0 or state is None:
        return None
    bias = harmony_bias(state, harmony)
    if row.voices is None or state.section.track not in VOICES or state.stage not in ("dur", "pitch"):
        return bias
    leading = row.voices.bias(state.section.track, state.pos)
    if leading is None or bias is None:
        return bias if leading is None else leading
    return bias + leading


def _window(row: _Row, keep: int) -> list[int]:
    """BOS STYLE plus the last whole bars of ``row`` that fit in ``keep`` tokens."""
    head, body = row.tokens[:2], row.tokens[2:]
    bars = [i for i, t in enumerate(body) if t == BAR]
    cut = next((i for i in bars if len(body) - i <= keep), bars[-1] if bars else 0)
    return head + body[cut:]


def _rebuild(model: nn.Module, rows: list[_Row], keep: int) -> tuple[object, torch.Tensor]:
    """Restart the cache from BOS STYLE plus the last whole bars that fit in ``keep`` tokens (left-padded)."""
    windows = [_window(row, keep) for row in rows]
    width = max(len(w) for w in windows)
    device = model.embed.weight.device  # type: ignore[union-attr]
    idx = torch.tensor([[PAD] * (width - len(w)) + w for w in windows], device=device)
    cache = model.new_cache(len(rows))  # type: ignore[operator]
    mask = torch.zeros(len(rows), model.config.n_ctx, dtype=torch.bool, device=device)  # type: ignore[union-attr]
    for r, w in enumerate(windows):
        mask[r, width - len(w):] = True
    mask[:, width:] = True
    cache.key_mask = mask if any(len(w) < width for w in windows) else None
    logits = model(idx, cache)[:, -1]  # (B, V)
    return cache, logits


def run_plans(model: nn.Module, plans: Sequence[Plan], sampling: Sampling, seed: int,
              on_bar: Callable[[float], None] | None = None, int8: bool = True, harmony: float = 1.0) -> list[list[int]]:
    """Decode every plan; returns each row's full token list.

    Row ``r`` draws from its own generator seeded ``seed + r``, so its tokens never depend on the
    other rows: variation ``r`` of a request is the single result of seed ``seed + r``. On the CPU
    each row is decoded alone by the NumPy decoder (a batch of 3 rows on one thread took as long as
    3 single rows), so it is also the same computation; elsewhere (CUDA, the LSTM) the rows are one
    batch, whose products may round differently from a batch of one.

    ``harmony``: strength of ``grammar.harmony_bias`` on pitches (0: the network's own distribution).

    ``int8``: one sequence on the CPU decodes with int8 weights (``NumpyDecoder``); False keeps float32.
    On the CPU, torch and BLAS run on one thread meanwhile (``one_thread``: a batch of 3 variations
    took 8.7 s on two threads with the other core busy, 0.94 s on one).

    ``on_bar(bars)`` is called whenever the slowest row has finished another bar (a fraction of a bar
    per row when rows are decoded one after another); what it raises propagates.
    """
    on_cpu = model.embed.weight.device.type == "cpu"  # type: ignore[union-attr]
    seeds = [seed + r for r in range(len(plans))]
    with one_thread() if on_cpu else contextlib.nullcontext():
        if not (on_cpu and NumpyDecoder.supports(model)):
            return _run_plans(model, plans, sampling, seeds, on_bar, harmony)
        return [_decode_one(model, plan, sampling, seeds[r], _row_progress(on_bar, plan, r, len(plans)), int8, harmony)
                for r, plan in enumerate(plans)]


def _row_progress(on_bar: Callable[[float], None] | None, plan: Plan, row: int,
                  rows: int) -> Callable[[float], None] | None:
    """``on_bar`` for row ``row`` of ``rows`` decoded one after another: bars of the whole request."""
    if on_bar is None or rows == 1:
        return on_bar
    count = sum(1 for item in plan if isinstance(item, int) and item == BAR)
    return lambda bars: on_bar((row * count + bars) / rows)


def _sample(row: _Row, logits: np.ndarray, mask: np.ndarray, rng: np.random.Generator, sampling: Sampling,
            harmony: float) -> int:
    """The row's next token: the grammar's ``mask`` over ``logits`` ``(V,)`` with the pitch, meter and key biases."""
    assert row.state is not None
    bias = _pitch_bias(row, harmony)
    if bias is not None:
        logits = logits.copy()
        logits[PITCH0:PITCH0 + 128] += bias
    in_meter = meter_bias(row.state, logits, mask)
    if in_meter is not None:
        logits = in_meter
    in_key = key_bias(row.state)
    if in_key is not None:
        first, weights = in_key
        logits = logits.copy()
        logits[first:first + len(weights)] += weights
    return sample_token(logits, mask, rng, sampling)


@torch.inference_mode()
def _decode_one(model: nn.Module, plan: Plan, sampling: Sampling, seed: int, on_bar: Callable[[float], None] | None,
                int8: bool, harmony: float) -> list[int]:
    """One plan on the CPU with the NumPy decoder: a forward pass only where a token is to be drawn.

    Forced tokens, and tokens the grammar leaves no choice about, wait and go through the network
    together with the drawn token before them (one pass for the lot), and the pass computes the
    logits of the legal tokens only (``NumpyDecoder.forward``'s ``rows``)."""
    rng = np.random.default_rng(seed)
    row = _Row(list(plan))
    decoder = NumpyDecoder(model, int8=int8)
    n_ctx = model.config.n_ctx  # type: ignore[union-attr]
    logits = np.empty(len(VOCAB), dtype=np.float32)
    pending: list[int] = []
    reported = 0
    while True:
        mask = None
        while not row.finished:  # gather what needs no draw
            if row.state is None:
                pending += row.take_forced(len(row.forced_run()))
                continue
            mask = legal_tokens(row.state)
            legal = np.flatnonzero(mask)
            if len(legal) > 1:
                break
            row.take_sampled(int(legal[0]))
            pending.append(int(legal[0]))
            mask = None
        row.tokens += pending
        row.bars_done += pending.count(BAR)
        if row.voices is not None:
            row.voices.feed(pending)
        if on_bar is not None and row.bars_done > reported:
            reported = row.bars_done
            on_bar(reported)
        if mask is None:  # the plan is done: the last tokens' logits are never used
            return row.tokens
        logits.fill(-np.inf)
        if decoder.length + len(pending) > n_ctx:
            decoder.reset()
            logits[legal] = decoder.forward(_window(row, n_ctx // 2), legal)
        else:
            logits[legal] = decoder.forward(pending, legal)
        token = _sample(row, logits, mask, rng, sampling, harmony)
        row.take_sampled(token)
        pending = [token]


@torch.inference_mode()
def _run_plans(model: nn.Module, plans: Sequence[Plan], sampling: Sampling, seeds: Sequence[int],
               on_bar: Callable[[float], None] | None, harmony: float) -> list[list[int]]:
    """Every plan as one batch through the torch model (CUDA, the LSTM; the CPU uses ``_decode_one``)."""
    rngs = [np.random.default_rng(seed) for seed in seeds]  # one generator per row
    rows = [_Row(list(p)) for p in plans]
    device = model.embed.weight.device  # type: ignore[union-attr]
    n_ctx = getattr(model.config, "n_ctx", 1 << 30) if model.config.kind == "transformer" else 1 << 30  # type: ignore[union-attr]
    cache = model.new_cache(len(rows))  # type: ignore[operator]
    logits: np.ndarray | None = None
    reported = 0
    while not all(r.finished for r in rows):
        if len(rows) == 1 and rows[0].forced_run():
            step_tokens = [rows[0].take_forced(max(1, n_ctx - cache.length))]
        else:
            step_tokens = []
            for r, row in enumerate(rows):
                if row.finished:
                    step_tokens.append([PAD])
                elif row.state is None:
                    step_tokens.append(row.take_forced(1))
                else:
                    assert logits is not None
                    token = _sample(row, logits[r], legal_tokens(row.state), rngs[r], sampling, harmony)
                    row.take_sampled(token)
                    step_tokens.append([token])
        for row, tokens in zip(rows, step_tokens):
            if tokens != [PAD]:
                row.tokens += tokens
                row.bars_done += tokens.count(BAR)
                if row.voices is not None:
                    row.voices.feed(tokens)
        width = len(step_tokens[0])
        if cache.length + width > n_ctx:
            cache, last = _rebuild(model, rows, n_ctx // 2)
            logits = last.float().numpy()
        else:
            idx = torch.tensor(step_tokens, device=device)  # (B, T)
            logits = model(idx, cache)[:, -1].float().numpy()  # (B, V)
        bars = min(r.bars_done for r in rows)
        if on_bar is not None and bars > reported:
            reported = bars
            on_bar(bars)
    return [r.tokens for r in rows]
