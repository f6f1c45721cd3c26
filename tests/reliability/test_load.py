"""Load and soak: a sustained OSC message rate without drops, and 1,000 jobs from 8 clients with
every job accounted for and memory, threads and file descriptors stable."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from bridge.client import Client
from bridge.osc.packets import encode_message

pytestmark = pytest.mark.slow


def _rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_sustained_5000_messages_per_second_without_drops(app) -> None:
    rate, seconds = 5000, 4
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2.0)
    ping = encode_message("/continuo/ping", [])
    received = [0]

    def count() -> None:
        try:
            while True:
                sock.recv(256)
                received[0] += 1
        except (TimeoutError, OSError):
            pass

    reader = threading.Thread(target=count)
    reader.start()
    sent = 0
    started = time.perf_counter()
    while sent < rate * seconds:
        due = int((time.perf_counter() - started) * rate) + 1
        while sent < min(due, rate * seconds):
            sock.sendto(ping, ("127.0.0.1", app.osc.port))
            sent += 1
        time.sleep(0.001)
    elapsed = time.perf_counter() - started
    reader.join()
    sock.close()
    status = app.status()
    assert elapsed < seconds * 1.5, "the sender could not keep the rate; the figure would be meaningless"
    assert received[0] == sent, f"{sent - received[0]} of {sent} pings lost"
    assert status["rate_limited"] == 0 and status["inbox_full"] == 0
    # the 5 ms target is measured by bench/bench_reliability.py; here only "no pile-up"
    assert status["handle_p99_ms"] < 100


def test_1000_jobs_from_8_clients_all_accounted_and_stable(start_app) -> None:
    app = start_app(queue_size=64)
    clients = [Client(port=app.osc.port, bind_host=f"127.0.0.{10 + i}") for i in range(4)]
    clients += [Client(port=app.osc.port, transport="tcp", slip=i % 2 == 1) for i in range(4)]
    per_client = 125
    outcomes: dict[str, str] = {}
    lock = threading.Lock()
    samples: dict[str, tuple[int, int, int]] = {}
    done_count = [0]

    def run(index: int, client: Client) -> None:
        for k in range(per_client):
            job = f"s{index}-{k}"
            try:
                client.generate(job, chords="Am | F | C | G", parts="bass,keys", bars=4, seed=k, timeout=120)
                outcome = "done"
            except Exception as err:  # noqa: BLE001 - recorded and asserted on below
                outcome = f"{type(err).__name__}: {err}"
            with lock:
                outcomes[job] = outcome
                done_count[0] += 1
                if done_count[0] == 100:
                    samples["first"] = (_rss_kb(), threading.active_count(), _fds())
                if done_count[0] == 900:
                    samples["last"] = (_rss_kb(), threading.active_count(), _fds())

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    for client in clients:
        client.close()

    assert len(outcomes) == 8 * per_client
    failures = {job: why for job, why in outcomes.items() if why != "done"}
    assert not failures, list(failures.items())[:5]
    status = app.status()
    assert status["accepted"] == status["done"] == 1000 and status["failed"] == 0
    (rss_first, threads_first, fds_first), (rss_last, threads_last, fds_last) = samples["first"], samples["last"]
    assert rss_last < rss_first * 1.10, f"memory grew from {rss_first} kB to {rss_last} kB"
    assert threads_last == threads_first
    assert abs(fds_last - fds_first) <= 2
