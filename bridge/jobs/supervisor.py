"""What the job engine and the render service share: a bounded queue run by one supervisor thread,
jobs that end exactly once, and the child process each job runs in, which can always be killed."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import wait
from typing import Any, Generic, Protocol, TypeVar

from bridge.errors import ContinuoError, DuplicateJob, InternalError, QueueFull, ShuttingDown

log = logging.getLogger(__name__)

IDLE_SECONDS = 0.2  # how often an idle supervisor looks after its child process


class Once:
    """Lets exactly one ending of a job through, whatever races (result, cancel, crash, shutdown)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ended = False

    @property
    def ended(self) -> bool:
        return self._ended

    def claim(self) -> bool:
        """True for the first caller only."""
        with self._lock:
            if self._ended:
                return False
            self._ended = True
            return True


class QueuedJob(Protocol):
    id: str

    @property
    def ended(self) -> bool: ...


J = TypeVar("J", bound=QueuedJob)


class Supervisor(Generic[J]):
    """Queues jobs (bounded) and runs them one at a time on a thread of their own.

    Subclasses say how a job runs (``_run``, which must end it) and how one fails (``_fail``); the
    hooks ``_idle`` (no job waiting), ``_after`` (a job is over) and ``_stopped`` (the thread is gone)
    look after their child processes. An exception escaping ``_run`` is a bug: the job ends with an
    ``internal`` error and the thread carries on.
    """

    noun = "job"  # in messages: "job", "render"
    refuse_hint = "wait for one to finish"

    def __init__(self, queue_size: int, thread_name: str):
        self._queue_size = queue_size
        self._thread_name = thread_name
        self._queue: deque[J] = deque()
        self._running: J | None = None
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._supervise, name=self._thread_name, daemon=True)
        self._thread.start()

    def submit(self, job: J, on_accepted: Callable[[], None] = lambda: None) -> None:
        """Queue ``job`` or raise (queue full, name in use, shutting down); never blocks.

        ``on_accepted`` runs before the job can start, so its reply always comes first.
        """
        noun = self.noun
        with self._cond:
            if self._stopping:
                raise ShuttingDown(f"continuo is shutting down; send the {noun} again after it restarts")
            if any(j.id == job.id for j in self._active()):
                raise DuplicateJob(f"{noun} {job.id!r} is already queued or running; use another job name"
                                   + (" or cancel it" if noun == "job" else ""))
            if len(self._queue) >= self._queue_size:
                raise QueueFull(f"{len(self._queue)} {noun}s are already waiting (queue_size {self._queue_size}); "
                                f"{self.refuse_hint}, or raise queue_size")
            on_accepted()
            self._queue.append(job)
            self._cond.notify_all()

    def queue_status(self) -> tuple[int, str]:
        """(jobs waiting, the running job's name or "")."""
        with self._cond:
            return len(self._queue), self._running.id if self._running else ""

    def stop(self, join_seconds: float) -> None:
        """Refuse new jobs, end the waiting ones with a shutdown error, stop the running one (``_stop_running``)."""
        with self._cond:
            self._stopping = True
            waiting, self._queue = list(self._queue), deque()
            if self._running is not None:
                self._stop_running(self._running)
            self._cond.notify_all()
        for job in waiting:
            self._fail(job, ShuttingDown(f"continuo is shutting down; the {self.noun} did not start"))
        if self._thread is not None:
            self._thread.join(timeout=join_seconds)
        self._stopped()

    # -- for subclasses ---------------------------------------------------------------------------

    def _run(self, job: J) -> None:
        raise NotImplementedError

    def _fail(self, job: J, error: ContinuoError) -> None:
        raise NotImplementedError

    def _stop_running(self, job: J) -> None:
        """Called under the lock when stopping with a job running: ask it to stop."""

    def _begin(self) -> None:
        """Called first on the supervisor thread (start a child process without holding up ``start``)."""

    def _idle(self) -> None:
        """Called on the supervisor thread about every IDLE_SECONDS while no job waits."""

    def _after(self, job: J) -> None:
        """Called on the supervisor thread when a job is over."""

    def _stopped(self) -> None:
        """Called by ``stop`` once the supervisor thread is gone (or given up on)."""

    def _take(self, job_id: str) -> J | None:
        """Remove and return the waiting job of that name (call under ``self._cond``)."""
        for job in self._queue:
            if job.id == job_id:
                self._queue.remove(job)
                return job
        return None

    def _active(self) -> list[J]:
        # a running job that has sent its ending frees its name: the client may use it again at once
        return list(self._queue) + ([self._running] if self._running and not self._running.ended else [])

    # -- the supervisor thread --------------------------------------------------------------------

    def _supervise(self) -> None:
        self._begin()
        while True:
            with self._cond:
                if not self._queue and not self._stopping:
                    self._cond.wait(timeout=IDLE_SECONDS)
                if self._stopping:
                    return
                job = self._running = self._queue.popleft() if self._queue else None
            if job is None:
                try:
                    self._idle()
                except Exception:  # a bug: logged, and the thread carries on
                    log.exception("%s supervisor: idle check failed", self.noun)
                continue
            try:
                self._run(job)
            except Exception as err:  # a bug: the job still ends, the thread carries on
                log.exception("%s %s: supervisor failure", self.noun, job.id)
                self._fail(job, InternalError(f"internal error ({type(err).__name__}); see the continuo log"))
            finally:
                with self._cond:
                    self._running = None
                self._after(job)


class Child:
    """A spawned child process and the parent's end of the pipe to it; ``kill`` always ends it.

    With ``own_group`` the child makes its own process group (``os.setpgrp`` first thing) and a kill
    reaches everything it started (a process pool, plugin helpers) too.
    """

    def __init__(self, context: Any, target: Callable[..., None], args: tuple, name: str,
                 own_group: bool = False, daemon: bool = True):
        parent, child = context.Pipe()
        self.process = context.Process(target=target, args=(child, *args), name=name, daemon=daemon)
        self.process.start()
        child.close()
        self.conn = parent
        self._own_group = own_group
        self._killed = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.is_alive()

    def send(self, message: object) -> bool:
        """False when the child can no longer be reached."""
        try:
            self.conn.send(message)
            return True
        except (OSError, ValueError):
            return False

    def receive(self, timeout: float) -> tuple[str, object]:
        """("message", what the child sent), ("ended", None) when it ended with nothing more to say,
        or ("waiting", None) after ``timeout`` seconds of silence."""
        ready = wait([self.conn, self.process.sentinel], timeout=timeout)
        if self.conn in ready or (ready and self.conn.poll()):  # its last words before it ended count
            try:
                return "message", self.conn.recv()
            except (EOFError, OSError):
                return "ended", None
        if self.process.sentinel in ready:
            return "ended", None
        return "waiting", None

    def close(self, grace_seconds: float = 2.0) -> None:
        """Close the pipe (the child's cue to exit), give it ``grace_seconds``, then kill it."""
        self.conn.close()
        self.process.join(timeout=grace_seconds)
        self.kill()

    def kill(self) -> None:
        # the group is killed before the process is reaped, so its id cannot have been reused
        if self._killed:
            return
        self._killed = True
        if self._own_group and hasattr(os, "killpg"):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass  # it ended, or it had not yet made its own group
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=2.0)
        self.conn.close()
