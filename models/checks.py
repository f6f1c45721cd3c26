"""What a named model serves, read from its files without loading it: the checks run before a job is accepted."""

from __future__ import annotations

import gzip
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from models.drums.styles import DRUMS_FOR_STYLE, PITCHED_FOR_DRUMS, drum_style
from models.idioms.controls import check_controls
from models.idioms.genres import inner_style, with_genres
from models.types import PARTS, Request
from models.validation import RequestError, check_request

log = logging.getLogger(__name__)

# the smallest of the models' own limits; the bridge's keys allow less than either
MAX_BARS = 256
MAX_VARIATIONS = 64
MAX_HEADER_BYTES = 16 * 2**20


@dataclass(frozen=True)
class Serves:
    """The parts and styles a model name can write (every model behind it together), and the drum styles
    its drum model learnt (empty: no drums). Checks allow what any of those models serves: a request
    they pass may still be refused by the model that gets it, after it was accepted."""

    parts: tuple[str, ...]
    styles: tuple[str, ...]
    who: str
    drums_note: str = "this model was trained without drum tracks"
    drum_styles: tuple[str, ...] = ()

    def check(self, request: Request) -> None:
        """Raise RequestError, naming the key, for a request none of these models can serve."""
        check_request(request, parts=self.parts, styles=self.styles, max_bars=MAX_BARS,
                      max_variations=MAX_VARIATIONS, who=self.who, drums_note=self.drums_note)
        check_controls(request)
        if "drums" in request.parts:
            try:
                style = drum_style(inner_style(request.style, with_drums=True))  # a genre name plays its drum style
            except ValueError as err:
                raise RequestError(str(err).replace("--style or the OSC key style", "{key}"), "style") from None
            if style not in self.drum_styles:
                raise RequestError(f"the drum style {style!r} ({{key}} {request.style!r}) is not one the drum model "
                                   f"learnt: it knows {', '.join(self.drum_styles)}", "style")


def serves(name: str) -> Serves | None:
    """What the model ``name`` (as ``models.registry.load_generator`` takes it) serves; None when its
    files cannot be read (loading it then reports the problem)."""
    from models.registry import (  # here: it brings numpy, which the daemon needs only from here
        default_model_path,
        drums_checkpoint_path,
        lstm_checkpoint_path,
        transformer_checkpoint_path,
    )

    try:
        if name.endswith(".safetensors"):
            styles, parts = _learnt(Path(name).expanduser())
            return Serves(parts, _with_shipped(name, styles), "the model")
        if name in ("transformer", "lstm"):
            styles, parts = _learnt(transformer_checkpoint_path() if name == "transformer" else lstm_checkpoint_path())
            return Serves(parts, _with_shipped(name, styles), "the model")
        if name == "markov":
            styles, parts = _markov(default_model_path())
            return Serves(parts, _with_shipped(name, styles), "the Markov baseline", "the Markov baseline writes no drums")
        drums = _learnt(drums_checkpoint_path(), parts_recorded=False)[0]
        if name == "drums":
            return Serves(("drums",), _with_mapped(drums), "the drum model", drum_styles=drums)
        if name == "default":  # models/registry.py: the transformer, the Markov chain for its styles, the drums
            styles, parts = _learnt(transformer_checkpoint_path())
            markov_styles, markov_parts = _markov(default_model_path())
            every = (*styles, *markov_styles, *PITCHED_FOR_DRUMS, *DRUMS_FOR_STYLE)
            return Serves(tuple(p for p in PARTS if p in (*parts, *markov_parts, "drums")),
                          with_genres(dict.fromkeys(every)), "the default model", drum_styles=drums)
    except (OSError, ValueError, KeyError, TypeError) as err:
        log.warning("cannot read what model %r serves (%s): requests are checked when they run", name, err)
    return None


def _with_shipped(name: str, styles: tuple[str, ...]) -> tuple[str, ...]:
    """``styles`` and those of the shipped models that play the styles the model ``name`` lacks
    (``models.registry.load_generator`` puts the transformer and the Markov chain behind it)."""
    from models.registry import default_model_path, transformer_checkpoint_path

    behind = () if name == "transformer" else _learnt(transformer_checkpoint_path())[0]
    behind += () if name == "markov" else _markov(default_model_path())[0]
    return with_genres(dict.fromkeys((*styles, *behind)))  # and the genres models.idioms plays over them


def _with_mapped(drum_styles: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*drum_styles, *DRUMS_FOR_STYLE)))


def _learnt(path: Path, parts_recorded: bool = True) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The styles and parts a checkpoint's training run recorded, from the safetensors header alone."""
    with open(path, "rb") as handle:
        size = int.from_bytes(handle.read(8), "little")
        if not 0 < size <= MAX_HEADER_BYTES:
            raise ValueError(f"{path} is not a safetensors file")
        info = json.loads(json.loads(handle.read(size))["__metadata__"]["info"])
    styles, parts = info["styles"], info.get("parts") if parts_recorded else []
    if not (isinstance(styles, list) and styles and isinstance(parts, list) and (parts or not parts_recorded)):
        raise ValueError(f"{path} does not record the styles and parts it learnt")
    return tuple(map(str, styles)), tuple(map(str, parts))


def _markov(path: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    return tuple(data["styles"]), tuple(data["parts"])
