"""Secure defaults: loopback unless allowed, source allowlist, per-client rate limit."""

from __future__ import annotations

import socket
import time

import pytest

from bridge.client import Client
from bridge.osc.packets import encode_message
from bridge.osc.server import OscServer
from bridge.settings import load_settings


def test_default_bind_is_loopback_only(app) -> None:
    assert app.osc.udp.getsockname()[0] == "127.0.0.1"
    assert app.osc.tcp.getsockname()[0] == "127.0.0.1"


@pytest.mark.parametrize(
    "source, admitted",
    [("192.168.1.7", True), ("192.168.2.7", False), ("10.0.0.1", False), ("127.0.0.1", True), ("::1", True)],
)
def test_allow_list_decides_who_is_heard(source: str, admitted: bool) -> None:
    settings = load_settings(env={}, flags={"host": "0.0.0.0", "allow": "192.168.1.0/24"})
    server = OscServer(settings, lambda packet, peer: None)
    assert server._admit(source) is admitted


def test_open_bind_with_allow_list_still_serves_this_computer(start_app) -> None:
    app = start_app(host="0.0.0.0", allow="192.0.2.200")
    assert app.osc.udp.getsockname()[0] == "0.0.0.0"
    with Client(port=app.osc.port) as client:
        assert client.ping()


def test_rate_limit_drops_and_counts_a_flood_then_recovers(start_app) -> None:
    app = start_app(rate_limit_per_second=50)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.5)
    ping = encode_message("/continuo/ping", [])
    try:
        for _ in range(500):
            sock.sendto(ping, ("127.0.0.1", app.osc.port))
        replies = 0
        try:
            while True:
                sock.recv(1024)
                replies += 1
        except TimeoutError:
            pass
        assert 40 <= replies <= 120  # the burst allowance, not the flood
        assert app.osc._limiter.dropped >= 100  # counted (the kernel may drop some of the flood first)
        assert app.status()["rate_limited"] == app.osc._limiter.dropped
        time.sleep(1.0)
        sock.sendto(ping, ("127.0.0.1", app.osc.port))
        assert sock.recv(1024).startswith(b"/continuo/pong")
    finally:
        sock.close()
