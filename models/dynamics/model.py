"""The learnt dynamics table: how loud a note is played, from its part, beat, phrase, chord voice and length.

A velocity is a sum of small readable terms (``python -m models.dynamics.train`` fits them to POP909's human piano):

    velocity = level[part] + metric[part][beat class] + phrase[bar of the 4-bar phrase, half of the bar]
               + chord[part][notes struck together] + voice[part][rank in that chord] + length[part][duration class]
               + phrase noise + bar noise (shared by every part) + part noise[part] (one a result) + note noise[part]

The noise terms are Gaussian with the spreads measured on the same data (the song's own overall loudness is
left out: a request's ``dynamics`` sets that). ``voice`` is measured inside chords (a voice's velocity less its
chord's mean), so it says how a chord is balanced; ``chord`` says how loud chords of 1, 2, 3 or 4+ notes are.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from models.music.meter import TICKS_PER_BEAT
from models.types import Note

FORMAT = "continuo-dynamics-1"
METRIC_CLASSES = ("downbeat", "half", "beat", "eighth", "sixteenth", "triplet", "other")
VOICE_CLASSES = ("single", "top", "inner", "bottom")
CHORD_CLASSES = ("1", "2", "3", "4+")
LENGTH_CLASSES = ("sixteenth", "eighth", "quarter", "half", "long")
LENGTH_LIMITS = (0.375, 0.75, 1.5, 3.0)  # beats: the upper edge of each class but the last
PHRASE_SLOTS = 8  # 4 bars x 2 halves
CHORD_BEATS = 0.5 / TICKS_PER_BEAT  # notes of one part starting on the same tick are struck as one chord


def metric_class(offset_beats: float, meter: tuple[int, int]) -> str:
    """The beat class of an onset ``offset_beats`` after its bar line: downbeat, half (the bar's middle beat
    in 4/4 and 12/8), beat, eighth, sixteenth, triplet or other. In 6/8 and 12/8 a beat is a dotted quarter."""
    tick = round(offset_beats * TICKS_PER_BEAT)
    numerator, denominator = meter
    compound = denominator == 8 and numerator % 3 == 0 and numerator > 3
    beat_ticks = round(TICKS_PER_BEAT * (1.5 if compound else 4 / denominator))
    bar_ticks = round(TICKS_PER_BEAT * numerator * 4 / denominator)
    if tick == 0:
        return "downbeat"
    if tick % beat_ticks == 0:
        beats_in_bar = bar_ticks // beat_ticks
        return "half" if beats_in_bar == 4 and tick == 2 * beat_ticks else "beat"
    if tick % (TICKS_PER_BEAT // 2) == 0:
        return "eighth"
    if tick % (TICKS_PER_BEAT // 4) == 0:
        return "sixteenth"
    if tick % (TICKS_PER_BEAT // 3) == 0:
        return "triplet"
    return "other"


def length_class(duration_beats: float) -> str:
    """The duration class of a note: sixteenth, eighth, quarter, half or long."""
    for name, limit in zip(LENGTH_CLASSES, LENGTH_LIMITS):
        if duration_beats < limit:
            return name
    return LENGTH_CLASSES[-1]


def voice_classes(notes: Sequence[Note]) -> list[tuple[str, str]]:
    """Per note (in the given order), its rank in the chord struck with it (single, top, inner or bottom) and
    that chord's size class (1, 2, 3 or 4+)."""
    order = sorted(range(len(notes)), key=lambda i: (notes[i].start_beats, notes[i].pitch))
    out = [("single", "1")] * len(notes)
    group: list[int] = []
    for index in [*order, None]:
        if index is not None and group and notes[index].start_beats - notes[group[0]].start_beats < CHORD_BEATS:
            group.append(index)
            continue
        if len(group) > 1:
            size = CHORD_CLASSES[min(len(group), 4) - 1]
            out[group[0]], out[group[-1]] = ("bottom", size), ("top", size)
            for inner in group[1:-1]:
                out[inner] = ("inner", size)
        group = [] if index is None else [index]
    return out


