"""MIDI addresses: capture (arm, stop), trigger, job keys, play, stop, status."""

from __future__ import annotations

import itertools
import json
import logging
import math

from bridge.errors import ContinuoError, InvalidRequest
from bridge.jobs.pipeline import Pipeline
from bridge.jobs.store import ResultStore
from bridge.keys import KEYS
from bridge.midi.service import MidiService
from bridge.osc.args import name_arg, need
from bridge.osc.peer import LogPeer, Peer, send_error
from bridge.osc.router import Address, Handler
from bridge.requests import parse_pairs

log = logging.getLogger(__name__)

PLAY_USAGE = "<job name> [variation, from 1] [once|loop]"
NO_ARGUMENTS = "bad_request (any argument)"


class MidiHandler(Handler):
    """The MIDI domain over OSC. It remembers the last client that used a MIDI address: replies of jobs
    started by the MIDI trigger, and port news, go there (``on_trigger``, ``on_ports``: wired by the app)."""

    ADDRESSES = (
        Address("/continuo/midi/arm", "arm", "<clip name>", "/continuo/midi/armed <clip>", "bad_request: bad name"),
        Address("/continuo/midi/stop", "stop_capture", "none",
                "/continuo/midi/captured <clip> <notes> [<clip>-<role> <notes>]... (clips for every role "
                "played: melody, chords, bass, source; times in beats from a bar line under MIDI clock, "
                "from the first note without)",
                "bad_request: nothing armed, too many clips"),
        Address("/continuo/midi/trigger", "trigger", "[job name] (default midi-1, midi-2...)",
                "as /continuo/generate: accepted, progress, notes, done; then it plays (key play)",
                "bad_request: nothing captured yet, or a key that does not fit the capture; "
                "then as /continuo/generate", job_arg=True),
        Address("/continuo/midi/keys", "keys", "[key value ...]: generate keys for triggered jobs (not clips); "
                "none: show them",
                "/continuo/midi/keys key value ...",
                "bad_request: as /continuo/generate"),
        Address("/continuo/midi/status", "status", "none",
                "/continuo/midi/status key value ... (midi, midi_problem, clock: running, lost (it stopped "
                "without a Stop message), present or none, clock_bpm, position_beats, armed, playing, "
                "playing_variation, sounding, midi_dropped); unasked, to the last client that used a MIDI "
                "address: /continuo/midi/port lost <reason>, then /continuo/midi/port open when the ports are "
                "back, and /continuo/stopped <job> when the stop control (midi_stop) is played", NO_ARGUMENTS),
        Address("/continuo/play", "play", PLAY_USAGE,
                "/continuo/playing <job> <variation> <when: now, on the next bar line, when the transport starts>; "
                "later /continuo/warning <job> <text> if the MIDI clock it follows stops without a Stop message",
                "bad_request: no such finished job kept (kept_results), no such variation, MIDI is off",
                job_arg=True),
        Address("/continuo/stop", "stop", "none",
                "/continuo/stopped <job that was playing, or empty>; every sounding note gets its note-off, "
                "then All Notes Off (CC 123) on each channel used", NO_ARGUMENTS),
    )

    def __init__(self, midi: MidiService, results: ResultStore, pipeline: Pipeline):
        self.midi, self.results, self.pipeline = midi, results, pipeline
        self.listener: Peer = LogPeer()
        self._numbers = itertools.count(1)

    # -- from the MIDI service (its input and watch threads) ---------------------------------------

    def on_trigger(self) -> None:
        """The MIDI trigger was played: start a job from the capture, answering the last MIDI client."""
        peer = self.listener
        try:
            job = self._start_triggered(peer, None)
            log.info("MIDI trigger started job %s", job)
        except ContinuoError as err:
            log.warning("MIDI trigger: %s", err)
            send_error(peer, "-", err)

    def on_ports(self, state: str, reason: str) -> None:
        self.listener.send("/continuo/midi/port", state, reason)

    def on_control(self, action: str) -> None:
        """The stop or cancel control came in on the control channel: as /continuo/stop, or /continuo/cancel
        of the running job; replies go to the last MIDI client."""
        peer = self.listener
        try:
            if action == "stop":
                job = self.midi.player.status()[0]
                self.midi.stop_playback("MIDI stop control")
                peer.send("/continuo/stopped", job)
                return
            running = self.pipeline.engine.queue_status()[1]
            if not running:
                log.info("MIDI cancel control: no job is running")
                return
            self.pipeline.cancel(peer, running)
        except ContinuoError as err:
            log.warning("MIDI %s control: %s", action, err)
            send_error(peer, "-", err)

    # -- addresses ---------------------------------------------------------------------------------

    def arm(self, peer: Peer, args: list) -> None:
        name = name_arg(args, 0, "clip name", "<clip name>")
        self.listener = peer
        self.midi.arm(name)
        peer.send("/continuo/midi/armed", name)

    def stop_capture(self, peer: Peer, args: list) -> None:
        self.listener = peer
        _, sizes = self.midi.stop_capture()
        flat: list[object] = []
        for clip, count in sizes.items():
            flat.extend((clip, count))
        peer.send("/continuo/midi/captured", *flat)

    def trigger(self, peer: Peer, args: list) -> None:
        self.listener = peer
        self._start_triggered(peer, name_arg(args, 0, "job name", "[job name]") if args else None)

    def keys(self, peer: Peer, args: list) -> None:
        self.listener = peer
        if args:
            spec = parse_pairs(args)  # checked now, so the trigger cannot fail on them later
            clip_keys = [k for k in spec.values if KEYS[k].kind == "clip"]
            if clip_keys:
                raise InvalidRequest(f"{', '.join(clip_keys)} come from the capture; leave them out here")
            keys = json.loads(args[0]) if len(args) == 1 else dict(zip(args[0::2], args[1::2]))
            self.midi.set_job_keys(keys, spec.values.get("meter", (4, 4)))  # type: ignore[arg-type]
        flat: list[object] = []
        for key, value in self.midi.job_keys().items():
            flat.extend((key, value if isinstance(value, (int, float, str)) else str(value)))
        peer.send("/continuo/midi/keys", *flat)

    def status(self, peer: Peer, args: list) -> None:
        need(args, 0, "no arguments", exact=True)
        self.listener = peer
        flat: list[object] = []
        for key, value in self.midi.status().items():
            flat.extend((key, value))
        peer.send("/continuo/midi/status", *flat)

    def play(self, peer: Peer, args: list) -> None:
        job = name_arg(args, 0, "job name", PLAY_USAGE)
        self.listener = peer
        variation, mode = play_args(args[1:])
        result = self.results.get(job, variation)
        when = self.midi.play(job, result, variation, None if mode is None else mode == "loop",
                              programs=self.results.programs(job),
                              warn=lambda text: peer.send("/continuo/warning", job, text))
        peer.send("/continuo/playing", job, variation, when)

    def stop(self, peer: Peer, args: list) -> None:
        need(args, 0, "no arguments", exact=True)
        job = self.midi.player.status()[0]
        self.midi.stop_playback("stop")
        peer.send("/continuo/stopped", job)

    def _start_triggered(self, peer: Peer, job_id: str | None) -> str:
        spec = self.midi.triggered_spec()
        job_id = job_id or f"midi-{next(self._numbers)}"
        self.pipeline.submit(peer, job_id, spec)
        return job_id


def play_args(args: list) -> tuple[int, str | None]:
    """The variation (default 1) and mode (once, loop, or None: the job's own) after the job name of
    /continuo/play: nothing, a variation, a mode, or a variation then a mode."""
    if len(args) > 2:
        raise InvalidRequest(f"/continuo/play takes at most a variation and a mode after the job name, got "
                             f"{len(args)} arguments; usage: {PLAY_USAGE}")
    rest, mode = list(args), None
    if rest and isinstance(rest[-1], str):
        mode = rest.pop()
        if mode not in ("once", "loop"):
            raise InvalidRequest(f"play mode {mode!r} is not known: give once or loop; usage: {PLAY_USAGE}")
    if len(rest) > 1:
        raise InvalidRequest(f"got {args!r}: the variation (a number) comes before the mode; usage: {PLAY_USAGE}")
    if rest:
        value = rest[0]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or value != int(value) or value < 1:
            raise InvalidRequest(f"variation {value!r} must be a whole number from 1; usage: {PLAY_USAGE}")
        return int(value), mode
    return 1, mode
