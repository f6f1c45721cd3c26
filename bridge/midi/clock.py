"""Follows incoming MIDI clock (24 ppqn), Start, Continue, Stop and Song Position: beats ↔ wall-clock time."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

log = logging.getLogger(__name__)

PPQN = 24
TICKS_PER_SIXTEENTH = 6
FIT_TICKS = 24  # one beat of ticks for the line fit: smooths the jitter of drivers that deliver in blocks
# The tempo reported (and written to a triggered request's MIDI file) is fitted over up to 16 beats since
# it last changed by more than TEMPO_CHANGE for a whole beat: one beat of pulses delivered at JACK's
# 256-frame periods reads 120 bpm as 119.6-120.3, sixteen beats as 120.00 to the 0.01 bpm it is rounded to.
TEMPO_TICKS = 16 * 24
TEMPO_CHANGE = 0.02
GAP_SECONDS = 0.5  # a longer silence between ticks restarts the tempo estimate
PRESENT_SECONDS = 1.0
LOST_BEATS = 2.0  # a running clock silent this long (at its last tempo) is gone: the DAW closed, a cable pulled
LOST_SECONDS = 1.0  # ... or this long, whichever is shorter


class ClockFollower:
    """Song position and tempo from MIDI clock; times are ``time.perf_counter()`` seconds.

    Positions count from the song start, so bar lines fall on multiples of the bar length.
    """

    def __init__(self, fallback_bpm: float = 120.0):
        self.fallback_bpm = fallback_bpm
        self.running = False
        self._next_tick = 0  # song position (in ticks) the next pulse marks
        self._ticks: deque[tuple[int, float]] = deque(maxlen=FIT_TICKS)
        self._fit: tuple[float, float] | None = None  # t = offset + seconds_per_tick * tick
        self._last_pulse = -1e9
        self._heard = -1e9  # the last pulse, Start or Continue: when the clock last showed it was there
        self.lost = False  # it stopped without a Stop message; cleared by the next pulse, Start or Continue
        self._bpm = 0.0  # from the last beat of pulses (FIT_TICKS)
        self._tempo_ticks: deque[tuple[int, float]] = deque(maxlen=TEMPO_TICKS)
        self._tempo = 0.0  # from up to TEMPO_TICKS pulses at this tempo: what ``bpm`` reports
        self._off_tempo = 0  # pulses in a row whose beat's tempo is TEMPO_CHANGE away from it
        self._warned_unstarted = False
        self._lock = threading.Lock()
        self.listeners: list[Callable[[str, float], None]] = []  # (event, position_beats)

    # -- input, from the MIDI input thread ---------------------------------------------------

    def on_message(self, kind: str, when: float, value: int = 0) -> None:
        """Feed one real-time or song-position message: clock, start, continue, stop, songpos."""
        event = None
        with self._lock:
            if kind == "clock":
                self._pulse(when)
            elif kind == "start":
                self.running, self._next_tick, event = True, 0, "start"
                self._ticks.clear()
            elif kind == "continue":
                self.running, event = True, "continue"
                self._ticks.clear()
            if kind in ("clock", "start", "continue"):
                self._heard, self.lost = max(self._heard, when), False
            elif kind == "stop":
                self.running, event = False, "stop"
            elif kind == "songpos":
                if self.running:
                    log.info("MIDI clock: Song Position Pointer while playing; jumping to it")
                    self._ticks.clear()
                self._next_tick, event = value * TICKS_PER_SIXTEENTH, "position"
            position = self._next_tick / PPQN
        if event:
            for listener in list(self.listeners):
                listener(event, position)

    def check(self, now: float) -> bool:
        """Stop a running clock that has gone silent (LOST_BEATS at its tempo, at most LOST_SECONDS): the
        listeners hear "lost" as they would a Stop. True when it was lost just now."""
        with self._lock:
            limit = min(LOST_SECONDS, LOST_BEATS * 60.0 / (self._bpm or self.fallback_bpm))
            if not self.running or now - self._heard <= limit:
                return False
            self.running, self.lost = False, True
            position = self._next_tick / PPQN
        log.warning("MIDI clock stopped without a Stop message (silent for %.2f s): playback stopped", now - self._heard)
        for listener in list(self.listeners):
            listener("lost", position)
        return True

    def state(self, now: float) -> str:
        """running, lost (stopped without a Stop message), present (pulses without Start) or none."""
        if self.running:
            return "running"
        if self.lost:
            return "lost"
        return "present" if self.present(now) else "none"

    def _pulse(self, when: float) -> None:
        if when - self._last_pulse > GAP_SECONDS:
            self._ticks.clear()
        self._last_pulse = when
        if not self.running:
            if not self._warned_unstarted:
                log.info("MIDI clock without Start: used for tempo only until Start or Continue")
                self._warned_unstarted = True
            # keep a tempo estimate for a later start, with positions that are only relative
            self._ticks.append((len(self._ticks) and self._ticks[-1][0] + 1, when))
        else:
            self._warned_unstarted = False
            self._ticks.append((self._next_tick, when))
            self._next_tick += 1
        self._refit()

    def _refit(self) -> None:
        n = len(self._ticks)
        if n < 2:
            self._fit = None if n == 0 or not self.running else self._fit_one()
            self._tempo_ticks.clear()  # started again: the tempo is measured afresh
            return
        mean_x, mean_t, slope = _line(self._ticks)
        if slope <= 0:
            return
        self._bpm = 60.0 / (slope * PPQN)
        if self.running:
            self._fit = (mean_t - slope * mean_x, slope)
        self._refit_tempo()

    def _refit_tempo(self) -> None:
        """The reported tempo: a line through every pulse since the tempo last changed (at most TEMPO_TICKS),
        fitted again once a beat."""
        # a beat of pulses all off by more than TEMPO_CHANGE: the DAW changed its tempo (jitter is not that steady)
        self._off_tempo = self._off_tempo + 1 if self._tempo and abs(self._bpm / self._tempo - 1) > TEMPO_CHANGE else 0
        if self._off_tempo >= PPQN:
            self._tempo_ticks.clear()
            self._off_tempo = 0
        if self._tempo_ticks:
            self._tempo_ticks.append(self._ticks[-1])
        else:
            self._tempo_ticks.extend(self._ticks)
            self._tempo = 0.0
        if not self._tempo or len(self._tempo_ticks) % PPQN == 0 or len(self._tempo_ticks) == TEMPO_TICKS:
            slope = _line(self._tempo_ticks)[2]
            self._tempo = 60.0 / (slope * PPQN) if slope > 0 else self._bpm

    def _fit_one(self) -> tuple[float, float]:
        tick, when = self._ticks[-1]
        slope = self._seconds_per_tick()
        return when - slope * tick, slope

    def _seconds_per_tick(self) -> float:
        return 60.0 / ((self._bpm or self.fallback_bpm) * PPQN)

    # -- queries, from any thread -------------------------------------------------------------

    @property
    def bpm(self) -> float:
        """Tempo measured from the clock to 0.01 bpm, or 0 before two pulses arrived."""
        with self._lock:
            return round(self._tempo or self._bpm, 2)

    def present(self, now: float) -> bool:
        """True while clock pulses keep arriving."""
        with self._lock:
            return now - self._last_pulse < PRESENT_SECONDS

    def position_beats(self) -> float:
        """Song position of the next pulse (where a Stop left it or Song Position moved it)."""
        with self._lock:
            return self._next_tick / PPQN

    def beat_at(self, when: float) -> float | None:
        """Song position at ``when``, or None while the transport is stopped or no pulse came yet."""
        with self._lock:
            if not self.running or self._fit is None:
                return None
            offset, slope = self._fit
            beat = (when - offset) / slope / PPQN
            # never run more than a pulse past the last one: a frozen clock freezes the position
            return min(beat, self._next_tick / PPQN)

    def time_of(self, beat: float) -> float | None:
        """Wall-clock time at which song position ``beat`` is expected, or None when stopped."""
        with self._lock:
            if not self.running or self._fit is None:
                return None
            offset, slope = self._fit
            return offset + slope * beat * PPQN


def _line(points: deque[tuple[int, float]]) -> tuple[float, float, float]:
    """(mean tick, mean time, seconds per tick) of the least-squares line through (tick, time) points."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_t = sum(t for _, t in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    return mean_x, mean_t, sum((x - mean_x) * (t - mean_t) for x, t in points) / sxx
