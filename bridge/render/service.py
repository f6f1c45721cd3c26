"""Renders for the daemon: a queue and one thread; each render runs in a child process group it can kill.

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
import signal
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.errors import (
    ContinuoError,
    DuplicateJob,
    JobTimeout,
    QueueFull,
    RenderError,
    ShuttingDown,
)
from bridge.render.presets import RenderPreset
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


def render_child_main(conn: Connection, job_id: str, midi: list[Path], preset: RenderPreset, out_dir: Path,
                      soundfont: str, jobs: int, prefixes: list[str], log_level: str, scratch: str) -> None:
    """The render process: its own process group, so a timeout kills its pool and plugins too."""
    if hasattr(os, "setpgrp"):
        os.setpgrp()
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s render %(levelname)s %(name)s: %(message)s")
    from bridge.render.stems import render_files

    try:
        songs = render_files(midi, preset, out_dir, soundfont, jobs, prefixes=prefixes or None, scratch_dir=scratch)
        conn.send(("done", songs))
    except ContinuoError as err:
        conn.send(("error", err))
    except Exception as err:
        logging.getLogger(__name__).exception("render %s failed", job_id)
        conn.send(("error", RenderError(f"rendering failed: {type(err).__name__}: {err}")))


def render_child_wait(conn: Connection, child_main: Callable[..., None], log_level: str, preload: bool) -> None:
    """A render process waiting for its job, in its own process group; ``preload``: with the libraries
    a render may need loaded first (a process started ahead of time; one started for a waiting job
    loads only what that job needs)."""
    if hasattr(os, "setpgrp"):
        os.setpgrp()
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s render %(levelname)s %(name)s: %(message)s")
    if preload:
        for module in ("bridge.render.stems", "pedalboard", "fluidsynth", "scipy.signal"):
            try:
                __import__(module)
            except ImportError:  # the render reports it, in words, if it needs the module
                pass
    try:
        args = conn.recv()
    except (EOFError, OSError, KeyboardInterrupt):  # the daemon stopped or replaced this process
        return
    child_main(conn, *args)


class RenderService:
    """Runs render jobs one at a time (each uses ``render_jobs`` processes for its parts)."""

    def __init__(self, settings: Settings, child_main: Callable[..., None] | None = None):
        """``child_main`` replaces the render process's entry point (tests; it must be module-level)."""
        self.settings = settings
        self._child_main = child_main or render_child_main
        self._context = multiprocessing.get_context("spawn")
        self._queue: deque[RenderJob] = deque()
        self._running: RenderJob | None = None
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._spare: tuple[multiprocessing.process.BaseProcess, Connection] | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="render", daemon=True)
        self._thread.start()

    def submit(self, job: RenderJob, on_accepted: Callable[[], None] = lambda: None) -> None:
        """Queue ``job`` or raise (queue full, name in use, shutting down); never blocks."""
        with self._cond:
            if self._stopping:
                raise ShuttingDown("continuo is shutting down; send the render again after it restarts")
            active = list(self._queue) + ([self._running] if self._running else [])
            if any(j.id == job.id for j in active):
                raise DuplicateJob(f"render {job.id!r} is already queued or running; use another job name")
            if len(self._queue) >= self.settings.queue_size:
                raise QueueFull(f"{len(self._queue)} renders are already waiting (queue_size "
                                f"{self.settings.queue_size}); wait for one to finish or raise queue_size")
            on_accepted()
            self._queue.append(job)
            self._cond.notify_all()

    def status(self) -> dict[str, object]:
        with self._cond:
            return {"renders_queued": len(self._queue), "rendering": self._running.id if self._running else ""}

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            waiting, self._queue = list(self._queue), deque()
            self._cond.notify_all()
        for job in waiting:
            _finish(job, error=ShuttingDown("continuo is shutting down; the render did not start"))
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        self._drop_spare()

    def _serve(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait(timeout=0.5)
                if self._stopping:
                    return
                job = self._running = self._queue.popleft()
            try:
                songs = self._run(job)
            except ContinuoError as err:
                _finish(job, error=err)
            except Exception as err:  # keep the thread alive whatever happens
                log.exception("render %s: service failure", job.id)
                _finish(job, error=RenderError(f"internal error: {err}"))
            else:
                _finish(job, songs=songs)
            finally:
                with self._cond:
                    self._running = None
                    stopping = self._stopping
                if not stopping:
                    self._prepare_spare(preload=True)

    def _prepare_spare(self, preload: bool) -> None:
        """Start a render process: ahead of time with ``preload`` (it loads the libraries while nothing
        waits), else for the job at hand."""
        if self._spare is not None or self._stopping:
            return
        try:
            parent, child = self._context.Pipe()
            process = self._context.Process(target=render_child_wait, args=(child, self._child_main,
                                                                            self.settings.log_level, preload),
                                            name="continuo-render", daemon=False)
            process.start()
            child.close()
        except Exception as err:  # out of processes or memory: the render that needs one reports it
            log.warning("could not start a render process: %s", err)
            return
        self._spare = (process, parent)

    def _take_spare(self) -> tuple[multiprocessing.process.BaseProcess, Connection]:
        """The waiting render process if it is still alive, else a new one."""
        if self._spare is not None and not self._spare[0].is_alive():
            self._drop_spare()
        self._prepare_spare(preload=False)
        if self._spare is None:
            raise RenderError("could not start a render process; the system is out of processes or memory: "
                              "close other programs and render again")
        spare, self._spare = self._spare, None
        return spare

    def _drop_spare(self) -> None:
        if self._spare is not None:
            process, conn = self._spare
            self._spare = None
            conn.close()  # the process sees the end of its pipe and exits
            process.join(timeout=2.0)
            _Group(process).kill()

    def _run(self, job: RenderJob) -> list[RenderedSong]:
        s = self.settings
        from bridge.render.stems import scratch_root

        deadline = time.monotonic() + s.render_timeout_seconds
        process, parent = self._take_spare()
        group, scratch = _Group(process), ""
        try:
            scratch = tempfile.mkdtemp(prefix="continuo-render-", dir=scratch_root())
            try:
                parent.send((job.id, job.midi, job.preset, s.output_dir, s.soundfont, s.render_jobs, job.prefixes,
                             s.log_level, scratch))
            except OSError:  # it died between the check and the job: the loop below reports the crash
                pass
            log.info("render %s started (pid %d)", job.id, process.pid)
            while True:
                ready = wait([parent, process.sentinel], timeout=POLL_SECONDS)
                ended = process.sentinel in ready
                if parent in ready or ended:
                    try:  # the answer, if the process sent one before it ended
                        kind, payload = parent.recv() if parent.poll() else ("crashed", None)
                    except (EOFError, OSError):  # it ended without answering
                        kind, payload = "crashed", None
                    if kind == "done":
                        return payload
                    if kind == "error":
                        raise payload
                    ended = True
                if ended:
                    group.kill()
                    raise RenderError(
                        f"the render process for {job.id!r} crashed (exit code {process.exitcode}): an "
                        "instrument or effect plugin most likely crashed; the daemon is fine: render again "
                        "with instrument sketch or without that plugin"
                    )
                if self._stopping:
                    raise ShuttingDown("continuo is shutting down; the render was stopped")
                if time.monotonic() > deadline:
                    raise JobTimeout(f"render {job.id!r} took longer than render_timeout_seconds "
                                     f"({s.render_timeout_seconds:g} s); a plugin may hang, or raise the limit")
        finally:
            group.kill()
            parent.close()
            if scratch:
                shutil.rmtree(scratch, ignore_errors=True)  # a killed render leaves its parts' audio there


class _Group:
    """The render process and everything it started (its pool, plugin helpers), killed together."""

    def __init__(self, process: multiprocessing.process.BaseProcess):
        self.process = process
        self._killed = False

    def kill(self) -> None:
        # the group is killed before the process is reaped, so its pid cannot have been reused
        if self._killed:
            return
        self._killed = True
        if hasattr(os, "killpg"):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass  # it ended, or it had not yet made its own group
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=2.0)


def _finish(job: RenderJob, songs: list[RenderedSong] | None = None, error: ContinuoError | None = None) -> None:
    try:
        if error is not None:
            job.on_error(job, error)
        else:
            job.on_done(job, songs or [])
    except Exception:
        log.exception("delivering render %s failed", job.id)
    finally:
        job.cleanup()
