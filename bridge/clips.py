"""Named note clips uploaded over OSC (in chunks) or captured from MIDI; notes are validated on entry."""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence

from bridge.errors import InvalidRequest, UnknownClip
from bridge.paths import check_name
from models.types import Note

NOTE_FORMAT = "pitch:int start_beats:float duration_beats:float velocity:int"
MAX_BEATS = 4096.0


def _number(value: object, what: str, integral: bool) -> float:
    # Pd sends every number as a float, Max sends ints as ints: accept both where it is exact.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidRequest(f"{what} must be a number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise InvalidRequest(f"{what} must be a finite number, got {value!r}")
    if integral and value != int(value):
        raise InvalidRequest(f"{what} must be a whole number, got {value!r}")
    return value


def parse_notes(args: Sequence[object]) -> list[Note]:
    """Turn flat groups of 4 OSC arguments into notes, naming the first bad value."""
    if len(args) % 4:
        raise InvalidRequest(
            f"notes come in groups of 4 ({NOTE_FORMAT}); got {len(args)} values, "
            f"{len(args) % 4} left over"
        )
    notes = []
    for index in range(0, len(args), 4):
        n = index // 4 + 1
        pitch = int(_number(args[index], f"note {n} pitch", True))
        start = float(_number(args[index + 1], f"note {n} start_beats", False))
        duration = float(_number(args[index + 2], f"note {n} duration_beats", False))
        velocity = int(_number(args[index + 3], f"note {n} velocity", True))
        if not 0 <= pitch <= 127:
            raise InvalidRequest(f"note {n} pitch {pitch} is outside 0-127")
        if not 0 <= start < MAX_BEATS:
            raise InvalidRequest(f"note {n} start_beats {start} is outside 0-{MAX_BEATS:g}")
        if not 0 < duration <= MAX_BEATS:
            raise InvalidRequest(f"note {n} duration_beats {duration} must be above 0 and at most {MAX_BEATS:g}")
        if not 1 <= velocity <= 127:
            raise InvalidRequest(f"note {n} velocity {velocity} is outside 1-127 (0 means note-off in MIDI)")
        notes.append(Note(pitch, start, duration, velocity))
    return notes


class ClipStore:
    """Thread-safe named clips with limits on count and size."""

    def __init__(self, max_clips: int, max_notes: int):
        self._max_clips = max_clips
        self._max_notes = max_notes
        self._clips: dict[str, list[Note]] = {}
        self._lock = threading.Lock()

    def set(self, name: str, notes: Sequence[Note]) -> int:
        return self._store(name, list(notes), append=False)

    def append(self, name: str, notes: Sequence[Note]) -> int:
        return self._store(name, list(notes), append=True)

    def _store(self, name: str, notes: list[Note], append: bool) -> int:
        check_name(name, "clip name")
        with self._lock:
            current = self._clips.get(name)
            if current is None and len(self._clips) >= self._max_clips:
                raise InvalidRequest(
                    f"already {self._max_clips} clips stored; clear some with /continuo/clip/clear"
                )
            combined = (current or []) + notes if append else notes
            if len(combined) > self._max_notes:
                raise InvalidRequest(
                    f"clip {name!r} would hold {len(combined)} notes; the limit is {self._max_notes}"
                )
            self._clips[name] = combined
            return len(combined)

    def clear(self, name: str) -> bool:
        check_name(name, "clip name")
        with self._lock:
            return self._clips.pop(name, None) is not None

    def get(self, name: str) -> tuple[Note, ...]:
        check_name(name, "clip name")
        with self._lock:
            if name not in self._clips:
                known = ", ".join(sorted(self._clips)[:20]) or "none yet"
                raise UnknownClip(
                    f"no clip named {name!r}; upload it first with /continuo/clip/set (clips stored: {known})"
                )
            return tuple(sorted(self._clips[name], key=lambda n: (n.start_beats, n.pitch)))

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._clips)
