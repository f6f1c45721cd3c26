"""The transformer's forward pass for one sequence on the CPU, in NumPy, for decoding.

A decoding step on a CPU is a few dozen tiny operations on vectors of 256 numbers; torch spends
5-10 µs dispatching each one, NumPy well under 1 µs, while the matrix-vector products cost the
same in both. For one sequence this class computes what ``Transformer.forward`` with a KV cache
computes (the same weights, shared with the torch model without a copy; float32 throughout; the
logits agree to about 1e-5, checked by tests/models/test_numpy_decoder.py), about four times
faster per token. Batches of variations keep using torch, whose per-call cost is shared by the
rows.

With ``int8=True`` the four weight matrices of every block are stored as int8 with one scale per
output channel and multiplied by torch's weight-only int8 kernel (bf16 activations, the precision
the model was trained in with autocast); the layer norms feeding those products run in torch too.
Decoding one token reads every weight once, so a quarter of the bytes is most of the gain: about
15-20 % less time per token on an idle machine here (0.64 ms against 0.75-0.8 ms), more when other
programs compete for memory, for logits within a few hundredths of the float32 ones (the held-out
NLL is the same to three digits; see docs/models.md). A pass of many given tokens (``WIDE_ROWS``) multiplies
with the float weights in bf16 instead, packed once for oneDNN: two to three times faster per row there.

Where numba is installed (a dependency), a pass of one token is instead one call to a compiled step
(``fused_step.py``): every block in one function, float32 activations over the same int8 weights,
0.2-0.25 ms a pass against 0.6-0.9 for the calls below; the KV cache is shared with the passes of
several tokens, which stay here. ``compiled=False`` keeps the NumPy step (the tests compare them).

What is left per token in the NumPy step is the products (about 40 % of a pass) and the cost of each call around them,
so the step makes as few calls as it can without changing a bit: the weights are laid out once per
loaded model (``_prepared``), the attention's 1/sqrt(D) rides on the queries' rotation when it is a
power of two, and a pass of one token (95 % of them) writes into buffers whose views were made once
(``_OneToken``): 10-15 % less CPU time per request than before, the same notes.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

log = logging.getLogger(__name__)

LN_EPS = 1e-5  # nn.LayerNorm's default, as the model uses
_GELU_C = math.sqrt(2.0 / math.pi)
_MAX, _SUM = np.maximum.reduce, np.add.reduce  # what ndarray.max / .sum call, without their Python wrappers
_INT8_MM = getattr(torch.ops.aten, "_weight_int8pack_mm", None)  # torch >= 2.3 on the CPU
# The operators the int8 path calls per layer, bound directly: the overload, not the packet that looks it
# up at every call, and torch.layer_norm / gelu without nn.functional's wrappers (the same kernels; a few
# µs less per call, a few dozen calls per token). Of the overload, its own callable ``_op`` where there is one:
# that skips the overload's Python ``__call__``, about 1 µs of the 13 a one-row product takes.
_INT8_MM_OVERLOAD = getattr(_INT8_MM, "default", _INT8_MM)
_INT8_MM_DIRECT = getattr(_INT8_MM_OVERLOAD, "_op", _INT8_MM_OVERLOAD)
_LAYER_NORM = torch.layer_norm
_GELU = torch._C._nn.gelu
_BF16 = torch.bfloat16
_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> {int8: _Prepared}
# A pass of at least WIDE_ROWS tokens (a given run: chords and a melody's bar, a prompt, the context's restart)
# multiplies with the float weights in bf16, packed once for oneDNN, instead of through the int8 kernel: the
# int8 kernel costs about the same per row at any row count, the packed bf16 product about as much at 8 rows,
# half at 30 and a third at 240 (slower than int8 for 1-4 rows, as most passes are). Which product a pass uses
# depends only on its length, so on the request. Where oneDNN or bf16 is missing, every pass uses int8.
WIDE_ROWS = 8
_PACK_ROWS = 8  # the row count the packed layout is chosen for (8-240 rows measured alike with 8)
_MKLDNN = getattr(torch.ops, "mkldnn", None)
_NOT_WIDE = (None, None, None, None)


def _wide_available() -> bool:
    """True when oneDNN can multiply bf16 with packed weights on this CPU (``_linear_pointwise``)."""
    try:
        return (torch.backends.mkldnn.is_available() and bool(_MKLDNN._is_mkldnn_bf16_supported())
                and hasattr(_MKLDNN, "_linear_pointwise") and hasattr(_MKLDNN, "_reorder_linear_weight"))
    except (AttributeError, RuntimeError):
        return False


def _product(x: torch.Tensor, int8_weight: tuple, packed: torch.Tensor | None) -> torch.Tensor:
    """(T, in) bf16 times a block weight, (T, out) bf16: through the int8 kernel, or the ``packed`` bf16 weight."""
    if packed is None:
        return _INT8_MM_DIRECT(x, *int8_weight)
    return _MKLDNN._linear_pointwise(x, packed, None, "none", [], "")


def int8_available() -> bool:
    """True when this torch has the weight-only int8 matrix product the int8 decoder uses."""
    return _INT8_MM is not None


def quantize_int8(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """An (out, in) float weight as int8 with a bf16 scale per output row (symmetric, round to nearest)."""
    scale = weight.detach().float().abs().amax(dim=1).clamp_min(1e-12) / 127.0
    values = torch.round(weight.detach().float() / scale[:, None]).clamp(-127, 127).to(torch.int8)
    return values.contiguous(), scale.to(torch.bfloat16).contiguous()


@dataclass(frozen=True)
class _Prepared:
    """What every decoder of one model reads: its weights laid out for the step, made once per loaded model."""

    embed: np.ndarray  # (V, C); the output head shares it
    layers: list[tuple]  # per block: float32 views, or (layer norm, int8 qkv, proj, layer norm, fc, out) for int8
    ln_f: tuple[np.ndarray, np.ndarray]
    rotation: np.ndarray  # (n_ctx, 2, 1, D/2) complex64: the queries' rotation, then the keys'
    scale: np.float32 | None  # the attention's 1/sqrt(D), or None where the queries' rotation holds it
    average: np.ndarray  # (C, 1) column of 1/C, for ``_layer_norm``
    wide: list[tuple]  # int8 only: per block, the qkv, proj, fc and out weights packed in bf16 (WIDE_ROWS); or []


def _prepared(model: torch.nn.Module, int8: bool) -> _Prepared:
    """The model's ``_Prepared`` weights (int8: the four products of every block quantized), kept as long
    as the model lives."""
    per_model = _PREPARED.setdefault(model, {})
    if int8 not in per_model:
        per_model[int8] = _prepare(model, int8)
    return per_model[int8]


def _block_products(block: torch.nn.Module) -> tuple:
    """A block's four linear layers, in the order every path multiplies them: qkv, proj, fc, out."""
    return block.attn.qkv, block.attn.proj, block.fc, block.out


