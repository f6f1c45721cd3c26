"""Drums beside the other parts: the default model's routing, style names on both sides, the MIDI file's channel 10."""

from __future__ import annotations

import mido
import pytest

from bridge.midi.files import build_midi
from models.drums.combine import WithDrums
from models.types import Note, Request, Result


class _Pitched:
    """Stands in for the pitched model: records what it was asked, writes one bass note per bar."""

    name, device = "pitched", "cpu"

    def __init__(self) -> None:
        self.asked: list[Request] = []

    def generate(self, request, progress=None):
        self.asked.append(request)
        bars = request.bars or 4
        info = {"seed": str(request.seed), "prompt_bars": "2"} if request.task == "continue" else {"seed": str(request.seed)}
        parts = {p: tuple(Note(40, 4.0 * b, 1.0) for b in range(bars)) for p in request.parts}
        return [Result(parts=parts, chords=(), bars=bars, meter=request.meter, tempo=request.tempo, info=info)
                for _ in range(request.variations)]


@pytest.fixture
def band(tiny_drums):
    pitched = _Pitched()
    return pitched, WithDrums(pitched, lambda: tiny_drums, ("pop", "ballad", "upbeat", "folk"))


def test_drums_join_the_other_parts_and_a_drum_style_plays_them_in_a_style_the_pitched_model_knows(band):
    pitched, model = band
    result = model.generate(Request(chords="C | F | G | C", parts=("bass", "keys", "drums"), style="funk", bars=8,
                                    seed=2))[0]
    assert set(result.parts) == {"bass", "keys", "drums"}
    assert pitched.asked[-1].style == "upbeat" and pitched.asked[-1].parts == ("bass", "keys")
    assert {int(n.start_beats // 4) for n in result.parts["drums"]} == set(range(8))
    assert result.info["drum_style"] == "funk" and result.info["style"] == "funk"


def test_a_pitched_style_gets_its_drums_and_requests_without_drums_pass_through(band):
    pitched, model = band
    result = model.generate(Request(chords="C | G", parts=("bass", "drums"), style="ballad", seed=1))[0]
    assert pitched.asked[-1].style == "ballad" and result.info["drum_style"] == "soul"
    model.generate(Request(chords="C | G", parts=("bass",), style="hiphop", seed=1))
    assert pitched.asked[-1].style == "pop" and pitched.asked[-1].parts == ("bass",)


def test_continue_with_drums_keeps_the_melody_and_writes_drums_after_the_prompt(band):
    _, model = band
    prompt = tuple(Note(60, float(beat), 1.0) for beat in range(8))
    result = model.generate(Request(task="continue", prompt=prompt, parts=("drums",), style="rock", bars=4, seed=5))[0]
    assert set(result.parts) == {"melody", "drums"} and max(n.start_beats for n in result.parts["drums"]) < 16


def test_an_unknown_style_is_refused_before_anything_is_written(band):
    pitched, model = band
    with pytest.raises(ValueError, match="unknown drum style 'polka'.*rock, funk, jazz"):
        model.generate(Request(chords="C", parts=("bass", "drums"), style="polka"))
    assert not pitched.asked


def test_the_midi_file_puts_drums_on_channel_10_with_no_program_change(band):
    _, model = band
    result = model.generate(Request(chords="C | F", parts=("bass", "drums"), style="rock", seed=1))[0]
    midi = build_midi(result.parts, result.tempo, result.meter)
    track = next(t for t in midi.tracks if any(m.type == "track_name" and m.name == "drums" for m in t))
    notes = [m for m in track if m.type == "note_on"]
    assert notes and {m.channel for m in notes} == {9}
    assert not [m for m in track if m.type == "program_change"]
    assert isinstance(midi, mido.MidiFile)


def test_bad_drum_settings_are_refused_before_the_other_parts_are_written(band):
    pitched, model = band
    with pytest.raises(ValueError, match="fills must be 4"):
        model.generate(Request(chords="C", parts=("bass", "drums"), style="rock", fills=5))
    assert not pitched.asked
