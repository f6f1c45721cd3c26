"""The transformer's forward pass for one sequence on the CPU, in NumPy, for decoding.

A decoding step on a CPU is a few dozen tiny operations on vectors of 256 numbers; torch spends
5-10 µs dispatching each one, NumPy well under 1 µs, while the matrix-vector products cost the
same in both. For one sequence this class computes what ``Transformer.forward`` with a KV cache
computes (the same weights, shared with the torch model without a copy; float32 throughout; the
logits agree to about 1e-5, checked by tests/models/test_numpy_decoder.py), about four times
faster per token. Batches of variations keep using torch, whose per-call cost is shared by the
rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

LN_EPS = 1e-5  # nn.LayerNorm's default, as the model uses
_GELU_C = math.sqrt(2.0 / math.pi)


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

    def __init__(self, model: torch.nn.Module) -> None:
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
        self.cos, self.sin = array(model.cos), array(model.sin)  # (n_ctx, D/2)
        self.average = np.full((config.n_embd, 1), 1.0 / config.n_embd, dtype=np.float32)
        shape = (len(self.layers), self.n_head, self.n_ctx, self.head_dim)
        self.keys = np.zeros(shape, dtype=np.float32)
        self.values = np.zeros(shape, dtype=np.float32)
        self.length = 0

    @staticmethod
    def supports(model: torch.nn.Module) -> bool:
        """True for a float32 transformer on the CPU, in inference mode (no dropout)."""
        weight = getattr(model, "embed", None)
        return (getattr(model.config, "kind", "") == "transformer" and not model.training and weight is not None
                and weight.weight.device.type == "cpu" and weight.weight.dtype == torch.float32)

    def reset(self) -> None:
        self.length = 0

    def _rotate(self, x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
        """Rotary embedding of ``x`` (T, 2, H, D) on channel pairs (0,1), (2,3)...; cos/sin (T, 1, 1, D/2)."""
        x1, x2 = x[..., 0::2], x[..., 1::2]
        out = np.empty_like(x)
        out[..., 0::2] = x1 * cos - x2 * sin
        out[..., 1::2] = x1 * sin + x2 * cos
        return out

    def forward(self, tokens: Sequence[int]) -> np.ndarray:
        """Append ``tokens`` to the sequence; returns the logits ``(V,)`` after the last one."""
        count = len(tokens)
        start, end = self.length, self.length + count
        if end > self.n_ctx:
            raise ValueError(f"sequence of {end} tokens exceeds the context of {self.n_ctx}")
        H, D = self.n_head, self.head_dim
        cos, sin = self.cos[start:end, None, None, :], self.sin[start:end, None, None, :]
        average = self.average
        scale = np.float32(1.0 / math.sqrt(D))
        causal = None
        if count > 1:  # token i sees the cache and the new tokens up to itself
            causal = np.triu(np.full((count, end), -np.inf, dtype=np.float32), k=start + 1)
        x = self.embed[np.asarray(tokens)]  # (T, C)
        for layer, (ln1_w, ln1_b, qkv_w, proj_w, ln2_w, ln2_b, fc_w, out_w) in enumerate(self.layers):
            qkv = (_layer_norm(x, ln1_w, ln1_b, average) @ qkv_w).reshape(count, 3, H, D)
            qk = self._rotate(qkv[:, :2], cos, sin)  # queries and keys rotated together: (T, 2, H, D)
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
            x = x + attended @ proj_w
            x = x + _gelu_tanh(_layer_norm(x, ln2_w, ln2_b, average) @ fc_w) @ out_w
        self.length = end
        return _layer_norm(x[-1:], *self.ln_f, average)[0] @ self.embed.T
