"""The scheduler thread: sends MIDI at scheduled times, tracks sounding notes, never leaves one hanging."""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable

import mido

log = logging.getLogger(__name__)

SPIN_SECONDS = 0.0015  # wake this much early, then spin: a timed wait alone overshoots by 0.1-2 ms
IDLE_SECONDS = 0.02  # longest sleep of an idle scheduler
FEED_SECONDS = 0.005  # the feeder is asked for new events this often (its horizon is longer)
FEED_COST_SECONDS = 0.001  # a feeder call may take this long on a busy machine
BATCH_SECONDS = 0.0005  # events this close to the first due one are sent with it, each at its time
ALL_NOTES_OFF = 123
ALL_SOUND_OFF = 120
SILENCE_AGAIN_SECONDS = 0.01  # All Notes/Sound Off go out again this much later: an xrun can lose one JACK period
RT_PRIORITY = 40  # below JACK's own threads (70 and up by default)
GIL_SWITCH_SECONDS = 0.001

# (when in perf_counter seconds, order at equal times, port key, message or None for "release all")
Event = tuple[float, int, str, mido.Message | None]
Feeder = Callable[[float], Iterable[Event]]
Sender = Callable[[str, mido.Message], None]


def raise_priority() -> bool:
    """Ask for real-time scheduling for the calling thread (Linux: rtprio, as JACK set-ups grant).

    Without it a busy machine can delay a send by a time slice; continuo still works, less tightly.
    """
    if not hasattr(os, "sched_setscheduler"):
        return False
    try:
        os.sched_setscheduler(threading.get_native_id(), os.SCHED_FIFO, os.sched_param(RT_PRIORITY))
    except OSError as err:
        log.info("MIDI scheduler runs at normal priority (%s); for tighter timing under load allow "
                 "real-time priority (docs/midi.md)", err.strerror or err)
        return False
    log.debug("MIDI scheduler runs with real-time priority %d", RT_PRIORITY)
    return True


def shorten_gil_switching(seconds: float = GIL_SWITCH_SECONDS) -> None:
    """Make other Python threads hand the GIL to the scheduler within ``seconds`` (Python's default: 5 ms).

    Process-wide: called once by the daemon when MIDI output is on, and by bench/bench_midi.py.
    """
    if sys.getswitchinterval() > seconds:
        sys.setswitchinterval(seconds)


