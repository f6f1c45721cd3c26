"""Server-wide addresses: ping and status."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bridge import __version__
from bridge.osc.args import need
from bridge.osc.router import Route
from bridge.osc.server import Peer

if TYPE_CHECKING:
    from bridge.app import App


def routes(app: App) -> list[Route]:
    def ping(peer: Peer, args: list) -> None:
        need(args, 0, "no arguments", exact=True)
        peer.send("/continuo/pong", __version__)

    def status(peer: Peer, args: list) -> None:
        need(args, 0, "no arguments", exact=True)
        flat: list[object] = []
        for key, value in app.status().items():
            flat.extend((key, value if isinstance(value, (int, float, str)) else str(value)))
        peer.send("/continuo/status", *flat)

    return [
        Route("/continuo/ping", ping, "none", "/continuo/pong <version>", "bad_request (any argument)"),
        Route(
            "/continuo/status", status, "none",
            "/continuo/status key value ... (version, queued, running, model, model_state, device, "
            "done, failed, worker_restarts, clips, output_dir, received, refused, rate_limited, inbox_full, "
            "tcp_clients, handle_p50_ms, handle_p99_ms, and more from MIDI and rendering)",
            "bad_request (any argument)",
        ),
    ]
