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
NLL is the same to three digits; see docs/models.md).
"""

from __future__ import annotations

import contextlib
import functools
import math
import weakref
from collections.abc import Iterator, Sequence

import numpy as np
import torch

LN_EPS = 1e-5  # nn.LayerNorm's default, as the model uses
_GELU_C = math.sqrt(2.0 / math.pi)
_INT8_MM = getattr(torch.ops.aten, "_weight_int8pack_mm", None)  # torch >= 2.3 on the CPU
# The operators the int8 path calls per layer, bound directly: the overload, not the packet that looks it
# up at every call, and torch.layer_norm / gelu without nn.functional's wrappers (the same kernels; a few
# µs less per call, a few dozen calls per token).
_INT8_MM_DIRECT = getattr(_INT8_MM, "default", _INT8_MM)
_LAYER_NORM = torch.layer_norm
_GELU = torch._C._nn.gelu
_INT8_WEIGHTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> its quantized blocks


def int8_available() -> bool:
    """True when this torch has the weight-only int8 matrix product the int8 decoder uses."""
    return _INT8_MM is not None


def quantize_int8(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """An (out, in) float weight as int8 with a bf16 scale per output row (symmetric, round to nearest)."""
    scale = weight.detach().float().abs().amax(dim=1).clamp_min(1e-12) / 127.0
    values = torch.round(weight.detach().float() / scale[:, None]).clamp(-127, 127).to(torch.int8)
    return values.contiguous(), scale.to(torch.bfloat16).contiguous()


def _int8_blocks(model: torch.nn.Module) -> list[tuple[tuple[torch.Tensor, torch.Tensor], ...]]:
    """(qkv, proj, fc, out) quantized once per loaded model and kept as long as the model lives."""
    blocks = _INT8_WEIGHTS.get(model)
    if blocks is None:
        blocks = [tuple(quantize_int8(w) for w in (b.attn.qkv.weight, b.attn.proj.weight, b.fc.weight,
                                                  b.out.weight)) for b in model.blocks]
        _INT8_WEIGHTS[model] = blocks
    return blocks


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


def _int8_product(x: torch.Tensor, weight: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """``x`` (T, in) times a quantized weight, as bf16 (T, out); ``x`` goes to bf16 first."""
    return _INT8_MM_DIRECT(x.to(torch.bfloat16), *weight)


def _torch_layer_norm(x: np.ndarray, weight_bias: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    return _LAYER_NORM(torch.from_numpy(x), (x.shape[-1],), *weight_bias, LN_EPS)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, average: np.ndarray) -> np.ndarray:
    """LayerNorm over the last axis of (T, C); the means are products with ``average``, a (C, 1)
    column of 1/C (NumPy's reductions cost several µs per call, a matrix-vector product about one)."""
    centred = x - x @ average
    var = (centred * centred) @ average
    return centred * (weight / np.sqrt(var + LN_EPS)) + bias


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(_GELU_C * (x + 0.044715 * x * x * x)))


class NumpyDecoder:
    """One sequence's decoding state: weights as NumPy views of the torch model, and a KV cache."""

    def __init__(self, model: torch.nn.Module, int8: bool = False) -> None:
        config = model.config
        if not self.supports(model):
            raise ValueError("NumpyDecoder runs a float32 transformer on the CPU in eval mode")

        def array(tensor: torch.Tensor) -> np.ndarray:
            return tensor.detach().numpy()  # a view: no copy of the weights

        self.n_head = config.n_head
        self.head_dim = config.n_embd // config.n_head
        self.n_ctx = config.n_ctx
        self.embed = array(model.embed.weight)  # (V, C); the output head shares it
        self.layers = [
            (array(b.ln1.weight), array(b.ln1.bias), array(b.attn.qkv.weight).T, array(b.attn.proj.weight).T,
             array(b.ln2.weight), array(b.ln2.bias), array(b.fc.weight).T, array(b.out.weight).T)
            for b in model.blocks
        ]
        self.ln_f = (array(model.ln_f.weight), array(model.ln_f.bias))
        # rotary embedding as one complex product on channel pairs (0,1), (2,3)...: (n_ctx, D/2)
        self.rotation = (array(model.cos) + 1j * array(model.sin)).astype(np.complex64)
        self.average = np.full((config.n_embd, 1), 1.0 / config.n_embd, dtype=np.float32)
        shape = (len(self.layers), self.n_head, self.n_ctx, self.head_dim)
        self.keys = np.zeros(shape, dtype=np.float32)
        self.values = np.zeros(shape, dtype=np.float32)
        self.length = 0
        self.int8 = int8 and int8_available()
        self.quantized = _int8_blocks(model) if self.int8 else []
        # the int8 path runs the layer norms in torch: their result goes straight into the int8 product
        self.norms = [((b.ln1.weight.detach(), b.ln1.bias.detach()), (b.ln2.weight.detach(), b.ln2.bias.detach()))
                      for b in model.blocks] if self.int8 else []

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
        H, D = self.n_head, self.head_dim
        rotation = self.rotation[start:end, None, None, :]  # (T, 1, 1, D/2)
        average = self.average
        scale = np.float32(1.0 / math.sqrt(D))
        causal = None
        if count > 1:  # token i sees the cache and the new tokens up to itself
            causal = np.triu(np.full((count, end), -np.inf, dtype=np.float32), k=start + 1)
        x = self.embed[np.asarray(tokens)]  # (T, C)
        for layer, (ln1_w, ln1_b, qkv_w, proj_w, ln2_w, ln2_b, fc_w, out_w) in enumerate(self.layers):
            if self.int8:
                q_qkv, q_proj, q_fc, q_out = self.quantized[layer]
                norm1, norm2 = self.norms[layer]
                qkv = _int8_product(_torch_layer_norm(x, norm1), q_qkv).float().numpy().reshape(count, 3, H, D)
            else:
                qkv = (_layer_norm(x, ln1_w, ln1_b, average) @ qkv_w).reshape(count, 3, H, D)
            # queries and keys rotated together: (T, 2, H, D)
            qk = (np.ascontiguousarray(qkv[:, :2]).view(np.complex64) * rotation).view(np.float32)
            q = qk[:, 0].transpose(1, 0, 2)  # (H, T, D)
            self.keys[layer, :, start:end] = qk[:, 1].transpose(1, 0, 2)
            self.values[layer, :, start:end] = qkv[:, 2].transpose(1, 0, 2)
            scores = (q @ self.keys[layer, :, :end].transpose(0, 2, 1)) * scale  # (H, T, S)
            if causal is not None:
                scores += causal
            scores -= scores.max(axis=-1, keepdims=True)
            weights = np.exp(scores)
            weights /= weights.sum(axis=-1, keepdims=True)
            attended = (weights @ self.values[layer, :, :end]).transpose(1, 0, 2).reshape(count, H * D)
            if self.int8:  # the residual stream added to in place through a torch view of ``x`` (our own copy)
                residual = torch.from_numpy(x)
                residual += _int8_product(torch.from_numpy(np.ascontiguousarray(attended)), q_proj)
                hidden = _GELU(_int8_product(_LAYER_NORM(residual, (x.shape[-1],), *norm2, LN_EPS), q_fc),
                               approximate="tanh")
                residual += _int8_product(hidden, q_out)
                continue
            x = x + attended @ proj_w
            x = x + _gelu_tanh(_layer_norm(x, ln2_w, ln2_b, average) @ fc_w) @ out_w
        self.length = end
        last = _layer_norm(x[-1:], *self.ln_f, average)[0]  # (C,)
        return last @ self.embed.T if rows is None else self.embed[rows] @ last
