"""Model registry: names the bridge can ask for and how to load each."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from models.markov.table import MARKOV_STYLES
from models.types import Generator, ProgressFn, Request, Result

log = logging.getLogger(__name__)

MODEL_NAMES = ("default", "markov", "transformer", "lstm", "drums")
DEFAULT_MODEL = "transformer"  # behind StyleRouter: the Markov chain takes the styles it never learnt
CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"


def default_model_path() -> Path:
    """The shipped Markov table, ``models/checkpoints/markov-pop909.json.gz``."""
    return CHECKPOINT_DIR / "markov-pop909.json.gz"


def transformer_checkpoint_path() -> Path:
    """The shipped transformer, ``models/checkpoints/transformer.safetensors``."""
    return CHECKPOINT_DIR / "transformer.safetensors"


def drums_checkpoint_path() -> Path:
    """The shipped drum model, ``models/checkpoints/drums.safetensors``."""
    return CHECKPOINT_DIR / "drums.safetensors"


def lstm_checkpoint_path() -> Path:
    """The shipped LSTM baseline, ``models/checkpoints/lstm.safetensors``."""
    return CHECKPOINT_DIR / "lstm.safetensors"


def load_generator(name: str = "default", device: str = "auto") -> Generator:
    """Load a generator by name; every pitched model answers ``harmonize`` through the harmonizer
    (``models.harmony``: the chords decoded for the whole melody, then the parts written over them).

    Args and errors as ``load_model``.
    """
    generator = load_model(name, device)
    if name == "drums":
        return generator
    from models.harmony.generator import HarmonizingGenerator

    return HarmonizingGenerator(generator)


def load_model(name: str = "default", device: str = "auto") -> Generator:
    """Load a model by name as it is (its own harmonize task; ``load_generator`` adds the harmonizer).

    Args:
        name: one of ``MODEL_NAMES`` ("default" is ``DEFAULT_MODEL``), or the path of a
            ``.safetensors`` checkpoint written by ``continuo train``.
        device: "auto", "cpu" or "cuda[:N]" (the Markov baseline runs on the CPU only).

    Raises:
        ValueError: unknown name, a missing checkpoint, or a device the model cannot use.
    """
    if name.endswith(".safetensors"):  # a fine-tuned checkpoint, e.g. from `continuo train --export`
        from models.transformer.checkpoint import CheckpointError
        from models.transformer.generator import TransformerGenerator

        try:
            return TransformerGenerator.load(Path(name).expanduser(), device)
        except CheckpointError as err:
            raise ValueError(f"model '{name}' cannot be loaded: {err}") from err
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown model '{name}': choose one of {', '.join(MODEL_NAMES)} "
                         "or the path of a .safetensors checkpoint")
    if name == "default":
        from models.drums.combine import WithDrums

        primary = load_model(DEFAULT_MODEL, device)
        pitched = tuple(getattr(primary, "trained_styles", ())) + tuple(MARKOV_STYLES)
        return WithDrums(StyleRouter(primary, lambda: load_model("markov", "cpu")),
                         lambda: load_model("drums", "cpu"), pitched)
    if name == "drums":  # the drums part alone; the default model adds it to the other parts
        from models.drums.generator import DrumGenerator
        from models.transformer.checkpoint import CheckpointError

        try:
            return DrumGenerator.load(drums_checkpoint_path())
        except CheckpointError as err:
            raise ValueError(f"model 'drums' cannot be loaded: {err}") from err
    if name in ("transformer", "lstm"):
        from models.transformer.checkpoint import CheckpointError
        from models.transformer.generator import TransformerGenerator

        path = transformer_checkpoint_path() if name == "transformer" else lstm_checkpoint_path()
        try:
            return TransformerGenerator.load(path, device, name=name)
        except CheckpointError as err:
            raise ValueError(f"model '{name}' cannot be loaded: {err}") from err
    if device not in ("auto", "cpu"):
        raise ValueError(f"the Markov baseline runs on the CPU only; device '{device}' is not available "
                         "(use 'auto' or 'cpu')")
    from models.markov.generator import MarkovGenerator

    return MarkovGenerator.load(default_model_path())


class StyleRouter:
    """The default engine: the transformer for every style its checkpoint learnt, the Markov chain for
    the styles only the Markov chain knows (``ballad`` and ``upbeat``, which POP909's tempos give it).

    Each result's ``info["model"]`` names the model that wrote it. A style neither knows is refused by
    the transformer, whose message lists the styles it learnt.
    """

    def __init__(self, primary: Generator, load_fallback: Callable[[], Generator],
                 fallback_styles: Iterable[str] = MARKOV_STYLES) -> None:
        self.primary = primary
        learnt = getattr(primary, "trained_styles", None)  # None: a generator that serves every style
        self._markov_only = frozenset() if learnt is None else frozenset(fallback_styles) - learnt
        self._load_fallback = load_fallback
        self._fallback: Generator | None = None
        self.name = f"default ({primary.name}, markov for the styles it did not learn)"
        self.device = primary.device

    def model_for(self, style: str) -> str:
        """"transformer" or "markov": which model answers a request in ``style``."""
        return "markov" if style in self._markov_only else self.primary.name

    def generate(self, request: Request, progress: ProgressFn | None = None) -> list[Result]:
        if request.style not in self._markov_only:
            return self.primary.generate(request, progress)
        if self._fallback is None:
            self._fallback = self._load_fallback()
            log.info("style %r: the Markov model answers (the %s did not learn it)", request.style, self.primary.name)
        return self._fallback.generate(request, progress)
