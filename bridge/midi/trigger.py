"""Turns a captured take plus the MIDI job keys into a generate request (task chosen from what was played)."""

from __future__ import annotations

from collections.abc import Mapping

from bridge.errors import InvalidRequest
from bridge.midi.capture import Take
from bridge.requests import JobSpec, parse_mapping
from models.music.meter import beats_per_bar
from models.music.recognise import recognise_chords
from models.types import Note


def chords_text(notes: tuple[Note, ...], meter: tuple[int, int], bars: int) -> str:
    """The chords of ``notes`` as progression text, one ``|`` per bar ("C | Am F | G | C")."""
    spans = recognise_chords(notes, meter, bars)
    bar_beats = beats_per_bar(meter)
    per_bar: list[list[str]] = [[] for _ in range(max(bars, 1))]
    for span in spans:
        bar = int(span.start_beats // bar_beats + 1e-9)
        if bar < len(per_bar):
            per_bar[bar].append(span.symbol)
    return " | ".join(" ".join(symbols) or "N" for symbols in per_bar)


def auto_task(take: Take) -> str:
    if "chords" in take.roles:
        return "accompany"
    if "melody" in take.roles or "bass" in take.roles:
        return "harmonize"
    return "variations"


def trigger_spec(take: Take, keys: Mapping[str, object], tempo: float, play: str) -> JobSpec:
    """A validated spec from ``take`` and the job keys set with /continuo/midi/keys."""
    if not take.roles:
        raise InvalidRequest(
            "nothing captured yet: play into the continuo input while the DAW plays (MIDI clock), "
            "or record a take with /continuo/midi/arm and /continuo/midi/stop"
        )
    values = dict(keys)  # as sent (text and numbers), so they can be checked again with the additions
    typed = parse_mapping(values).values
    task = str(typed.get("task") or auto_task(take))
    meter = typed.get("meter", (4, 4))
    bars = int(typed.get("bars") or take.bars or 1)
    everything = take.notes
    melody = take.roles.get("melody") or take.roles.get("bass") or everything
    values.update(task=task, bars=bars)
    values.setdefault("tempo", round(tempo, 2))
    values.setdefault("play", play)
    if task == "accompany" and not values.get("chords"):
        harmony = take.roles.get("chords", ()) + take.roles.get("bass", ()) or everything
        values["chords"] = chords_text(tuple(sorted(harmony, key=lambda n: n.start_beats)), meter, bars)
    spec = parse_mapping(values)  # checks tempo, chords... as a generate request would be
    clips = {"accompany": {"melody": take.roles.get("melody", ())}, "harmonize": {"melody": melody},
             "continue": {"prompt": everything}}.get(task, {"source": take.roles.get("source") or everything})
    return JobSpec({**spec.values, **{k: v for k, v in clips.items() if v}})
