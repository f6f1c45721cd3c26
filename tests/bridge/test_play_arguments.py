"""/continuo/play in each documented form: <job> [variation] [once|loop]."""

from __future__ import annotations

import pytest

from tests.bridge.test_midi_service import error_of, midi_app  # noqa: F401 - the fixture is used by name


@pytest.mark.parametrize("args, playing", [
    (["c"], ["c", 1, "now"]),
    (["c", "loop"], ["c", 1, "now"]),
    (["c", "once"], ["c", 1, "now"]),
    (["c", 2], ["c", 2, "now"]),
    (["c", 2.0, "loop"], ["c", 2, "now"]),  # Pure Data sends every number as a float
    (["c", 2, "once"], ["c", 2, "now"]),
])
def test_play_takes_every_documented_form(midi_app, args: list, playing: list) -> None:  # noqa: F811
    _, _, client = midi_app(midi_sync="free")
    client.generate("c", task="accompany", chords="C | G", parts="bass", variations=2)
    client.send("/continuo/play", *args)
    assert client.expect("/continuo/playing")[0] == playing


@pytest.mark.parametrize("args, words", [
    (["c", "forever"], "once or loop"),
    (["c", 1.5], "whole number"),
    (["c", float("nan")], "whole number"),
    (["c", 1, "loop", "now"], "at most"),
    (["c", "loop", 2], "before"),
])
def test_play_with_other_arguments_says_the_forms(midi_app, args: list, words: str) -> None:  # noqa: F811
    _, _, client = midi_app(midi_sync="free")
    client.generate("c", task="accompany", chords="C | G", parts="bass", variations=2)
    client.send("/continuo/play", *args)
    error = error_of(client)
    assert error[1] == "bad_request" and words in error[2] and "[variation, from 1] [once|loop]" in error[2]
