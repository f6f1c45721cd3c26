"""The job engine: a bounded queue, one supervisor thread and a model worker process it restarts.

Every accepted job ends exactly once, in a result or an error: ``Job.finish`` lets only the
first ending through, whatever races (cancel, timeout, crash, shutdown) happen.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import wait

from bridge.errors import (
    ContinuoError,
    DuplicateJob,
    InvalidRequest,
    JobCancelled,
    JobTimeout,
    ModelError,
    QueueFull,
    ShuttingDown,
    WorkerCrashed,
)
from bridge.jobs.worker import Loader, load_default, worker_main
from bridge.settings import Settings
from models.api import Request, Result

log = logging.getLogger(__name__)

CANCEL_GRACE_SECONDS = 2.0
LOAD_TIMEOUT_SECONDS = 300.0


@dataclass
class Job:
    """One accepted request. ``on_result`` and ``on_error`` are called exactly once in total."""

    id: str
    request: Request
    on_result: Callable[[Job, list[Result]], None]
    on_error: Callable[[Job, ContinuoError], None]
    on_progress: Callable[[Job, float], None] = lambda job, fraction: None
    on_notice: Callable[[Job, str], None] = lambda job, text: None
    accepted_at: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _ended: bool = False
    stop_reason: ContinuoError | None = None

    @property
    def ended(self) -> bool:
        return self._ended

    def _claim(self) -> bool:
        with self._lock:
            if self._ended:
                return False
            self._ended = True
            return True

    def fail(self, error: ContinuoError) -> None:
        if self._claim():
            self.on_error(self, error)

    def succeed(self, results: list[Result]) -> None:
        if not self._claim():
            return
        try:
            self.on_result(self, results)
        except ContinuoError as err:
            self.on_error(self, err)
        except Exception as err:
            log.exception("delivering job %s failed", self.id)
            self.on_error(self, ModelError(f"the result could not be delivered: {err}"))


class JobEngine:
    """Queues jobs and runs them one by one in the worker process."""

    def __init__(self, settings: Settings, loader: Loader = load_default):
        self.settings = settings
        self._loader = loader
        self._context = multiprocessing.get_context("spawn")
        self._cancel = self._context.Event()
        self._queue: deque[Job] = deque()
        self._running: Job | None = None
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._process = None
        self._conn = None
        self.model_state = "not started"
        self.model_name = settings.model
        self.device = settings.device
        self.worker_restarts = 0
        self._started_at = 0.0
        self._backoff = 0.0

    # -- public API, called from network threads ---------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._supervise, name="job-supervisor", daemon=True)
        self._thread.start()

    def submit(self, job: Job, on_accepted: Callable[[], None] = lambda: None) -> None:
        """Queue ``job`` or raise (queue full, name in use, shutting down); never blocks.

        ``on_accepted`` runs before the job can start, so its reply always comes first.
        """
        with self._cond:
            if self._stopping:
                raise ShuttingDown("continuo is shutting down; send the job again after it restarts")
            if any(j.id == job.id for j in self._active()):
                raise DuplicateJob(f"job {job.id!r} is already queued or running; use another job name or cancel it")
            if len(self._queue) >= self.settings.queue_size:
                raise QueueFull(
                    f"{len(self._queue)} jobs are already waiting (queue_size {self.settings.queue_size}); "
                    "wait for one to finish, cancel one, or raise queue_size"
                )
            on_accepted()
            self._queue.append(job)
            self._cond.notify_all()

    def cancel(self, job_id: str) -> None:
        with self._cond:
            for job in self._queue:
                if job.id == job_id:
                    self._queue.remove(job)
                    break
            else:
                job = self._running if self._running and self._running.id == job_id else None
                if job is None:
                    raise InvalidRequest(f"no job named {job_id!r} is queued or running")
                job.stop_reason = JobCancelled(f"job {job_id!r} was cancelled")
                self._cancel.set()
                self._cond.notify_all()
                return
        job.fail(JobCancelled(f"job {job_id!r} was cancelled before it started"))

    def status(self) -> dict[str, object]:
        with self._cond:
            return {
                "queued": len(self._queue),
                "running": self._running.id if self._running else "",
                "model": self.model_name,
                "model_state": self.model_state,
                "device": self.device,
                "worker_restarts": self.worker_restarts,
                "worker_pid": self._process.pid if self._process is not None else 0,
            }

    def stop(self) -> None:
        """Refuse new jobs, end queued and running ones with a shutdown error, stop the worker."""
        with self._cond:
            self._stopping = True
            waiting, self._queue = list(self._queue), deque()
            if self._running is not None:
                self._running.stop_reason = ShuttingDown("continuo is shutting down; the job was stopped")
                self._cancel.set()
            self._cond.notify_all()
        for job in waiting:
            job.fail(ShuttingDown("continuo is shutting down; the job did not start"))
        if self._thread is not None:
            self._thread.join(timeout=CANCEL_GRACE_SECONDS + 3)
        self._stop_worker()

    # -- supervisor thread ---------------------------------------------------------------------

    def _active(self) -> list[Job]:
        return list(self._queue) + ([self._running] if self._running else [])

    def _supervise(self) -> None:
        self._start_worker()
        while True:
            with self._cond:
                if not self._queue and not self._stopping:
                    self._cond.wait(timeout=0.2)
                if self._stopping:
                    return
                job = self._queue.popleft() if self._queue else None
                self._running = job
            if job is None:
                self._drain_idle()
                continue
            try:
                self._run(job)
            except Exception as err:  # keep the supervisor alive whatever happens
                log.exception("job %s: engine failure", job.id)
                job.fail(ModelError(f"internal error: {err}"))
            finally:
                with self._cond:
                    self._running = None

    def _drain_idle(self) -> None:
        """Between jobs: take load notices, notice a dead worker."""
        if self._conn is None or self._process is None or not self._process.is_alive():
            # a worker that dies at start (a broken install) is retried with growing pauses
            if not self._stopping and time.monotonic() - self._started_at > self._backoff:
                self._backoff = min(self._backoff * 2 + 1.0, 30.0)
                log.warning("the model worker is not running; starting it again")
                self.worker_restarts += 1
                self._start_worker()
            return
        while self._conn.poll():
            try:
                self._on_message(self._conn.recv(), None)
            except (EOFError, OSError):
                return

    def _run(self, job: Job) -> None:
        if self._process is None or not self._process.is_alive():
            self._start_worker()
        self._cancel.clear()
        if job.stop_reason is not None:  # cancelled between dequeue and start
            job.fail(job.stop_reason)
            return
        try:
            self._conn.send(("run", job.id, job.request))
        except (OSError, ValueError) as err:
            self._restart_worker()
            job.fail(WorkerCrashed(f"the model worker could not take the job: {err}"))
            return
        deadline = time.monotonic() + LOAD_TIMEOUT_SECONDS
        stop_sent_at: float | None = None
        while not job.ended:
            ready = wait([self._conn, self._process.sentinel], timeout=0.05)
            if self._conn in ready or (ready and self._conn.poll()):
                try:
                    message = self._conn.recv()
                except (EOFError, OSError):
                    message = None
                if message is None:
                    self._crashed(job)
                    return
                if message[0] == "started":
                    deadline = time.monotonic() + self.settings.job_timeout_seconds
                self._on_message(message, job)
                continue
            if self._process.sentinel in ready:
                self._crashed(job)
                return
            now = time.monotonic()
            if job.stop_reason is None and now > deadline:
                job.stop_reason = JobTimeout(
                    f"job {job.id!r} took longer than job_timeout_seconds ({self.settings.job_timeout_seconds:g} s)"
                )
                self._cancel.set()
            if job.stop_reason is not None:
                stop_sent_at = stop_sent_at or now
                if now - stop_sent_at > CANCEL_GRACE_SECONDS:
                    log.warning("job %s: the worker did not stop in time; restarting it", job.id)
                    self._restart_worker()
                    job.fail(job.stop_reason)
                    return

    def _on_message(self, message: tuple, job: Job | None) -> None:
        kind = message[0]
        if kind == "loaded":
            self._backoff = 0.0
            self.model_state, self.model_name, self.device = "ready", message[1], message[2]
            log.info("model %s ready on %s", message[1], message[2])
            return
        if kind == "load_failed":
            self.model_state = "failed"
            log.error("%s", message[1])
            return
        if job is None or message[1] != job.id:
            log.debug("ignoring a late worker message %r", kind)
            return
        if kind == "progress":
            if job.stop_reason is None:
                job.on_progress(job, message[2])
        elif kind == "notice":
            job.on_notice(job, message[2])
        elif kind == "result":
            if job.stop_reason is not None:
                job.fail(job.stop_reason)
            else:
                job.succeed(message[2])
        elif kind == "cancelled":
            job.fail(job.stop_reason or JobCancelled(f"job {job.id!r} was cancelled"))
        elif kind == "error":
            _, _, code, text = message
            error = InvalidRequest(text) if code == "bad_request" else ModelError(text)
            job.fail(error)

    def _crashed(self, job: Job) -> None:
        log.error("the model worker died while running job %s; restarting it", job.id)
        self._restart_worker()
        job.fail(job.stop_reason or WorkerCrashed(
            f"the model worker crashed while running job {job.id!r}; it has been restarted, send the job again"
        ))

    # -- worker process ------------------------------------------------------------------------

    def _start_worker(self) -> None:
        parent, child = self._context.Pipe()
        self._process = self._context.Process(
            target=worker_main,
            args=(child, self._cancel, self.settings.model, self.settings.device, self.settings.log_level,
                  self._loader),
            name="continuo-model",
            daemon=True,
        )
        self._process.start()
        child.close()
        self._conn = parent
        self.model_state = "loading"
        self._started_at = time.monotonic()
        self._conn.send(("load",))
        log.info("model worker started (pid %d)", self._process.pid)

    def _restart_worker(self) -> None:
        self.worker_restarts += 1
        self._stop_worker(kill=True)
        if not self._stopping:
            self._start_worker()

    def _stop_worker(self, kill: bool = False) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if process is None:
            return
        if not kill and conn is not None:
            try:
                conn.send(("stop",))
            except (OSError, ValueError):
                pass
            process.join(timeout=2.0)
        if process.is_alive():
            process.kill()
            process.join(timeout=2.0)
        if conn is not None:
            conn.close()
        self.model_state = "stopped"
