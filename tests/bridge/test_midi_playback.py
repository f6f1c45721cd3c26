"""Scheduler and player with a recording sender: order, loops, replacement, transport, no stuck notes."""

from __future__ import annotations

import itertools
import threading
import time

import mido
import pytest

from bridge.midi.clock import ClockFollower
from bridge.midi.player import Playback, Player, playback_events
from bridge.midi.scheduler import Scheduler
from models.types import Note, Result
from tests.bridge.midi_fakes import notes_of


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[float, str, mido.Message]] = []
        self.threads: list[threading.Thread] = []  # the thread that sent each message

    def __call__(self, port: str, message: mido.Message) -> None:
        self.sent.append((time.perf_counter(), port, message))
        self.threads.append(threading.current_thread())

    def messages(self) -> list[mido.Message]:
        return [m for _, _, m in self.sent]


@pytest.fixture
def rig():
    sender = Recorder()
    scheduler = Scheduler(sender)
    clock = ClockFollower()
    player = Player(scheduler, clock)
    scheduler.start()
    yield sender, scheduler, clock, player
    scheduler.stop()


def result(bars: int = 1, tempo: float = 600.0, pitches=(60,), length: float = 1.0) -> Result:
    notes = tuple(Note(p, float(b), length, 90) for b in range(bars * 4) for p in pitches)
    return Result({"keys": notes}, (), bars, (4, 4), tempo)


def playback(res: Result, job: str = "j", loop: bool = False, synced: bool = False) -> Playback:
    return Playback(job, 1, playback_events(res, lambda part: ("", 2)), res.bars * 4.0, 4.0, loop, synced,
                    bpm=res.tempo)


def wait_until(condition, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_scheduler_sends_in_time_order_and_records_errors(rig) -> None:
    sender, scheduler, _, _ = rig
    now = time.perf_counter()
    notes = [(now + 0.05 - i * 0.002, 1, "", mido.Message("note_on", note=60 + i)) for i in range(10)]
    scheduler.schedule(notes)
    wait_until(lambda: len(sender.sent) == 10)
    assert [m.note for m in sender.messages()] == list(range(69, 59, -1))
    assert len(scheduler.errors) == 10 and min(scheduler.errors) >= 0


def test_panic_ends_every_note_and_sends_all_notes_off(rig) -> None:
    sender, scheduler, _, _ = rig
    now = time.perf_counter()
    scheduler.schedule([(now, 1, "", mido.Message("note_on", channel=c, note=60 + c)) for c in range(3)]
                       + [(now + 10, 0, "", mido.Message("note_off", channel=0, note=60))])
    wait_until(lambda: scheduler.sounding == 3)
    before = len(sender.sent)
    scheduler.panic("test")
    messages = sender.messages()[: before + 9]  # no wait: panic has sent everything before it returns
    assert set(sender.threads[before : before + 9]) == {threading.current_thread()}  # not queued behind the scheduler
    wait_until(lambda: len(sender.sent) == before + 15)  # All Notes/Sound Off again, a JACK period later
    assert notes_of(messages) == {}
    assert sorted(m.channel for m in messages if m.type == "control_change" and m.control == 123) == [0, 1, 2]
    assert sorted(m.channel for m in messages if m.type == "control_change" and m.control == 120) == [0, 1, 2]
    assert sum(1 for m in messages if m.type == "note_off") == 3


def test_retrigger_keeps_ons_and_offs_paired(rig) -> None:
    sender, scheduler, _, _ = rig
    now = time.perf_counter()
    on, off = mido.Message("note_on", note=64), mido.Message("note_off", note=64)
    scheduler.schedule([(now, 1, "", on), (now + 0.01, 1, "", on), (now + 0.02, 0, "", off),
                        (now + 0.03, 0, "", off), (now + 0.04, 0, "", off)])
    wait_until(lambda: len(scheduler.errors) == 5)
    kinds = [m.type for m in sender.messages()]
    assert kinds == ["note_on", "note_off", "note_on", "note_off"]  # orphan off dropped


def test_free_playback_once_plays_everything_and_ends(rig) -> None:
    sender, _, _, player = rig
    res = result(bars=1, tempo=600.0)  # 4 beats at 600 bpm: 0.4 s
    assert player.play(playback(res)) == "now"
    wait_until(lambda: player.status() == ("", 0))
    wait_until(lambda: any(m.type == "control_change" for m in sender.messages()))  # the end releases all
    messages = sender.messages()
    assert [m.type for m in messages if m.type.startswith("note")] == ["note_on", "note_off"] * 4
    assert notes_of(messages) == {}
    ons = [t for t, _, m in sender.sent if m.type == "note_on"]
    gaps = [b - a for a, b in itertools.pairwise(ons)]
    assert all(abs(g - 0.1) < 0.02 for g in gaps), gaps  # scheduled, not sent when ready


def test_loop_replacement_waits_for_the_bar_line_and_releases(rig) -> None:
    sender, _, _, player = rig
    player.play(playback(result(tempo=400.0, pitches=(60,), length=2.0), "a", loop=True))
    wait_until(lambda: any(m.type == "note_on" and m.note == 60 for m in sender.messages()))
    assert player.play(playback(result(tempo=400.0, pitches=(72,)), "b", loop=True)) == "on the next bar line"
    wait_until(lambda: player.status()[0] == "b")
    wait_until(lambda: any(m.type == "note_on" and m.note == 72 for m in sender.messages()))
    player.stop("test")
    messages = sender.messages()
    switch = next(i for i, m in enumerate(messages) if m.type == "note_on" and m.note == 72)
    assert notes_of(messages[:switch]) == {}  # the old loop was silenced before the new one began
    assert not [m for m in messages[switch:] if m.type == "note_on" and m.note == 60]
    assert notes_of(messages) == {}


def test_synced_playback_waits_for_start_and_follows_stop(rig) -> None:
    sender, _, clock, player = rig
    assert player.play(playback(result(tempo=120.0), loop=True, synced=True)) == "when the transport starts"
    assert player.feed(time.perf_counter()) == []  # the player, the scheduler's only source, has nothing yet
    start = time.perf_counter()
    clock.on_message("start", start)
    step = 60.0 / 480.0 / 24  # the clock runs at 480 bpm
    for i in range(60):
        due = start + i * step
        while time.perf_counter() < due:
            time.sleep(0.0005)
        clock.on_message("clock", due)
    assert sum(1 for m in sender.messages() if m.type == "note_on") >= 2
    assert min(t for t, _, m in sender.sent if m.type == "note_on") >= start  # nothing before the start
    clock.on_message("stop", time.perf_counter())
    wait_until(lambda: notes_of(sender.messages()) == {})
    assert player.feed(time.perf_counter()) == []  # nothing plays while the transport is stopped


def test_scheduler_survives_a_failing_sender() -> None:
    calls = []

    def flaky(port: str, message: mido.Message) -> None:
        calls.append(message)
        if len(calls) == 1:
            raise RuntimeError("driver hiccup")

    scheduler = Scheduler(flaky)
    scheduler.start()
    try:
        now = time.perf_counter()
        scheduler.schedule([(now, 1, "", mido.Message("note_on", note=60))])
        # the failed send makes the scheduler silence everything (All Notes Off), then it goes on
        wait_until(lambda: any(m.type == "control_change" for m in calls))
        scheduler.schedule([(time.perf_counter(), 1, "", mido.Message("note_on", note=62))])
        wait_until(lambda: any(m.type == "note_on" and m.note == 62 for m in calls))
    finally:
        scheduler.stop()
