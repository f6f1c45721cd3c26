"""A small AbletonOSC client and the one thread that talks to Live, so no OSC handler ever waits for it.

AbletonOSC (a remote script inside Live) listens on UDP 11000 and answers getters on the same
address, with the object's indices first, to the sender's IP at port 11001. Setters and methods
(create a clip, add notes) are not answered; Live reports their failures on ``/live/error``.
Live handles messages one at a time, in order, so a getter's answer also proves that every
message sent before it has been handled. Indices here are AbletonOSC's: tracks and slots from 0.
"""

from __future__ import annotations

import logging
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

CHUNK_DELIMITER = "#$#"  # AbletonOSC marks the first and last datagram of a reply split in parts
NOTES_PER_MESSAGE = 60  # about 1.3 KB: one datagram under an Ethernet MTU
MESSAGES_PER_ROUND_TRIP = 10  # then wait for Live, so its socket buffer never overflows
HINT = "is AbletonOSC installed and Live running?"


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

    def get_notes(self, track: int, slot: int) -> list[LiveNote]:
        """Every note of a MIDI clip, joining a reply that AbletonOSC split between datagrams."""
        address = "/live/clip/get/notes"
        self.send(address, track, slot)
        deadline = time.monotonic() + self.timeout_seconds
        flat: list = []
        while True:
            reply_address, reply = self._next(address, deadline)
            if reply_address != address:
                continue
            chunked = bool(flat) or (reply[:1] == [CHUNK_DELIMITER])
            if not chunked and not _same(reply[:2], (track, slot)):
                continue
            flat.extend(reply)
            if not chunked or (len(flat) > 1 and flat[-1] == CHUNK_DELIMITER):
                break
        values = [v for v in flat if v != CHUNK_DELIMITER][2:]
        if len(values) % 5:
            raise AbletonError(f"Live's notes for track {track + 1} slot {slot + 1} are not in groups of 5")
        return [LiveNote(int(values[i]), float(values[i + 1]), float(values[i + 2]), float(values[i + 3]),
                         bool(values[i + 4])) for i in range(0, len(values), 5)]

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
                text = " ".join(str(a) for a in args if a != "log") or "no details"
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
