"""MIDI backends and ports as mido + python-rtmidi see them (with the reason when unusable); port classes."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import mido
import mido.ports

from bridge.errors import PortError

log = logging.getLogger(__name__)

_HINTS = {
    "jack": "start a JACK server (e.g. `jackd -d alsa`, or `jackd --no-realtime -d dummy` without a sound card)",
    "alsa": "load the ALSA sequencer (`sudo modprobe snd-seq`) and check you can open /dev/snd/seq",
}


@dataclass
class BackendInfo:
    name: str  # the mido backend string, e.g. "mido.backends.rtmidi/LINUX_ALSA"
    api: str
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    error: str = ""
    fix: str = ""

    @property
    def usable(self) -> bool:
        return not self.error


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """ALSA and JACK print their own diagnostics on fd 2; the BackendInfo says it better."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def list_backends() -> list[BackendInfo]:
    """Every MIDI API python-rtmidi was built with, and its ports or why it cannot be used."""
    with _quiet_stderr():
        return _probe_backends()


def _probe_backends() -> list[BackendInfo]:
    try:
        import mido
        import rtmidi
    except ImportError as err:
        return [BackendInfo("mido.backends.rtmidi", "rtmidi", error=f"cannot import {err.name}",
                            fix="install the MIDI libraries: pip install mido python-rtmidi")]
    infos = []
    for api in rtmidi.get_compiled_api():
        if api == rtmidi.API_RTMIDI_DUMMY:
            continue
        api_name = rtmidi.get_api_name(api)
        constant = {rtmidi.API_LINUX_ALSA: "LINUX_ALSA", rtmidi.API_UNIX_JACK: "UNIX_JACK",
                    rtmidi.API_MACOSX_CORE: "MACOSX_CORE", rtmidi.API_WINDOWS_MM: "WINDOWS_MM"}.get(api, api_name)
        info = BackendInfo(f"mido.backends.rtmidi/{constant}", api_name)
        try:
            backend = mido.Backend(info.name, load=True)
            # JACK's client open blocks trying to start a server unless told not to; probe it directly.
            if api == rtmidi.API_UNIX_JACK:
                probe = rtmidi.MidiIn(api, name="continuo-probe")
                probe.delete()
            info.inputs = list(backend.get_input_names())
            info.outputs = list(backend.get_output_names())
        except Exception as err:  # rtmidi raises its own SystemError subclasses
            info.error = str(err) or type(err).__name__
            info.fix = _HINTS.get(api_name, "check the MIDI system of this computer")
        infos.append(info)
    return infos


# -- opening ports ---------------------------------------------------------------------------------

InputCallback = Callable[[list[int], float], None]  # raw bytes of one message, perf_counter time
CALLBACK_DRAIN_SECONDS = 0.05

# python-rtmidi hands the backend's thread a bare pointer to the (function, data) tuple of an input
# callback and drops its own reference in cancel_callback(): a JACK or ALSA thread already inside the
# callback, waiting for the GIL, then reads freed memory (heap corruption, a crash minutes later).
# The tuples of closed inputs are kept here for the life of the process (one small tuple per close).
_RETIRED_CALLBACKS: list[tuple] = []


def close_rtmidi_input(rt) -> None:
    """Close a python-rtmidi ``MidiIn`` that may have a callback, without the races of doing it directly.

    The callback's tuple is kept alive (see _RETIRED_CALLBACKS); after cancelling, the GIL is released
    for a moment so a call in flight finishes before the port closes (closing waits for the backend's
    thread, which would wait for the GIL: a deadlock).
    """
    _RETIRED_CALLBACKS.extend(o for o in gc.get_referents(rt)
                              if isinstance(o, tuple) and len(o) == 2 and callable(o[0]))
    rt.cancel_callback()
    time.sleep(CALLBACK_DRAIN_SECONDS)
    rt.close_port()
    rt.delete()

_APIS = {"jack": "UNIX_JACK", "alsa": "LINUX_ALSA", "coremidi": "MACOSX_CORE", "winmm": "WINDOWS_MM"}


class RtMidiInput(mido.ports.BaseInput):
    """A python-rtmidi input that hands raw bytes and their arrival time to ``callback``."""

    def _open(self, api: int, client_name: str, virtual: bool, callback: InputCallback, **kwargs) -> None:
        import rtmidi

        self._rt = rtmidi.MidiIn(rtapi=api, name=client_name)
        self._rt.ignore_types(sysex=False, timing=False, active_sense=True)  # SysEx is logged, then dropped
        _open_rt(self._rt, self.name, virtual)
        # The callback outlives the port (see close_rtmidi_input): it holds only this box, emptied on
        # close, so a late call is ignored and the closed port keeps nothing else alive.
        self._target: list[InputCallback | None] = [callback]
        target = self._target

        def deliver(event, data) -> None:
            receive = target[0]
            if receive is not None:
                receive(event[0], time.perf_counter())

        self._rt.set_callback(deliver)

    def _close(self) -> None:
        self._target[0] = None
        close_rtmidi_input(self._rt)


class RtMidiOutput(mido.ports.BaseOutput):
    """A python-rtmidi output port."""

    def _open(self, api: int, client_name: str, virtual: bool, **kwargs) -> None:
        import rtmidi

        self._rt = rtmidi.MidiOut(rtapi=api, name=client_name)
        _open_rt(self._rt, self.name, virtual)

    def _send(self, message: mido.Message) -> None:
        self._rt.send_message(message.bytes())

    def send(self, message: mido.Message) -> None:
        """Send without mido's defensive copy (as mido's own rtmidi port does): this is the hot path."""
        if self.closed:
            raise ValueError("send() called on closed port")
        self._send(message)

    def _close(self) -> None:
        self._rt.close_port()
        self._rt.delete()


