"""The drum model's checkpoint: one safetensors file with weights, optional optimizer state and JSON metadata."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

from models.drums.kit import DRUM_STYLES
from models.drums.vocab import VOCAB, VOCAB_VERSION
from models.transformer.checkpoint import Checkpoint, CheckpointError, checkpoint_tensors, restore_weights
from models.transformer.network import ModelConfig, build_model

log = logging.getLogger(__name__)

FORMAT = "continuo-drums-1"


def save_drum_checkpoint(path: str | Path, model: nn.Module, step: int, info: dict,
                         optimizer: torch.optim.Optimizer | None = None, dtype: torch.dtype | None = None) -> Path:
    """Write weights (cast to ``dtype`` if given), optional optimizer state and metadata, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = checkpoint_tensors(model, optimizer, dtype)
    metadata = {"format": FORMAT, "config": json.dumps(model.config.to_dict()),  # type: ignore[attr-defined]
                "vocab": json.dumps({"version": VOCAB_VERSION, "names": list(VOCAB.names)}),
                "step": str(step), "info": json.dumps(info)}
    tmp = path.with_suffix(".tmp")
    save_file(tensors, str(tmp), metadata=metadata)
    tmp.replace(path)
    path.chmod(0o644)
    log.info("saved %s (step %d, %.1f MB)", path, step, path.stat().st_size / 1e6)
    return path


def read_drum_checkpoint(path: str | Path) -> tuple[Checkpoint, dict[str, torch.Tensor]]:
    """Metadata and tensors of a drum checkpoint, checked against this vocabulary.

    Raises:
        CheckpointError: missing, not a drum checkpoint, or made with another vocabulary.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"no drum model at {path}: train one with 'python -m models.drums.train'")
    try:
        with safe_open(str(path), framework="pt") as handle:
            meta = handle.metadata() or {}
            tensors = {k: handle.get_tensor(k) for k in handle.keys()}  # noqa: SIM118 - not a dict
    except Exception as err:  # safetensors raises its own SafetensorError and OSError
        raise CheckpointError(f"{path} is not a readable safetensors checkpoint: {err}") from err
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
