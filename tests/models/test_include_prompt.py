"""continue with include_prompt: the prompt and its continuation as one result, for the transformer and the Markov model."""

from __future__ import annotations

import pytest

from models.registry import load_model
from models.types import Note, Request

# two bars of 4/4: a melody over a held lower note in each bar (the lower notes go to keys)
PROMPT = tuple(Note(72 + (i % 4) * 2, i * 1.0, 1.0, 90) for i in range(8)) + (Note(60, 0.0, 4.0, 70), Note(57, 4.0, 4.0, 70))


@pytest.fixture(scope="module", params=["markov", "transformer"])
def generator(request):
    return load_model(request.param, "cpu")


def test_the_prompt_then_its_continuation_in_one_result(generator) -> None:
    request = Request(task="continue", prompt=PROMPT, parts=("keys",), bars=3, seed=4)
    [new] = generator.generate(request)
    [whole] = generator.generate(request.replace(include_prompt=True))
    assert new.bars == 3 and whole.bars == 5
    assert whole.info["prompt_bars"] == "2"
    # the prompt as given: its top line in melody, the held notes in keys
    assert [n for n in whole.parts["melody"] if n.start_beats < 8] == sorted(PROMPT[:8], key=lambda n: n.start_beats)
    assert [n for n in whole.parts["keys"] if n.start_beats < 8] == list(PROMPT[8:])
    # then the same new bars, eight beats later
    for part in ("melody", "keys"):
        later = [Note(n.pitch, n.start_beats - 8, n.duration_beats, n.velocity)
                 for n in whole.parts[part] if n.start_beats >= 8]
        assert later == list(new.parts[part]), part
    assert whole.chords[-len(new.chords):] == tuple(c.__class__(c.symbol, c.start_beats + 8, c.duration_beats)
                                                   for c in new.chords)
    assert whole.chords[0].start_beats == 0 and len(whole.chords) > len(new.chords)


def test_without_it_beat_0_is_the_first_new_bar(generator) -> None:
    [new] = generator.generate(Request(task="continue", prompt=PROMPT, parts=("melody",), bars=2, seed=1))
    assert new.bars == 2 and all(0 <= n.start_beats < 8 for n in new.parts["melody"])
    assert "include_prompt" not in new.info
