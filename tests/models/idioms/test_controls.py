"""`density` and `register` per part, as a producer sets them: more or fewer onsets, higher or lower, a bass kept a
bass and under the keys; bad text refused naming the key."""

from __future__ import annotations

import statistics

import pytest

from models.idioms.controls import parse_control
from models.idioms.generator import IdiomGenerator
from models.types import Request
from models.validation import RequestError

CHORDS = "Am | F | C | G"


def _parts(chart, style: str = "pop", **controls):
    request = Request(chords=CHORDS, bars=8, parts=("bass", "keys", "pad", "drums"), style=style, seed=4, **controls)
    return IdiomGenerator(chart).generate(request)[0].parts


def _onsets(notes) -> int:
    return len({n.start_beats for n in notes})


@pytest.mark.parametrize("style", ["pop", "jazz", "bossa", "ballad", "chorale"])
def test_density_high_plays_more_onsets_than_low(chart, style) -> None:
    low, medium, high = (_parts(chart, style, density=word) for word in ("low", "medium", "high"))
    for part in ("bass", "keys", "pad", "drums"):
        assert _onsets(low[part]) <= _onsets(medium[part]) <= _onsets(high[part])
        assert _onsets(low[part]) < _onsets(high[part])


def test_density_high_adds_stabs_to_jazz_comping(chart) -> None:
    medium, high = _parts(chart, "jazz"), _parts(chart, "jazz", density="keys:high")
    assert _onsets(high["keys"]) > _onsets(medium["keys"])
    assert {round(n.start_beats % 1, 2) for n in high["keys"]} <= {0.0, 0.67}  # still swung


def test_density_low_keys_hold_one_chord_per_chord(chart) -> None:
    keys = _parts(chart, "bossa", density="keys:low")["keys"]
    assert sorted({n.start_beats for n in keys}) == [4.0 * bar for bar in range(8)]


def test_density_high_keys_break_chords_with_sixteenth_pickups(chart) -> None:
    keys = _parts(chart, "chorale", density="high")["keys"]
    assert any(n.start_beats % 1 == 0.75 for n in keys) and any(n.start_beats % 1 == 0.5 for n in keys)


def test_density_names_one_part_and_leaves_the_others(chart) -> None:
    medium, bass_high = _parts(chart, "jazz"), _parts(chart, "jazz", density="bass:high")
    assert medium["keys"] == bass_high["keys"] and medium["bass"] != bass_high["bass"]


@pytest.mark.parametrize("style", ["pop", "jazz", "cinematic", "chorale"])
def test_register_high_is_higher_than_low_and_a_bass_stays_a_bass(chart, style) -> None:
    low, high = _parts(chart, style, register="low"), _parts(chart, style, register="high")
    for part in ("bass", "keys", "pad"):
        assert statistics.mean(n.pitch for n in high[part]) > statistics.mean(n.pitch for n in low[part]) + 6
    assert all(24 <= n.pitch <= 60 for n in low["bass"] + high["bass"])


@pytest.mark.parametrize("register", ["bass:high keys:low", "high", "low", "bass:high"])
@pytest.mark.parametrize("style", ["pop", "jazz", "lofi", "ballad", "folk"])
def test_the_bass_stays_under_the_keys(chart, style, register) -> None:
    parts = _parts(chart, style, register=register)
    for bass in parts["bass"]:
        over = [k.pitch for k in parts["keys"] if k.start_beats <= bass.start_beats < k.end_beats]
        assert not over or bass.pitch < min(over)


@pytest.mark.parametrize("key, text, words", [("density", "hi", "low, medium, high"),
                                              ("density", "bass:low bas:high", "is not a part"),
                                              ("register", "keys:top", "low, middle, high"),
                                              ("register", "high keys:low high", "twice")])
def test_bad_text_is_refused_naming_the_key(chart, key, text, words) -> None:
    with pytest.raises(RequestError) as caught:
        IdiomGenerator(chart).generate(Request(chords=CHORDS, **{key: text}))
    assert caught.value.key == key and words in str(caught.value) and not chart.requests


def test_control_text_reads_one_word_or_a_word_per_part() -> None:
    assert parse_control("High", "density", ("low", "medium", "high")) == {"*": "high"}
    assert parse_control("bass:low, keys:high", "density", ("low", "medium", "high")) == {"bass": "low",
                                                                                         "keys": "high"}
    assert parse_control("", "register", ("low", "middle", "high")) == {}


def test_the_producers_melody_is_left_as_played(chart) -> None:
    from models.types import Note

    melody = tuple(Note(72 + i % 3, 2.0 * i, 2.0) for i in range(16))
    request = Request(chords=CHORDS, bars=8, parts=("melody", "bass", "keys"), melody=melody, density="high",
                      register="high", seed=1)

    class WithMelody(type(chart)):
        def generate(self, request, progress=None):
            [result] = super().generate(request.replace(parts=("bass", "keys")))
            return [type(result)({**result.parts, "melody": request.melody}, result.chords, result.bars,
                                 result.meter, result.tempo, result.info)]

    [result] = IdiomGenerator(WithMelody()).generate(request)
    assert result.parts["melody"] == melody
    assert len(result.parts["keys"]) > len(chart.generate(request.replace(parts=("keys",)))[0].parts["keys"])
