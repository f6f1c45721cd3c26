"""The job engine: generate jobs queued and run one at a time in a model worker process it restarts.

Every accepted job ends exactly once, in a result or an error: ``Job.fail`` and ``Job.succeed`` let
only the first ending through, whatever races (cancel, timeout, crash, shutdown) happen.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bridge.errors import (
    ContinuoError,
    InternalError,
    InvalidRequest,
    JobCancelled,
    JobTimeout,
    ModelError,
    ShuttingDown,
    WorkerCrashed,
)
from bridge.jobs.supervisor import Child, Once, Supervisor
from bridge.jobs.worker import Loader, load_default, worker_main
from bridge.settings import Settings
from models.types import Request, Result

log = logging.getLogger(__name__)

CANCEL_GRACE_SECONDS = 2.0
LOAD_TIMEOUT_SECONDS = 300.0
POLL_SECONDS = 0.05


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
    stop_reason: ContinuoError | None = None
    _once: Once = field(default_factory=Once, repr=False)

    @property
    def ended(self) -> bool:
        return self._once.ended

    def fail(self, error: ContinuoError) -> None:
        if self._once.claim():
            self.on_error(self, error)

    def succeed(self, results: list[Result]) -> None:
        if not self._once.claim():
            return
        try:
            self.on_result(self, results)
        except ContinuoError as err:
            self.on_error(self, err)
        except Exception as err:  # a bug in what takes the result, not a model failure
            log.exception("delivering job %s failed", self.id)
            self.on_error(self, InternalError(f"internal error ({type(err).__name__}) while delivering the "
                                              "result; see the continuo log"))


class JobEngine(Supervisor[Job]):
    """Queues jobs and runs them one by one in the worker process."""

    refuse_hint = "wait for one to finish, cancel one"

    def __init__(self, settings: Settings, loader: Loader = load_default):
        super().__init__(settings.queue_size, "job-supervisor")
        self.settings = settings
        self._loader = loader
        self._context = multiprocessing.get_context("spawn")
        self._cancel = self._context.Event()
        self._worker: Child | None = None
        self.model_state = "not started"
        self.model_name = settings.model
        self.device = settings.device
        self.worker_restarts = 0
        self._started_at = 0.0
        self._backoff = 0.0

    # -- public API, called from network threads ---------------------------------------------

    def cancel(self, job_id: str) -> None:
        with self._cond:
            job = self._take(job_id)
            if job is None:
                job = self._running if self._running and self._running.id == job_id else None
                if job is None:
                    raise InvalidRequest(f"no job named {job_id!r} is queued or running")
                job.stop_reason = JobCancelled(f"job {job_id!r} was cancelled")
                self._cancel.set()
                self._cond.notify_all()
                return
        job.fail(JobCancelled(f"job {job_id!r} was cancelled before it started"))

    def status(self) -> dict[str, object]:
        queued, running = self.queue_status()
        worker = self._worker
        return {
            "queued": queued,
            "running": running,
            "model": self.model_name,
            "model_state": self.model_state,
            "device": self.device,
            "worker_restarts": self.worker_restarts,
            "worker_pid": worker.pid if worker is not None else 0,
        }

    def stop(self) -> None:
        """Refuse new jobs, end queued and running ones with a shutdown error, stop the worker."""
        super().stop(join_seconds=CANCEL_GRACE_SECONDS + 3)

    # -- supervisor hooks ------------------------------------------------------------------------

    def _fail(self, job: Job, error: ContinuoError) -> None:
        job.fail(error)

    def _stop_running(self, job: Job) -> None:
        job.stop_reason = ShuttingDown("continuo is shutting down; the job was stopped")
        self._cancel.set()

    def _begin(self) -> None:
        self._start_worker()

    def _stopped(self) -> None:
        self._stop_worker()

    def _idle(self) -> None:
        """Between jobs: take load notices, notice a dead worker."""
        worker = self._worker
        if worker is None or not worker.alive():
            # a worker that dies at start (a broken install) is retried with growing pauses
            if not self._stopping and time.monotonic() - self._started_at > self._backoff:
                self._backoff = min(self._backoff * 2 + 1.0, 30.0)
                log.warning("the model worker is not running; starting it again")
                self.worker_restarts += 1
                self._start_worker()
            return
        while True:
            kind, message = worker.receive(timeout=0)
            if kind != "message":
                return
            self._on_message(message, None)

    def _run(self, job: Job) -> None:
        if self._worker is None or not self._worker.alive():
            self._start_worker()
        worker = self._worker
        assert worker is not None
        self._cancel.clear()
        if job.stop_reason is not None:  # cancelled between dequeue and start
            job.fail(job.stop_reason)
            return
        if not worker.send(("run", job.id, job.request)):
            self._restart_worker()
            job.fail(WorkerCrashed("the model worker could not take the job; it has been restarted, "
                                   "send the job again"))
            return
        deadline = time.monotonic() + LOAD_TIMEOUT_SECONDS
        stop_sent_at: float | None = None
        while not job.ended:
            kind, message = worker.receive(timeout=POLL_SECONDS)
            if kind == "ended":
                self._crashed(job)
                return
            if kind == "message":
                if message[0] == "started":
                    deadline = time.monotonic() + self.settings.job_timeout_seconds
                self._on_message(message, job)
                continue
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
        s = self.settings
        self._worker = Child(self._context, worker_main, (self._cancel, s.model, s.device, s.log_level, self._loader),
                             name="continuo-model")
        self.model_state = "loading"
        self._started_at = time.monotonic()
        self._worker.send(("load",))
        log.info("model worker started (pid %d)", self._worker.pid)

    def _restart_worker(self) -> None:
        self.worker_restarts += 1
        self._stop_worker(kill=True)
        if not self._stopping:
            self._start_worker()

    def _stop_worker(self, kill: bool = False) -> None:
        worker, self._worker = self._worker, None
        if worker is None:
            return
        if kill:
            worker.kill()
        else:
            worker.close(grace_seconds=2.0)
        self.model_state = "stopped"
