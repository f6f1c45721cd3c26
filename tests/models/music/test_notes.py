"""Note clean-up shared by every model: clipping, overlaps, one note per onset in a single line, bars."""

from __future__ import annotations

from models.music.meter import bars_spanned
from models.music.notes import MIN_DURATION, clip_notes, notes_in_bar, tidy
from models.types import Note


def test_a_monophonic_line_has_one_note_at_a_time():
    notes = [Note(64, 1.0, 1.0), Note(60, 0.0, 2.0), Note(67, 0.0, 1.0), Note(62, 3.0, 4.0)]
    line = tidy(notes, 4.0, monophonic=True)
    assert [(n.pitch, n.start_beats, n.duration_beats) for n in line] == [(60, 0.0, 1.0), (64, 1.0, 1.0), (62, 3.0, 1.0)]


def test_a_texture_keeps_its_chords_and_cuts_only_repeated_pitches():
    notes = [Note(60, 0.0, 2.0), Note(64, 0.0, 2.0), Note(60, 1.0, 1.0), Note(67, 1.5, 1.0)]
    texture = tidy(notes, 8.0, monophonic=False)
    assert [(n.pitch, n.start_beats, n.duration_beats) for n in texture] == [
        (60, 0.0, 1.0), (64, 0.0, 2.0), (60, 1.0, 1.0), (67, 1.5, 1.0)]


def test_a_note_struck_twice_at_once_counts_once_the_last_given():
    texture = tidy([Note(60, 0.0, 0.5, 40), Note(60, 0.0, 2.0, 90)], 4.0, monophonic=False)
    assert texture == (Note(60, 0.0, 2.0, 90),)


def test_notes_cut_too_short_are_dropped():
    notes = [Note(60, 0.0, 1.0), Note(62, MIN_DURATION / 2, 1.0)]
    assert [n.pitch for n in tidy(notes, 4.0, monophonic=True)] == [62]


def test_nothing_sounds_past_the_end():
    notes = [Note(60, 0.0, 6.0), Note(62, 3.5, 2.0), Note(64, 4.0, 1.0)]
    for kept in (tidy(notes, 4.0, monophonic=False), clip_notes(notes, 4.0)):
        assert [n.pitch for n in kept] == [60, 62] and max(n.end_beats for n in kept) == 4.0


def test_bars_and_notes_in_a_bar():
    notes = [Note(60, 0.0, 1.0), Note(62, 3.0, 1.5), Note(64, 6.0, 1.0)]
    assert bars_spanned(notes, 3.0) == 3 and bars_spanned(notes[:1], 4.0) == 1
    assert notes_in_bar(notes, 3.0, 3.0) == [notes[1]]
