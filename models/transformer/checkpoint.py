"""Checkpoints as one safetensors file: weights (plus optimizer state to resume), JSON config, tokenizer, what it learnt."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

from models.transformer.network import ModelConfig, build_model
from models.transformer.tokens import TOKENIZER_VERSION, VOCAB
from models.types import PARTS, STYLES

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
_TIED = ("head.weight",)  # shares storage with embed.weight; rebuilt by the module


class CheckpointError(ValueError):
    """A checkpoint file that is missing, of another format or tokenizer, or damaged."""


@dataclass
class Checkpoint:
    """What a checkpoint holds besides the tensors. ``info`` records the run: its settings (``train``),
    the styles and parts it learnt (``styles``, ``parts``), validation losses."""

    config: ModelConfig
    step: int = 0
    info: dict = field(default_factory=dict)


def checkpoint_tensors(model: nn.Module, optimizer: torch.optim.Optimizer | None = None,
                       dtype: torch.dtype | None = None) -> dict[str, torch.Tensor]:
    """``model.*`` weights (cast to ``dtype`` if given; the tied head left out) and ``optim.*`` state, as saved."""
    tensors = {f"model.{k}": (v.to(dtype) if dtype is not None and v.is_floating_point() else v).detach().cpu().contiguous()
               for k, v in model.state_dict().items() if k not in _TIED}
    if optimizer is not None:
        names = {id(p): n for n, p in model.named_parameters()}
        for group in optimizer.param_groups:
            for param in group["params"]:
                for key, value in optimizer.state.get(param, {}).items():
                    tensors[f"optim.{names[id(param)]}.{key}"] = torch.as_tensor(value).detach().cpu().contiguous()
    return tensors


def write_safetensors(path: str | Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str], step: int) -> Path:
    """Write ``tensors`` and JSON ``metadata`` to ``path`` atomically, readable by everyone; every checkpoint kind's writer."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    save_file(tensors, str(tmp), metadata=metadata)
    tmp.replace(path)
    path.chmod(0o644)  # safetensors writes owner-only files; a shipped checkpoint is read by everyone
    log.info("saved %s (step %d, %.1f MB)", path, step, path.stat().st_size / 1e6)
    return path


def read_safetensors(path: str | Path, missing: str) -> tuple[dict[str, str], dict[str, torch.Tensor]]:
    """``(metadata, tensors)`` of a safetensors file; every checkpoint kind's reader (it never unpickles).

    Raises:
        CheckpointError: no file at ``path`` (``missing`` says how to make one), or not a readable safetensors file.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(missing)
    try:
        with safe_open(str(path), framework="pt") as handle:
            meta = handle.metadata() or {}
            tensors = {k: handle.get_tensor(k) for k in handle.keys()}  # noqa: SIM118 - not a dict
    except Exception as err:  # safetensors raises its own SafetensorError and OSError
        raise CheckpointError(f"{path} is not a readable safetensors checkpoint: {err}") from err
    return meta, tensors


def save_checkpoint(path: str | Path, model: nn.Module, step: int, info: dict | None = None,
                    optimizer: torch.optim.Optimizer | None = None, dtype: torch.dtype | None = None) -> Path:
    """Write weights (cast to ``dtype`` if given), optional optimizer state and metadata atomically."""
    tensors = checkpoint_tensors(model, optimizer, dtype)
    config = model.config  # type: ignore[attr-defined]
    metadata = {
        "format_version": str(FORMAT_VERSION),
        "config": json.dumps(config.to_dict()),
        "tokenizer": json.dumps({"version": TOKENIZER_VERSION, "vocab": list(VOCAB.names)}),
        "step": str(step),
        "info": json.dumps(info or {}),
    }
    return write_safetensors(path, tensors, metadata, step)


def read_checkpoint(path: str | Path) -> tuple[Checkpoint, dict[str, torch.Tensor]]:
    """Metadata and every tensor of a checkpoint (checked against this tokenizer)."""
    meta, tensors = read_safetensors(path, f"no checkpoint at {path}: train one with 'continuo train' or pass "
                                           "--checkpoint")
    if meta.get("format_version") != str(FORMAT_VERSION):
        raise CheckpointError(f"{path} has checkpoint format {meta.get('format_version')}, expected {FORMAT_VERSION}")
    try:  # metadata is only ever JSON; anything else (a pickle, say) is refused, never loaded
        tokenizer, settings = json.loads(meta["tokenizer"]), json.loads(meta["config"])
        info, step = json.loads(meta.get("info", "{}")), int(meta.get("step", 0))
        version, vocab = tokenizer["version"], tuple(tokenizer["vocab"])
    except (KeyError, TypeError, ValueError) as err:  # json.JSONDecodeError is a ValueError
        raise CheckpointError(f"{path} is not a continuo checkpoint: its metadata is not the JSON "
                              f"'continuo train' writes ({type(err).__name__}: {err})") from err
    if version != TOKENIZER_VERSION or vocab != VOCAB.names:
        raise CheckpointError(f"{path} was trained with tokenizer version {version}; "
                              f"this code uses version {TOKENIZER_VERSION}: retrain or use a matching checkout")
    return Checkpoint(ModelConfig(**settings), step, info), tensors


def recorded_learning(checkpoint: Checkpoint, path: str | Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The styles and parts the checkpoint at ``path`` learnt, as its training run recorded them.

    Raises:
        CheckpointError: they are not recorded, or name a style or part this code does not know.
    """
    styles, parts = checkpoint.info.get("styles"), checkpoint.info.get("parts")
    if not (isinstance(styles, list) and styles and isinstance(parts, list) and parts):
        raise CheckpointError(f"{path} does not record the styles and parts it learnt: train it again with "
                              "'continuo train', which records them")
    unknown = [str(s) for s in styles if s not in STYLES] + [str(p) for p in parts if p not in PARTS]
    if unknown:
        raise CheckpointError(f"{path} learnt styles or parts this version does not know ({', '.join(unknown)}): "
                              "use a matching checkout or train it again")
    return tuple(styles), tuple(parts)


def load_model(path: str | Path, device: str | torch.device = "cpu") -> tuple[nn.Module, Checkpoint]:
    """Build the network stored in ``path`` in float32 on ``device``, in eval mode."""
    checkpoint, tensors = read_checkpoint(path)
    model = build_model(checkpoint.config)
    restore_weights(model, tensors)
    return model.to(device).eval(), checkpoint


def restore_weights(model: nn.Module, tensors: dict[str, torch.Tensor]) -> None:
    """Copy ``model.*`` tensors into ``model`` (cast to its dtype)."""
    state = {k[len("model."):]: v.float() if v.is_floating_point() else v
             for k, v in tensors.items() if k.startswith("model.")}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if [m for m in missing if m not in _TIED] or unexpected:
        raise CheckpointError(f"checkpoint does not match the network: missing {missing}, unexpected {unexpected}")


def restore_optimizer(model: nn.Module, optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor]) -> bool:
    """Load optimizer moments saved by ``save_checkpoint``; False when the file holds none."""
    found = False
    for name, param in model.named_parameters():
        state = {}
        for key in ("step", "exp_avg", "exp_avg_sq"):
            value = tensors.get(f"optim.{name}.{key}")
            if value is not None:
                state[key] = value.to(param.device) if key != "step" else value.float()
        if state:
            optimizer.state[param] = state
            found = True
    return found