def _open_rt(rt, name: str, virtual: bool) -> None:
    if virtual:
        rt.open_virtual_port(name)
        return
    names = rt.get_ports()
    matches = [i for i, n in enumerate(names) if n == name or n.startswith(name + " ") or n.endswith(":" + name)]
    if not matches:
        raise PortError(f"no MIDI port named {name!r} (ports: {', '.join(names) or 'none'}); "
                        "create it first (loopMIDI on Windows) or fix midi_in_port/midi_out_port")
    rt.open_port(matches[0])


class RtMidiFactory:
    """Opens continuo's ports on one python-rtmidi API; also lists the ports for health checks."""

    def __init__(self, api_name: str, client_name: str):
        import rtmidi

        self.api_name = api_name
        self.client_name = client_name
        self._outputs: dict[str, int] = {}
        self._api = getattr(rtmidi, "API_" + _APIS[api_name])
        self._probe_in = self._probe_out = None
        self.reset()
        # A client of a JACK server that died keeps listing the old ports, so the watchdog would
        # never notice; JACK2 (Linux) removes its socket when it stops: watch that when it exists.
        server = os.environ.get("JACK_DEFAULT_SERVER", "default")
        socket_path = f"/dev/shm/jack_{server}_{os.getuid() if hasattr(os, 'getuid') else 0}_0"
        self._jack_socket = socket_path if api_name == "jack" and os.path.exists(socket_path) else None

    def reset(self) -> None:
        """New listing clients: after a server restart (JACK) the old ones are dead."""
        import rtmidi

        self.close()
        with _quiet_stderr():
            self._probe_in = rtmidi.MidiIn(rtapi=self._api, name=self.client_name + "-watch-in")
            self._probe_out = rtmidi.MidiOut(rtapi=self._api, name=self.client_name + "-watch-out")

    def open_input(self, name: str, virtual: bool, callback: InputCallback) -> mido.ports.BaseInput:
        return RtMidiInput(name, api=self._api, client_name=self.client_name, virtual=virtual, callback=callback)

    def open_output(self, name: str, virtual: bool) -> mido.ports.BaseOutput:
        # one client per port, each with its own name: JACK's renaming of duplicates is not reliable
        number = self._outputs.setdefault(name, len(self._outputs) + 1)  # stable across reopening
        client = f"{self.client_name}-out" + (str(number) if number > 1 else "")
        return RtMidiOutput(name, api=self._api, client_name=client, virtual=virtual)

    def input_names(self) -> list[str]:
        if self._jack_socket and not os.path.exists(self._jack_socket):
            raise PortError("the JACK server stopped")
        return list(self._probe_in.get_ports())

    def output_names(self) -> list[str]:
        return list(self._probe_out.get_ports())

    def close(self) -> None:
        for probe in (self._probe_in, self._probe_out):
            if probe is not None:
                probe.delete()
        self._probe_in = self._probe_out = None


def choose_backend(setting: str, platform: str = sys.platform) -> tuple[str | None, str]:
    """The API to use for ``midi_backend``, or None and the reason why MIDI is off (OSC still works)."""
    if setting == "none":
        return None, "midi_backend = none"
    infos = {info.api: info for info in list_backends()}
    if setting != "auto":
        info = next((i for i in infos.values() if backend_key(i) == setting), None)
        if info is None:
            return None, (f"this python-rtmidi has no {setting} support (it has: "
                          f"{', '.join(backend_key(i) for i in infos.values()) or 'none'}); choose another midi_backend")
        if not info.usable:
            return None, f"{setting} is not available: {info.error}; fix: {info.fix}"
        return setting, ""
    order = auto_order(platform)
    reasons = []
    for key in order:
        info = next((i for i in infos.values() if backend_key(i) == key), None)
        if info is not None and info.usable:
            return key, ""
        reasons.append(f"{key}: {info.error + '; fix: ' + info.fix if info else 'not built into python-rtmidi'}")
    return None, "no MIDI system is available (" + " | ".join(reasons) + ")"


HINTS = {key: _HINTS.get(key, "check the MIDI system of this computer") for key in _APIS}


def auto_order(platform: str = sys.platform) -> list[str]:
    """The MIDI systems ``midi_backend = "auto"`` tries, in order."""
    return {"darwin": ["coremidi"], "win32": ["winmm"]}.get(platform, ["jack", "alsa"])


def backend_key(info: BackendInfo) -> str:
    """The ``midi_backend`` value that names ``info``'s system (jack, alsa, coremidi, winmm)."""
    constant = info.name.rpartition("/")[2]
    return next((key for key, value in _APIS.items() if value == constant), constant.lower())


def describe_plan(settings) -> str:
    """What `continuo serve` would open with ``settings``, or why MIDI would be off."""
    from bridge.midi.mapping import midi_config

    config = midi_config(settings)
    api, why = choose_backend(settings.midi_backend)
    if api is None:
        return f"continuo serve: MIDI off: {why}"
    outs = [config.out_port] + ([config.part_port(p) for p in config.part_channels] if config.port_per_part else [])
    kind = "virtual ports" if config.virtual else "existing ports opened by name"
    return (f"continuo serve: {api}, {kind}: in {config.in_port!r}, out "
            + ", ".join(repr(o) for o in outs))
