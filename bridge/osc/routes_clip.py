"""Clip addresses: upload a prompt in chunks, clear it, list clips."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bridge.clips import NOTE_FORMAT, parse_notes
from bridge.osc.args import name_arg
from bridge.osc.router import Route
from bridge.osc.server import Peer

if TYPE_CHECKING:
    from bridge.app import App

NOTES_USAGE = f"<clip name> [notes: {NOTE_FORMAT}, repeated]"


def routes(app: App) -> list[Route]:
    def clip_set(peer: Peer, args: list) -> None:
        name = name_arg(args, 0, "clip name", NOTES_USAGE)
        count = app.clips.set(name, parse_notes(args[1:]))
        peer.send("/continuo/clip/stored", name, count)

    def clip_append(peer: Peer, args: list) -> None:
        name = name_arg(args, 0, "clip name", NOTES_USAGE)
        count = app.clips.append(name, parse_notes(args[1:]))
        peer.send("/continuo/clip/stored", name, count)

    def clip_clear(peer: Peer, args: list) -> None:
        name = name_arg(args, 0, "clip name", "<clip name>")
        app.clips.clear(name)
        peer.send("/continuo/clip/stored", name, 0)

    def clip_list(peer: Peer, args: list) -> None:
        peer.send("/continuo/clip/list", *app.clips.names())

    errors = "bad_request: bad name, notes not in groups of 4, values out of range, too many notes or clips"
    return [
        Route("/continuo/clip/set", clip_set, NOTES_USAGE, "/continuo/clip/stored <clip> <note count>", errors),
        Route("/continuo/clip/append", clip_append, NOTES_USAGE,
              "/continuo/clip/stored <clip> <note count> (total so far)", errors),
        Route("/continuo/clip/clear", clip_clear, "<clip name>", "/continuo/clip/stored <clip> 0",
              "bad_request: bad name"),
        Route("/continuo/clip/list", clip_list, "none", "/continuo/clip/list [clip names...]", "none"),
    ]
