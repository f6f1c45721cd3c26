"""`continuo doctor`: checks of this computer, each with the fix when it fails."""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

from bridge.settings import Settings

PING_SECONDS = 2.0


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _python() -> Check:
    ok = sys.version_info >= (3, 11)
    return Check("python", ok, sys.version.split()[0], "install Python 3.11 or newer")


def _torch(settings: Settings) -> Check:
    try:
        import torch
    except ImportError as err:
        return Check("torch", False, f"cannot import torch ({err})",
                     "run the set-up command from the README again (it installs torch)")
    if torch.cuda.is_available():
        names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
        return Check("torch", True, f"torch {torch.__version__}, CUDA {torch.version.cuda}: {names}")
    detail = f"torch {torch.__version__}, no CUDA GPU: the model runs on the CPU"
    if settings.device.startswith("cuda"):
        return Check("torch", False, detail + f", but device is set to {settings.device!r}",
                     "set device = \"auto\" or \"cpu\", or install a CUDA build of torch and a driver")
    return Check("torch", True, detail)


def _model(settings: Settings) -> Check:
    from models.registry import load_generator

    started = time.perf_counter()
    try:
        generator = load_generator(settings.model, device=settings.device)
    except Exception as err:
        return Check("model", False, f"{settings.model!r} does not load: {err}",
                     "set model to one of the bundled models (see docs/models.md) or reinstall")
    return Check("model", True, f"{generator.name} on {generator.device}, loaded in {time.perf_counter() - started:.2f} s")


def _midi(settings: Settings) -> list[Check]:
    """The MIDI system `serve` would use; the others are named, but fail only when none works."""
    from bridge.midi import ports

    infos = ports.list_backends()
    if settings.midi_backend == "none":
        return [Check("midi", True, "off (midi_backend = none): OSC only")]
    wanted = [i for i in infos if ports.backend_key(i) == settings.midi_backend] if settings.midi_backend != "auto" \
        else [i for key in ports.auto_order() for i in infos if ports.backend_key(i) == key]
    used = next((i for i in wanted if i.usable), None)
    if used is None:
        tried = wanted or infos
        reasons = "; ".join(f"{i.api}: {i.error}" for i in tried) or "python-rtmidi has no MIDI system"
        fixes = " or ".join(i.fix for i in tried if i.fix) or "install python-rtmidi with a MIDI system"
        return [Check("midi", False, f"no MIDI system works ({reasons})", f"{fixes} (OSC works without MIDI)")]
    checks = [Check("midi", True, f"{used.api}, in use: {len(used.inputs)} input(s), {len(used.outputs)} output(s)")]
    for info in infos:
        if info is not used:
            checks.append(Check(f"midi {info.api}", True, f"not used ({used.api} is): "
                                + (info.error if not info.usable else "available")))
    return checks


def _soundfont(settings: Settings) -> Check:
    """Which SoundFont renders General MIDI parts, or how to install one (the sketch instruments need none)."""
    from bridge.errors import SoundfontError
    from bridge.render import soundfont

    try:
        found = soundfont.find_soundfont(settings.soundfont)
    except SoundfontError as err:
        return Check("soundfont", False, str(err), soundfont.INSTALL_HINT)
    if found is None:
        return Check("soundfont", True, "none found: parts render on the built-in sketch instruments; for General "
                     f"MIDI sounds {soundfont.INSTALL_HINT}")
    return Check("soundfont", True, f"{found}: General MIDI parts render with it")


def _timing() -> Check:
    """Whether the MIDI sending thread can get real-time priority (what keeps its timing tight under load)."""
    from bridge.midi.scheduler import RT_PRIORITY

    if not hasattr(os, "sched_setscheduler"):
        return Check("midi timing", True, "real-time priority is not used on this system")
    result: list[str] = []

    def probe() -> None:  # on a throwaway thread: the calling thread keeps its priority
        try:
            os.sched_setscheduler(threading.get_native_id(), os.SCHED_FIFO, os.sched_param(RT_PRIORITY))
        except OSError as err:
            result.append(err.strerror or str(err))

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    if result:
        return Check("midi timing", False,
                     f"no real-time priority for the MIDI sender ({result[0]}): sends can be late by a few ms "
                     "while the computer is busy",
                     "allow real-time priority: add yourself to the audio group with an rtprio limit "
                     "(@audio - rtprio 95 in /etc/security/limits.d/audio.conf), then log in again")
    return Check("midi timing", True, f"the MIDI sender can run at real-time priority {RT_PRIORITY}")


def _ports(settings: Settings) -> list[Check]:
    checks = []
    daemon: list[str | None] = []  # asked once: the version of a continuo daemon on the port, or None
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        label = "UDP" if kind == socket.SOCK_DGRAM else "TCP"
        family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
        with socket.socket(family, kind) as sock:
            try:
                sock.bind((settings.host, settings.port))
            except OSError as err:
                if not daemon:
                    daemon.append(_daemon_version(settings))
                if daemon[0] is not None:
                    checks.append(Check(f"osc {label} port {settings.port}", True,
                                        f"a continuo daemon (version {daemon[0]}) is already listening on "
                                        f"{_reachable(settings.host)}"))
                    continue
                checks.append(Check(f"osc {label} port {settings.port}", False, err.strerror or str(err),
                                    "stop the program using it (another continuo?) or choose --port"))
                continue
        checks.append(Check(f"osc {label} port {settings.port}", True, f"free on {settings.host}"))
    return checks


def _reachable(host: str) -> str:
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


def _daemon_version(settings: Settings) -> str | None:
    """The version a continuo daemon on the port answers /continuo/ping with (over TCP, which answers on
    the same connection), or None when what holds the port is not one."""
    from bridge.client import Client

    try:
        with Client(_reachable(settings.host), settings.port, transport="tcp") as client:
            return str(client.ping(timeout=PING_SECONDS))
    except (OSError, TimeoutError, IndexError):
        return None


def _output(settings: Settings) -> Check:
    folder = settings.output_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
    except OSError as err:
        return Check("output folder", False, f"{folder}: {err.strerror or err}",
                     "choose a writable folder with --output-dir or output_dir in the config")
    free = os.statvfs(folder)
    free_mb = free.f_bavail * free.f_frsize // (1 << 20)
    if free_mb < 100:
        return Check("output folder", False, f"{folder}: only {free_mb} MB free", "free some disk space")
    return Check("output folder", True, f"{folder} is writable, {free_mb} MB free")


def run_checks(settings: Settings) -> list[Check]:
    """Run every check; none raises."""
    return [_python(), _torch(settings), _model(settings), *_midi(settings), _timing(), *_ports(settings),
            _output(settings), _soundfont(settings)]
