"""A small Python client for the continuo daemon over UDP or TCP (used by examples and tests).

    with Client(port=7300) as client:
        client.upload_clip("tune", notes)
        result = client.generate("job1", task="harmonize", melody="tune", bars=8)
        print(result.paths, result.parts["bass"])
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from bridge.osc.framing import cut_frames, frame
from bridge.osc.packets import encode_message, parse_message, split_packet

NOTES_PER_UPLOAD = 150  # 150 notes fit one 4 KB datagram


class ContinuoReplyError(RuntimeError):
    """The daemon answered /continuo/error."""

    def __init__(self, job: str, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.job, self.code, self.message = job, code, message


class UnexpectedReply(RuntimeError):
    """The daemon sent a reply other than the one ``Client.expect`` was told to wait for."""


@dataclass
class JobResult:
    job: str
    paths: list[str]
    # variation (1-based) -> part -> notes as (pitch, start_beats, duration_beats, velocity)
    variations: dict[int, dict[str, list[tuple]]] = field(default_factory=dict)
    progress: list[float] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    chords: dict[int, str] = field(default_factory=dict)  # harmonize: variation -> the chords chosen, as text

    @property
    def parts(self) -> dict[str, list[tuple]]:
        return self.variations.get(1, {})


class Client:
    """Sends requests and collects replies; ``transport`` is "udp" or "tcp" (OSC 1.0 or SLIP framing)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 7300, reply_port: int = 0,
                 transport: str = "udp", slip: bool = False, bind_host: str | None = None):
        self.host, self.port, self.transport, self.slip = host, port, transport, slip
        self.replies: queue.Queue[tuple[str, list]] = queue.Queue()
        self._closed = threading.Event()
        if transport == "udp":
            self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._sock.bind((bind_host or host, reply_port))
            self.reply_port = self._sock.getsockname()[1]
        elif transport == "tcp":
            self._sock = socket.create_connection((host, port), timeout=5)
            self.reply_port = 0
        else:
            raise ValueError(f"transport {transport!r}: use 'udp' or 'tcp'")
        self._sock.settimeout(0.2)
        self._reader = threading.Thread(target=self._read_loop, daemon=True, name="continuo-client")
        self._reader.start()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closed.set()
        self._reader.join(timeout=1)
        self._sock.close()

    # -- sending ---------------------------------------------------------------------------------

    def send_raw(self, data: bytes) -> None:
        if self.transport == "udp":
            self._sock.sendto(data, (self.host, self.port))
        else:
            self._sock.sendall(frame(data, self.slip))

    def send(self, address: str, *args: object) -> None:
        self.send_raw(encode_message(address, args))

    def wait_for(self, *addresses: str, timeout: float = 10.0) -> tuple[str, list]:
        """The next reply on one of ``addresses`` (others are dropped); raise TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no reply on {', '.join(addresses)} within {timeout} s")
            try:
                address, args = self.replies.get(timeout=remaining)
            except queue.Empty:
                continue
            if address in addresses:
                return address, args

    def expect(self, *addresses: str, timeout: float = 10.0) -> list[list]:
        """The arguments of the next replies, which must come on ``addresses`` in that order.

        Unlike ``wait_for`` nothing is dropped: any other reply raises UnexpectedReply, naming it.
        """
        deadline = time.monotonic() + timeout
        got: list[tuple[str, list]] = []
        for wanted in addresses:
            try:
                address, args = self.replies.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"no reply on {wanted} within {timeout} s (before it: {got})") from None
            if address != wanted:
                raise UnexpectedReply(f"expected {wanted}, got {address} {args} (before it: {got})")
            got.append((address, args))
        return [args for _, args in got]

    def expect_no_more(self, timeout: float = 5.0) -> None:
        """Check that nothing else was sent: a ping must now be answered by its pong and nothing before it.

        The daemon handles one client's requests in order, so the pong comes after every reply to them.
        """
        self.send("/continuo/ping")
        self.expect("/continuo/pong", timeout=timeout)

    def ping(self, timeout: float = 5.0) -> str:
        self.send("/continuo/ping")
        return self.wait_for("/continuo/pong", timeout=timeout)[1][0]

    def upload_clip(self, name: str, notes: list[tuple]) -> None:
        """Upload ``notes`` (pitch, start_beats, duration_beats, velocity) in datagram-sized chunks."""
        for index in range(0, max(len(notes), 1), NOTES_PER_UPLOAD):
            flat = [v for note in notes[index : index + NOTES_PER_UPLOAD]
                    for v in (int(note[0]), float(note[1]), float(note[2]), int(note[3]))]
            self.send("/continuo/clip/set" if index == 0 else "/continuo/clip/append", name, *flat)
            address, args = self.wait_for("/continuo/clip/stored", "/continuo/error")
            if address == "/continuo/error":
                raise ContinuoReplyError(*args[:3])

    def generate(self, job: str, timeout: float = 60.0, **keys: object) -> JobResult:
        """Run one job and return its notes and MIDI paths, or raise ContinuoReplyError."""
        flat: list[object] = [job]
        for key, value in keys.items():
            flat.extend((key, value))
        self.send("/continuo/generate", *flat)
        return self.collect(job, timeout)

    def collect(self, job: str, timeout: float = 60.0) -> JobResult:
        result = JobResult(job, [], defaultdict(lambda: defaultdict(list)))
        end = ("/continuo/done", "/continuo/error")
        while True:
            address, args = self.wait_for("/continuo/progress", "/continuo/notes", "/continuo/warning",
                                          "/continuo/chords", *end, timeout=timeout)
            if not args or args[0] != job:
                continue
            if address == "/continuo/progress":
                result.progress.append(args[1])
            elif address == "/continuo/warning":
                result.warnings.append(args[1])
            elif address == "/continuo/chords":
                result.chords[args[1]] = args[2]
            elif address == "/continuo/notes":
                _, variation, part, _, _, *flat = args
                notes = result.variations[variation][part]
                notes.extend(tuple(flat[i : i + 4]) for i in range(0, len(flat), 4))
            elif address == "/continuo/done":
                result.paths = list(args[1:])
                result.variations = {v: dict(p) for v, p in result.variations.items()}
                return result
            else:
                raise ContinuoReplyError(*args[:3])

    # -- receiving -------------------------------------------------------------------------------

    def _read_loop(self) -> None:
        buffer = bytearray()
        while not self._closed.is_set():
            try:
                data = self._sock.recv(65536)
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            if self.transport == "udp":
                self._take(data)
                continue
            if not data:
                return
            buffer += data
            for packet in cut_frames(buffer, self.slip):
                self._take(packet)

    def _take(self, packet: bytes) -> None:
        try:
            for message in split_packet(packet):
                self.replies.put(parse_message(message))
        except ValueError:
            pass  # not OSC: nothing the daemon sends
