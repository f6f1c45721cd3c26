"""The drum model's checkpoint: one safetensors file with weights, optional optimizer state and JSON metadata."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from models.drums.kit import DRUM_STYLES
from models.drums.vocab import VOCAB, VOCAB_VERSION
from models.transformer.checkpoint import (
    Checkpoint,
    CheckpointError,
    checkpoint_tensors,
    read_safetensors,
    restore_weights,
    write_safetensors,
)
from models.transformer.network import ModelConfig, build_model

FORMAT = "continuo-drums-1"


def save_drum_checkpoint(path: str | Path, model: nn.Module, step: int, info: dict,
                         optimizer: torch.optim.Optimizer | None = None, dtype: torch.dtype | None = None) -> Path:
    """Write weights (cast to ``dtype`` if given), optional optimizer state and metadata, atomically."""
    tensors = checkpoint_tensors(model, optimizer, dtype)
    metadata = {"format": FORMAT, "config": json.dumps(model.config.to_dict()),  # type: ignore[attr-defined]
                "vocab": json.dumps({"version": VOCAB_VERSION, "names": list(VOCAB.names)}),
                "step": str(step), "info": json.dumps(info)}
    return write_safetensors(path, tensors, metadata, step)


def read_drum_checkpoint(path: str | Path) -> tuple[Checkpoint, dict[str, torch.Tensor]]:
    """Metadata and tensors of a drum checkpoint, checked against this vocabulary.

    Raises:
        CheckpointError: missing, not a drum checkpoint, or made with another vocabulary.
    """
    meta, tensors = read_safetensors(path, f"no drum model at {path}: train one with 'python -m models.drums.train'")
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a drum model checkpoint (format {meta.get('format')!r})")
    vocab = json.loads(meta["vocab"])
    if vocab.get("version") != VOCAB_VERSION or tuple(vocab.get("names", ())) != VOCAB.names:
        raise CheckpointError(f"{path} was trained with drum vocabulary version {vocab.get('version')}; this code "
                              f"uses version {VOCAB_VERSION}: train it again or use a matching checkout")
    info = json.loads(meta.get("info", "{}"))
    styles = info.get("styles")
    if not (isinstance(styles, list) and styles and set(styles) <= set(DRUM_STYLES)):
        raise CheckpointError(f"{path} does not record the drum styles it learnt: train it again")
    return Checkpoint(ModelConfig(**json.loads(meta["config"])), int(meta.get("step", 0)), info), tensors


def load_drum_model(path: str | Path, device: str | torch.device = "cpu") -> tuple[nn.Module, Checkpoint]:
    """The network stored at ``path`` in float32 on ``device``, in eval mode."""
    checkpoint, tensors = read_drum_checkpoint(path)
    model = build_model(checkpoint.config)
    restore_weights(model, tensors)
    return model.to(device).eval(), checkpoint
