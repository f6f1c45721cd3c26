"""Tokenizer: vocabulary, note and chord sections, MIDI -> tokens -> MIDI round trips."""

from __future__ import annotations

import pytest

from models.data.midi import read_midi_folder, write_midi
from models.data.pieces import Piece
from models.data.token_cache import encode_piece
from models.music.meter import TICKS_PER_BEAT, beats_per_bar
from models.transformer.tokenizer import decode, encode_chords, encode_notes
from models.transformer.tokens import (
    BAR,
    BOS,
    DURATIONS,
    INDEX,
    KIND,
    METER0,
    STYLE0,
    TRACKS,
    VOCAB,
    StreamReader,
    density_bucket,
    meter_ticks,
)
from models.types import METERS, ChordSpan, Note


def test_vocabulary_is_unique_and_stable():
    assert len(set(VOCAB.names)) == len(VOCAB)
    assert VOCAB.names[:4] == ("PAD", "BOS", "EOS", "BAR")
    assert TICKS_PER_BEAT >= 12


def _stream(piece: Piece) -> list[int]:
    tokens = [BOS, STYLE0]
    for meter, sections in encode_piece(piece):
        tokens += [BAR, meter]
        for track, body in sections:
            tokens += [VOCAB.track_token("target", TRACKS[track])] + body
    return tokens


@pytest.mark.parametrize("meter", METERS)
def test_notes_and_chords_round_trip(meter):
    beats = beats_per_bar(meter)
    notes = {"bass": [Note(36 + k, k * beats / 3, DURATIONS[k + 6] / TICKS_PER_BEAT, 70) for k in range(6)],
             "keys": [Note(p, beats + 1 / 3, 1.0, 90) for p in (60, 64, 67)] + [Note(62, beats + 1 / 3, 0.5, 90)]}
    chords = [ChordSpan("Am7", 0.0, beats / 2), ChordSpan("D7/F#", beats / 2, beats / 2), ChordSpan("N", beats, beats)]
    piece = Piece("x", "pop", [(0.0, meter), (beats, meter)], notes, chords)
    decoded = decode(_stream(piece))
    assert decoded.meters == [meter, meter]
    for name, original in notes.items():
        key = sorted((round(n.start_beats * 12), n.pitch, round(n.duration_beats * 12), n.velocity // 16) for n in original)
        got = sorted((round(n.start_beats * 12), n.pitch, round(n.duration_beats * 12), n.velocity // 16)
                     for n in decoded.tracks[name])
        assert got == key
    assert [c.symbol for c in decoded.chords] == ["Am7", "D7/F#", "N"]
    assert [c.start_beats for c in decoded.chords] == [0.0, beats / 2, beats]


def test_every_token_reads_as_its_kind_and_place():
    for token, name in enumerate(VOCAB.names):
        kind = "TRACK" if name[:2] in ("C_", "T_") else name.split("_", 1)[0]
        assert KIND[token] == kind, name
    assert INDEX[VOCAB["PITCH_61"]] == 61 and INDEX[VOCAB["POS_30"]] == 30
    assert DURATIONS[INDEX[VOCAB["DUR_24"]]] == 24 and METERS[INDEX[VOCAB["METER_6/8"]]] == (6, 8)


def test_the_reader_follows_bars_sections_and_positions():
    stream = [BOS, STYLE0, BAR, METER0 + METERS.index((3, 4)), VOCAB.track_token("target", "bass"), VOCAB["DENS_1"],
              VOCAB["VEL_3"], VOCAB["POS_6"], VOCAB["DUR_12"], VOCAB["PITCH_40"], BAR, METER0]
    reader = StreamReader()
    kinds = [reader.read(token) for token in stream[:10]]
    assert kinds[-1] == "PITCH" and (reader.role, reader.track) == ("target", "bass")
    assert reader.start_beats == 0.5 and reader.duration == 12 and reader.velocity == 56
    for token in stream[10:]:
        reader.read(token)
    assert reader.bar_start == 36 and reader.meter == (4, 4) and reader.track is None  # after one bar of 3/4


def test_note_section_grammar():
    body = encode_notes([Note(60, 0.0, 1.0), Note(64, 0.0, 1.0), Note(67, 0.0, 0.5), Note(65, 1.5, 0.5)], 0.0, 48)
    names = [VOCAB.names[t] for t in body]
    assert names == ["DENS_2", "VEL_5", "POS_0", "DUR_6", "PITCH_67", "DUR_12", "PITCH_60", "PITCH_64",
                     "POS_18", "DUR_6", "PITCH_65"]
    assert density_bucket(0) == 0 and density_bucket(100) == 7


def test_downbeat_chord_is_always_written():
    body = encode_chords([ChordSpan("C", 0.0, 8.0)], 4.0, meter_ticks((4, 4)))
    assert [VOCAB.names[t] for t in body] == ["POS_0", "ROOT_0", "QUAL_maj"]


def test_midi_tokens_midi_round_trip(tmp_path):
    tracks = {"bass": [Note(40, 0.0, 1.0, 80), Note(43, 1.5, 0.5, 80), Note(45, 4.0, 2.0, 80)],
              "keys": [Note(60, 0.0, 2.0, 96), Note(64, 0.0, 2.0, 96), Note(67, 2 / 3, 1 / 3, 96)],
              "melody": [Note(72, 0.25, 0.25, 100), Note(74, 5.0, 1.0, 100)]}
    write_midi(tracks, tmp_path / "in.mid")
    piece = next(read_midi_folder(tmp_path, "pop"))
    decoded = decode(_stream(piece))
    write_midi(decoded.tracks, tmp_path / "out" / "out.mid") if (tmp_path / "out").mkdir() is None else None
    again = next(read_midi_folder(tmp_path / "out", "pop"))
    for name, notes in tracks.items():
        want = sorted((n.pitch, round(n.start_beats * 12), round(n.duration_beats * 12)) for n in notes)
        assert sorted((n.pitch, round(n.start_beats * 12), round(n.duration_beats * 12)) for n in again.tracks[name]) == want
    assert decoded.meters == [(4, 4), (4, 4)]
    assert METER0 + METERS.index((4, 4)) in _stream(piece)
