"""The VAE's checkpoint: one safetensors file with weights, optional optimizer state and JSON metadata (no pickle)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from models.transformer.checkpoint import CheckpointError, checkpoint_tensors, restore_weights
from models.vae.network import ChordTextureVae, VaeConfig
from models.vae.roll import DURATIONS, LOW, PITCHES, STEPS

log = logging.getLogger(__name__)

FORMAT = "continuo-vae-1"
# the roll the network reads and writes; a checkpoint made for another cannot be served
ROLL = {"steps": STEPS, "low": LOW, "pitches": PITCHES, "durations": list(DURATIONS)}


def save_vae_checkpoint(path: str | Path, model: ChordTextureVae, step: int, info: dict,
                        optimizer: torch.optim.Optimizer | None = None, dtype: torch.dtype | None = None) -> Path:
    """Write weights (cast to ``dtype`` if given), optional optimizer state and metadata, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = checkpoint_tensors(model, optimizer, dtype)
    metadata = {"format": FORMAT, "config": json.dumps(model.config.to_dict()), "roll": json.dumps(ROLL),
                "step": str(step), "info": json.dumps(info)}
    tmp = path.with_suffix(".tmp")
    save_file(tensors, str(tmp), metadata=metadata)
    tmp.replace(path)
    path.chmod(0o644)
    log.info("saved %s (step %d, %.1f MB)", path, step, path.stat().st_size / 1e6)
    return path


def read_vae_checkpoint(path: str | Path) -> tuple[VaeConfig, int, dict, dict[str, torch.Tensor]]:
    """``(config, step, info, tensors)`` of a VAE checkpoint.

    Raises:
        CheckpointError: missing, not a VAE checkpoint, or made for another piano roll.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"no VAE at {path}: train one with 'python -m models.vae.train --out DIR' and export it")
    try:
        with safe_open(str(path), framework="pt") as handle:
            meta = handle.metadata() or {}
            tensors = {k: handle.get_tensor(k) for k in handle.keys()}  # noqa: SIM118 - not a dict
    except Exception as err:  # safetensors raises its own SafetensorError and OSError
        raise CheckpointError(f"{path} is not a readable safetensors checkpoint: {err}") from err
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
