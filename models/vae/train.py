"""Train the chord-and-texture VAE on POP909 (``python -m models.vae.train --out DIR``): resumes from DIR, exports.

KL annealing from 0 to ``beta`` with free bits per latent dimension; random transposition of roll and chords
together; bf16 autocast on the CPU; held-out onset F1 every ``eval_every`` steps, the best kept apart.
"""

from __future__ import annotations

import argparse
import logging
import math
import signal
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from models.transformer.checkpoint import restore_optimizer, restore_weights
from models.transformer.train import autocast, start_run
from models.vae.checkpoint import read_vae_checkpoint, save_vae_checkpoint
from models.vae.data import DEFAULT_POP909, Segments, cached
from models.vae.metrics import onset_scores
from models.vae.network import ChordTextureVae, VaeConfig, count_parameters

log = logging.getLogger(__name__)

DEFAULT_OUT = Path.home() / "continuo-train" / "vae"
SHIPPED = Path(__file__).resolve().parents[1] / "checkpoints" / "vae.safetensors"


@dataclass
class VaeTrainConfig:
    """Everything one run needs; saved into the checkpoint's info."""

    data: str = str(DEFAULT_POP909)
    out: str = str(DEFAULT_OUT)
    steps: int = 10000
    batch: int = 64
    lr: float = 2e-3
    min_lr: float = 5e-5
    warmup: int = 200
    weight_decay: float = 0.01
    beta: float = 0.1  # KL weight after annealing
    anneal: int = 600  # steps over which the KL weight rises from 0 to beta
    free_bits: float = 0.1  # nats per latent dimension that cost nothing
    chord_weight: float = 1.0  # the chord head's loss, which keeps z_chord about harmony
    transpose: int = 6  # random transposition by -transpose..transpose-1 semitones
    eval_every: int = 200
    eval_segments: int = 512
    save_minutes: float = 4.0
    device: str = "cpu"
    amp: bool = True
    threads: int = 1  # on a shared CPU one thread ran faster than two waiting on each other
    seed: int = 0
    limit: int = 0  # songs at most (0: all), for smoke runs


def learning_rate(step: int, cfg: VaeTrainConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = min(1.0, (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup))
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + math.cos(math.pi * progress))


