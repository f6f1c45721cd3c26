"""The chord-and-texture VAE: interpolation between clips and texture transfer (the layer around the models)."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path

from models.dynamics.generator import DynamicsGenerator, check_feel
from models.music.chords import ChordError, chords_text, parse_progression
from models.music.keys import detect_key, key_name, parse_key
from models.music.meter import bars_spanned, beats_per_bar
from models.music.notes import guess_role
from models.music.recognise import recognise_chords
from models.transfer.generator import DEFAULT_PARTS
from models.types import ChordSpan, Generator, Note, ProgressFn, Request, Result
from models.vae.codec import VaeCodec, own_pieces
from models.validation import RequestError
from models.wrapping import Wrapper

log = logging.getLogger(__name__)

CHECKPOINT = Path(__file__).resolve().parents[1] / "checkpoints" / "vae.safetensors"
MIN_STEPS, MAX_STEPS = 3, 16
# the General MIDI kit's usual pieces: kicks, snares, claps, toms, hi-hats, crash and ride
KIT = frozenset({35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 55, 57, 59})


def vae_checkpoint_path() -> Path:
    """The shipped VAE, ``models/checkpoints/vae.safetensors``."""
    return CHECKPOINT


class VaeTasks(Wrapper):
    """Serves ``interpolate`` and ``transfer`` with a ``texture`` clip; passes every other request through.

    Interpolate: both clips are cut into 2-bar (8-beat) pieces, the shorter looped to the longer; each piece's chord
    and texture latents are interpolated along a great circle (slerp) and decoded with the same thresholds, anchored to
    the clips and changed gradually (``VaeCodec.interpolate``), ``steps`` results from the source (the first) to the
    target (the last), each result's chords recognised from its notes.
    Texture transfer: each 2-bar piece of the source keeps its chord latent and takes the texture latent of the
    texture clip's piece (looped); ``strength`` below 1 stops part-way from the source's own texture.
    A request that sets ``dynamics``, ``humanize``, ``humanize_velocity`` or ``swing`` has the notes the VAE wrote
    played by the dynamics layer below (``DynamicsGenerator.perform``), as the models' parts are; an interpolation's
    first and last steps, the clips as given, are left as they are.
    """

    def __init__(self, inner: Generator, codec: VaeCodec | None = None, path: str | Path | None = None,
                 dynamics: DynamicsGenerator | None = None) -> None:
        super().__init__(inner)
        self._dynamics = dynamics  # the dynamics layer below, which plays the VAE's notes (registry.performed)
        self._codec = codec
        self._path = Path(path) if path is not None else CHECKPOINT

    @property
    def codec(self) -> VaeCodec:
        """The network, loaded the first time a request needs it."""
        if self._codec is None:
            self._codec = VaeCodec.load(self._path)
        return self._codec

    def generate(self, request: Request, progress: ProgressFn | None = None) -> list[Result]:
        if request.task == "interpolate":
            check_feel(request)
            results = self._interpolate(request, progress)
            return [results[0], *self._played(results[1:-1], request), results[-1]]
        if request.task == "transfer" and request.texture:
            check_feel(request)
            return self._played(self._transfer(request, progress), request)
        return self.inner.generate(request, progress)

    def _played(self, results: list[Result], request: Request) -> list[Result]:
        """``results`` played by the dynamics layer among the layers below, when the request sets its feel; without
        it, the VAE's own velocities (the clips' loudness, piece by piece) stay."""
        asked = request.dynamics or request.swing or request.humanize or request.humanize_velocity is not None
        layer = self._dynamics
        if not asked or layer is None:
            return results
        table = layer.dynamics_table
        return [layer.perform(result, request, table, index) for index, result in enumerate(results)]

    # ------------------------------------------------------------ interpolate

    def _interpolate(self, request: Request, progress: ProgressFn | None) -> list[Result]:
        source = _clip(request.source, "source", "a source clip to morph from")
        target = _clip(request.target, "target", "a target clip to morph to")
        if not MIN_STEPS <= request.steps <= MAX_STEPS:
            raise RequestError(f"{{key}} must be between {MIN_STEPS} and {MAX_STEPS}, not {request.steps}", "steps")
        pieces = max(own_pieces(source), own_pieces(target))
        source_chords = _chords(source, request, own_pieces(source), given=True)
        target_chords = _chords(target, request, own_pieces(target), given=False)
        seed = _seed(request)
        steps = self.codec.interpolate(source, source_chords, target, target_chords, pieces, request.steps, seed,
                                       progress)
        bars = request.bars or max(bars_spanned(c, beats_per_bar(request.meter)) for c in (source, target))
        results = []
        for index, notes in enumerate(steps):
            results.append(self._result(request, notes, bars, seed, {
                "step": f"{index + 1} of {len(steps)}", "position": f"{index / (len(steps) - 1):.3f}",
                "method": "vae-interpolate"}))
        log.info("interpolated %d pieces of 2 bars in %d steps", pieces, len(steps))
        return results

    # ------------------------------------------------------------ texture transfer

    def _transfer(self, request: Request, progress: ProgressFn | None) -> list[Result]:
        source = _clip(request.source, "source", "a source clip whose chords to keep")
        texture = _clip(request.texture, "texture", "a clip whose texture to lay over the source")
        if not (math.isfinite(request.strength) and 0 <= request.strength <= 1):
            raise RequestError(f"{{key}} must be between 0 and 1, not {request.strength}", "strength")
        pieces = own_pieces(source)
        chords = _chords(source, request, pieces, given=True)
        base = _seed(request)
        bars = request.bars or bars_spanned(source, beats_per_bar(request.meter))
        results = []
        for index in range(max(1, request.variations)):
            seed = base + index
            notes = self.codec.transfer(source, chords, texture, pieces, request.strength, seed, variation=index)
            results.append(self._result(request, notes, bars, seed, {"method": "vae-texture",
                                                                       "variation": str(index)}))
            if progress is not None:
                progress((index + 1) / max(1, request.variations))
        return results

    # ------------------------------------------------------------ results

    def _result(self, request: Request, notes: list[Note], bars: int, seed: int, info: dict[str, str]) -> Result:
        notes = _within(notes, bars * beats_per_bar(request.meter))
        key = parse_key(request.key) if request.key else detect_key(notes) if notes else (0, "major")
        spans = recognise_chords(notes, request.meter, bars, key=key) if notes else []
        # the chords as text (sent back on /continuo/chords, printed by the CLI) and the key they were read in
        said = {"chords": chords_text(spans, request.meter, bars), "key": key_name(key),
                "key_source": "request" if request.key else "notes"} if spans else {}
        return Result({_role(request): tuple(notes)}, tuple(spans), bars, tuple(request.meter), request.tempo,
                      {"model": "vae", "seed": str(seed), **said, **info})


def _within(notes: Sequence[Note], end_beats: float) -> list[Note]:
    """The notes that start before ``end_beats``, cut there."""
    return [Note(n.pitch, n.start_beats, min(n.duration_beats, end_beats - n.start_beats), n.velocity)
            for n in notes if n.start_beats < end_beats - 1e-6]


def _clip(notes: Sequence[Note], key: str, what: str) -> tuple[Note, ...]:
    """The clip in ``key``, sorted; RequestError naming the key when it is empty or holds only drums."""
    if not notes:
        raise RequestError(f"the VAE needs {what} ({{key}}): give a clip with notes", key)
    if looks_like_drums(notes):
        raise RequestError(f"the {{key}} clip holds only drums; the VAE morphs and transfers pitched parts (piano, "
                           "keys, guitar): give a clip with chords or a melody", key)
    return tuple(sorted(notes, key=lambda n: (n.start_beats, n.pitch)))


def looks_like_drums(notes: Sequence[Note]) -> bool:
    """A drum clip as a MIDI file's channel 10 holds it: almost every note on the kit's pieces, kick or snare and
    hi-hat among them, and short."""
    pitches = [n.pitch for n in notes]
    on_kit = sum(p in KIT for p in pitches) / len(pitches)
    pieces = {p for p in pitches}
    has_kick_or_snare = bool(pieces & {35, 36, 38, 40})
    has_cymbal = bool(pieces & {42, 44, 46, 49, 51})
    short = sum(n.duration_beats <= 0.5 for n in notes) / len(notes)
    return on_kit >= 0.95 and has_kick_or_snare and has_cymbal and short >= 0.8


def _chords(notes: Sequence[Note], request: Request, pieces: int, given: bool) -> list[ChordSpan]:
    """The request's ``chords`` when ``given`` and written, else the chords recognised in the clip (4/4 bars)."""
    bars = pieces * 2
    if given and request.chords.strip():
        try:
            return parse_progression(request.chords, (4, 4), bars)
        except ChordError as err:
            raise RequestError(f"{{key}} cannot be read: {err}", "chords") from err
    return recognise_chords(notes, (4, 4), bars, key=request.key or None)


def _role(request: Request) -> str:
    """The result's part: the one part asked for, else the source's role as its notes suggest (keys for a piano
    texture), as the transfer layer names it."""
    if request.parts and request.parts not in DEFAULT_PARTS:
        return request.parts[0]
    return guess_role(request.source) if request.source else "keys"


def _seed(request: Request) -> int:
    if request.seed is not None:
        return int(request.seed)
    import random

    return random.SystemRandom().randrange(2**31)
