"""The NumPy decoding path computes what the torch transformer computes, and decodes the same notes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.sampling import Sampling
from models.transformer import decoding, numpy_decoder
from models.transformer.decoding import run_plans
from models.transformer.grammar import Section
from models.transformer.network import ModelConfig, build_model
from models.transformer.numpy_decoder import NumpyDecoder, compiled_step_available, int8_available, quantize_int8
from models.transformer.tokens import BAR, BOS, METER0, STYLE0, TRACKS, TTRACK0, VOCAB

TINY = ModelConfig(vocab_size=len(VOCAB), n_ctx=64, n_layer=2, n_head=2, n_embd=32)


@pytest.fixture
def model():
    torch.manual_seed(0)
    return build_model(TINY).eval()


@torch.inference_mode()
def test_logits_match_the_torch_forward(model) -> None:
    tokens = np.random.default_rng(1).integers(3, len(VOCAB), 60).tolist()
    decoder, cache = NumpyDecoder(model), model.new_cache(1)
    for chunk in (tokens[:12], tokens[12:13], tokens[13:30], *[[t] for t in tokens[30:]]):
        expected = model(torch.tensor([chunk]), cache)[0, -1].numpy()
        np.testing.assert_allclose(decoder.forward(chunk), expected, atol=2e-5)
    assert decoder.length == 60
    decoder.reset()
    np.testing.assert_allclose(decoder.forward(tokens[:5]), model(torch.tensor([tokens[:5]]))[0, -1].numpy(),
                               atol=2e-5)
    with pytest.raises(ValueError, match="context"):
        decoder.forward(tokens)  # 5 + 60 > 64


@pytest.mark.parametrize("int8", [False, pytest.param(True, marks=pytest.mark.skipif(
    not int8_available(), reason="this torch has no weight-only int8 product"))])
@torch.inference_mode()
def test_the_one_token_step_computes_exactly_what_the_general_step_computes(model, int8: bool) -> None:
    """Without numba, passes of one token go through buffers made once (``_forward_one``): the same bits,
    logits and cache, as the general path, so a seed writes the same notes either way."""
    tokens = np.random.default_rng(3).integers(3, len(VOCAB), 40).tolist()
    fast, general = NumpyDecoder(model, int8=int8, compiled=False), NumpyDecoder(model, int8=int8, compiled=False)
    rows = np.arange(10, 90)
    for decoder in (fast, general):
        decoder.forward(tokens[:8])
    for token in tokens[8:]:
        assert np.array_equal(fast.forward([token], rows), general._forward_many([token], rows))
    assert fast.length == general.length == 40
    assert np.array_equal(fast.keys, general.keys) and np.array_equal(fast.values, general.values)


def test_only_a_cpu_float32_model_in_eval_mode(model) -> None:
    assert NumpyDecoder.supports(model)
    assert not NumpyDecoder.supports(model.train())
    lstm = build_model(ModelConfig(**{**TINY.to_dict(), "kind": "lstm"})).eval()
    assert not NumpyDecoder.supports(lstm)
    with pytest.raises(ValueError):
        NumpyDecoder(lstm)


def test_one_sequence_decodes_the_same_tokens_either_way(model, monkeypatch) -> None:
    """Past the context (64 tokens here) both paths restart from the last bars that fit."""
    plan: list = [BOS, STYLE0]
    for _ in range(6):
        plan += [BAR, METER0, TTRACK0 + TRACKS.index("keys"), Section("keys", 48, BAR, density=3)]
    plan.append(BAR)
    settings = Sampling(top_p=0.95)
    fast = run_plans(model, [plan], settings, seed=7, int8=False)[0]
    monkeypatch.setattr(decoding.NumpyDecoder, "supports", staticmethod(lambda m: False))
    slow = run_plans(model, [plan], settings, seed=7)[0]
    assert len(fast) > TINY.n_ctx  # the restart was exercised
    assert fast == slow


def test_int8_weights_stay_within_half_a_step_of_the_float_ones() -> None:
    weight = torch.randn(96, 40) * torch.linspace(0.01, 3.0, 96)[:, None]  # rows of very different scales
    values, scale = quantize_int8(weight)
    assert values.dtype == torch.int8 and values.shape == weight.shape and scale.shape == (96,)
    restored = values.float() * scale.float()[:, None]
    step = scale.float()[:, None]
    assert bool(((restored - weight).abs() <= 0.5 * step + 0.01 * weight.abs()).all())  # bf16 scale: 0.4 % more


@pytest.mark.skipif(not int8_available(), reason="this torch has no weight-only int8 product")
@torch.inference_mode()
def test_the_int8_decoder_gives_nearly_the_float_logits_and_the_same_tokens_each_time(model) -> None:
    tokens = np.random.default_rng(2).integers(3, len(VOCAB), 40).tolist()
    exact, quantized = NumpyDecoder(model), NumpyDecoder(model, int8=True)
    assert quantized.int8
    for chunk in (tokens[:10], *[[t] for t in tokens[10:]]):
        reference, approximate = exact.forward(chunk), quantized.forward(chunk)
        assert np.abs(approximate - reference).max() < 0.05 * max(1.0, np.abs(reference).max())
        probabilities = np.exp(reference - reference.max())
        assert probabilities[int(np.argmax(approximate))] > 0.5 * probabilities.max()  # same choice, or a near tie
    plan: list = [BOS, STYLE0, BAR, METER0, TTRACK0 + TRACKS.index("keys"), Section("keys", 48, BAR, density=3), BAR]
    settings = Sampling(top_p=0.95)
    assert run_plans(model, [plan], settings, seed=3) == run_plans(model, [plan], settings, seed=3)


needs_wide = pytest.mark.skipif(not (int8_available() and numpy_decoder._wide_available()),
                                reason="this torch or CPU has no int8 product or no packed bf16 product")


def _rows_through_int8(monkeypatch) -> list[int]:
    """The row counts of every product the int8 kernel computes from now on."""
    rows: list[int] = []
    kernel = numpy_decoder._INT8_MM_DIRECT

    def counted(x, *weight):
        rows.append(x.shape[0])
        return kernel(x, *weight)

    monkeypatch.setattr(numpy_decoder, "_INT8_MM_DIRECT", counted)
    return rows


@needs_wide
@torch.inference_mode()
def test_a_long_given_run_is_multiplied_in_bf16_not_row_by_row_through_the_int8_kernel(model, monkeypatch) -> None:
    """A melody's bar or a context restart goes through the network in one pass of many rows: the int8
    kernel costs the same per row at any count, the packed bf16 weights a half to a third of it. Only the
    last block's products after the attention, of the last row alone, stay int8."""
    tokens = np.random.default_rng(4).integers(3, len(VOCAB), 40).tolist()
    exact, decoder = NumpyDecoder(model), NumpyDecoder(model, int8=True, compiled=False)
    rows = _rows_through_int8(monkeypatch)
    short = tokens[:numpy_decoder.WIDE_ROWS - 1]
    for chunk in (tokens[:30], [tokens[30]], short):
        reference, approximate = exact.forward(chunk), decoder.forward(chunk)
        assert np.abs(approximate - reference).max() < 0.05 * max(1.0, np.abs(reference).max())
    assert rows == [1, 1, 1] + [1] * 4 * TINY.n_layer + [len(short)] * (4 * TINY.n_layer - 3) + [1, 1, 1]
    # every token's keys and values are cached, the last block's too
    cached = decoder.length
    assert cached == exact.length == 30 + 1 + len(short)
    assert np.abs(decoder.keys[:, :, :cached] - exact.keys[:, :, :cached]).max() < 0.05
    assert np.abs(decoder.values[:, :, :cached] - exact.values[:, :, :cached]).max() < 0.05


