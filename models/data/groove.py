"""The Groove MIDI Dataset read as performances: hits in beats (General MIDI notes), style, tempo, meter, beat/fill, split.

The set (Gillick, Roberts, Engel, Eck, Bamman: "Learning to Groove with Inverse Sequence
Transformations", ICML 2019; CC BY 4.0) lies at ``../shared/datasets/groove`` relative to the
repository root: ``info.csv`` and one format-0 MIDI file per performance, on channel 10 with the
Roland TD-11's notes, which ``models.drums.kit.TD11_TO_GM`` maps to General MIDI.
"""

from __future__ import annotations

import csv
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from models.drums.kit import DRUM_METERS, TD11_TO_GM, top_style
from models.drums.vocab import DrumHit

log = logging.getLogger(__name__)

DEFAULT_GROOVE = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "groove"
SPLITS = ("train", "validation")


@dataclass(frozen=True)
class Performance:
    """One file of the set: its hits from the file's first beat, in General MIDI drum notes."""

    id: str
    drummer: str
    session: str
    style: str  # the model's top-level style (``neworleans/funk`` -> ``neworleans``)
    substyle: str  # info.csv's style as written
    bpm: float
    fill: bool  # info.csv's beat_type is "fill"
    meter: tuple[int, int]
    split: str
    hits: tuple[DrumHit, ...]

    @property
    def bar_beats(self) -> float:
        return self.meter[0] * 4 / self.meter[1]

    @property
    def bars(self) -> int:
        """Bars the hits reach into (a hit within a grid step of a bar line counts for the next bar)."""
        if not self.hits:
            return 0
        return max(1, math.ceil((self.hits[-1].onset_beats + 1 / 24) / self.bar_beats))


def read_info(root: str | Path = DEFAULT_GROOVE) -> list[dict[str, str]]:
    """The rows of ``info.csv``.

    Raises:
        FileNotFoundError: no info.csv under ``root``, with where the set is expected.
    """
    path = Path(root) / "info.csv"
    if not path.exists():
        raise FileNotFoundError(f"no Groove MIDI Dataset at {root} (info.csv is missing): pass --data with the "
                                "folder that holds info.csv and the drummer folders")
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_hits(path: str | Path) -> list[DrumHit]:
    """The hits of one Groove MIDI file in General MIDI drum notes, in beats from the file's start, time order."""
    import symusic

    score = symusic.Score(str(path))
    tpq = score.ticks_per_quarter
    hits = []
    for track in score.tracks:
        for note in track.notes:
            gm = TD11_TO_GM.get(note.pitch)
            if gm is None:
                log.debug("%s: note %d is not a TD-11 drum note; dropped", path, note.pitch)
                continue
            hits.append(DrumHit(note.time / tpq, gm, max(1, min(127, note.velocity))))
    hits.sort(key=lambda h: (h.onset_beats, h.note))
    return hits


def read_groove(root: str | Path = DEFAULT_GROOVE, splits: tuple[str, ...] = SPLITS, limit: int = 0,
                meters: tuple[tuple[int, int], ...] = DRUM_METERS) -> Iterator[Performance]:
    """Performances of the set in ``splits`` (info.csv order), those of a style or meter the model leaves out skipped.

    Args:
        limit: read at most this many files (0: all), for tests.
    """
    root = Path(root)
    count = 0
    for row in read_info(root):
        style = top_style(row["style"])
        numerator, denominator = (int(x) for x in row["time_signature"].split("-"))
        if row["split"] not in splits or style is None or (numerator, denominator) not in meters:
            continue
        hits = read_hits(root / row["midi_filename"])
        if not hits:
            continue
        yield Performance(row["id"], row["drummer"], row["session"], style, row["style"], float(row["bpm"]),
                          row["beat_type"] == "fill", (numerator, denominator), row["split"], tuple(hits))
        count += 1
        if limit and count >= limit:
            return


def read_drum_folder(folder: str | Path, style: str, validation_every: int = 10) -> Iterator[Performance]:
    """The drum tracks (channel 10) of the MIDI files under ``folder`` as performances of ``style``.

    Each file's first tempo and time signature are its own; a file in a meter the drum model leaves out,
    or without drum notes it knows, is skipped with a log line. Every ``validation_every``-th file (in
    name order) is held out for validation when there are that many.

    Raises:
        FileNotFoundError: ``folder`` is not a folder, or holds no MIDI files.
        ValueError: ``style`` is not one of the drum model's styles.
    """
    import symusic

    from models.drums.kit import DRUM_STYLES, instrument_of

    if style not in DRUM_STYLES:
        raise ValueError(f"drum style '{style}' of midi:{folder}:{style} is not one the drum model has: "
                         f"choose from {', '.join(DRUM_STYLES)}")
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"midi:{folder}:{style}: {root} is not a folder of MIDI files")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in (".mid", ".midi"))
    if not files:
        raise FileNotFoundError(f"midi:{folder}:{style}: no .mid files under {root}")
    held = len(files) >= validation_every
    for index, path in enumerate(files):
        try:
            score = symusic.Score(str(path))
        except Exception as err:  # a broken file is the user's to fix, not a reason to stop training
            log.warning("%s cannot be read as MIDI (%s): skipped", path, err)
            continue
        tpq = score.ticks_per_quarter
        meter = ((score.time_signatures[0].numerator, score.time_signatures[0].denominator)
                 if len(score.time_signatures) else (4, 4))
        if meter not in DRUM_METERS:
            log.info("%s is in %d/%d, a meter the drum model does not learn: skipped", path, *meter)
            continue
        hits = sorted((DrumHit(n.time / tpq, n.pitch, max(1, min(127, n.velocity)))
                       for track in score.tracks if track.is_drum for n in track.notes
                       if instrument_of(n.pitch) is not None), key=lambda h: (h.onset_beats, h.note))
        if not hits:
            log.info("%s has no drum notes on channel 10 the kit knows: skipped", path)
            continue
        bpm = float(score.tempos[0].qpm) if len(score.tempos) else 120.0
        split = "validation" if held and index % validation_every == validation_every - 1 else "train"
        yield Performance(f"{root.name}/{path.stem}", "user", root.name, style, style, bpm, False, meter, split,
                          tuple(hits))
