"""Records incoming notes per channel: armed takes, and the last bars under MIDI clock, in beats."""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, field

from bridge.midi.decode import DropLog
from models.music.meter import bars_spanned
from models.types import Note

MAX_HISTORY_NOTES = 20_000
MIN_DURATION_BEATS = 1 / 64
EARLY_BEATS = 1 / 16  # a note this much before a bar line belongs to that bar (played early, or clock jitter)


@dataclass
class Take:
    """Captured notes by role, times in beats from a bar line (or from the first note without clock)."""

    roles: dict[str, tuple[Note, ...]] = field(default_factory=dict)
    bars: int = 0

    @property
    def notes(self) -> tuple[Note, ...]:
        merged = [n for notes in self.roles.values() for n in notes]
        return tuple(sorted(merged, key=lambda n: (n.start_beats, n.pitch)))


@dataclass
class _Armed:
    name: str
    synced: bool
    notes: list[tuple[int, int, float, float, int]] = field(default_factory=list)  # channel, pitch, start, end, vel


class Recorder:
    """Per-channel note recorder. Beats come from the caller: song beats under clock, else free beats."""

    def __init__(self, roles: dict[int, str], drops: DropLog, max_notes: int = MAX_HISTORY_NOTES):
        self.roles = roles
        self.drops = drops
        self._max_notes = max_notes
        self._sounding: dict[tuple[int, int], tuple[float, int, bool]] = {}  # → start, velocity, synced
        self._history: deque[tuple[int, int, float, float, int]] = deque(maxlen=max_notes)
        self._armed: _Armed | None = None
        self._lock = threading.Lock()

    # -- input thread -------------------------------------------------------------------------

    def note_on(self, channel: int, pitch: int, velocity: int, beat: float, synced: bool) -> None:
        if channel not in self.roles:
            return
        with self._lock:
            key = (channel, pitch)
            if key in self._sounding:  # a repeated note-on ends the sounding one
                self._close(key, beat)
            self._sounding[key] = (beat, velocity, synced)

    def note_off(self, channel: int, pitch: int, beat: float) -> None:
        if channel not in self.roles:
            return
        with self._lock:
            if (channel, pitch) not in self._sounding:
                self.drops.drop("note-off without note-on", f"channel {channel + 1} note {pitch}")
                return
            self._close((channel, pitch), beat)

    def _close(self, key: tuple[int, int], beat: float) -> None:
        start, velocity, synced = self._sounding.pop(key)
        note = (key[0], key[1], start, max(beat, start + MIN_DURATION_BEATS), velocity)
        if synced:
            self._history.append(note)
        if self._armed is not None and synced == self._armed.synced:
            if len(self._armed.notes) < self._max_notes:
                self._armed.notes.append(note)
            else:
                self.drops.drop("take is full", f"{self._max_notes} notes")

    # -- control (OSC or trigger) -------------------------------------------------------------

    def arm(self, name: str, synced: bool) -> None:
        with self._lock:
            self._armed = _Armed(name, synced)

    @property
    def armed(self) -> str | None:
        with self._lock:
            return self._armed.name if self._armed else None

    def stop(self, beat: float, beats_per_bar: float) -> tuple[str, Take] | None:
        """End the armed take at ``beat``; notes still held end there. None when nothing was armed."""
        with self._lock:
            armed, self._armed = self._armed, None
            if armed is None:
                return None
            notes = list(armed.notes)
            notes += [(ch, p, s, max(beat, s + MIN_DURATION_BEATS), v)
                      for (ch, p), (s, v, synced) in self._sounding.items() if synced == armed.synced]
        if not notes:
            return armed.name, Take()
        first = min(n[2] for n in notes)
        origin = math.floor((first + EARLY_BEATS) / beats_per_bar) * beats_per_bar if armed.synced else first
        return armed.name, self._take(notes, origin, math.inf, beats_per_bar)

    def last_bars(self, now_beat: float, bars: int, beats_per_bar: float) -> Take:
        """Notes that started in the last ``bars`` whole bars before ``now_beat`` (song beats)."""
        end = math.floor(now_beat / beats_per_bar + 1e-9) * beats_per_bar
        origin = end - bars * beats_per_bar
        low, high = origin - EARLY_BEATS, end - EARLY_BEATS
        with self._lock:
            notes = [n for n in self._history if low <= n[2] < high]
            notes += [(ch, p, s, now_beat, v) for (ch, p), (s, v, synced) in self._sounding.items()
                      if synced and low <= s < high]
        return self._take(notes, origin, end, beats_per_bar)

    def _take(self, notes: list, origin: float, end: float, beats_per_bar: float) -> Take:
        by_role: dict[str, list[Note]] = {}
        for channel, pitch, start, stop, velocity in sorted(notes, key=lambda n: (n[2], n[1])):
            start, stop = max(start, origin), min(stop, end)  # an early note starts on the bar line
            if stop - start < MIN_DURATION_BEATS:
                continue
            note = Note(pitch, round(start - origin, 4), round(stop - start, 4), velocity)
            by_role.setdefault(self.roles[channel], []).append(note)
        bars = bars_spanned([n for notes in by_role.values() for n in notes], beats_per_bar) if by_role else 0
        if end != math.inf:
            bars = round((end - origin) / beats_per_bar)
        return Take({role: tuple(notes) for role, notes in by_role.items()}, bars)
