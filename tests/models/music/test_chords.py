"""Chord symbols, progressions, meters, keys, recognition and the chord-tone metric."""

from pathlib import Path

import pytest

from models.music.chords import ChordError, chord_at, parse_chord, parse_progression
from models.music.keys import detect_key, key_name, parse_key
from models.music.meter import beats_per_bar
from models.music.metrics import chord_tone_ratio
from models.music.recognise import recognise_chords
from models.types import ChordSpan, Note

POP909 = Path(__file__).resolve().parents[3] / ".." / "shared" / "datasets" / "pop909"


@pytest.mark.parametrize(("symbol", "root", "pcs", "bass"), [
    ("C", 0, {0, 4, 7}, None),
    ("Cm", 0, {0, 3, 7}, None),
    ("Cmin", 0, {0, 3, 7}, None),
    ("C-", 0, {0, 3, 7}, None),
    ("Cmaj7", 0, {0, 4, 7, 11}, None),
    ("CM7", 0, {0, 4, 7, 11}, None),
    ("CΔ7", 0, {0, 4, 7, 11}, None),
    ("C7", 0, {0, 4, 7, 10}, None),
    ("Cm7", 0, {0, 3, 7, 10}, None),
    ("Cdim", 0, {0, 3, 6}, None),
    ("Cdim7", 0, {0, 3, 6, 9}, None),
    ("Caug", 0, {0, 4, 8}, None),
    ("C+", 0, {0, 4, 8}, None),
    ("Cm7b5", 0, {0, 3, 6, 10}, None),
    ("Cø", 0, {0, 3, 6, 10}, None),
    ("Csus2", 0, {0, 2, 7}, None),
    ("Csus4", 0, {0, 5, 7}, None),
    ("Gsus", 7, {7, 0, 2}, None),
    ("C6", 0, {0, 4, 7, 9}, None),
    ("Cm6", 0, {0, 3, 7, 9}, None),
    ("C9", 0, {0, 4, 7, 10, 2}, None),
    ("Cm9", 0, {0, 3, 7, 10, 2}, None),
    ("Cmaj9", 0, {0, 4, 7, 11, 2}, None),
    ("Cadd9", 0, {0, 4, 7, 2}, None),
    ("C7sus4", 0, {0, 5, 7, 10}, None),
    ("C11", 0, {0, 4, 7, 10, 2, 5}, None),
    ("C13", 0, {0, 4, 7, 10, 2, 9}, None),
    ("Bb/D", 10, {10, 2, 5}, 2),
    ("F#m7b5", 6, {6, 9, 0, 4}, None),
    ("Ebmaj7/G", 3, {3, 7, 10, 2}, 7),
    ("C/Bb", 0, {0, 4, 7, 10}, 10),
    ("Db", 1, {1, 5, 8}, None),
])
def test_parse_chord(symbol, root, pcs, bass):
    chord = parse_chord(symbol)
    assert chord.root == root
    assert chord.pitch_classes == frozenset(pcs)
    assert chord.bass == bass
    assert chord.symbol == symbol
    assert parse_chord(chord.name).pitch_classes == chord.pitch_classes


@pytest.mark.parametrize("symbol", ["N", "NC", "N.C."])
def test_no_chord(symbol):
    chord = parse_chord(symbol)
    assert chord.is_rest and chord.pitch_classes == frozenset()


@pytest.mark.parametrize("symbol", ["H7", "c", "Cxyz", "", "C/H", "7"])
def test_bad_chord_says_what_is_accepted(symbol):
    with pytest.raises(ChordError, match="root A-G"):
        parse_chord(symbol)


def test_progression_shares_bars_and_loops():
    spans = parse_progression("Am7 | D7 | G Em | C")
    assert [(s.symbol, s.start_beats, s.duration_beats) for s in spans] == [
        ("Am7", 0, 4), ("D7", 4, 4), ("G", 8, 2), ("Em", 10, 2), ("C", 12, 4)]
    looped = parse_progression("| C | G |", bars=5)
    assert [s.symbol for s in looped] == ["C", "G", "C", "G", "C"]
    assert [s.symbol for s in parse_progression("C | G | F", bars=2)] == ["C", "G"]


