"""Any pitched model with the harmonizer in front: harmonize decodes the chords, then the parts are written over them."""

from __future__ import annotations

import logging

from models.harmony.harmonizer import Harmonizer, check_controls
from models.music.chords import ChordError
from models.music.meter import bars_spanned, beats_per_bar
from models.types import Generator, ProgressFn, Request, Result
from models.validation import require

log = logging.getLogger(__name__)


class HarmonizingGenerator:
    """Serves ``harmonize`` as: the harmonizer's chords for the melody, then the wrapped model's ``accompany``
    over them (the melody given). Every other task goes to the wrapped model unchanged.

    Each harmonize result carries ``info["key"]`` (``'D'``, ``'Bm'``), ``info["key_source"]`` (``request`` or
    ``melody``) and ``info["chords"]``, the progression as text that, sent back as ``chords``, gives the same
    harmony.
    """

    def __init__(self, inner: Generator, harmonizer: Harmonizer | None = None) -> None:
        self.inner = inner
        self._harmonizer = harmonizer
        self.name = inner.name
        self.device = inner.device

    def __getattr__(self, name: str):  # what else a caller asks of the wrapped model (trained_styles, model_for)
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    @property
    def harmonizer(self) -> Harmonizer:
        """The chord model, loaded the first time a melody is harmonized."""
        if self._harmonizer is None:
            self._harmonizer = Harmonizer.load()
        return self._harmonizer

    def generate(self, request: Request, progress: ProgressFn | None = None) -> list[Result]:
        """``harmonize`` through the harmonizer; any other task as the wrapped model answers it.

        Raises:
            ValueError: a control out of range, a key that is not a key, or what the wrapped model refuses.
        """
        if request.task != "harmonize":
            return self.inner.generate(request, progress)
        melody = require(request, "melody", "a melody to harmonize")
        check_controls(request.chords_per_bar, request.chord_style, request.chord_temperature)
        beats = beats_per_bar(request.meter)
        bars = request.bars or bars_spanned(melody, beats)
        try:
            harmony = self.harmonizer.harmonize(
                melody, meter=request.meter, bars=bars, key=request.key, chords_per_bar=request.chords_per_bar,
                chord_style=request.chord_style, style=request.style, temperature=request.chord_temperature,
                seed=request.seed)
        except ChordError as err:
            raise ValueError(str(err)) from err
        log.debug("harmonized %d bars in %s: %s", bars, harmony.key_name, harmony.text)
        results = self.inner.generate(request.replace(task="accompany", chords=harmony.text, bars=bars), progress)
        for result in results:
            result.info.update({"task": "harmonize", "key": harmony.key_name, "chords": harmony.text,
                                "key_source": "melody" if harmony.key_detected else "request"})
        return results
