"""Clip addresses: upload a prompt in chunks, clear it, list clips."""

from __future__ import annotations

from bridge.clips import NOTE_FORMAT, ClipStore, parse_notes
from bridge.osc.args import name_arg
from bridge.osc.peer import Peer
from bridge.osc.router import Address, Handler

NOTES_USAGE = f"<clip name> [notes: {NOTE_FORMAT}, repeated]"
NOTES_ERRORS = "bad_request: bad name, notes not in groups of 4, values out of range, too many notes or clips"


class ClipHandler(Handler):
    """The clips uploaded over OSC, kept in the ClipStore."""

    ADDRESSES = (
        Address("/continuo/clip/set", "clip_set", NOTES_USAGE, "/continuo/clip/stored <clip> <note count>", NOTES_ERRORS),
        Address("/continuo/clip/append", "clip_append", NOTES_USAGE,
                "/continuo/clip/stored <clip> <note count> (total so far)", NOTES_ERRORS),
        Address("/continuo/clip/clear", "clip_clear", "<clip name>", "/continuo/clip/stored <clip> 0",
                "bad_request: bad name"),
        Address("/continuo/clip/list", "clip_list", "none", "/continuo/clip/list [clip names...]", "none"),
    )

    def __init__(self, clips: ClipStore):
        self.clips = clips

    def clip_set(self, peer: Peer, args: list) -> None:
        name = name_arg(args, 0, "clip name", NOTES_USAGE)
        peer.send("/continuo/clip/stored", name, self.clips.set(name, parse_notes(args[1:])))

    def clip_append(self, peer: Peer, args: list) -> None:
        name = name_arg(args, 0, "clip name", NOTES_USAGE)
        peer.send("/continuo/clip/stored", name, self.clips.append(name, parse_notes(args[1:])))

    def clip_clear(self, peer: Peer, args: list) -> None:
        name = name_arg(args, 0, "clip name", "<clip name>")
        self.clips.clear(name)
        peer.send("/continuo/clip/stored", name, 0)

    def clip_list(self, peer: Peer, args: list) -> None:
        peer.send("/continuo/clip/list", *self.clips.names())
