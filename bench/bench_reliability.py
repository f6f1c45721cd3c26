"""Reliability figures: message loss and handling time under load, next to python-osc's
ThreadingOSCUDPServer in the same run; hostile-packet handling time; the cost of idle TCP clients.

    .venv/bin/python bench/bench_reliability.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pythonosc.dispatcher import Dispatcher  # noqa: E402
from pythonosc.osc_server import ThreadingOSCUDPServer  # noqa: E402

from bench.bench_osc import percentile, udp_round_trips  # noqa: E402
from bridge.app import App  # noqa: E402
from bridge.osc.packets import encode_message  # noqa: E402
from bridge.settings import load_settings  # noqa: E402
from tests.reliability.test_bad_input import CORPUS  # noqa: E402


def blast(port: int, address: str, rate: int, seconds: float) -> tuple[int, int]:
    """Send ``rate`` pings a second for ``seconds``; return (sent, replies received)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(1.5)
    received = [0]

    def count() -> None:
        try:
            while True:
                sock.recv(256)
                received[0] += 1
        except OSError:
            pass

    reader = threading.Thread(target=count)
    reader.start()
    message = encode_message(address, [])
    total = int(rate * seconds)
    sent, started = 0, time.perf_counter()
    while sent < total:
        due = min(total, int((time.perf_counter() - started) * rate) + 1)
        while sent < due:
            sock.sendto(message, ("127.0.0.1", port))
            sent += 1
        time.sleep(0.0005)
    reader.join()
    sock.close()
    return sent, received[0]


def python_osc_threading_server() -> tuple[ThreadingOSCUDPServer, int]:
    server: ThreadingOSCUDPServer

    def on_ping(client_address, address, *args):
        server.socket.sendto(encode_message("/pong", []), client_address)

    dispatcher = Dispatcher()
    dispatcher.map("/ping", on_ping, needs_reply_address=True)
    server = ThreadingOSCUDPServer(("127.0.0.1", 0), dispatcher)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(env={}, flags={"port": 0, "reply_port": 0, "output_dir": folder,
                                                "log_level": "error", "rate_limit_per_second": 1e6})
        app = App(settings)
        app.start()
        peer, peer_port = python_osc_threading_server()
        try:
            print(f"UDP ping load for {args.seconds:g} s (replies lost, handling time receipt→handled)")
            for rate in (5_000, 20_000):
                app.osc.handling_seconds.clear()
                sent, got = blast(app.osc.port, "/continuo/ping", rate, args.seconds)
                counters = app.osc.counters()
                theirs_sent, theirs_got = blast(peer_port, "/ping", rate, args.seconds)
                print(f"  {rate:>6}/s  continuo lost {100 * (sent - got) / sent:5.1f}%  "
                      f"(handling p50 {counters['handle_p50_ms']:.3f} ms, p99 {counters['handle_p99_ms']:.3f} ms)   "
                      f"python-osc threading server lost {100 * (theirs_sent - theirs_got) / theirs_sent:5.1f}%")

            print("\nhostile packets (docs/reliability.md corpus), handling time each")
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("127.0.0.1", 0))
            sock.settimeout(5)
            times = []
            for _ in range(20):
                for name, packet, _, _ in CORPUS:
                    app.osc.handling_seconds.clear()
                    sock.sendto(packet, ("127.0.0.1", app.osc.port))
                    sock.recv(65536)
                    while not app.osc.handling_seconds:  # the reply leaves just before the timing is kept
                        time.sleep(0.0001)
                    times.append(app.osc.handling_seconds[-1])
            print(f"  {len(times)} packets: p50 {percentile(times, 0.5) * 1e3:.3f} ms  "
                  f"p99 {percentile(times, 0.99) * 1e3:.3f} ms  max {max(times) * 1e3:.3f} ms (target ≤ 10 ms)")
            sock.close()

            print("\nping round trip with idle TCP clients connected")
            base = udp_round_trips(app.osc.port, "/continuo/ping", 2000)
            idle = [socket.create_connection(("127.0.0.1", app.osc.port)) for _ in range(60)]
            for sock in idle[:30]:
                sock.sendall(b"\xc0/continuo/pi")  # half a frame, then silence: a slow client
            loaded = udp_round_trips(app.osc.port, "/continuo/ping", 2000)
            for sock in idle:
                sock.close()
            added = (percentile(loaded, 0.99) - percentile(base, 0.99)) * 1e3
            print(f"  none: p50 {percentile(base, 0.5) * 1e3:.3f} ms p99 {percentile(base, 0.99) * 1e3:.3f} ms   "
                  f"60 idle/slow: p50 {percentile(loaded, 0.5) * 1e3:.3f} ms p99 {percentile(loaded, 0.99) * 1e3:.3f} ms"
                  f"   added at p99: {added:.3f} ms (target < 1 ms)")
        finally:
            peer.shutdown()
            app.stop()


if __name__ == "__main__":
    main()
