"""The MIDI side through OSC with fake ports: capture, trigger, play, stop, bad input, lost ports."""

from __future__ import annotations

import time

import pytest

from bridge.app import App
from bridge.client import Client
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
        app.midi.watch_seconds = 0.05
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
        time.sleep(0.01)


def error_of(client: Client) -> list:
    return client.wait_for("/continuo/error")[1]


def out_messages(system: FakeMidiSystem, name: str = "continuo out") -> list:
    return [m for _, m in system.outputs[name].sent]


def test_without_midi_osc_works_and_says_why(start_app, connect) -> None:
    app = start_app(load_fake)  # the test settings turn MIDI off
    assert app.midi.wait_started(60) == "off"
    client = connect()
    assert client.ping()
    client.send("/continuo/midi/status")
    status = dict(zip(*[iter(client.wait_for("/continuo/midi/status")[1])] * 2))
    assert status["midi"] == "off" and "midi_backend = none" in status["midi_problem"]
    client.send("/continuo/generate", "j", "task", "accompany", "chords", "C", "play", "loop")
    job, code, message = error_of(client)
    assert (job, code) == ("j", "bad_request") and "MIDI is off" in message and "docs/midi.md" in message


def test_arm_and_stop_store_clips_per_role(midi_app) -> None:
    app, system, client = midi_app()
    port = system.inputs["continuo in"]
    client.send("/continuo/midi/stop")
    assert "nothing is armed" in error_of(client)[2]
    client.send("/continuo/midi/arm", "take")
    assert client.wait_for("/continuo/midi/armed")[1] == ["take"]
    now = time.perf_counter()
    beat = 0.5  # 120 bpm without clock: half a second per beat
    for i, (status, pitch) in enumerate([(0x90, 60), (0x91, 48), (0x92, 72), (0x93, 40)]):
        port.inject([status, pitch, 100], now + i * beat)
        port.inject([status - 0x10, pitch, 0], now + (i + 1) * beat)
    port.inject([0x94, 50, 100], now)  # channel 5 has no role: ignored
    assert app.midi.wait_input()
    client.send("/continuo/midi/stop")
    captured = client.wait_for("/continuo/midi/captured")[1]
    assert dict(zip(captured[0::2], captured[1::2])) == {
        "take": 4, "take-melody": 1, "take-chords": 1, "take-bass": 1, "take-source": 1}
    notes = app.clips.get("take")
    assert [(n.pitch, n.start_beats, n.duration_beats) for n in notes] == [
        (60, 0.0, 1.0), (48, 1.0, 1.0), (72, 2.0, 1.0), (40, 3.0, 1.0)]


def clock_phrase(port, start: float, beats: int, notes: dict[float, int], bpm: float = 120.0) -> float:
    """Inject Start, clock for ``beats`` beats and notes at song beats, with timestamps from ``start``."""
    step = 60.0 / bpm / 24
    port.inject([0xFA], start)
    for tick in range(beats * 24):
        when = start + tick * step
        port.inject([0xF8], when)
        for beat, pitch in notes.items():
            if round(beat * 24) == tick:
                port.inject([0x90, pitch, 90], when)
            if round((beat + 0.5) * 24) == tick:
                port.inject([0x80, pitch, 0], when)
    return start + beats * 24 * step


def test_clock_synced_capture_keeps_the_last_bars_on_bar_lines(midi_app) -> None:
    app, system, _ = midi_app(midi_capture_bars=1)
    port = system.inputs["continuo in"]
    start = time.perf_counter() - 2.5  # the song started 2.5 s (5 beats) ago
    clock_phrase(port, start, 5, {1.0: 60, 4.5: 64, 5.0: 65})
    wait_until(lambda: app.midi.clock.position_beats() >= 5)
    take = app.midi.capture()  # the last whole bar: beats 4-8 would still be running, so 0-4
    assert [(n.pitch, n.start_beats) for n in take.notes] == [(60, 1.0)] and take.bars == 1


def test_trigger_note_starts_a_job_that_plays(midi_app) -> None:
    app, system, client = midi_app(midi_sync="free")
    port = system.inputs["continuo in"]
    client.send("/continuo/midi/keys", "parts", "bass", "bars", 1)
    assert client.wait_for("/continuo/midi/keys")[1] == ["parts", "bass", "bars", 1]
    client.send("/continuo/midi/arm", "phrase")
    client.wait_for("/continuo/midi/armed")
    now = time.perf_counter()
    port.inject([0x90, 67, 90], now)
    port.inject([0x80, 67, 0], now + 0.5)
    assert app.midi.wait_input()
    client.send("/continuo/midi/stop")
    assert client.wait_for("/continuo/midi/captured")[1][:2] == ["phrase", 1]
    port.inject([0x9F, 36, 127])  # the default trigger: note 36 on channel 16
    port.inject([0x8F, 36, 0])
    assert client.wait_for("/continuo/done")[1][0] == "midi-1"  # replies go to the client that used MIDI
    wait_until(lambda: any(m.type == "note_on" for m in out_messages(system)))
    assert {m.channel for m in out_messages(system) if m.type == "note_on"} == {3}  # bass: channel 4
    client.send("/continuo/stop")
    assert client.wait_for("/continuo/stopped")[1] == ["midi-1"]
    assert notes_of(out_messages(system)) == {}


