"""A generator around another: the base of the layers that shape what the models write (idioms, arp, dynamics,
transfer, the VAE's tasks)."""

from __future__ import annotations

from collections.abc import Callable

from models.music.meter import beats_per_bar
from models.types import Generator, Note, ProgressFn, Request, Result


class Wrapper:
    """Passes every request to ``inner`` and answers for it what a caller asks (``trained_styles``, ``model_for``,
    its network); a layer overrides ``generate`` for the requests it shapes."""

    def __init__(self, inner: Generator) -> None:
        self.inner = inner
        self.name = inner.name
        self.device = inner.device

    def __getattr__(self, name: str):
        if name.startswith("_") or name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def generate(self, request: Request, progress: ProgressFn | None = None) -> list[Result]:
        return self.inner.generate(request, progress)


def given_notes(result: Result, request: Request) -> tuple[Callable[[str, Note], bool], int]:
    """Whether a note of a part is one the request gave (a melody to accompany or harmonize, the prompt kept in
    front of a continuation, the bars an infill keeps), which the layers leave as it is, rather than one a model
    wrote; and the bars that prompt takes (``result.info["prompt_bars"]`` with ``include_prompt``, else 0)."""
    bar_beats = beats_per_bar(result.meter)
    melody_given = bool(request.melody) and request.task in ("accompany", "harmonize")
    prompt_bars = int(result.info.get("prompt_bars", "0")) if result.info.get("include_prompt") else 0
    prompt_end = prompt_bars * bar_beats
    infill = set(request.infill_bars) if request.task == "infill" else None

    def given(part: str, note: Note) -> bool:
        if melody_given and part == "melody":
            return True
        if note.start_beats < prompt_end - 1e-6:
            return True
        return infill is not None and int((note.start_beats + 1e-9) // bar_beats) + 1 not in infill
    return given, prompt_bars
