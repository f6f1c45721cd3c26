"""Networks and checkpoints: shapes, KV cache = full forward, left padding, save/load round trips."""

from __future__ import annotations

import pytest
import torch

from models.transformer.checkpoint import (
    CheckpointError,
    load_model,
    read_checkpoint,
    restore_optimizer,
    save_checkpoint,
)
from models.transformer.network import ModelConfig, build_model
from models.transformer.tokens import VOCAB

TINY = ModelConfig(vocab_size=len(VOCAB), n_ctx=64, n_layer=2, n_head=2, n_embd=32)


@pytest.fixture(params=["transformer", "lstm"])
def model(request):
    torch.manual_seed(0)
    config = ModelConfig(**{**TINY.to_dict(), "kind": request.param})
    return build_model(config).eval()


def test_shapes(model):
    idx = torch.randint(0, len(VOCAB), (3, 20))
    assert model(idx).shape == (3, 20, len(VOCAB))


@torch.no_grad()
def test_cache_matches_full_forward(model):
    idx = torch.randint(0, len(VOCAB), (2, 24))
    full = model(idx)
    cache = model.new_cache(2)
    parts = [model(idx[:, :10], cache)] + [model(idx[:, t:t + 1], cache) for t in range(10, 24)]
    stepped = torch.cat(parts, dim=1)
    assert torch.allclose(full, stepped, atol=1e-4)


@torch.no_grad()
def test_left_padding_is_masked():
    torch.manual_seed(0)
    model = build_model(TINY).eval()
    seq = torch.randint(3, len(VOCAB), (1, 12))
    alone = model(seq)[0, -1]
    padded = torch.cat([torch.zeros(1, 5, dtype=torch.long), seq], dim=1)
    cache = model.new_cache(1)
    cache.key_mask = torch.zeros(1, TINY.n_ctx, dtype=torch.bool)
    cache.key_mask[:, 5:] = True
    out = model(padded, cache)[0, -1]
    assert torch.allclose(alone, out, atol=1e-4)


def test_context_limit():
    model = build_model(TINY)
    with pytest.raises(ValueError, match="context"):
        model(torch.zeros(1, TINY.n_ctx + 1, dtype=torch.long))


def test_checkpoint_round_trip(tmp_path, model):
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.randint(0, len(VOCAB), (1, 8))).sum().backward()
    optimizer.step()
    path = save_checkpoint(tmp_path / "m.safetensors", model, 7, {"note": "x"}, optimizer)
    loaded, checkpoint = load_model(path)
    assert checkpoint.step == 7 and checkpoint.info == {"note": "x"} and checkpoint.config == model.config
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), name
    fresh = torch.optim.AdamW(loaded.parameters(), lr=1e-3)
    assert restore_optimizer(loaded, fresh, read_checkpoint(path)[1])
    assert b"pickle" not in path.read_bytes()[:200]


def test_bf16_export_halves_the_file(tmp_path):
    model = build_model(TINY)
    full = save_checkpoint(tmp_path / "a.safetensors", model, 1)
    half = save_checkpoint(tmp_path / "b.safetensors", model, 1, dtype=torch.bfloat16)
    assert half.stat().st_size < 0.6 * full.stat().st_size
    loaded, _ = load_model(half)
    assert loaded.embed.weight.dtype == torch.float32


def test_bad_checkpoints_are_refused(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_model(tmp_path / "missing.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="safetensors"):
        load_model(tmp_path / "junk.safetensors")
