"""The drum generator behind ``models.types.Generator``: bars of drum events sampled bar by bar, as General MIDI notes."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from models.drums.checkpoint import load_drum_model
from models.drums.kit import DRUM_METERS
from models.drums.styles import drum_style
from models.drums.vocab import BAR, FLAG_BEAT, FLAG_FILL, DrumHit, Grammar, decode_bar, encode_bars, header
from models.music.chords import parse_progression
from models.music.meter import bars_spanned, beats_per_bar
from models.sampling import Sampling, sample_token
from models.transformer.numpy_decoder import NumpyDecoder, one_thread
from models.types import METERS, TASKS, Note, ProgressFn, Request, Result

log = logging.getLogger(__name__)

MAX_BARS = 256
MAX_VARIATIONS = 64
MAX_BAR_TOKENS = 200  # a bar longer than this is ended (the densest Groove bars have about 130)
HIT_BEATS = 0.125  # drum notes are written a 32nd long: a drum sound does not depend on the note's end
FILL_CHOICES = (0, 4, 8)
# The drum model samples cooler than a request's temperature says: at full temperature its grooves
# wander between styles (a style classifier recognised 42 % of them against 67 % at 0.65 and top_p
# 0.9, 8 styles, 3 seeds each); the drummers' velocities and timing stay varied at this setting.
DRUM_TEMPERATURE = 0.65
DRUM_TOP_P = 0.9
# A meter the model has no bars of -> (the meter token it is asked with, bars of it written per bar);
# a 2/4 bar is the first half of a 4/4 bar, a 12/8 bar two bars of 6/8.
_BUILT = {(2, 4): ((4, 4), 1), (12, 8): ((6, 8), 2)}


def _meters(meter: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int], int]:
    """(meter token, meter of the bars written, bars written per bar of ``meter``)."""
    asked, scale = _BUILT.get(tuple(meter), (tuple(meter), 1))
    return asked, (tuple(meter) if scale == 1 else asked), scale


class DrumGenerator:
    """A drum part for accompany, harmonize, continue, infill and variations, from the drum checkpoint."""

    def __init__(self, model, info: dict, name: str = "drums-groove") -> None:
        self.model = model
        self.name, self.device = name, "cpu"
        self.trained_styles = frozenset(info["styles"])
        self.info = info
        # int8 weights, as the pitched transformer decodes: a step reads a quarter of the bytes (0.2 ms, not 0.65)
        self._decoder = NumpyDecoder(model, int8=True)

    @classmethod
    def load(cls, path: str | Path) -> DrumGenerator:
        model, checkpoint = load_drum_model(path, "cpu")
        return cls(model, checkpoint.info | {"step": checkpoint.step})

    # ------------------------------------------------------------ the API

    def generate(self, request: Request, progress: ProgressFn | None = None) -> list[Result]:
        """A drums-only result per variation (``parts`` must be ``("drums",)``)."""
        self.check(request)
        if request.parts != ("drums",):
            raise ValueError("the drum model writes only the drums part: ask the default model for drums with other parts")
        beats = beats_per_bar(request.meter)
        seed = request.seed if request.seed is not None else int(np.random.SeedSequence().entropy % 2**31)
        first_bar, given = 0, None
        if request.task == "accompany":
            if not request.chords.strip():
                raise ValueError("the accompany task needs a chord progression (chords), e.g. 'Am7 | D7 | G Em | C'")
            spans = parse_progression(request.chords, request.meter, request.bars)
            bars = round((spans[-1].start_beats + spans[-1].duration_beats) / beats)
        elif request.task == "harmonize":
            bars = request.bars or bars_spanned(_need(request.melody, "harmonize", "a melody (melody)"), beats)
        elif request.task == "continue":
            first_bar = bars_spanned(_need(request.prompt, "continue", "a prompt clip (prompt)"), beats)
            bars = request.bars or 4
        elif request.task in ("infill", "variations"):
            source = _need(request.source, request.task, "a drum clip to rewrite (source)")
            bars = request.bars or bars_spanned(source, beats)
            given = self._given(request, source, bars, seed)
        else:
            raise ValueError(f"the drums part cannot be written by the {request.task} task: use accompany, harmonize, "
                             "continue, infill or variations")
        results = []
        for index in range(request.variations):
            rows = given[index] if given is not None else None
            notes = self.write(request, bars, seed + index, first_bar=first_bar, given=rows,
                               progress=_scaled(progress, index, request.variations, bars))
            results.append(Result(parts={"drums": notes}, chords=(), bars=bars, meter=tuple(request.meter),
                                  tempo=request.tempo,
                                  info={"model": self.name, "task": request.task, "style": request.style,
                                        "drum_style": drum_style(request.style), "seed": str(seed),
                                        "variation": str(index)}))
        if progress is not None:
            progress(1.0)
        return results

    def check(self, request: Request) -> None:
        """Raise ValueError, in a musician's words, for drum settings this model cannot serve."""
        if request.task not in TASKS:
            raise ValueError(f"unknown task '{request.task}': choose one of {', '.join(TASKS)}")
        style = drum_style(request.style)
        if style not in self.trained_styles:  # gospel: the Groove set has fills of it but no grooves to learn
            raise ValueError(f"drum style '{style}' is not one the drum model learnt: choose one of "
                             f"{', '.join(sorted(self.trained_styles))} with --style (OSC key style)")
        if tuple(request.meter) not in METERS:
            meters = ", ".join(f"{a}/{b}" for a, b in METERS)
            raise ValueError(f"meter {request.meter[0]}/{request.meter[1]} is not supported: use one of {meters}")
        if not 0 <= request.bars <= MAX_BARS:
            raise ValueError(f"bars must be between 0 and {MAX_BARS}, not {request.bars}")
        if not 1 <= request.variations <= MAX_VARIATIONS:
            raise ValueError(f"variations must be between 1 and {MAX_VARIATIONS}, not {request.variations}")
        if request.fills not in FILL_CHOICES:
            raise ValueError(f"fills must be 4 (a fill every 4 bars), 8 or 0 (none), not {request.fills}")
        humanize = request.humanize
        if humanize is not None and not (math.isfinite(humanize) and humanize >= 0):
            raise ValueError(f"humanize must be 0 (on the grid) or more milliseconds, not {humanize}")
        if not (math.isfinite(request.tempo) and 20 <= request.tempo <= 400):
            raise ValueError(f"tempo must be between 20 and 400 bpm for drums, not {request.tempo}")
        if not (math.isfinite(request.temperature) and request.temperature > 0):
            raise ValueError(f"temperature must be above 0 (1.0 is neutral), not {request.temperature}")

    def _given(self, request: Request, source: Sequence[Note], bars: int, seed: int) -> list[list[list[int] | None]]:
        """Per variation, the source's bar tokens to keep (None: write the bar anew)."""
        if request.task == "infill":
            if not request.infill_bars:
                raise ValueError("the infill task needs the bars to rewrite (infill_bars, 1-based, e.g. 3,4)")
            outside = [b for b in request.infill_bars if not 1 <= b <= bars]
            if outside:
                raise ValueError(f"infill_bars {outside[0]} is outside the drum clip's {bars} bars")
        _, written, scale = _meters(request.meter)
        count = bars * scale
        kept = encode_bars((DrumHit(n.start_beats, n.pitch, n.velocity) for n in source), written, count)
        out = []
        for index in range(request.variations):
            if request.task == "infill":
                rewrite = {b * scale - 1 - k for b in request.infill_bars for k in range(scale)}
            else:  # variations: each bar kept or written anew by a coin flip
                rng = np.random.default_rng(seed + 7919 * index)
                rewrite = {b for b in range(count) if rng.random() < 0.5} or {count - 1}
            out.append([None if b in rewrite else kept[b] for b in range(count)])
        return out

    # ------------------------------------------------------------ writing

    def write(self, request: Request, bars: int, seed: int, first_bar: int = 0,
              given: Sequence[list[int] | None] | None = None, progress: Callable[[int], None] | None = None) -> tuple[Note, ...]:
        """The drum notes of ``bars`` bars of ``request.meter`` (beat 0: the first of them).

        ``first_bar`` is how many bars of the song come before (a continuation), so fills fall on the
        song's phrase ends; ``given`` holds bar tokens to keep in the model's bars (None: sample).
        """
        style = drum_style(request.style)
        meter, written, scale = _meters(request.meter)
        if meter not in DRUM_METERS:
            raise ValueError(f"meter {meter[0]}/{meter[1]} has no drums: use 4/4, 3/4, 2/4, 6/8 or 12/8")
        count = bars * scale
        flags = [_fill_bar(request.fills, first_bar, (b + 1) / scale) for b in range(count)]
        rng = np.random.default_rng(seed)
        sampling = Sampling(request.temperature * DRUM_TEMPERATURE, request.top_k, min(request.top_p, DRUM_TOP_P))
        with one_thread():  # a decoding step is tiny products: threads would only wait for each other
            rows = self._sample(header(style, request.tempo, meter), written, flags, given or [None] * count, rng,
                                sampling, None if progress is None else lambda done: progress(done // scale))
        humanize = request.humanize
        total = bars * beats_per_bar(request.meter)
        hits = [h for index, row in enumerate(rows) for h in decode_bar(row, written, index, quantise=humanize == 0)]
        return _notes(hits, total, rng, _limit_beats(humanize, request.tempo))

    def _sample(self, head: list[int], meter: tuple[int, int], flags: Sequence[bool],
                given: Sequence[list[int] | None], rng: np.random.Generator, sampling: Sampling,
                progress: Callable[[int], None] | None) -> list[list[int]]:
        decoder, grammar, n_ctx = self._decoder, Grammar(meter), self.model.config.n_ctx
        cap = min(MAX_BAR_TOKENS, n_ctx // 3)
        decoder.reset()
        decoder.forward(head)
        rows: list[list[int]] = []
        for index, fill in enumerate(flags):
            opening = [BAR, FLAG_FILL if fill else FLAG_BEAT]
            if decoder.length + len(opening) + cap > n_ctx:  # slide: the header and the last bars
                context: list[int] = []
                for row, flag in zip(reversed(rows), reversed(flags[:index])):
                    bar = [BAR, FLAG_FILL if flag else FLAG_BEAT, *row]
                    if len(head) + len(context) + len(bar) > n_ctx - 2 * cap:
                        break
                    context = bar + context
                decoder.reset()
                decoder.forward(head + context)
            logits = decoder.forward(opening)
            if given[index] is not None:
                row = list(given[index])
                if row:
                    decoder.forward(row)
            else:
                grammar.start_bar()
                row = []
                while True:
                    mask = grammar.legal()
                    if len(row) >= cap - 2 and grammar.expect == "event" and grammar.hits:
                        break
                    token = sample_token(logits, mask, rng, sampling)
                    if token == BAR:
                        break
                    grammar.advance(token)
                    row.append(token)
                    logits = decoder.forward([token])
            rows.append(row)
            if progress is not None:
                progress(index + 1)
        return rows


def _fill_bar(fills: int, first_bar: int, end_bar: float) -> bool:
    """Whether the model's bar ending ``end_bar`` bars into the request is a phrase end (a fill)."""
    return bool(fills) and end_bar == int(end_bar) and (first_bar + int(end_bar)) % fills == 0


def _need(notes: tuple[Note, ...], task: str, what: str) -> tuple[Note, ...]:
    if not notes:
        raise ValueError(f"the {task} task needs {what}")
    return notes


def _scaled(progress: ProgressFn | None, index: int, count: int, bars: int) -> Callable[[int], None] | None:
    """Bars written of variation ``index`` as a fraction of the whole request."""
    if progress is None:
        return None
    return lambda bar: progress(min(0.99, (index + bar / max(1, bars)) / count))


def _limit_beats(humanize: float | None, tempo: float) -> float | None:
    """How far (beats) an onset may stay from the grid: None keeps the model's timing."""
    return None if humanize is None else humanize / 1000 * tempo / 60


def _notes(hits: Sequence[DrumHit], total: float, rng: np.random.Generator, limit: float | None) -> tuple[Note, ...]:
    """Hits as notes inside ``[0, total)``: velocity spread within its bin, onsets clamped to ``limit`` of the grid."""
    from models.drums.vocab import GRID, VELOCITY_BINS

    spread = 127 / VELOCITY_BINS / 2
    by_key: dict[tuple[float, int], Note] = {}
    for hit in hits:
        onset = hit.onset_beats
        if limit is not None:
            grid = round(onset * GRID) / GRID
            onset = min(max(onset, grid - limit), grid + limit)
        onset = round(max(0.0, onset), 6)
        if onset >= total:
            continue
        velocity = int(np.clip(round(hit.velocity + rng.uniform(-spread, spread)), 1, 127))
        by_key[(onset, hit.note)] = Note(hit.note, onset, HIT_BEATS, velocity)
    ordered = sorted(by_key.values(), key=lambda n: (n.start_beats, n.pitch))
    out, last_start = [], {}
    for note in reversed(ordered):  # cut a note short where the same drum strikes again
        following = last_start.get(note.pitch)
        duration = min(HIT_BEATS, total - note.start_beats, following - note.start_beats if following else HIT_BEATS)
        out.append(Note(note.pitch, note.start_beats, max(duration, 1e-3), note.velocity))
        last_start[note.pitch] = note.start_beats
    return tuple(reversed(out))
