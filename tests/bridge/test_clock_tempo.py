"""The tempo heard from MIDI clock, as a triggered request and its MIDI file carry it: the DAW's, to 0.01 bpm."""

from __future__ import annotations

import math

import mido
import pytest

from bridge.midi.capture import Take
from bridge.midi.clock import ClockFollower
from bridge.midi.files import build_midi
from bridge.midi.trigger import trigger_spec
from models.types import Note

JACK_PERIOD = 256 / 48000  # pulses reach continuo at the start of the JACK period after they were sent


def clock_at(bpm: float, beats: int, period: float = JACK_PERIOD, clock: ClockFollower | None = None,
             start: float = 10.0) -> tuple[ClockFollower, float]:
    """A clock fed ``beats`` beats of pulses at ``bpm``, each delivered at the next period boundary."""
    if clock is None:
        clock = ClockFollower()
        clock.on_message("start", start)
    when = start
    for _ in range(beats * 24):
        clock.on_message("clock", math.ceil(when / period) * period)
        when += 60.0 / bpm / 24
    return clock, when


@pytest.mark.parametrize("bpm", [120.0, 97.5, 128.0, 174.0, 123.45])
@pytest.mark.parametrize("period", [JACK_PERIOD, 512 / 44100, 0.001])
def test_the_tempo_is_the_daws_to_a_hundredth(bpm: float, period: float) -> None:
    clock, _ = clock_at(bpm, 17, period)
    assert clock.bpm == pytest.approx(bpm, abs=0.0101)
    spec = trigger_spec(Take({"melody": (Note(60, 0.0, 1.0),)}, 1), {}, clock.bpm, "loop")
    midi = build_midi({"melody": (Note(60, 0.0, 1.0),)}, spec.values["tempo"], (4, 4))
    written = next(m for m in midi.tracks[0] if m.type == "set_tempo")
    assert round(mido.tempo2bpm(written.tempo), 2) == pytest.approx(bpm, abs=0.0101)  # not 120.3099


def test_a_new_tempo_is_followed_within_a_few_beats() -> None:
    clock, when = clock_at(120.0, 16)
    clock, when = clock_at(126.0, 4, clock=clock, start=when)
    assert clock.bpm == pytest.approx(126.0, abs=0.05)
    clock, when = clock_at(126.0, 16, clock=clock, start=when)
    assert clock.bpm == pytest.approx(126.0, abs=0.0101)
