"""The dynamics layer plays a model's flat velocities like a player: accents, levels, swing, humanize, seeds."""

from __future__ import annotations

import numpy as np
import pytest

from models.dynamics.generator import TABLE_PATH, DynamicsGenerator
from models.dynamics.model import DynamicsTable
from models.types import Note, Request, Result
from models.validation import RequestError

BARS = 8


class FlatModel:
    """Writes what the transformer writes today: one velocity per part, block triads, a root on every beat."""

    name, device = "flat", "cpu"

    def generate(self, request: Request, progress=None) -> list[Result]:
        beats = request.meter[0] * 4 / request.meter[1]
        out = []
        for index in range(request.variations):
            bass = [Note(36, bar * beats + b, 1.0, 104) for bar in range(BARS) for b in range(int(beats))]
            keys = [Note(p, bar * beats + t, 0.5, 104) for bar in range(BARS)
                    for t in (k / 2 for k in range(int(2 * beats))) for p in (60, 64, 67)]
            drums = [Note(42, bar * beats + k / 2, 0.25, 80) for bar in range(BARS) for k in range(int(2 * beats))]
            parts = {"bass": tuple(bass), "keys": tuple(keys), "drums": tuple(drums)}
            if request.melody:
                parts["melody"] = request.melody
            seed = (request.seed or 0) + index
            out.append(Result(parts, (), BARS, request.meter, request.tempo, {"seed": str(seed)}))
        return out


@pytest.fixture(scope="module")
def played():
    return DynamicsGenerator(FlatModel())


def _one(generator, **keys) -> Result:
    return generator.generate(Request(chords="C", parts=("bass", "keys", "drums"), seed=keys.pop("seed", 3), **keys))[0]


def _velocities(result: Result, parts=("bass", "keys")) -> list[int]:
    return [n.velocity for p in parts for n in result.parts[p]]


def test_the_shipped_table_was_learnt_from_human_piano() -> None:
    table = DynamicsTable.load(TABLE_PATH)
    assert table.info["songs"] > 600 and table.info["notes"] > 500_000
    assert 60 < table.info["piano_mean"] < 100
    for part in ("bass", "keys", "melody", "arp", "pad"):
        assert table.metric[part]["downbeat"] > table.metric[part]["eighth"]


def _down_and_off(results) -> tuple[float, float]:
    down, off = [], []
    for result in results:
        for part in ("bass", "keys"):
            down += [n.velocity for n in result.parts[part] if n.start_beats % 4 == 0]
            off += [n.velocity for n in result.parts[part] if n.start_beats % 1 == 0.5]
    return float(np.mean(down)), float(np.mean(off))


def test_downbeats_are_played_louder_than_off_beat_eighths(played) -> None:
    down, off = _down_and_off([_one(played, humanize_velocity=0)])
    assert down > off + 2
    down, off = _down_and_off([_one(played, seed=seed) for seed in range(10)])
    assert down > off + 1


def _by_rank(results) -> dict[str, float]:
    by_rank = {"bottom": [], "inner": [], "top": []}
    for result in results:
        keys = result.parts["keys"]
        for onset in sorted({n.start_beats for n in keys}):
            chord = sorted((n for n in keys if n.start_beats == onset), key=lambda n: n.pitch)
            for rank, note in zip(("bottom", "inner", "top"), chord):
                by_rank[rank].append(note.velocity)
    return {rank: float(np.mean(v)) for rank, v in by_rank.items()}


def test_a_chord_is_balanced_as_the_pianists_balance_it(played) -> None:
    """POP909's accompaniment plays a chord's lowest note softest (docs/models.md: its inner voices loudest)."""
    table = DynamicsTable.load(TABLE_PATH)
    exact = _by_rank([_one(played, humanize_velocity=0)])
    assert sorted(exact, key=exact.get) == sorted(exact, key=table.voice["keys"].get)
    assert exact["bottom"] < exact["top"]
    noisy = _by_rank([_one(played, seed=seed) for seed in range(10)])
    assert noisy["bottom"] + 1 < noisy["top"]


