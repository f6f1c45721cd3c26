"""The drum generator on a tiny random model: notes in every bar on the kit, meters, fills asked for, humanize, seeds."""

from __future__ import annotations

import pytest

from models.drums.kit import DRUM_STYLES, INSTRUMENTS
from models.drums.vocab import FLAG_FILL, GRID
from models.music.meter import beats_per_bar
from models.types import Request


def _drums(generator, **changes) -> tuple:
    request = Request(task="accompany", chords="C | F | G | C", parts=("drums",), style="funk", bars=8, seed=3)
    return generator.generate(request.replace(**changes))[0].parts["drums"]


@pytest.mark.parametrize("meter", [(4, 4), (3, 4), (2, 4), (6, 8), (12, 8)])
def test_every_bar_has_drum_notes_of_the_general_midi_kit(tiny_drums, meter):
    notes = _drums(tiny_drums, meter=meter)
    beats = beats_per_bar(meter)
    assert {int(n.start_beats // beats) for n in notes} == set(range(8))
    assert {n.pitch for n in notes} <= set(INSTRUMENTS)
    assert all(0 <= n.start_beats < 8 * beats and n.duration_beats > 0 for n in notes)


def test_humanize_zero_puts_every_onset_on_the_grid_and_a_limit_bounds_the_timing(tiny_drums):
    def off_grid(notes):
        return max(abs(n.start_beats * GRID - round(n.start_beats * GRID)) / GRID for n in notes)

    assert off_grid(_drums(tiny_drums)) > 0.005  # the model's own timing is off the grid
    assert off_grid(_drums(tiny_drums, humanize=0)) < 1e-6
    assert off_grid(_drums(tiny_drums, humanize=5, tempo=120)) <= 5 / 1000 * 2 + 1e-6  # 5 ms at 2 beats a second


def test_the_same_seed_gives_the_same_notes_and_another_seed_others(tiny_drums):
    assert _drums(tiny_drums) == _drums(tiny_drums)
    assert _drums(tiny_drums) != _drums(tiny_drums, seed=4)


@pytest.mark.parametrize(("fills", "meter", "fill_bars"), [
    (4, (4, 4), [3, 7]), (8, (4, 4), [7]), (0, (4, 4), []), (4, (12, 8), [7, 15]), (4, (2, 4), [3, 7]),
])
def test_fills_are_asked_for_at_phrase_ends(tiny_drums, monkeypatch, fills, meter, fill_bars):
    fed = []
    forward = tiny_drums._decoder.forward
    monkeypatch.setattr(tiny_drums._decoder, "forward", lambda tokens: fed.append(list(tokens)) or forward(tokens))
    _drums(tiny_drums, fills=fills, meter=meter)
    openings = [tokens for tokens in fed if len(tokens) == 2 and tokens[0] == 3]  # BAR FLAG: one per model bar
    assert [index for index, tokens in enumerate(openings) if tokens[1] == FLAG_FILL] == fill_bars


def test_continuing_puts_fills_on_the_song_s_phrase_ends(tiny_drums, monkeypatch):
    fed = []
    forward = tiny_drums._decoder.forward
    monkeypatch.setattr(tiny_drums._decoder, "forward", lambda tokens: fed.append(list(tokens)) or forward(tokens))
    from models.types import Note

    prompt = tuple(Note(60, float(beat), 1.0) for beat in range(8))  # two bars
    tiny_drums.generate(Request(task="continue", prompt=prompt, parts=("drums",), style="rock", bars=4, seed=1))
    openings = [tokens for tokens in fed if len(tokens) == 2 and tokens[0] == 3]
    assert [index for index, tokens in enumerate(openings) if tokens[1] == FLAG_FILL] == [1]  # song bar 4


def test_an_unknown_drum_style_is_refused_with_the_styles(tiny_drums):
    with pytest.raises(ValueError, match="unknown drum style 'polka'") as caught:
        _drums(tiny_drums, style="polka")
    assert all(style in str(caught.value) for style in DRUM_STYLES)


@pytest.mark.parametrize(("changes", "message"), [
    ({"fills": 3}, "fills must be 4"), ({"humanize": -1.0}, "humanize must be 0"),
    ({"task": "transfer", "source": ()}, "cannot be written by the transfer task"),
])
def test_bad_drum_settings_say_what_is_accepted(tiny_drums, changes, message):
    with pytest.raises(ValueError, match=message):
        _drums(tiny_drums, **changes)


def test_infill_keeps_the_bars_it_was_not_asked_to_rewrite(tiny_drums):
    source = _drums(tiny_drums, humanize=0)
    request = Request(task="infill", source=source, infill_bars=(3,), parts=("drums",), style="funk", seed=9, humanize=0)
    notes = tiny_drums.generate(request)[0].parts["drums"]
    outside = [(n.pitch, n.start_beats) for n in source if not 8 <= n.start_beats < 12]
    assert [(n.pitch, n.start_beats) for n in notes if not 8 <= n.start_beats < 12] == outside
    assert [n for n in notes if 8 <= n.start_beats < 12]


def test_progress_rises_to_the_end_and_infill_outside_the_clip_is_refused(tiny_drums):
    seen = []
    tiny_drums.generate(Request(chords="C | F | G | C", parts=("drums",), style="funk", meter=(12, 8), seed=1,
                                variations=2), seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 4
    source = _drums(tiny_drums)
    with pytest.raises(ValueError, match="infill_bars 9 is outside the drum clip's 8 bars"):
        tiny_drums.generate(Request(task="infill", source=source, infill_bars=(9,), parts=("drums",), style="funk"))
