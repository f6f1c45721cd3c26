"""Interpolate and texture transfer through the VAE's layer, with a tiny untrained network: ends, seeds, errors."""

from __future__ import annotations

import pytest
import torch

from models.types import Note, Request
from models.vae.codec import VaeCodec
from models.vae.generator import VaeTasks, looks_like_drums
from models.vae.metrics import roll_distance
from models.vae.network import ChordTextureVae, VaeConfig
from models.validation import RequestError
from tests.models.vae.clips import arpeggio, block_chords, groove

TINY = VaeConfig(z_chord=8, z_texture=8, hidden=32, channels=4, step_width=32)


class Inner:
    """Stands for the layers below: says it was asked."""

    name, device = "inner", "cpu"

    def __init__(self) -> None:
        self.asked: list[Request] = []

    def generate(self, request, progress=None):
        self.asked.append(request)
        return []


@pytest.fixture
def tasks() -> VaeTasks:
    torch.manual_seed(0)
    return VaeTasks(Inner(), VaeCodec(ChordTextureVae(TINY)))


@pytest.mark.parametrize("steps", [3, 5, 16])
def test_interpolate_gives_one_result_per_step_from_the_source_to_the_target(tasks: VaeTasks, steps: int) -> None:
    source, target = block_chords(), arpeggio()
    results = tasks.generate(Request(task="interpolate", source=source, target=target, steps=steps, seed=1))
    assert len(results) == steps
    assert [r.info["step"] for r in results] == [f"{i} of {steps}" for i in range(1, steps + 1)]
    first, last = results[0].parts["keys"], results[-1].parts["keys"]
    assert roll_distance(first, source) == 0.0 and roll_distance(last, target) == 0.0
    assert all(r.bars == 4 and r.chords for r in results)


def test_the_shorter_clip_is_looped_to_the_longer(tasks: VaeTasks) -> None:
    source = block_chords(("C", "Am"))  # 2 bars against 4
    results = tasks.generate(Request(task="interpolate", source=source, target=arpeggio(), steps=3, seed=1))
    first = results[0].parts["keys"]
    assert max(n.start_beats for n in first) >= 12
    assert [n.pitch for n in first if n.start_beats < 8] == [n.pitch for n in first if n.start_beats >= 8]


def test_the_same_seed_gives_the_same_notes_and_another_seed_other_velocities(tasks: VaeTasks) -> None:
    request = Request(task="interpolate", source=block_chords(), target=arpeggio(), steps=4, seed=7)
    once, again = tasks.generate(request), tasks.generate(request)
    assert [r.parts for r in once] == [r.parts for r in again]
    other = tasks.generate(request.replace(seed=8))
    middle = once[1].parts["keys"]
    assert [n.velocity for n in middle] != [n.velocity for n in other[1].parts["keys"]]
    assert len({n.velocity for n in middle}) > 3  # not flat


def test_texture_transfer_writes_the_sources_part_over_its_bars(tasks: VaeTasks) -> None:
    request = Request(task="transfer", source=block_chords(), texture=arpeggio(), parts=("keys",), seed=2,
                      variations=2)
    results = tasks.generate(request)
    assert len(results) == 2 and all(set(r.parts) == {"keys"} and r.bars == 4 for r in results)
    assert results[0].info["seed"] == "2" and results[1].info["seed"] == "3"
    assert tasks.generate(request)[0].parts == results[0].parts


def test_transfer_without_texture_and_other_tasks_pass_through(tasks: VaeTasks) -> None:
    tasks.generate(Request(task="transfer", source=block_chords()))
    tasks.generate(Request(task="accompany", chords="C | G"))
    assert [r.task for r in tasks.inner.asked] == ["transfer", "accompany"]


@pytest.mark.parametrize(
    "changes, key",
    [
        ({"target": ()}, "target"),
        ({"source": ()}, "source"),
        ({"steps": 2}, "steps"),
        ({"steps": 17}, "steps"),
        ({"source": groove()}, "source"),
        ({"target": groove()}, "target"),
        ({"task": "transfer", "texture": groove()}, "texture"),
        ({"task": "transfer", "texture": arpeggio(), "strength": 1.5}, "strength"),
        ({"task": "transfer", "texture": arpeggio(), "chords": "C | Q"}, "chords"),
    ],
)
def test_errors_name_the_key_at_fault(tasks: VaeTasks, changes: dict, key: str) -> None:
    request = Request(task="interpolate", source=block_chords(), target=arpeggio(), steps=5).replace(**changes)
    with pytest.raises(RequestError) as info:
        tasks.generate(request)
    assert info.value.key == key and key in str(info.value)


def test_a_drum_groove_is_told_from_a_piano_part() -> None:
    assert looks_like_drums(groove())
    assert not looks_like_drums(block_chords()) and not looks_like_drums(arpeggio())
    walking_bass = tuple(Note(p, i * 1.0, 1.0, 80) for i, p in enumerate((36, 38, 40, 43, 45, 43, 40, 38)))
    assert not looks_like_drums(walking_bass)


def _cells(notes) -> set[tuple[float, int]]:
    return {(round(n.start_beats * 4), n.pitch) for n in notes}


@pytest.mark.parametrize("seed", [0, 3])
def test_a_morph_moves_away_from_the_source_without_jumps(tasks: VaeTasks, seed: int) -> None:
    """Even an untrained network's morph is gradual: the distance from the source never falls (nor that to the
    target rises) across steps, a note in steps i and i + 2 is in step i + 1, and no step between jumps more than
    half the way between the ends."""
    source, target = block_chords(), arpeggio()
    steps = [r.parts["keys"] for r in tasks.generate(Request(task="interpolate", source=source, target=target,
                                                             steps=7, seed=seed))]
    from_source = [roll_distance(source, s) for s in steps]
    to_target = [roll_distance(s, target) for s in steps]
    assert all(x <= y + 1e-9 for x, y in zip(from_source, from_source[1:])), from_source
    assert all(x >= y - 1e-9 for x, y in zip(to_target, to_target[1:])), to_target
    for before, now, after in zip(steps, steps[1:], steps[2:]):
        assert _cells(before) & _cells(after) <= _cells(now)
    ends = roll_distance(source, target)
    assert max(roll_distance(a, b) for a, b in zip(steps, steps[1:])) < 0.5 * ends
