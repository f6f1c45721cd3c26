"""Fake MIDI ports (mido port subclasses) and a fake MIDI system whose ports can vanish and return."""

from __future__ import annotations

import threading
import time

import mido
import mido.ports


class FakeInput(mido.ports.BaseInput):
    """An input the test plays into with ``inject``; bytes go to continuo's callback as a backend's would."""

    def _open(self, callback=None, system=None, **kwargs) -> None:
        self._callback = callback
        self._system = system

    def inject(self, data: bytes | list[int], when: float | None = None) -> None:
        self._callback(list(data), time.perf_counter() if when is None else when)

    def _close(self) -> None:
        self._callback = lambda data, when: None


class FakeOutput(mido.ports.BaseOutput):
    """An output that records (time, message); it fails while its system says it is gone."""

    def _open(self, system=None, **kwargs) -> None:
        self._system = system
        self.sent: list[tuple[float, mido.Message]] = []

    def _send(self, message: mido.Message) -> None:
        if self._system is not None and self.name in self._system.gone:
            raise OSError(f"port {self.name} is gone")
        self.sent.append((time.perf_counter(), message))


class FakeMidiSystem:
    """Creates fake ports by name and lists them; names in ``gone`` cannot be opened or listed."""

    def __init__(self) -> None:
        self.inputs: dict[str, FakeInput] = {}
        self.outputs: dict[str, FakeOutput] = {}
        self.opened: list[str] = []
        self.gone: set[str] = set()
        self.lock = threading.Lock()

    def open_input(self, name: str, virtual: bool, callback) -> FakeInput:
        if name in self.gone:
            raise OSError(f"no port {name}")
        port = FakeInput(name, callback=callback, system=self)
        with self.lock:
            self.inputs[name] = port
            self.opened.append(name)
        return port

    def open_output(self, name: str, virtual: bool) -> FakeOutput:
        if name in self.gone:
            raise OSError(f"no port {name}")
        port = FakeOutput(name, system=self)
        with self.lock:
            self.outputs[name] = port
            self.opened.append(name)
        return port

    # virtual ports show up on the other side: our input among the outputs others see, and back
    def input_names(self) -> list[str]:
        return [f"fake:{n}" for n in self.outputs if n not in self.gone]

    def output_names(self) -> list[str]:
        return [f"fake:{n}" for n in self.inputs if n not in self.gone]


def notes_of(messages: list[mido.Message]) -> dict[tuple[int, int], int]:
    """Sounding count per (channel, note) after ``messages``: every value 0 means nothing hangs."""
    sounding: dict[tuple[int, int], int] = {}
    for message in messages:
        if message.type == "note_on" and message.velocity > 0:
            key = (message.channel, message.note)
            sounding[key] = sounding.get(key, 0) + 1
        elif message.type in ("note_on", "note_off"):
            key = (message.channel, message.note)
            sounding[key] = max(0, sounding.get(key, 0) - 1)
        elif message.type == "control_change" and message.control == 123:
            for key in list(sounding):
                if key[0] == message.channel:
                    sounding[key] = 0
    return {k: v for k, v in sounding.items() if v}


class RampGenerator:
    """A model whose notes tell where they belong: on beat b of the result, pitch 48 + b (bass) or 60 + b."""

    name = "ramp"
    device = "cpu"

    def generate(self, request, progress=None):
        from models.music.meter import beats_per_bar
        from models.types import Note, Result

        bars = request.bars or 2
        beats = int(bars * beats_per_bar(request.meter))
        parts = {part: tuple(Note(RAMP_BASE[part] + b % 12, float(b), 0.5, 90) for b in range(beats))
                 for part in request.parts if part in RAMP_BASE}
        return [Result(parts, (), bars, request.meter, request.tempo)]


RAMP_BASE = {"bass": 48, "keys": 60, "melody": 72}


def load_ramp(model: str, device: str) -> RampGenerator:
    return RampGenerator()