def _prepare(model: torch.nn.Module, int8: bool) -> _Prepared:
    def array(tensor: torch.Tensor) -> np.ndarray:
        return tensor.detach().numpy()  # a view: no copy of the weights

    config = model.config
    head_dim = config.n_embd // config.n_head
    wide: list[tuple] = []
    if int8:
        layers = [((b.ln1.weight.detach(), b.ln1.bias.detach()), quantize_int8(b.attn.qkv.weight),
                   quantize_int8(b.attn.proj.weight), (b.ln2.weight.detach(), b.ln2.bias.detach()),
                   quantize_int8(b.fc.weight), quantize_int8(b.out.weight)) for b in model.blocks]
        if _wide_available():
            wide = [tuple(_MKLDNN._reorder_linear_weight(w.weight.detach().to(_BF16), _PACK_ROWS)
                          for w in _block_products(b)) for b in model.blocks]
    else:
        layers = [(array(b.ln1.weight), array(b.ln1.bias), array(b.attn.qkv.weight).T, array(b.attn.proj.weight).T,
                   array(b.ln2.weight), array(b.ln2.bias), array(b.fc.weight).T, array(b.out.weight).T)
                  for b in model.blocks]
    # rotary embedding as one complex product on channel pairs (0,1), (2,3)...: (n_ctx, D/2)
    rotation = (array(model.cos) + 1j * array(model.sin)).astype(np.complex64)
    scale = np.float32(1.0 / math.sqrt(head_dim))
    # a power of two (D = 64: 1/8) scales the queries' rotation exactly: one product less per layer, same bits
    exact = math.frexp(float(scale))[0] == 0.5
    both = np.stack([rotation * scale if exact else rotation, rotation], axis=1)[:, :, None, :]
    average = np.full((config.n_embd, 1), 1.0 / config.n_embd, dtype=np.float32)
    return _Prepared(array(model.embed.weight), layers, (array(model.ln_f.weight), array(model.ln_f.bias)),
                     np.ascontiguousarray(both), None if exact else scale, average, wide)


