"""The include_prompt key: OSC, JSON and the command line's --include-prompt reach the model's request."""

from __future__ import annotations

import pytest

from bridge.cli import build_parser
from bridge.errors import InvalidRequest
from bridge.requests import parse_mapping, parse_pairs
from models.types import Note

PROMPT = (Note(60, 0.0, 1.0),)


@pytest.mark.parametrize("value, expected", [("true", True), (True, True), (1, True), ("false", False)])
def test_osc_pairs_set_include_prompt(value, expected) -> None:
    spec = parse_pairs(["task", "continue", "prompt", "riff", "include_prompt", value])
    assert spec.build(lambda name: PROMPT).include_prompt is expected


def test_left_out_it_is_false() -> None:
    assert parse_pairs(["task", "continue", "prompt", "riff"]).build(lambda name: PROMPT).include_prompt is False


def test_a_bad_value_names_the_key() -> None:
    with pytest.raises(InvalidRequest, match="include_prompt must be true or false"):
        parse_pairs(["task", "continue", "include_prompt", "maybe"])


def test_the_command_line_flag() -> None:
    args = build_parser().parse_args(["generate", "--task", "continue", "--prompt", "riff.mid",
                                      "--include-prompt", "true"])
    assert parse_mapping({"include_prompt": args.include_prompt}).values["include_prompt"] is True
