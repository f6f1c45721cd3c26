"""The dynamics, swing and humanize flags reach the notes of the MIDI file the default model writes."""

from __future__ import annotations

from pathlib import Path

import mido
import numpy as np
import pytest

from bridge.cli import main
from models.dynamics.feel import swing_time

pytestmark = pytest.mark.slow


def _notes(path: Path) -> dict[str, list[tuple[float, int]]]:
    """Per track name, (onset in beats, velocity) of every note."""
    midi = mido.MidiFile(path)
    out = {}
    for track in midi.tracks:
        ticks, notes = 0, []
        for message in track:
            ticks += message.time
            if message.type == "note_on" and message.velocity > 0:
                notes.append((ticks / midi.ticks_per_beat, message.velocity))
        if notes:
            out[track.name] = notes
    return out


def _generate(tmp_path: Path, name: str, *flags: str) -> dict[str, list[tuple[float, int]]]:
    out = tmp_path / f"{name}.mid"
    assert main(["generate", "--chords", "C | Am | F | G", "--parts", "bass,keys", "--seed", "4",
                 "--out", str(out), *flags]) == 0
    return _notes(out)


def test_dynamics_soft_and_loud_and_swing_reach_the_file(tmp_path: Path) -> None:
    soft = _generate(tmp_path, "soft", "--dynamics", "soft")
    loud = _generate(tmp_path, "loud", "--dynamics", "loud", "--swing", "50")
    soft_mean = np.mean([v for notes in soft.values() for _, v in notes])
    loud_mean = np.mean([v for notes in loud.values() for _, v in notes])
    assert soft_mean < 66 < 86 < loud_mean
    assert len({v for _, v in soft["keys"]}) >= 6  # not one velocity a bar any more
    # the same seed writes the same notes: swing 50 moves each off-beat eighth a sixteenth late, beats stay
    for part in ("bass", "keys"):
        straight = [t for t, _ in soft[part]]
        expected = sorted(swing_time(t, 0.5, 0.5) for t in straight)  # 0.5 -> 0.75, 0.25 -> 0.375, beats stay
        assert sorted(t for t, _ in loud[part]) == pytest.approx(expected, abs=1e-3)
    assert any(t % 1 == 0.5 for notes in soft.values() for t, _ in notes)
