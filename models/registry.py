"""Model registry: names the bridge can ask for and how to load each."""

from __future__ import annotations

import logging
from pathlib import Path

from models.api import Generator

log = logging.getLogger(__name__)

MODEL_NAMES = ("default", "markov")
CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"


def default_model_path() -> Path:
    """The shipped Markov table, ``models/checkpoints/markov-pop909.json.gz``."""
    return CHECKPOINT_DIR / "markov-pop909.json.gz"


def load_generator(name: str = "default", device: str = "auto") -> Generator:
    """Load a generator by name.

    Args:
        name: one of ``MODEL_NAMES`` ("default" is the Markov baseline).
        device: "auto" or "cpu"; the baseline always runs on the CPU.

    Raises:
        ValueError: unknown name or a device the model cannot use.
    """
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown model '{name}': choose one of {', '.join(MODEL_NAMES)}")
    if device not in ("auto", "cpu"):
        raise ValueError(f"the Markov baseline runs on the CPU only; device '{device}' is not available "
                         "(use 'auto' or 'cpu')")
    from models.markov import MarkovGenerator

    return MarkovGenerator.load(default_model_path())
