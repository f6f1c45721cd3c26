"""Train the drum model on the Groove MIDI Dataset (``python -m models.drums.train``): bf16 AMP, validation, resume."""

from __future__ import annotations

import argparse
import logging
import math
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from models.data.groove import DEFAULT_GROOVE, Performance, read_drum_folder, read_groove
from models.drums.kit import DRUM_METERS
from models.drums.checkpoint import read_drum_checkpoint, save_drum_checkpoint
from models.drums.vocab import BAR, EOS, FLAG_BEAT, FLAG_FILL, PAD, VOCAB, encode_bars, header
from models.transformer.checkpoint import restore_optimizer, restore_weights
from models.transformer.network import ModelConfig, build_model
from models.transformer.train import autocast, cosine_decay, start_run

log = logging.getLogger(__name__)

SIZES = {"tiny": (2, 2, 32), "small": (5, 4, 192), "base": (4, 4, 256)}  # (layers, heads, width); shipped: "small"


@dataclass
class DrumTrainConfig:
    """Everything one run needs; saved into the checkpoint's info."""

    data: str = str(DEFAULT_GROOVE)
    out: str = str(Path.home() / "continuo-train" / "drums")
    size: str = "small"
    seq_len: int = 384
    steps: int = 20000
    batch: int = 12
    lr: float = 1.5e-3
    min_lr: float = 1e-4
    warmup: int = 100
    weight_decay: float = 0.1
    dropout: float = 0.1
    eval_every: int = 100
    eval_windows: int = 48
    save_minutes: float = 3.0
    splice: float = 0.6  # share of 4/4 windows whose phrase ends get a fill take of the same session
    meter_weight: float = 6.0  # how much more often a bar of a meter other than 4/4 is drawn
    device: str = "auto"
    amp: bool = True
    threads: int = 1  # on a shared CPU, two threads waiting on each other ran 4x slower than one
    seed: int = 0
    limit: int = 0
    sources: tuple[str, ...] = ()  # midi:DIR:STYLE folders whose drum tracks train beside the Groove set
    source_weight: float = 4.0  # how much more often a bar of those folders is drawn than a Groove bar
    style_balance: float = 0.0  # 0: every bar alike; 1: every style alike; between: a style's share ~ its bars^(1-x)
    init: str = ""  # start from this checkpoint's weights when the run folder has no last.safetensors
    restart: bool = False  # with init: count steps from 0 (fine-tuning) rather than on from the checkpoint's step


class GrooveWindows:
    """Training windows: a header, then bars from one performance, phrase ends now and then replaced by a fill take.

    Fill takes are one to a few bars recorded apart from the grooves; their last bar, flagged
    ``FLAG_fill``, stands in for the last bar of a 4- or 8-bar phrase of a groove of the same session,
    style and tempo (of the same style when the session has none), so the model learns to play a fill
    when the flag asks and to come back to the groove after it.
    """

    def __init__(self, performances: Sequence[Performance], seq_len: int, splice: float, meter_weight: float,
                 source_weight: float = 1.0, style_balance: float = 0.0) -> None:
        self.seq_len, self.splice = seq_len, splice
        self.grooves: list[tuple[Performance, list[list[int]]]] = []
        self.fills: dict[tuple | str, list[list[int]]] = defaultdict(list)  # by (session, style, bpm) and by style
        self.fill_takes = 0
        for p in performances:
            bars = encode_bars(p.hits, p.meter, p.bars)
            if p.fill:
                if p.meter == (4, 4) and bars[-1]:
                    self.fills[(p.session, p.style, p.bpm)].append(bars[-1])
                    self.fills[p.style].append(bars[-1])
                    self.fill_takes += 1
            else:
                self.grooves.append((p, bars))
        weights = np.array([len(b) * (1.0 if p.meter == (4, 4) else meter_weight)
                            * (source_weight if p.drummer == "user" else 1.0) for p, b in self.grooves], float)
        if style_balance:  # the small styles (blues, pop, soul: a few dozen bars) drawn more than their share
            styles = [p.style for p, _ in self.grooves]
            totals = {style: weights[[s == style for s in styles]].sum() for style in set(styles)}
            weights = weights * np.array([totals[s] ** -style_balance for s in styles])
        self.weights = weights / weights.sum()

    def window(self, rng: np.random.Generator) -> np.ndarray:
        """One window of ``seq_len + 1`` tokens, padded with PAD."""
        p, bars = self.grooves[rng.choice(len(self.grooves), p=self.weights)]
        fills = self.fills.get((p.session, p.style, p.bpm)) or self.fills.get(p.style)
        period = int(rng.choice((4, 8))) if p.meter == (4, 4) and fills and rng.random() < self.splice else 0
        start = int(rng.integers(len(bars)))
        tokens = header(p.style, p.bpm, p.meter)
        for index in range(start, len(bars)):
            if period and (index + 1) % period == 0:
                tokens += [BAR, FLAG_FILL, *fills[int(rng.integers(len(fills)))]]
            else:
                tokens += [BAR, FLAG_BEAT, *bars[index]]
            if len(tokens) > self.seq_len:
                break
        else:
            tokens.append(EOS)
        out = np.full(self.seq_len + 1, PAD, dtype=np.int64)
        out[:min(len(tokens), len(out))] = tokens[:len(out)]
        return out

    def batch(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.stack([self.window(rng) for _ in range(size)])


def read_sources(specs: Sequence[str]) -> list[Performance]:
    """The drum tracks of each ``midi:DIR:STYLE`` folder; ValueError naming ``--source`` for another kind of spec."""
    out: list[Performance] = []
    for spec in specs:
        kind, _, rest = spec.partition(":")
        folder, _, style = rest.rpartition(":")
        if kind != "midi" or not folder:
            raise ValueError(f"--source {spec!r}: the drum model trains on MIDI folders, written midi:DIR:STYLE "
                             "with a drum style (e.g. midi:~/grooves:funk)")
        found = list(read_drum_folder(folder, style))
        if not found:
            raise ValueError(f"--source {spec!r}: no file there has drum notes on channel 10 in a meter the drum "
                             f"model learns ({', '.join(f'{a}/{b}' for a, b in DRUM_METERS)})")
        log.info("%s: %d drum tracks", spec, len(found))
        out += found
    return out


def learning_rate(step: int, cfg: DrumTrainConfig) -> float:
    """Linear warm-up, then cosine decay to ``min_lr``."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    return cosine_decay(step, cfg.lr, cfg.min_lr, cfg.warmup, cfg.steps)


def model_config(cfg: DrumTrainConfig) -> ModelConfig:
    if cfg.size not in SIZES:
        raise ValueError(f"unknown --size '{cfg.size}': choose from {', '.join(SIZES)}")
    layers, heads, width = SIZES[cfg.size]
    return ModelConfig(vocab_size=len(VOCAB), n_ctx=cfg.seq_len, n_layer=layers, n_head=heads, n_embd=width,
                       dropout=cfg.dropout)


def sequence_loss(model: torch.nn.Module, batch: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy over non-padding targets of ``batch`` (B, T + 1)."""
    logits = model(batch[:, :-1])  # (B, T, V)
    return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1), ignore_index=PAD)


