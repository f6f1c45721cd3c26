"""Where replies go: the Peer a request came from, and the one way to answer it with an error."""

from __future__ import annotations

import logging

from bridge.errors import ContinuoError

log = logging.getLogger(__name__)

MAX_ERROR_TEXT = 1000


class Peer:
    """Where replies to one request go."""

    name = "?"

    def send(self, address: str, *args: object) -> None:
        raise NotImplementedError


class LogPeer(Peer):
    """Replies nobody asked for over OSC (a job started by a MIDI trigger before any client used a MIDI
    address): logged only."""

    name = "midi trigger"

    def send(self, address: str, *args: object) -> None:
        log.info("%s %s", address, " ".join(str(a) for a in args[:6]))


def send_error(peer: Peer, job: str, error: ContinuoError) -> None:
    """Answer ``/continuo/error <job> <code> <message>`` (the message cut to MAX_ERROR_TEXT characters)."""
    text = str(error) or type(error).__name__
    if len(text) > MAX_ERROR_TEXT:
        text = text[: MAX_ERROR_TEXT - 3] + "..."
    peer.send("/continuo/error", job, error.code, text)
