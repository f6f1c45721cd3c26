"""MIDI input: byte decoding (running status, SysEx, junk), the clock follower, settings maps."""

from __future__ import annotations

import logging

import mido
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.errors import ConfigError
from bridge.midi.clock import ClockFollower
from bridge.midi.decode import DropLog, MidiDecoder
from bridge.midi.mapping import midi_config, parse_roles, parse_trigger
from tests.conftest import make_settings


def decode(*chunks: list[int]) -> tuple[list[str], DropLog]:
    drops = DropLog()
    decoder = MidiDecoder(drops)
    out = []
    for chunk in chunks:
        out += [str(m) for m in decoder.feed(chunk)]
    return out, drops


def msg(*data: int) -> str:
    return str(mido.Message.from_bytes(list(data)))


@pytest.mark.parametrize("chunks, expected, reason", [
    ([[0x90, 60, 100, 62, 100]], [msg(0x90, 60, 100), msg(0x90, 62, 100)], None),  # running status
    ([[0x90, 60], [100]], [msg(0x90, 60, 100)], None),  # a message split across packets
    ([[0x90, 60, 0xF8, 100]], [msg(0xF8), msg(0x90, 60, 100)], None),  # real-time inside a message
    ([[0xF0, 1, 2, 3, 0xF7, 0x80, 60, 0]], [msg(0x80, 60, 0)], "SysEx is not used"),
    ([[60, 100]], [], "data byte without a status byte"),
    ([[0x90, 60, 0x80, 61, 0]], [msg(0x80, 61, 0)], "incomplete message"),
    ([[0xF4, 0xF9]], [], "undefined status byte"),
    ([[0xF2, 0x10, 0x01]], [msg(0xF2, 0x10, 0x01)], None),  # song position pointer
    ([[0xB0, 7, 100, 0xF2, 0, 0, 7, 90]], [msg(0xB0, 7, 100), msg(0xF2, 0, 0)], "data byte without a status byte"),
])
def test_decoder(chunks, expected, reason) -> None:
    out, drops = decode(*chunks)
    assert out == expected
    assert (reason in drops.counts) if reason else not drops.counts


def test_decoder_bounds_sysex_and_logs(caplog) -> None:
    out, drops = decode([0xF0] + [1] * 5000 + [0x90, 60, 1])
    assert drops.counts["SysEx too long"] == 1 and out == [msg(0x90, 60, 1)]
    assert "dropped" in caplog.text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=255), max_size=300))
def test_decoder_never_raises_on_junk(data: list[int]) -> None:
    drops = DropLog()
    for message in MidiDecoder(drops).feed(data):
        assert isinstance(message, mido.Message)


def feed_ticks(clock: ClockFollower, start: float, count: int, bpm: float = 120.0, first: int = 0) -> float:
    step = 60.0 / bpm / 24
    for i in range(first, first + count):
        clock.on_message("clock", start + i * step)
    return step


def test_clock_follows_start_tempo_and_position() -> None:
    clock = ClockFollower()
    clock.on_message("start", 10.0)
    step = feed_ticks(clock, 10.0, 48, bpm=100.0)
    assert clock.bpm == pytest.approx(100.0, abs=0.01)
    assert clock.beat_at(10.0 + 24 * step) == pytest.approx(1.0, abs=1e-6)
    assert clock.time_of(3.0) == pytest.approx(10.0 + 72 * step)
    clock.on_message("stop", 11.0)
    assert clock.beat_at(11.0) is None and clock.time_of(4.0) is None
    assert clock.position_beats() == 2.0
    clock.on_message("songpos", 11.1, 16)  # 16 sixteenths = beat 4
    clock.on_message("continue", 11.2)
    clock.on_message("clock", 11.3)
    assert clock.beat_at(11.3) == pytest.approx(4.0)


def test_clock_without_start_only_measures_tempo(caplog) -> None:
    caplog.set_level(logging.INFO)
    clock = ClockFollower()
    feed_ticks(clock, 5.0, 30, bpm=90.0)
    assert clock.bpm == pytest.approx(90.0, abs=0.01)
    assert clock.beat_at(5.5) is None
    assert "without Start" in caplog.text


def test_clock_smooths_jittery_delivery() -> None:
    clock = ClockFollower()
    clock.on_message("start", 0.0)
    step = 60.0 / 120.0 / 24
    for i in range(48):  # delivered in 5 ms blocks, as a JACK period would
        clock.on_message("clock", i * step + (0.005 - (i * step) % 0.005))
    assert clock.bpm == pytest.approx(120.0, rel=0.02)
    assert clock.time_of(2.0) == pytest.approx(1.0, abs=0.004)


def test_transport_listeners_hear_events() -> None:
    clock = ClockFollower()
    heard = []
    clock.listeners.append(lambda event, position: heard.append((event, position)))
    for kind in ("start", "stop"):
        clock.on_message(kind, 0.0)
    clock.on_message("songpos", 0.0, 8)
    assert heard == [("start", 0.0), ("stop", 0.0), ("position", 2.0)]


@pytest.mark.parametrize("overrides, words", [
    ({"midi_roles": ("1=lead",)}, "role 'lead' is not known"),
    ({"midi_roles": ("17=melody",)}, "1 to 16"),
    ({"midi_roles": ("16=melody",)}, "control channel"),
    ({"midi_part_channels": ("bass",)}, "form bass=4"),
    ({"midi_part_channels": ("tuba=3",)}, "part 'tuba'"),
    ({"midi_trigger": "button"}, "note:N or cc:N"),
])
def test_bad_midi_settings_name_the_fix(tmp_path, overrides, words) -> None:
    with pytest.raises(ConfigError, match=words):
        midi_config(make_settings(tmp_path, **overrides))


def test_midi_settings_maps(tmp_path) -> None:
    config = midi_config(make_settings(tmp_path, midi_part_channels=("bass=2",), midi_trigger="cc:20"),
                         platform="win32")
    assert config.part_channels["bass"] == 1 and config.part_channels["keys"] == 2
    assert not config.virtual  # Windows opens existing ports by name
    assert parse_roles(("1=melody", "10=bass")) == {0: "melody", 9: "bass"}
    trigger = parse_trigger("cc:20", 15)
    assert trigger.matches(mido.Message("control_change", channel=15, control=20, value=127))
    assert not trigger.matches(mido.Message("control_change", channel=15, control=20, value=0))
    assert not trigger.matches(mido.Message("control_change", channel=0, control=20, value=127))