def phrase_slot(bar_index: int, offset_beats: float, bar_beats: float) -> int:
    """Where an onset falls in its 4-bar phrase: bar 0-3 of the phrase times 2 halves of the bar."""
    return (bar_index % 4) * 2 + (1 if offset_beats >= bar_beats / 2 else 0)


@dataclass(frozen=True)
class DynamicsTable:
    """The fitted terms (velocity units) and noise spreads; see the module docstring."""

    level: dict[str, float]
    metric: dict[str, dict[str, float]]
    chord: dict[str, dict[str, float]]
    voice: dict[str, dict[str, float]]
    length: dict[str, dict[str, float]]
    phrase: tuple[float, ...]
    noise_phrase: float
    noise_bar: float
    noise_part: dict[str, float]
    noise_note: dict[str, float]
    info: dict[str, object]

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.level)

    def shaped(self, part: str, metric: str, voice: tuple[str, str], length: str, slot: int) -> float:
        """The velocity the table gives a note before noise and the request's level (``voice``: as
        ``voice_classes`` gives it)."""
        return (self.level[part] + self.metric[part].get(metric, 0.0) + self.voice[part].get(voice[0], 0.0)
                + self.chord[part].get(voice[1], 0.0)
                + self.length[part].get(length, 0.0) + self.phrase[slot])

    def noise_total(self, part: str) -> float:
        """The standard deviation of all the noise a note of ``part`` gets."""
        return (self.noise_phrase ** 2 + self.noise_bar ** 2 + self.noise_part[part] ** 2
                + self.noise_note[part] ** 2) ** 0.5

    def to_json(self) -> dict[str, object]:
        return {"format": FORMAT, "level": self.level, "metric": self.metric, "chord": self.chord, "voice": self.voice,
                "length": self.length, "phrase": list(self.phrase),
                "noise": {"phrase": self.noise_phrase, "bar": self.noise_bar, "part": self.noise_part,
                          "note": self.noise_note},
                "info": self.info}

    @classmethod
    def from_json(cls, data: dict) -> DynamicsTable:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a dynamics table (format {data.get('format')!r}, expected {FORMAT})")
        phrase = tuple(float(x) for x in data["phrase"])
        if len(phrase) != PHRASE_SLOTS:
            raise ValueError(f"a dynamics table has {PHRASE_SLOTS} phrase terms, not {len(phrase)}")
        parts = tuple(data["level"])
        for name in ("metric", "chord", "voice", "length"):
            missing = [p for p in parts if p not in data[name]]
            if missing:
                raise ValueError(f"the dynamics table's {name} terms lack part {missing[0]}")
        noise = data["noise"]
        return cls({p: float(v) for p, v in data["level"].items()},
                   {p: {k: float(v) for k, v in t.items()} for p, t in data["metric"].items()},
                   {p: {k: float(v) for k, v in t.items()} for p, t in data["chord"].items()},
                   {p: {k: float(v) for k, v in t.items()} for p, t in data["voice"].items()},
                   {p: {k: float(v) for k, v in t.items()} for p, t in data["length"].items()},
                   phrase, float(noise["phrase"]), float(noise["bar"]),
                   {p: float(v) for p, v in noise["part"].items()},
                   {p: float(v) for p, v in noise["note"].items()}, dict(data.get("info", {})))

    def save(self, path: Path) -> None:
        """Write the table as gzipped json, whole or not at all (a temporary file renamed into place)."""
        temporary = path.with_name(path.name + ".part")
        with gzip.open(temporary, "wt", encoding="utf-8") as handle:
            json.dump(self.to_json(), handle, indent=1, sort_keys=True)
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path) -> DynamicsTable:
        """Read a table written by ``save``.

        Raises:
            OSError: the file cannot be read.
            ValueError: it is not a dynamics table.
        """
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            try:
                data = json.load(handle)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path} is not a dynamics table: {err}") from err
        try:
            return cls.from_json(data)
        except (KeyError, TypeError, AttributeError) as err:
            raise ValueError(f"{path} is not a complete dynamics table: {err!r}") from err
