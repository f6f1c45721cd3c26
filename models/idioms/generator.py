"""Genre idioms and per-part controls: walking bass, bossa, EDM pumping, comping figures, density, register (the layer the registry puts around the models)."""

from __future__ import annotations

import logging

from models.idioms.bass import pop_bass, write_bass
from models.idioms.common import bar_pieces, chord_spans, mean_pitch, seeded
from models.idioms.comping import hold, pop_keys, slow_line, write_keys
from models.idioms.controls import DENSITIES, REGISTERS, parse_control, word_for
from models.idioms.genres import KICK_LOCKED, idiom_for, inner_style
from models.idioms.groove import busier, lock_to_kick, monophonic, move_register, thinner, under_keys
from models.music.meter import beats_per_bar
from models.music.notes import MONOPHONIC, clip_notes
from models.types import Note, ProgressFn, Request, Result
from models.wrapping import Wrapper, given_notes

log = logging.getLogger(__name__)

REWRITTEN = ("accompany", "harmonize", "continue")  # tasks whose bass and keys the genre writes anew


class IdiomGenerator(Wrapper):
    """Plays the genre of a request's style in its bass and keys (``models.idioms.genres``): the rhythm, the
    line and the chord tones by rule, the voicings and register from the model's own notes; then ``density`` and
    ``register`` per part, the bass under the keys and, in genres that do it, on the kick drum.

    A genre name the models behind do not know (``bossa``, ``edm``, ``lofi``, ``cinematic``) reaches them as its
    drum style with drums, its pitched style without; the result says the style asked for. Tasks that keep a
    clip's notes (infill, variations, transfer, interpolate) get only ``density`` and ``register``.
    """

    def generate(self, request: Request, progress: ProgressFn | None = None) -> list[Result]:
        density = parse_control(request.density, "density", DENSITIES)
        register = parse_control(request.register, "register", REGISTERS)
        idiom = idiom_for(request.style) if request.task in REWRITTEN else None
        style = inner_style(request.style, "drums" in request.parts)
        results = self.inner.generate(request if style == request.style else request.replace(style=style), progress)
        if idiom is None and not density and not register:
            return results
        return [self._shape(result, request, idiom, density, register) for result in results]

    def _shape(self, result: Result, request: Request, idiom: str | None, density: dict[str, str],
               register: dict[str, str]) -> Result:
        """``result`` in the genre and with the controls, on the notes a model wrote: the notes the request gave (a
        melody, the prompt in front of a continuation, an infill's kept bars) come back as they were."""
        beats = beats_per_bar(result.meter)
        given, prompt_bars = given_notes(result, request)
        offset = prompt_bars * beats
        pieces = [p for p in bar_pieces(chord_spans(result), beats) if p.start >= offset - 1e-6]
        kept = {part: [n for n in notes if given(part, n)] for part, notes in result.parts.items()}
        parts = {part: [n for n in notes if not given(part, n)] for part, notes in result.parts.items()}
        info = dict(result.info)
        if idiom is not None and pieces:
            self._play_genre(idiom, parts, pieces, result, offset)
            info["idiom"] = idiom
        for part, notes in parts.items():
            if part == "melody" and request.melody:  # the producer's own melody is never reshaped
                continue
            word = word_for(density, part, "medium")
            if word == "low":
                notes = thinner(notes, part, pieces)
            elif word == "high" and part != "arp":  # the arp's steps are its `rate`
                notes = busier(notes, part, pieces)
            parts[part] = move_register(notes, part, word_for(register, part, "middle")) if part != "drums" else notes
        if "bass" in parts and "keys" in parts:
            parts["bass"] = under_keys(parts["bass"], kept["keys"] + parts["keys"])
        if idiom in KICK_LOCKED and "bass" in parts and "drums" in parts:
            parts["bass"] = lock_to_kick(parts["bass"], kept["drums"] + parts["drums"])
        total = result.bars * beats
        shaped = {}
        for part, notes in parts.items():
            if part == "melody" and request.melody:
                shaped[part] = result.parts[part]
                continue
            written = clip_notes(monophonic(notes) if part in MONOPHONIC else notes, total)
            # what the rules add never lands among the given notes (a hi-hat before a continuation, say)
            written = [n for n in written if not given(part, n)]
            shaped[part] = tuple(sorted(kept[part] + written, key=lambda n: (n.start_beats, n.pitch)))
        info["style"] = request.style
        return Result(shaped, result.chords, result.bars, result.meter, result.tempo, info)

    @staticmethod
    def _play_genre(idiom: str, parts: dict[str, list[Note]], pieces: list, result: Result, offset: float) -> None:
        """Rewrite ``parts``' bass and keys (and a cinematic pad and counter-line) from ``offset`` on, in place."""
        for part in ("bass", "keys", "pad", "counter"):
            if part not in parts or (part in ("pad", "counter") and idiom != "cinematic"):
                continue
            kept = [n for n in parts[part] if n.start_beats < offset - 1e-6]
            model = [n for n in parts[part] if n.start_beats >= offset - 1e-6]
            velocity = round(sum(n.velocity for n in model) / len(model)) if model else 80
            rng = seeded(result, f"{idiom}:{part}")
            if part == "bass":
                anchor = mean_pitch(model, 40.0)
                new = (pop_bass(model, pieces, rng) if idiom == "pop"
                       else write_bass(idiom, pieces, result.meter, rng, anchor, velocity))
            elif part == "keys":
                anchor = mean_pitch(model, 62.0)
                new = (pop_keys(model, pieces, result.meter, rng) if idiom == "pop"
                       else write_keys(idiom, pieces, result.meter, rng, model, anchor, velocity))
            elif part == "pad":
                new = hold(model, pieces, mean_pitch(model, 62.0), velocity)
            else:
                new = slow_line(model, pieces)
            parts[part] = kept + new
