"""Dynamics and feel: learnt velocities, humanize and swing (the layer the registry puts around the models)."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from models.dynamics.feel import SWING_STEPS, humanize_notes, swing_notes
from models.dynamics.model import DynamicsTable, length_class, metric_class, phrase_slot, voice_classes
from models.music.meter import beats_per_bar
from models.music.notes import MONOPHONIC, tidy
from models.types import PARTS, Generator, Note, ProgressFn, Request, Result
from models.validation import RequestError
from models.wrapping import Wrapper, given_notes

log = logging.getLogger(__name__)

TABLE_PATH = Path(__file__).resolve().parents[1] / "checkpoints" / "dynamics-pop909.json.gz"
# what the bass and keys average at each level (the human piano of held-out POP909 verses averages 76-77)
LEVELS = {"soft": 56.0, "medium": 76.0, "loud": 96.0}
BAR_WEIGHT = 0.5  # how much of the model's own bar-to-bar level change is kept (its VEL tokens step by 16)
BAR_LIMIT = 8.0  # and at most this far from its usual level
MAX_HUMANIZE_MS = 100.0
MAX_HUMANIZE_VELOCITY = 40.0
_PART_ORDER = tuple(PARTS)


def check_feel(request: Request) -> None:
    """Raise RequestError for a dynamics, humanize or swing setting out of range."""
    if request.dynamics not in ("", *LEVELS):
        raise RequestError(f"{{key}} '{request.dynamics}' is not a level: use soft, medium or loud", "dynamics")
    humanize = request.humanize
    if humanize is not None and not (math.isfinite(humanize) and 0 <= humanize <= MAX_HUMANIZE_MS):
        raise RequestError(f"{{key}} {humanize} is out of range: use 0 (on the grid) to {MAX_HUMANIZE_MS:g} ms",
                           "humanize")
    spread = request.humanize_velocity
    if spread is not None and not (math.isfinite(spread) and 0 <= spread <= MAX_HUMANIZE_VELOCITY):
        raise RequestError(f"{{key}} {spread} is out of range: use 0 (the learnt accents only) to "
                           f"{MAX_HUMANIZE_VELOCITY:g}", "humanize_velocity")
    if not (math.isfinite(request.swing) and 0 <= request.swing <= 75):
        raise RequestError(f"{{key}} {request.swing} is out of range: use 0 (straight) to 75 %", "swing")
    if request.swing_on not in SWING_STEPS:
        raise RequestError(f"{{key}} '{request.swing_on}' is not a step: use eighths or sixteenths", "swing_on")


class DynamicsGenerator(Wrapper):
    """Plays every part the models write like a player: velocities from the learnt table (``models.dynamics.model``)
    for the pitched parts at the ``dynamics`` level, ``humanize`` on the pitched parts' onsets, ``swing`` on every
    part. Notes a request gives (a melody to accompany, a prompt kept in front of its continuation, the bars an
    infill keeps) are left as they are. Randomness comes from each result's seed, so a seed gives the same notes.
    """

    def __init__(self, inner: Generator, table_path: Path = TABLE_PATH) -> None:
        super().__init__(inner)
        self._table_path = table_path
        self._table: DynamicsTable | None = None

    @property
    def dynamics_table(self) -> DynamicsTable:
        if self._table is None:
            try:
                self._table = DynamicsTable.load(self._table_path)
            except (OSError, ValueError) as err:
                raise ValueError(f"the dynamics table {self._table_path} cannot be read ({err}): "
                                 "rebuild it with `python -m models.dynamics.train`") from err
            log.info("dynamics table loaded: %s (%s songs)", self._table_path.name, self._table.info.get("songs"))
        return self._table

    def generate(self, request: Request, progress: ProgressFn | None = None) -> list[Result]:
        check_feel(request)
        results = self.inner.generate(request, progress)
        table = self.dynamics_table
        return [self.perform(result, request, table, index) for index, result in enumerate(results)]

    def perform(self, result: Result, request: Request, table: DynamicsTable, index: int = 0) -> Result:
        """``result`` with its written notes played: velocities, then swing, then humanized onsets. A continuation
        with its prompt in front is played as it is without it (its first new bar counts as bar 1)."""
        seed = int(result.info["seed"]) if "seed" in result.info else (request.seed or 0) + index
        bar_beats = beats_per_bar(result.meter)
        given, origin_bars = given_notes(result, request)
        origin, total = origin_bars * bar_beats, (result.bars - origin_bars) * bar_beats
        shift = LEVELS[request.dynamics or "medium"] - float(table.info.get("piano_mean", 76.0))
        shared = _shared_noise(table, result.bars - origin_bars, seed)
        parts = {}
        for part, notes in result.parts.items():
            kept = [n for n in notes if given(part, n)]
            written = [_moved(n, -origin) for n in notes if not given(part, n)]
            if written:
                rng = _rng(seed, _PART_ORDER.index(part) if part in _PART_ORDER else len(_PART_ORDER))
                if part == "drums":
                    written = _drum_level(written, LEVELS[request.dynamics or "medium"] / LEVELS["medium"])
                elif part in table.level:
                    written = play_velocities(table, part, written, result.meter, rng, shift, shared,
                                              request.humanize_velocity)
                written = _swung(written, request, result.meter)
                if part != "drums" and request.humanize:  # the drum model keeps its hits within humanize itself
                    written = humanize_notes(written, request.humanize / 1000 * result.tempo / 60, total, rng)
                if part != "drums":  # the layers before may leave a note sounding into the next of its pitch
                    written = list(tidy(written, total, part in MONOPHONIC))
            kept += [_moved(n, origin) for n in written]
            parts[part] = tuple(sorted(kept, key=lambda n: (n.start_beats, n.pitch)))
        return Result(parts, result.chords, result.bars, result.meter, result.tempo, dict(result.info))


def play_velocities(table: DynamicsTable, part: str, notes: Sequence[Note], meter: tuple[int, int],
                    rng: np.random.Generator, shift: float, shared: tuple[list[float], list[float]],
                    spread: float | None) -> list[Note]:
    """The velocity of each note from the table, plus ``shift``, half the model's own bar-to-bar change (within
    ``BAR_LIMIT``), and noise: the learnt phrase, bar (``shared`` by every part), part and note spreads, or with
    ``spread`` set, the same scaled so that two standard deviations are ``spread`` and none strays further."""
    bar_beats = beats_per_bar(meter)
    bars = [min(int((n.start_beats + 1e-9) // bar_beats), len(shared[1]) - 1) for n in notes]
    by_bar: dict[int, list[int]] = {}
    for note, bar in zip(notes, bars):
        by_bar.setdefault(bar, []).append(note.velocity)
    bar_level = {bar: float(np.mean(v)) for bar, v in by_bar.items()}
    usual = float(np.median(list(bar_level.values())))
    voices = voice_classes(notes)
    balance = float(rng.normal(0.0, table.noise_part[part]))  # this part's level against the others, for the whole result
    own = rng.normal(0.0, table.noise_note[part], len(notes))
    scale, bound = 1.0, math.inf
    if spread is not None:
        scale, bound = spread / (2 * table.noise_total(part)), spread
    phrase_noise, bar_noise = shared
    out = []
    for note, bar, voice, noise in zip(notes, bars, voices, own.tolist()):
        offset = note.start_beats - bar * bar_beats
        value = table.shaped(part, metric_class(offset, meter), voice, length_class(note.duration_beats),
                             phrase_slot(bar, offset, bar_beats)) + shift
        value += _within(BAR_WEIGHT * (bar_level[bar] - usual), BAR_LIMIT)
        value += _within(scale * float(phrase_noise[bar // 4] + bar_noise[bar] + balance + noise), bound)
        out.append(Note(note.pitch, note.start_beats, note.duration_beats, min(max(round(value), 1), 127)))
    return out


def _within(value: float, limit: float) -> float:
    return min(max(value, -limit), limit)


def _shared_noise(table: DynamicsTable, bars: int, seed: int) -> tuple[list[float], list[float]]:
    """Per 4-bar phrase and per bar, the level change every part of the result shares (a player's swell)."""
    rng = _rng(seed, 100)
    count = max(bars, 1) + 1  # a note a model lets ring into the bar after the last
    phrase, bar = rng.normal(0.0, table.noise_phrase, count // 4 + 1), rng.normal(0.0, table.noise_bar, count)
    return phrase.tolist(), bar.tolist()


def _rng(seed: int, stream: int) -> np.random.Generator:
    """The random numbers of one stream (a part, or the shared swells) of a result's seed."""
    return np.random.default_rng([seed % 2 ** 64, stream])


def _drum_level(notes: Sequence[Note], scale: float) -> list[Note]:
    """The drummer's velocities scaled to the level a request asks for (ghost notes stay ghosts, accents accents)."""
    if scale == 1.0:
        return list(notes)
    return [Note(n.pitch, n.start_beats, n.duration_beats, min(max(round(n.velocity * scale), 1), 127))
            for n in notes]


def _swung(notes: list[Note], request: Request, meter: tuple[int, int]) -> list[Note]:
    """Swing as the request asks; eighths do not swing in 6/8 or 12/8, whose beats already fall in threes."""
    if not request.swing:
        return notes
    compound = meter[1] == 8 and meter[0] % 3 == 0 and meter[0] > 3
    if compound and request.swing_on == "eighths":
        return notes
    return swing_notes(notes, SWING_STEPS[request.swing_on], request.swing / 100)


def _moved(note: Note, beats: float) -> Note:
    return note if not beats else Note(note.pitch, round(note.start_beats + beats, 6), note.duration_beats, note.velocity)
