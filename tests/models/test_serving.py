"""What serving loads: the shipped checkpoints say what they learnt and how they were built, and loading and
running the default model pulls in no corpus reader, training or evaluation code."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from models.registry import lstm_checkpoint_path, transformer_checkpoint_path
from models.transformer.checkpoint import read_checkpoint, recorded_learning
from models.transformer.train import TrainConfig, model_config
from tests.conftest import REPO

SERVING = """
import sys
from models.registry import load_generator
from models.types import Request
generator = load_generator("default", "cpu")
for style in ("pop", "ballad"):
    generator.generate(Request(chords="C | G", parts=("bass", "keys"), style=style, seed=1))
print(sorted(sys.modules))
"""


@pytest.mark.parametrize(("path", "styles"), [
    (transformer_checkpoint_path(), ("chorale", "classical", "folk", "pop", "renaissance")),
    (lstm_checkpoint_path(), ("pop",)),
])
def test_a_shipped_checkpoint_records_what_it_learnt_and_settings_that_rebuild_it(path, styles):
    checkpoint, _ = read_checkpoint(path)
    assert recorded_learning(checkpoint, path) == (styles, ("melody", "counter", "keys", "bass", "pad", "arp"))
    settings = TrainConfig(**checkpoint.info["train"])
    assert model_config(settings) == checkpoint.config


def test_loading_and_running_the_default_model_reads_no_corpus_and_no_training_code():
    done = subprocess.run([sys.executable, "-c", SERVING], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1].replace("'", '"'))
    assert "models.transformer.generator" in loaded and "models.markov.generator" in loaded
    unwanted = [name for name in loaded if name.startswith(("models.data", "models.evaluate", "music21"))
                or (name.startswith("models.") and "train" in name)]
    assert not unwanted
