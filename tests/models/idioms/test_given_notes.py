"""The idioms layer reshapes only what the models wrote: a producer's prompt (with ``include_prompt``), a melody to
accompany or harmonize and the bars an infill keeps come back note for note, whatever the genre and controls."""

from __future__ import annotations

import pytest

from models.idioms.generator import IdiomGenerator
from models.types import Note, Request, Result
from tests.models.idioms.conftest import BlockChords

CHORDS = "C | F | G | C"
BAR = 4.0
PROMPT_BARS = 2
MELODY = tuple(Note(72 + (i % 3) * 2, i * 1.0, 0.9, 90) for i in range(16))


class Stand(BlockChords):
    """The chart, with the given notes where a real model puts them: the prompt in front (info says how long),
    the melody returned as given."""

    def generate(self, request: Request, progress=None) -> list[Result]:
        out = []
        for result in super().generate(request.replace(task="accompany"), progress):
            parts, info = dict(result.parts), dict(result.info)
            if request.melody:
                parts["melody"] = request.melody
            if request.task == "continue" and request.include_prompt:
                info.update(prompt_bars=str(PROMPT_BARS), include_prompt="true")
            out.append(Result(parts, result.chords, result.bars, result.meter, result.tempo, info))
        return out


def _both(request: Request) -> tuple[Result, Result]:
    """The result as the model wrote it and as the idioms layer gives it back."""
    return Stand().generate(request)[0], IdiomGenerator(Stand()).generate(request)[0]


def _in_bars(notes, bars) -> list[Note]:
    return sorted((n for n in notes if int(n.start_beats // BAR) + 1 in bars), key=lambda n: (n.start_beats, n.pitch))


CONTROLS = [dict(density="high"), dict(density="low"), dict(register="high"), dict(register="low"),
            dict(style="jazz"), dict(style="bossa", density="high", register="high"), dict(style="edm")]


@pytest.mark.parametrize("controls", CONTROLS)
def test_the_prompt_in_front_of_a_continuation_comes_back_unchanged(controls) -> None:
    request = Request(task="continue", chords=CHORDS, bars=4, parts=("bass", "keys", "drums"), seed=2,
                      include_prompt=True, **{"style": "pop", **controls})
    model, shaped = _both(request)
    prompt, new = range(1, PROMPT_BARS + 1), range(PROMPT_BARS + 1, 5)
    for part in ("bass", "keys", "drums"):
        assert _in_bars(shaped.parts[part], prompt) == _in_bars(model.parts[part], prompt), part
    changed = [p for p in ("bass", "keys", "drums") if _in_bars(shaped.parts[p], new) != _in_bars(model.parts[p], new)]
    assert changed, "the continuation itself should be reshaped"


@pytest.mark.parametrize("task", ["accompany", "harmonize"])
@pytest.mark.parametrize("controls", [dict(density="high", register="low"), dict(register="high", style="jazz"),
                                      dict(density="low", style="bossa")])
def test_a_given_melody_is_never_reshaped(task, controls) -> None:
    request = Request(task=task, chords=CHORDS, bars=4, parts=("melody", "bass", "keys"), melody=MELODY, seed=1,
                      **controls)
    model, shaped = _both(request)
    assert shaped.parts["melody"] == MELODY
    assert shaped.parts["keys"] != model.parts["keys"]


@pytest.mark.parametrize("controls", [dict(density="high"), dict(density="low"), dict(register="high")])
def test_infill_keeps_its_kept_bars(controls) -> None:
    request = Request(task="infill", chords=CHORDS, bars=4, parts=("keys", "drums"), infill_bars=(2,), seed=5,
                      **controls)
    model, shaped = _both(request)
    for part in ("keys", "drums"):
        assert _in_bars(shaped.parts[part], (1, 3, 4)) == _in_bars(model.parts[part], (1, 3, 4)), part
    assert any(_in_bars(shaped.parts[p], (2,)) != _in_bars(model.parts[p], (2,)) for p in ("keys", "drums"))
