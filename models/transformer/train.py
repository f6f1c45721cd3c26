"""Training loop (``continuo train``, ``python -m models.train``): AMP, DDP, validation, checkpoints, resume."""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from models.data.token_cache import DEFAULT_CACHE, TokenCache, load_splits
from models.data.windows import WindowSampler
from models.transformer.checkpoint import (
    Checkpoint,
    read_checkpoint,
    recorded_learning,
    restore_optimizer,
    restore_weights,
    save_checkpoint,
)
from models.transformer.generator import parts_of
from models.transformer.network import ModelConfig, build_model
from models.transformer.tokens import PAD, TRACKS, VOCAB
from models.types import STYLES

log = logging.getLogger(__name__)

SIZES = {  # name -> (layers, heads, width); the shipped transformer is "small"
    "tiny": (2, 2, 64),
    "small": (4, 4, 256),
    "base": (6, 4, 320),
    "large": (8, 8, 512),
    "lstm": (2, 4, 384),  # the LSTM baseline: 2 layers of 384 units (heads unused)
}
DEFAULT_SOURCES = ("pop909:../shared/datasets/pop909", "music21")


@dataclass
class TrainConfig:
    """Everything one run needs; saved into the checkpoint's info."""

    sources: tuple[str, ...] = DEFAULT_SOURCES
    out: str = str(Path.home() / "continuo-train" / "transformer")
    cache_dir: str = str(DEFAULT_CACHE)
    kind: str = "transformer"
    size: str = "base"
    seq_len: int = 1024
    steps: int = 20000
    batch: int = 16
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup: int = 200
    schedule: str = "cosine"
    weight_decay: float = 0.1
    eval_every: int = 250
    eval_batches: int = 8
    save_every: int = 100
    device: str = "auto"
    amp: bool = True
    threads: int = 0
    init: str = ""
    seed: int = 0
    limit: int = 0


def learning_rate(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to ``min_lr`` (or constant)."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    if cfg.schedule == "constant":
        return cfg.lr
    return cosine_decay(step, cfg.lr, cfg.min_lr, cfg.warmup, cfg.steps)


def cosine_decay(step: int, lr: float, min_lr: float, warmup: int, steps: int) -> float:
    """Cosine decay from ``lr`` after ``warmup`` steps to ``min_lr`` at ``steps`` (any trainer's schedule)."""
    progress = min(1.0, (step - warmup) / max(1, steps - warmup))
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * progress))


def model_config(cfg: TrainConfig) -> ModelConfig:
    if cfg.size not in SIZES:
        raise ValueError(f"unknown size '{cfg.size}': choose from {', '.join(SIZES)}")
    layers, heads, width = SIZES[cfg.size]
    return ModelConfig(vocab_size=len(VOCAB), n_ctx=cfg.seq_len, n_layer=layers, n_head=heads, n_embd=width,
                       kind=cfg.kind)


def autocast(device: torch.device, enabled: bool) -> contextlib.AbstractContextManager:
    """bf16 autocast on CPU and on GPUs that support it, fp16 on older GPUs; nothing when disabled."""
    if not enabled:
        return contextlib.nullcontext()
    if device.type == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.autocast("cuda", dtype=dtype)
    return torch.autocast(device.type, dtype=torch.bfloat16)


def size_name(config: ModelConfig) -> str:
    """The ``SIZES`` name of a network's shape ("custom" when it has none)."""
    shape = (config.n_layer, config.n_head, config.n_embd)
    return next((name for name, dims in SIZES.items() if dims == shape), "custom")


def learnt(cache: TokenCache, start: tuple[Checkpoint, str] | None = None) -> dict[str, list[str]]:
    """``{"styles", "parts"}`` a run learns: those of its training pieces, plus what the checkpoint it
    starts from (``(checkpoint, path)``) recorded."""
    styles = {STYLES[index] for index in np.unique(cache.pieces[:, 0])}
    parts = set(parts_of(TRACKS[index] for index in np.unique(cache.sections[:, 0])))
    if start is not None:
        base_styles, base_parts = recorded_learning(*start)
        styles, parts = styles | set(base_styles), parts | set(base_parts)
    return {"styles": sorted(styles), "parts": list(parts_of(parts))}