@torch.no_grad()
def validate(model: torch.nn.Module, windows: torch.Tensor, cfg: DrumTrainConfig, device: torch.device) -> float:
    """Mean loss over the fixed validation windows (token-weighted)."""
    model.eval()
    total, count = 0.0, 0
    for chunk in windows.split(cfg.batch):
        chunk = chunk.to(device)
        with autocast(device, cfg.amp):
            n = int((chunk[:, 1:] != PAD).sum())
            total += float(sequence_loss(model, chunk)) * n
            count += n
    model.train()
    return total / max(1, count)


def train(cfg: DrumTrainConfig) -> Path:
    """Run (or resume from ``out/last.safetensors``) training; returns the path of the best checkpoint."""
    from tqdm import tqdm

    device, out, last_path, best_path = start_run(cfg.device, cfg.threads, cfg.seed, cfg.out)
    performances = list(read_groove(cfg.data, limit=cfg.limit)) + read_sources(cfg.sources)
    train_set = GrooveWindows([p for p in performances if p.split == "train"], cfg.seq_len, cfg.splice, cfg.meter_weight,
                              cfg.source_weight, cfg.style_balance)
    valid_perf = [p for p in performances if p.split == "validation"] or [p for p in performances if p.split == "train"]
    valid_set = GrooveWindows(valid_perf, cfg.seq_len, cfg.splice, cfg.meter_weight)
    valid_windows = torch.from_numpy(valid_set.batch(np.random.default_rng(1234), cfg.eval_windows))
    model, step, best, tensors = build_model(model_config(cfg)), 0, math.inf, None
    if last_path.exists():
        checkpoint, tensors = read_drum_checkpoint(last_path)
        model = build_model(checkpoint.config)
        restore_weights(model, tensors)
        step, best = checkpoint.step, checkpoint.info.get("best_valid", math.inf)
        log.info("resuming %s at step %d (best validation loss %.4f)", last_path, step, best)
    elif cfg.init:
        checkpoint, init_tensors = read_drum_checkpoint(Path(cfg.init).expanduser())
        model = build_model(checkpoint.config)
        restore_weights(model, init_tensors)
        step = 0 if cfg.restart else checkpoint.step
        log.info("starting from the weights of %s (trained %d steps) at step %d", cfg.init, checkpoint.step, step)
    model.to(device).train()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr, betas=(0.9, 0.95))
    restored = tensors is not None and restore_optimizer(model, optimizer, tensors)
    if restored:
        log.info("restored optimizer state")
    styles = sorted({p.style for p, _ in train_set.grooves})
    meters = sorted({f"{p.meter[0]}/{p.meter[1]}" for p, _ in train_set.grooves})
    params = sum(p.numel() for p in model.parameters())
    info = {"train": asdict(cfg), "parameters": params, "styles": styles, "meters": meters}
    log.info("drum transformer %d×%d: %.2fM parameters, %d grooves and %d fill takes, device %s", model.config.n_layer,
             model.config.n_embd, params / 1e6, len(train_set.grooves), train_set.fill_takes, device)
    rng = np.random.default_rng(cfg.seed * 1000 + step)
    bar = tqdm(total=cfg.steps, initial=step, unit="step", dynamic_ncols=True, mininterval=10)
    saved = time.monotonic()
    rewarm = step if step and not restored else 0  # an --init run's fresh optimizer moments warm up again
    while step < cfg.steps:
        lr = learning_rate(step, cfg) * (min(1.0, (step - rewarm + 1) / cfg.warmup) if rewarm else 1.0)
        for group in optimizer.param_groups:
            group["lr"] = lr
        batch = torch.from_numpy(train_set.batch(rng, cfg.batch)).to(device)
        with autocast(device, cfg.amp):
            loss = sequence_loss(model, batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.3f}", lr=f"{lr:.1e}", refresh=False)
        if step % cfg.eval_every == 0 or step == cfg.steps:
            valid = validate(model, valid_windows, cfg, device)
            log.info("step %d: train loss %.4f, valid loss %.4f", step, loss.item(), valid)
            if valid < best:
                best = valid
                save_drum_checkpoint(best_path, model, step, info | {"best_valid": best, "valid_loss": valid})
        if time.monotonic() - saved > cfg.save_minutes * 60 or step == cfg.steps:
            save_drum_checkpoint(last_path, model, step, info | {"best_valid": best}, optimizer)
            saved = time.monotonic()
    bar.close()
    return best_path