def test_flat_velocities_come_back_varied_within_bars_and_at_the_human_level(played) -> None:
    result = _one(played)
    velocities = _velocities(result)
    assert len(set(velocities)) >= 12
    assert 70 <= np.mean(velocities) <= 84  # held-out POP909 verses: 76-77
    bar = [n.velocity for n in result.parts["keys"] if n.start_beats < 4]
    assert np.std(bar) >= 3.5


@pytest.mark.parametrize("level, low, high", [("soft", 50, 62), ("medium", 70, 82), ("loud", 90, 102)])
def test_dynamics_sets_the_level(played, level: str, low: float, high: float) -> None:
    assert low <= np.mean(_velocities(_one(played, dynamics=level))) <= high


def test_soft_medium_and_loud_are_in_order_for_every_part_and_the_drums(played) -> None:
    means = {level: {p: np.mean(_velocities(_one(played, dynamics=level), (p,))) for p in ("bass", "keys", "drums")}
             for level in ("soft", "medium", "loud")}
    for part in ("bass", "keys", "drums"):
        assert means["soft"][part] < means["medium"][part] < means["loud"][part]
    assert all(1 <= v <= 127 for v in _velocities(_one(played, dynamics="loud"), ("bass", "keys", "drums")))


def test_the_drummer_keeps_the_drum_velocities_when_no_level_is_asked(played) -> None:
    assert _velocities(_one(played), ("drums",)) == [80] * (BARS * 8)


def test_the_same_seed_gives_the_same_velocities_and_another_seed_others(played) -> None:
    assert _velocities(_one(played, seed=11)) == _velocities(_one(played, seed=11))
    assert _velocities(_one(played, seed=11)) != _velocities(_one(played, seed=12))


def test_humanize_velocity_0_leaves_the_learnt_accents_without_noise(played) -> None:
    first, second = _one(played, seed=1, humanize_velocity=0), _one(played, seed=2, humanize_velocity=0)
    assert _velocities(first) == _velocities(second)
    assert len(set(_velocities(first))) >= 4  # beat, voice and length still shape it


def test_humanize_velocity_bounds_how_far_velocities_stray(played) -> None:
    calm, plain = _one(played, humanize_velocity=0), _one(played, humanize_velocity=6)
    gaps = [abs(a - b) for a, b in zip(_velocities(calm), _velocities(plain))]
    assert max(gaps) <= 6 + 1 and max(gaps) >= 2


def test_swing_50_moves_off_beat_eighths_a_sixteenth_late_at_120_bpm(played) -> None:
    straight, swung = _one(played, tempo=120.0), _one(played, tempo=120.0, swing=50)
    for part in ("keys", "drums"):
        before = sorted({n.start_beats for n in straight.parts[part]})
        after = sorted({n.start_beats for n in swung.parts[part]})
        for old, new in zip(before, after):
            late_ms = (new - old) * 60 / 120 * 1000
            assert late_ms == pytest.approx(125.0 if old % 1 == 0.5 else 0.0, abs=0.01)
    assert [n.start_beats for n in swung.parts["bass"]] == [n.start_beats for n in straight.parts["bass"]]


def test_swing_on_sixteenths_moves_the_second_sixteenth_of_each_pair(played) -> None:
    class Sixteenths(FlatModel):
        def generate(self, request, progress=None):
            result = super().generate(request)[0]
            keys = tuple(Note(60, t / 4, 0.25, 90) for t in range(16))
            return [Result({"keys": keys}, (), 1, request.meter, request.tempo, result.info)]

    swung = DynamicsGenerator(Sixteenths()).generate(Request(chords="C", parts=("keys",), swing=40,
                                                             swing_on="sixteenths"))[0]
    starts = [n.start_beats for n in swung.parts["keys"]]
    assert starts[:4] == pytest.approx([0.0, 0.35, 0.5, 0.85])


