"""Ableton addresses: read a clip from Live through AbletonOSC, generate, write each part into a new clip.

Tracks and slots count from 1, as Live shows them (AbletonOSC counts from 0; converted here).
Part ``i`` of variation ``v`` goes to track ``out_track + i - 1``, slot ``out_slot + v - 1``.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.ableton import LiveClient, LiveNote
from bridge.errors import AbletonError, ContinuoError, InvalidRequest
from bridge.jobs.pipeline import Ending
from bridge.osc.args import name_arg
from bridge.osc.router import Route, send_error
from bridge.osc.server import Peer
from bridge.requests import (
    CLIP_KEYS,
    DEFAULT_PARTS,
    KEYS,
    JobSpec,
    convert,
    parse_mapping,
)
from models.music.meter import beats_per_bar
from models.types import METERS, TASKS, Note, Result

if TYPE_CHECKING:
    from bridge.app import App

log = logging.getLogger(__name__)

# the role the clip read from Live plays for each task
CLIP_ROLE = {"accompany": "melody", "harmonize": "melody", "continue": "prompt",
             "infill": "source", "transfer": "source", "variations": "source", "interpolate": "source"}
PLACE_KEYS = {
    "track": "track of the clip to read, from 1 (optional for accompany with chords)",
    "slot": "clip slot (scene) of that clip, from 1 (default 1)",
    "out_track": "track of the first part written; the next parts go on the tracks after it "
                 "(default: the track after the clip's)",
    "out_slot": "slot of the written clips; variation v goes v-1 slots lower (default: the clip's slot)",
    "replace": "true: replace clips already in the target slots (default false: refuse)",
}
REFUSED = {"task": "the address names the task", "render": "send /continuo/render <job> after it is done",
           **{k: "the clip comes from Live" for k in CLIP_KEYS}}
USAGE = "<job name> key value ... (or <job name> '{JSON object}')"
MAX_INDEX = 4096


@dataclass(frozen=True)
class Placement:
    """Where the clip is read and the parts are written, as AbletonOSC indices (from 0)."""

    track: int | None
    slot: int
    out_track: int
    out_slot: int
    replace: bool


def parse_request(task: str, args: Sequence[object]) -> tuple[str, Placement, dict[str, object]]:
    """Split ``<job> key value ...`` into the job name, the placement and validated generate values."""
    job_id = name_arg(args, 0, "job name", USAGE)
    rest = list(args[1:])
    if len(rest) == 1 and isinstance(rest[0], str) and rest[0].lstrip().startswith("{"):
        try:
            data = json.loads(rest[0])
        except json.JSONDecodeError as err:
            raise InvalidRequest(f"the JSON request is not valid JSON: {err.msg} at character {err.pos}") from None
        if not isinstance(data, dict):
            raise InvalidRequest('the JSON request must be an object like {"track": 1}')
        pairs = list(data.items())
    else:
        if len(rest) % 2:
            raise InvalidRequest(f"keys come in key value pairs after the job name; {rest[-1]!r} has no value")
        pairs = list(zip(rest[0::2], rest[1::2]))
    place: dict[str, object] = {}
    values: dict[str, object] = {}
    for key, value in pairs:
        if key in REFUSED:
            raise InvalidRequest(f"key {key!r} is not used here: {REFUSED[key]}")
        if not isinstance(key, str) or (key not in KEYS and key not in PLACE_KEYS):
            known = [k for k in (*PLACE_KEYS, *KEYS) if k not in REFUSED]
            raise InvalidRequest(f"unknown key {key!r}: known keys are {', '.join(known)}")
        target = place if key in PLACE_KEYS else values
        if key in target:
            raise InvalidRequest(f"key {key!r} is given twice")
        target[key] = value
    values = dict(parse_mapping(values).values)
    track = _index(place, "track", None)
    slot = _index(place, "slot", 0)
    if track is None and not (task == "accompany" and values.get("chords")):
        raise InvalidRequest(f"name the clip to {task} with track and slot (from 1, as Live shows them)"
                             + ("; or give chords" if task == "accompany" else ""))
    out_track = _index(place, "out_track", None if track is None else track + 1)
    if out_track is None:
        raise InvalidRequest("without a clip to read, name where the parts go with out_track (from 1)")
    out_slot = _index(place, "out_slot", slot)
    replace = bool(convert(KEYS["render"], place["replace"])) if "replace" in place else False
    return job_id, Placement(track, slot, out_track, out_slot, replace), values


def _index(place: dict[str, object], key: str, default: int | None) -> int | None:
    if key not in place:
        return default
    value = place[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise InvalidRequest(f"{key} must be a whole number from 1, got {value!r}")
    if not 1 <= value <= MAX_INDEX:
        raise InvalidRequest(f"{key} {int(value)} is out of range: tracks and slots count from 1, as in Live")
    return int(value) - 1


class AbletonRequest:
    """One /continuo/ableton/<task> request: its conversation before the job and after it."""

    def __init__(self, app: App, peer: Peer, task: str, job_id: str, place: Placement, values: dict[str, object]):
        self.app, self.peer, self.task, self.job_id, self.place = app, peer, task, job_id, place
        self.values = {**values, "task": task}
        parts = values.get("parts") or DEFAULT_PARTS.get(task, ("melody",))
        self.parts: tuple[str, ...] = tuple(parts)  # type: ignore[arg-type]
        self.variations = int(values.get("variations", 1))  # type: ignore[call-overload]

    def fail(self, error: ContinuoError) -> None:
        send_error(self.peer, self.job_id, error)

    # -- before the job: on the Ableton thread ----------------------------------------------------

    def read(self, live: LiveClient) -> None:
        """Read the song's tempo and meter and the clip; check the targets; then submit the job."""
        live.drain()
        place, values = self.place, self.values
        if "tempo" not in values:
            values["tempo"] = convert(KEYS["tempo"], live.song("tempo"))
        if "meter" not in values:
            meter = (int(live.song("signature_numerator")), int(live.song("signature_denominator")))  # type: ignore[call-overload]
            if meter not in METERS:
                raise AbletonError(f"Live's time signature {meter[0]}/{meter[1]} is not one continuo writes "
                                   f"({', '.join(f'{a}/{b}' for a, b in METERS)}); send a meter key")
            values["meter"] = meter
        tracks, scenes = int(live.song("num_tracks")), int(live.song("num_scenes"))  # type: ignore[call-overload]
        last_track = place.out_track + len(self.parts)
        if max(last_track, (place.track or 0) + 1) > tracks:
            raise AbletonError(f"the parts {', '.join(self.parts)} need tracks {place.out_track + 1} to {last_track} "
                               f"but Live has {tracks} tracks: add MIDI tracks or choose out_track")
        if max(place.out_slot + self.variations, place.slot + 1) > scenes:
            raise AbletonError(f"slot {place.out_slot + self.variations} is needed but Live has {scenes} scenes: "
                               "add scenes or choose out_slot")
        if place.track is not None:
            values[CLIP_ROLE[self.task]] = self._read_clip(live, place.track, place.slot)
        for track, slot in self._targets():
            if not live.track("has_midi_input", track):
                raise AbletonError(f"track {track + 1} is not a MIDI track: choose out_track")
            if not place.replace and live.slot("has_clip", track, slot):
                raise AbletonError(f"track {track + 1} slot {slot + 1} already holds a clip: choose out_slot "
                                   "or send replace true")
        self.app.pipeline.submit(self.peer, self.job_id, JobSpec(values), hand_off=self.deliver)

    def _read_clip(self, live: LiveClient, track: int, slot: int) -> tuple[Note, ...]:
        where = f"track {track + 1} slot {slot + 1}"
        if not live.slot("has_clip", track, slot):
            raise AbletonError(f"{where} holds no clip: put a MIDI clip there or change track and slot")
        if not live.clip("is_midi_clip", track, slot):
            raise AbletonError(f"the clip on {where} is an audio clip: continuo reads MIDI clips")
        length = float(live.clip("length", track, slot))  # type: ignore[arg-type]
        notes = [Note(n.pitch, round(n.start_beats, 6), round(n.duration_beats, 6), min(127, max(1, round(n.velocity))))
                 for n in live.get_notes(track, slot, length)
                 if not n.mute and n.start_beats >= 0 and n.duration_beats > 0 and 0 <= n.pitch <= 127]
        if not notes:
            raise AbletonError(f"the clip on {where} has no (unmuted) notes")
        if len(notes) > self.app.settings.max_clip_notes:
            raise AbletonError(f"the clip on {where} has {len(notes)} notes; the limit is max_clip_notes "
                               f"{self.app.settings.max_clip_notes}")
        if "bars" not in self.values and self.task != "continue":  # the clip's loop, not its last note
            meter = self.values["meter"]
            bar = beats_per_bar(meter)  # type: ignore[arg-type]
            self.values["bars"] = max(1, min(256, math.ceil(length / bar - 1e-6)))
        return tuple(sorted(notes, key=lambda n: (n.start_beats, n.pitch)))

    def _targets(self) -> list[tuple[int, int]]:
        return [(self.place.out_track + i, self.place.out_slot + v)
                for v in range(self.variations) for i in range(len(self.parts))]

    # -- after the job: handed back to the Ableton thread -----------------------------------------

    def deliver(self, ending: Ending, results: list[Result], paths: list[Path]) -> None:
        try:
            self.app.ableton.submit(lambda live: self.write(live, ending, results, paths), ending.fail)
        except ContinuoError as err:
            ending.fail(err)

    def write(self, live: LiveClient, ending: Ending, results: list[Result], paths: list[Path]) -> None:
        try:
            self._write_all(live, results)
        except AbletonError as err:  # the MIDI file is written: say where, it can still be dragged into Live
            raise type(err)(f"{err}; the result is in {', '.join(str(p) for p in paths)}") from err
        ending.done(paths)

    def _write_all(self, live: LiveClient, results: list[Result]) -> None:
        live.drain()
        for number, result in enumerate(results):
            bar = beats_per_bar(result.meter)
            parts = list(self.parts) + [p for p in result.parts if p not in self.parts]
            for index, part in enumerate(parts):
                track, slot = self.place.out_track + index, self.place.out_slot + number
                notes = _live_notes(result.parts.get(part, ()))
                end = max([result.bars * bar, *(n.start_beats + n.duration_beats for n in notes)])
                self._write_clip(live, track, slot, f"{self.job_id} {part}", math.ceil(end / bar - 1e-6) * bar, notes)
                self.peer.send("/continuo/ableton/written", self.job_id, number + 1, part, track + 1, slot + 1,
                               len(notes))

    def _write_clip(self, live: LiveClient, track: int, slot: int, name: str, length: float,
                    notes: list[LiveNote]) -> None:
        where = f"track {track + 1} slot {slot + 1}"
        if live.slot("has_clip", track, slot):
            if not self.place.replace:
                raise AbletonError(f"{where} got a clip while continuo worked: choose out_slot or send replace true")
            live.send("/live/clip_slot/delete_clip", track, slot)
        live.send("/live/clip_slot/create_clip", track, slot, float(length))
        live.send("/live/clip/set/name", track, slot, name)
        live.add_notes(track, slot, notes)
        held = len(live.get_notes(track, slot, length))  # also proves Live handled every message before it
        if held != len(notes):
            raise AbletonError(f"Live holds {held} of the {len(notes)} notes written to {where}: datagrams were "
                               "lost on the way; send the request again (replace true)")