@pytest.mark.parametrize(("meter", "beats"), [((4, 4), 4.0), ((3, 4), 3.0), ((2, 4), 2.0), ((6, 8), 3.0), ((12, 8), 6.0)])
def test_progression_meters(meter, beats):
    assert beats_per_bar(meter) == beats
    spans = parse_progression("C F | G", meter=meter)
    assert spans[1].start_beats == pytest.approx(beats / 2)
    assert spans[2].start_beats == pytest.approx(beats) and spans[2].duration_beats == pytest.approx(beats)


@pytest.mark.parametrize("meter", [(0, 4), (5, 3), (4, 0)])
def test_a_meter_that_is_no_time_signature_is_refused_by_name(meter):
    with pytest.raises(ValueError, match=f"meter {meter[0]}/{meter[1]} is not a time signature"):
        parse_progression("C | G", meter=meter)


def test_progression_repeat_bar_and_lines():
    spans = parse_progression("C G | %\nAm | F")
    assert [s.symbol for s in spans] == ["C", "G", "C", "G", "Am", "F"]


@pytest.mark.parametrize(("text", "message"), [
    ("C | | G", "bar 2 .* is empty"),
    ("C | G | H7", "chord 'H7' in bar 3"),
    ("", "empty"),
    ("% | C", "no previous bar"),
])
def test_progression_errors(text, message):
    with pytest.raises(ChordError, match=message):
        parse_progression(text)


def test_keys():
    assert parse_key("") is None
    assert parse_key("Am") == (9, "minor")
    assert parse_key("F# minor") == (6, "minor")
    assert parse_key("Eb") == (3, "major")
    with pytest.raises(ChordError, match="is not a key"):
        parse_key("X major")
    scale = [Note(p, i, 1) for i, p in enumerate([57, 59, 60, 62, 64, 65, 68, 69, 64, 57])]
    assert detect_key(scale) == (9, "minor")
    assert key_name((9, "minor")) == "Am" and key_name((3, "major")) == "Eb"


def _block(symbols, length=4.0):
    notes = []
    for bar, symbol in enumerate(symbols):
        chord = parse_chord(symbol)
        notes.append(Note(36 + chord.root, bar * length, length))
        notes += [Note(60 + (chord.root + i) % 12, bar * length, length) for i in chord.intervals]
    return notes


def test_recognise_block_chords():
    symbols = ["C", "Am", "Dm7", "G7", "Fmaj7", "Em"]
    spans = recognise_chords(_block(symbols))
    assert [s.symbol for s in spans] == symbols
    assert chord_tone_ratio(_block(symbols), spans) == 1.0


def test_recognise_melody_prefers_diatonic_triads():
    melody = [Note(p, i * 1.0, 1.0) for i, p in enumerate([64, 67, 72, 67, 65, 69, 72, 69, 67, 71, 74, 71, 72, 67, 64, 60])]
    spans = recognise_chords(melody, key="C")
    assert [s.symbol for s in spans] == ["C", "F", "G", "C"]


def test_chord_tone_ratio_weights_by_duration_and_skips_rests():
    chords = [ChordSpan("C", 0, 4), ChordSpan("N", 4, 4)]
    notes = [Note(60, 0, 3), Note(61, 3, 1), Note(61, 4, 4)]
    assert chord_tone_ratio(notes, chords) == pytest.approx(0.75)
    assert chord_tone_ratio([Note(61, 5, 1)], chords) != chord_tone_ratio([Note(61, 5, 1)], chords)  # NaN


@pytest.mark.skipif(not (POP909 / "001" / "001.mid").exists(), reason="POP909 is not in ../shared/datasets")
def test_recognise_pop909_song_agrees_with_annotation():
    pytest.importorskip("symusic")
    from models.data.pop909 import load_song

    song = load_song(POP909 / "003")
    start = song.bar_starts[0]
    notes = [Note(n.pitch, n.start_beats - start, n.duration_beats) for n in song.parts["keys"] + song.parts["bass"]
             if n.start_beats >= start]
    spans = recognise_chords(notes, bars=len(song.bar_starts))
    agree = total = 0
    for beat in range(len(song.bar_starts) * 4):
        truth, guess = chord_at(song.chords, beat + start), chord_at(spans, beat)
        if truth is not None and not truth.is_rest and guess is not None:
            total += 1
            agree += truth.root == guess.root
    assert agree / total > 0.7
    assert chord_tone_ratio(notes, [ChordSpan(s.symbol, s.start_beats - start, s.duration_beats)
                                    for s in song.chords]) > 0.9