def test_humanize_0_keeps_the_grid_and_humanize_moves_onsets_within_its_ms(played) -> None:
    grid = _one(played, humanize=0)
    assert [n.start_beats for n in grid.parts["keys"]] == [n.start_beats for n in _one(played).parts["keys"]]
    loose = _one(played, humanize=20, tempo=120.0)
    moved = [abs(a.start_beats - b.start_beats) * 500 for a, b in zip(grid.parts["keys"], loose.parts["keys"])]
    assert max(moved) <= 20 + 1e-6 and np.mean(moved) > 2
    assert min(n.start_beats for p in loose.parts.values() for n in p) >= 0
    bass = loose.parts["bass"]
    assert all(a.start_beats < b.start_beats and a.end_beats <= b.start_beats + 1e-9 for a, b in zip(bass, bass[1:]))
    assert [n.start_beats for n in loose.parts["drums"]] == [n.start_beats for n in grid.parts["drums"]]


def test_a_melody_the_request_gives_is_left_as_played(played) -> None:
    melody = tuple(Note(72, float(b), 1.0, 101) for b in range(8))
    result = played.generate(Request(chords="C", melody=melody, parts=("bass", "keys"), swing=50, humanize=30))[0]
    assert result.parts["melody"] == melody


@pytest.mark.parametrize("keys, key", [({"swing": 80}, "swing"), ({"dynamics": "forte"}, "dynamics"),
                                       ({"humanize": -1}, "humanize"), ({"humanize_velocity": 50}, "humanize_velocity"),
                                       ({"swing_on": "quarters"}, "swing_on")])
def test_a_setting_out_of_range_names_its_key(played, keys: dict, key: str) -> None:
    with pytest.raises(RequestError) as caught:
        _one(played, **keys)
    assert caught.value.key == key


@pytest.mark.parametrize("offset, meter, expected", [
    (0.0, (4, 4), "downbeat"), (2.0, (4, 4), "half"), (1.0, (4, 4), "beat"), (1.5, (4, 4), "eighth"),
    (1.25, (4, 4), "sixteenth"), (1 / 3, (4, 4), "triplet"), (1.0, (3, 4), "beat"), (1.5, (6, 8), "beat"),
    (1.0, (6, 8), "eighth"), (3.0, (12, 8), "half"), (0.5, (2, 4), "eighth")])
def test_beat_classes_follow_the_meter(offset: float, meter: tuple[int, int], expected: str) -> None:
    from models.dynamics.model import metric_class

    assert metric_class(offset, meter) == expected


def test_eighths_do_not_swing_in_six_eight_but_play_its_accents(played) -> None:
    straight, swung = _one(played, meter=(6, 8), humanize_velocity=0), _one(played, meter=(6, 8), swing=50)
    assert [n.start_beats for n in swung.parts["keys"]] == [n.start_beats for n in straight.parts["keys"]]
    down = [n.velocity for n in straight.parts["bass"] if n.start_beats % 3 == 0]
    other = [n.velocity for n in straight.parts["bass"] if n.start_beats % 3 != 0]
    assert np.mean(down) > np.mean(other)


def test_a_continuation_plays_the_same_with_its_prompt_in_front() -> None:
    class Continuing(FlatModel):
        def generate(self, request, progress=None):
            result = super().generate(request.replace(melody=()))[0]
            info = dict(result.info, prompt_bars="2")
            if not request.include_prompt:
                return [Result(result.parts, (), BARS, request.meter, request.tempo, info)]
            prompt = (Note(72, 0.0, 8.0, 99),)
            parts = {p: tuple(Note(n.pitch, n.start_beats + 8, n.duration_beats, n.velocity) for n in notes)
                     for p, notes in result.parts.items()}
            parts["keys"] = prompt + parts["keys"]
            return [Result(parts, (), BARS + 2, request.meter, request.tempo, info | {"include_prompt": "true"})]

    generator = DynamicsGenerator(Continuing())
    request = Request(task="continue", prompt=(Note(72, 0.0, 8.0, 99),), parts=("bass", "keys"), seed=5,
                      swing=30, humanize=10)
    alone, whole = generator.generate(request)[0], generator.generate(request.replace(include_prompt=True))[0]
    assert whole.parts["keys"][0] == Note(72, 0.0, 8.0, 99)  # the prompt as given
    for part in ("bass", "keys"):
        later = [(n.pitch, round(n.start_beats - 8, 6), n.velocity) for n in whole.parts[part] if n.start_beats >= 8]
        assert later == [(n.pitch, n.start_beats, n.velocity) for n in alone.parts[part]]
