"""Plays a result's parts through the scheduler, free-running or following MIDI clock, once or looped."""

from __future__ import annotations

import bisect
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import mido

from bridge.midi.clock import ClockFollower
from bridge.midi.scheduler import Event, Scheduler
from models.music.meter import beats_per_bar
from models.types import Result

log = logging.getLogger(__name__)

HORIZON_SECONDS = 0.03  # events are handed to the scheduler this far ahead of their time
LEAD_SECONDS = 0.05  # a playback never starts sooner than this after it is asked for
LATE_SECONDS = 0.05  # a note-on this late (after a jump) is skipped rather than sent late
GM_DRUM_CHANNEL = 9  # its program changes would switch drum kits, which no preset asks for


@dataclass
class Playback:
    """One result being played: events of one cycle in beats and where it is anchored."""

    job: str
    variation: int
    events: list[tuple[float, int, str, mido.Message]]  # (position beats, order, port key, message)
    length_beats: float
    beats_per_bar: float
    loop: bool
    synced: bool
    anchor: float = 0.0  # song beat (synced) or free beat where position 0 falls
    bpm: float = 120.0  # free-running only
    origin: float = 0.0  # free-running only: perf_counter time of free beat 0
    cycle: int = 0
    index: int = 0
    positions: list[float] = field(default_factory=list)
    programs: list[tuple[str, mido.Message]] = field(default_factory=list)  # sent once, before the first event
    warn: Callable[[str], None] | None = None  # tells the client that asked for it what happened to it

    def __post_init__(self) -> None:
        self.positions = [e[0] for e in self.events]

    def seek(self, beat: float) -> None:
        """Point the cursor at the first event at or after song/free ``beat``."""
        offset = beat - self.anchor
        if offset <= 0 or self.length_beats <= 0:
            self.cycle, self.index = 0, 0
            return
        self.cycle = int(offset // self.length_beats) if self.loop else 0
        within = offset - self.cycle * self.length_beats
        self.index = bisect.bisect_left(self.positions, within - 1e-9)


def playback_events(result: Result, route: Callable[[str], tuple[str, int] | None]) -> list:
    """One cycle of note events: (position beats, order, port key, message); offs sort before ons."""
    length = result.bars * beats_per_bar(result.meter)
    events = []
    for part, notes in result.parts.items():
        target = route(part)
        if target is None:
            continue
        port, channel = target
        for note in notes:
            if note.start_beats >= length:
                continue
            end = min(note.end_beats, length)
            events.append((note.start_beats, 1, port, mido.Message(
                "note_on", channel=channel, note=note.pitch, velocity=note.velocity)))
            events.append((end, 0, port, mido.Message("note_off", channel=channel, note=note.pitch)))
    events.sort(key=lambda e: (e[0], e[1]))
    return events


def program_changes(result: Result, route: Callable[[str], tuple[str, int] | None],
                    programs: Mapping[str, int]) -> list[tuple[str, mido.Message]]:
    """(port key, program change) for each part of ``result`` that ``programs`` names (drums excepted)."""
    out = []
    for part in result.parts:
        target = route(part)
        if target is not None and part in programs and target[1] != GM_DRUM_CHANNEL:
            out.append((target[0], mido.Message("program_change", channel=target[1], program=programs[part])))
    return out


class Player:
    """Feeds the scheduler with the current playback; follows Start, Stop, Continue and Song Position."""

    def __init__(self, scheduler: Scheduler, clock: ClockFollower):
        self.scheduler = scheduler
        self.clock = clock
        self._current: Playback | None = None
        self._next: Playback | None = None
        self._lock = threading.Lock()
        scheduler.feeder = self.feed
        clock.listeners.append(self.on_transport)

    def play(self, playback: Playback, now: float | None = None) -> str:
        """Start ``playback`` on the next bar line (replacing the current one there); say when."""
        now = time.perf_counter() if now is None else now
        with self._lock:
            if playback.synced:
                beat = self.clock.beat_at(now + LEAD_SECONDS)
                if beat is None:
                    beat = self.clock.position_beats()
                    when = "when the transport starts"
                else:
                    when = "on the next bar line"
                playback.anchor = math.ceil(beat / playback.beats_per_bar - 1e-9) * playback.beats_per_bar
            else:
                current = self._next or self._current
                playback.origin = now + LEAD_SECONDS
                when = "now"
                if current is not None and not current.synced:
                    # continue the grid of the free playback it replaces: start on its next bar line
                    beats = (now + LEAD_SECONDS - current.origin) * current.bpm / 60.0
                    bar = math.ceil(beats / playback.beats_per_bar - 1e-9) * playback.beats_per_bar
                    playback.origin = current.origin + bar * 60.0 / current.bpm
                    when = "on the next bar line"
            playback.seek(playback.anchor)
            if self._current is None:
                self._current = playback
            else:
                self._next = playback
        self.scheduler.wake()
        log.info("playing job %s variation %d %s (%s, %s)", playback.job, playback.variation, when,
                 "clock" if playback.synced else f"free at {playback.bpm:g} bpm", "loop" if playback.loop else "once")
        return when

    def stop(self, reason: str) -> None:
        with self._lock:
            self._current = self._next = None
        self.scheduler.panic(reason)

    def status(self) -> tuple[str, int]:
        with self._lock:
            current = self._current
            return (current.job, current.variation) if current else ("", 0)

    # -- transport, from the MIDI input thread ---------------------------------------------------

    def on_transport(self, event: str, position: float) -> None:
        """Start, continue, stop, position, or lost (the clock stopped without a Stop: a stop, told to the client)."""
        with self._lock:
            synced = [p for p in (self._current, self._next) if p is not None and p.synced]
            for playback in synced:
                if event == "start":
                    playback.anchor = 0.0
                playback.seek(position)
            # a playback waiting for its first bar line starts at once when the song starts
            if event == "start" and self._next is not None and self._next.synced:
                self._current, self._next = self._next, None
        if synced and event in ("stop", "position", "start", "lost"):
            self.scheduler.panic("MIDI clock lost" if event == "lost" else f"transport {event}")
        if synced:
            self.scheduler.wake()
        if event == "lost":
            for playback in synced:
                if playback.warn is not None:
                    playback.warn("the MIDI clock stopped without a Stop message (the DAW closed or a cable came "
                                  "out?): playback stopped; it goes on with the DAW's next Start or Continue")

    # -- the feeder, called by the scheduler thread --------------------------------------------

    def _time_of(self, playback: Playback, beat: float) -> float | None:
        if playback.synced:
            return self.clock.time_of(beat)
        return playback.origin + (beat - playback.anchor) * 60.0 / playback.bpm

    def feed(self, now: float) -> list[Event]:
        out: list[Event] = []
        with self._lock:
            current, pending = self._current, self._next
            if current is None and pending is None:
                return out
            switch_at = self._time_of(pending, pending.anchor) if pending is not None else None
            horizon = now + HORIZON_SECONDS
            limit = horizon if switch_at is None else min(horizon, switch_at)
            if current is not None and not self._emit(current, now, limit, out):
                self._current = current = None
            if switch_at is not None and switch_at <= horizon:
                if current is not None:
                    out.append((switch_at, -1, "", None))  # release the old one's notes exactly there
                self._current, self._next = pending, None
                self._emit(pending, now, horizon, out)
        return out

    def _emit(self, playback: Playback, now: float, limit: float, out: list[Event]) -> bool:
        """Append events due before ``limit``; False once a one-shot playback has ended."""
        while True:
            if playback.index >= len(playback.events):
                if not playback.loop or not playback.events:
                    return not self._ended(playback, now, out)
                playback.cycle, playback.index = playback.cycle + 1, 0
            position, order, port, message = playback.events[playback.index]
            beat = playback.anchor + playback.cycle * playback.length_beats + position
            when = self._time_of(playback, beat)
            if when is None or when >= limit:
                return True
            playback.index += 1
            if playback.programs:  # the instruments first, once, with the first event
                out.extend((when, 0, key, change) for key, change in playback.programs)
                playback.programs = []
            if message.type == "note_on" and when < now - LATE_SECONDS:
                continue
            out.append((when, order, port, message))

    def _ended(self, playback: Playback, now: float, out: list[Event]) -> bool:
        end = playback.anchor + playback.length_beats
        when = self._time_of(playback, end)
        if when is None or when > now + HORIZON_SECONDS:
            return False
        out.append((when, -1, "", None))
        log.info("job %s finished playing", playback.job)
        return True
