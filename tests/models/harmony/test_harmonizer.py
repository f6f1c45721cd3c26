"""The harmonizer with the shipped chord table: what a musician hears in the chords it chooses."""

from __future__ import annotations

import pytest

from models.harmony.harmonizer import Harmonizer
from models.harmony.key import find_key
from models.music.chords import chord_at, parse_chord, parse_progression
from tests.models.harmony.tunes import (
    A4,
    B4,
    C4,
    C5,
    D4,
    E4,
    F4,
    G4,
    arpeggios_in_c,
    bundled_ode_to_joy,
    d_minor_song,
    line,
    ode_to_joy,
    twinkle,
)


@pytest.fixture(scope="module")
def harmonizer() -> Harmonizer:
    return Harmonizer.load()


def test_twinkle_in_c_starts_on_c_and_ends_home(harmonizer):
    harmony = harmonizer.harmonize(twinkle())
    assert harmony.key_name == "C" and harmony.key_detected
    assert harmony.chords[0].symbol == "C"
    symbols = [c.symbol for c in harmony.chords]
    assert all(parse_chord(s).pitch_classes <= {0, 2, 4, 5, 7, 9, 11} for s in symbols), symbols  # no accidentals


def test_ode_to_joy_in_d_ends_on_d_with_no_c_natural_under_f_sharp(harmonizer):
    melody = ode_to_joy()
    harmony = harmonizer.harmonize(melody)
    assert harmony.key_name == "D"
    assert harmony.chords[-1].symbol == "D"
    for note in melody:
        chord = chord_at(harmony.chords, note.start_beats)
        if note.pitch % 12 == 6:
            assert 0 not in chord.pitch_classes, f"{chord.name} under the F# at beat {note.start_beats}"


def test_the_demos_ode_to_joy_gets_more_than_tonic_and_dominant(harmonizer):
    melody = bundled_ode_to_joy()
    for per_bar in (1, 2):
        harmony = harmonizer.harmonize(melody, chords_per_bar=per_bar)
        symbols = [c.symbol for c in harmony.chords]
        assert harmony.key_name == "D" and symbols[-1] == "D", symbols
        assert len(set(symbols)) >= 3, symbols  # a IV, ii or vi somewhere, not only D and A


@pytest.mark.parametrize("key", ["C", ""])
def test_an_f_major_arpeggio_gets_f(harmonizer, key):
    harmony = harmonizer.harmonize(arpeggios_in_c(), key=key)
    assert harmony.key_name == "C"
    assert harmony.text.split(" | ")[1] == "F", harmony.text  # F-A-C-A is F major, not Dm
    assert harmony.text.split(" | ")[-1] == "C", harmony.text


def test_a_d_minor_song_opens_in_d_minor(harmonizer):
    harmony = harmonizer.harmonize(d_minor_song())
    assert harmony.key_name == "Dm"
    assert harmony.chords[0].symbol == "Dm"
    assert harmony.chords[-1].symbol == "Dm"


def test_the_requests_key_is_used(harmonizer):
    harmony = harmonizer.harmonize(twinkle(), key="Am")
    assert harmony.key_name == "Am" and not harmony.key_detected


@pytest.mark.parametrize(("melody", "key"), [(twinkle(), (0, "major")), (ode_to_joy(), (2, "major")),
                                             (d_minor_song(), (2, "minor"))])
def test_key_finding(melody, key):
    assert find_key(melody) == key


def test_the_text_reads_back_as_the_same_chords(harmonizer):
    for per_bar in (0.5, 1, 2):
        harmony = harmonizer.harmonize(ode_to_joy(), chords_per_bar=per_bar, chord_style="jazz")
        assert tuple(parse_progression(harmony.text, (4, 4), 8)) == harmony.chords


def test_chords_per_bar(harmonizer):
    melody = twinkle()
    halves = harmonizer.harmonize(melody, chords_per_bar=2).text.split(" | ")
    pairs = harmonizer.harmonize(melody, chords_per_bar=0.5).text.split(" | ")
    assert any(len(bar.split()) == 2 for bar in halves)  # Twinkle's 'A A G' bars change under the G
    assert all(len(bar.split()) == 1 for bar in pairs)
    assert all(pairs[k] == pairs[k + 1] for k in range(0, 8, 2))


def test_a_bar_that_spells_one_triad_keeps_it_at_two_chords_per_bar(harmonizer):
    # C-E-G-E | A held, then F and C: the second bar spells F major across its halves, though its first
    # half alone (an A) could be Am; each half bar hears the fit of its whole bar
    melody = line([(C4, 1), (E4, 1), (G4, 1), (E4, 1), (A4, 2), (F4, 1), (C5, 1),
                   (G4, 1), (B4, 1), (D4, 1), (B4, 1), (C4, 4)])
    bars = harmonizer.harmonize(melody, key="C", chords_per_bar=2).text.split(" | ")
    assert bars[:2] == ["C", "F"], bars


def test_styles_add_sevenths_and_extensions(harmonizer):
    melody = ode_to_joy()
    triads = [parse_chord(c.symbol) for c in harmonizer.harmonize(melody).chords]
    sevenths = [parse_chord(c.symbol) for c in harmonizer.harmonize(melody, chord_style="sevenths").chords]
    jazz = [parse_chord(c.symbol) for c in harmonizer.harmonize(melody, chord_style="jazz").chords]
    assert all(len(c.intervals) == 3 for c in triads)
    assert sum(len(c.intervals) >= 4 for c in sevenths) >= len(sevenths) // 2
    assert any(len(c.intervals) >= 5 for c in jazz)  # ninths or thirteenths


def test_temperature_samples_whole_progressions_reproducibly(harmonizer):
    melody = twinkle()
    safe = harmonizer.harmonize(melody).text
    drawn = [harmonizer.harmonize(melody, temperature=1.5, seed=seed).text for seed in range(8)]
    assert drawn[3] == harmonizer.harmonize(melody, temperature=1.5, seed=3).text
    assert harmonizer.harmonize(melody).text == safe  # temperature 0 is deterministic
    assert len(set(drawn)) > 2 and any(text != safe for text in drawn)


@pytest.mark.parametrize(("controls", "word"), [({"chords_per_bar": 3}, "chords_per_bar"),
                                                ({"chord_style": "baroque"}, "chord_style"),
                                                ({"temperature": 5}, "chord_temperature"),
                                                ({"key": "H"}, "key")])
def test_bad_controls_are_named(harmonizer, controls, word):
    with pytest.raises(ValueError, match=word):
        harmonizer.harmonize(twinkle(), **controls)