@functools.cache
def _fused_module():
    """``fused_step`` (numba's compiled step), loaded and run once on a tiny model; None where numba is not
    installed or the step cannot be compiled or cached here (a warning says why: the NumPy step runs)."""
    try:
        from models.transformer import fused_step
    except ImportError:
        return None
    try:
        fused_step.warm()
    except Exception as err:  # numba's compile and cache errors have no common base
        log.warning("the compiled decoding step is not available (%s); decoding uses the NumPy step", err)
        return None
    return fused_step


def compiled_step_available() -> bool:
    """True where one-token passes go through the compiled step (numba installed, the step compiled). The first
    call loads the step (about half a second; a few seconds the first time on a machine, when numba compiles
    it): a long-lived process, the daemon's model worker, calls it at start rather than in the first request."""
    return _fused_module() is not None


def _fused(model: torch.nn.Module, int8: bool) -> tuple:
    """``fused_arguments`` of the model, made once per loaded model."""
    per_model = _PREPARED.setdefault(model, {})
    key = ("fused", int8)
    if key not in per_model:
        per_model[key] = fused_arguments(model, int8)
    return per_model[key]


def fused_arguments(model: torch.nn.Module, int8: bool) -> tuple:
    """The weights ``fused_step.step`` reads, in its argument order up to the caches: the embedding, the
    norms, every product's stacked weights and per-row scales (int8: the int8 decoder's own, quantized once in
    ``_prepared``; float32 with scales of one), the rotary angles and 1/sqrt(D)."""
    def f32(tensor: torch.Tensor) -> np.ndarray:
        return tensor.detach().float().numpy()

    def stacked(arrays: list[np.ndarray]) -> np.ndarray:
        return np.ascontiguousarray(np.stack(arrays))

    blocks = model.blocks
    norms = stacked([np.stack([f32(b.ln1.weight), f32(b.ln1.bias), f32(b.ln2.weight), f32(b.ln2.bias)])
                     for b in blocks])
    final = stacked([f32(model.ln_f.weight), f32(model.ln_f.bias)])
    quantized = [layer[1:3] + layer[4:6] for layer in _prepared(model, True).layers] if int8 else []
    products = []
    for index in range(4):  # qkv, proj, fc, out
        if int8:
            products += [stacked([q[index][0].numpy() for q in quantized]),
                         stacked([q[index][1].float().numpy() for q in quantized])]
        else:
            weights = [f32(_block_products(b)[index].weight) for b in blocks]
            products += [stacked(weights), np.ones((len(blocks), weights[0].shape[0]), dtype=np.float32)]
    head_dim = model.config.n_embd // model.config.n_head
    return (f32(model.embed.weight), norms, final, *products, np.ascontiguousarray(f32(model.cos)),
            np.ascontiguousarray(f32(model.sin)), np.float32(1.0 / math.sqrt(head_dim)))