def sequence_loss(model: torch.nn.Module, batch: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy over non-padding targets of ``batch`` (B, T + 1)."""
    inputs, targets = batch[:, :-1], batch[:, 1:]
    logits = model(inputs)  # (B, T, V)
    return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=PAD)


@torch.no_grad()
def validate(model: torch.nn.Module, cache: TokenCache, cfg: TrainConfig, device: torch.device) -> float:
    """Mean loss on fixed windows of ``cache`` (same windows every call)."""
    sampler = WindowSampler(cache, cfg.seq_len, seed=1234, transpose=False)
    model.eval()
    losses = []
    for _ in range(cfg.eval_batches):
        batch = torch.from_numpy(sampler.batch(max(1, cfg.batch // 2))).to(device)
        with autocast(device, cfg.amp):
            losses.append(float(sequence_loss(model, batch)))
    model.train()
    return float(np.mean(losses))


def _distributed() -> tuple[int, int, int]:
    """(rank, local rank, world size) from torchrun's environment; (0, 0, 1) when run alone."""
    return int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


def pick_device(name: str, local_rank: int = 0) -> torch.device:
    if name == "auto":
        name = f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but PyTorch sees no CUDA GPU: use --device cpu")
    return torch.device(name)


def start_run(device: str, threads: int, seed: int, out: str) -> tuple[torch.device, Path, Path, Path]:
    """A one-process run's set-up: (its device, run folder, ``last.safetensors``, ``best.safetensors``),
    with torch's threads and seed set."""
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    folder = Path(out).expanduser()
    return pick_device(device), folder, folder / "last.safetensors", folder / "best.safetensors"


def train(cfg: TrainConfig) -> Path:
    """Run (or resume) training; returns the path of the best checkpoint."""
    from tqdm import tqdm

    rank, local_rank, world = _distributed()
    device = pick_device(cfg.device, local_rank)
    if world > 1:
        torch.distributed.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed + rank)
    out = Path(cfg.out).expanduser()
    last_path, best_path = out / "last.safetensors", out / "best.safetensors"
    splits = load_splits(cfg.sources, Path(cfg.cache_dir).expanduser(), cfg.limit)
    if not len(splits["train"]):
        raise ValueError(f"no training pieces in {', '.join(cfg.sources)}: check the paths and formats")
    if not len(splits["valid"]):
        log.warning("no validation pieces (too few pieces for a split): validating on training pieces")
        splits["valid"] = splits["train"]
    config = model_config(cfg)
    step, best = 0, math.inf
    model = build_model(config)
    optimizer_tensors, start = None, None
    if last_path.exists():
        checkpoint, tensors = read_checkpoint(last_path)
        model = build_model(checkpoint.config)
        restore_weights(model, tensors)
        optimizer_tensors = tensors
        step, best = checkpoint.step, checkpoint.info.get("best_valid", math.inf)
        log.info("resuming %s at step %d", last_path, step)
        if cfg.init:  # a fine-tune resumed: what it started from still counts as learnt
            start = read_checkpoint(cfg.init)[0], cfg.init
    elif cfg.init:
        checkpoint, tensors = read_checkpoint(cfg.init)
        model = build_model(checkpoint.config)
        restore_weights(model, tensors)
        start = checkpoint, cfg.init
        if cfg.seq_len > checkpoint.config.n_ctx:  # rotary positions past the trained context are untrained
            log.info("windows of %d tokens (the checkpoint's context), not %d", checkpoint.config.n_ctx, cfg.seq_len)
            cfg.seq_len = checkpoint.config.n_ctx
        log.info("fine-tuning from %s (step %d)", cfg.init, checkpoint.step)
    cfg.kind, cfg.size = model.config.kind, size_name(model.config)  # recorded: they rebuild this network
    model.to(device).train()
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr, betas=(0.9, 0.95),
                                  fused=device.type == "cuda")
    if optimizer_tensors is not None and restore_optimizer(model, optimizer, optimizer_tensors):
        log.info("restored optimizer state")
    net = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[local_rank] if device.type == "cuda" else None)
    scaler = torch.amp.GradScaler("cuda", enabled=cfg.amp and device.type == "cuda" and not torch.cuda.is_bf16_supported())
    sampler = WindowSampler(splits["train"], cfg.seq_len, seed=cfg.seed * 1000 + rank * 7919 + step)
    params = sum(p.numel() for p in model.parameters())
    log.info("%s %d×%d: %.2fM parameters, %d train pieces, device %s", model.config.kind, model.config.n_layer,
             model.config.n_embd, params / 1e6,
             len(splits["train"]), device)
    bar = tqdm(total=cfg.steps, initial=step, disable=rank != 0, unit="step", dynamic_ncols=True, mininterval=5)
    started, tokens_seen = time.perf_counter(), 0
    info = {"train": vars(cfg) | {"sources": list(cfg.sources)}, "parameters": params} | learnt(splits["train"], start)
    while step < cfg.steps:
        lr = learning_rate(step, cfg)
        for group in optimizer.param_groups:
            group["lr"] = lr
        batch = torch.from_numpy(sampler.batch(cfg.batch)).to(device, non_blocking=True)
        with autocast(device, cfg.amp):
            loss = sequence_loss(net, batch)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
        step += 1
        tokens_seen += int((batch[:, 1:] != PAD).sum()) * world
        rate = tokens_seen / (time.perf_counter() - started)
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.3f}", tok_s=f"{rate:,.0f}", lr=f"{lr:.1e}", refresh=False)
        if rank != 0:
            continue
        if step % cfg.eval_every == 0 or step == cfg.steps:
            valid = validate(model, splits["valid"], cfg, device)
            log.info("step %d: train loss %.4f, valid loss %.4f, %.0f tokens/s", step, loss.item(), valid, rate)
            if valid < best:
                best = valid
                save_checkpoint(best_path, model, step, info | {"best_valid": best, "valid_loss": valid})
        if step % cfg.save_every == 0 or step == cfg.steps:
            save_checkpoint(last_path, model, step, info | {"best_valid": best}, optimizer)
    bar.close()
    if world > 1:
        torch.distributed.destroy_process_group()
    return best_path