@pytest.mark.skipif(not int8_available(), reason="this torch has no weight-only int8 product")
@torch.inference_mode()
def test_without_packed_bf16_every_pass_stays_int8(monkeypatch) -> None:
    torch.manual_seed(1)
    fresh = build_model(TINY).eval()  # weights prepared once per model: this one after the patch
    monkeypatch.setattr(numpy_decoder, "_wide_available", lambda: False)
    exact, decoder = NumpyDecoder(fresh), NumpyDecoder(fresh, int8=True, compiled=False)
    rows = _rows_through_int8(monkeypatch)
    tokens = np.random.default_rng(5).integers(3, len(VOCAB), 30).tolist()
    reference, approximate = exact.forward(tokens), decoder.forward(tokens)
    assert np.abs(approximate - reference).max() < 0.05 * max(1.0, np.abs(reference).max())
    assert rows == [30] * (4 * TINY.n_layer - 3) + [1, 1, 1]



needs_numba = pytest.mark.skipif(not compiled_step_available(), reason="numba is not installed")


@needs_numba
@torch.inference_mode()
def test_the_compiled_step_computes_what_the_torch_forward_computes(model) -> None:
    """One-token passes go through one compiled call (fused_step.py) reading and writing the same cache as
    the passes of several tokens: the logits and cached keys agree with torch's to float32 rounding."""
    tokens = np.random.default_rng(6).integers(3, len(VOCAB), 50).tolist()
    compiled, numpy_step, cache = NumpyDecoder(model), NumpyDecoder(model, compiled=False), model.new_cache(1)
    assert compiled._fused is not None and numpy_step._fused is None
    rows = np.arange(5, 120)
    for chunk in (tokens[:9], *[[t] for t in tokens[9:30]], tokens[30:40], *[[t] for t in tokens[40:]]):
        expected = model(torch.tensor([chunk]), cache)[0, -1].numpy()
        np.testing.assert_allclose(compiled.forward(chunk), expected, atol=5e-5)
        np.testing.assert_allclose(numpy_step.forward(chunk), expected, atol=5e-5)
    np.testing.assert_allclose(compiled.keys[:, :, :50], numpy_step.keys[:, :, :50], atol=1e-5)
    np.testing.assert_allclose(compiled.values[:, :, :50], numpy_step.values[:, :, :50], atol=1e-5)
    logits = compiled.forward([7], rows)
    assert logits.shape == (len(rows),)
    np.testing.assert_allclose(logits, numpy_step.forward([7])[rows], atol=5e-5)


