"""A DAW that vanishes mid-song, and stop and cancel sent as MIDI: fake ports, real threads and time."""

from __future__ import annotations

import threading
import time

import pytest

from bridge.app import App
from bridge.client import Client
from bridge.errors import ConfigError
from bridge.midi.mapping import midi_config
from tests.bridge.fakes import load_fake
from tests.bridge.midi_fakes import FakeMidiSystem, notes_of
from tests.conftest import make_settings


@pytest.fixture
def midi_app(tmp_path):
    """start(**settings) → (app, fake MIDI system, client); everything stopped after the test."""
    started = []

    def start(**overrides):
        system = FakeMidiSystem()
        app = App(make_settings(tmp_path, midi_backend="jack", **overrides), load_fake, system)
        app.start()
        assert app.midi.wait_started(60) == "on"
        client = Client(port=app.osc.port)
        started.append((app, client))
        return app, system, client

    yield start
    for app, client in started:
        client.close()
        app.stop()


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


class DawClock:
    """Start, then 24 pulses per beat in real time, until the DAW goes away (no Stop message)."""

    def __init__(self, port, bpm: float = 120.0):
        self.port, self.step = port, 60.0 / bpm / 24
        self.last_pulse = 0.0
        self._gone = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self, status: int = 0xFA) -> None:
        """Start (0xFA) or Continue (0xFB), then the pulses."""
        self.port.inject([status])
        self._thread.start()

    def _run(self) -> None:
        begin = time.perf_counter()
        tick = 0
        while not self._gone.is_set():
            due = begin + tick * self.step
            time.sleep(max(0.0, due - time.perf_counter()))
            self.port.inject([0xF8])
            self.last_pulse = time.perf_counter()
            tick += 1

    def vanish(self) -> float:
        """The DAW is closed: pulses stop, nothing else is sent. Returns the time of the last pulse."""
        self._gone.set()
        self._thread.join()
        return self.last_pulse


def sent(system: FakeMidiSystem) -> list:
    return list(system.outputs["continuo out"].sent)


def test_a_vanished_clock_stops_playback_and_is_reported(midi_app) -> None:
    app, system, client = midi_app(midi_sync="clock")
    clock = DawClock(system.inputs["continuo in"])
    clock.start()
    wait_until(lambda: app.midi.status()["clock"] == "running")
    client.generate("song", task="accompany", chords="C | G", parts="bass,keys", bars=2, play="loop")
    wait_until(lambda: notes_of([m for _, m in sent(system)]))  # playing, in time with the clock
    last_pulse = clock.vanish()
    wait_until(lambda: app.midi.status()["clock"] == "lost")
    status = app.midi.status()
    assert status["sounding"] == 0
    job, text = client.wait_for("/continuo/warning")[1]
    assert job == "song" and "MIDI clock stopped" in text and "Start or Continue" in text
    after = [m for when, m in sent(system) if when > last_pulse]
    assert notes_of([m for _, m in sent(system)]) == {}  # every note ended
    assert {(m.channel, m.control) for m in after if m.type == "control_change"} >= {(2, 123), (2, 120), (3, 123),
                                                                                    (3, 120)}
    count = len(sent(system))
    time.sleep(0.3)  # nothing more is played on a clock that is gone
    assert not [m for _, m in sent(system)[count:] if m.type == "note_on"]


def test_clock_back_after_a_loss_resumes_on_continue(midi_app) -> None:
    app, system, client = midi_app(midi_sync="clock")
    port = system.inputs["continuo in"]
    clock = DawClock(port)
    clock.start()
    wait_until(lambda: app.midi.status()["clock"] == "running")
    client.generate("song", task="accompany", chords="C | G", parts="bass", bars=2, play="loop")
    wait_until(lambda: notes_of([m for _, m in sent(system)]))
    clock.vanish()
    wait_until(lambda: app.midi.status()["clock"] == "lost")
    count = len(sent(system))
    again = DawClock(port)
    again.start(0xFB)  # the DAW is back: Continue, then clock
    try:
        wait_until(lambda: [m for _, m in sent(system)[count:] if m.type == "note_on"])
        assert app.midi.status()["clock"] == "running"
    finally:
        again.vanish()


def test_the_stop_control_stops_playback(midi_app) -> None:
    app, system, client = midi_app(midi_sync="free")
    client.send("/continuo/midi/status")  # this client now hears what MIDI controls do
    client.wait_for("/continuo/midi/status")
    client.generate("song", task="accompany", chords="C | G", parts="bass,keys", tempo=300.0, play="loop")
    wait_until(lambda: notes_of([m for _, m in sent(system)]))
    system.inputs["continuo in"].inject([0xBF, 119, 127])  # CC 119 on channel 16
    assert client.wait_for("/continuo/stopped")[1] == ["song"]
    assert app.midi.status()["playing"] == "" and notes_of([m for _, m in sent(system)]) == {}


def test_the_cancel_control_cancels_the_running_job(midi_app) -> None:
    app, system, client = midi_app(midi_sync="free")
    client.send("/continuo/generate", "long", "task", "accompany", "chords", "C | G", "style", "slow")
    client.wait_for("/continuo/progress")  # running
    system.inputs["continuo in"].inject([0xBF, 118, 127])  # CC 118 on channel 16
    job, code, _ = client.wait_for("/continuo/error")[1]
    assert (job, code) == ("long", "cancelled")


def test_controls_are_settings_and_must_differ(tmp_path) -> None:
    config = midi_config(make_settings(tmp_path, midi_stop="note:40", midi_cancel="none"))
    assert (config.stop.kind, config.stop.number, config.cancel.kind) == ("note", 40, "none")
    with pytest.raises(ConfigError, match="midi_stop and midi_trigger"):
        midi_config(make_settings(tmp_path, midi_stop="note:36"))
