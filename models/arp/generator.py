"""The arpeggiator part: rate, pattern, octaves and gate over the chords or the keys' voicings (the layer the registry puts around the models)."""

from __future__ import annotations

import dataclasses
import logging
import statistics

from models.arp.figure import Placement, write_arp
from models.arp.settings import ANCHORS, check_arp, choose_settings, feel, read_hints
from models.music.chords import parse_progression
from models.music.meter import beats_per_bar
from models.types import ProgressFn, Request, Result
from models.wrapping import Wrapper

log = logging.getLogger(__name__)

# the tasks whose arp the arpeggiator writes; transfer, variations and interpolate reshape a clip the producer gave
ARPEGGIATED = ("accompany", "harmonize", "continue", "infill")


class ArpGenerator(Wrapper):
    """Lets the inner model write every part, then writes the arp itself in every bar it was asked for: the
    request's ``rate``, ``pattern``, ``octaves`` and ``gate``, those left open chosen from the style, meter, tempo
    and the arp the model wrote (docs/models.md, "The arpeggiator")."""

    def generate(self, request: Request, progress: ProgressFn | None = None) -> list[Result]:
        check_arp(request)
        if "arp" not in request.parts or request.task not in ARPEGGIATED:
            return self.inner.generate(request, progress)
        inner_request = request
        others = [p for p in request.parts if p not in ("arp", "drums") and not (p == "melody" and request.melody)]
        if request.rate and request.pattern and request.octaves and request.gate and others:
            # every control set: nothing to read from the model's own arp, and writing it costs the model as
            # much time again as bass and keys
            inner_request = request.replace(parts=tuple(p for p in request.parts if p != "arp"))
        return [arpeggiate(request, result) for result in self.inner.generate(inner_request, progress)]


def _seed(request: Request, result: Result) -> int:
    try:
        return int(result.info["seed"])
    except (KeyError, ValueError):
        return request.seed or 0


def _bars(request: Request, result: Result) -> list[int]:
    """The 0-based bars the arpeggiator writes: the infill bars, the continuation's (not its prompt's), or all."""
    if request.task == "infill":
        return sorted({b - 1 for b in request.infill_bars if 1 <= b <= result.bars})
    first = int(result.info.get("prompt_bars", 0)) if result.info.get("include_prompt") == "true" else 0
    return list(range(first, result.bars))


def _placement(request: Request, result: Result, hints) -> Placement:
    anchor = ANCHORS[feel(request.style)]
    if hints.pitch is not None:  # a little towards where the model wrote its arp
        anchor = 0.7 * anchor + 0.3 * min(72.0, max(57.0, hints.pitch))
    ceiling = Placement().ceiling
    if request.melody:  # under the melody's middle where there is room (at least up to E4)
        ceiling = min(ceiling, max(64, round(statistics.median(n.pitch for n in request.melody))))
    others = [n.velocity for part, notes in result.parts.items() if part != "arp" for n in notes]
    velocity = hints.velocity if hints.velocity is not None else statistics.median(others) if others else 80.0
    return Placement(anchor, ceiling, min(110.0, max(40.0, velocity)))


def arpeggiate(request: Request, result: Result) -> Result:
    """``result`` with its arp part written by the arpeggiator (the other parts as they were)."""
    written = result.parts.get("arp", ())
    keys = result.parts.get("keys", ())
    chords = result.chords
    if not chords and request.chords.strip() and request.task == "accompany":
        chords = tuple(parse_progression(request.chords, result.meter, result.bars))
    if not chords and not keys:
        log.warning("no chords or keys to arpeggiate over: the arp stays as the model wrote it")
        return result
    hints = read_hints(written)
    seed = _seed(request, result)
    settings = choose_settings(request, hints, seed)
    bars = _bars(request, result)
    beats = beats_per_bar(result.meter)
    notes = write_arp(chords, keys, bars, result.meter, settings, _placement(request, result, hints), seed,
                      result.bars * beats)
    chosen = set(bars)
    kept = [n for n in written if int(n.start_beats // beats) not in chosen]  # infill: the bars it keeps
    parts = dict(result.parts)
    parts["arp"] = tuple(sorted(kept + notes, key=lambda n: (n.start_beats, n.pitch)))
    if "arp" not in result.parts:  # the model was not asked for it: the arp goes where the request names it
        asked = [p for p in request.parts if p in parts]
        parts = {p: parts[p] for p in [p for p in result.parts if p not in asked] + asked}
    return dataclasses.replace(result, parts=parts, info={**result.info, "arp": settings.describe()})
