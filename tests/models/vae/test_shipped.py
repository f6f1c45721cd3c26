"""The shipped VAE end to end: the CLI and OSC write one result per step; morphs go between; transfer keeps chords."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest

from bridge.cli import main
from models.music.recognise import recognise_chords
from models.types import Request
from models.vae.generator import CHECKPOINT, VaeTasks
from models.vae.metrics import chord_tone_ratio, onset_jaccard, roll_distance
from models.data.midi import write_midi
from tests.models.vae.clips import arpeggio, block_chords

pytestmark = pytest.mark.skipif(not CHECKPOINT.exists(), reason="no shipped VAE (models/checkpoints/vae.safetensors)")


class _Nothing:
    name, device = "none", "cpu"

    def generate(self, request, progress=None):
        raise AssertionError("the VAE's layer answers these tasks itself")


@pytest.fixture(scope="module")
def tasks() -> VaeTasks:
    return VaeTasks(_Nothing())


def test_the_cli_writes_one_midi_file_per_step(tmp_path: Path, capsys) -> None:
    source, target = write_midi({"keys": block_chords()}, tmp_path / "A.mid"), \
        write_midi({"keys": arpeggio()}, tmp_path / "B.mid")
    code = main(["generate", "--task", "interpolate", "--source", str(source), "--target", str(target), "--steps", "5",
                 "--seed", "1", "--model", "markov", "--out", str(tmp_path / "i.mid")])
    assert code == 0
    files = [tmp_path / f"i-v{n}.mid" for n in range(1, 6)]
    assert all(f.is_file() for f in files) and "chords: C | Am | F | G" in capsys.readouterr().out
    assert [t.name for t in mido.MidiFile(files[2]).tracks[1:]] == ["keys"]


def test_osc_interpolates_clips_by_name(connect) -> None:
    client = connect("tcp")
    for name, notes in (("a", block_chords()), ("b", arpeggio())):
        client.send("/continuo/clip/set", name, *[v for n in notes for v in (n.pitch, n.start_beats,
                                                                                n.duration_beats, n.velocity)])
        client.expect("/continuo/clip/stored")
    client.send("/continuo/generate", "morph", "task", "interpolate", "source", "a", "target", "b", "steps", 4,
                "seed", 2)
    result = client.collect("morph")
    assert len(result.paths) == 4 and len(set(result.paths)) == 4
    assert {1, 4} <= set(result.chords)  # every step that sounds says its chords
    assert set(result.variations[1]) == {"keys"}


def test_the_steps_go_from_the_source_towards_the_target(tasks: VaeTasks) -> None:
    source, target = block_chords(), arpeggio()
    steps = [r.parts["keys"] for r in tasks.generate(Request(task="interpolate", source=source, target=target,
                                                             steps=6, seed=0))]
    assert all(steps[1:-1]), "a decoded step is silent"
    to_source = [roll_distance(s, source) for s in steps]
    to_target = [roll_distance(s, target) for s in steps]
    assert to_source[1] < to_source[-2] and to_target[1] > to_target[-2]
    assert all(to_source[i] < to_source[-1] for i in range(1, 5))  # each step nearer the source than the target is
    assert len({n.velocity for n in steps[2]}) > 3
    assert all(x <= y + 1e-9 for x, y in zip(to_source, to_source[1:])), to_source  # never back towards the source
    ends = roll_distance(source, target)
    assert max(roll_distance(a, b) for a, b in zip(steps, steps[1:])) < 0.6 * ends, "a step jumps"


def test_texture_transfer_keeps_the_chords_and_takes_the_rhythm(tasks: VaeTasks) -> None:
    source, texture = block_chords(), arpeggio()
    out = tasks.generate(Request(task="transfer", source=source, texture=texture, parts=("keys",), seed=0))[0]
    notes = out.parts["keys"]
    assert notes
    assert chord_tone_ratio(notes, recognise_chords(source)) >= 0.7
    assert onset_jaccard(notes, texture) > onset_jaccard(notes, source)


def test_strength_zero_keeps_the_sources_own_texture(tasks: VaeTasks) -> None:
    source, texture = block_chords(), arpeggio()
    light = tasks.generate(Request(task="transfer", source=source, texture=texture, parts=("keys",), seed=0,
                                   strength=0.0))[0].parts["keys"]
    assert onset_jaccard(light, source) > onset_jaccard(light, texture)
