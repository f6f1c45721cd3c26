"""A generator with drums alongside: the pitched parts from one model, the drums part from the drum model, merged."""

from __future__ import annotations

import logging
from collections.abc import Callable

from models.drums.kit import DRUM_STYLES
from models.drums.styles import PITCHED_FOR_DRUMS, drum_style
from models.types import Generator, ProgressFn, Request, Result

log = logging.getLogger(__name__)



class WithDrums:
    """Serve ``parts`` with drums: the pitched model writes the other parts (in the style mapped from a
    drum style it does not know, ``styles.PITCHED_FOR_DRUMS``), the drum model writes drums over each
    result's bars, meter and tempo. Requests without drums go to the pitched model unchanged.
    """

    def __init__(self, pitched: Generator, load_drums: Callable[[], Generator], pitched_styles: tuple[str, ...]) -> None:
        self.pitched = pitched
        self._load_drums = load_drums
        self._drums = None
        self.pitched_styles = frozenset(pitched_styles)
        self.name = pitched.name
        self.device = pitched.device

    @property
    def drums(self):
        if self._drums is None:
            self._drums = self._load_drums()
            log.info("drum model loaded: %s", self._drums.name)
        return self._drums

    def __getattr__(self, name: str):  # what else a caller asks of the pitched model (model_for, trained_styles)
        if name.startswith("_") or name in ("pitched", "drums"):
            raise AttributeError(name)
        return getattr(self.pitched, name)

    def generate(self, request: Request, progress: ProgressFn | None = None) -> list[Result]:
        if "drums" not in request.parts:
            if request.style in DRUM_STYLES and request.style not in self.pitched_styles:
                request = request.replace(style=PITCHED_FOR_DRUMS[request.style])
            return self.pitched.generate(request, progress)
        drum_style(request.style)  # an unknown drum style is refused before any work, or the drum model loads
        self.drums.check(request)
        others = tuple(p for p in request.parts if p != "drums")
        if not others and request.task != "continue":
            return self.drums.generate(request.replace(parts=("drums",)), progress)
        style = request.style
        if style not in self.pitched_styles and style in PITCHED_FOR_DRUMS:
            style = PITCHED_FOR_DRUMS[style]
        results = self.pitched.generate(request.replace(parts=others or ("melody",), style=style),
                                        None if progress is None else lambda f: progress(0.7 * f))
        out = []
        for index, result in enumerate(results):
            # the pitched model reports each variation's own seed (seed + i); drums draw from the same one
            seed = int(result.info["seed"]) if "seed" in result.info else (request.seed or 0) + index
            first_bar = int(result.info.get("prompt_bars", "0"))
            drums_request = request.replace(meter=result.meter, tempo=result.tempo)
            notes = self.drums.write(drums_request, result.bars, seed, first_bar=first_bar)
            info = dict(result.info) | {"drums_model": self.drums.name, "drum_style": drum_style(request.style)}
            if style != request.style:
                info["style"], info["pitched_style"] = request.style, style
            out.append(Result(parts=dict(result.parts) | {"drums": notes}, chords=result.chords, bars=result.bars,
                              meter=result.meter, tempo=result.tempo, info=info))
            if progress is not None:
                progress(0.7 + 0.3 * (index + 1) / len(results))
        return out
