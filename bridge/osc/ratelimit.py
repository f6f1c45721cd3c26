"""Per-client rate limit: a token bucket per source address, safe across threads, bounded in memory."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

MAX_CLIENTS = 4096  # buckets kept at most; past it the least recently heard client is forgotten


class RateLimiter:
    """Allows ``per_second`` requests a second per host, in bursts of up to ``per_second``.

    A bucket left alone for a second is full again, the same as no bucket at all, so it is dropped:
    the table holds only the clients heard in the last second, and never more than ``max_clients``
    (a flood from many addresses costs each of them at most a fresh bucket, never memory).
    """

    def __init__(self, per_second: float, max_clients: int = MAX_CLIENTS):
        self._rate = per_second
        self._max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # host → (tokens, when), oldest first
        self._lock = threading.Lock()
        self._dropped = 0

    @property
    def dropped(self) -> int:
        with self._lock:
            return self._dropped

    def __len__(self) -> int:
        with self._lock:
            return len(self._buckets)

    def allow(self, host: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, then = self._buckets.pop(host, (self._rate, now))
            tokens = min(self._rate, tokens + (now - then) * self._rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            else:
                self._dropped += 1
            self._buckets[host] = (tokens, now)  # moved to the newest end
            self._evict(now)
            return allowed

    def _evict(self, now: float) -> None:
        refill_seconds = 1.0  # an empty bucket is full again after a second (burst = per_second)
        while self._buckets:
            host, (_, then) = next(iter(self._buckets.items()))
            if now - then < refill_seconds and len(self._buckets) <= self._max_clients:
                return
            del self._buckets[host]