@needs_numba
@torch.inference_mode()
def test_the_compiled_step_stays_finite_where_the_gelu_input_is_large() -> None:
    """The step is compiled assuming no inf or NaN (fastmath): a hidden unit past about 10, where exp(2y)
    overflows float32, gave NaN logits and "nothing to sample from" in the drum model."""
    torch.manual_seed(2)
    loud = build_model(TINY).eval()
    with torch.no_grad():
        for block in loud.blocks:
            block.fc.weight.mul_(40.0)
    tokens = np.random.default_rng(7).integers(3, len(VOCAB), 20).tolist()
    compiled, cache = NumpyDecoder(loud), loud.new_cache(1)
    for token in tokens:
        expected = loud(torch.tensor([[token]]), cache)[0, -1].numpy()
        got = compiled.forward([token])
        assert np.isfinite(got).all()
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-3 * max(1.0, np.abs(expected).max()))


@needs_numba
@pytest.mark.skipif(not int8_available(), reason="this torch has no weight-only int8 product")
@torch.inference_mode()
def test_the_compiled_int8_step_is_closer_to_the_float_model_than_the_bf16_kernel(model) -> None:
    """With int8 weights the compiled step keeps float32 activations: its logits stay within the int8
    decoder's bound of the float32 model's, and nearer to them than the bf16-activation kernel's."""
    tokens = np.random.default_rng(8).integers(3, len(VOCAB), 40).tolist()
    exact = NumpyDecoder(model, compiled=False)
    compiled, kernel = NumpyDecoder(model, int8=True), NumpyDecoder(model, int8=True, compiled=False)
    ours, theirs = [], []
    for chunk in (tokens[:10], *[[t] for t in tokens[10:]]):
        reference = exact.forward(chunk)
        a, b = compiled.forward(chunk), kernel.forward(chunk)
        assert np.abs(a - reference).max() < 0.05 * max(1.0, np.abs(reference).max())
        if len(chunk) == 1:
            ours.append(np.abs(a - reference).mean())
            theirs.append(np.abs(b - reference).mean())
    assert np.mean(ours) < np.mean(theirs)


@needs_numba
@torch.inference_mode()
def test_a_step_that_cannot_be_compiled_here_leaves_the_numpy_step_with_a_warning(model, monkeypatch, caplog) -> None:
    """numba refuses to cache where no folder is writable: decoding goes on with the NumPy step, and says so."""
    from models.transformer import fused_step

    def refuse() -> None:
        raise RuntimeError("cannot cache function 'step': no locator available")

    monkeypatch.setattr(fused_step, "warm", refuse)
    numpy_decoder._fused_module.cache_clear()
    try:
        with caplog.at_level("WARNING"):
            decoder = NumpyDecoder(model)
        assert decoder._fused is None
        assert "NumPy step" in caplog.text and "no locator" in caplog.text
        tokens = np.random.default_rng(9).integers(3, len(VOCAB), 12).tolist()
        np.testing.assert_allclose(decoder.forward(tokens[:4]), NumpyDecoder(model, compiled=False).forward(tokens[:4]))
    finally:
        numpy_decoder._fused_module.cache_clear()
