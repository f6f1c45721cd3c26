"""A small AbletonOSC client and the one thread that talks to Live, so no OSC handler ever waits for it.

AbletonOSC (a remote script inside Live) listens on UDP 11000 and answers getters on the same
address, with the object's indices first, to the sender's IP at port 11001. Setters and methods
(create a clip, add notes) are not answered; Live reports their failures on ``/live/error`` (one
string). Live handles messages one at a time, in order, so a getter's answer also proves that every
message sent before it has been handled. Indices here are AbletonOSC's: tracks and slots from 0.
Every answer is one datagram, whatever its size (AbletonOSC has no chunking): notes are read in
pitch and time windows small enough that no answer exceeds REPLY_LIMIT_BYTES.
"""

from __future__ import annotations

import logging
import math
import queue
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bridge.errors import (
    AbletonError,
    AbletonTimeout,
    ContinuoError,
    InternalError,
    QueueFull,
    ShuttingDown,
)
from bridge.osc.packets import encode_message, parse_message, split_packet
from bridge.settings import Settings, is_loopback

log = logging.getLogger(__name__)

NOTES_PER_MESSAGE = 60  # about 1.3 KB: one datagram under an Ethernet MTU
MESSAGES_PER_ROUND_TRIP = 10  # then wait for Live, so its socket buffer never overflows
HINT = "is AbletonOSC installed and Live running?"
# AbletonOSC answers /live/clip/get/notes with int pitch and float start, duration and velocity (4 bytes
# each) and a True/False mute (a type tag, no data) per note: 21 bytes, after at most 39 of header
NOTE_REPLY_BYTES, REPLY_HEADER_BYTES = 21, 39
REPLY_LIMIT_BYTES = 8192  # never ask for more: macOS refuses datagrams over 9216 bytes by default
REPLY_LIMIT_NOTES = (REPLY_LIMIT_BYTES - REPLY_HEADER_BYTES) // NOTE_REPLY_BYTES  # 388
WINDOW_NOTES = REPLY_LIMIT_NOTES // 3  # a window aims at this, so a passage three times denser still fits
FIRST_SPAN_BEATS = 16.0
GRID_BEATS = 1 / 64  # window edges fall on this grid, exact in the 32-bit floats OSC carries
LAST_BEAT = 8192.0  # as far as AbletonOSC's own default range reaches
PITCHES = (0, 128)  # Live's ranges are half-open: a span of 127 (AbletonOSC's default) leaves out 127
Window = tuple[int, int, float, float]  # start pitch, pitch span, start time, time span (beats)


class ReplyTooLarge(AbletonError):
    """AbletonOSC could not send an answer (its sendto failed: the datagram was too large)."""


@dataclass(frozen=True)
class LiveNote:
    """A note as Live stores it: beats from the clip's start; velocity may be fractional."""

    pitch: int
    start_beats: float
    duration_beats: float
    velocity: float
    mute: bool = False


