"""The one sampler: temperature, top-k and top-p cuts, seeds, forced tokens, and the draw it makes."""

from __future__ import annotations

import numpy as np
import pytest

from models.sampling import Sampling, nucleus, sample_index, sample_token

V = 340


def _filtered(logits: np.ndarray, mask: np.ndarray, sampling: Sampling) -> np.ndarray:
    """Reference: every token's scaled logit, -inf for the illegal ones and those top-k or top-p cut."""
    values = np.where(mask, logits.astype(np.float64) / sampling.temperature, -np.inf)
    order = np.argsort(-values, kind="stable")[: int(mask.sum())]
    keep = len(order) if sampling.top_k <= 0 else min(sampling.top_k, len(order))
    if sampling.top_p < 1.0:
        probs = np.exp(values[order] - values[order[0]])
        keep = min(keep, int(np.searchsorted(np.cumsum(probs) / probs.sum(), sampling.top_p)) + 1)
    out = np.full(len(logits), -np.inf)
    out[order[:keep]] = values[order[:keep]]
    return out


def test_cuts():
    logits = np.arange(V, dtype=np.float64)
    assert len(nucleus(logits, Sampling(top_k=5))[1]) == 5
    assert list(nucleus(logits, Sampling(temperature=0.1, top_p=0.5))[1]) == [V - 1]
    assert len(nucleus(logits, Sampling(temperature=100.0, top_p=0.5))[1]) > 20
    logits[:10] = -np.inf
    assert min(nucleus(logits, Sampling())[1]) == 10
    with pytest.raises(ValueError, match="nothing to sample"):
        nucleus(np.full(4, -np.inf), Sampling())


def test_seeds_repeat_and_a_single_legal_token_is_forced_without_a_draw():
    logits = np.random.default_rng(0).normal(size=V)
    mask = np.ones(V, dtype=bool)
    draws = [sample_token(logits, mask, np.random.default_rng(7), Sampling()) for _ in range(3)]
    assert len(set(draws)) == 1
    only = np.zeros(V, dtype=bool)
    only[42] = True
    rng = np.random.default_rng(1)
    assert sample_token(logits, only, rng, Sampling()) == 42
    assert rng.random() == np.random.default_rng(1).random()  # no random number was used


def test_the_draw_is_the_one_over_every_candidate_with_the_cut_ones_at_zero():
    """The sampler works on the surviving candidates only; it must draw what sampling the whole
    filtered distribution draws, for the same random number."""
    rng = np.random.default_rng(5)
    for case in range(300):
        logits = (rng.normal(size=V) * rng.uniform(0.5, 4)).astype(np.float32)
        mask = rng.random(V) < rng.uniform(0.02, 0.6)
        mask[rng.integers(V)] = True
        mask[rng.integers(V)] = True
        sampling = Sampling(rng.uniform(0.3, 1.5), int(rng.choice([0, 1, 3, 20])), float(rng.choice([1.0, 0.9, 0.5])))
        seed = int(rng.integers(1 << 30))
        filtered = _filtered(logits, mask, sampling)
        cumulative = np.cumsum(np.exp(filtered - filtered.max()))
        expected = int(np.searchsorted(cumulative, np.random.default_rng(seed).random() * cumulative[-1], side="right"))
        drawn = sample_token(logits, mask, np.random.default_rng(seed), sampling)
        assert drawn == expected, case
        assert mask[drawn] and np.isfinite(filtered[drawn])


def test_a_never_candidate_is_never_drawn():
    values = np.array([np.log(0.5), -np.inf, np.log(0.3), -np.inf, np.log(0.2)])
    drawn = {sample_index(values, np.random.default_rng(seed), Sampling(temperature=3.0)) for seed in range(200)}
    assert drawn == {0, 2, 4}
