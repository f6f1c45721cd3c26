"""OSC latency of continuo next to python-osc's own minimal echo server, measured in the same run.

    .venv/bin/python bench/bench_osc.py [--pings 2000] [--jobs 50]

Prints p50/p99 of /continuo/ping round trips (UDP and TCP) against a python-osc
BlockingOSCUDPServer answering /ping in its handler, the ratio between them, and the
request→done latency of an 8-bar, 2-part accompany job on the bundled default model.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pythonosc.dispatcher import Dispatcher  # noqa: E402
from pythonosc.osc_server import BlockingOSCUDPServer  # noqa: E402
from pythonosc.udp_client import SimpleUDPClient  # noqa: E402

from bridge.app import App  # noqa: E402
from bridge.client import Client  # noqa: E402
from bridge.osc.packets import encode_message  # noqa: E402
from bridge.settings import load_settings  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def udp_round_trips(port: int, address: str, count: int) -> list[float]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2)
    message = encode_message(address, [])
    times = []
    for i in range(count + 50):
        started = time.perf_counter()
        sock.sendto(message, ("127.0.0.1", port))
        sock.recv(65536)
        if i >= 50:  # warm-up
            times.append(time.perf_counter() - started)
    sock.close()
    return times


def tcp_round_trips(port: int, count: int) -> list[float]:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    message = encode_message("/continuo/ping", [])
    frame = struct.pack(">I", len(message)) + message
    times = []
    for i in range(count + 50):
        started = time.perf_counter()
        sock.sendall(frame)
        header = sock.recv(4)
        (size,) = struct.unpack(">I", header)
        while size:
            size -= len(sock.recv(size))
        if i >= 50:
            times.append(time.perf_counter() - started)
    sock.close()
    return times


def python_osc_echo() -> tuple[BlockingOSCUDPServer, int]:
    replies: dict[tuple, SimpleUDPClient] = {}

    def on_ping(client_address, address, *args):
        if client_address not in replies:
            replies[client_address] = SimpleUDPClient(*client_address)
        replies[client_address].send_message("/pong", "echo")

    dispatcher = Dispatcher()
    dispatcher.map("/ping", on_ping, needs_reply_address=True)
    server = BlockingOSCUDPServer(("127.0.0.1", 0), dispatcher)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def show(name: str, times: list[float]) -> tuple[float, float]:
    p50, p99 = percentile(times, 0.5) * 1e3, percentile(times, 0.99) * 1e3
    print(f"{name:<44} p50 {p50:7.3f} ms   p99 {p99:7.3f} ms   (n={len(times)})")
    return p50, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pings", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=50)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(env={}, flags={"port": 0, "reply_port": 0, "output_dir": folder, "log_level": "warning",
                                                    "rate_limit_per_second": 1e6})
        app = App(settings)
        app.start()
        peer, peer_port = python_osc_echo()
        try:
            print("OSC round trip on loopback")
            ours = show("continuo /continuo/ping (UDP)", udp_round_trips(app.osc.port, "/continuo/ping", args.pings))
            theirs = show("python-osc BlockingOSCUDPServer /ping (UDP)", udp_round_trips(peer_port, "/ping", args.pings))
            show("continuo /continuo/ping (TCP, OSC 1.0 framing)", tcp_round_trips(app.osc.port, args.pings))
            print(f"ratio continuo / python-osc echo: p50 {ours[0] / theirs[0]:.2f}x   p99 {ours[1] / theirs[1]:.2f}x")

            while app.engine.status()["model_state"] != "ready":
                time.sleep(0.05)
            print(f"\nrequest → done, 8-bar 2-part accompany on {app.engine.status()['model']}")
            with Client(port=app.osc.port) as client:
                times = []
                for i in range(args.jobs):
                    started = time.perf_counter()
                    client.generate(f"b{i}", task="accompany", chords="Am7 | D7 | Gmaj7 | Cmaj7",
                                    parts="bass,keys", bars=8, tempo=96, seed=i)
                    times.append(time.perf_counter() - started)
            show("accompany 8 bars, bass+keys (UDP, incl. MIDI file)", times)
            print(f"mean {statistics.mean(times) * 1e3:.1f} ms")
        finally:
            peer.shutdown()
            app.stop()


if __name__ == "__main__":
    main()