def _live_notes(notes: Sequence[Note]) -> list[LiveNote]:
    """Live merges notes of one pitch starting together: keep the longest, so counts can be checked."""
    kept: dict[tuple[int, float], Note] = {}
    for note in notes:
        key = (note.pitch, round(note.start_beats, 6))
        if key not in kept or note.duration_beats > kept[key].duration_beats:
            kept[key] = note
    return [LiveNote(n.pitch, float(n.start_beats), float(n.duration_beats), n.velocity)
            for n in sorted(kept.values(), key=lambda n: (n.start_beats, n.pitch))]


def routes(app: App) -> list[Route]:
    def handler(task: str):
        def handle(peer: Peer, args: list) -> None:
            job_id, place, values = parse_request(task, args)
            request = AbletonRequest(app, peer, task, job_id, place, values)
            app.ableton.submit(request.read, request.fail)
        return handle

    def ping(peer: Peer, args: list) -> None:
        if args:
            raise InvalidRequest("/continuo/ableton/ping takes no arguments")

        def ask(live: LiveClient) -> None:
            live.drain()
            peer.send("/continuo/ableton/pong", live.version(), int(live.song("num_tracks")),  # type: ignore[call-overload]
                      float(live.song("tempo")))  # type: ignore[arg-type]

        app.ableton.submit(ask, lambda err: send_error(peer, "-", err))

    keys = "; ".join(f"{k}: {v}" for k, v in PLACE_KEYS.items())
    errors = ("bad_request (at once); ableton_timeout (Live did not answer: is AbletonOSC installed and Live "
              "running?), ableton (no clip there, not a MIDI track, a slot taken, too few tracks or scenes, Live "
              "refused), then as /continuo/generate; after accepted also ableton when writing into Live fails")
    routes_ = [
        Route(f"/continuo/ableton/{task}", handler(task),
              f"{USAGE}; the clip read from Live is the {CLIP_ROLE[task]}; {keys}; and the /continuo/generate "
              "keys except task, melody, source, prompt, render (tempo and meter: Live's unless given)",
              "as /continuo/generate (accepted, progress, notes), then /continuo/ableton/written <job> <variation> "
              "<part> <track> <slot> <notes> per clip written, then /continuo/done <job> <midi paths...>",
              errors, job_arg=True)
        for task in TASKS
    ]
    routes_.append(Route("/continuo/ableton/ping", ping, "none",
                         "/continuo/ableton/pong <Live version> <tracks> <tempo>",
                         "ableton_timeout: is AbletonOSC installed and Live running?"))
    return routes_
