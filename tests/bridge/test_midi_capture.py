"""Capture bookkeeping (takes, bar alignment, bad note-offs) and the request a trigger builds."""

from __future__ import annotations

import pytest

from bridge.errors import InvalidRequest
from bridge.midi.capture import Recorder, Take
from bridge.midi.decode import DropLog
from bridge.midi.trigger import chords_text, trigger_spec
from models.types import Note

ROLES = {0: "melody", 1: "chords", 2: "bass", 3: "source"}


def play(recorder: Recorder, notes, synced: bool = True) -> None:
    for channel, pitch, start, end in notes:
        recorder.note_on(channel, pitch, 90, start, synced)
        recorder.note_off(channel, pitch, end)


def test_armed_take_is_aligned_to_the_bar_line_before_its_first_note() -> None:
    recorder = Recorder(ROLES, DropLog())
    recorder.arm("t", synced=True)
    play(recorder, [(0, 60, 5.5, 6.0), (1, 48, 6.0, 8.0), (1, 52, 6.0, 8.0), (7, 30, 6.0, 7.0)])
    recorder.note_on(2, 36, 90, 7.0, True)  # still held when the take stops
    name, take = recorder.stop(9.0, 4.0)
    assert name == "t" and take.bars == 2
    assert take.roles["melody"] == (Note(60, 1.5, 0.5, 90),)
    assert [n.pitch for n in take.roles["chords"]] == [48, 52]
    assert take.roles["bass"] == (Note(36, 3.0, 2.0, 90),)
    assert recorder.stop(10.0, 4.0) is None


def test_last_bars_take_whole_bars_and_clip_held_notes() -> None:
    recorder = Recorder(ROLES, DropLog())
    play(recorder, [(0, 60, 0.0, 1.0), (0, 62, 4.0, 5.0), (0, 64, 7.5, 9.0)])
    recorder.note_on(0, 67, 90, 8.5, True)
    take = recorder.last_bars(9.2, 1, 4.0)  # bar 2 (beats 4-8): the current bar is not complete
    assert take.roles["melody"] == (Note(62, 0.0, 1.0, 90), Note(64, 3.5, 0.5, 90))
    assert take.bars == 1


def test_note_off_without_note_on_is_counted() -> None:
    drops = DropLog()
    recorder = Recorder(ROLES, drops)
    recorder.note_off(0, 60, 1.0)
    recorder.note_off(9, 60, 1.0)  # a channel without a role is not even looked at
    assert drops.counts["note-off without note-on"] == 1


def test_trigger_chooses_the_task_from_what_was_played() -> None:
    chords = tuple(Note(p, b * 4.0, 4.0, 80) for b, root in enumerate((60, 65)) for p in (root, root + 4, root + 7))
    melody = (Note(72, 0.0, 2.0, 90), Note(77, 4.0, 2.0, 90))
    spec = trigger_spec(Take({"chords": chords, "melody": melody}, 2), {}, 97.0, "loop")
    assert spec.values["task"] == "accompany" and spec.values["chords"] == "C | F"
    assert spec.values["melody"] == melody and spec.values["tempo"] == 97.0 and spec.play == "loop"
    spec = trigger_spec(Take({"melody": melody}, 2), {"task": "continue", "bars": "4"}, 120.0, "once")
    assert spec.values["task"] == "continue" and spec.values["prompt"] == melody and spec.values["bars"] == 4
    assert trigger_spec(Take({"melody": melody}, 2), {}, 120.0, "no").values["task"] == "harmonize"
    with pytest.raises(InvalidRequest, match="nothing captured yet"):
        trigger_spec(Take(), {}, 120.0, "loop")


def test_chords_text_marks_empty_bars() -> None:
    assert chords_text((Note(57, 0.0, 4.0), Note(60, 0.0, 4.0), Note(64, 0.0, 4.0)), (4, 4), 2).startswith("Am |")
