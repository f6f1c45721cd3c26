"""The feel reaches every result a producer gets back: the VAE's morphs and texture transfers (written outside the
dynamics layer) and the drum model on its own (`--model drums`) swing and take `dynamics` like the models' parts."""

from __future__ import annotations

import statistics

import pytest

from models.dynamics.feel import swing_time
from models.registry import drums_checkpoint_path, load_generator, performed
from models.types import Request, Result
from models.vae.generator import CHECKPOINT
from tests.models.vae.clips import arpeggio, block_chords


class _Nothing:
    name, device = "none", "cpu"

    def generate(self, request, progress=None):
        raise AssertionError("the VAE's layer answers these tasks itself")


def _onsets(result: Result) -> list[float]:
    return sorted(n.start_beats for notes in result.parts.values() for n in notes)


def _velocity(result: Result) -> float:
    return statistics.mean(n.velocity for notes in result.parts.values() for n in notes)


def _swung(onsets: list[float], swing: float) -> list[float]:
    return sorted(swing_time(t, 0.5, swing / 100) for t in onsets)


def _off_eighths(onsets: list[float]) -> int:
    return sum(abs(t % 1 - 0.5) < 1e-6 for t in onsets)


vae_only = pytest.mark.skipif(not CHECKPOINT.exists(), reason="no shipped VAE")


@pytest.fixture(scope="module")
def layers():
    """Every layer the registry puts around a model, around one that must not be asked."""
    return performed(_Nothing())


def _morph(layers, **feel) -> list[Result]:
    return layers.generate(Request(task="interpolate", source=block_chords(), target=arpeggio(), steps=4, seed=7,
                                   **feel))


@vae_only
def test_an_interpolations_steps_swing_and_take_the_level_but_its_ends_stay_as_given(layers) -> None:
    plain, straight, swung = _morph(layers), _morph(layers, dynamics="loud"), _morph(layers, dynamics="loud", swing=50)
    soft = _morph(layers, dynamics="soft")
    for step in (1, 2):
        assert _off_eighths(_onsets(straight[step])) > 0
        assert _onsets(swung[step]) == pytest.approx(_swung(_onsets(straight[step]), 50), abs=1e-4)
        assert _velocity(soft[step]) + 20 < _velocity(straight[step])
        assert [n.velocity for n in straight[step].parts["keys"]] != [n.velocity for n in plain[step].parts["keys"]]
    for step in (0, -1):  # the source and the target, as the producer gave them
        assert swung[step].parts == plain[step].parts == soft[step].parts
    assert [r.parts for r in _morph(layers, dynamics="loud", swing=50)] == [r.parts for r in swung]


@vae_only
def test_a_texture_transfer_swings_and_humanizes_by_seed(layers) -> None:
    def transfer(**feel) -> Result:
        return layers.generate(Request(task="transfer", source=block_chords(), texture=arpeggio(), seed=3, **feel))[0]

    straight, swung = transfer(swing=0.0, dynamics="medium"), transfer(swing=40.0)
    assert _off_eighths(_onsets(straight)) > 0
    assert _onsets(swung) == pytest.approx(_swung(_onsets(straight), 40), abs=1e-4)
    loose, again = transfer(humanize=30.0), transfer(humanize=30.0)
    assert loose.parts == again.parts
    assert _onsets(loose) != _onsets(straight)
    assert _velocity(transfer(dynamics="loud")) > _velocity(transfer(dynamics="soft")) + 20


drums_only = pytest.mark.skipif(not drums_checkpoint_path().exists(), reason="no shipped drum model")


def _groove(generator, **feel) -> Result:
    request = Request(task="accompany", chords="C | F", bars=4, parts=("drums",), style="rock", tempo=100, seed=3,
                      humanize=0, **feel)
    return generator.generate(request)[0]


@drums_only
@pytest.mark.parametrize("name", ["drums", "default"])
def test_the_drums_swing_and_take_the_level_from_the_drum_model_alone_and_the_default_model(name) -> None:
    generator = load_generator(name, "cpu")
    straight, swung = _groove(generator), _groove(generator, swing=30.0)
    assert _off_eighths(_onsets(straight)) > 4
    assert _onsets(swung) == pytest.approx(_swung(_onsets(straight), 30), abs=1e-4)
    assert _velocity(_groove(generator, dynamics="soft")) < _velocity(straight) < _velocity(
        _groove(generator, dynamics="loud"))
