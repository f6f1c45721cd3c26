"""Voice leading while sampling four-voice textures: parallel fifths and octaves made unlikely.

The chorale and renaissance styles write soprano, alto, tenor and bass as separate tracks, bar by
bar, one after the other. When a voice's next pitch is drawn, every voice already written in that
bar (or given as a control) is known, so the pitches that would move in parallel fifths or
octaves with one of them can be pushed down, as ``grammar.harmony_bias`` pushes down non-chord
tones. Each pair of voices is checked when the later-written one is drawn.
"""

from __future__ import annotations

import numpy as np

from models.transformer.tokens import INDEX, StreamReader

VOICES = ("soprano", "alto", "tenor", "bassvoice")
PARALLEL_WEIGHT = 0.05  # how much less likely a pitch that makes parallel fifths/octaves is made
_PITCHES = np.arange(128)


class VoiceTracker:
    """The notes (start tick, end tick, pitch) each voice track has in a token stream so far."""

    def __init__(self) -> None:
        self.notes: dict[str, list[tuple[int, int, int]]] = {v: [] for v in VOICES}
        self.stream = StreamReader()

    def feed(self, tokens: list[int]) -> None:
        stream = self.stream
        for token in tokens:
            if stream.read(token) == "PITCH" and stream.track in self.notes:
                start = stream.bar_start + stream.tick
                self.notes[stream.track].append((start, start + stream.duration, INDEX[token]))

    def sounding(self, voice: str, tick: int) -> int | None:
        for start, end, pitch in reversed(self.notes[voice]):
            if start <= tick < end:
                return pitch
            if end <= tick and start < tick - 4 * self.stream.bar_ticks:
                break  # notes are in time order per voice: nothing older can sound now
        return None

    def bias(self, voice: str, pos: int) -> np.ndarray | None:
        """Log-weights ``(128,)`` for ``voice``'s next pitch at ``pos`` ticks into the current bar:
        pitches that would move in parallel fifths or octaves with another voice pushed down."""
        tick = self.stream.bar_start + pos
        earlier = next((note for note in reversed(self.notes[voice]) if note[0] < tick), None)
        if earlier is None:
            return None
        before_tick, _, before = earlier
        bad = np.zeros(128, dtype=bool)
        for other in VOICES:
            if other == voice:
                continue
            other_before, other_now = self.sounding(other, before_tick), self.sounding(other, tick)
            if other_before is None or other_now is None or other_now == other_before:
                continue  # the other voice holds or is silent: no parallel motion with it
            sign = 1 if VOICES.index(other) < VOICES.index(voice) else -1  # the interval is upper minus lower
            interval = sign * (other_before - before) % 12
            if interval not in (0, 7):
                continue
            same_way = (_PITCHES - before) * (other_now - other_before) > 0
            bad |= same_way & (sign * (other_now - _PITCHES) % 12 == interval)
        if not bad.any():
            return None
        return np.where(bad, np.log(PARALLEL_WEIGHT), 0.0)