class LiveClient:
    """Asks AbletonOSC over UDP and waits for each answer; use from one thread at a time."""

    def __init__(self, host: str, port: int, reply_port: int, timeout_seconds: float):
        self.host, self.port, self.reply_port = host, port, reply_port
        self.timeout_seconds = timeout_seconds
        self._sock: socket.socket | None = None
        self._live_ip = ""

    def open(self) -> None:
        """Bind the reply port (on first use only: the daemon takes port 11001 only when asked to)."""
        if self._sock is not None:
            return
        try:
            self._live_ip = socket.gethostbyname(self.host)
        except OSError as err:
            raise AbletonError(f"cannot resolve ableton_host {self.host!r}: {err}") from err
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        bind_host = "127.0.0.1" if is_loopback(self._live_ip) else "0.0.0.0"
        try:
            sock.bind((bind_host, self.reply_port))
        except OSError as err:
            sock.close()
            raise AbletonError(
                f"cannot listen for Live's answers on UDP port {self.reply_port}: {err.strerror}; another "
                "AbletonOSC client (a script, a Max device) may hold it: close it or set ableton_reply_port"
            ) from err
        self._sock = sock

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def send(self, address: str, *args: object) -> None:
        self.open()
        assert self._sock is not None
        try:
            self._sock.sendto(encode_message(address, args), (self._live_ip, self.port))
        except OSError as err:
            raise AbletonError(f"cannot send {address} to {self.host}:{self.port}: {err.strerror}") from err

    def drain(self) -> None:
        """Drop answers left over from an earlier conversation that timed out."""
        self.open()
        while self._receive(0.0) is not None:
            pass

    def ask(self, address: str, *args: object, echo: int | None = None) -> list:
        """Send a getter and return its answer without the ``echo`` leading indices (default: all args)."""
        echo = len(args) if echo is None else echo
        self.send(address, *args)
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            reply_address, reply = self._next(address, deadline)
            if reply_address == address and _same(reply[:echo], args[:echo]):
                return reply[echo:]

    # -- Live's objects ----------------------------------------------------------------------------

    def version(self) -> str:
        major, minor, *_ = self.ask("/live/application/get/version") + [0, 0]
        return f"{major}.{minor}"

    def song(self, prop: str) -> object:
        return self.ask(f"/live/song/get/{prop}")[0]

    def track(self, prop: str, track: int) -> object:
        return self.ask(f"/live/track/get/{prop}", track)[0]

    def slot(self, prop: str, track: int, slot: int) -> object:
        return self.ask(f"/live/clip_slot/get/{prop}", track, slot)[0]

    def clip(self, prop: str, track: int, slot: int) -> object:
        return self.ask(f"/live/clip/get/{prop}", track, slot)[0]

    def get_notes(self, track: int, slot: int, length_beats: float) -> list[LiveNote]:
        """Every note of a MIDI clip from beat 0, read in windows whose answers each fit one datagram.

        Windows over the clip's length adapt to the density found so far; the rest, up to LAST_BEAT,
        is asked for at once. A window whose answer AbletonOSC could not send is split and asked again.
        """
        notes: list[LiveNote] = []
        end = math.ceil(length_beats / GRID_BEATS) * GRID_BEATS
        start, span = 0.0, FIRST_SPAN_BEATS
        while start < LAST_BEAT:
            span = LAST_BEAT - start if start >= end else min(span, end - start)
            found = self._notes_in(track, slot, (*PITCHES, start, span))
            notes.extend(found)
            start += span
            span = _on_grid(min(4 * span, span * WINDOW_NOTES / max(len(found), 1)))
        return notes

    def _notes_in(self, track: int, slot: int, window: Window) -> list[LiveNote]:
        try:
            values = self.ask("/live/clip/get/notes", track, slot, *window, echo=2)
        except ReplyTooLarge:
            halves = _halves(window)
            if halves is None:
                raise AbletonError(f"Live could not send the notes of track {track + 1} slot {slot + 1} at pitch "
                                   f"{window[0]} from beat {window[2]:g}, even one by one") from None
            return [n for half in halves for n in self._notes_in(track, slot, half)]
        if len(values) % 5:
            raise AbletonError(f"Live's notes for track {track + 1} slot {slot + 1} are not in groups of 5")
        notes = [LiveNote(int(values[i]), float(values[i + 1]), float(values[i + 2]), float(values[i + 3]),
                          bool(values[i + 4])) for i in range(0, len(values), 5)]
        low_pitch, pitches, low_beat, beats = window
        outside = [n for n in notes if not (low_pitch <= n.pitch < low_pitch + pitches
                                            and low_beat - 1e-3 <= n.start_beats < low_beat + beats + 1e-3)]
        if outside:
            raise AbletonError("AbletonOSC answered /live/clip/get/notes with notes outside the pitches and "
                               "beats asked for: it is too old to read a clip in parts; update AbletonOSC")
        return notes

    def add_notes(self, track: int, slot: int, notes: Sequence[LiveNote]) -> int:
        """Write notes in datagram-sized messages, waiting for Live every few; return the messages sent."""
        messages = 0
        for index in range(0, len(notes), NOTES_PER_MESSAGE):
            flat: list[object] = [track, slot]
            for note in notes[index : index + NOTES_PER_MESSAGE]:
                flat.extend((note.pitch, note.start_beats, note.duration_beats, round(note.velocity), note.mute))
            self.send("/live/clip/add/notes", *flat)
            messages += 1
            if messages % MESSAGES_PER_ROUND_TRIP == 0:
                self.clip("name", track, slot)
        return messages

    # -- receiving ---------------------------------------------------------------------------------

    def _next(self, waiting_for: str, deadline: float) -> tuple[str, list]:
        """The next message from Live; raise on /live/error or when the deadline passes."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AbletonTimeout(
                    f"Live did not answer {waiting_for} within {self.timeout_seconds:g} s "
                    f"(AbletonOSC at {self.host}:{self.port}, answers expected on port {self.reply_port}); {HINT}"
                )
            message = self._receive(remaining)
            if message is None:
                continue
            address, args = message
            if address == "/live/error":
                text = " ".join(str(a) for a in args).strip() or "no details"
                if text.startswith("Socket error"):  # AbletonOSC's sendto failed: the answer is lost
                    raise ReplyTooLarge(f"Live could not send its answer to {waiting_for}: {text.splitlines()[-1]}")
                raise AbletonError(f"Live refused a request while continuo waited for {waiting_for}: {text}")
            return address, args

    def _receive(self, timeout: float) -> tuple[str, list] | None:
        assert self._sock is not None
        self._sock.settimeout(max(timeout, 0.0))  # 0: do not wait
        try:
            data, source = self._sock.recvfrom(65536)
        except (BlockingIOError, TimeoutError):
            return None
        except OSError as err:
            raise AbletonError(f"receiving from Live failed: {err.strerror}") from err
        if source[0] != self._live_ip:
            log.info("ignored a datagram from %s: only %s (Live) answers here", source[0], self._live_ip)
            return None
        try:
            messages = [parse_message(m) for m in split_packet(data)]
        except ContinuoError as err:
            log.info("ignored a malformed datagram from Live: %s", err)
            return None
        return messages[0] if messages else None


def _on_grid(beats: float) -> float:
    return max(GRID_BEATS, round(beats / GRID_BEATS) * GRID_BEATS)


def _halves(window: Window) -> tuple[Window, Window] | None:
    """Split a window in time, or in pitch once it is one grid step long; None when it is one note's worth."""
    low_pitch, pitches, start, span = window
    if span > GRID_BEATS:
        half = _on_grid(span / 2)
        return (low_pitch, pitches, start, half), (low_pitch, pitches, start + half, span - half)
    if pitches > 1:
        return (low_pitch, pitches // 2, start, span), (low_pitch + pitches // 2, pitches - pitches // 2, start, span)
    return None


def _same(got: Sequence[object], want: Sequence[object]) -> bool:
    """Indices compare as numbers: some AbletonOSC versions echo them as floats."""
    if len(got) != len(want):
        return False
    try:
        return all(float(a) == float(b) for a, b in zip(got, want))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return list(got) == list(want)


Conversation = Callable[[LiveClient], None]
Failure = Callable[[ContinuoError], None]


class AbletonService:
    """Runs conversations with Live one at a time on its own thread; a failure goes to its callback."""

    def __init__(self, settings: Settings):
        self.client = LiveClient(settings.ableton_host, settings.ableton_port, settings.ableton_reply_port,
                                 settings.ableton_timeout_seconds)
        self._queue: queue.Queue[tuple[Conversation, Failure] | None] = queue.Queue(maxsize=settings.queue_size)
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ableton", daemon=True)
        self._thread.start()

    def submit(self, conversation: Conversation, on_failure: Failure) -> None:
        """Queue a conversation; never blocks."""
        if self._stopping.is_set():
            raise ShuttingDown("continuo is shutting down; send the request again after it restarts")
        try:
            self._queue.put_nowait((conversation, on_failure))
        except queue.Full:
            raise QueueFull(f"{self._queue.qsize()} requests to Live are already waiting; try again shortly") from None

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            while True:  # whatever waits ends with an error, never silently
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[1](ShuttingDown("continuo stopped before Live was asked"))
            self._queue.put(None)
            self._thread.join(timeout=self.client.timeout_seconds + 2)
        self.client.close()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            conversation, on_failure = item
            try:
                conversation(self.client)
            except ContinuoError as err:
                log.info("Ableton request failed: %s", err)
                on_failure(err)
            except Exception as err:
                log.exception("Ableton request failed")
                on_failure(InternalError(f"internal error ({type(err).__name__}); see the continuo log"))
