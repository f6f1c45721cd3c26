"""Temperature, top-k and top-p (nucleus) sampling, the one sampler every model draws with."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Sampling:
    """Sampling controls shared by every draw of one result."""

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0


def nucleus(values: np.ndarray, sampling: Sampling) -> tuple[np.ndarray, np.ndarray]:
    """(``values`` divided by the temperature, the indices that survive top-k and top-p, best first).

    ``values`` are log-weights; -inf marks a candidate that may not be drawn.
    """
    scaled = np.asarray(values, dtype=np.float64) / max(sampling.temperature, 1e-6)
    order = np.argsort(-scaled, kind="stable")
    finite = int(np.isfinite(scaled).sum())
    if finite == 0:
        raise ValueError("nothing to sample from")
    keep = finite if sampling.top_k <= 0 else min(sampling.top_k, finite)
    if sampling.top_p < 1.0:  # over every candidate, not only the top k
        probs = np.exp(scaled[order[:finite]] - scaled[order[0]])
        cumulative = np.cumsum(probs) / probs.sum()
        keep = min(keep, int(np.searchsorted(cumulative, sampling.top_p)) + 1)  # keep the one that crosses top_p
    return scaled, order[:keep]


def sample_index(values: np.ndarray, rng: np.random.Generator, sampling: Sampling) -> int:
    """An index of ``values`` (log-weights, -inf: never) drawn with one ``rng.random()``.

    The draw walks the surviving candidates in their order in ``values``: it is the draw over every
    candidate with the cut ones at probability 0, computed on the survivors only.
    """
    scaled, ranked = nucleus(values, sampling)
    kept = np.sort(ranked)
    cumulative = np.cumsum(np.exp(scaled[kept] - scaled[ranked[0]]))
    index = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    return int(kept[min(index, len(kept) - 1)])


def sample_token(logits: np.ndarray, mask: np.ndarray, rng: np.random.Generator, sampling: Sampling) -> int:
    """One entry of ``logits`` allowed by the boolean ``mask``; a single allowed entry is taken without a draw."""
    legal = np.flatnonzero(mask)
    if len(legal) == 1:
        return int(legal[0])
    return int(legal[sample_index(logits[legal], rng, sampling)])
