"""A tiny drum model with random weights (fixed seed): the grammar, not the weights, decides what these tests check."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from models.drums.checkpoint import save_drum_checkpoint
from models.drums.generator import DrumGenerator
from models.drums.kit import DRUM_STYLES
from models.drums.train import DrumTrainConfig, model_config
from models.transformer.network import build_model


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    model = build_model(model_config(DrumTrainConfig(size="tiny", seq_len=256)))
    path = tmp_path_factory.mktemp("drums") / "tiny.safetensors"
    return save_drum_checkpoint(path, model.eval(), 0, {"styles": list(DRUM_STYLES)})


@pytest.fixture(scope="session")
def tiny_drums(tiny_checkpoint: Path) -> DrumGenerator:
    return DrumGenerator.load(tiny_checkpoint)
