"""The VAE's checkpoint: one safetensors file with weights, optional optimizer state and JSON metadata (no pickle)."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from models.transformer.checkpoint import (
    CheckpointError,
    checkpoint_tensors,
    read_safetensors,
    restore_weights,
    write_safetensors,
)
from models.vae.network import ChordTextureVae, VaeConfig
from models.vae.roll import DURATIONS, LOW, PITCHES, STEPS

FORMAT = "continuo-vae-1"
# the roll the network reads and writes; a checkpoint made for another cannot be served
ROLL = {"steps": STEPS, "low": LOW, "pitches": PITCHES, "durations": list(DURATIONS)}


def save_vae_checkpoint(path: str | Path, model: ChordTextureVae, step: int, info: dict,
                        optimizer: torch.optim.Optimizer | None = None, dtype: torch.dtype | None = None) -> Path:
    """Write weights (cast to ``dtype`` if given), optional optimizer state and metadata, atomically."""
    tensors = checkpoint_tensors(model, optimizer, dtype)
    metadata = {"format": FORMAT, "config": json.dumps(model.config.to_dict()), "roll": json.dumps(ROLL),
                "step": str(step), "info": json.dumps(info)}
    return write_safetensors(path, tensors, metadata, step)


def read_vae_checkpoint(path: str | Path) -> tuple[VaeConfig, int, dict, dict[str, torch.Tensor]]:
    """``(config, step, info, tensors)`` of a VAE checkpoint.

    Raises:
        CheckpointError: missing, not a VAE checkpoint, or made for another piano roll.
    """
    meta, tensors = read_safetensors(path, f"no VAE at {path}: train one with 'python -m models.vae.train --out DIR' "
                                           "and export it")
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a VAE checkpoint (format {meta.get('format')!r})")
    if json.loads(meta.get("roll", "{}")) != ROLL:
        raise CheckpointError(f"{path} was trained on another piano roll than this code reads: train it again")
    return (VaeConfig(**json.loads(meta["config"])), int(meta.get("step", 0)), json.loads(meta.get("info", "{}")),
            tensors)


def load_vae(path: str | Path, device: str | torch.device = "cpu") -> tuple[ChordTextureVae, dict]:
    """The network stored at ``path`` in float32 on ``device`` in eval mode, and its info."""
    config, step, info, tensors = read_vae_checkpoint(path)
    model = ChordTextureVae(config)
    restore_weights(model, tensors)
    return model.to(device).eval(), {**info, "step": step}
