"""Model registry: names the bridge can ask for and how to load each."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from models.markov.table import MARKOV_STYLES
from models.styles import style_choices
from models.types import Generator, ProgressFn, Request, Result
from models.validation import RequestError

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
    if name == "drums":  # the drum model alone: no idioms or harmony, but its drums swing and take `dynamics`
        from models.dynamics.generator import DynamicsGenerator

        return DynamicsGenerator(generator)
    if name != "default":
        generator = _with_shipped_fallbacks(generator, name, device)
    from models.harmony.generator import HarmonizingGenerator

    return HarmonizingGenerator(performed(generator))


def performed(generator: Generator) -> Generator:
    """``generator`` inside the layers that shape its parts, innermost first: genre idioms and per-part controls,
    the arpeggiator, dynamics and feel, then style transfer and variations, then the VAE's tasks (interpolate,
    texture transfer). Each passes through what it does not shape."""
    from models.arp.generator import ArpGenerator
    from models.dynamics.generator import DynamicsGenerator
    from models.idioms.generator import IdiomGenerator
    from models.transfer.generator import TransferGenerator
    from models.vae.generator import VaeTasks

    dynamics = DynamicsGenerator(ArpGenerator(IdiomGenerator(generator)))
    return VaeTasks(TransferGenerator(dynamics), dynamics=dynamics)


def _with_shipped_fallbacks(generator: Generator, name: str, device: str) -> StyleRouter:
    """``generator`` with the shipped transformer and Markov chain behind it for the styles it did not learn
    (a fine-tuned checkpoint without ``upbeat`` still plays the presets in that style, and says who wrote it)."""
    fallbacks: list[Fallback] = []
    if name != "transformer":
        try:
            styles = recorded_styles(transformer_checkpoint_path())
            fallbacks.append(("transformer", styles, lambda: load_model("transformer", device)))
        except (OSError, ValueError) as err:
            log.warning("the shipped transformer cannot stand in for styles %s lacks: %s", name, err)
    if name != "markov":
        fallbacks.append(("markov", MARKOV_STYLES, lambda: load_model("markov", "cpu")))
    table = getattr(generator, "table", None)  # the Markov chain says its styles in its table
    return StyleRouter(generator, fallbacks=fallbacks, styles=table.styles if table is not None else None,
                       notice=True, default=False)


def recorded_styles(path: Path) -> frozenset[str]:
    """The styles a ``.safetensors`` checkpoint records having learnt, read from its header (no weights).

    Raises:
        OSError: the file cannot be read.
        ValueError: its header is not a continuo checkpoint's.
    """
    with path.open("rb") as handle:
        size = int.from_bytes(handle.read(8), "little")
        header = json.loads(handle.read(size))
    styles = json.loads(header.get("__metadata__", {}).get("info", "{}")).get("styles")
    if not isinstance(styles, list):
        raise ValueError(f"{path} does not record the styles it learnt")
    return frozenset(styles)


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


Fallback = tuple[str, Iterable[str], Callable[[], Generator]]  # a model's name, the styles it knows, its loader


class StyleRouter:
    """A model, and others for the styles it did not learn. The default engine is the transformer with
    the Markov chain for ``ballad`` and ``upbeat`` (which POP909's tempos give it); a model loaded by
    name or path gets the shipped ones behind it, so a preset in a style it lacks still plays.

    Each result's ``info["model"]`` names the model that wrote it; with ``notice`` a result another
    model wrote also says why in ``info["notice"]`` (the daemon sends it as /continuo/warning). A style
    none of them knows is refused before anything loads, naming the nearest one there is and all of them.
    """

    def __init__(self, primary: Generator, load_fallback: Callable[[], Generator] | None = None,
                 fallback_styles: Iterable[str] = MARKOV_STYLES, *, fallbacks: Sequence[Fallback] = (),
                 styles: Iterable[str] | None = None, notice: bool = False, default: bool = True) -> None:
        self.primary = primary
        # None: a generator that serves every style
        self.trained_styles = getattr(primary, "trained_styles", None) if styles is None else frozenset(styles)
        self._chain = list(fallbacks) or [("markov", fallback_styles, load_fallback)]
        self._routes: dict[str, int] = {}  # style the primary lacks -> the first fallback that knows it
        for index, (_, known, _) in enumerate(self._chain):
            for style in known:
                if self.trained_styles is not None and style not in self.trained_styles:
                    self._routes.setdefault(style, index)
        self._loaded: dict[int, Generator] = {}
        self._notice = notice
        # the default engine says what it is made of; a model asked for by name keeps its name
        self.name = f"default ({primary.name}, markov for the styles it did not learn)" if default else primary.name
        self.device = primary.device

    def __getattr__(self, name: str):  # what else a caller asks of the primary model (its network, its table)
        if name.startswith("_") or name == "primary":
            raise AttributeError(name)
        return getattr(self.primary, name)

    def model_for(self, style: str) -> str:
        """The name of the model that answers a request in ``style``."""
        index = self._routes.get(style)
        return self.primary.name if index is None else self._chain[index][0]

    def generate(self, request: Request, progress: ProgressFn | None = None) -> list[Result]:
        style = request.style
        index = self._routes.get(style)
        if index is None:
            if self.trained_styles is not None and style not in self.trained_styles:
                who = " or ".join(dict.fromkeys([self.primary.name] + [name for name, _, _ in self._chain]))
                raise RequestError(style_choices(style, set(self.trained_styles) | set(self._routes),
                                                 f"the {who} model"), "style")
            return self.primary.generate(request, progress)
        if index not in self._loaded:
            self._loaded[index] = self._chain[index][2]()
        writer = self._loaded[index]
        reason = f"style '{style}' is not one the {self.primary.name} model learnt: the {writer.name} model wrote this"
        log.info("%s", reason)
        results = self._loaded[index].generate(request, progress)
        if self._notice:
            for result in results:
                result.info["notice"] = reason
        return results
