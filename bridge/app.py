"""Wiring and lifecycle of the daemon: services, the job pipeline, OSC handlers, the MIDI trigger; start, stop, signals."""

from __future__ import annotations

import logging
import os
import signal
import threading

from bridge import __version__
from bridge.ableton import AbletonService
from bridge.clips import ClipStore
from bridge.errors import ConfigError
from bridge.jobs.engine import JobEngine
from bridge.jobs.pipeline import ModelCheck, Pipeline
from bridge.jobs.store import ResultStore
from bridge.jobs.worker import Loader, load_default
from bridge.midi.connection import PortFactory
from bridge.midi.service import MidiService
from bridge.osc import routes_ableton
from bridge.osc.router import Router
from bridge.osc.routes_clip import ClipHandler
from bridge.osc.routes_job import JobHandler
from bridge.osc.routes_midi import MidiHandler
from bridge.osc.routes_render import RenderHandler
from bridge.osc.routes_server import ServerHandler
from bridge.osc.server import OscServer
from bridge.render.service import RenderService
from bridge.settings import Settings

log = logging.getLogger(__name__)


class App:
    """The running daemon. ``start`` returns once the ports are bound and ping is answered."""

    def __init__(self, settings: Settings, loader: Loader = load_default, midi_ports: PortFactory | None = None):
        self.settings = settings
        self.clips = ClipStore(settings.max_clips, settings.max_clip_notes)
        self.results = ResultStore(settings.kept_results)
        self.engine = JobEngine(settings, loader)
        self.midi = MidiService(settings, self.clips, midi_ports)
        self.renders = RenderService(settings)
        self.ableton = AbletonService(settings)
        # a test's own model loader serves what it likes: the checks of the model named in the settings are off
        self.model_check = ModelCheck(settings.model) if loader is load_default else None
        self.pipeline = Pipeline(settings, self.engine, self.clips, self.results, self.midi, self.renders,
                                 self.model_check)
        midi_handler = MidiHandler(self.midi, self.results, self.pipeline)
        self.midi.on_trigger = midi_handler.on_trigger
        self.midi.on_ports = midi_handler.on_ports
        self.midi.on_control = midi_handler.on_control
        self.router = Router([*ServerHandler(self.status).routes(), *ClipHandler(self.clips).routes(),
                              *JobHandler(self.pipeline).routes(), *midi_handler.routes(),
                              *RenderHandler(settings, self.results, self.pipeline).routes(),
                              *routes_ableton.routes(self)])
        self.osc = OscServer(settings, self.router.handle_packet)
        self._stopped = threading.Event()

    def status(self) -> dict[str, object]:
        return {
            "version": __version__,
            **self.engine.status(),
            **self.pipeline.counts.snapshot(),
            "clips": len(self.clips.names()),
            "output_dir": str(self.settings.output_dir),
            **self.osc.counters(),
        }

    def start(self) -> None:
        output = self.settings.output_dir
        try:
            output.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ConfigError(
                f"cannot create the output folder {output}: {err.strerror}; choose another with --output-dir"
            ) from err
        if not os.access(output, os.W_OK):
            log.warning("output folder %s is not writable: jobs will fail until it is", output)
        try:
            self.osc.start()
        except OSError as err:
            raise ConfigError(
                f"cannot listen on {self.settings.host} port {self.settings.port}: {err.strerror}; "
                "is another continuo running? choose another with --port"
            ) from err
        self.engine.start()
        if self.model_check is not None:  # read what the model serves before the first request needs it
            threading.Thread(target=self.model_check.prepare, name="model-check", daemon=True).start()
        self.midi.start()
        self.renders.start()
        self.ableton.start()
        log.info("continuo %s ready; results go to %s", __version__, output)

    def stop(self) -> None:
        """End every job with an error reply, then close the sockets. Safe to call twice."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        log.info("stopping")
        self.ableton.stop()
        self.renders.stop()
        self.midi.stop()
        self.engine.stop()
        self.osc.stop()
        log.info("stopped")

    def run_until_signal(self) -> None:
        """Serve until SIGINT or SIGTERM."""
        stop = threading.Event()

        def on_signal(signum, frame):
            log.info("received %s", signal.Signals(signum).name)
            stop.set()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.start()
            while not stop.wait(0.5):
                pass
        finally:
            self.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
