"""Renders for the daemon: queued and run one at a time, each in a child process group that can be killed.

A plugin that segfaults or hangs takes down only that process group: the job fails at once (crash)
or at ``render_timeout_seconds`` (hang), and the daemon carries on. Each process renders one job;
the next one is started, with its libraries loaded, as soon as a render ends, so a render from the
DAW does not wait for Python to import NumPy, pedalboard, FluidSynth and SciPy.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.errors import ContinuoError, JobTimeout, RenderError, ShuttingDown
from bridge.jobs.supervisor import Child, Once, Supervisor
from bridge.logs import configure_logging
from bridge.render.specs import RenderPreset
from bridge.settings import Settings

if TYPE_CHECKING:  # the daemon imports this module at start; numpy and the synths load in the render process
    from bridge.render.stems import RenderedSong

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05


@dataclass
class RenderJob:
    """One render: MIDI files to stems in ``out_dir``; exactly one of the callbacks is called."""

    id: str
    midi: list[Path]
    preset: RenderPreset
    on_done: Callable[[RenderJob, list[RenderedSong]], None]
    on_error: Callable[[RenderJob, ContinuoError], None]
    prefixes: list[str] = field(default_factory=list)
    cleanup: Callable[[], None] = lambda: None
    _once: Once = field(default_factory=Once, repr=False)

    @property
    def ended(self) -> bool:
        return self._once.ended

    def finish(self, songs: list[RenderedSong] | None = None, error: ContinuoError | None = None) -> None:
        """The one ending: ``on_error`` with ``error``, else ``on_done``; then ``cleanup``."""
        if not self._once.claim():
            return
        try:
            if error is not None:
                self.on_error(self, error)
            else:
                self.on_done(self, songs or [])
        except Exception:
            log.exception("delivering render %s failed", self.id)
        finally:
            self.cleanup()


def render_child_main(conn: Connection, job_id: str, midi: list[Path], preset: RenderPreset, out_dir: Path,
                      soundfont: str, jobs: int, prefixes: list[str], scratch: str) -> None:
    """Render one job in the render process and send ("done", songs) or ("error", error)."""
    from bridge.render.stems import render_files

    try:
        songs = render_files(midi, preset, out_dir, soundfont, jobs, prefixes=prefixes or None, scratch_dir=scratch)
        conn.send(("done", songs))
    except ContinuoError as err:
        conn.send(("error", err))
    except Exception as err:  # an instrument, effect or library failing while it renders
        logging.getLogger(__name__).exception("render %s failed", job_id)
        conn.send(("error", RenderError(f"rendering failed: {type(err).__name__}: {err}")))


def preload_render() -> None:
    """Load what a render with the default preset uses: the render modules, pedalboard, symusic and the
    FluidSynth library. What is missing is left for the render to report, in words, if it needs it."""
    from bridge.errors import SoundfontError

    __import__("bridge.render.stems")
    __import__("bridge.render.effects")  # pedalboard
    from bridge.render.song import import_symusic_core
    from bridge.render.soundfont import load_library

    import_symusic_core()
    try:
        load_library()
    except SoundfontError:
        pass


def render_child_wait(conn: Connection, child_main: Callable[..., None], log_level: str, preload: bool) -> None:
    """A render process waiting for its job, in its own process group; ``preload``: with the libraries
    a render may need loaded first (a process started ahead of time; one started for a waiting job
    loads only what that job needs)."""
    if hasattr(os, "setpgrp"):
        os.setpgrp()  # so a timeout kills its pool and plugins too
    configure_logging(log_level, "render")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads: see bridge.render.batch.quiet_blas
    if preload:
        preload_render()
    try:
        args = conn.recv()
    except (EOFError, OSError, KeyboardInterrupt):  # the daemon stopped or replaced this process
        return
    child_main(conn, *args)


class RenderService(Supervisor[RenderJob]):
    """Runs render jobs one at a time (each uses ``render_jobs`` processes for its parts)."""

    noun = "render"

    def __init__(self, settings: Settings, child_main: Callable[..., None] | None = None):
        """``child_main`` replaces the render process's entry point (tests; it must be module-level)."""
        super().__init__(settings.queue_size, "render")
        self.settings = settings
        self._child_main = child_main or render_child_main
        self._context = multiprocessing.get_context("spawn")
        self._spare: Child | None = None

    def status(self) -> dict[str, object]:
        queued, running = self.queue_status()
        return {"renders_queued": queued, "rendering": running}

    @property
    def spare_pid(self) -> int:
        """The process id of the render process waiting for the next render, or 0 while there is none."""
        spare = self._spare
        return spare.pid if spare is not None else 0

    def stop(self) -> None:
        super().stop(join_seconds=5.0)

    # -- supervisor hooks ------------------------------------------------------------------------

    def _fail(self, job: RenderJob, error: ContinuoError) -> None:
        job.finish(error=error)

    def _after(self, job: RenderJob) -> None:
        with self._cond:
            stopping = self._stopping
        if not stopping:
            self._prepare_spare(preload=True)

    def _stopped(self) -> None:
        self._drop_spare()

    def _run(self, job: RenderJob) -> None:
        try:
            songs = self._render(job)
        except ContinuoError as err:
            job.finish(error=err)
        else:
            job.finish(songs=songs)

    # -- render processes ------------------------------------------------------------------------

    def _prepare_spare(self, preload: bool) -> None:
        """Start a render process: ahead of time with ``preload`` (it loads the libraries while nothing
        waits), else for the job at hand."""
        if self._spare is not None or self._stopping:
            return
        try:
            self._spare = Child(self._context, render_child_wait,
                                (self._child_main, self.settings.log_level, preload),
                                name="continuo-render", own_group=True, daemon=False)  # it starts a pool
        except Exception as err:  # out of processes or memory: the render that needs one reports it
            log.warning("could not start a render process: %s", err)

    def _take_spare(self) -> Child:
        """The waiting render process if it is still alive, else a new one."""
        if self._spare is not None and not self._spare.alive():
            self._drop_spare()
        self._prepare_spare(preload=False)
        if self._spare is None:
            raise RenderError("could not start a render process; the system is out of processes or memory: "
                              "close other programs and render again")
        spare, self._spare = self._spare, None
        return spare

    def _drop_spare(self) -> None:
        if self._spare is not None:
            spare, self._spare = self._spare, None
            spare.close()  # the process sees the end of its pipe and exits

    def _render(self, job: RenderJob) -> list[RenderedSong]:
        s = self.settings
        from bridge.render.stems import scratch_root

        deadline = time.monotonic() + s.render_timeout_seconds
        child = self._take_spare()
        scratch = ""
        try:
            scratch = tempfile.mkdtemp(prefix="continuo-render-", dir=scratch_root())
            # if it died since it was checked, the loop below reports the crash
            child.send((job.id, job.midi, job.preset, s.output_dir, s.soundfont, s.render_jobs, job.prefixes,
                        scratch))
            log.info("render %s started (pid %d)", job.id, child.pid)
            while True:
                kind, message = child.receive(timeout=POLL_SECONDS)
                if kind == "message":
                    answer, payload = message  # type: ignore[misc]
                    if answer == "done":
                        return payload
                    if answer == "error":
                        raise payload
                if kind != "waiting":
                    child.kill()
                    raise RenderError(
                        f"the render process for {job.id!r} crashed (exit code {child.process.exitcode}): an "
                        "instrument or effect plugin most likely crashed; the daemon is fine: render again "
                        "with instrument sketch or without that plugin"
                    )
                if self._stopping:
                    raise ShuttingDown("continuo is shutting down; the render was stopped")
                if time.monotonic() > deadline:
                    raise JobTimeout(f"render {job.id!r} took longer than render_timeout_seconds "
                                     f"({s.render_timeout_seconds:g} s); a plugin may hang, or raise the limit")
        finally:
            child.kill()
            if scratch:
                shutil.rmtree(scratch, ignore_errors=True)  # a killed render leaves its parts' audio there
