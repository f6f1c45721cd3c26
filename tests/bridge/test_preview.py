"""Piano-roll previews: every note drawn in its part's colour where it sounds, nothing where none does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from bridge.preview import COLOURS, LEFT, LEGEND, TOP, write_preview
from models.types import ChordSpan, Note, Result

# docs/presets.md, "Previews": 32 pixels a beat (fewer for long results, to stay under 6,000 pixels
# wide), 6 pixels a semitone, from two semitones under the lowest note to two over the highest
PER_BEAT, PER_SEMITONE, MAX_WIDTH = 32, 6, 6000
BASS = tuple(Note(36 if i % 2 else 43, float(beat), 1.0, 127) for i, beat in enumerate((0, 1, 2, 3, 8, 9, 10, 11)))
KEYS = (Note(60, 4.0, 0.5, 127), Note(64, 6.0, 0.5, 127))
MELODY = (Note(79, 0.0, 16.0, 127),)


def _draw(tmp_path: Path, parts: dict, bars: int, meter=(4, 4)) -> np.ndarray:
    result = Result(parts, (ChordSpan("C", 0.0, 8.0), ChordSpan("G7", 8.0, 8.0)), bars, meter, 100.0)
    path = write_preview(result, tmp_path / "p.png", "take 1")
    assert not list(tmp_path.glob("*.part"))
    return np.asarray(Image.open(path).convert("RGB"))


def _pixels(image: np.ndarray, colour: tuple[int, int, int], rows: slice = slice(None)) -> set[tuple[int, int]]:
    ys, xs = np.nonzero(np.all(image[rows] == colour, axis=-1))
    return set(zip(xs.tolist(), (ys + (rows.start or 0)).tolist()))


def _box(note: Note, high: int, per_beat: int = PER_BEAT, margin: int = 0) -> set[tuple[int, int]]:
    """The pixels of a note's rectangle (grown by ``margin``, or shrunk when it is negative)."""
    left, right = LEFT + note.start_beats * per_beat, LEFT + note.end_beats * per_beat - 1
    top = TOP + (high - note.pitch) * PER_SEMITONE
    return {(x, y) for x in range(int(left) - margin, int(right) + margin + 1)
            for y in range(top - margin, top + PER_SEMITONE + margin)}


def test_each_note_is_drawn_in_its_colour_where_it_sounds_and_nowhere_else(tmp_path: Path) -> None:
    parts = {"bass": BASS, "keys": KEYS, "melody": MELODY}
    image = _draw(tmp_path, parts, bars=4)
    high = 79 + 2
    roll = slice(0, TOP + (high - (36 - 2) + 1) * PER_SEMITONE)  # the legend under it repeats each colour
    for name, notes in parts.items():
        drawn = _pixels(image, COLOURS[name], roll)
        inside = set().union(*(_box(n, high, margin=-1) for n in notes))
        around = set().union(*(_box(n, high, margin=1) for n in notes))
        assert inside <= drawn, f"{name}: {len(inside - drawn)} pixels of its notes are not in its colour"
        assert drawn <= around, f"{name}: its colour where it plays nothing, e.g. {sorted(drawn - around)[:3]}"
        assert _pixels(image, COLOURS[name], slice(roll.stop, None)), f"{name} is missing from the legend"
    assert image.shape[1] - LEFT >= 16 * PER_BEAT  # every bar asked for is on the time axis


def test_a_long_result_stays_within_the_width_and_shows_its_last_note(tmp_path: Path) -> None:
    bars = 100
    first, last = Note(48, 0.0, 1.0, 127), Note(55, bars * 4 - 1.0, 1.0, 127)
    image = _draw(tmp_path, {"pad": (first, last)}, bars)
    assert image.shape[1] <= MAX_WIDTH
    drawn = _pixels(image, COLOURS["pad"], slice(0, image.shape[0] - LEGEND))
    per_beat = len({x for x, y in drawn if x < LEFT + PER_BEAT})  # the first note is one beat long
    assert 8 <= per_beat < PER_BEAT
    for note in (first, last):
        assert _box(note, 55 + 2, per_beat, margin=-1) <= drawn, f"the note at beat {note.start_beats} is missing"
    assert drawn <= _box(first, 57, per_beat, margin=1) | _box(last, 57, per_beat, margin=1)


def test_an_empty_result_draws_no_notes(tmp_path: Path) -> None:
    image = _draw(tmp_path, {"pad": ()}, bars=2, meter=(3, 4))
    assert image.shape[1] - LEFT >= 6 * PER_BEAT  # two bars of 3/4
    legend = image.shape[0] - LEGEND
    assert not _pixels(image, COLOURS["pad"], slice(0, legend))
    assert _pixels(image, COLOURS["pad"], slice(legend, None)), "the legend names the part"