@functools.cache
def _blas():
    """threadpoolctl's view of the BLAS and OpenMP libraries loaded (NumPy's, torch's), made once per process."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """torch, NumPy's BLAS and every OpenMP runtime on one thread inside the block.

    The products of one decoding step take 10-30 µs each: splitting them across threads gains
    nothing here on an idle machine, and when another program keeps a core busy (a DAW's audio
    engine, a training run) the threads wait for each other at every product: 15x slower with one
    core taken. On an idle machine OpenBLAS's second thread still costs about 5 % of the wall time
    and doubles the CPU time of a request.

    It also makes the notes a function of the request alone: how a product is split over threads
    changes its last bits (torch's batched decoding step differs between 1 and 2 threads), so the
    thread count is fixed rather than left to the caller's settings or the environment.
    """
    previous = torch.get_num_threads()
    if previous != 1:
        torch.set_num_threads(1)
    try:
        with _blas().limit(limits=1):
            yield
    finally:
        if previous != 1:
            torch.set_num_threads(previous)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, average: np.ndarray) -> np.ndarray:
    """LayerNorm over the last axis of (T, C); the means are products with ``average``, a (C, 1)
    column of 1/C (NumPy's reductions cost several µs per call, a matrix-vector product about one)."""
    centred = x - x @ average
    var = (centred * centred) @ average
    var += LN_EPS
    centred *= weight / np.sqrt(var, out=var)
    centred += bias
    return centred


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    """0.5 x (1 + tanh(c (x + 0.044715 x³))), in place in one buffer (the same products in the same order)."""
    inner = 0.044715 * x
    inner *= x
    inner *= x
    inner += x
    inner *= _GELU_C
    np.tanh(inner, out=inner)
    inner += 1.0
    out = 0.5 * x
    out *= inner
    return out


class NumpyDecoder:
    """One sequence's decoding state: weights as NumPy views of the torch model, and a KV cache."""

    def __init__(self, model: torch.nn.Module, int8: bool = False, compiled: bool = True) -> None:
        config = model.config
        if not self.supports(model):
            raise ValueError("NumpyDecoder runs a float32 transformer on the CPU in eval mode")
        self.n_head = config.n_head
        self.head_dim = config.n_embd // config.n_head
        self.n_ctx = config.n_ctx
        self.int8 = int8 and int8_available()
        prepared = _prepared(model, self.int8)
        self.embed, self.ln_f, self.layers, self.average = prepared.embed, prepared.ln_f, prepared.layers, prepared.average
        self.rotation, self.scale, self.wide = prepared.rotation, prepared.scale, prepared.wide
        shape = (len(self.layers), self.n_head, self.n_ctx, self.head_dim)
        self.keys = np.zeros(shape, dtype=np.float32)
        self.values = np.zeros(shape, dtype=np.float32)
        self.length = 0
        self._one = _OneToken(self.embed.shape[1], self.n_head, self.head_dim, self.keys, self.values)
        # one-token passes through the compiled step (fused_step.py) where numba is installed, unless
        # ``compiled`` is False (the NumPy step: tests compare the two)
        module = _fused_module() if compiled else None
        self._fused = None if module is None else _fused(model, self.int8)
        self._step = None if module is None else module.step
        self._every_row = np.arange(self.embed.shape[0], dtype=np.int64)

    @staticmethod
    def supports(model: torch.nn.Module) -> bool:
        """True for a float32 transformer on the CPU, in inference mode (no dropout)."""
        weight = getattr(model, "embed", None)
        return (getattr(model.config, "kind", "") == "transformer" and not model.training and weight is not None
                and weight.weight.device.type == "cpu" and weight.weight.dtype == torch.float32)

    def reset(self) -> None:
        self.length = 0

    def forward(self, tokens: Sequence[int], rows: np.ndarray | None = None) -> np.ndarray:
        """Append ``tokens`` to the sequence; returns the logits ``(V,)`` after the last one, or only
        those of the token ids ``rows`` (the legal ones: the output head is the largest matrix read
        per token after the blocks, so it reads only the rows it needs)."""
        count = len(tokens)
        start, end = self.length, self.length + count
        if end > self.n_ctx:
            raise ValueError(f"sequence of {end} tokens exceeds the context of {self.n_ctx}")
        return self._forward_one(tokens[0], rows) if count == 1 else self._forward_many(tokens, rows)

    def _forward_many(self, tokens: Sequence[int], rows: np.ndarray | None) -> np.ndarray:
        """``forward`` for any number of tokens. With int8 weights, products of ``WIDE_ROWS`` rows or more
        go through the packed bf16 weights, and the last block computes keys and values for every token (the
        cache needs them) but the rest of the block for the last token alone, whose logits are all that is read."""
        count = len(tokens)
        start, end = self.length, self.length + count
        T, C = count, self.embed.shape[1]
        H, D = self.n_head, self.head_dim
        rotation = self.rotation[start:end]  # (T, 2, 1, D/2): queries then keys
        scale = self.scale  # None: folded into the queries' rotation
        causal = None
        if count > 1:  # token i sees the cache and the new tokens up to itself
            causal = np.triu(np.full((count, end), -np.inf, dtype=np.float32), k=start + 1)
        x = self.embed[np.asarray(tokens)]  # (T, C), our own copy: the residual stream, added to in place
        residual = torch.from_numpy(x)  # the same memory, for the int8 path's torch operators
        last_layer = len(self.layers) - 1
        for layer, weights in enumerate(self.layers):
            keys, values = self.keys[layer], self.values[layer]  # (H, n_ctx, D)
            if self.int8:
                ln1, qkv_w, proj_w, ln2, fc_w, out_w = weights
                wide = self.wide[layer] if T >= WIDE_ROWS and self.wide else _NOT_WIDE
                qkv = _product(_LAYER_NORM(residual, (C,), *ln1, LN_EPS).to(_BF16), qkv_w, wide[0]).float().numpy()
            else:
                ln1_w, ln1_b, qkv_w, proj_w, ln2_w, ln2_b, fc_w, out_w = weights
                qkv = _layer_norm(x, ln1_w, ln1_b, self.average) @ qkv_w
            qkv = qkv.reshape(T, 3, H, D)
            # queries and keys rotated together: (T, 2, H, D)
            qk = (np.ascontiguousarray(qkv[:, :2]).view(np.complex64) * rotation).view(np.float32)
            keys[:, start:end] = qk[:, 1].transpose(1, 0, 2)
            values[:, start:end] = qkv[:, 2].transpose(1, 0, 2)
            if layer == last_layer and T > 1 and self.int8:  # from here on only the last token's row is read
                # (int8 only: the float32 path, the drum model's, keeps every bit it had)
                qk, x, causal, T = qk[-1:], x[-1:], None, 1
                residual = torch.from_numpy(x)
            scores = qk[:, 0].transpose(1, 0, 2) @ keys[:, :end].transpose(0, 2, 1)  # (H, T, S)
            if scale is not None:
                scores *= scale
            if causal is not None:
                scores += causal
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            attended = (scores @ values[:, :end]).transpose(1, 0, 2).reshape(T, C)  # (T, C)
            if self.int8:  # the products in bf16, added to the float32 residual stream
                wide = self.wide[layer] if T >= WIDE_ROWS and self.wide else _NOT_WIDE  # T may be 1 now
                residual += _product(torch.from_numpy(attended).to(_BF16), proj_w, wide[1])
                hidden = _GELU(_product(_LAYER_NORM(residual, (C,), *ln2, LN_EPS).to(_BF16), fc_w, wide[2]),
                               approximate="tanh")
                residual += _product(hidden, out_w, wide[3])
            else:
                x += attended @ proj_w
                x += _gelu_tanh(_layer_norm(x, ln2_w, ln2_b, self.average) @ fc_w) @ out_w
        self.length = end
        last = _layer_norm(x[-1:], *self.ln_f, self.average)[0]  # (C,)
        return last @ self.embed.T if rows is None else self.embed[rows] @ last

    def _forward_one(self, token: int, rows: np.ndarray | None) -> np.ndarray:
        """``forward`` for one token (most passes): the same operations on the same values, written into
        buffers whose views were made once (``_OneToken``), about half the NumPy calls per layer."""
        if self._fused is not None:
            rows = self._every_row if rows is None else rows.astype(np.int64, copy=False)
            logits = np.empty(len(rows), dtype=np.float32)
            self._step(token, self.length, *self._fused, self.keys, self.values, rows, logits)
            self.length += 1
            return logits
        one, start = self._one, self.length
        end = start + 1
        C = one.x.shape[1]
        scale = self.scale
        rotation = self.rotation[start]  # (2, 1, D/2)
        one.x[0] = self.embed[token]
        x, residual = one.x, one.residual
        for layer, weights in enumerate(self.layers):
            if self.int8:
                ln1, qkv_w, proj_w, ln2, fc_w, out_w = weights
                one.qkv_t.copy_(_INT8_MM_DIRECT(one.row_bf16.copy_(_LAYER_NORM(residual, (C,), *ln1, LN_EPS)), *qkv_w))
            else:
                ln1_w, ln1_b, qkv_w, proj_w, ln2_w, ln2_b, fc_w, out_w = weights
                np.matmul(_layer_norm(x, ln1_w, ln1_b, self.average), qkv_w, out=one.qkv)
            np.multiply(one.qk_complex, rotation, out=one.rotated)  # queries and keys: (1, 2, H, D/2)
            self.keys[layer, :, start] = one.k
            self.values[layer, :, start] = one.v
            scores = one.q @ one.keys_t[layer][:, :, :end]  # (H, 1, S)
            if scale is not None:
                scores *= scale
            scores -= _MAX(scores, axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= _SUM(scores, axis=-1, keepdims=True)
            np.matmul(scores, self.values[layer, :, :end], out=one.attended_heads)  # (H, 1, D) into (1, C)
            if self.int8:
                residual += _INT8_MM_DIRECT(one.row_bf16.copy_(one.attended_t), *proj_w)
                _GELU(_INT8_MM_DIRECT(one.row_bf16.copy_(_LAYER_NORM(residual, (C,), *ln2, LN_EPS)), *fc_w),
                      approximate="tanh", out=one.hidden)
                residual += _INT8_MM_DIRECT(one.hidden, *out_w)
            else:
                x += one.attended @ proj_w
                x += _gelu_tanh(_layer_norm(x, ln2_w, ln2_b, self.average) @ fc_w) @ out_w
        self.length = end
        last = _layer_norm(x, *self.ln_f, self.average)[0]  # (C,)
        return last @ self.embed.T if rows is None else self.embed[rows] @ last


class _OneToken:
    """Buffers for one token's step and views of them made once: the residual stream, the qkv product,
    the rotated queries and keys, the attention's output (NumPy and torch views of the same memory), and
    the bf16 row the int8 products read."""

    def __init__(self, C: int, H: int, D: int, keys: np.ndarray, values: np.ndarray) -> None:
        self.x = np.zeros((1, C), dtype=np.float32)
        self.residual = torch.from_numpy(self.x)
        self.qkv = np.zeros((1, 3 * C), dtype=np.float32)
        self.qkv_t = torch.from_numpy(self.qkv)
        split = self.qkv.reshape(1, 3, H, D)
        self.qk_complex = split[:, :2].view(np.complex64)  # (1, 2, H, D/2); contiguous: a view
        self.v = split[0, 2]  # (H, D)
        self.rotated = np.zeros((1, 2, H, D // 2), dtype=np.complex64)
        rotated = self.rotated.view(np.float32)  # (1, 2, H, D)
        self.q, self.k = rotated[0, 0][:, None, :], rotated[0, 1]  # (H, 1, D), (H, D)
        self.keys_t = [layer.transpose(0, 2, 1) for layer in keys]  # (H, D, n_ctx) per layer
        self.attended = np.zeros((1, C), dtype=np.float32)
        self.attended_t = torch.from_numpy(self.attended)
        self.attended_heads = self.attended.reshape(H, 1, D)
        # the int8 products' bf16 input, rounded by copy_ as .to rounds (without allocating: 2 µs less a call)
        self.row_bf16 = torch.zeros((1, C), dtype=_BF16)
        self.hidden = torch.zeros((1, 4 * C), dtype=_BF16)  # the GELU's output