def test_play_stop_cancel_and_kept_results(midi_app) -> None:
    _, system, client = midi_app(kept_results=2, midi_sync="free")
    for job in ("a", "b", "c"):
        client.generate(job, task="accompany", chords="C | G", parts="bass,keys", tempo=400.0, variations=2)
    client.send("/continuo/play", "a")
    assert "no finished job named 'a'" in error_of(client)[2]  # only the last 2 are kept
    client.send("/continuo/play", "c", 3)
    assert "variations 1 to 2" in error_of(client)[2]
    client.send("/continuo/play", "c", 2, "loop")
    assert client.wait_for("/continuo/playing")[1] == ["c", 2, "now"]
    wait_until(lambda: notes_of(out_messages(system)))
    client.send("/continuo/cancel", "c")  # cancelling a playing job stops it
    assert client.wait_for("/continuo/stopped")[1] == ["c"]
    assert notes_of(out_messages(system)) == {}
    sent = {m.note for m in out_messages(system) if m.type == "note_on"}
    assert sent == {49, 61}  # variation 2 of the fake model


def test_generate_with_play_and_shutdown_silences(midi_app) -> None:
    app, system, client = midi_app(midi_sync="free", midi_port_per_part="yes")
    client.generate("now", task="accompany", chords="C | G", parts="bass,keys", tempo=200.0, play="loop")
    wait_until(lambda: notes_of(out_messages(system, "continuo out bass")))
    app.stop()
    for name in ("continuo out bass", "continuo out keys"):
        assert notes_of(out_messages(system, name)) == {}
    assert any(m.type == "control_change" and m.control == 123 for m in out_messages(system, "continuo out bass"))


def test_bad_input_is_dropped_and_counted_never_fatal(midi_app, caplog) -> None:
    app, system, client = midi_app(midi_max_input_per_second=50)
    port = system.inputs["continuo in"]
    port.inject([0x80, 60, 0])  # note-off without note-on
    port.inject([0xF0, 1, 2, 3, 0xF7])  # SysEx
    port.inject([0x90, 60, 100, 62, 100])  # running status: two notes
    port.inject([0xF4, 200, 7])  # undefined status, junk
    port.inject([0xF8] * 3)  # clock without start
    for _ in range(200):  # a flood
        port.inject([0xFE])
    assert app.midi.wait_input() and client.ping()
    client.send("/continuo/midi/status")
    status = dict(zip(*[iter(client.wait_for("/continuo/midi/status")[1])] * 2))
    assert status["midi"] == "open" and status["midi_dropped"] >= 150
    assert "input flood" in caplog.text and "note-off without note-on" in caplog.text


def test_a_vanished_port_is_reported_and_reopened(midi_app) -> None:
    app, system, client = midi_app(midi_sync="free")
    client.generate("x", task="accompany", chords="C | G", parts="bass", tempo=300.0, play="loop")
    client.send("/continuo/midi/status")  # this client now hears about the ports
    client.wait_for("/continuo/midi/status")
    wait_until(lambda: notes_of(out_messages(system)))
    old = system.outputs["continuo out"]
    system.gone.add("continuo out")
    wait_until(lambda: app.midi.status()["midi"] == "lost")
    assert client.wait_for("/continuo/midi/port")[1][0] == "lost"  # told to the client that used MIDI
    assert "vanished" in app.midi.status()["midi_problem"] or "failed" in app.midi.status()["midi_problem"]
    wait_until(lambda: app.midi.status()["playing"] == "")  # playback stopped when the port went
    system.gone.clear()
    wait_until(lambda: app.midi.status()["midi"] == "open")
    assert client.wait_for("/continuo/midi/port")[1] == ["open", ""]
    new = system.outputs["continuo out"]
    assert new is not old
    wait_until(lambda: any(m.type == "control_change" and m.control == 123 for _, m in new.sent))
    wait_until(lambda: any(m.type == "control_change" and m.control == 120 for _, m in new.sent))
    assert not any(m.type == "note_on" for _, m in new.sent)


def test_midi_keys_are_checked(midi_app) -> None:
    _, _, client = midi_app()
    client.send("/continuo/midi/keys", "melody", "x")
    assert "come from the capture" in error_of(client)[2]
    client.send("/continuo/midi/keys", "tempo", 900)
    assert "out of range" in error_of(client)[2]
    client.send("/continuo/midi/trigger")
    assert "nothing captured yet" in error_of(client)[2]
