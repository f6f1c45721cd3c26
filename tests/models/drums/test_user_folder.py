"""Drum tracks of a user's MIDI folder train the drum model: `continuo train --kind drums --source midi:DIR:STYLE`."""

from __future__ import annotations

import subprocess
import sys

import pytest
import symusic

from models.data.groove import read_drum_folder
from models.drums.kit import INSTRUMENTS
from tests.conftest import REPO


def _groove(path, *, drums: bool = True, tempo: float = 96.0, meter=(4, 4)) -> None:
    score = symusic.Score(480)
    track = symusic.Track("kit", 0, drums)
    for beat in range(16):
        track.notes.append(symusic.Note(beat * 480, 100, 42, 70))
        track.notes.append(symusic.Note(beat * 480, 100, 36 if beat % 2 == 0 else 38, 110))
    track.notes.append(symusic.Note(0, 100, 81, 90))  # a note no kit piece plays: dropped
    score.tracks.append(track)
    score.tempos.append(symusic.Tempo(0, tempo))
    score.time_signatures.append(symusic.TimeSignature(0, *meter))
    score.dump_midi(str(path))


def test_a_folder_is_read_as_performances_of_its_style(tmp_path):
    _groove(tmp_path / "a.mid", tempo=96)
    _groove(tmp_path / "b.mid", drums=False)  # a piano track on channel 1: no drums
    _groove(tmp_path / "c.mid", meter=(7, 8))  # a meter the drum model leaves out
    found = list(read_drum_folder(tmp_path, "funk"))
    assert [p.id.rsplit("/", 1)[1] for p in found] == ["a"]
    take = found[0]
    assert (take.style, take.bpm, take.meter, take.split) == ("funk", 96.0, (4, 4), "train")
    assert {h.note for h in take.hits} == {36, 38, 42} and all(h.note in INSTRUMENTS for h in take.hits)
    assert take.bars == 4


def test_unknown_style_and_missing_folder_say_what_to_write(tmp_path):
    with pytest.raises(ValueError, match="drum style 'disco'.*choose from rock, funk"):
        list(read_drum_folder(tmp_path, "disco"))
    with pytest.raises(FileNotFoundError, match="no .mid files"):
        list(read_drum_folder(tmp_path, "funk"))


@pytest.mark.slow
def test_continuo_train_kind_drums_fine_tunes_on_a_folder(tmp_path):
    folder = tmp_path / "grooves"
    folder.mkdir()
    for name in ("a", "b"):
        _groove(folder / f"{name}.mid")
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "bridge", "train", "--kind", "drums", "--finetune", f"{folder}:funk",
                           "--steps", "2", "--eval-every", "2", "--eval-windows", "2", "--batch", "2", "--seq-len", "96", "--limit", "8",
                           "--out", str(out)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"midi:{folder}:funk: 2 drum tracks" in done.stderr
    from models.drums.generator import DrumGenerator
    from models.types import Request

    notes = DrumGenerator.load(out / "best.safetensors").generate(
        Request(chords="C", bars=2, parts=("drums",), style="funk", seed=1))[0].parts["drums"]
    assert notes and all(n.pitch in INSTRUMENTS for n in notes)
    bad = subprocess.run([sys.executable, "-m", "bridge", "train", "--kind", "drums", "--source", "pop909:x",
                          "--out", str(out)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--source 'pop909:x'" in bad.stderr
