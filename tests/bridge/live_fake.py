"""A fake Ableton Live that answers as AbletonOSC does, over real UDP (python-osc encodes, as AbletonOSC's copy).

Read against ideoforms/AbletonOSC: osc_server.py (one datagram per answer, sent to the sender's IP
at port 11001; a failed ``sendto`` is logged and ends that round of processing), manager.py (every
error-level log line goes out as ``/live/error`` with one string), handler.py and clip.py,
clip_slot.py, track.py, song.py, application.py (addresses, argument orders, what is echoed).
docs/daw/ableton.md has the table of every address continuo uses beside its AbletonOSC handler.
"""

from __future__ import annotations

import errno
import os
import socket
import threading
import traceback
from dataclasses import dataclass, field

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

NOTES_DEFAULT_RANGE = (0, 127, -8192.0, 16384.0)  # AbletonOSC's get/notes without arguments: no pitch 127


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

    ``datagram_limit``: the largest datagram this computer sends (9216 bytes, macOS's default); a
    larger answer fails in ``sendto`` and AbletonOSC reports ``Socket error: <traceback>`` instead.
    ``silent``: answer nothing (Live closed). ``refuse``: addresses whose handler raises, as Live does.
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

    def reset(self, tracks: int = 4, scenes: int = 4, tempo: float = 96.0, signature: tuple[int, int] = (4, 4),
              datagram_limit: int = 9216) -> None:
        self.tracks = [FakeTrack([None] * scenes) for _ in range(tracks)]
        self.tempo, self.signature = tempo, signature
        self.datagram_limit = datagram_limit
        self.silent = False
        self.refuse: set[str] = set()
        self.received = []
        self.errors: list[str] = []  # every /live/error sent
        self.answers: list[tuple[str, int]] = []  # (address, bytes) of every answer sent

    def close(self) -> None:
        self.sock.close()

    def sent_to(self, address: str) -> list[tuple[list, int]]:
        return [(args, size) for a, args, size in self.received if a == address]

    # -- osc_server.py -----------------------------------------------------------------------------

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
                if reply is not None:
                    self._send(message.address, reply, source)
            except OSError:  # process(): "except socket.error" logs at error level, so Live reports it
                self._error("Socket error: " + traceback.format_exc(), source)
            except UnknownAddress as err:
                self._error(f"Unknown OSC address: {err.args[0]}", source)
            except Exception as err:  # noqa: BLE001 - process(): "Error handling OSC message: %s" % e
                self._error(f"Error handling OSC message: {err}", source)

    def _send(self, address: str, values: list, source) -> None:
        builder = OscMessageBuilder(address)
        for value in values:
            builder.add_arg(value)
        dgram = builder.build().dgram
        if len(dgram) > self.datagram_limit:  # what sendto does past the system's datagram limit
            raise OSError(errno.EMSGSIZE, os.strerror(errno.EMSGSIZE))
        self.sock.sendto(dgram, (source[0], self.reply_port))
        self.answers.append((address, len(dgram)))

    def _error(self, message: str, source) -> None:
        self.errors.append(message)
        try:  # manager.py: send("/live/error", (message,)); a failure there is ignored
            self._send("/live/error", [message], source)
        except OSError:
            pass

    # -- the handlers continuo uses ------------------------------------------------------------------

    def _handle(self, address: str, args: list):
        if address in self.refuse:
            raise RuntimeError(f"{address} refused by the test")
        song = {"tempo": float(self.tempo), "signature_numerator": self.signature[0],
                "signature_denominator": self.signature[1], "num_tracks": len(self.tracks),
                "num_scenes": len(self.tracks[0].slots)}
        if address == "/live/application/get/version":
            return [11, 3]
        if address.startswith("/live/song/get/") and address.rsplit("/", 1)[1] in song:
            return [song[address.rsplit("/", 1)[1]]]
        if address == "/live/track/get/has_midi_input":
            track = int(args[0])
            return [track, self.tracks[track].midi]
        if not address.startswith(("/live/clip_slot/", "/live/clip/")):
            raise UnknownAddress(address)
        track, slot = int(args[0]), int(args[1])  # create_clip_callback: "Cast to int" (TouchOSC sends floats)
        slots = self.tracks[track].slots
        clip = slots[slot]
        params = args[2:]
        if address == "/live/clip_slot/get/has_clip":
            return [track, slot, clip is not None]
        if address == "/live/clip_slot/create_clip":
            if clip is not None:
                raise RuntimeError("Clip slot already has a clip")
            if not self.tracks[track].midi:
                raise RuntimeError("Cannot create a MIDI clip on an audio track")
            slots[slot] = FakeClip(float(params[0]))
            return None
        if address == "/live/clip_slot/delete_clip":
            slots[slot] = None
            return None
        if address == "/live/clip/get/notes":
            return [track, slot, *self._notes(clip, params)]
        if address == "/live/clip/add/notes":
            for i in range(0, len(params), 5):
                pitch, start, duration, velocity, mute = params[i : i + 5]
                _attribute(clip, "add_new_notes").notes.append((pitch, start, duration, velocity, mute))
            return None
        if address == "/live/clip/set/name":
            _attribute(clip, "name")
            clip.name = params[0]
            return None
        prop = address.rsplit("/", 1)[1]
        if address.startswith("/live/clip/get/") and prop in ("length", "name", "is_midi_clip"):
            return [track, slot, getattr(_attribute(clip, prop), {"is_midi_clip": "midi"}.get(prop, prop))]
        raise UnknownAddress(address)

    @staticmethod
    def _notes(clip: FakeClip | None, params: list) -> list:
        """clip.py's clip_get_notes: Clip.get_notes_extended(start pitch, pitch span, start time, time span)."""
        if len(params) == 4:
            low_pitch, pitches, low_time, times = params
        elif not params:
            low_pitch, pitches, low_time, times = NOTES_DEFAULT_RANGE
        else:
            raise ValueError("Invalid number of arguments for /clip/get/notes. Either 0 or 4 arguments must be passed.")
        values: list = []
        for pitch, start, duration, velocity, mute in _attribute(clip, "get_notes_extended").notes:
            if low_pitch <= pitch < low_pitch + pitches and low_time <= start < low_time + times:  # half-open
                values += [int(pitch), float(start), float(duration), float(velocity), bool(mute)]
        return values


class UnknownAddress(Exception):
    """No handler is registered for the address."""


def _attribute(clip: FakeClip | None, name: str) -> FakeClip:
    """The clip, or the AttributeError Live's Python raises for an empty slot's clip (None)."""
    if clip is None:
        raise AttributeError(f"'NoneType' object has no attribute '{name}'")
    return clip