def export(source: str | Path, target: str | Path) -> Path:
    """Copy a checkpoint's weights in bfloat16, without optimizer state, for shipping."""
    checkpoint, tensors = read_drum_checkpoint(source)
    model = build_model(checkpoint.config)
    restore_weights(model, tensors)
    return save_drum_checkpoint(target, model, checkpoint.step, checkpoint.info, dtype=torch.bfloat16)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``continuo train --kind drums`` (shared with ``python -m models.drums.train``)."""
    d = DrumTrainConfig()
    parser.add_argument("--kind", choices=("drums",), default="drums", help="drums: train the drum model")
    parser.add_argument("--data", default=d.data, help="the Groove MIDI Dataset folder (info.csv and drummer folders)")
    parser.add_argument("--source", action="append", dest="sources", default=[], metavar="midi:DIR:STYLE",
                        help="a MIDI folder whose drum tracks (channel 10) train beside the Groove set, as a drum "
                             "style (repeatable)")
    parser.add_argument("--finetune", metavar="DIR:STYLE", default="",
                        help="fine-tune the shipped drum model on a MIDI folder (sets --source and --init)")
    parser.add_argument("--init", default=d.init, help="start from this checkpoint's weights, its learning-rate "
                        "schedule going on from its step (e.g. the shipped models/checkpoints/drums.safetensors)")
    parser.add_argument("--out", default=d.out, help="run folder: last.safetensors (resume) and best.safetensors")
    parser.add_argument("--size", default=d.size, choices=tuple(SIZES))
    for name in ("seq_len", "steps", "batch", "warmup", "eval_every", "eval_windows", "threads", "seed", "limit"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(d, name))
    for name in ("lr", "min_lr", "weight_decay", "dropout", "save_minutes", "splice", "meter_weight", "source_weight",
                 "style_balance"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=float, default=getattr(d, name))
    parser.add_argument("--device", default=d.device, help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--no-amp", dest="amp", action="store_false", help="train in float32")
    parser.add_argument("--export", metavar="PATH", default="", help="after training, write a bf16 copy of the best checkpoint here")


def run(args: argparse.Namespace) -> Path:
    """Build a DrumTrainConfig from parsed flags and train; returns the best checkpoint's path."""
    names = set(DrumTrainConfig.__dataclass_fields__) - {"sources"}
    cfg = DrumTrainConfig(**{k: v for k, v in vars(args).items() if k in names})
    cfg.sources = tuple(args.sources)
    if args.finetune:
        from models.registry import drums_checkpoint_path

        cfg.sources += (f"midi:{args.finetune}",)
        cfg.init = cfg.init or str(drums_checkpoint_path())
        cfg.lr, cfg.warmup, cfg.restart = min(cfg.lr, 3e-4), min(cfg.warmup, 50), True
    best = train(cfg)
    if args.export and best.exists():
        export(best, args.export)
    return best


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    main()