def kl_term(mu: torch.Tensor, logvar: torch.Tensor, free_bits: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``(KL with free bits, plain KL)`` per example, summed over dimensions; a dimension's batch-mean KL below
    ``free_bits`` is not penalised, so the encoder keeps using it."""
    kl = 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1)  # (B, Z)
    per_dim = kl.mean(0)
    return torch.clamp(per_dim, min=free_bits).sum(), per_dim.sum()


def losses(model: ChordTextureVae, roll: torch.Tensor, durations: torch.Tensor, chords: torch.Tensor,
           cfg: VaeTrainConfig, sample: bool = True) -> dict[str, torch.Tensor]:
    """Reconstruction (onsets, durations), chord head and KL terms, each a per-example mean."""
    (mu_c, lv_c), (mu_t, lv_t) = model.encode(roll, chords)
    mu_c, lv_c, mu_t, lv_t = mu_c.float(), lv_c.float(), mu_t.float(), lv_t.float()
    if sample:
        z_c = mu_c + torch.randn_like(mu_c) * (0.5 * lv_c).exp()
        z_t = mu_t + torch.randn_like(mu_t) * (0.5 * lv_t).exp()
    else:
        z_c, z_t = mu_c, mu_t
    onset_logits, duration_logits = model.decode(z_c, z_t)
    onsets = roll[:, 0]  # (B, 32, 88)
    b = roll.shape[0]
    onset_loss = F.binary_cross_entropy_with_logits(onset_logits.float(), onsets, reduction="sum") / b
    struck = onsets.bool()
    duration_loss = F.cross_entropy(duration_logits.float()[struck], durations[struck], reduction="sum") / b
    chord_logits = model.chord_logits(z_c).float()  # (B, 8, 36)
    present = chords[..., :12].sum(-1) > 0  # (B, 8)
    chord_loss = F.binary_cross_entropy_with_logits(chord_logits[..., :12], chords[..., :12], reduction="sum") / b
    for k in (1, 2):
        target = chords[..., 12 * k:12 * (k + 1)].argmax(-1)
        chord_loss = chord_loss + F.cross_entropy(chord_logits[..., 12 * k:12 * (k + 1)][present], target[present],
                                                  reduction="sum") / b
    kl_c, raw_c = kl_term(mu_c, lv_c, cfg.free_bits)
    kl_t, raw_t = kl_term(mu_t, lv_t, cfg.free_bits)
    return {"onset": onset_loss, "duration": duration_loss, "chord": chord_loss, "kl": kl_c + kl_t,
            "kl_chord": raw_c, "kl_texture": raw_t, "onset_logits": onset_logits}


@torch.no_grad()
def validate(model: ChordTextureVae, segments: Segments, cfg: VaeTrainConfig) -> dict[str, float]:
    """Held-out onset precision, recall and F1 decoding the latents' means, and the mean loss terms."""
    model.eval()
    predicted, truth, totals = [], [], {"onset": 0.0, "duration": 0.0, "chord": 0.0, "kl_chord": 0.0,
                                        "kl_texture": 0.0}
    indices = np.arange(min(len(segments), cfg.eval_segments))
    for chunk in np.array_split(indices, max(1, len(indices) // cfg.batch)):
        rolls, durations, chords = segments.batch(chunk)
        with autocast(torch.device("cpu"), cfg.amp):
            terms = losses(model, *map(torch.from_numpy, (rolls, durations, chords)), cfg, sample=False)
        for key in totals:
            totals[key] += float(terms[key]) * len(chunk)
        predicted.append(terms["onset_logits"].float().numpy() > 0)
        truth.append(rolls[:, 0] > 0)
    model.train()
    precision, recall, f1 = onset_scores(np.concatenate(predicted), np.concatenate(truth))
    return {"precision": precision, "recall": recall, "f1": f1} | {k: v / len(indices) for k, v in totals.items()}


def train(cfg: VaeTrainConfig) -> Path:
    """Run (or resume from ``out/last.safetensors``) training; returns the path of the best checkpoint."""
    from tqdm import tqdm

    device, out, last_path, best_path = start_run(cfg.device, cfg.threads, cfg.seed, cfg.out)
    suffix = f"-{cfg.limit}" if cfg.limit else ""
    train_set = cached(cfg.data, out / f"segments-train{suffix}.npz", test=False, limit=cfg.limit)
    valid_set = cached(cfg.data, out / f"segments-test{suffix}.npz", test=True, limit=cfg.limit)
    order = np.random.default_rng(1234).permutation(len(valid_set))[: cfg.eval_segments]
    valid_set = Segments(*_subset(valid_set, order))
    model, step, best, tensors = ChordTextureVae(VaeConfig()), 0, 0.0, None
    if last_path.exists():
        config, step, info, tensors = read_vae_checkpoint(last_path)
        model = ChordTextureVae(config)
        restore_weights(model, tensors)
        best = info.get("best_f1", 0.0)
        log.info("resuming %s at step %d (best held-out onset F1 %.3f)", last_path, step, best)
    model.to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    if tensors is not None and restore_optimizer(model, optimizer, tensors):
        log.info("restored optimizer state")
    info = {"train": asdict(cfg), "parameters": count_parameters(model), "segments": len(train_set)}
    log.info("chord-texture VAE: %.2fM parameters, %d training segments, %d held out", count_parameters(model) / 1e6,
             len(train_set), len(valid_set))
    rng = np.random.default_rng(cfg.seed * 100003 + step)
    bar = tqdm(total=cfg.steps, initial=step, unit="step", dynamic_ncols=True, mininterval=30)
    saved = time.monotonic()
    signal.signal(signal.SIGTERM, _stop)  # `kill PID` saves the step reached, then stops
    try:
        while step < cfg.steps:
            lr = learning_rate(step, cfg)
            for group in optimizer.param_groups:
                group["lr"] = lr
            indices = rng.integers(0, len(train_set), cfg.batch)
            shifts = rng.integers(-cfg.transpose, cfg.transpose, cfg.batch)
            batch = [torch.from_numpy(array).to(device) for array in train_set.batch(indices, shifts)]
            beta = cfg.beta * min(1.0, step / max(1, cfg.anneal))
            with autocast(device, cfg.amp):
                terms = losses(model, *batch, cfg)
            loss = terms["onset"] + terms["duration"] + cfg.chord_weight * terms["chord"] + beta * terms["kl"]
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{float(loss.detach()):.1f}", kl=f"{float(terms['kl'].detach()):.1f}", refresh=False)
            if step % cfg.eval_every == 0 or step == cfg.steps:
                scores = validate(model, valid_set, cfg)
                log.info("step %d: train onset %.1f duration %.1f chord %.2f | held-out onset F1 %.3f (P %.3f R %.3f), "
                         "KL chord %.1f texture %.1f", step, float(terms["onset"]), float(terms["duration"]),
                         float(terms["chord"]), scores["f1"], scores["precision"], scores["recall"], scores["kl_chord"],
                         scores["kl_texture"])
                if scores["f1"] > best:
                    best = scores["f1"]
                    save_vae_checkpoint(best_path, model, step, info | {"best_f1": best, "held_out": scores})
            if time.monotonic() - saved > cfg.save_minutes * 60 or step == cfg.steps:
                save_vae_checkpoint(last_path, model, step, info | {"best_f1": best}, optimizer)
                saved = time.monotonic()
    except KeyboardInterrupt:
        log.info("stopped at step %d: saving it", step)
        save_vae_checkpoint(last_path, model, step, info | {"best_f1": best}, optimizer)
        raise SystemExit(130) from None
    bar.close()
    return best_path


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt


def _subset(segments: Segments, order: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rows = [segments.segment(i) for i in order]
    offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    return np.concatenate(rows), offsets, segments.chords[order], segments.songs[order]


def export(source: str | Path, target: str | Path = SHIPPED) -> Path:
    """Write a checkpoint's weights in float16, without optimizer state, for shipping."""
    config, step, info, tensors = read_vae_checkpoint(source)
    model = ChordTextureVae(config)
    restore_weights(model, tensors)
    return save_vae_checkpoint(target, model, step, info, dtype=torch.float16)


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m models.vae.train", description=__doc__.splitlines()[0])
    defaults = VaeTrainConfig()
    for name, value in asdict(defaults).items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=value)
        else:
            parser.add_argument(flag, type=type(value), default=value)
    parser.add_argument("--export", nargs="?", const=str(SHIPPED), default=None, metavar="PATH",
                        help="write OUT's best (else last) checkpoint, in float16, to PATH (default: the shipped "
                             "models/checkpoints/vae.safetensors) and stop")
    args = vars(parser.parse_args(argv))
    target = args.pop("export")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cfg = VaeTrainConfig(**args)
    if target is not None:
        out = Path(cfg.out).expanduser()
        source = out / "best.safetensors" if (out / "best.safetensors").exists() else out / "last.safetensors"
        return export(source, target)
    return train(cfg)


if __name__ == "__main__":
    main()
