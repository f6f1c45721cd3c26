"""One decoding step of the transformer as one compiled call (numba), for ``NumpyDecoder``.

A step of one token is about 3 million multiply-adds for the 4x256 model: a few tens of µs of
arithmetic. Written as NumPy and torch calls it is about 90 calls, each a few µs of dispatch, so
the calls, not the arithmetic, were most of the 0.5-0.7 ms a step took. Here the whole step (every
block's layer norms, products, rotary attention over the KV cache, GELU, the final norm and the
logits of the legal tokens) is one function compiled by numba, reading the same weights and writing
the same cache as the NumPy path: about 0.25 ms a step for the int8 model.

The weights are int8 with a scale per output row (the int8 decoder's) or float32 (scales of one);
the activations stay float32 throughout, so the int8 logits are a little closer to the float32
model's than the bf16-activation kernel's were. Sums are reassociated (``fastmath``) to vectorise:
the logits agree with the NumPy path to about 1e-4, and the same request gives the same notes on
the same machine.

Compiled code is cached on disk (``cache=True``, in ``__pycache__`` or the user's cache folder), so
the compile (a few seconds) happens once per install; loading the compiled step takes about half a
second, which a daemon pays once at start (``warm``). Without numba, ``NumpyDecoder`` keeps its
NumPy step.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# fastmath lets sums reassociate and vectorise; it also assumes no inf or NaN, so none is written here
_OPTIONS = {"fastmath": True, "cache": True, "nogil": True, "error_model": "numpy"}
_EPS = np.float32(1e-5)  # nn.LayerNorm's default, as the model uses
_GELU_C = np.float32(0.7978845608028654)  # sqrt(2 / pi)
_GELU_K = np.float32(0.044715)


@njit(**_OPTIONS)
def _layer_norm(x, weight, bias, out):
    C = x.shape[0]
    mean = np.float32(0.0)
    for i in range(C):
        mean += x[i]
    mean /= np.float32(C)
    var = np.float32(0.0)
    for i in range(C):
        d = x[i] - mean
        var += d * d
    inv = np.float32(1.0) / np.sqrt(var / np.float32(C) + _EPS)
    for i in range(C):
        out[i] = (x[i] - mean) * inv * weight[i] + bias[i]


@njit(**_OPTIONS)
def _product(weight, scale, x, out):
    """out = (weight @ x) * scale for an (O, I) int8 or float32 weight: four rows at a time (x read once for four)."""
    O, I = weight.shape
    head = O - O % 4
    for o in range(0, head, 4):
        a0 = np.float32(0.0)
        a1 = np.float32(0.0)
        a2 = np.float32(0.0)
        a3 = np.float32(0.0)
        for i in range(I):
            xi = x[i]
            a0 += np.float32(weight[o, i]) * xi
            a1 += np.float32(weight[o + 1, i]) * xi
            a2 += np.float32(weight[o + 2, i]) * xi
            a3 += np.float32(weight[o + 3, i]) * xi
        out[o] = a0 * scale[o]
        out[o + 1] = a1 * scale[o + 1]
        out[o + 2] = a2 * scale[o + 2]
        out[o + 3] = a3 * scale[o + 3]
    for o in range(head, O):
        acc = np.float32(0.0)
        for i in range(I):
            acc += np.float32(weight[o, i]) * x[i]
        out[o] = acc * scale[o]


@njit(**_OPTIONS)
def step(token, position, embed, norms, final, qkv_w, qkv_s, proj_w, proj_s, fc_w, fc_s, out_w, out_s,
         cos, sin, query_scale, keys, values, rows, logits):
    """Feed ``token`` at ``position``: write its keys and values into the caches ``keys``/``values``
    (layers, heads, n_ctx, D) and the logits of token ids ``rows`` into ``logits``.

    ``norms``: (layers, 4, C) ln1 weight, ln1 bias, ln2 weight, ln2 bias; ``final``: (2, C) the last
    norm; ``*_w``/``*_s``: (layers, out, in) weights and (layers, out) scales; ``cos``/``sin``:
    (n_ctx, D/2) the rotary angles of channel pairs (0,1), (2,3)...; ``query_scale``: 1/sqrt(D).
    """
    layers, C = qkv_w.shape[0], embed.shape[1]
    H, D = keys.shape[1], keys.shape[3]
    half = D // 2
    S = position + 1
    x = embed[token].copy()
    normed = np.empty(C, np.float32)
    qkv = np.empty(3 * C, np.float32)
    attended = np.empty(C, np.float32)
    added = np.empty(C, np.float32)
    hidden = np.empty(fc_w.shape[1], np.float32)
    scores = np.empty(S, np.float32)
    mixed = np.empty(D, np.float32)
    for layer in range(layers):
        _layer_norm(x, norms[layer, 0], norms[layer, 1], normed)
        _product(qkv_w[layer], qkv_s[layer], normed, qkv)
        key_cache, value_cache = keys[layer], values[layer]
        for h in range(H):
            q0, k0, v0 = h * D, C + h * D, 2 * C + h * D
            for j in range(half):  # rotate (a, b) by the position's angle: (a c - b s, a s + b c)
                c, s = cos[position, j], sin[position, j]
                qa, qb = qkv[q0 + 2 * j], qkv[q0 + 2 * j + 1]
                ka, kb = qkv[k0 + 2 * j], qkv[k0 + 2 * j + 1]
                qkv[q0 + 2 * j] = (qa * c - qb * s) * query_scale
                qkv[q0 + 2 * j + 1] = (qa * s + qb * c) * query_scale
                key_cache[h, position, 2 * j] = ka * c - kb * s
                key_cache[h, position, 2 * j + 1] = ka * s + kb * c
            for d in range(D):
                value_cache[h, position, d] = qkv[v0 + d]
            top = np.float32(-3.0e38)  # not -inf: fastmath assumes finite values
            for t in range(S):
                acc = np.float32(0.0)
                for d in range(D):
                    acc += qkv[q0 + d] * key_cache[h, t, d]
                scores[t] = acc
                top = max(top, acc)
            total = np.float32(0.0)
            for t in range(S):
                e = np.exp(scores[t] - top)
                scores[t] = e
                total += e
            for d in range(D):
                mixed[d] = 0.0
            for t in range(S):
                p = scores[t]
                for d in range(D):
                    mixed[d] += p * value_cache[h, t, d]
            inv = np.float32(1.0) / total
            for d in range(D):
                attended[q0 + d] = mixed[d] * inv
        _product(proj_w[layer], proj_s[layer], attended, added)
        for i in range(C):
            x[i] += added[i]
        _layer_norm(x, norms[layer, 2], norms[layer, 3], normed)
        _product(fc_w[layer], fc_s[layer], normed, hidden)
        for i in range(hidden.shape[0]):  # GELU, tanh form; tanh(y) = 1 - 2 / (exp(2y) + 1) vectorises
            v = hidden[i]
            y = min(max(_GELU_C * (v + _GELU_K * v * v * v), np.float32(-20.0)), np.float32(20.0))  # exp stays finite
            hidden[i] = np.float32(0.5) * v * (np.float32(2.0) - np.float32(2.0) / (np.exp(np.float32(2.0) * y) + np.float32(1.0)))
        _product(out_w[layer], out_s[layer], hidden, added)
        for i in range(C):
            x[i] += added[i]
    _layer_norm(x, final[0], final[1], normed)
    for r in range(rows.shape[0]):
        acc = np.float32(0.0)
        row = embed[rows[r]]
        for i in range(C):
            acc += row[i] * normed[i]
        logits[r] = acc


def warm() -> None:
    """Load (or compile, the first time on a machine) ``step`` for int8 and float32 weights, on a tiny model."""
    C, H, D, V, n_ctx, layers = 8, 2, 4, 5, 4, 1
    for dtype in (np.int8, np.float32):
        def product(rows, columns):
            return np.ones((layers, rows, columns), dtype=dtype), np.ones((layers, rows), dtype=np.float32)

        embed = np.ones((V, C), dtype=np.float32)
        norms = np.ones((layers, 4, C), dtype=np.float32)
        final = np.ones((2, C), dtype=np.float32)
        angles = np.zeros((n_ctx, D // 2), dtype=np.float32)
        keys = np.zeros((layers, H, n_ctx, D), dtype=np.float32)
        step(1, 0, embed, norms, final, *product(3 * C, C), *product(C, C), *product(4 * C, C), *product(C, 4 * C),
             angles, angles.copy(), np.float32(0.5), keys, keys.copy(), np.arange(V, dtype=np.int64),
             np.empty(V, dtype=np.float32))
