"""Style transfer and variations that rewrite a part in another style, keeping its harmony (the layer the registry puts around the models)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from models.music.chords import ChordError, chords_text, parse_progression
from models.music.keys import detect_key, key_name, parse_key
from models.music.meter import bars_spanned, beats_per_bar
from models.music.notes import MONOPHONIC, guess_role, tidy
from models.music.recognise import recognise_chords
from models.transfer.drums import drum_blend
from models.transfer.shaping import (
    bass_chords,
    blend,
    fit_harmony,
    fit_register,
    follow_dynamics,
    keep_rests,
    retune,
    silent_beats,
    strong_beats,
)
from models.types import ChordSpan, Note, ProgressFn, Request, Result
from models.validation import RequestError, require
from models.wrapping import Wrapper

log = logging.getLogger(__name__)

# ``parts`` as a request has it when nobody named the source's part: the role is then read from the clip
DEFAULT_PARTS = (("bass", "keys"), ("melody",))
LIGHT_TOUCH = 0.15  # share of beats rewritten at strength 0
WHOLE_BARS = 0.85  # a variation keeps a bar whole with probability WHOLE_BARS x similarity
TUNE_ORNAMENTS = (0.25, 0.6)  # share of a melody's off-beat notes in the new style's pitches, at strength 0 and 1


@dataclass(frozen=True)
class _Source:
    """What a transfer or a variation keeps of its source: the notes, their part, bars, harmony and rests."""

    notes: tuple[Note, ...]
    role: str
    bars: int
    beats: float
    chords: str
    spans: tuple[ChordSpan, ...]
    key: str = ""

    @property
    def total(self) -> float:
        return self.bars * self.beats


class TransferGenerator(Wrapper):
    """Serves ``transfer`` (without ``texture``: the VAE's layer takes that) and ``variations``; every other
    request passes through.

    Transfer asks the inner model for the source's part in the target style over the source's chords (recognised
    from the clip, a melody's from the harmonizer, or the request's ``chords``), keeps a melody's tune (its pitch
    on every strong beat), moves the rewrite to the source's register, keeps its rests and loudness, and blends
    it with the source beat by beat: ``strength`` 0 rewrites 15 % of the beats, 1 all of them. A drums source
    gets a groove in the target style instrument by instrument (hi-hats and cymbals first, the kick last).
    Variations keep whole bars and strong beats of the source with probability ``similarity`` and rewrite the rest
    in the source's register and dynamics.
    """

    def __init__(self, inner, harmonizer=None) -> None:
        super().__init__(inner)
        self._harmonizer = harmonizer

    def generate(self, request: Request, progress: ProgressFn | None = None) -> list[Result]:
        if request.task == "transfer" and not request.texture:
            return self._rewrite(request, progress, request.strength, "strength")
        if request.task == "variations":
            return self._rewrite(request, progress, request.similarity, "similarity")
        return self.inner.generate(request, progress)

    # ------------------------------------------------------------ the source

    def _source(self, request: Request) -> _Source:
        what = "a source clip to rewrite" if request.task == "transfer" else "a source clip to vary"
        notes = tuple(sorted(require(request, "source", what), key=lambda n: (n.start_beats, n.pitch)))
        if not request.parts:
            raise RequestError("no part named ({key}): name the source's part, e.g. bass, keys or melody", "parts")
        role = guess_role(notes) if request.parts in DEFAULT_PARTS else request.parts[0]
        try:
            parse_key(request.key) if request.key else None
        except ValueError:
            raise RequestError(f"{{key}} '{request.key}' is not a key: write e.g. C, Am or F# minor, or leave it out "
                               "to read it from the source", "key") from None
        beats = beats_per_bar(request.meter)
        bars = request.bars or bars_spanned(notes, beats)
        if role == "drums":
            return _Source(notes, role, bars, beats, "", ())
        text = request.chords.strip()
        try:
            if text:
                spans = parse_progression(text, request.meter, bars)
            else:
                text, spans = self._harmony(notes, role, request.meter, bars, request.key)
        except ChordError as err:
            raise RequestError(f"{{key}} cannot be read: {err}", "chords") from err
        log.debug("%s source: %d bars of %s over %s", request.task, bars, role, text)
        key = key_name((parse_key(request.key) if request.key else None) or detect_key(notes))
        return _Source(notes, role, bars, beats, text, tuple(spans), key)

    def _harmony(self, notes: tuple[Note, ...], role: str, meter: tuple[int, int], bars: int,
                 key: str) -> tuple[str, list[ChordSpan]]:
        """The source's chords: a tune's from the harmonizer, any other part's recognised from its notes."""
        if role in ("melody", "counter"):
            try:
                harmony = self.harmonizer.harmonize(notes, meter=meter, bars=bars, key=key)
                return harmony.text, list(harmony.chords)
            except (OSError, ValueError) as err:  # a table that does not load: the notes' own chords still serve
                log.warning("the harmonizer cannot harmonize the source (%s): its chords are recognised instead", err)
        if role == "bass":
            spans = bass_chords(notes, meter, bars, key)
        else:
            spans = recognise_chords(notes, meter, bars, key=key or None)
        return chords_text(spans, meter, bars), spans

    @property
    def harmonizer(self):
        """The chord model that harmonizes a melody source, loaded the first time one comes."""
        if self._harmonizer is None:
            from models.harmony.harmonizer import Harmonizer

            self._harmonizer = Harmonizer.load()
        return self._harmonizer

    # ------------------------------------------------------------ the rewrite

    def _rewrite(self, request: Request, progress: ProgressFn | None, amount: float, key: str) -> list[Result]:
        if not (math.isfinite(amount) and 0 <= amount <= 1):
            raise RequestError(f"{{key}} must be between 0 and 1, not {amount}", key)
        source = self._source(request)
        chords = source.chords or " | ".join(["C"] * source.bars)  # drums: the bars to fill
        fresh = self.inner.generate(request.replace(
            task="accompany", chords=chords, parts=(source.role,), bars=source.bars, source=(),
            melody=() if source.role == "melody" else request.melody), progress)
        out = []
        for index, result in enumerate(fresh):
            seed = int(result.info.get("seed", request.seed or 0))
            if source.role == "drums":  # the drum model reports the request's seed for every variation
                seed = int(fresh[0].info.get("seed", request.seed or 0)) + index
            rng = np.random.default_rng([seed, 18])  # issue 18: a stream of its own beside the model's
            written = result.parts.get(source.role, ())
            if source.role == "drums":
                notes = drum_blend(source.notes, written, source.bars, source.beats, amount, request.task, rng)
                shift = 0
            elif request.task == "transfer":
                notes, shift = self._transfer(request, source, written, amount, rng)
            else:
                notes, shift = self._vary(request, source, written, amount, rng)
            info = dict(result.info) | {"task": request.task, "role": source.role, key: f"{amount:g}",
                                        "register_shift": str(shift), "seed": str(seed)}
            if source.chords:  # sent back as chords, they give the same harmony (and the CLI prints them)
                info |= {"chords": source.chords, "key": source.key, "key_source": "request" if request.key else "source"}
            out.append(Result(parts={source.role: notes}, chords=source.spans, bars=source.bars,
                              meter=tuple(request.meter), tempo=result.tempo, info=info))  # type: ignore[arg-type]
        return out

    def _placed(self, request: Request, source: _Source, written: tuple[Note, ...]) -> tuple[tuple[Note, ...], int]:
        """The rewrite in the source's register (unless ``register`` asks for another) and dynamics (unless
        ``dynamics`` asks for a level)."""
        shift = 0
        if not request.register:
            written, shift = fit_register(written, source.notes)
        if not request.dynamics:
            written = follow_dynamics(written, source.notes, source.beats)
        return written, shift

    def _transfer(self, request: Request, source: _Source, written: tuple[Note, ...], strength: float,
                  rng: np.random.Generator) -> tuple[tuple[Note, ...], int]:
        if source.role == "melody":
            ornaments = TUNE_ORNAMENTS[0] + (TUNE_ORNAMENTS[1] - TUNE_ORNAMENTS[0]) * strength
            written = retune(written, source.notes, request.meter, source.bars, rng, ornaments, source.spans)
        else:  # a tune keeps its own pitches; any other part its chords' tones
            written = fit_harmony(written, source.spans, request.meter, source.role in MONOPHONIC)
        silent = silent_beats(source.notes, source.total)
        # the register is fitted on the notes the source's rests leave: those are the ones heard
        written, shift = self._placed(request, source, keep_rests(written, silent))
        beats = int(math.ceil(source.total - 1e-6))
        rewritten = LIGHT_TOUCH + (1 - LIGHT_TOUCH) * strength
        kept = {beat for beat in range(beats) if rng.random() >= rewritten}
        notes = keep_rests(blend(source.notes, written, kept, 1.0), silent)
        return tidy(notes, source.total, source.role in MONOPHONIC), shift

    def _vary(self, request: Request, source: _Source, written: tuple[Note, ...], similarity: float,
              rng: np.random.Generator) -> tuple[tuple[Note, ...], int]:
        written = fit_harmony(written, source.spans, request.meter, source.role in MONOPHONIC)
        written, shift = self._placed(request, source, written)
        strong = {int(offset) for offset in strong_beats(request.meter)}
        per_bar = int(math.ceil(source.beats - 1e-6))
        kept = set()
        for bar in range(source.bars):
            whole = rng.random() < WHOLE_BARS * similarity
            for beat in range(per_bar):
                if whole or (beat in strong and rng.random() < similarity):
                    kept.add(bar * per_bar + beat)
        notes = keep_rests(blend(source.notes, written, kept, 1.0), silent_beats(source.notes, source.total))
        return tidy(notes, source.total, source.role in MONOPHONIC), shift