class Scheduler:
    """One thread that sends every outgoing message at its time; ``panic`` silences everything at once."""

    def __init__(self, send: Sender, feeder: Feeder | None = None, keep_errors: int = 100_000):
        self._send_raw = send
        self.feeder = feeder
        self._heap: list[tuple[float, int, int, int, str, mido.Message | None]] = []
        self._seq = itertools.count()
        self._epoch = 0
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._sounding: Counter[tuple[str, int, int]] = Counter()  # (port, channel, note) → count
        self._used: set[tuple[str, int]] = set()  # (port, channel) sent on since the last release
        self.errors: deque[float] = deque(maxlen=keep_errors)  # sent minus scheduled, seconds
        self.sent = 0
        self._stopping = False
        self._next_feed = 0.0
        self._thread: threading.Thread | None = None

    # -- control, from any thread ---------------------------------------------------------------

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="midi-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread once the repeated All Notes Off has gone; every sounding note gets its note-off first."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self.panic("shutdown")
        if self._thread is not None:
            self._thread.join(timeout=2.0)

    def schedule(self, events: Iterable[Event]) -> None:
        with self._cond:
            self._push(events)
            self._cond.notify_all()

    def wake(self) -> None:
        """Ask the feeder again now (a new playback starts)."""
        with self._cond:
            self._next_feed = 0.0
            self._cond.notify_all()

    def panic(self, reason: str) -> None:
        """Drop everything pending; note-offs for sounding notes, All Notes Off and All Sound Off on used channels."""
        with self._cond:
            again = [e for e in self._heap if _silences(e[5])]  # a release's repeat still waiting: kept
            self._heap.clear()
            self._epoch += 1
            self._push((when, order, port, message) for when, order, _, _, port, message in again)
            self._cond.notify_all()
        with self._send_lock:
            count = sum(self._sounding.values())
            released = self._release_plan()
            for port, message in released:
                self._out(port, message)
        self._silence_again(released)
        log.log(logging.INFO if count else logging.DEBUG, "MIDI output silenced (%s): %d sounding note(s) ended",
                reason, count)

    def forget_port(self, port: str) -> None:
        """A port vanished: its notes cannot be ended there any more."""
        with self._send_lock:
            for key in [k for k in self._sounding if k[0] == port]:
                del self._sounding[key]
            self._used = {u for u in self._used if u[0] != port}

    @property
    def sounding(self) -> int:
        with self._send_lock:
            return sum(self._sounding.values())

    # -- the thread -------------------------------------------------------------------------------

    def _push(self, events: Iterable[Event]) -> None:
        for when, order, port, message in events:
            heapq.heappush(self._heap, (when, order, next(self._seq), self._epoch, port, message))

    def _run(self) -> None:
        raise_priority()
        while True:
            try:
                if self._step():
                    return
            except Exception:  # the thread must survive anything; a crash must not leave notes on
                log.exception("MIDI scheduler failed; silencing the output and going on")
                self.panic("scheduler error")
                time.sleep(0.05)

    def _step(self) -> bool:
        now = time.perf_counter()
        feeder = self.feeder
        with self._cond:
            due_soon = bool(self._heap) and self._heap[0][0] - now <= SPIN_SECONDS + FEED_COST_SECONDS
        # feed only while nothing is about to leave: feeding takes time the next send does not have
        if feeder is not None and now >= self._next_feed and not due_soon and not self._stopping:
            self._next_feed = now + FEED_SECONDS
            events = list(feeder(now))
            if events:
                with self._cond:
                    self._push(events)
        with self._cond:
            if self._stopping:  # only a repeated All Notes Off may still go out
                self._heap = [e for e in self._heap if _silences(e[5])]
                heapq.heapify(self._heap)
                if not self._heap:
                    return True
            if not self._heap:
                self._cond.wait(IDLE_SECONDS)  # shorter than the feeder's horizon: nothing is fed late
                return False
            delay = self._heap[0][0] - time.perf_counter()
            if delay > SPIN_SECONDS:
                self._cond.wait(min(delay - SPIN_SECONDS, IDLE_SECONDS))
                return False
            # everything due within a moment of the first leaves in one go: chords stay tight
            batch = [heapq.heappop(self._heap)]
            while self._heap and self._heap[0][0] <= batch[0][0] + BATCH_SECONDS:
                batch.append(heapq.heappop(self._heap))
        for when, _, _, epoch, port, message in batch:
            with self._send_lock:  # decide what leaves before the wait, so only sending is left after it
                if epoch != self._epoch:  # a panic came while this one waited
                    continue
                outgoing = self._release_plan() if message is None else self._plan(port, message)
            while time.perf_counter() < when:
                pass
            with self._send_lock:
                if epoch != self._epoch:  # a panic in between has already ended these notes
                    continue
                for target, out in outgoing:
                    self._out(target, out)
                self.errors.append(time.perf_counter() - when)
            if message is None:
                self._silence_again(outgoing)
        return False

    # -- sending, under the send lock ----------------------------------------------------------

    def _plan(self, port: str, message: mido.Message) -> list[tuple[str, mido.Message]]:
        """What to send for ``message``, with the sounding-note bookkeeping done as if sent."""
        if message.type == "note_on" and message.velocity > 0:
            key = (port, message.channel, message.note)
            out = []
            if self._sounding[key]:  # retrigger: end the sounding one so every on has its off
                out.append((port, mido.Message("note_off", channel=message.channel, note=message.note)))
            self._sounding[key] += 1
            self._used.add((port, message.channel))
            return out + [(port, message)]
        if message.type in ("note_off", "note_on"):
            key = (port, message.channel, message.note)
            count = self._sounding.pop(key, 0)
            if count > 1:
                self._sounding[key] = count - 1
            return [(port, message)] if count == 1 else []  # an orphan off, or a retriggered note's first
        if hasattr(message, "channel") and not _silences(message):
            self._used.add((port, message.channel))
        return [(port, message)]

    def _release_plan(self) -> list[tuple[str, mido.Message]]:
        out = [(port, mido.Message("note_off", channel=channel, note=note))
               for port, channel, note in list(self._sounding)]
        # All Notes Off, then All Sound Off: some synths ignore one of them, or hold notes by pedal
        out += [(port, mido.Message("control_change", channel=channel, control=control, value=0))
                for port, channel in sorted(self._used) for control in (ALL_NOTES_OFF, ALL_SOUND_OFF)]
        self._sounding.clear()
        self._used.clear()
        return out

    def _silence_again(self, released: list[tuple[str, mido.Message]]) -> None:
        """Schedule a release's All Notes Off and All Sound Off once more, a JACK period or so later."""
        when = time.perf_counter() + SILENCE_AGAIN_SECONDS
        self.schedule((when, -1, port, message) for port, message in released if _silences(message))

    def _out(self, port: str, message: mido.Message) -> None:
        self._send_raw(port, message)
        self.sent += 1


def _silences(message: mido.Message | None) -> bool:
    return message is not None and message.type == "control_change" and message.control in (ALL_NOTES_OFF,
                                                                                             ALL_SOUND_OFF)
