"""Real JACK MIDI ports: a separate client plays a DAW (clock, phrase, trigger) and checks what comes back.

Timing tolerance: notes must arrive within TOLERANCE_BEATS (1/8 beat, 62.5 ms at 120 bpm) of the
beat they belong on, measured against the clock this test sends: the median note and at least 3 in
4 of them (one scheduling hiccup on a loaded, shared machine is not a failure; bench/bench_midi.py
measures timing properly). JACK's dummy driver delivers MIDI once per period (256 frames at
48 kHz, 5.3 ms) in each direction.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from bisect import bisect_left
from pathlib import Path

import pytest

from bridge.client import Client
from bridge.midi.ports import close_rtmidi_input
from tests.bridge.midi_fakes import RAMP_BASE, load_ramp, notes_of

rtmidi = pytest.importorskip("rtmidi")
mido = pytest.importorskip("mido")

pytestmark = pytest.mark.jack

BPM = 120.0
TICK_SECONDS = 60.0 / BPM / 24
TOLERANCE_BEATS = 0.125


def _jack_running() -> bool:
    try:
        probe = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name="continuo-test-probe")
    except Exception:
        return False
    try:
        probe.get_ports()
        return True
    finally:
        probe.delete()


try:  # looked up before any fork: the child only makes one C call
    _PRCTL = ctypes.CDLL(None).prctl
except (OSError, AttributeError):
    _PRCTL = None


def _die_with_parent() -> None:
    """In the jackd child: a test run that is killed must not leave its private server behind."""
    if _PRCTL is not None:
        _PRCTL(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG


@pytest.fixture(scope="module")
def jack_server():
    """A JACK server with the dummy driver, private to this test run (named, so runs side by side and
    the developer's own server are never disturbed); without jackd, a running default server."""
    if rtmidi.API_UNIX_JACK not in rtmidi.get_compiled_api():
        pytest.skip("python-rtmidi was built without JACK support")
    if not shutil.which("jackd"):
        if _jack_running():
            yield
            return
        pytest.skip("jackd is not installed (apt-get install jackd2) and no JACK server runs; CI installs it")
    name = f"continuo-jack-{os.getpid()}"  # not a client name: a client named like its server breaks JACK2
    previous = os.environ.get("JACK_DEFAULT_SERVER")
    os.environ["JACK_DEFAULT_SERVER"] = name  # libjack reads it: continuo and the test client use this server
    server = subprocess.Popen(["jackd", "-n", name, "--no-realtime", "-d", "dummy", "-r", "48000", "-p", "256"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              preexec_fn=_die_with_parent)  # noqa: PLW1509 (one C call, no locks)
    try:
        deadline = time.monotonic() + 10
        while not _jack_running():
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.skip("jackd did not start (try `jackd --no-realtime -d dummy` by hand)")
            time.sleep(0.1)
        yield
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
        if previous is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = previous


class FakeDaw:
    """The test's own JACK client: sends clock, notes and the trigger; records what continuo plays."""

    def __init__(self, client: str, in_port: str, out_port: str):
        self.client = client
        self.out = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name="fake-daw")
        self.inp = rtmidi.MidiIn(rtapi=rtmidi.API_UNIX_JACK, name="fake-daw")
        self.inp.ignore_types(sysex=True, timing=False, active_sense=True)
        self.received: list[tuple[float, mido.Message]] = []
        self.tick_times: list[float] = []
        self._lock = threading.Lock()
        self._open(self.out, in_port)
        self._open(self.inp, out_port)
        self.inp.set_callback(self._on_message)
        self._clock: threading.Thread | None = None
        self._stop = threading.Event()

    def _open(self, rt, name: str) -> None:
        deadline = time.monotonic() + 5
        while True:
            ports = rt.get_ports()
            match = [i for i, p in enumerate(ports) if p.startswith(self.client) and p.endswith(":" + name)]
            if match:
                rt.open_port(match[0])
                return
            assert time.monotonic() < deadline, f"no JACK port {name!r} in {ports}"
            time.sleep(0.05)

    def _on_message(self, event, data) -> None:
        with self._lock:
            self.received.append((time.perf_counter(), mido.Message.from_bytes(event[0])))

    def messages(self) -> list[mido.Message]:
        with self._lock:
            return [m for _, m in self.received]

    def send(self, *data: int) -> None:
        self.out.send_message(list(data))

    def start_clock(self) -> None:
        self.send(0xFA)
        self._clock = threading.Thread(target=self._run_clock, daemon=True)
        self._clock.start()

    def _run_clock(self) -> None:
        started = time.perf_counter() + 0.01
        tick = 0
        while not self._stop.is_set():
            due = started + tick * TICK_SECONDS
            while (left := due - time.perf_counter()) > 0.001:
                time.sleep(left - 0.001)
            while time.perf_counter() < due:
                pass
            self.send(0xF8)
            self.tick_times.append(time.perf_counter())
            tick += 1

    def wait_beat(self, beat: float) -> None:
        while len(self.tick_times) <= beat * 24:
            time.sleep(0.001)

    def beat_of(self, when: float) -> float:
        """Song beat at ``when`` by the clock this test sent (interpolated between its ticks)."""
        times = list(self.tick_times)
        i = min(max(bisect_left(times, when), 1), len(times) - 1)
        t0, t1 = times[i - 1], times[i]
        return (i - 1 + (when - t0) / (t1 - t0)) / 24

    def close(self) -> None:
        self._stop.set()
        if self._clock:
            self._clock.join(timeout=1)
        self.out.delete()
        close_rtmidi_input(self.inp)  # as continuo closes its own input: see that function


@pytest.fixture
def daw(jack_server, start_app):
    client = f"continuo-test-{os.getpid()}"  # test runs side by side on one JACK server never mix ports
    app = start_app(load_ramp, midi_backend="jack", midi_capture_bars=2, midi_client_name=client)
    assert app.midi.wait_started(60) == "on", app.midi.status()
    peer = FakeDaw(client, "continuo in", "continuo out")
    deadline = time.monotonic() + 5
    while not app.midi.clock.present(time.perf_counter()):  # JACK connects asynchronously: wait until heard
        assert time.monotonic() < deadline, "continuo does not hear the test's JACK client"
        peer.send(0xF8)
        time.sleep(0.01)
    yield app, peer
    peer.close()


def test_capture_trigger_and_play_in_sync(daw) -> None:
    app, peer = daw
    peer.start_clock()
    melody = [60, 62, 64, 65, 67, 65, 64, 62]
    for beat, pitch in enumerate(melody):  # two bars of quarter notes on channel 1 (melody)
        peer.wait_beat(beat)
        peer.send(0x90, pitch, 100)
        peer.wait_beat(beat + 0.5)
        peer.send(0x80, pitch, 0)
    peer.wait_beat(8.25)
    peer.send(0x9F, 36, 127)  # the trigger: note 36 on channel 16
    peer.send(0x8F, 36, 0)

    deadline = time.monotonic() + 10
    while not [m for m in peer.messages() if m.type == "note_on"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "midi-capture-melody" in app.clips.names(), (app.midi.status(), peer.out.get_ports())
    captured = app.clips.get("midi-capture-melody")
    assert [n.pitch for n in captured] == melody
    assert sorted(abs(n.start_beats - i) for i, n in enumerate(captured))[4] < TOLERANCE_BEATS, captured

    first = next(t for t, m in peer.received if m.type == "note_on")
    peer.wait_beat(peer.beat_of(first) + 6.5)
    ons = [(peer.beat_of(t), m) for t, m in list(peer.received) if m.type == "note_on"]
    # The ramp model puts beat b of the result at pitch base + b (bass on channel 4, keys on 3), so
    # every note tells where playback started: on a bar line, with each note on its beat. Judged on
    # the median and on most notes: one scheduling hiccup on a shared machine is not a failure.
    starts = []
    for beat, message in ons:
        base = {3: RAMP_BASE["bass"], 2: RAMP_BASE["keys"]}[message.channel]
        starts.append(beat - (message.note - base))
    errors = sorted(abs(s - round(s)) for s in starts)
    assert errors[len(errors) // 2] < TOLERANCE_BEATS, errors
    assert sum(e < TOLERANCE_BEATS for e in errors) >= 0.75 * len(errors), errors
    on_bar = [round(s) % 4 == 0 for s in starts]
    assert sum(on_bar) >= 0.75 * len(on_bar), [round(s, 2) for s in starts]
    assert {m.note for _, m in ons if m.channel == 3} <= {48 + b for b in range(8)}
    assert len({(m.channel, m.note) for _, m in ons}) >= 8
    start_beat = min(round(s) for s, ok in zip(starts, on_bar) if ok)

    # stop mid-note: every note-on has its note-off and All Notes Off arrives on both channels
    peer.wait_beat(int(start_beat) + 7.3)
    with Client(port=app.osc.port) as client:
        client.send("/continuo/stop")
        client.wait_for("/continuo/stopped")
    time.sleep(0.1)
    messages = peer.messages()
    assert notes_of(messages) == {}
    assert {m.channel for m in messages if m.type == "control_change" and m.control == 123} == {2, 3}


def test_transport_stop_and_shutdown_leave_no_hanging_notes(daw) -> None:
    app, peer = daw
    with Client(port=app.osc.port) as client:
        client.generate("loop1", task="accompany", chords="C | F", parts="bass,keys", bars=2)
    peer.start_clock()
    peer.wait_beat(0.5)
    with Client(port=app.osc.port) as client:
        client.send("/continuo/play", "loop1")
        assert client.wait_for("/continuo/playing")[1][0] == "loop1"
    peer.wait_beat(4.25)  # playing from bar 2, mid-note (ramp notes last half a beat)
    assert notes_of(peer.messages()), "something should be sounding mid-note"
    peer.send(0xFC)  # the DAW stops
    time.sleep(0.15)
    assert notes_of(peer.messages()) == {}

    count = len([m for m in peer.messages() if m.type == "note_on"])
    peer.send(0xFB)  # continue: playback resumes where the song is, with its next note
    deadline = time.monotonic() + 5
    while len([m for m in peer.messages() if m.type == "note_on"]) == count:
        assert time.monotonic() < deadline, "playback should resume on Continue"
        time.sleep(0.005)
    time.sleep(0.05)
    assert notes_of(peer.messages()), "a note should be sounding"
    app.stop()  # shutdown while notes sound
    time.sleep(0.1)
    assert notes_of(peer.messages()) == {}


def test_all_notes_off_arrives_twice_after_a_stop(daw) -> None:
    """An xrun can lose a whole JACK period of MIDI: the silencing goes out again a period later."""
    app, peer = daw
    with Client(port=app.osc.port) as client:
        client.generate("twice", task="accompany", chords="C | F", parts="bass,keys", bars=2)
        peer.start_clock()
        client.send("/continuo/play", "twice")
        assert client.wait_for("/continuo/playing")[1][0] == "twice"
        deadline = time.monotonic() + 10
        while not notes_of(peer.messages()):
            assert time.monotonic() < deadline, "playback should start on the next bar line"
            time.sleep(0.005)
        before = len(peer.messages())
        client.send("/continuo/stop")
        client.wait_for("/continuo/stopped")

    def silencing() -> list[tuple[int, int]]:
        return sorted((m.channel, m.control) for m in peer.messages()[before:]
                      if m.type == "control_change" and m.control in (120, 123))

    deadline = time.monotonic() + 5
    while len(silencing()) < 8 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)  # nothing more comes
    assert silencing() == [(2, 120), (2, 120), (2, 123), (2, 123), (3, 120), (3, 120), (3, 123), (3, 123)]
    assert notes_of(peer.messages()) == {}


_CLOSE_WHILE_FLOODED = """
import sys, time
import rtmidi
from bridge.midi.ports import RtMidiFactory

factory = RtMidiFactory("jack", sys.argv[1])
peer = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name=sys.argv[1] + "-daw")
peer.open_virtual_port("clock")
received = []
for round in range(int(sys.argv[2])):
    port = factory.open_input("clock", False, lambda data, when: received.append(data))
    busy_until = time.perf_counter() + 0.1
    while time.perf_counter() < busy_until:  # the DAW floods clock while this thread holds the GIL
        for _ in range(20):
            peer.send_message([0xF8])
        sum(i * i for i in range(20000))
    port.close()
    junk = [bytearray(64) for _ in range(2000)]  # reuse freed memory, as a busy daemon would
factory.close()
peer.delete()
print("closed", round + 1, "times;", len(received), "messages", flush=True)
"""


def test_closing_the_input_while_a_daw_floods_it_is_safe(jack_server, tmp_path) -> None:
    """python-rtmidi frees an input's callback while the JACK thread may be about to call it; continuo
    must close its input so that this never corrupts memory (the daemon would crash later)."""
    script = tmp_path / "flood.py"
    script.write_text(_CLOSE_WHILE_FLOODED)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, str(script), f"continuo-flood-{os.getpid()}", "15"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "closed 15 times" in done.stdout


def test_a_clock_that_vanishes_mid_song_ends_every_note(daw) -> None:
    """The DAW is closed while continuo plays: no Stop comes, the clock just ends; so must the notes."""
    app, peer = daw
    with Client(port=app.osc.port) as client:
        client.generate("gone", task="accompany", chords="C | F", parts="bass,keys", bars=2)
        peer.start_clock()
        client.send("/continuo/play", "gone")
        assert client.wait_for("/continuo/playing")[1][0] == "gone"
        deadline = time.monotonic() + 10
        while not notes_of(peer.messages()):
            assert time.monotonic() < deadline, "playback should start on the next bar line"
            time.sleep(0.005)
        peer._stop.set()  # the clock just ends: no Stop message
        peer._clock.join(timeout=1)
        last_tick = peer.tick_times[-1]
        assert "MIDI clock stopped" in client.wait_for("/continuo/warning", timeout=5)[1][1]
    assert app.midi.status()["clock"] == "lost"
    deadline = time.monotonic() + 2
    while notes_of(peer.messages()):  # JACK delivers the note-offs in its next period
        assert time.monotonic() < deadline, "every note should end when the clock is gone"
        time.sleep(0.01)
    with peer._lock:
        after = [m for t, m in peer.received if t > last_tick]
    assert {m.channel for m in after if m.type == "control_change" and m.control == 123} == {2, 3}
    count = len(peer.messages())
    time.sleep(0.3)  # and nothing more plays
    assert not [m for m in peer.messages()[count:] if m.type == "note_on"]
