"""Decoder-only transformer (nanoGPT-style, rotary positions, fused attention) with a KV cache; nn.Modules only."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class ModelConfig:
    """Size of the network; ``kind`` picks the transformer or the LSTM baseline."""

    vocab_size: int = 340
    n_ctx: int = 1024
    n_layer: int = 6
    n_head: int = 4
    n_embd: int = 320
    dropout: float = 0.0
    kind: str = "transformer"

    def to_dict(self) -> dict:
        return asdict(self)


def rotary_tables(n_ctx: int, head_dim: int, base: float = 10000.0) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin tables ``(n_ctx, head_dim / 2)`` for rotary position embeddings."""
    inv = 1.0 / base ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
    angles = torch.outer(torch.arange(n_ctx, dtype=torch.float32), inv)
    return angles.cos(), angles.sin()


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate channel pairs (0,1), (2,3), ... of ``x`` (..., D) by position; cos/sin broadcast to (..., D/2)."""
    x1, x2 = x[..., 0::2], x[..., 1::2]
    out = torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)
    return out.flatten(-2).type_as(x)


class KVCache:
    """Preallocated keys and values per layer ``(B, H, n_ctx, D)``; ``length`` tokens are filled."""

    def __init__(self, n_layer: int, batch: int, n_head: int, n_ctx: int, head_dim: int,
                 device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32) -> None:
        shape = (batch, n_head, n_ctx, head_dim)
        self.keys = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(n_layer)]
        self.values = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(n_layer)]
        self.length = 0
        self.key_mask: torch.Tensor | None = None  # (B, n_ctx) bool, set when rows are left-padded

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Write ``k, v`` (B, H, T, D) after the filled part and return everything filled so far."""
        end = self.length + k.shape[2]
        self.keys[layer][:, :, self.length:end] = k
        self.values[layer][:, :, self.length:end] = v
        return self.keys[layer][:, :, :end], self.values[layer][:, :, :end]


class Attention(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.n_head, self.head_dim = config.n_head, config.n_embd // config.n_head
        self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd, bias=False)
        self.proj = nn.Linear(config.n_embd, config.n_embd, bias=False)
        self.dropout = config.dropout

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, cache: KVCache | None,
                layer: int) -> torch.Tensor:
        B, T, C = x.shape
        # functional calls on the weights: a decoding step is dominated by per-call overhead on a CPU
        qkv = F.linear(x, self.qkv.weight).view(B, T, 3, self.n_head, self.head_dim)  # (B, T, 3, H, D)
        qk = apply_rotary(qkv[:, :, :2], cos, sin)  # queries and keys rotated together: (B, T, 2, H, D)
        q, k = qk[:, :, 0].transpose(1, 2), qk[:, :, 1].transpose(1, 2)  # (B, H, T, D)
        v = qkv[:, :, 2].transpose(1, 2)  # (B, H, T, D)
        if cache is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                               dropout_p=self.dropout if self.training else 0.0)
        else:
            past = cache.length
            k, v = cache.update(layer, k, v)  # (B, H, past + T, D)
            mask = None
            if T > 1 or cache.key_mask is not None:
                mask = torch.ones(T, past + T, dtype=torch.bool, device=x.device).tril(past)  # (T, S)
                if cache.key_mask is not None:
                    mask = mask & cache.key_mask[:, None, None, :past + T]  # (B, 1, T, S)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # (B, T, C)
        return F.linear(y, self.proj.weight)


class Block(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(config.n_embd)
        self.attn = Attention(config)
        self.ln2 = nn.LayerNorm(config.n_embd)
        self.fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=False)
        self.out = nn.Linear(4 * config.n_embd, config.n_embd, bias=False)
        self.drop = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, cache: KVCache | None,
                layer: int) -> torch.Tensor:
        C = x.shape[-1]
        x = x + self.attn.forward(F.layer_norm(x, (C,), self.ln1.weight, self.ln1.bias), cos, sin, cache, layer)
        h = F.linear(F.layer_norm(x, (C,), self.ln2.weight, self.ln2.bias), self.fc.weight)  # (B, T, 4C)
        h = F.linear(F.gelu(h, approximate="tanh"), self.out.weight)  # (B, T, C)
        return x + (self.drop(h) if self.training else h)


class Transformer(nn.Module):
    """Token ids (B, T) -> next-token logits (B, T, V); tied input and output embeddings."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.head.weight = self.embed.weight
        cos, sin = rotary_tables(config.n_ctx, config.n_embd // config.n_head)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        self.apply(self._init)
        for name, param in self.named_parameters():
            if name.endswith(("proj.weight", "out.weight")):
                nn.init.normal_(param, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)

    def new_cache(self, batch: int, dtype: torch.dtype = torch.float32) -> KVCache:
        c = self.config
        return KVCache(c.n_layer, batch, c.n_head, c.n_ctx, c.n_embd // c.n_head, self.embed.weight.device, dtype)

    def forward(self, idx: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        T = idx.shape[1]
        start = cache.length if cache is not None else 0
        if start + T > self.config.n_ctx:
            raise ValueError(f"sequence of {start + T} tokens exceeds the context of {self.config.n_ctx}")
        cos = self.cos[start:start + T, None, None]  # (T, 1, 1, D/2) against (B, T, 2, H, D/2)
        sin = self.sin[start:start + T, None, None]
        x = F.embedding(idx, self.embed.weight)  # (B, T, C)
        if self.training:
            x = self.drop(x)
        for layer, block in enumerate(self.blocks):
            x = block.forward(x, cos, sin, cache, layer)
        if cache is not None:
            cache.length += T
        return self.head(self.ln_f(x))  # (B, T, V)


class LSTMModel(nn.Module):
    """The LSTM baseline: embedding, stacked LSTM, tied output layer; state plays the KV cache's role."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.n_embd)
        self.lstm = nn.LSTM(config.n_embd, config.n_embd, num_layers=config.n_layer, batch_first=True,
                            dropout=config.dropout if config.n_layer > 1 else 0.0)
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.head.weight = self.embed.weight
        nn.init.normal_(self.embed.weight, std=0.02)

    def new_cache(self, batch: int, dtype: torch.dtype = torch.float32) -> LSTMState:
        return LSTMState()

    def forward(self, idx: torch.Tensor, cache: LSTMState | None = None) -> torch.Tensor:
        x = self.embed(idx)  # (B, T, C)
        state = cache.state if cache is not None else None
        x, state = self.lstm(x, state)
        if cache is not None:
            cache.state = state
            cache.length += idx.shape[1]
        return self.head(self.ln_f(x))  # (B, T, V)


class LSTMState:
    """Recurrent state standing in for a KV cache (no context limit)."""

    def __init__(self) -> None:
        self.state: tuple[torch.Tensor, torch.Tensor] | None = None
        self.length = 0
        self.key_mask = None


def build_model(config: ModelConfig) -> nn.Module:
    """The network named by ``config.kind``."""
    if config.kind == "transformer":
        return Transformer(config)
    if config.kind == "lstm":
        return LSTMModel(config)
    raise ValueError(f"unknown model kind '{config.kind}': use 'transformer' or 'lstm'")
