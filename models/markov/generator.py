"""The Markov baseline generator: validates a Request and serves every task with chord-aware sampling."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from models.markov.parts import ChordTrack, PartWriter
from models.markov.table import MarkovTable
from models.music.chords import make_chord, parse_chord, parse_progression
from models.music.keys import detect_key, key_name, parse_key
from models.music.meter import bars_spanned, beats_per_bar
from models.music.notes import MONOPHONIC, clip_notes, tidy, with_prompt
from models.music.recognise import recognise_chords
from models.sampling import Sampling
from models.types import ChordSpan, Note, ProgressFn, Request, Result
from models.validation import check_inputs, check_request, require

log = logging.getLogger(__name__)

MODEL_NAME = "markov-pop909"
MAX_BARS = 512
MAX_VARIATIONS = 64
COMPOUND_METERS = ((6, 8), (12, 8))  # written in dotted beats (``PartWriter.compound``)


class _Progress:
    """Counts finished units of work and reports the fraction; exceptions from the callback propagate."""

    def __init__(self, callback: ProgressFn | None, total: int) -> None:
        self.callback, self.total, self.done = callback, max(total, 1), 0

    def step(self) -> None:
        self.done += 1
        if self.callback is not None:
            self.callback(min(self.done / self.total, 1.0))


class MarkovGenerator:
    """Order-2 chord-relative Markov chains fitted on POP909; implements ``models.types.Generator``."""

    name = MODEL_NAME
    device = "cpu"

    def __init__(self, table: MarkovTable) -> None:
        self.table = table

    @classmethod
    def load(cls, path: str | Path) -> MarkovGenerator:
        """Load the generator from a table file written by ``python -m models.markov.train``."""
        return cls(MarkovTable.load(path))

    # ------------------------------------------------------------ entry point

    def generate(self, request: Request, progress: ProgressFn | None = None) -> list[Result]:
        """Return ``request.variations`` results (seeds ``seed``, ``seed + 1``, ...).

        Raises:
            ValueError: the request names an unknown task, part, style or meter, lacks the clip
                or chords its task needs, or has out-of-range sampling settings.
        """
        self._validate(request)
        seed = request.seed if request.seed is not None else int(np.random.SeedSequence().entropy % 2**31)
        handler = getattr(self, f"_{request.task}")
        units = request.variations * len(request.parts) * max(request.bars or 8, 1)
        tracker = _Progress(progress, units)
        results = []
        for index in range(request.variations):
            rng = np.random.default_rng(seed + index)
            result = handler(request, rng, tracker)
            result.info.update({"model": MODEL_NAME, "task": request.task, "style": request.style,
                                "seed": str(seed + index)})
            results.append(result)
        if progress is not None:
            progress(1.0)
        return results

    def _validate(self, request: Request) -> None:
        check_request(request, parts=self.table.parts, styles=self.table.styles, max_bars=MAX_BARS,
                      max_variations=MAX_VARIATIONS, who="the Markov baseline", drums_note="the Markov baseline writes no drums")

    # ------------------------------------------------------------ helpers

    def _sampling(self, request: Request) -> Sampling:
        return Sampling(request.temperature, request.top_k, request.top_p)

    def _chords_for(self, request: Request, clip: Sequence[Note], bars: int) -> list[ChordSpan]:
        """The request's chord text if given, else chords recognised from ``clip``."""
        if request.chords.strip():
            return parse_progression(request.chords, request.meter, bars)
        return recognise_chords(clip, request.meter, bars, key=request.key or None)

    def _writer(self, request: Request, part: str, rng: np.random.Generator, chords: ChordTrack, bars: int,
                ceilings: dict[int, int] | None = None, style: str | None = None) -> PartWriter:
        bpb = beats_per_bar(request.meter)
        return PartWriter(self.table, part, style or request.style, self._sampling(request), rng, chords, bpb,
                          bars * bpb, ceilings, compound=tuple(request.meter) in COMPOUND_METERS)

    def _write_parts(self, request: Request, parts: Sequence[str], rng: np.random.Generator, spans: list[ChordSpan],
                     bars: int, tracker: _Progress, melody: Sequence[Note] = ()) -> dict[str, tuple[Note, ...]]:
        """Generate ``parts`` over ``spans``; a given melody is returned as is and keeps the others below it."""
        track = ChordTrack(spans)
        bpb = beats_per_bar(request.meter)
        total = bars * bpb
        ceilings: dict[int, int] = {}
        for note in melody:
            bar = int(note.start_beats // bpb)
            ceilings[bar] = min(ceilings.get(bar, 127), note.pitch)
        out = {}
        for part in parts:
            if part == "melody" and melody:
                out[part] = clip_notes(melody, total)
                tracker.step()
                continue
            writer = self._writer(request, part, rng, track, bars, ceilings)
            notes: list[Note] = []
            for bar in range(bars):
                notes += writer.write_bar(bar)
                tracker.step()
            out[part] = tidy(notes, total, part in MONOPHONIC)
        return out

    def _result(self, request: Request, parts: dict[str, tuple[Note, ...]], spans: Sequence[ChordSpan],
                bars: int, **info: str) -> Result:
        return Result(parts=parts, chords=tuple(spans), bars=bars, meter=tuple(request.meter),  # type: ignore[arg-type]
                      tempo=request.tempo, info=dict(info))

    # ------------------------------------------------------------ tasks

    def _accompany(self, request: Request, rng: np.random.Generator, tracker: _Progress) -> Result:
        check_inputs(request)
        spans = parse_progression(request.chords, request.meter, request.bars)
        bars = round((spans[-1].start_beats + spans[-1].duration_beats) / beats_per_bar(request.meter))
        parts = self._write_parts(request, request.parts, rng, spans, bars, tracker, request.melody)
        return self._result(request, parts, spans, bars)

    def _harmonize(self, request: Request, rng: np.random.Generator, tracker: _Progress) -> Result:
        melody = require(request, "melody", "a melody to harmonize")
        bars = request.bars or bars_spanned(melody, beats_per_bar(request.meter))
        key = parse_key(request.key) or detect_key(melody)
        spans = recognise_chords(melody, request.meter, bars, key=key)
        parts = self._write_parts(request, request.parts, rng, spans, bars, tracker, melody)
        return self._result(request, parts, spans, bars, key=key_name(key))

    def _continue(self, request: Request, rng: np.random.Generator, tracker: _Progress) -> Result:
        prompt = require(request, "prompt", "a prompt clip to continue")
        bpb = beats_per_bar(request.meter)
        prompt_bars = bars_spanned(prompt, bpb)
        bars = request.bars or 4
        key = parse_key(request.key) or detect_key(prompt)
        prompt_spans = recognise_chords(prompt, request.meter, prompt_bars, key=key)
        spans = self._extend_chords(request, prompt_spans, key, bars, rng)
        parts = ("melody",) + tuple(p for p in request.parts if p != "melody")
        track = ChordTrack(spans)
        prompt_track = ChordTrack(prompt_spans)
        out: dict[str, tuple[Note, ...]] = {}
        for part in parts:
            writer = self._writer(request, part, rng, track, bars)
            if part in ("melody", "counter"):
                line = tidy(prompt, math.inf, monophonic=True)
                writer.seed_line(line, prompt_track)
                last_bar = (prompt_bars - 1) * bpb
                writer.seed_pattern([n for n in line if n.start_beats >= last_bar], last_bar)
            notes: list[Note] = []
            for bar in range(bars):
                notes += writer.write_bar(bar)
                tracker.step()
            out[part] = tidy(notes, bars * bpb, part in MONOPHONIC)
        result = self._result(request, out, spans, bars, key=key_name(key), prompt_bars=str(prompt_bars))
        return with_prompt(result, prompt, prompt_spans, prompt_bars, bpb) if request.include_prompt else result

    def _extend_chords(self, request: Request, prompt_spans: Sequence[ChordSpan], key: tuple[int, str],
                       bars: int, rng: np.random.Generator) -> list[ChordSpan]:
        """New chord spans for ``bars`` bars after the prompt, from the key-relative chord chain."""
        tonic = key[0] if key[1] == "major" else (key[0] + 3) % 12
        tokens = []
        for span in prompt_spans:
            chord = parse_chord(span.symbol)
            if not chord.is_rest:
                token = f"{(chord.root - tonic) % 12}:{chord.quality}"
                if not tokens or tokens[-1] != token:
                    tokens.append(token)
        sampling = self._sampling(request)
        per_bar = self.table.chords_per_bar / self.table.chords_per_bar.sum()
        bpb = beats_per_bar(request.meter)
        spans = []
        for bar in range(bars):
            count = 2 if bpb >= 2 and rng.random() < per_bar[1] else 1
            share = bpb / count
            for k in range(count):
                token = self.table.next_chord_token(tokens, rng, sampling)
                tokens.append(token)
                degree, quality = token.split(":")
                symbol = make_chord((tonic + int(degree)) % 12, quality).name
                spans.append(ChordSpan(symbol, bar * bpb + k * share, share))
        return spans

    def _infill(self, request: Request, rng: np.random.Generator, tracker: _Progress) -> Result:
        source = require(request, "source", "a source clip to rewrite bars of")
        if not request.infill_bars:
            raise ValueError("the infill task needs infill_bars: the 1-based bar numbers to rewrite, e.g. (3, 4)")
        bpb = beats_per_bar(request.meter)
        bars = request.bars or bars_spanned(source, bpb)
        bad = [b for b in request.infill_bars if not 1 <= b <= bars]
        if bad:
            raise ValueError(f"infill bars {bad} are outside the clip's bars 1-{bars} (set bars to lengthen the clip)")
        role = request.parts[0]
        spans = self._chords_for(request, source, bars)
        targets = sorted({b - 1 for b in request.infill_bars})
        kept = [n for n in source if int(n.start_beats // bpb) not in targets]
        writer = self._writer(request, role, rng, ChordTrack(spans), bars)
        new: list[Note] = []
        for bar in targets:
            before = [n for n in kept if n.start_beats < bar * bpb]
            writer.seed_line(before[-2:], ChordTrack(spans))
            if before:
                writer.seed_pattern(before, (bar - 1) * bpb)
            bar_notes = writer.write_bar(bar)
            new += clip_notes(bar_notes, (bar + 1) * bpb)
            tracker.step()
        new_notes = tidy(new, bars * bpb, role in MONOPHONIC)
        new_notes = tuple(n for n in new_notes if not any(
            k.pitch == n.pitch and k.start_beats < n.end_beats and n.start_beats < k.end_beats for k in kept))
        notes = tuple(sorted(list(kept) + list(new_notes), key=lambda n: (n.start_beats, n.pitch)))
        return self._result(request, {role: notes}, spans, bars)

    def _transfer(self, request: Request, rng: np.random.Generator, tracker: _Progress) -> Result:
        source = require(request, "source", "a source clip to rewrite")
        bpb = beats_per_bar(request.meter)
        bars = request.bars or bars_spanned(source, bpb)
        role = request.parts[0]
        spans = self._chords_for(request, source, bars)
        writer = self._writer(request, role, rng, ChordTrack(spans), bars)
        notes: list[Note] = []
        for bar in range(bars):
            events = _onset_groups([n for n in source if int(n.start_beats // bpb) == bar], role)
            notes += writer.notes_for(events, bar, clip_to_chord=False)
            tracker.step()
        return self._result(request, {role: tidy(notes, bars * bpb, monophonic=False)}, spans, bars)

    def _variations(self, request: Request, rng: np.random.Generator, tracker: _Progress) -> Result:
        source = require(request, "source", "a source clip to vary")
        bpb = beats_per_bar(request.meter)
        bars = request.bars or bars_spanned(source, bpb)
        role = request.parts[0]
        spans = self._chords_for(request, source, bars)
        writer = self._writer(request, role, rng, ChordTrack(spans), bars)
        notes: list[Note] = []
        for bar in range(bars):
            bar_notes = [n for n in source if int(n.start_beats // bpb) == bar]
            if bar_notes and rng.random() < 0.5:  # keep this bar's rhythm, new pitches
                writer.seed_pattern(bar_notes, bar * bpb)
                notes += writer.notes_for(_onset_groups(bar_notes, role), bar)
            else:
                notes += writer.write_bar(bar)
            tracker.step()
        return self._result(request, {role: tidy(notes, bars * bpb, role in MONOPHONIC)}, spans, bars)


def _onset_groups(notes: Sequence[Note], role: str) -> list[tuple[float, float, int]]:
    """Rhythm events of existing notes: one per onset, sized by its chord (1 for single-line roles)."""
    groups: dict[float, list[Note]] = {}
    for note in notes:
        groups.setdefault(note.start_beats, []).append(note)
    return [(start, max(n.duration_beats for n in group), 1 if role in MONOPHONIC else min(len(group), 5))
            for start, group in sorted(groups.items())]
