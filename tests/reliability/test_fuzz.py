"""Fuzzing the OSC front end with a fixed seed: well-typed but wrong requests (hypothesis), and random
and mutated datagrams and TCP frames. Over 100,000 inputs; afterwards the server still answers
ping and every accepted job has ended exactly once."""

from __future__ import annotations

import random
import struct
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.client import Client
from bridge.osc.packets import encode_message
from bridge.osc.server import Peer
from bridge.requests import KEYS
from tests.bridge.fakes import load_fake

pytestmark = pytest.mark.slow

SEEDS = [
    encode_message("/continuo/ping", []),
    encode_message("/continuo/status", []),
    encode_message("/continuo/clip/set", ["tune", 60, 0.0, 1.0, 90, 64, 1.0, 0.5, 100]),
    encode_message("/continuo/clip/append", ["tune", 67, 2.0, 2.0, 80]),
    encode_message("/continuo/clip/clear", ["gone"]),
    encode_message("/continuo/cancel", ["nojob"]),
    encode_message("/continuo/generate", ["fz", "chords", "C | G", "bars", 2, "parts", "bass"]),
    encode_message("/continuo/generate", ["fz2", "task", "harmonize", "melody", "tune", "tempo", 90.5]),
    b"#bundle\x00" + b"\x00" * 8 + struct.pack(">i", 20) + encode_message("/continuo/ping", []),
]


class RecordingPeer(Peer):
    """Collects replies in memory, in order."""

    name = "fuzz"

    def __init__(self) -> None:
        self.replies: list[tuple[str, tuple]] = []
        self._lock = threading.Lock()

    def send(self, address: str, *args: object) -> None:
        with self._lock:
            self.replies.append((address, args))


def mutate(rng: random.Random, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        action = rng.randrange(6)
        at = rng.randrange(len(data) + 1)
        if action == 0 and data:  # flip a byte
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif action == 1:  # insert bytes
            data[at:at] = rng.randbytes(rng.randint(1, 8))
        elif action == 2:  # delete a span
            del data[at : at + rng.randint(1, 8)]
        elif action == 3:  # truncate
            del data[at:]
        elif action == 4:  # a 32-bit size field set to something hostile
            data[at : at + 4] = struct.pack(">i", rng.choice([0, -4, -1, 2**31 - 1, 8, 4096]))
        else:  # duplicate a span
            data[at:at] = data[at : at + rng.randint(1, 32)]
    return bytes(data)


def random_inputs(rng: random.Random, count: int):
    for index in range(count):
        if index % 4 == 0:
            yield rng.randbytes(rng.randint(0, 64))
        else:
            yield mutate(rng, rng.choice(SEEDS))


def _wait_until_idle(app, deadline_seconds: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        status = app.status()
        if status["queued"] == 0 and not status["running"] and status["accepted"] == status["done"] + status["failed"]:
            return
        time.sleep(0.1)
    raise AssertionError(f"jobs did not all end: {app.status()}")


@pytest.fixture
def fuzz_app(start_app):
    app = start_app(loader=load_fake, queue_size=32, rate_limit_per_second=1e6)
    app.clips.set("tune", [])
    return app


def test_random_and_mutated_packets_in_process(fuzz_app) -> None:
    """90,000 packets straight into the router (the same code the network threads call)."""
    rng = random.Random(20261121)
    peer = RecordingPeer()
    for packet in random_inputs(rng, 90_000):
        fuzz_app.router.handle_packet(packet, peer)
    _wait_until_idle(fuzz_app)
    assert len(peer.replies) >= 90_000 * 0.9  # nearly every packet got an answer
    internal = [args for a, args in peer.replies if a == "/continuo/error" and args[1] == "internal"]
    assert not internal, internal[:5]
    ends = [a for a, args in peer.replies if a in ("/continuo/done", "/continuo/error")]
    accepted = sum(1 for a, _ in peer.replies if a == "/continuo/accepted")
    status = fuzz_app.status()
    assert status["accepted"] == accepted == status["done"] + status["failed"]
    assert ends
    with Client(port=fuzz_app.osc.port) as client:
        assert client.ping()


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_random_and_mutated_packets_over_the_network(fuzz_app, transport: str) -> None:
    rng = random.Random(7 if transport == "udp" else 8)
    count = 6_000
    with Client(port=fuzz_app.osc.port, transport=transport) as client:
        for index, packet in enumerate(random_inputs(rng, count)):
            if transport == "tcp" and len(packet) > 60_000:
                continue
            client.send_raw(packet)
            if index % 100 == 0:  # a ping answered also means the kernel's UDP buffer was drained
                assert client.ping(timeout=10)
        assert client.ping(timeout=10)
    _wait_until_idle(fuzz_app)
    if transport == "udp":  # the flood reached the server (the kernel may drop part of a burst first)
        assert fuzz_app.status()["received"] > count // 2


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40)
VALUE = st.one_of(
    st.integers(-(2**31), 2**31 - 1), st.floats(width=32), TEXT,
    st.sampled_from(["accompany", "harmonize", "continue", "C | G", "bass,keys", "4/4", "tune", "7/8"]),
)


@settings(max_examples=3000, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    pairs=st.lists(st.tuples(st.one_of(st.sampled_from(list(KEYS)), TEXT), VALUE), max_size=6),
    address=st.sampled_from(["/continuo/generate", "/continuo/clip/set", "/continuo/clip/append",
                             "/continuo/cancel", "/continuo/clip/clear"]),
    job=TEXT,
)
def test_well_typed_but_wrong_requests(fuzz_app, pairs, address, job) -> None:
    peer = RecordingPeer()
    flat: list[object] = [job]
    for key, value in pairs:
        flat.extend((key, value))
    fuzz_app.router.handle_packet(encode_message(address, flat), peer)
    assert peer.replies, "every request gets an answer"
    address_back, args = peer.replies[0]
    if address_back == "/continuo/error":
        assert len(args) == 3 and args[2], "errors say what was wrong"
        if args[1] == "internal":
            pytest.fail(f"unhandled: {args}")
