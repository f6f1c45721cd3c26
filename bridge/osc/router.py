"""Maps exact OSC addresses to handlers; every handler runs inside one wrapper that answers errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bridge.errors import ContinuoError, InternalError, UnknownAddress
from bridge.osc.packets import parse_message, split_packet
from bridge.osc.peer import Peer, send_error

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    """One address, its handler and its documentation row (docs/osc.md is generated from these)."""

    address: str
    handler: Callable[[Peer, list], None]
    arguments: str
    replies: str
    errors: str
    job_arg: bool = False  # the first argument names a job: errors are reported against it


@dataclass(frozen=True)
class Address:
    """A row of a handler's address table: the address, the name of the method that answers it, its documentation."""

    address: str
    method: str
    arguments: str
    replies: str
    errors: str
    job_arg: bool = False


class Handler:
    """One OSC domain, as AbletonOSC's handlers: the state it holds, and ``ADDRESSES``, what it answers."""

    ADDRESSES: tuple[Address, ...] = ()

    def routes(self) -> list[Route]:
        return [Route(a.address, getattr(self, a.method), a.arguments, a.replies, a.errors, a.job_arg)
                for a in self.ADDRESSES]


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
