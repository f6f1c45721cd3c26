"""The model worker process: keeps the model loaded and runs one request at a time.

It talks to the engine over a Pipe of tuples:
  engine → worker: ("load",) | ("run", job_id, request); the pipe closed: exit
  worker → engine: ("loaded", name, device) | ("load_failed", message) | ("started", job_id)
                   | ("progress", job_id, fraction) | ("notice", job_id, text)
                   | ("result", job_id, results) | ("cancelled", job_id) | ("error", job_id, code, message)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event

from bridge.logs import configure_logging
from models.types import Generator

Loader = Callable[[str, str], Generator]

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_SECONDS = 0.1


class _Cancelled(Exception):
    pass


def _is_out_of_memory(err: BaseException) -> bool:
    # torch.cuda.OutOfMemoryError (and torch.OutOfMemoryError) without importing torch here
    return type(err).__name__ == "OutOfMemoryError" or "out of memory" in str(err).lower()


def _free_accelerator_memory() -> None:
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def generate_with_fallback(generator: Generator, request, progress, notice: Callable[[str], None],
                           load_on_cpu: Callable[[], Generator]) -> list:
    """Run ``request``; on accelerator out-of-memory retry with one variation at a time, then on the CPU."""
    try:
        return generator.generate(request, progress)
    except Exception as err:
        if not _is_out_of_memory(err):
            raise
    _free_accelerator_memory()
    if request.variations > 1:
        notice(f"out of GPU memory with {request.variations} variations at once; generating them one at a time")
        try:
            results = []
            for index in range(request.variations):
                seed = None if request.seed is None else request.seed + index
                results += generator.generate(request.replace(variations=1, seed=seed), progress)
            return results
        except Exception as err:
            if not _is_out_of_memory(err):
                raise
        _free_accelerator_memory()
    notice("out of GPU memory; this job runs on the CPU instead (slower)")
    return load_on_cpu().generate(request, progress)


def load_default(model: str, device: str) -> Generator:
    from models.registry import load_generator
    from models.transformer.numpy_decoder import compiled_step_available

    generator = load_generator(model, device=device)
    compiled_step_available()  # loads the compiled decoding step now, not in the first job
    return generator


def worker_main(conn: Connection, cancel: Event, model: str, device: str, log_level: str,
                loader: Loader = load_default) -> None:
    """Entry point of the worker process; ``loader`` must be a module-level function (it is pickled)."""
    configure_logging(log_level, "worker")
    generator = None
    load_error: str | None = None

    def load():
        nonlocal generator, load_error
        try:
            generator = loader(model, device)
            load_error = None
            conn.send(("loaded", generator.name, generator.device))
        except Exception as err:
            log.exception("could not load model %r", model)
            load_error = f"could not load model {model!r}: {err}"
            conn.send(("load_failed", load_error))

    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the engine is gone
        if message[0] == "load":
            load()
            continue
        _, job_id, request = message
        if generator is None:
            load()
            if generator is None:
                conn.send(("error", job_id, "model_error", load_error))
                continue
        conn.send(("started", job_id))
        _run_job(conn, cancel, generator, job_id, request, lambda: loader(model, "cpu"))


def _run_job(conn: Connection, cancel: Event, generator: Generator, job_id: str, request,
             load_on_cpu: Callable[[], Generator]) -> None:
    """Run one request and send exactly one of result, cancelled or error."""
    last_sent = 0.0

    def progress(fraction: float) -> None:
        nonlocal last_sent
        if cancel.is_set():
            raise _Cancelled
        now = time.monotonic()
        if now - last_sent >= PROGRESS_INTERVAL_SECONDS:
            last_sent = now
            conn.send(("progress", job_id, float(fraction)))

    def notice(text: str) -> None:
        log.warning("job %s: %s", job_id, text)
        conn.send(("notice", job_id, text))

    try:
        results = generate_with_fallback(generator, request, progress, notice, load_on_cpu)
        for text in dict.fromkeys(r.info["notice"] for r in results if r.info.get("notice")):
            notice(text)  # e.g. another model wrote a style the loaded one did not learn
        conn.send(("result", job_id, results))
    except _Cancelled:
        conn.send(("cancelled", job_id))
    except ValueError as err:
        conn.send(("error", job_id, "bad_request", str(err)))
    except Exception as err:
        log.exception("job %s failed in the model", job_id)
        conn.send(("error", job_id, "model_error", f"the model failed: {type(err).__name__}: {err}"))
