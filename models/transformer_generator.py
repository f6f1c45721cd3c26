"""The transformer (or LSTM) behind ``models.api.Generator``: each task as a plan of given and written tracks."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from models.api import (
    ChordSpan,
    Note,
    ProgressFn,
    Request,
    Result,
    check_request,
)
from models.checkpoint import load_model
from models.chords import chord_at, parse_key, parse_progression, recognise_chords
from models.corpora import source_styles
from models.decoding import Plan, SamplingSettings, run_plans
from models.sampling import Section
from models.tokenizer import (
    BAR,
    BOS,
    METER0,
    STYLE0,
    STYLES,
    TRACKS,
    VOCAB,
    decode,
    density_bucket,
    duration_index,
    encode_chords,
    encode_notes,
    meter_ticks,
)
from models.tokenizer import METERS as TOKEN_METERS

log = logging.getLogger(__name__)

MAX_BARS = 256
MAX_VARIATIONS = 64
GENERATED_PARTS = ("melody", "counter", "keys", "bass", "pad", "arp")
VOICE_STYLES = ("chorale", "renaissance")
MONOPHONIC = ("melody", "counter", "bass", "soprano", "alto", "tenor", "bassvoice", "arp")


@dataclass
class _Bar:
    """One bar of a plan: given tracks with their notes/chords, and written tracks (None: sample freely)."""

    start: float
    meter: tuple[int, int]
    controls: dict[str, list] = field(default_factory=dict)
    targets: dict[str, object] = field(default_factory=dict)


def trained_styles(info: dict) -> frozenset[str] | None:
    """The styles a checkpoint's training sources had, from the run settings it carries, plus those of
    the checkpoint a fine-tune started from; None when unknown (no settings, a source of unknown
    style, or a fine-tune whose starting styles are not recorded)."""
    train = info.get("train") if isinstance(info, dict) else None
    if not isinstance(train, dict) or not train.get("sources"):
        return None
    styles: set[str] = set()
    if train.get("init"):
        base = info.get("init_styles")
        if not isinstance(base, list):
            return None
        styles.update(str(style) for style in base)
    for source in train["sources"]:
        found = source_styles(str(source))
        if found is None:
            return None
        styles |= found
    return frozenset(styles)


def part_tracks(parts: Sequence[str], style: str) -> dict[str, tuple[str, ...]]:
    """API part -> token tracks; chorale and renaissance styles write the four voices."""
    if style not in VOICE_STYLES:
        return {p: (p,) for p in parts}
    keys = ("tenor",) if "counter" in parts else ("alto", "tenor")
    table = {"melody": ("soprano",), "counter": ("alto",), "keys": keys, "bass": ("bassvoice",)}
    return {p: table.get(p, (p,)) for p in parts}


def _bars_spanned(notes: Sequence[Note], beats: float) -> int:
    return max(1, math.ceil(max(n.end_beats for n in notes) / beats - 1e-6))


def _in_bar(notes: Sequence[Note], start: float, beats: float) -> list[Note]:
    return [n for n in notes if start - 1e-6 <= n.start_beats < start + beats - 1e-6]


def tidy(notes: Sequence[Note], total: float, monophonic: bool) -> tuple[Note, ...]:
    """Sort, clip to ``[0, total)``, cut same-pitch overlaps (every note for monophonic parts)."""
    ordered = sorted({(n.start_beats, n.pitch): n for n in notes if n.start_beats < total}.values(),
                     key=lambda n: (n.start_beats, n.pitch))
    out = []
    for index, note in enumerate(ordered):
        end = min(note.end_beats, total)
        for later in ordered[index + 1:]:
            if later.start_beats > note.start_beats + 1e-9 and (monophonic or later.pitch == note.pitch):
                end = min(end, later.start_beats)
                break
        if end - note.start_beats > 1e-6:
            out.append(Note(note.pitch, note.start_beats, end - note.start_beats, note.velocity))
    return tuple(out)


def _bar_chords(spans: Sequence[ChordSpan], start: float, ticks: int) -> tuple[tuple[int, frozenset[int]], ...]:
    """(tick, pitch classes) of the given chords sounding in one bar, for the harmony bias."""
    out = []
    for tick in range(0, ticks, 3):  # sixteenth resolution is finer than any chord change we are given
        chord = chord_at(spans, start + tick / 12)
        pcs = chord.pitch_classes if chord is not None else frozenset()
        if not out or out[-1][1] != pcs:
            out.append((tick, pcs))
    return tuple(out)


def _split_prompt(prompt: Sequence[Note]) -> tuple[list[Note], list[Note]]:
    """Top line of a prompt (highest note per onset) and the rest."""
    top: dict[float, Note] = {}
    for note in prompt:
        if note.start_beats not in top or note.pitch > top[note.start_beats].pitch:
            top[note.start_beats] = note
    melody = sorted(top.values(), key=lambda n: n.start_beats)
    rest = [n for n in prompt if top.get(n.start_beats) is not n]
    return melody, rest


class TransformerGenerator:
    """A trained checkpoint serving every task; implements ``models.api.Generator``."""

    def __init__(self, model: torch.nn.Module, name: str, device: str = "cpu", harmony: float = 1.0,
                 trained_styles: frozenset[str] | None = None) -> None:
        self.model, self.name, self.device = model, name, device
        self.harmony = harmony  # strength of the chord-tone bias for given chords (0: the raw network)
        # the styles its training data had (None: not known, every style is allowed)
        self.trained_styles = trained_styles
        self.int8 = True  # one sequence on the CPU decodes with int8 weights (models/numpy_decoder.py)

    @classmethod
    def load(cls, path: str | Path, device: str = "auto", name: str = "") -> TransformerGenerator:
        """Load a checkpoint written by ``models.train`` onto ``device`` ("auto", "cpu", "cuda")."""
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(f"device '{device}' is not available (PyTorch sees no CUDA GPU): use 'auto' or 'cpu'")
        if device not in ("cpu",) and not device.startswith("cuda"):
            raise ValueError(f"device '{device}' is not known: use 'auto', 'cpu' or 'cuda'")
        model, checkpoint = load_model(path, device)
        return cls(model, name or f"{checkpoint.config.kind}-{Path(path).stem}", device,
                   trained_styles=trained_styles(checkpoint.info))

    # ------------------------------------------------------------ entry point

    def generate(self, request: Request, progress: ProgressFn | None = None) -> list[Result]:
        """Return ``request.variations`` results, decoded as one batch from one seed.

        Raises:
            ValueError: unknown task, part, style or meter; a missing clip or chord progression;
                out-of-range sampling settings.
        """
        self._validate(request)
        seed = request.seed if request.seed is not None else int(np.random.SeedSequence().entropy % 2**31)
        bars, finish = getattr(self, f"_{request.task}")(request)
        plan = self._plan(request.style, bars)
        settings = SamplingSettings(request.temperature, request.top_k, request.top_p, self.harmony)

        def on_bar(done: int) -> None:
            if progress is not None:
                progress(min(done / (len(bars) + 1), 0.99))

        rows = run_plans(self.model, [plan] * request.variations, settings, seed, on_bar, self.int8)
        results = []
        for index, tokens in enumerate(rows):
            result = finish(decode(tokens))
            result.info.update({"model": self.name, "task": request.task, "style": request.style,
                                "seed": str(seed), "variation": str(index)})
            results.append(result)
        if progress is not None:
            progress(1.0)
        return results

    def _validate(self, request: Request) -> None:
        check_request(request, parts=GENERATED_PARTS, styles=STYLES, max_bars=MAX_BARS,
                      max_variations=MAX_VARIATIONS, who="the model", drums_note="the shipped model was trained without drum tracks")
        learnt = self.trained_styles
        if learnt is not None and request.style not in learnt:
            raise ValueError(f"style '{request.style}' is not one the {self.name} model learnt (its training data "
                             f"had {', '.join(sorted(learnt))}): choose style {sorted(learnt)[0]}, or the Markov "
                             "model (model markov), which knows pop, ballad and upbeat")

    # ------------------------------------------------------------ plans

    def _plan(self, style: str, bars: Sequence[_Bar]) -> Plan:
        """BOS STYLE, then per bar BAR METER, given sections, written sections; a closing BAR."""
        plan: Plan = [BOS, STYLE0 + STYLES.index(style)]
        started: set[str] = set()  # tracks written freely so far: their first bar is never left empty
        for bar in bars:
            ticks = meter_ticks(bar.meter)
            harmony = _bar_chords(bar.controls.get("chord", ()), bar.start, ticks)
            plan += [BAR, METER0 + TOKEN_METERS.index(bar.meter)]
            for role, items in (("control", bar.controls), ("target", bar.targets)):
                for track in sorted(items, key=TRACKS.index):
                    plan.append(VOCAB.track_token(role, track))
                    content = items[track]
                    if isinstance(content, Section):
                        plan.append(replace(content, chords=harmony))
                    elif content is None:
                        plan.append(Section(track, ticks, end=-1, chords=harmony,
                                            min_density=0 if track in started else 1))
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
        beats = request.beats_per_bar
        return [_Bar(first + k * beats, tuple(request.meter)) for k in range(count)]  # type: ignore[arg-type]

    def _parts_result(self, request: Request, decoded, parts: Sequence[str], chords: Sequence[ChordSpan],
                      bars: int, offset: float = 0.0, given: dict[str, Sequence[Note]] | None = None) -> Result:
        total = bars * request.beats_per_bar
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
        if not request.chords.strip():
            raise ValueError("the accompany task needs a chord progression (Request.chords), e.g. 'Am7 | D7 | G Em | C'")
        spans = parse_progression(request.chords, request.meter, request.bars)
        count = round((spans[-1].start_beats + spans[-1].duration_beats) / request.beats_per_bar)
        melody_track = part_tracks(["melody"], request.style)["melody"][0]
        written = [p for p in request.parts if not (p == "melody" and request.melody)]
        bars = self._grid(request, count)
        for bar in bars:
            bar.controls["chord"] = spans
            if request.melody:
                bar.controls[melody_track] = _in_bar(request.melody, bar.start, request.beats_per_bar)
            bar.targets = self._targets(request, written)
        given = {"melody": request.melody} if request.melody else None
        return bars, lambda d: self._parts_result(request, d, request.parts, spans, count, given=given)

    def _harmonize(self, request: Request):
        melody = self._require(request, "melody", "a melody to harmonize")
        count = request.bars or _bars_spanned(melody, request.beats_per_bar)
        melody_track = part_tracks(["melody"], request.style)["melody"][0]
        bars = self._grid(request, count)
        written = [p for p in request.parts if p != "melody"]
        for bar in bars:
            bar.controls[melody_track] = _in_bar(melody, bar.start, request.beats_per_bar)
            bar.targets = {"chord": None} | self._targets(request, written)

        def finish(decoded) -> Result:
            return self._parts_result(request, decoded, request.parts, decoded.chords, count, given={"melody": melody})
        return bars, finish

    def _continue(self, request: Request):
        prompt = self._require(request, "prompt", "a prompt clip to continue")
        beats = request.beats_per_bar
        prompt_bars = _bars_spanned(prompt, beats)
        count = request.bars or 4
        key = parse_key(request.key) if request.key else None
        spans = recognise_chords(prompt, request.meter, prompt_bars, key=key)
        melody, rest = _split_prompt(prompt)
        parts = ("melody",) + tuple(p for p in request.parts if p != "melody")
        tracks = part_tracks(parts, request.style)
        bars = self._grid(request, prompt_bars + count)
        for index, bar in enumerate(bars):
            bar.targets = {"chord": None} | self._targets(request, parts)
            if index < prompt_bars:
                bar.targets["chord"] = spans
                bar.targets[tracks["melody"][0]] = _in_bar(melody, bar.start, beats)
                if rest and "keys" in tracks and tracks["keys"][-1] not in ("tenor",):
                    bar.targets[tracks["keys"][-1]] = _in_bar(rest, bar.start, beats)
        offset = prompt_bars * beats

        def finish(decoded) -> Result:
            chords = [ChordSpan(c.symbol, c.start_beats - offset, c.duration_beats)
                      for c in decoded.chords if c.start_beats >= offset - 1e-6]
            result = self._parts_result(request, decoded, parts, chords, count, offset)
            result.info["prompt_bars"] = str(prompt_bars)
            return result
        return bars, finish

    def _source_setup(self, request: Request):
        source = self._require(request, "source", "a source clip")
        count = request.bars or _bars_spanned(source, request.beats_per_bar)
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
                    _in_bar(request.melody, bar.start, request.beats_per_bar)
        return source, count, spans, part, track, bars

    def _infill(self, request: Request):
        source, count, spans, part, track, bars = self._source_setup(request)
        if not request.infill_bars:
            raise ValueError("the infill task needs the bars to rewrite (Request.infill_bars, 1-based)")
        wrong = [b for b in request.infill_bars if not 1 <= b <= count]
        if wrong:
            raise ValueError(f"infill bars {wrong} are outside the source's bars 1-{count}")
        chosen = set(request.infill_bars)
        beats = request.beats_per_bar
        for number, bar in enumerate(bars, start=1):
            bar.targets[track] = None if number in chosen else _in_bar(source, bar.start, beats)

        def finish(decoded) -> Result:
            kept = [n for n in source if int(n.start_beats // beats) + 1 not in chosen]
            fresh = [n for n in decoded.tracks.get(track, []) if int(n.start_beats // beats) + 1 in chosen]
            notes = tidy(kept + fresh, count * beats, part in MONOPHONIC)
            return Result({part: notes}, tuple(spans), count, tuple(request.meter), request.tempo)  # type: ignore[arg-type]
        return bars, finish

    def _transfer(self, request: Request):
        source, count, spans, part, track, bars = self._source_setup(request)
        beats = request.beats_per_bar
        for bar in bars:
            events: dict[int, tuple[int, int]] = {}
            for note in _in_bar(source, bar.start, beats):
                tick = round((note.start_beats - bar.start) * 12)
                dur, size = events.get(tick, (duration_index(note.duration_beats * 12), 0))
                events[tick] = (dur, size + 1)
            rhythm = tuple((t, d, min(s, 1 if track in MONOPHONIC else 6)) for t, (d, s) in sorted(events.items()))
            bar.targets[track] = Section(track, meter_ticks(bar.meter), -1, density_bucket(len(rhythm)), None, rhythm)
        return bars, lambda d: self._parts_result(request, d, [part], spans, count)

    def _variations(self, request: Request):
        source, count, spans, part, track, bars = self._source_setup(request)
        for bar in bars:
            onsets = len({round(n.start_beats, 3) for n in _in_bar(source, bar.start, request.beats_per_bar)})
            bar.targets[track] = Section(track, meter_ticks(bar.meter), -1, density_bucket(onsets))
        return bars, lambda d: self._parts_result(request, d, [part], spans, count)

    @staticmethod
    def _require(request: Request, field_name: str, what: str) -> tuple[Note, ...]:
        notes = getattr(request, field_name)
        if not notes:
            raise ValueError(f"the {request.task} task needs {what} (Request.{field_name} is empty)")
        return notes
