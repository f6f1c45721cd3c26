"""A fake Ableton Live speaking AbletonOSC's documented protocol over real UDP (python-osc encodes)."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

DELIMITER = "#$#"


@dataclass
class FakeClip:
    length: float
    notes: list[tuple] = field(default_factory=list)  # (pitch, start, duration, velocity, mute)
    name: str = ""
    midi: bool = True


@dataclass
class FakeTrack:
    slots: list[FakeClip | None]
    midi: bool = True


class FakeLive:
    """Answers getters on the same address with the indices first, to the sender's IP at ``reply_port``.

    ``chunk_args``: split /live/clip/get/notes replies into datagrams of that many arguments,
    the first starting and the last ending with '#$#'. ``silent``: answer nothing (Live closed).
    ``refuse``: addresses that fail with /live/error, as Live's exceptions do.
    """

    def __init__(self, reply_port: int):
        self.reply_port = reply_port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.received: list[tuple[str, list, int]] = []
        self.reset()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def reset(self, tracks: int = 4, scenes: int = 4, tempo: float = 96.0, signature: tuple[int, int] = (4, 4)) -> None:
        self.tracks = [FakeTrack([None] * scenes) for _ in range(tracks)]
        self.tempo, self.signature = tempo, signature
        self.chunk_args = 0
        self.silent = False
        self.refuse: set[str] = set()
        self.received = []

    def close(self) -> None:
        self.sock.close()

    def sent_to(self, address: str) -> list[tuple[list, int]]:
        return [(args, size) for a, args, size in self.received if a == address]

    # -- protocol ----------------------------------------------------------------------------------

    def _serve(self) -> None:
        while True:
            try:
                data, source = self.sock.recvfrom(65536)
            except OSError:
                return
            message = OscMessage(data)
            args = list(message.params)
            self.received.append((message.address, args, len(data)))
            if self.silent:
                continue
            try:
                reply = self._handle(message.address, args)
            except Exception as err:  # noqa: BLE001 - AbletonOSC reports any handler exception this way
                self._send("/live/error", ["log", f"Error handling OSC message: {err}"], source)
                continue
            if reply is not None:
                self._reply(message.address, reply, source)

    def _reply(self, address: str, values: list, source) -> None:
        if address == "/live/clip/get/notes" and self.chunk_args and len(values) > self.chunk_args:
            pieces = [values[i : i + self.chunk_args] for i in range(0, len(values), self.chunk_args)]
            pieces[0] = [DELIMITER, *pieces[0]]
            pieces[-1] = [*pieces[-1], DELIMITER]
            for piece in pieces:
                self._send(address, piece, source)
            return
        self._send(address, values, source)

    def _send(self, address: str, values: list, source) -> None:
        builder = OscMessageBuilder(address)
        for value in values:
            builder.add_arg(value)
        self.sock.sendto(builder.build().dgram, (source[0], self.reply_port))

    def _handle(self, address: str, args: list):
        if address in self.refuse:
            raise RuntimeError(f"{address} refused by the test")
        song = {"tempo": self.tempo, "signature_numerator": self.signature[0],
                "signature_denominator": self.signature[1], "num_tracks": len(self.tracks),
                "num_scenes": len(self.tracks[0].slots)}
        if address == "/live/application/get/version":
            return [11, 3]
        if address.startswith("/live/song/get/"):
            return [song[address.rsplit("/", 1)[1]]]
        if address == "/live/track/get/has_midi_input":
            return [args[0], self.tracks[int(args[0])].midi]
        track, slot = int(args[0]), int(args[1])
        slots = self.tracks[track].slots
        clip = slots[slot]
        if address == "/live/clip_slot/get/has_clip":
            return [track, slot, clip is not None]
        if address == "/live/clip_slot/create_clip":
            if clip is not None:
                raise RuntimeError("Clip slot already has a clip")
            if not self.tracks[track].midi:
                raise RuntimeError("Cannot create a MIDI clip on an audio track")
            slots[slot] = FakeClip(float(args[2]))
            return None
        if address == "/live/clip_slot/delete_clip":
            slots[slot] = None
            return None
        if clip is None:
            raise AttributeError("'NoneType' object has no attribute 'get_notes'")
        if address == "/live/clip/get/notes":
            return [track, slot, *[v for note in clip.notes for v in note]]
        if address == "/live/clip/add/notes":
            flat = args[2:]
            clip.notes.extend(tuple(flat[i : i + 5]) for i in range(0, len(flat), 5))
            return None
        if address == "/live/clip/set/name":
            clip.name = args[2]
            return None
        if address.startswith("/live/clip/get/"):
            value = {"length": clip.length, "name": clip.name, "is_midi_clip": clip.midi}[address.rsplit("/", 1)[1]]
            return [track, slot, value]
        raise KeyError(f"unknown address {address}")
