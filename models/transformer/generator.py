"""The transformer (or LSTM) behind ``models.types.Generator``: each task as a plan of given and written tracks."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from models.music.chords import chord_at, parse_progression
from models.music.keys import detect_key, key_name, parse_key
from models.music.meter import TICKS_PER_BEAT, bars_spanned, beats_per_bar
from models.music.notes import MONOPHONIC, notes_in_bar, split_top_line, tidy, with_prompt
from models.music.recognise import recognise_chords
from models.sampling import Sampling
from models.styles import style_choices
from models.transformer.checkpoint import load_model, recorded_learning
from models.transformer.decoding import Plan, run_plans
from models.transformer.grammar import EVERY_BAR, LEARNT_METERS, Section, entries, min_density
from models.transformer.meters import FRAME_METER, frame_for
from models.transformer.numpy_decoder import one_thread
from models.transformer.tokenizer import decode, encode_chords, encode_notes
from models.transformer.tokens import (
    BAR,
    BOS,
    METER0,
    STYLE0,
    TRACKS,
    VOCAB,
    density_bucket,
    duration_index,
    meter_ticks,
)
from models.types import METERS, PARTS, STYLES, ChordSpan, Note, ProgressFn, Request, Result
from models.validation import RequestError, check_inputs, check_request, require

log = logging.getLogger(__name__)

MAX_BARS = 256
MAX_VARIATIONS = 64
VOICE_STYLES = ("chorale", "renaissance")
VOICE_PARTS = {"soprano": "melody", "alto": "counter", "tenor": "keys", "bassvoice": "bass"}  # the usual one


@dataclass
class _Bar:
    """One bar of a plan: given tracks with their notes/chords, and written tracks (None: sample freely)."""

    start: float
    meter: tuple[int, int]
    controls: dict[str, list] = field(default_factory=dict)
    targets: dict[str, object] = field(default_factory=dict)
    downbeats: tuple[int, ...] = (0,)  # ticks where the bars the request counts start (two in a 2/4 or 6/8 frame)
    span: int = 0  # ticks of one of those bars (0: the whole bar)


def part_tracks(parts: Sequence[str], style: str) -> dict[str, tuple[str, ...]]:
    """API part -> token tracks; chorale and renaissance styles write the four voices."""
    if style not in VOICE_STYLES:
        return {p: (p,) for p in parts}
    keys = ("tenor",) if "counter" in parts else ("alto", "tenor")
    table = {"melody": ("soprano",), "counter": ("alto",), "keys": keys, "bass": ("bassvoice",)}
    return {p: table.get(p, (p,)) for p in parts}


def parts_of(tracks: Iterable[str]) -> tuple[str, ...]:
    """The parts (in ``PARTS`` order) that token ``tracks`` write: a voice writes the part it usually sings."""
    found = {VOICE_PARTS.get(track, track) for track in tracks}
    return tuple(part for part in PARTS if part in found)


def _bar_chords(spans: Sequence[ChordSpan], start: float, ticks: int) -> tuple[tuple[int, frozenset[int]], ...]:
    """(tick, pitch classes) of the given chords sounding in one bar, for the harmony bias."""
    out = []
    for tick in range(0, ticks, 3):  # sixteenth resolution is finer than any chord change we are given
        chord = chord_at(spans, start + tick / TICKS_PER_BEAT)
        pcs = chord.pitch_classes if chord is not None else frozenset()
        if not out or out[-1][1] != pcs:
            out.append((tick, pcs))
    return tuple(out)


def _sounding(harmony: tuple[tuple[int, frozenset[int]], ...], first: int, ticks: int) -> bool:
    """Whether a chord sounds in the ticks ``[first, first + ticks)`` of a bar (``_bar_chords``)."""
    return any(pcs for index, (tick, pcs) in enumerate(harmony)
               if tick < first + ticks and (index + 1 == len(harmony) or harmony[index + 1][0] > first))


class TransformerGenerator:
    """A trained checkpoint serving every task; implements ``models.types.Generator``."""

    def __init__(self, model: torch.nn.Module, name: str, device: str = "cpu", *, styles: Iterable[str],
                 parts: Iterable[str], harmony: float = 1.0) -> None:
        self.model, self.name, self.device = model, name, device
        self.trained_styles = frozenset(styles)  # the styles its training data had
        self.parts = tuple(part for part in PARTS if part in set(parts))  # the parts it learnt to write
        self.harmony = harmony  # strength of the chord-tone bias for given chords (0: the raw network)
        self.int8 = True  # one sequence on the CPU decodes with int8 weights (numpy_decoder.py)

    @classmethod
    def load(cls, path: str | Path, device: str = "auto", name: str = "") -> TransformerGenerator:
        """Load a checkpoint written by ``continuo train`` onto ``device`` ("auto", "cpu", "cuda").

        Raises:
            ValueError: a device this machine lacks.
            CheckpointError: a missing or damaged file, or one that does not record what it learnt.
        """
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(f"device '{device}' is not available (PyTorch sees no CUDA GPU): use 'auto' or 'cpu'")
        if device not in ("cpu",) and not device.startswith("cuda"):
            raise ValueError(f"device '{device}' is not known: use 'auto', 'cpu' or 'cuda'")
        model, checkpoint = load_model(path, device)
        styles, parts = recorded_learning(checkpoint, path)
        return cls(model, name or f"{checkpoint.config.kind}-{Path(path).stem}", device, styles=styles, parts=parts)

    # ------------------------------------------------------------ entry point

    def generate(self, request: Request, progress: ProgressFn | None = None) -> list[Result]:
        """Return ``request.variations`` results; variation ``i`` is drawn with seed ``seed + i`` (its
        ``info["seed"]``), the same notes as a request for one variation with that seed.

        On the CPU everything runs with torch, BLAS and OpenMP on one thread (``one_thread``), so the
        notes depend on the request alone, not on the caller's thread settings or the machine's load.

        Raises:
            ValueError: unknown task, part, style or meter; a missing clip or chord progression;
                out-of-range sampling settings.
        """
        with one_thread() if self.model.embed.weight.device.type == "cpu" else contextlib.nullcontext():
            return self._generate(request, progress)

    def _generate(self, request: Request, progress: ProgressFn | None) -> list[Result]:
        self._validate(request)
        seed = request.seed if request.seed is not None else int(np.random.SeedSequence().entropy % 2**31)
        bars, finish = getattr(self, f"_{request.task}")(request)
        plan = self._plan(request.style, bars)
        sampling = Sampling(request.temperature, request.top_k, request.top_p)

        def on_bar(done: float) -> None:
            if progress is not None:
                progress(min(done / (len(bars) + 1), 0.99))

        rows = run_plans(self.model, [plan] * request.variations, sampling, seed, on_bar, self.int8, self.harmony)
        results = []
        for index, tokens in enumerate(rows):
            result = finish(decode(tokens))
            result.info.update({"model": self.name, "task": request.task, "style": request.style,
                                "seed": str(seed + index), "variation": str(index)})
            results.append(result)
        if progress is not None:
            progress(1.0)
        return results

    def _validate(self, request: Request) -> None:
        check_request(request, parts=self.parts, styles=STYLES, max_bars=MAX_BARS, max_variations=MAX_VARIATIONS,
                      who="the model", drums_note="this model was trained without drum tracks")
        learnt = self.trained_styles
        if request.style not in learnt:
            raise RequestError(style_choices(request.style, learnt, f"the {self.name} model", "learnt") + " (or the "
                               "Markov model, model markov, which knows pop, ballad and upbeat)", "style")

    # ------------------------------------------------------------ plans

    def _plan(self, style: str, bars: Sequence[_Bar]) -> Plan:
        """BOS STYLE, then per bar BAR METER, given sections, written sections; a closing BAR."""
        plan: Plan = [BOS, STYLE0 + STYLES.index(style)]
        started: set[str] = set()  # tracks written freely so far: their first bar is never empty, nor late
        for bar in bars:
            ticks = meter_ticks(bar.meter)
            harmony = _bar_chords(bar.controls.get("chord", ()), bar.start, ticks)
            span = bar.span or ticks
            # the counted bars the parts must play in: not those where the chords rest (N)
            downbeats = tuple(d for d in bar.downbeats if "chord" not in bar.controls or _sounding(harmony, d, span))
            plan += [BAR, METER0 + METERS.index(bar.meter)]
            for role, items in (("control", bar.controls), ("target", bar.targets)):
                for track in sorted(items, key=TRACKS.index):
                    plan.append(VOCAB.track_token(role, track))
                    content = items[track]
                    if isinstance(content, Section):
                        plan.append(replace(content, chords=harmony))
                    elif content is None:
                        first = track not in started
                        windows = entries(track, bar.meter, first, downbeats, span)
                        plan.append(Section(track, ticks, end=-1, chords=harmony, entries=windows,
                                            min_density=min_density(track, bar.meter, first, len(windows)),
                                            meter=None if bar.meter in LEARNT_METERS or track not in EVERY_BAR
                                            else bar.meter))
                        started.add(track)
                    elif track == "chord":
                        plan += encode_chords(content, bar.start, ticks)
                    else:
                        plan += encode_notes(content, bar.start, ticks)
        plan.append(BAR)
        for index, item in enumerate(plan):  # a section ends with the forced token after it
            if isinstance(item, Section):
                plan[index] = replace(item, end=plan[index + 1])
        return plan

    @staticmethod
    def _grid(request: Request, count: int, first: float = 0.0) -> list[_Bar]:
        beats = beats_per_bar(request.meter)
        return [_Bar(first + k * beats, tuple(request.meter)) for k in range(count)]  # type: ignore[arg-type]

    def _parts_result(self, request: Request, decoded, parts: Sequence[str], chords: Sequence[ChordSpan],
                      bars: int, offset: float = 0.0, given: dict[str, Sequence[Note]] | None = None) -> Result:
        total = bars * beats_per_bar(request.meter)
        tracks = part_tracks(parts, request.style)
        out = {}
        for part in parts:
            if given and part in given:
                notes = list(given[part])
            else:
                notes = [Note(n.pitch, n.start_beats - offset, n.duration_beats, n.velocity)
                         for t in tracks[part] for n in decoded.tracks.get(t, []) if n.start_beats >= offset - 1e-6]
            out[part] = tidy(notes, total, part in MONOPHONIC and len(tracks[part]) == 1)
        return Result(parts=out, chords=tuple(chords), bars=bars, meter=tuple(request.meter),  # type: ignore[arg-type]
                      tempo=request.tempo)

    def _targets(self, request: Request, parts: Sequence[str]) -> dict[str, object]:
        return {t: None for tracks in part_tracks(parts, request.style).values() for t in tracks}

    # ------------------------------------------------------------ tasks: each returns bars and a finisher

    def _accompany(self, request: Request):
        check_inputs(request)
        spans = parse_progression(request.chords, request.meter, request.bars)
        beats = beats_per_bar(request.meter)
        count = round((spans[-1].start_beats + spans[-1].duration_beats) / beats)
        frame = frame_for(request.meter)
        if frame is not None and request.style not in VOICE_STYLES:  # the voices learnt their meters
            return self._accompany_framed(request, spans, count, frame)
        bars = self._accompany_bars(request, spans, count)
        given = {"melody": request.melody} if request.melody else None
        return bars, lambda d: self._parts_result(request, d, request.parts, spans, count, given=given)

    def _accompany_framed(self, request: Request, spans: Sequence[ChordSpan], count: int, frame):
        """Accompany in 2/4, 6/8 or 12/8 written as 4/4 (``models.transformer.meters``): every counted
        bar holds an onset of each part, and the notes come back swung onto compound beats."""
        melody = frame.to_frame(request.melody)
        inner = request.replace(meter=FRAME_METER, melody=melody)
        framed = self._accompany_bars(inner, list(frame.spans_to_frame(spans)), frame.frame_bars(count))
        downbeats = tuple(range(0, meter_ticks(FRAME_METER), frame.bar_ticks))
        for bar in framed:
            bar.downbeats, bar.span = downbeats, frame.bar_ticks
        total = count * beats_per_bar(request.meter)

        def finish(decoded) -> Result:
            parts = {}
            for part in request.parts:
                if part == "melody" and request.melody:
                    parts[part] = tidy(request.melody, total, True)
                    continue
                notes = [n for t in part_tracks([part], request.style)[part] for n in decoded.tracks.get(t, [])]
                parts[part] = tidy(frame.notes_from_frame(notes), total, part in MONOPHONIC)
            return Result(parts=parts, chords=tuple(spans), bars=count, meter=tuple(request.meter),  # type: ignore[arg-type]
                          tempo=request.tempo)
        return framed, finish

    def _accompany_bars(self, request: Request, spans: Sequence[ChordSpan], count: int) -> list[_Bar]:
        beats = beats_per_bar(request.meter)
        melody_track = part_tracks(["melody"], request.style)["melody"][0]
        written = [p for p in request.parts if not (p == "melody" and request.melody)]
        bars = self._grid(request, count)
        for bar in bars:
            bar.controls["chord"] = spans
            if request.melody:
                bar.controls[melody_track] = notes_in_bar(request.melody, bar.start, beats)
            bar.targets = self._targets(request, written)
        return bars

    def _harmonize(self, request: Request):
        melody = require(request, "melody", "a melody to harmonize")
        beats = beats_per_bar(request.meter)
        count = request.bars or bars_spanned(melody, beats)
        melody_track = part_tracks(["melody"], request.style)["melody"][0]
        bars = self._grid(request, count)
        written = [p for p in request.parts if p != "melody"]
        # the chords keep to the key asked for, or the melody's (models/transformer/grammar.py: key_bias)
        key = parse_key(request.key) if request.key else detect_key(melody)
        for bar in bars:
            bar.controls[melody_track] = notes_in_bar(melody, bar.start, beats)
            bar.targets = {"chord": Section("chord", meter_ticks(bar.meter), -1, key=key)} | \
                self._targets(request, written)

        def finish(decoded) -> Result:
            result = self._parts_result(request, decoded, request.parts, decoded.chords, count, given={"melody": melody})
            result.info.update(key=key_name(key), key_source="request" if request.key else "melody")
            return result
        return bars, finish

    def _continue(self, request: Request):
        prompt = require(request, "prompt", "a prompt clip to continue")
        beats = beats_per_bar(request.meter)
        prompt_bars = bars_spanned(prompt, beats)
        count = request.bars or 4
        key = parse_key(request.key) if request.key else None
        spans = recognise_chords(prompt, request.meter, prompt_bars, key=key)
        melody, rest = split_top_line(prompt)
        parts = ("melody",) + tuple(p for p in request.parts if p != "melody")
        tracks = part_tracks(parts, request.style)
        bars = self._grid(request, prompt_bars + count)
        for index, bar in enumerate(bars):
            bar.targets = {"chord": None} | self._targets(request, parts)
            if index < prompt_bars:
                bar.targets["chord"] = spans
                bar.targets[tracks["melody"][0]] = notes_in_bar(melody, bar.start, beats)
                if rest and "keys" in tracks and tracks["keys"][-1] not in ("tenor",):
                    bar.targets[tracks["keys"][-1]] = notes_in_bar(rest, bar.start, beats)
        offset = prompt_bars * beats

        def finish(decoded) -> Result:
            chords = [ChordSpan(c.symbol, c.start_beats - offset, c.duration_beats)
                      for c in decoded.chords if c.start_beats >= offset - 1e-6]
            result = self._parts_result(request, decoded, parts, chords, count, offset)
            result.info["prompt_bars"] = str(prompt_bars)
            return with_prompt(result, prompt, spans, prompt_bars, beats) if request.include_prompt else result
        return bars, finish

    def _source_setup(self, request: Request):
        source = require(request, "source", "a source clip")
        beats = beats_per_bar(request.meter)
        count = request.bars or bars_spanned(source, beats)
        if request.chords.strip():
            spans = parse_progression(request.chords, request.meter, count)
        else:
            spans = recognise_chords(source, request.meter, count, key=request.key or None)
        part = request.parts[0]
        track = part_tracks([part], request.style)[part][-1]
        bars = self._grid(request, count)
        for bar in bars:
            bar.controls["chord"] = spans
            if request.melody and part != "melody":
                bar.controls[part_tracks(["melody"], request.style)["melody"][0]] = \
                    notes_in_bar(request.melody, bar.start, beats)
        return source, count, spans, part, track, bars

    def _infill(self, request: Request):
        source, count, spans, part, track, bars = self._source_setup(request)
        check_inputs(request)
        wrong = [b for b in request.infill_bars if not 1 <= b <= count]
        if wrong:
            raise ValueError(f"infill bars {wrong} are outside the source's bars 1-{count}")
        chosen = set(request.infill_bars)
        beats = beats_per_bar(request.meter)
        for number, bar in enumerate(bars, start=1):
            bar.targets[track] = None if number in chosen else notes_in_bar(source, bar.start, beats)

        def finish(decoded) -> Result:
            kept = [n for n in source if int(n.start_beats // beats) + 1 not in chosen]
            fresh = [n for n in decoded.tracks.get(track, []) if int(n.start_beats // beats) + 1 in chosen]
            notes = tidy(kept + fresh, count * beats, part in MONOPHONIC)
            return Result({part: notes}, tuple(spans), count, tuple(request.meter), request.tempo)  # type: ignore[arg-type]
        return bars, finish

    def _transfer(self, request: Request):
        source, count, spans, part, track, bars = self._source_setup(request)
        beats = beats_per_bar(request.meter)
        for bar in bars:
            events: dict[int, tuple[int, int]] = {}
            for note in notes_in_bar(source, bar.start, beats):
                tick = round((note.start_beats - bar.start) * TICKS_PER_BEAT)
                dur, size = events.get(tick, (duration_index(note.duration_beats * TICKS_PER_BEAT), 0))
                events[tick] = (dur, size + 1)
            rhythm = tuple((t, d, min(s, 1 if track in MONOPHONIC else 6)) for t, (d, s) in sorted(events.items()))
            bar.targets[track] = Section(track, meter_ticks(bar.meter), -1, density_bucket(len(rhythm)), None, rhythm)
        return bars, lambda d: self._parts_result(request, d, [part], spans, count)

    def _variations(self, request: Request):
        source, count, spans, part, track, bars = self._source_setup(request)
        beats = beats_per_bar(request.meter)
        for bar in bars:
            onsets = len({round(n.start_beats, 3) for n in notes_in_bar(source, bar.start, beats)})
            bar.targets[track] = Section(track, meter_ticks(bar.meter), -1, density_bucket(onsets))
        return bars, lambda d: self._parts_result(request, d, [part], spans, count)
