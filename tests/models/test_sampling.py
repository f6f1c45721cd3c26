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


def _head_nucleus(values: np.ndarray, sampling: Sampling) -> tuple[np.ndarray, np.ndarray]:
    """Reference: ``nucleus`` as it was before the fast paths, kept verbatim."""
    scaled = np.asarray(values, dtype=np.float64) / max(sampling.temperature, 1e-6)
    order = np.argsort(-scaled, kind="stable")
    finite = int(np.isfinite(scaled).sum())
    if finite == 0:
        raise ValueError("nothing to sample from")
    keep = finite if sampling.top_k <= 0 else min(sampling.top_k, finite)
    if sampling.top_p < 1.0:
        probs = np.exp(scaled[order[:finite]] - scaled[order[0]])
        cumulative = np.cumsum(probs) / probs.sum()
        keep = min(keep, int(np.searchsorted(cumulative, sampling.top_p)) + 1)
    return scaled, order[:keep]


def _head_sample_token(logits: np.ndarray, mask: np.ndarray, rng: np.random.Generator, sampling: Sampling) -> int:
    """Reference: ``sample_token`` (and ``sample_index``) as they were before the fast paths, kept verbatim."""
    legal = np.flatnonzero(mask)
    if len(legal) == 1:
        return int(legal[0])
    scaled, ranked = _head_nucleus(logits[legal], sampling)
    kept = np.sort(ranked)
    cumulative = np.cumsum(np.exp(scaled[kept] - scaled[ranked[0]]))
    index = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    return int(legal[int(kept[min(index, len(kept) - 1)])])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_fast_paths_draw_bit_for_bit_what_the_plain_sampler_draws(dtype):
    """Same index and same generator state afterwards, on random lengths, -inf masks, ties and cuts."""
    rng = np.random.default_rng(11 if dtype is np.float32 else 12)
    for case in range(2500):
        n = int(rng.integers(2, 201))
        logits = rng.normal(size=n) * rng.uniform(0.5, 6)
        if rng.random() < 0.3:  # ties
            logits = np.round(logits * rng.choice([0.5, 1, 2])) / 2
        if rng.random() < 0.4:  # candidates that may never be drawn
            logits[rng.random(n) < rng.uniform(0.05, 0.95)] = -np.inf
            logits[rng.integers(n)] = rng.normal()
        logits = logits.astype(dtype)
        mask = rng.random(n) < rng.uniform(0.05, 1.0) if rng.random() < 0.5 else np.ones(n, dtype=bool)
        mask[rng.integers(n)] = True
        sampling = Sampling(float(rng.choice([rng.uniform(0.3, 1.5), 1.0, 1e-9])),
                            int(rng.choice([0, 1, 5, 40])), float(rng.choice([1.0, 0.95, 0.9, 0.5])))
        seed = int(rng.integers(1 << 30))
        if mask.sum() > 1 and not np.isfinite(logits[mask]).any():
            with pytest.raises(ValueError, match="nothing to sample"):
                sample_token(logits, mask, np.random.default_rng(seed), sampling)
            continue
        old, new = np.random.default_rng(seed), np.random.default_rng(seed)
        assert sample_token(logits, mask, new, sampling) == _head_sample_token(logits, mask, old, sampling), case
        assert new.bit_generator.state == old.bit_generator.state, case
        values = logits.astype(np.float64)
        if not np.isfinite(values).any():
            continue
        old, new = np.random.default_rng(seed), np.random.default_rng(seed)
        expected = _head_sample_token(values, np.ones(n, dtype=bool), old, sampling)
        assert sample_index(values, new, sampling) == expected, case
        assert new.bit_generator.state == old.bit_generator.state, case
        scaled, ranked = nucleus(values, sampling)
        head_scaled, head_ranked = _head_nucleus(values, sampling)
        assert np.array_equal(scaled, head_scaled) and np.array_equal(ranked, head_ranked), case
        # random numbers on the edges of the plain cumulative weights: a one-ulp change in them shows
        kept = np.sort(head_ranked)
        cumulative = np.cumsum(np.exp(head_scaled[kept] - head_scaled[head_ranked[0]]))
        edge = cumulative[rng.integers(len(cumulative))] / cumulative[-1]
        for number in (edge, np.nextafter(edge, 0.0), np.nextafter(edge, 1.0)):
            if 0.0 <= number < 1.0:
                expected = _head_sample_token(values, np.ones(n, dtype=bool), _Fixed(number), sampling)
                assert sample_index(values, _Fixed(number), sampling) == expected, case


class _Fixed:
    """A generator whose one random number is chosen."""

    def __init__(self, number: float):
        self.number = float(number)

    def random(self) -> float:
        return self.number


@pytest.mark.parametrize("values", [[1.0, np.inf, 0.5], [np.inf, np.inf, 2.0], [1.0, np.nan, 0.5],
                                    [-np.inf, 3.0, -np.inf, 3.0], [2.0, 2.0, 2.0]])
@pytest.mark.parametrize("sampling", [Sampling(), Sampling(top_p=0.9), Sampling(top_k=1), Sampling(temperature=1e-9)])
def test_odd_values_draw_what_the_plain_sampler_draws(values, sampling):
    values = np.array(values)
    for seed in range(20):
        old, new = np.random.default_rng(seed), np.random.default_rng(seed)
        with np.errstate(invalid="ignore"):
            expected = _head_sample_token(values, np.ones(len(values), dtype=bool), old, sampling)
            assert sample_index(values, new, sampling) == expected
        assert new.bit_generator.state == old.bit_generator.state
