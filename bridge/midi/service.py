"""The MIDI side of the daemon: ports, input thread, clock, capture, trigger, scheduler and player."""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Mapping

import mido

from bridge.clips import ClipStore
from bridge.errors import InvalidRequest, PortError
from bridge.midi.capture import Recorder, Take
from bridge.midi.clock import ClockFollower
from bridge.midi.connection import MAIN, WATCH_SECONDS, PortFactory, PortManager
from bridge.midi.decode import DropLog, MidiDecoder
from bridge.midi.mapping import midi_config
from bridge.midi.player import Playback, Player, playback_events, program_changes
from bridge.midi.scheduler import ALL_NOTES_OFF, ALL_SOUND_OFF, Scheduler, shorten_gil_switching
from bridge.midi.trigger import trigger_spec
from bridge.requests import JobSpec
from bridge.settings import Settings
from models.music.meter import beats_per_bar
from models.types import PARTS, Result

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.05

INPUT_QUEUE = 10_000
CLOCK_CHECK_SECONDS = 0.05  # how often a silent input checks whether the MIDI clock has gone
STOP_WAIT_SECONDS = 3.0
TRANSPORT = {"clock", "start", "continue", "stop", "songpos"}


class MidiService:
    """Owns every MIDI thread. Construction opens nothing; ``start`` opens ports when it can."""

    def __init__(self, settings: Settings, clips: ClipStore, factory: PortFactory | None = None):
        self.settings = settings
        self.config = midi_config(settings)
        self.clips = clips
        self._factory = factory
        self.drops = DropLog()
        self.decoder = MidiDecoder(self.drops)
        self.clock = ClockFollower(self.config.tempo)
        self.recorder = Recorder(self.config.roles, self.drops)
        self.ports: PortManager | None = None
        self.scheduler = Scheduler(self._send)
        self.player = Player(self.scheduler, self.clock)
        self.clock.listeners.append(self._on_transport)
        # wired by the app: the trigger was played; the ports were lost ("lost", why) or are back ("open", "")
        self.on_trigger: Callable[[], None] = lambda: log.info("MIDI trigger: nothing is wired to it")
        self.on_ports: Callable[[str, str], None] = lambda state, reason: None
        # wired by the app: the stop or cancel control was played ("stop", "cancel")
        self.on_control: Callable[[str], None] = lambda action: log.info("MIDI %s: nothing is wired to it", action)
        self.state = "off"
        self.reason = "not started"
        self._keys_lock = threading.Lock()
        self._job_keys: dict[str, object] = {}  # generate keys of triggered jobs, as sent
        self._beats_per_bar = 4.0  # of capture: from the meter of the job keys
        self._inbox: queue.Queue = queue.Queue(INPUT_QUEUE)
        self._window = (0.0, 0)  # flood control: second started, messages in it
        self._offset = 0.0  # capture timeline = song beats + offset: song jumps never overlap earlier bars
        self._last_timeline = 0.0
        self._last_take = Take()
        self._thread: threading.Thread | None = None
        self._starter: threading.Thread | None = None
        self._stopping = False
        self._closed = False
        self._stop_lock = threading.Lock()
        self.watch_seconds = WATCH_SECONDS  # how often ports are checked and reopened

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Open the ports in the background (probing MIDI systems can take a while); OSC is not held up."""
        self.state, self.reason = "starting", "opening the MIDI ports"
        self._starter = threading.Thread(target=self._start, name="midi-start", daemon=True)
        self._starter.start()

    def wait_started(self, timeout: float = 10.0) -> str:
        """Wait for ``start`` to finish; returns the state (on, off, waiting)."""
        if self._starter is not None:
            self._starter.join(timeout)
        return self.state

    def _start(self) -> None:
        """Open the ports if a MIDI system is there; otherwise log why (OSC keeps working)."""
        factory = self._factory
        if factory is None:
            from bridge.midi.ports import HINTS, RtMidiFactory, choose_backend

            setting = self.settings.midi_backend
            if setting in ("auto", "none"):
                api, why = choose_backend(setting)  # auto probes every system in order
            else:
                api, why = setting, ""  # a named system is tried directly: probing them all is slow
            if api is None:
                self.state, self.reason = "off", why
                log.warning("MIDI is off: %s. OSC works without it; see docs/midi.md", why)
                return
            try:
                factory = RtMidiFactory(api, self.config.client_name)
            except Exception as err:  # rtmidi raises SystemError subclasses when the system is missing
                fix = HINTS.get(api, "check the MIDI system of this computer")
                self.state, self.reason = "off", f"{api}: {err}; fix: {fix}"
                log.warning("MIDI is off: %s. OSC works without it; see docs/midi.md", self.reason)
                return
        self.ports = PortManager(self.config, factory, self._receive, self._on_lost, self._on_restored,
                                 self.watch_seconds)
        self._thread = threading.Thread(target=self._read_loop, name="midi-input", daemon=True)
        self._thread.start()
        shorten_gil_switching()  # a thread holding the GIL must not delay a send by 5 ms
        self.scheduler.start()
        try:
            self.ports.open(list(PARTS))
            self.state, self.reason = "on", ""
        except PortError as err:
            self.state, self.reason = "waiting", str(err)
            log.warning("MIDI ports not open yet (%s); retrying every second. OSC works meanwhile", err)
        with self._stop_lock:
            stopping = self._stopping
        if stopping:  # stop() came while the ports were opening and did not wait
            self._shutdown()

    def stop(self) -> None:
        """Silence every note, then close threads and ports. Safe to call twice.

        A start still probing the MIDI system (a slow or stuck server) is not waited for long: it
        closes what it opened itself when it finishes.
        """
        with self._stop_lock:
            self._stopping = True
        if self._starter is not None and self.wait_started(STOP_WAIT_SECONDS) == "starting":
            log.warning("MIDI is still starting; it will close its ports when it is done")
            return
        self._shutdown()

    def _shutdown(self) -> None:
        with self._stop_lock:  # whoever comes first (stop or a late start) closes, once
            if self._closed or self.ports is None:
                return
            self._closed = True
        self.player.stop("shutdown")
        self.scheduler.stop()
        self._inbox.put(None)
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        # the last note-offs sit in the backend's buffer (JACK sends them in its next process cycle):
        # closing the port at once could drop them and leave notes hanging
        time.sleep(FLUSH_SECONDS)
        self.ports.close()
        self.ports = None
        self.state, self.reason = "off", "stopped"

    def status(self) -> dict[str, object]:
        ports = self.ports
        job, variation = self.player.status()
        return {
            "midi": ports.state if ports else self.state,
            "midi_problem": (ports.problem if ports else self.reason) or "",
            "clock": self.clock.state(time.perf_counter()),
            "clock_bpm": self.clock.bpm,
            "position_beats": round(self.clock.position_beats(), 3),
            "armed": self.recorder.armed or "",
            "playing": job,
            "playing_variation": variation,
            "sounding": self.scheduler.sounding,
            "midi_dropped": sum(self.drops.counts.values()),
        }

    # -- output ----------------------------------------------------------------------------------

    def _send(self, key: str, message: mido.Message) -> None:
        if self.ports is not None:
            self.ports.send(key, message)

    def _route(self, part: str) -> tuple[str, int] | None:
        channel = self.config.part_channels.get(part)
        if channel is None:
            return None
        return (part if self.config.port_per_part else MAIN), channel

    def _on_lost(self, reason: str) -> None:
        self.player.stop(f"port lost: {reason}")
        if self.ports is not None:
            for key in self.ports.output_keys(list(PARTS)):
                self.scheduler.forget_port(key)
        self.on_ports("lost", reason)

    def _on_restored(self) -> None:
        # whatever the far side still holds from before the loss ends now
        events = [(0.0, 0, key, mido.Message("control_change", channel=channel, control=control, value=0))
                  for part, channel in self.config.part_channels.items()
                  for key in [part if self.config.port_per_part else MAIN]
                  for control in (ALL_NOTES_OFF, ALL_SOUND_OFF)]
        self.scheduler.schedule(events)
        self.on_ports("open", "")

    # -- playback --------------------------------------------------------------------------------

    def check_playable(self) -> None:
        """Raise InvalidRequest (saying why) when nothing can be played."""
        if self.ports is None:
            raise InvalidRequest(f"MIDI is off ({self.reason}); see docs/midi.md to set it up")

    def play(self, job: str, result: Result, variation: int = 1, loop: bool | None = None,
             programs: Mapping[str, int] | None = None, warn: Callable[[str], None] | None = None) -> str:
        """Play ``result``; returns when it starts ("on the next bar line", "now", ...).

        ``programs`` (part → General MIDI program, a preset's) are sent before the first note; ``warn``
        is told when playback stops on its own (the MIDI clock was lost).
        """
        self.check_playable()
        synced = self.config.sync == "clock" or (
            self.config.sync == "auto" and (self.clock.running or self.clock.present(time.perf_counter())))
        playback = Playback(
            job, variation, playback_events(result, self._route),
            length_beats=result.bars * beats_per_bar(result.meter),
            beats_per_bar=beats_per_bar(result.meter),
            loop=self.config.loop if loop is None else loop, synced=synced, bpm=result.tempo,
            programs=program_changes(result, self._route, programs or {}), warn=warn,
        )
        return self.player.play(playback)

    def stop_playback(self, reason: str = "stop") -> None:
        self.player.stop(reason)

    # -- capture and trigger ---------------------------------------------------------------------

    def set_job_keys(self, keys: Mapping[str, object], meter: tuple[int, int]) -> None:
        """The generate keys of triggered jobs, as sent (the caller has checked them), and their meter,
        which sets the bars of the capture."""
        with self._keys_lock:
            self._job_keys = dict(keys)
            self._beats_per_bar = beats_per_bar(meter)

    def job_keys(self) -> dict[str, object]:
        with self._keys_lock:
            return dict(self._job_keys)

    @property
    def beats_per_bar(self) -> float:
        with self._keys_lock:
            return self._beats_per_bar

    def triggered_spec(self) -> JobSpec:
        """The request the trigger makes now: the capture (kept as clips midi-capture...), the job keys and
        the tempo heard; raises InvalidRequest when nothing fits."""
        take = self.capture()
        bpm = self.clock.bpm if self.clock.present(time.perf_counter()) and self.clock.bpm else self.config.tempo
        spec = trigger_spec(take, self.job_keys(), bpm, "loop" if self.config.loop else "once")
        self.store_take("midi-capture", take)
        return spec

    def _now_beat(self, when: float) -> tuple[float, bool]:
        """Capture time of ``when``: (timeline beats, True) under running clock, else (free beats, False)."""
        song = self.clock.beat_at(when)
        if song is not None:
            self._last_timeline = song + self._offset
            return self._last_timeline, True
        return when * self.config.tempo / 60.0, False  # a take without clock starts at its first note

    def arm(self, name: str) -> None:
        self.recorder.arm(name, synced=self.clock.beat_at(time.perf_counter()) is not None)

    def stop_capture(self) -> tuple[str, dict[str, int]]:
        """Store the armed take as clips ``name`` (every note) and ``name-<role>``; return their sizes."""
        beat, _ = self._now_beat(time.perf_counter())
        ended = self.recorder.stop(beat, self.beats_per_bar)
        if ended is None:
            raise InvalidRequest("nothing is armed; send /continuo/midi/arm <clip> first")
        name, take = ended
        self._last_take = take
        return name, self.store_take(name, take)

    def capture(self) -> Take:
        """What the trigger uses: the last bars under running clock, else the last armed take."""
        beat, synced = self._now_beat(time.perf_counter())
        if synced:
            take = self.recorder.last_bars(beat, self.config.capture_bars, self.beats_per_bar)
            if take.roles:
                return take
        return self._last_take

    def store_take(self, name: str, take: Take) -> dict[str, int]:
        sizes = {name: self.clips.set(name, take.notes)}
        for role, notes in take.roles.items():
            sizes[f"{name}-{role}"] = self.clips.set(f"{name}-{role}", notes)
        return sizes

    # -- input -----------------------------------------------------------------------------------

    def _receive(self, data: list[int], when: float) -> None:
        """The backend's callback thread: count, enqueue, return."""
        start, count = self._window
        if when - start >= 1.0:
            start, count = when, 0
        count += 1
        self._window = (start, count)
        if count > self.config.max_input_per_second:
            self.drops.drop("input flood", f"over midi_max_input_per_second ({self.config.max_input_per_second})")
            return
        try:
            self._inbox.put_nowait((data, when))
        except queue.Full:
            self.drops.drop("input queue full")

    def feed(self, data: list[int], when: float | None = None) -> None:
        """Hand raw bytes to the input path as the backend would (tests, benches)."""
        self._receive(list(data), time.perf_counter() if when is None else when)

    def _read_loop(self) -> None:
        while True:
            try:
                item = self._inbox.get(timeout=CLOCK_CHECK_SECONDS)
            except queue.Empty:
                self._check_clock()
                continue
            if item is None:
                return
            try:
                for message in self.decoder.feed(item[0]):
                    self.handle(message, item[1])
                if self._inbox.empty():  # a backlog holds pulses not yet counted: only check when none waits
                    self._check_clock()
            except Exception:  # bad input must never kill the input thread
                log.exception("MIDI input %r could not be handled; dropped", item[0][:16])
            finally:
                self._inbox.task_done()

    def _check_clock(self) -> None:
        try:
            self.clock.check(time.perf_counter())
        except Exception:  # a failing listener must not kill the input thread
            log.exception("stopping playback after the MIDI clock was lost failed")

    def wait_input(self, timeout: float = 5.0) -> bool:
        """Wait until every message received so far has been handled (tests, benches)."""
        deadline = time.monotonic() + timeout
        while self._inbox.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return True

    def handle(self, message: mido.Message, when: float) -> None:
        kind = message.type
        if kind in TRANSPORT:
            self.clock.on_message(kind, when, getattr(message, "pos", 0))
            return
        if kind not in ("note_on", "note_off", "control_change"):
            return
        if message.channel == self.config.control_channel:
            if self.config.trigger.matches(message):
                log.info("MIDI trigger received")
                self.on_trigger()
            elif self.config.stop.matches(message) or self.config.cancel.matches(message):
                action = "stop" if self.config.stop.matches(message) else "cancel"
                log.info("MIDI %s control received", action)
                self.on_control(action)
            return
        if kind == "control_change":
            return
        beat, synced = self._now_beat(when)
        if kind == "note_on" and message.velocity > 0:
            self.recorder.note_on(message.channel, message.note, message.velocity, beat, synced)
        else:
            self.recorder.note_off(message.channel, message.note, beat)

    def _on_transport(self, event: str, position: float) -> None:
        if event in ("start", "position"):
            # keep the capture timeline going forward in whole bars across song jumps
            gap = self._last_timeline - position
            self._offset = max(self._offset, math.ceil(gap / self.beats_per_bar - 1e-9) * self.beats_per_bar)
