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


def _midi() -> list[Check]:
    from bridge.midi.ports import list_backends

    checks = []
    for info in list_backends():
        if info.usable:
            detail = f"{len(info.inputs)} input(s), {len(info.outputs)} output(s)"
            checks.append(Check(f"midi {info.api}", True, detail))
        else:
            checks.append(Check(f"midi {info.api}", False, info.error, info.fix + " (OSC works without MIDI)"))
    return checks


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
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        label = "UDP" if kind == socket.SOCK_DGRAM else "TCP"
        family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
        with socket.socket(family, kind) as sock:
            try:
                sock.bind((settings.host, settings.port))
            except OSError as err:
                checks.append(Check(f"osc {label} port {settings.port}", False, err.strerror or str(err),
                                    "stop the program using it (another continuo?) or choose --port"))
                continue
        checks.append(Check(f"osc {label} port {settings.port}", True, f"free on {settings.host}"))
    return checks


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
    return [_python(), _torch(settings), _model(settings), *_midi(), _timing(), *_ports(settings),
            _output(settings)]
