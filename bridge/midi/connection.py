"""Opens continuo's MIDI ports, watches them, reports a vanished port and reopens it when it returns."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

import mido
import mido.ports

from bridge.errors import PortError
from bridge.midi.mapping import MidiConfig
from bridge.midi.ports import InputCallback

log = logging.getLogger(__name__)

WATCH_SECONDS = 1.0
FLUSH_SECONDS = 0.1
MAIN = ""  # port key of "continuo out"; per-part ports are keyed by part name


class PortFactory(Protocol):
    """What the port manager needs from a MIDI system (RtMidiFactory, or fakes in tests)."""

    def open_input(self, name: str, virtual: bool, callback: InputCallback) -> mido.ports.BaseInput: ...
    def open_output(self, name: str, virtual: bool) -> mido.ports.BaseOutput: ...
    def input_names(self) -> list[str]: ...
    def output_names(self) -> list[str]: ...


def _listed(name: str, names: list[str]) -> bool:
    return any(n == name or n.endswith(":" + name) or n.startswith(name + " ") or (":" + name + " ") in n
               for n in names)


class PortManager:
    """The input, the main output and the optional per-part outputs, kept open while they can be."""

    def __init__(self, config: MidiConfig, factory: PortFactory, callback: InputCallback,
                 on_lost: Callable[[str], None] = lambda reason: None,
                 on_restored: Callable[[], None] = lambda: None,
                 watch_seconds: float = WATCH_SECONDS):
        self.config = config
        self.factory = factory
        self._callback = callback
        self._on_lost = on_lost
        self._on_restored = on_restored
        self._watch_seconds = watch_seconds
        self._input: mido.ports.BaseInput | None = None
        self._outputs: dict[str, mido.ports.BaseOutput] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.state = "closed"
        self.problem = ""
        self.lost_count = 0
        self._failed = ""
        self._parts: list[str] = []

    def output_keys(self, parts: list[str]) -> dict[str, str]:
        """Output port name per key: the main port, plus one per part when ports per part are on."""
        names = {MAIN: self.config.out_port}
        if self.config.port_per_part:
            names.update({part: self.config.part_port(part) for part in parts})
        return names

    def open(self, parts: list[str]) -> None:
        """Open every port or raise PortError; the watchdog thread starts either way."""
        self._parts = parts
        try:
            self._open_all()
        finally:
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="midi-watch", daemon=True)
                self._thread.start()

    def _open_all(self) -> None:
        with self._lock:
            self._close_all()
            try:
                self._input = self.factory.open_input(self.config.in_port, self.config.virtual, self._callback)
                for key, name in self.output_keys(self._parts).items():
                    self._outputs[key] = self.factory.open_output(name, self.config.virtual)
            except (OSError, RuntimeError, ValueError) as err:  # rtmidi raises SystemError subclasses
                self._close_all()
                self.state, self.problem = "unavailable", str(err)
                raise PortError(f"cannot open the MIDI ports: {err}") from err
            self.state, self.problem, self._failed = "open", "", ""
            log.info("MIDI ports open: in %r, out %s (%s)", self.config.in_port,
                     ", ".join(repr(p.name) for p in self._outputs.values()),
                     "virtual" if self.config.virtual else "existing ports")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._watch_seconds + 2)
        with self._lock:
            if self.state == "open":
                # backends deliver on their next cycle (JACK: one period): let the last note-offs leave
                time.sleep(FLUSH_SECONDS)
            self._close_all()
            self.state = "closed"
        close = getattr(self.factory, "close", None)
        if close is not None:
            close()

    def _close_all(self) -> None:
        ports = [self._input, *self._outputs.values()]
        self._input, self._outputs = None, {}
        for port in ports:
            if port is not None:
                try:
                    port.close()
                except Exception as err:  # a half-dead backend may fail to close; the port is gone anyway
                    log.debug("closing MIDI port %s: %s", port, err)

    def send(self, key: str, message: mido.Message) -> None:
        """Send on a port; a port that fails is reported lost (the watchdog reopens it)."""
        port = self._outputs.get(key) or self._outputs.get(MAIN)
        if port is None:
            return
        try:
            port.send(message)
        except (OSError, RuntimeError, ValueError) as err:
            # called under the scheduler's send lock: only note it; the watchdog reports it
            log.warning("MIDI port %s failed while sending: %s", port.name, err)
            self._failed = f"sending on {port.name!r} failed: {err}"

    # -- watchdog ------------------------------------------------------------------------------

    def _expected(self) -> tuple[list[str], list[str]]:
        """Names that must be listed: inputs list, outputs list (virtual ports show on the other side)."""
        outs = list(self.output_keys(self._parts).values())
        if self.config.virtual:
            return outs, [self.config.in_port]
        return [self.config.in_port], outs

    def check(self) -> None:
        """One watchdog round: notice a vanished port, or reopen ports that can be opened again."""
        with self._lock:
            state = self.state
        if state == "open" and self._failed:
            self._lose(self._failed)
        elif state == "open":
            try:
                inputs, outputs = self.factory.input_names(), self.factory.output_names()
            except Exception as err:
                self._lose(f"the MIDI system stopped answering: {err}")
                return
            want_in, want_out = self._expected()
            missing = [n for n in want_in if not _listed(n, inputs)] + [n for n in want_out if not _listed(n, outputs)]
            if missing:
                self._lose(f"port(s) {', '.join(repr(n) for n in missing)} vanished")
        elif state in ("lost", "unavailable"):
            try:
                reset = getattr(self.factory, "reset", None)
                if reset is not None and state == "lost":
                    reset()
                self._open_all()
            except PortError:
                return
            except Exception as err:  # the MIDI system itself is still away (rtmidi raises SystemError)
                log.debug("MIDI system not back yet: %s", err)
                return
            log.warning("MIDI ports are back")
            self._on_restored()

    def _lose(self, reason: str) -> None:
        with self._lock:
            if self.state != "open":
                return
            self.state, self.problem = "lost", reason
            self.lost_count += 1
        log.warning("MIDI connection lost: %s; reopening when it comes back", reason)
        self._on_lost(reason)
        with self._lock:
            if self.state == "lost":
                self._close_all()

    def _watch(self) -> None:
        while not self._stop.wait(self._watch_seconds):
            try:
                self.check()
            except Exception:
                log.exception("MIDI port watchdog failed; trying again")
