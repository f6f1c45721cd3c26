"""The generate keys: OSC pairs, JSON and CLI values are checked the same way."""

from __future__ import annotations

import pytest

from bridge.errors import InvalidRequest
from bridge.requests import parse_mapping, parse_pairs
from models.types import Note


def test_pairs_become_a_request() -> None:
    spec = parse_pairs(["task", "accompany", "chords", "Am7 | D7 | G Em | C", "parts", "bass,keys pad",
                        "bars", 8.0, "meter", "3/4", "tempo", 96, "seed", "3", "infill_bars", "2,4-5"])
    request = spec.build(lambda name: ())
    assert request.parts == ("bass", "keys", "pad")
    assert request.bars == 8 and request.meter == (3, 4) and request.tempo == 96.0 and request.seed == 3
    assert request.infill_bars == (2, 4, 5)


def test_json_object_form() -> None:
    spec = parse_pairs(['{"task": "harmonize", "melody": "tune", "parts": ["bass", "pad"], "bars": 4}'])
    notes = (Note(60, 0, 1),)
    request = spec.build(lambda name: notes if name == "tune" else ())
    assert request.melody == notes and request.parts == ("bass", "pad")


def test_default_parts_follow_the_task() -> None:
    assert parse_pairs(["chords", "C"]).build(lambda n: ()).parts == ("bass", "keys")
    assert parse_pairs(["task", "continue"]).build(lambda n: ()).parts == ("melody",)


@pytest.mark.parametrize(
    "args, words",
    [
        (["tempo"], "has no value"),
        (["colour", "red"], "unknown key 'colour'"),
        (["task", "remix"], "choose from accompany"),
        (["bars", 2.5], "whole number"),
        (["bars", 1000], "out of range"),
        (["tempo", "fast"], "must be a number"),
        (["tempo", float("nan")], "finite"),
        (["parts", "bass,tuba"], "tuba"),
        (["parts", "bass,bass"], "twice"),
        (["meter", "5/4"], "not supported"),
        (["chords", "Am7 | H7"], "H7"),
        (["melody", "../../etc/passwd"], "not a usable name"),
        (["output", "/tmp/x"], "not a usable name"),
        (["infill_bars", "4-2"], "low to high"),
        (["seed", 1, "seed", 2], "given twice"),
        (['{"task": '], "not valid JSON"),
        (["[1, 2]"], "key value pairs"),
    ],
)
def test_bad_values_name_the_key_and_the_fix(args: list, words: str) -> None:
    with pytest.raises(InvalidRequest, match=words):
        parse_pairs(args)


def test_cli_mapping_uses_the_same_checks() -> None:
    with pytest.raises(InvalidRequest, match="temperature 9 is out of range"):
        parse_mapping({"temperature": "9"})
