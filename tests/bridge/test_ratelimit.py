"""The per-client rate limit: exact under threads, idle clients forgotten, memory bounded under floods."""

from __future__ import annotations

import socket
import threading
import time

from bridge.client import Client
from bridge.osc.packets import encode_message
from bridge.osc.ratelimit import MAX_CLIENTS, RateLimiter


def test_a_client_gets_its_burst_then_is_refused_until_the_bucket_refills() -> None:
    limiter = RateLimiter(per_second=10)
    assert [limiter.allow("a", now=100.0) for _ in range(12)] == [True] * 10 + [False] * 2
    assert limiter.allow("b", now=100.0)  # another client has its own bucket
    assert not limiter.allow("a", now=100.05) and limiter.allow("a", now=100.2)
    assert limiter.dropped == 3


def test_idle_clients_are_forgotten_and_come_back_with_a_full_bucket() -> None:
    limiter = RateLimiter(per_second=5)
    for number in range(100):
        limiter.allow(f"10.0.0.{number}", now=50.0)
    assert len(limiter) == 100
    assert limiter.allow("10.0.1.1", now=51.5)  # a second later every other bucket is full again: dropped
    assert len(limiter) == 1
    assert all(limiter.allow("10.0.0.7", now=51.5) for _ in range(5))


def test_a_flood_from_many_addresses_keeps_the_table_bounded() -> None:
    limiter = RateLimiter(per_second=50, max_clients=256)
    for number in range(10_000):  # all within one second: nothing is idle yet
        limiter.allow(f"10.{number // 65536}.{number // 256 % 256}.{number % 256}", now=7.0 + number * 1e-5)
    assert len(limiter) == 256
    assert limiter.allow("10.0.0.1", now=7.2)  # forgotten, so it starts again with a full bucket


def test_counts_stay_exact_when_many_threads_ask_at_once() -> None:
    limiter = RateLimiter(per_second=100, max_clients=64)
    allowed = [0] * 8

    def flood(index: int) -> None:
        for number in range(2000):
            if limiter.allow(f"h{(index * 2000 + number) % 300}", now=1.0):
                allowed[index] += 1

    threads = [threading.Thread(target=flood, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(allowed) + limiter.dropped == 8 * 2000
    assert len(limiter) <= 64


def test_the_daemon_keeps_the_table_bounded_under_a_flood_from_many_source_addresses(start_app) -> None:
    app = start_app(rate_limit_per_second=50)
    ping = encode_message("/continuo/ping", [])
    for number in range(5000):  # more loopback addresses (127.1.x.y) than the table holds, each from a new port
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((f"127.1.{number // 250}.{number % 250 + 1}", 0))
            sock.sendto(ping, ("127.0.0.1", app.osc.port))
    for _ in range(200):  # and many ports of one address: one client, one bucket
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            sock.sendto(ping, ("127.0.0.1", app.osc.port))
    with Client(port=app.osc.port, bind_host="127.2.0.1") as client:
        deadline = time.monotonic() + 20
        while (status := _status(client))["received"] + status["rate_limited"] < 5200:
            assert time.monotonic() < deadline, status  # the kernel may drop a few under the flood
        assert status["rate_limited"] > 0  # the many ports of one address share its bucket (a burst of 50)
        assert status["rate_limit_clients"] <= MAX_CLIENTS
        deadline = time.monotonic() + 10  # buckets idle for a second are dropped as requests come
        while (status := _status(client))["rate_limit_clients"] > 1:
            assert time.monotonic() < deadline, status


def _status(client: Client) -> dict:
    time.sleep(0.05)  # well under the client's own rate limit
    client.send("/continuo/status")
    args = client.wait_for("/continuo/status")[1]
    return dict(zip(args[0::2], args[1::2]))
