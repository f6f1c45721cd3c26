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
    return scaled, _ranked(scaled, int(np.count_nonzero(np.isfinite(scaled))), sampling)


def _ranked(scaled: np.ndarray, finite: int, sampling: Sampling) -> np.ndarray:
    """The indices of ``scaled`` (``finite`` of them finite) that survive top-k and top-p, best first."""
    if finite == 0:
        raise ValueError("nothing to sample from")
    order = (-scaled).argsort(kind="stable")
    keep = finite if sampling.top_k <= 0 else min(sampling.top_k, finite)
    if sampling.top_p < 1.0:  # over every candidate, not only the top k
        probs = np.exp(scaled[order[:finite]] - scaled[order[0]])
        cumulative = probs.cumsum() / probs.sum()
        keep = min(keep, int(cumulative.searchsorted(sampling.top_p)) + 1)  # keep the one that crosses top_p
    return order[:keep]


def sample_index(values: np.ndarray, rng: np.random.Generator, sampling: Sampling) -> int:
    """An index of ``values`` (log-weights, -inf: never) drawn with one ``rng.random()``.

    The draw walks the surviving candidates in their order in ``values``: it is the draw over every
    candidate with the cut ones at probability 0, computed on the survivors only.
    """
    # It runs once per sampled token, on a few dozen values, so the fixed cost of each NumPy call
    # counts: the ranking is skipped where it cannot change the survivors, and every value the
    # draw depends on (exp inputs, summation order) is the one the plain path computes.
    scaled = np.asarray(values, dtype=np.float64) / max(sampling.temperature, 1e-6)
    best = scaled.max(initial=-np.inf)
    if not -np.inf < best < np.inf:  # nothing finite, a nan or +inf: the plain path, and its error
        ranked = _ranked(scaled, int(np.count_nonzero(np.isfinite(scaled))), sampling)
        return _draw(scaled, np.sort(ranked), scaled[ranked[0]], rng)
    finite = None if scaled.min() > -np.inf else scaled > -np.inf  # None: every entry
    count = len(scaled) if finite is None else int(np.count_nonzero(finite))
    if sampling.top_p < 1.0 or 0 < sampling.top_k < count:
        ranked = _ranked(scaled, count, sampling)
        if len(ranked) == 1:  # the plain draw's cumulative is [1.0]: it takes the one survivor
            rng.random()
            return int(ranked[0])
        if len(ranked) < count:
            kept = ranked.copy()
            kept.sort()
            return _draw(scaled, kept, best, rng)
    if finite is None:  # every entry survives, in index order
        cumulative = np.exp(scaled - best).cumsum()
        index = int(cumulative.searchsorted(rng.random() * cumulative[-1], side="right"))
        return min(index, len(scaled) - 1)
    return _draw(scaled, finite.nonzero()[0], best, rng)


def _draw(scaled: np.ndarray, kept: np.ndarray, best: float, rng: np.random.Generator) -> int:
    """The draw over ``kept`` (indices of ``scaled`` in index order), weights relative to ``best``."""
    cumulative = np.exp(scaled[kept] - best).cumsum()
    index = int(cumulative.searchsorted(rng.random() * cumulative[-1], side="right"))
    return int(kept[min(index, len(kept) - 1)])


def sample_token(logits: np.ndarray, mask: np.ndarray, rng: np.random.Generator, sampling: Sampling) -> int:
    """One entry of ``logits`` allowed by the boolean ``mask`` (1-D); a single allowed entry is taken without a draw."""
    legal = mask.nonzero()[0]
    if len(legal) == 1:
        return int(legal[0])
    return int(legal[sample_index(logits[legal], rng, sampling)])
