"""Raw MIDI bytes to mido messages: running status, interleaved real-time bytes, SysEx dropped and logged."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable

import mido

log = logging.getLogger(__name__)

MAX_SYSEX_BYTES = 4096
_DATA_LENGTH = {0x80: 2, 0x90: 2, 0xA0: 2, 0xB0: 2, 0xC0: 1, 0xD0: 1, 0xE0: 2}
_SYSTEM_LENGTH = {0xF1: 1, 0xF2: 2, 0xF3: 1, 0xF6: 0}


class DropLog:
    """Counts dropped input by reason and logs it at most once per ``interval_seconds`` per reason."""

    def __init__(self, interval_seconds: float = 5.0):
        self.interval_seconds = interval_seconds
        self.counts: Counter[str] = Counter()
        self._pending: Counter[str] = Counter()
        self._last: dict[str, float] = {}

    def drop(self, reason: str, detail: str = "") -> None:
        self.counts[reason] += 1
        self._pending[reason] += 1
        now = time.monotonic()
        if now - self._last.get(reason, -1e9) >= self.interval_seconds:
            log.warning("MIDI input: dropped %d message(s): %s%s", self._pending[reason], reason,
                        f" ({detail})" if detail else "")
            self._last[reason] = now
            self._pending[reason] = 0


class MidiDecoder:
    """Stateful byte-stream decoder for one input port (a stream may split or merge messages)."""

    def __init__(self, drops: DropLog):
        self.drops = drops
        self._running = 0  # running status of channel messages
        self._bytes: list[int] = []
        self._needed = 0
        self._sysex: int | None = None  # bytes of SysEx seen so far, None outside SysEx

    def feed(self, data: Iterable[int]) -> list[mido.Message]:
        out: list[mido.Message] = []
        for byte in data:
            if not isinstance(byte, int) or not 0 <= byte <= 255:
                self.drops.drop("not a byte", repr(byte)[:20])
                continue
            if byte >= 0xF8:  # real-time bytes may appear anywhere, even inside other messages
                if byte in (0xF9, 0xFD):
                    self.drops.drop("undefined real-time byte", hex(byte))
                else:
                    out.append(mido.Message.from_bytes([byte]))
            elif byte == 0xF0:
                self._sysex, self._bytes, self._needed = 0, [], 0
            elif byte == 0xF7:
                if self._sysex is not None:
                    self.drops.drop("SysEx is not used", f"{self._sysex} bytes")
                self._sysex = None
            elif byte >= 0x80:
                self._status(byte, out)
            elif self._sysex is not None:
                self._sysex += 1
                if self._sysex > MAX_SYSEX_BYTES:
                    self.drops.drop("SysEx too long", f"over {MAX_SYSEX_BYTES} bytes")
                    self._sysex = None
            else:
                self._data(byte, out)
        return out

    def _status(self, byte: int, out: list[mido.Message]) -> None:
        if self._sysex is not None:
            self.drops.drop("SysEx without its end byte")
            self._sysex = None
        if self._needed:
            self.drops.drop("incomplete message", f"status {self._bytes[0]:#x}")
        if byte < 0xF0:
            self._running = byte
            self._bytes, self._needed = [byte], _DATA_LENGTH[byte & 0xF0]
            return
        self._running = 0  # system common messages cancel running status
        needed = _SYSTEM_LENGTH.get(byte)
        if needed is None:
            self.drops.drop("undefined status byte", hex(byte))
            self._bytes, self._needed = [], 0
        elif needed == 0:
            self._bytes, self._needed = [], 0
            out.append(mido.Message.from_bytes([byte]))
        else:
            self._bytes, self._needed = [byte], needed

    def _data(self, byte: int, out: list[mido.Message]) -> None:
        if not self._needed:
            if not self._running:
                self.drops.drop("data byte without a status byte", hex(byte))
                return
            self._bytes, self._needed = [self._running], _DATA_LENGTH[self._running & 0xF0]
        self._bytes.append(byte)
        self._needed -= 1
        if self._needed == 0:
            try:
                out.append(mido.Message.from_bytes(self._bytes))
            except ValueError as err:
                self.drops.drop("invalid message", str(err))
            self._bytes = []
