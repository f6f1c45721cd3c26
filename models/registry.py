"""Model registry: names the bridge can ask for and how to load each."""

from __future__ import annotations

import logging
from pathlib import Path

from models.api import Generator

log = logging.getLogger(__name__)

MODEL_NAMES = ("default", "markov", "transformer", "lstm")
DEFAULT_MODEL = "markov"
CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"


def default_model_path() -> Path:
    """The shipped Markov table, ``models/checkpoints/markov-pop909.json.gz``."""
    return CHECKPOINT_DIR / "markov-pop909.json.gz"


def transformer_checkpoint_path() -> Path:
    """The shipped transformer, ``models/checkpoints/transformer.safetensors``."""
    return CHECKPOINT_DIR / "transformer.safetensors"


def lstm_checkpoint_path() -> Path:
    """The shipped LSTM baseline, ``models/checkpoints/lstm.safetensors``."""
    return CHECKPOINT_DIR / "lstm.safetensors"


def load_generator(name: str = "default", device: str = "auto") -> Generator:
    """Load a generator by name.

    Args:
        name: one of ``MODEL_NAMES`` ("default" is ``DEFAULT_MODEL``), or the path of a
            ``.safetensors`` checkpoint written by ``continuo train``.
        device: "auto", "cpu" or "cuda[:N]" (the Markov baseline runs on the CPU only).

    Raises:
        ValueError: unknown name, a missing checkpoint, or a device the model cannot use.
    """
    if name.endswith(".safetensors"):  # a fine-tuned checkpoint, e.g. from `continuo train --export`
        from models.checkpoint import CheckpointError
        from models.transformer_generator import TransformerGenerator

        try:
            return TransformerGenerator.load(Path(name).expanduser(), device)
        except CheckpointError as err:
            raise ValueError(f"model '{name}' cannot be loaded: {err}") from err
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown model '{name}': choose one of {', '.join(MODEL_NAMES)} "
                         "or the path of a .safetensors checkpoint")
    if name == "default":
        name = DEFAULT_MODEL
    if name in ("transformer", "lstm"):
        from models.checkpoint import CheckpointError
        from models.transformer_generator import TransformerGenerator

        path = transformer_checkpoint_path() if name == "transformer" else lstm_checkpoint_path()
        try:
            return TransformerGenerator.load(path, device, name=name)
        except CheckpointError as err:
            raise ValueError(f"model '{name}' cannot be loaded: {err}") from err
    if device not in ("auto", "cpu"):
        raise ValueError(f"the Markov baseline runs on the CPU only; device '{device}' is not available "
                         "(use 'auto' or 'cpu')")
    from models.markov import MarkovGenerator

    return MarkovGenerator.load(default_model_path())
