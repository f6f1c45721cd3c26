"""Finished results kept in memory, newest last and bounded, so /continuo/play can find them later."""

from __future__ import annotations

import threading
from collections import OrderedDict

from bridge.errors import InvalidRequest
from models.api import Result


class ResultStore:
    """Job name → its results; the oldest job is forgotten when more than ``max_jobs`` are kept."""

    def __init__(self, max_jobs: int):
        self._max_jobs = max_jobs
        self._results: OrderedDict[str, list[Result]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, job: str, results: list[Result]) -> None:
        with self._lock:
            self._results.pop(job, None)
            self._results[job] = list(results)
            while len(self._results) > self._max_jobs:
                self._results.popitem(last=False)

    def get(self, job: str, variation: int = 1) -> Result:
        """The result of ``job``'s ``variation`` (1-based), or InvalidRequest saying what is kept."""
        with self._lock:
            results = self._results.get(job)
            known = list(self._results)[-10:]
        if results is None:
            raise InvalidRequest(
                f"no finished job named {job!r} is kept (the last {self._max_jobs} are; recent: "
                f"{', '.join(known) or 'none yet'}); generate it first"
            )
        if not 1 <= variation <= len(results):
            raise InvalidRequest(f"job {job!r} has variations 1 to {len(results)}, not {variation}")
        return results[variation - 1]

    def names(self) -> list[str]:
        with self._lock:
            return list(self._results)
