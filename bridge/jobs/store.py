"""Finished results kept in memory, newest last and bounded, so /continuo/play can find them later."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping

from bridge.errors import InvalidRequest
from models.types import Result


class ResultStore:
    """Job name → its results; the oldest job is forgotten when more than ``max_jobs`` are kept."""

    def __init__(self, max_jobs: int):
        self._max_jobs = max_jobs
        self._results: OrderedDict[str, list[Result]] = OrderedDict()
        self._programs: dict[str, dict[str, int]] = {}
        self._lock = threading.Lock()

    def put(self, job: str, results: list[Result], programs: Mapping[str, int] | None = None) -> None:
        """Keep ``job``'s results and the programs its parts play with (a preset's; none: their own)."""
        with self._lock:
            self._results.pop(job, None)
            self._results[job] = list(results)
            self._programs[job] = dict(programs or {})
            while len(self._results) > self._max_jobs:
                forgotten, _ = self._results.popitem(last=False)
                self._programs.pop(forgotten, None)

    def programs(self, job: str) -> dict[str, int]:
        """The programs kept with ``job`` (empty when it is not kept or had none)."""
        with self._lock:
            return dict(self._programs.get(job, {}))

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
