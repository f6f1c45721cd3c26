"""Server-wide addresses: ping and status."""

from __future__ import annotations

from collections.abc import Callable

from bridge import __version__
from bridge.osc.args import need
from bridge.osc.peer import Peer
from bridge.osc.router import Address, Handler


class ServerHandler(Handler):
    """Answers ping and status; ``status`` gathers the daemon's figures."""

    ADDRESSES = (
        Address("/continuo/ping", "ping", "none", "/continuo/pong <version>", "bad_request (any argument)"),
        Address(
            "/continuo/status", "status", "none",
            "/continuo/status key value ... (version, queued, running, model, model_state, device, "
            "done, failed, worker_restarts, clips, output_dir, received, refused, rate_limited, inbox_full, "
            "tcp_clients, handle_p50_ms, handle_p99_ms, and more from MIDI and rendering)",
            "bad_request (any argument)",
        ),
    )

    def __init__(self, status: Callable[[], dict[str, object]]):
        self._status = status

    def ping(self, peer: Peer, args: list) -> None:
        need(args, 0, "no arguments", exact=True)
        peer.send("/continuo/pong", __version__)

    def status(self, peer: Peer, args: list) -> None:
        need(args, 0, "no arguments", exact=True)
        flat: list[object] = []
        for key, value in self._status().items():
            flat.extend((key, value if isinstance(value, (int, float, str)) else str(value)))
        peer.send("/continuo/status", *flat)