def export(source: str | Path, target: str | Path) -> Path:
    """Copy a checkpoint's weights in bfloat16, without optimizer state, for shipping."""
    checkpoint, tensors = read_checkpoint(source)
    model = build_model(checkpoint.config)
    restore_weights(model, tensors)
    return save_checkpoint(target, model, checkpoint.step, checkpoint.info, dtype=torch.bfloat16)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``continuo train`` (shared with ``python -m models.train``)."""
    d = TrainConfig()
    parser.add_argument("--source", action="append", dest="sources",
                        help="pop909:DIR, music21[:bach,palestrina,...] or midi:DIR:STYLE (repeatable; "
                             f"default {' '.join(DEFAULT_SOURCES)})")
    parser.add_argument("--out", default=d.out, help="run folder: last.safetensors (resume) and best.safetensors")
    parser.add_argument("--cache-dir", default=d.cache_dir, help="tokenized-data cache")
    parser.add_argument("--kind", default=d.kind, choices=("transformer", "lstm", "drums"),
                        help="transformer or lstm; drums trains the drum model (its own flags: --kind drums --help)")
    parser.add_argument("--size", default=d.size, choices=tuple(SIZES))
    parser.add_argument("--seq-len", type=int, default=d.seq_len)
    parser.add_argument("--steps", type=int, default=d.steps, help="total optimizer steps (resume continues to it)")
    parser.add_argument("--batch", type=int, default=d.batch, help="windows per step per process")
    parser.add_argument("--lr", type=float, default=d.lr)
    parser.add_argument("--min-lr", type=float, default=d.min_lr)
    parser.add_argument("--warmup", type=int, default=d.warmup)
    parser.add_argument("--schedule", default=d.schedule, choices=("cosine", "constant"))
    parser.add_argument("--eval-every", type=int, default=d.eval_every)
    parser.add_argument("--eval-batches", type=int, default=d.eval_batches)
    parser.add_argument("--save-every", type=int, default=d.save_every)
    parser.add_argument("--device", default=d.device, help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--no-amp", dest="amp", action="store_false", help="train in float32")
    parser.add_argument("--threads", type=int, default=d.threads, help="CPU threads (0: PyTorch's default)")
    parser.add_argument("--init", default=d.init, help="fine-tune: start from this checkpoint's weights")
    parser.add_argument("--finetune", metavar="MIDI_DIR:STYLE", default="",
                        help="fine-tune the shipped model on a MIDI folder (sets --source and --init)")
    parser.add_argument("--export", metavar="PATH", default="", help="after training, write a bf16 copy of the best checkpoint here")
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--limit", type=int, default=d.limit, help="read at most this many pieces per source (tests)")


def run(args: argparse.Namespace) -> Path:
    """Build a TrainConfig from parsed flags and train."""
    names = set(TrainConfig.__dataclass_fields__) - {"sources"}
    cfg = TrainConfig(**{k: v for k, v in vars(args).items() if k in names})
    if args.sources:
        cfg.sources = tuple(args.sources)
    if args.finetune:
        from models.registry import transformer_checkpoint_path

        cfg.sources = (f"midi:{args.finetune}",)
        cfg.init = cfg.init or str(transformer_checkpoint_path())
        cfg.lr, cfg.warmup = min(cfg.lr, 3e-4), min(cfg.warmup, 50)
    best = train(cfg)
    if args.export and best.exists():
        export(best, args.export)
    return best


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_arguments(parser)
    run(parser.parse_args(argv))


if __name__ == "__main__":  # run directly (or by torchrun) rather than through the continuo command
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("music21").setLevel(logging.WARNING)
    main()
