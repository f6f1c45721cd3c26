"""MIDI addresses: capture (arm, stop), trigger, job keys, play, stop, status."""

from __future__ import annotations

import itertools
import json
import logging
import time
from typing import TYPE_CHECKING

from bridge.errors import ContinuoError, InvalidRequest
from bridge.midi.trigger import trigger_spec
from bridge.osc.args import name_arg, need
from bridge.osc.router import Route, send_error
from bridge.osc.routes_job import start_job
from bridge.osc.server import Peer
from bridge.requests import KEYS, parse_pairs

if TYPE_CHECKING:
    from bridge.app import App

log = logging.getLogger(__name__)

PLAY_USAGE = "<job name> [variation, from 1] [once|loop]"


class LogPeer(Peer):
    """Replies for jobs started by a MIDI trigger before any OSC client asked for them: logged only."""

    name = "midi trigger"

    def send(self, address: str, *args: object) -> None:
        log.info("%s %s", address, " ".join(str(a) for a in args[:6]))


def routes(app: App) -> list[Route]:
    midi = app.midi
    state: dict[str, object] = {"keys": {}, "peer": LogPeer()}
    numbers = itertools.count(1)

    def listen(peer: Peer) -> None:
        state["peer"] = peer  # replies of MIDI-triggered jobs go to the last client that used MIDI addresses

    def trigger_job(peer: Peer, job_id: str | None = None) -> str:
        take = midi.capture()
        bpm = midi.clock.bpm if midi.clock.present(time.perf_counter()) and midi.clock.bpm else midi.config.tempo
        spec = trigger_spec(take, state["keys"], bpm, "loop" if midi.config.loop else "once")
        job_id = job_id or f"midi-{next(numbers)}"
        midi.store_take("midi-capture", take)
        start_job(app, peer, job_id, spec)
        return job_id

    def on_midi_trigger() -> None:
        peer = state["peer"]
        try:
            job = trigger_job(peer)
            log.info("MIDI trigger started job %s", job)
        except ContinuoError as err:
            log.warning("MIDI trigger: %s", err)
            send_error(peer, "-", err)

    midi.on_trigger = on_midi_trigger
    midi.on_ports = lambda port_state, reason: state["peer"].send("/continuo/midi/port", port_state, reason)

    def arm(peer: Peer, args: list) -> None:
        name = name_arg(args, 0, "clip name", "<clip name>")
        listen(peer)
        midi.arm(name)
        peer.send("/continuo/midi/armed", name)

    def stop_capture(peer: Peer, args: list) -> None:
        listen(peer)
        _, sizes = midi.stop_capture()
        flat: list[object] = []
        for clip, count in sizes.items():
            flat.extend((clip, count))
        peer.send("/continuo/midi/captured", *flat)

    def trigger(peer: Peer, args: list) -> None:
        listen(peer)
        trigger_job(peer, name_arg(args, 0, "job name", "[job name]") if args else None)

    def keys(peer: Peer, args: list) -> None:
        listen(peer)
        if args:
            spec = parse_pairs(args)  # checked now, so the trigger cannot fail on them later
            clip_keys = [k for k in spec.values if KEYS[k].kind == "clip"]
            if clip_keys:
                raise InvalidRequest(f"{', '.join(clip_keys)} come from the capture; leave them out here")
            state["keys"] = json.loads(args[0]) if len(args) == 1 else dict(zip(args[0::2], args[1::2]))
            meter = spec.values.get("meter", (4, 4))
            midi.beats_per_bar = meter[0] * 4.0 / meter[1]
        flat: list[object] = []
        for key, value in dict(state["keys"]).items():
            flat.extend((key, value if isinstance(value, (int, float, str)) else str(value)))
        peer.send("/continuo/midi/keys", *flat)

    def play(peer: Peer, args: list) -> None:
        job = name_arg(args, 0, "job name", PLAY_USAGE)
        listen(peer)
        variation = 1
        if len(args) > 1:
            if isinstance(args[1], bool) or not isinstance(args[1], (int, float)) or args[1] != int(args[1]):
                raise InvalidRequest(f"variation must be a whole number from 1; usage: {PLAY_USAGE}")
            variation = int(args[1])
        mode = args[2] if len(args) > 2 else None
        if mode not in (None, "once", "loop") or len(args) > 3:
            raise InvalidRequest(f"expected {PLAY_USAGE}; got {args[2:]!r}")
        result = app.results.get(job, variation)
        when = midi.play(job, result, variation, None if mode is None else mode == "loop")
        peer.send("/continuo/playing", job, variation, when)

    def stop(peer: Peer, args: list) -> None:
        need(args, 0, "no arguments", exact=True)
        job = midi.player.status()[0]
        midi.stop_playback("stop")
        peer.send("/continuo/stopped", job)

    def status(peer: Peer, args: list) -> None:
        need(args, 0, "no arguments", exact=True)
        listen(peer)
        flat: list[object] = []
        for key, value in midi.status().items():
            flat.extend((key, value))
        peer.send("/continuo/midi/status", *flat)

    none = "bad_request (any argument)"
    return [
        Route("/continuo/midi/arm", arm, "<clip name>", "/continuo/midi/armed <clip>",
              "bad_request: bad name"),
        Route("/continuo/midi/stop", stop_capture, "none",
              "/continuo/midi/captured <clip> <notes> [<clip>-<role> <notes>]... (clips for every role "
              "played: melody, chords, bass, source; times in beats from a bar line under MIDI clock, "
              "from the first note without)",
              "bad_request: nothing armed, too many clips"),
        Route("/continuo/midi/trigger", trigger, "[job name] (default midi-1, midi-2...)",
              "as /continuo/generate: accepted, progress, notes, done; then it plays (key play)",
              "bad_request: nothing captured yet, or a key that does not fit the capture; "
              "then as /continuo/generate", job_arg=True),
        Route("/continuo/midi/keys", keys, "[key value ...]: generate keys for triggered jobs (not clips); "
              "none: show them",
              "/continuo/midi/keys key value ...",
              "bad_request: as /continuo/generate"),
        Route("/continuo/midi/status", status, "none",
              "/continuo/midi/status key value ... (midi, midi_problem, clock, clock_bpm, position_beats, "
              "armed, playing, playing_variation, sounding, midi_dropped); unasked, to the last client "
              "that used a MIDI address: /continuo/midi/port lost <reason>, then /continuo/midi/port open "
              "when the ports are back", none),
        Route("/continuo/play", play, PLAY_USAGE,
              "/continuo/playing <job> <variation> <when: now, on the next bar line, when the transport starts>",
              "bad_request: no such finished job kept (kept_results), no such variation, MIDI is off",
              job_arg=True),
        Route("/continuo/stop", stop, "none",
              "/continuo/stopped <job that was playing, or empty>; every sounding note gets its note-off, "
              "then All Notes Off (CC 123) on each channel used", none),
    ]
