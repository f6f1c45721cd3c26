"""A corpus of hostile OSC input over UDP and TCP: each gets a handled error; the server keeps answering."""

from __future__ import annotations

import socket
import struct
import time

import pytest

from bridge.client import Client
from bridge.osc.packets import encode_message


def _msg(address: bytes, tags: bytes, data: bytes = b"") -> bytes:
    def pad(b: bytes) -> bytes:
        return b + b"\x00" * (4 - len(b) % 4)

    return pad(address) + pad(b"," + tags) + data


def _bundle(timetag: bytes, *elements: bytes) -> bytes:
    return b"#bundle\x00" + timetag + b"".join(struct.pack(">i", len(e)) + e for e in elements)


PING = encode_message("/continuo/ping", [])
NESTED = PING
for _ in range(2000):
    NESTED = _bundle(b"\x00" * 7 + b"\x01", NESTED)

# (name, packet, expected reply address, expected error code or None)
CORPUS = [
    ("missing comma", b"/continuo/ping\x00\x00iiii\x00\x00\x00\x00", "/continuo/error", "malformed_packet"),
    ("unknown tag", _msg(b"/continuo/ping", b"Q"), "/continuo/error", "malformed_packet"),
    ("more tags than data", _msg(b"/continuo/clip/set", b"siiii", b"ab\x00\x00"), "/continuo/error", "malformed_packet"),
    ("unbalanced array", _msg(b"/continuo/ping", b"[[i]", struct.pack(">i", 1)), "/continuo/error", "malformed_packet"),
    ("string without NUL", _msg(b"/continuo/clip/set", b"s") + b"abcd", "/continuo/error", "malformed_packet"),
    ("length not multiple of 4", PING + b"\x00\x00", "/continuo/error", "malformed_packet"),
    ("non-UTF-8 address", b"/\xff\xfe\xfd\x00\x00\x00\x00", "/continuo/error", "malformed_packet"),
    ("non-UTF-8 string", _msg(b"/continuo/clip/clear", b"s", b"\xff\xfe\x00\x00"), "/continuo/error", "malformed_packet"),
    ("negative blob", _msg(b"/continuo/clip/set", b"sb", b"ab\x00\x00" + struct.pack(">i", -4)), "/continuo/error", None),
    ("blob past the end", _msg(b"/continuo/clip/set", b"sb", b"ab\x00\x00" + struct.pack(">i", 64)), "/continuo/error", "malformed_packet"),
    ("blob 2^31-1", _msg(b"/continuo/clip/set", b"sb", b"ab\x00\x00" + struct.pack(">i", 2**31 - 1)), "/continuo/error", "malformed_packet"),
    ("bundle element size 0", b"#bundle\x00" + b"\x00" * 8 + struct.pack(">i", 0), "/continuo/error", "malformed_packet"),
    ("bundle element size -4", b"#bundle\x00" + b"\x00" * 8 + struct.pack(">i", -4) + PING, "/continuo/error", "malformed_packet"),
    ("bundles nested 2000 deep", NESTED, "/continuo/error", "malformed_packet"),
    ("timetag far future", _bundle(b"\xff" * 8, PING), "/continuo/pong", None),
    ("timetag in the past", _bundle(b"\x00\x00\x00\x01\x00\x00\x00\x00", PING), "/continuo/pong", None),
    ("timetag immediately", _bundle(b"\x00" * 7 + b"\x01", PING), "/continuo/pong", None),
    ("NaN tempo", encode_message("/continuo/generate", ["j", "tempo", float("nan")]), "/continuo/error", "bad_request"),
    ("Inf bars", encode_message("/continuo/generate", ["j", "bars", float("inf")]), "/continuo/error", "bad_request"),
    ("denormal tempo", encode_message("/continuo/generate", ["j", "tempo", 1e-40]), "/continuo/error", "bad_request"),
    ("-Inf note start", encode_message("/continuo/clip/set", ["c", 60, float("-inf"), 1.0, 90]), "/continuo/error", "bad_request"),
    ("wildcard flood", b"/" + b"*" * 10 + b"x\x00\x00\x00\x00", "/continuo/error", "malformed_packet"),
    ("brace list of 5000", _msg(b"/{" + b",".join(b"a%d" % i for i in range(5000)) + b"}", b""), "/continuo/error", "malformed_packet"),
    ("empty datagram", b"", "/continuo/error", "malformed_packet"),
    ("8193 bytes", encode_message("/continuo/clip/set", ["big"] + [60, 0.0, 1.0, 90] * 511) + b"\x00" * 1, "/continuo/error", "malformed_packet"),
    ("65507 bytes of junk", b"/" + b"a" * 65506, "/continuo/error", "malformed_packet"),
]


def _expect(client: Client, address: str, code: str | None) -> None:
    got, args = client.wait_for("/continuo/error", "/continuo/pong", timeout=5)
    assert got == address, args
    if code:
        assert args[1] == code, args


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_hostile_corpus_is_answered_and_the_server_survives(start_app, transport: str) -> None:
    app = start_app()
    with Client(port=app.osc.port, transport=transport) as client:
        for name, packet, address, code in CORPUS:
            if transport == "tcp" and not packet:
                continue  # an empty TCP frame is skipped by design
            started = time.perf_counter()
            client.send_raw(packet)
            _expect(client, address, code)
            assert time.perf_counter() - started < 2.0, f"{name} took too long"
            assert client.ping() == app.status()["version"], name
    status = app.status()
    assert status["handle_p99_ms"] < 1000


def test_large_valid_datagrams_are_not_truncated(app) -> None:
    # python-osc's own server silently truncates UDP datagrams over 8192 bytes
    with Client(port=app.osc.port) as client:
        notes = [60, 0.0, 1.0, 90] * 1000  # 20 KB in one datagram
        client.send("/continuo/clip/set", "wide", *notes)
        assert client.wait_for("/continuo/clip/stored")[1] == ["wide", 1000]


def test_slip_stream_without_end_is_cut_off(start_app) -> None:
    app = start_app(packet_max_bytes=2048)
    with socket.create_connection(("127.0.0.1", app.osc.port), timeout=5) as sock:
        sock.sendall(b"\xc0/continuo/ping" + b"x" * 4096)
        data = sock.recv(65536)
        assert b"without an END byte" in data
        assert sock.recv(100) == b""


def test_hundreds_of_tcp_connections(start_app) -> None:
    app = start_app(tcp_max_connections=64)
    sockets = []
    try:
        for _ in range(300):
            sockets.append(socket.create_connection(("127.0.0.1", app.osc.port), timeout=5))
        time.sleep(0.5)
        assert app.status()["tcp_clients"] == 64
        with Client(port=app.osc.port) as client:  # UDP still answers
            assert client.ping()
    finally:
        for sock in sockets:
            sock.close()
    time.sleep(0.5)
    with Client(port=app.osc.port, transport="tcp") as client:  # and TCP once they are gone
        assert client.ping()
