"""Maps exact OSC addresses to handlers; every handler runs inside one wrapper that answers errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bridge.errors import ContinuoError, InternalError, UnknownAddress
from bridge.osc.packets import parse_message, split_packet
from bridge.osc.server import Peer

log = logging.getLogger(__name__)

MAX_ERROR_TEXT = 1000


@dataclass(frozen=True)
class Route:
    """One address, its handler and its documentation row (docs/osc.md is generated from these)."""

    address: str
    handler: Callable[[Peer, list], None]
    arguments: str
    replies: str
    errors: str
    job_arg: bool = False  # the first argument names a job: errors are reported against it


def send_error(peer: Peer, job: str, error: ContinuoError) -> None:
    text = str(error) or type(error).__name__
    if len(text) > MAX_ERROR_TEXT:
        text = text[: MAX_ERROR_TEXT - 3] + "..."
    peer.send("/continuo/error", job, error.code, text)


class Router:
    """Dispatches packets; addresses are matched exactly (OSC patterns are refused, never expanded)."""

    def __init__(self, routes: Iterable[Route]):
        self.routes = {route.address: route for route in routes}

    def handle_packet(self, packet: bytes, peer: Peer) -> None:
        try:
            messages = split_packet(packet)
        except ContinuoError as err:
            log.info("bad packet from %s: %s", peer.name, err)
            send_error(peer, "-", err)
            return
        for message in messages:
            self.handle_message(message, peer)

    def handle_message(self, message: bytes, peer: Peer) -> None:
        job = "-"
        try:
            address, args = parse_message(message)
            route = self.routes.get(address)
            if route is None:
                raise UnknownAddress(
                    f"unknown address {address!r}; continuo answers "
                    + ", ".join(sorted(self.routes))
                )
            if route.job_arg and args and isinstance(args[0], str):
                job = args[0][:64]
            route.handler(peer, args)
        except ContinuoError as err:
            log.info("request from %s refused: %s", peer.name, err)
            send_error(peer, job, err)
        except Exception as err:
            log.exception("request from %s failed", peer.name)
            send_error(peer, job, InternalError(f"internal error ({type(err).__name__}); see the continuo log"))
