"""Training: a tiny run that resumes, what a checkpoint records it learnt, and two-process (DDP) training."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from models.data.midi import write_midi
from models.data.token_cache import TokenCache, load_splits
from models.transformer.checkpoint import CheckpointError, read_checkpoint, save_checkpoint
from models.transformer.network import ModelConfig, build_model
from models.transformer.tokens import VOCAB
from models.transformer.train import TrainConfig, learnt, train
from tests.conftest import REPO
from tests.models.data.test_token_cache import piece_of


def _midi_folder(folder, songs: int = 3):
    folder.mkdir()
    for index in range(songs):
        write_midi(piece_of(bars=8).tracks, folder / f"song{index}.mid")
    return folder


def _config(tmp_path, **changes) -> TrainConfig:
    settings = dict(sources=(f"midi:{tmp_path / 'midi'}:custom",), out=str(tmp_path / "run"),
                    cache_dir=str(tmp_path / "cache"), size="tiny", seq_len=64, steps=3, batch=2, eval_every=2,
                    eval_batches=1, save_every=2, warmup=1, threads=1)
    return TrainConfig(**(settings | changes))


def test_tiny_training_run_and_resume(tmp_path):
    from models.registry import load_generator
    from models.types import Request

    _midi_folder(tmp_path / "midi")
    cfg = _config(tmp_path)
    best = train(cfg)
    assert best.exists() and read_checkpoint(tmp_path / "run" / "last.safetensors")[0].step == 3
    cfg.steps = 5
    train(cfg)
    checkpoint, tensors = read_checkpoint(tmp_path / "run" / "last.safetensors")
    assert checkpoint.step == 5 and any(k.startswith("optim.") for k in tensors)
    assert checkpoint.info["train"]["size"] == "tiny"
    assert checkpoint.info["styles"] == ["custom"] and checkpoint.info["parts"] == ["melody", "keys", "bass"]
    splits = load_splits(cfg.sources, tmp_path / "cache")
    assert sum(len(split) for split in splits.values()) == 3
    generator = load_generator(str(best), "cpu")  # what the run learnt is what the checkpoint serves itself
    [pop] = generator.generate(Request(chords="C | G", parts=("bass",), seed=1))  # a shipped model plays pop
    assert pop.info["model"] == "transformer" and "style 'pop' is not one the transformer-best model learnt" in \
        pop.info["notice"]
    [custom] = generator.generate(Request(chords="C | G", parts=("bass",), style="custom", seed=1))
    assert custom.info["model"] == "transformer-best" and "notice" not in custom.info


def test_a_run_learns_its_pieces_styles_and_parts_and_those_it_started_from(tmp_path):
    cache = TokenCache.from_pieces([piece_of("a", "folk")])
    assert learnt(cache) == {"styles": ["folk"], "parts": ["melody", "keys", "bass"]}
    model = build_model(ModelConfig(vocab_size=len(VOCAB), n_ctx=64, n_layer=1, n_head=2, n_embd=16))
    base = save_checkpoint(tmp_path / "base.safetensors", model, 5, {"styles": ["pop", "chorale"], "parts": ["pad"]})
    assert learnt(cache, (read_checkpoint(base)[0], str(base))) == {
        "styles": ["chorale", "folk", "pop"], "parts": ["melody", "keys", "bass", "pad"]}
    silent = save_checkpoint(tmp_path / "silent.safetensors", model, 5, {"train": {"sources": ["music21"]}})
    with pytest.raises(CheckpointError, match="silent.safetensors does not record the styles and parts"):
        learnt(cache, (read_checkpoint(silent)[0], str(silent)))


def test_a_fine_tune_records_the_size_of_the_network_it_trained(tmp_path):
    _midi_folder(tmp_path / "midi")
    torch.manual_seed(0)
    model = build_model(ModelConfig(vocab_size=len(VOCAB), n_ctx=64, n_layer=2, n_head=2, n_embd=64))  # "tiny"
    base = save_checkpoint(tmp_path / "base.safetensors", model, 5, {"styles": ["pop"], "parts": ["bass"]})
    best = train(_config(tmp_path, size="base", init=str(base), steps=2))
    info = read_checkpoint(best)[0].info
    assert info["train"]["size"] == "tiny" and info["styles"] == ["custom", "pop"]


@pytest.mark.slow
def test_two_processes_train_together_and_save_a_checkpoint_that_loads(tmp_path):
    """``torchrun --nproc_per_node 2 -m models.train --device cpu`` (gloo): both ranks step together and
    rank 0 saves. The token cache is built first, so neither process reads MIDI files."""
    from models.registry import load_generator

    _midi_folder(tmp_path / "midi")
    source = f"midi:{tmp_path / 'midi'}:custom"
    load_splits([source], tmp_path / "cache")  # the tiny token cache both ranks read
    (tmp_path / "midi" / "song0.mid").unlink()  # a rank that read MIDI files would now see other data
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "models.train", "--device", "cpu", "--size", "tiny", "--source", source,
               "--cache-dir", str(tmp_path / "cache"), "--out", str(tmp_path / "run"), "--seq-len", "64",
               "--steps", "4", "--batch", "2", "--eval-every", "2", "--eval-batches", "1", "--save-every", "2",
               "--warmup", "1", "--threads", "1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    checkpoint, _ = read_checkpoint(tmp_path / "run" / "last.safetensors")
    assert checkpoint.step == 4 and checkpoint.info["styles"] == ["custom"]
    assert load_generator(str(tmp_path / "run" / "best.safetensors"), "cpu").trained_styles == {"custom"}
