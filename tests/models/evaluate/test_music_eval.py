"""``continuo eval --metrics music`` end to end: a hand-built held-out song, a stand-in model, the model and human columns."""

from __future__ import annotations

import argparse

import pytest

from models.data.pieces import Piece
from models.evaluate import command
from models.evaluate.music_eval import format_music, music_metrics, select_excerpts
from models.music.meter import beats_per_bar
from models.types import ChordSpan, Note, Request, Result

BARS = 8
SONG_BARS = 8 + 2 * BARS + 1  # intro, the excerpt, the human-to-human bars, one more


def song(name: str = "001") -> Piece:
    """C | F | C | G ... in 4/4; the pianist plays a root on beat 1 and C-E-G-ish triads on beats 2 and 4."""
    chords, bass, keys = [], [], []
    for bar in range(SONG_BARS):
        start = 4.0 * bar
        root = (0, 5, 0, 7)[bar % 4]
        chords.append(ChordSpan("CFCG"[bar % 4], start, 4.0))
        bass.append(Note(36 + root, start, 2.0, 70 + bar % 5))
        for beat in (1.0, 3.0):
            keys += [Note(60 + root + i, start + beat, 1.0, 60 + 2 * beat) for i in (0, 4, 7)]
    return Piece(name, "pop", [(4.0 * b, (4, 4)) for b in range(SONG_BARS)],
                 {"bass": bass, "keys": keys, "melody": [Note(72, 4.0 * b, 4.0) for b in range(SONG_BARS)]}, chords)


class OneNoteABar:
    """A stand-in model: one loud note per bar in bass, keys and pad, in any meter; never an arp."""

    name, device = "one-note", "cpu"

    def generate(self, request: Request, progress=None) -> list[Result]:
        beats = beats_per_bar(request.meter)
        parts = {part: tuple(Note(48 if part == "bass" else 60, bar * beats, 1.0, 100) for bar in range(request.bars))
                 for part in request.parts if part != "arp"}
        parts.update({"arp": ()} if "arp" in request.parts else {})
        return [Result(parts, (), request.bars, request.meter, request.tempo)]


def test_the_model_column_and_the_human_column_tell_a_plodding_model_from_the_pianist():
    results = music_metrics(OneNoteABar(), [song("001"), song("002")], songs=2, bars=BARS, meter_songs=1)
    assert results["songs"] == 2
    assert results["human.bass.root_first"] == 1.0 and results["human.keys.chord_tones"] == 1.0
    assert results["human.keys.off_beat_onsets"] == 0.0 and results["human.keys.on_beat_onsets"] == 1.0
    assert results["human.keys.sounding_at_once"] == 3.0 and results["human.keys.onsets_per_bar"] == 2.0
    assert results["model.keys.onsets_per_bar"] == 1.0 and results["model.keys.sounding_at_once"] == 1.0
    assert results["model.piano.distinct_velocities"] == 1.0 and results["human.piano.distinct_velocities"] > 5
    assert results["model.arp.empty_bars"] == 1.0
    assert results["meter.6/8.bass.bars_with_onset"] == 1.0 and results["meter.3/4.keys.notes_per_bar"] == 1.0
    # another 8 bars of the same songs look like the reference; one note a bar does not
    assert results["oa.mean.human"] > results["oa.mean.model"] + 0.2
    table = format_music(results)
    assert "mean" in table and "6/8" in table and "first note of the bar = root" in table
    assert results["human.bass.root_or_slash_first"] == 1.0 and "first note = root or the slash bass" in table


def test_songs_without_chords_or_too_short_are_passed_over():
    short = song("003")
    short.bars = short.bars[:BARS]
    bare = song("004")
    bare.chords = []
    assert [e.name for e in select_excerpts([short, bare, song("005")], songs=5, bars=BARS)] == ["005"]
    with pytest.raises(ValueError, match="POP909"):
        music_metrics(OneNoteABar(), [short, bare], songs=5)


def test_the_command_prints_the_music_table(monkeypatch, capsys):
    monkeypatch.setattr(command, "read_eval_data", lambda *args: [song("001"), song("002")])
    monkeypatch.setattr(command, "load_generator", lambda name, device: OneNoteABar())
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    results = command.run(parser.parse_args(["--data", "x", "--metrics", "music", "--songs", "2"]))
    out = capsys.readouterr().out
    assert "Yang & Lerch" in out and "bass-keys tonal distance" in out
    assert results["model.arp.empty_bars"] == 1.0


def test_the_likelihood_of_a_routed_default_model_is_its_primary_models(monkeypatch):
    from models.registry import load_generator

    markov = load_generator("markov")

    class Routed:  # what "default" loads: a router whose primary model is scored
        name, device, primary = "routed", "cpu", markov

    monkeypatch.setattr(command, "load_generator", lambda name, device: Routed())
    routed = command.evaluate("default", [song("001")], generate_count=0)
    monkeypatch.setattr(command, "load_generator", lambda name, device: markov)
    assert routed == command.evaluate("markov", [song("001")], generate_count=0)
    assert routed["pitch_notes"] > 0
