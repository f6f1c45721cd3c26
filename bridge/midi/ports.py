"""MIDI backends and ports as mido + python-rtmidi see them, with the reason when one is unusable."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

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
