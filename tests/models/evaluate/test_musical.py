"""Per-part measures on hand-built bars with known answers: MuseGAN's, the idioms, tonal distance, dynamics."""

from __future__ import annotations

import math

import pytest

from models.evaluate.musical import (bars_with_downbeat, bars_with_onset, empty_bar_rate, kick_lock, mean_sounding,
                                     onset_shares, part_figures, qualified_note_rate, root_first_rate, tonal_distance,
                                     used_pitch_classes, velocity_figures)
from models.types import ChordSpan, Note

C_BAR = [ChordSpan("C", 0.0, 4.0)]


def block_triads(bars: int = 1, velocity: int = 90) -> list[Note]:
    """C-E-G struck together on every beat."""
    return [Note(p, bar * 4.0 + beat, 1.0, velocity) for bar in range(bars) for beat in range(4) for p in (60, 64, 67)]


def test_a_bar_of_c_e_g_on_the_beats_is_full_on_chord_and_on_the_beat():
    figures = part_figures(block_triads(), C_BAR, bars=1)
    assert figures["empty_bars"] == 0.0 and figures["bars_with_onset"] == 1.0
    assert figures["used_pitch_classes"] == 3 and figures["onsets_per_bar"] == 4 and figures["notes_per_bar"] == 12
    assert figures["chord_tones"] == 1.0 and figures["sounding_at_once"] == 3.0
    assert (figures["on_beat_onsets"], figures["off_beat_onsets"], figures["sixteenth_onsets"]) == (1.0, 0.0, 0.0)
    assert (figures["lowest_pitch"], figures["highest_pitch"]) == (60, 67)


def test_onsets_are_read_from_each_bar_line():
    # bar 2 (3/4): the beat, an eighth off-beat, a sixteenth, a triplet
    notes = [Note(60, 3.0, 0.25), Note(60, 3.5, 0.25), Note(60, 3.75, 0.25), Note(60, 4.0 + 1 / 3, 0.25)]
    assert onset_shares(notes, beats=3.0) == {"on_beat": 0.25, "off_beat": 0.25, "sixteenth": 0.25, "triplet": 0.25}
    assert all(math.isnan(v) for v in onset_shares([], 4.0).values())


def test_a_held_note_fills_the_bars_it_reaches_but_starts_in_one():
    held = [Note(48, 0.0, 8.0)]
    assert empty_bar_rate(held, bars=4) == 0.5
    assert bars_with_onset(held, bars=4) == 0.25
    assert used_pitch_classes(held + [Note(52, 4.0, 1.0)], bars=4) == 1.5  # bars 1 and 2; 3 and 4 are empty


def test_a_note_shorter_than_a_32nd_is_not_qualified():
    assert qualified_note_rate([Note(60, 0.0, 1 / 12), Note(60, 1.0, 1 / 8), Note(60, 2.0, 1.0)]) == pytest.approx(2 / 3)


def test_the_bass_note_on_the_bar_line_is_compared_with_the_chord_root():
    chords = [ChordSpan("C", 0.0, 4.0), ChordSpan("F/A", 4.0, 4.0), ChordSpan("G", 8.0, 4.0)]
    bass = [Note(36, 0.0, 2.0), Note(43, 2.0, 2.0), Note(45, 4.0, 4.0), Note(43, 9.0, 1.0), Note(40, 8.5, 0.5)]
    # bar 1 C on C (root), bar 2 A under F/A (an inversion), bar 3 first note E over G (a passing tone)
    assert root_first_rate(bass, chords, bars=3) == pytest.approx(1 / 3)
    # the A under F/A is the bass the chart writes; the E over G leaves it
    assert root_first_rate(bass, chords, bars=3, slash_bass=True) == pytest.approx(2 / 3)


def test_a_bass_on_the_root_under_a_slash_chord_still_counts_with_the_slash_bass():
    chords = [ChordSpan("C/E", 0.0, 4.0), ChordSpan("G7/F", 4.0, 4.0), ChordSpan("N", 8.0, 4.0)]
    bass = [Note(36, 0.0, 4.0), Note(41, 4.0, 4.0), Note(38, 8.0, 4.0)]  # C (root), F (the slash bass), a rest bar
    assert root_first_rate(bass, chords, bars=3) == 0.5
    assert root_first_rate(bass, chords, bars=3, slash_bass=True) == 1.0
    figures = part_figures(bass, chords, bars=3)
    assert (figures["root_first"], figures["root_or_slash_first"]) == (0.5, 1.0)


def test_arpeggio_sounds_one_note_at_a_time_a_chord_three():
    arpeggio = [Note(p, i * 0.5, 0.5) for i, p in enumerate((60, 64, 67, 72, 67, 64, 60, 64))]
    assert mean_sounding(arpeggio) == 1.0
    assert mean_sounding(block_triads()) == 3.0


def test_the_same_harmony_is_closer_than_a_clash():
    triads = block_triads()
    assert tonal_distance([Note(36, 0.0, 4.0)], triads, 4.0) < tonal_distance([Note(37, 0.0, 4.0)], triads, 4.0)
    assert tonal_distance(triads, triads, 4.0) == pytest.approx(0.0)
    assert math.isnan(tonal_distance([], triads, 4.0))


def test_flat_velocities_have_no_spread_and_accents_do():
    flat = velocity_figures(block_triads(bars=8, velocity=100), bars=8)
    assert flat == {"distinct_velocities": 1.0, "velocity_spread": 0.0, "mean_velocity": 100.0}
    accented = [Note(60, float(b), 1.0, 100 if b % 4 == 0 else 70) for b in range(32)]
    figures = velocity_figures(accented, bars=8)
    assert figures["distinct_velocities"] == 2 and figures["velocity_spread"] == pytest.approx(12.99, abs=0.01)


def test_a_part_entering_on_beat_2_starts_every_bar_but_never_on_the_bar_line():
    late = [Note(48, bar * 3.0 + 1.0, 2.0) for bar in range(4)]
    assert bars_with_onset(late, bars=4, beats=3.0) == 1.0
    assert bars_with_downbeat(late, bars=4, beats=3.0) == 0.0
    assert bars_with_downbeat(late + [Note(48, 6.0, 1.0)], bars=4, beats=3.0) == 0.25


def test_kick_lock_counts_bass_onsets_on_kicks_and_the_share_by_chance() -> None:
    kicks = [Note(36, 0.0, 0.1), Note(36, 2.01, 0.1), Note(35, 3.0, 0.1)]  # the second a drummer's 10 ms late
    hats = [Note(42, beat / 2, 0.1) for beat in range(8)]  # other drums are no kicks
    bass = [Note(40, 0.0, 1.0), Note(43, 0.0, 1.0), Note(40, 1.5, 0.5), Note(45, 2.0, 1.0), Note(40, 3.0, 1.0)]
    lock = kick_lock(bass, kicks + hats, total_beats=4.0)
    assert lock["locked"] == pytest.approx(3 / 4)  # onsets 0, 2, 3 of 0, 1.5, 2, 3 (the chord at 0 counts once)
    # the kicks' windows, an eighth of a beat either side, cover 1/8 (clipped at 0) + 1/4 + 1/4 of 4 beats
    assert lock["chance"] == pytest.approx(0.625 / 4)


def test_kick_lock_without_kicks_or_bass() -> None:
    bass = [Note(40, 0.0, 1.0)]
    assert kick_lock(bass, [], 4.0) == {"locked": 0.0, "chance": 0.0}
    assert all(math.isnan(v) for v in kick_lock([], [Note(36, 0.0, 0.1)], 4.0).values())
