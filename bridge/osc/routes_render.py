"""Render addresses: audio stems of a finished job or of a MIDI file in the output folder."""

from __future__ import annotations

from pathlib import Path

from bridge.errors import InvalidRequest
from bridge.jobs.pipeline import Pipeline
from bridge.jobs.store import ResultStore
from bridge.keys import Key, convert
from bridge.osc.args import name_arg
from bridge.osc.peer import Peer
from bridge.osc.router import Address, Handler
from bridge.paths import check_name, output_path
from bridge.presets import load_preset
from bridge.render.specs import FORMATS, RenderPreset, with_instrument
from bridge.settings import Settings

RENDER_KEYS: dict[str, Key] = {k.name: k for k in (
    Key("midi", "name", "a MIDI file in the output folder to render instead of the job's result"),
    Key("variation", "int", "which variation of the job to render", 1, 16),
    Key("preset", "name", "render preset name (presets/<name>.toml; default: the render_preset setting)"),
    Key("format", "choice", "file format: " + ", ".join(FORMATS), choices=FORMATS),
    Key("sample_rate", "int", "sample rate in Hz (22050 to 96000)", 8000, 192000),
    Key("bit_depth", "int", "bits per sample: 16 or 24 (wav also 32, float)", 8, 32),
    Key("loudness_lufs", "float", "normalise loudness to this LUFS target", -70, 0),
    Key("instrument", "choice", "play every part with: auto, sketch or soundfont",
        choices=("auto", "sketch", "soundfont")),
    Key("output", "name", "file name prefix (default: the job name, or the MIDI file's name); when stems of "
        "that name are there already, the new ones get a number: song-2-bass.wav"),
    Key("overwrite", "flag", "true: write over stems of the same name instead (default false)"),
)}
RENDER_USAGE = "<job name> [key value ...]"
RENDERED = "/continuo/rendered <job> <mix path> <stem paths...>"


def parse_render_args(args: list) -> dict[str, object]:
    if len(args) % 2:
        raise InvalidRequest(f"render takes key value pairs after the job name; {args[-1]!r} has no value")
    values: dict[str, object] = {}
    for key, value in zip(args[0::2], args[1::2]):
        if not isinstance(key, str) or key not in RENDER_KEYS:
            raise InvalidRequest(f"unknown key {key!r}: render keys are {', '.join(RENDER_KEYS)}")
        if key in values:
            raise InvalidRequest(f"key {key!r} is given twice")
        values[key] = convert(RENDER_KEYS[key], value)
    return values


class RenderHandler(Handler):
    """Checks /continuo/render requests, finds what to render and hands it to the pipeline."""

    ADDRESSES = (
        Address(
            "/continuo/render", "render",
            f"{RENDER_USAGE}: renders the finished job of that name, or the file named by midi; keys: "
            + "; ".join(f"{k.name}: {k.help}" for k in RENDER_KEYS.values()),
            f"/continuo/accepted <job>, then {RENDERED} (the mix first, then one stem per part; every file "
            "starts at bar 1 and has the same length)",
            "bad_request (unknown job, key, value or file), bad_preset, duplicate_job, queue_full, shutdown "
            "(before accepted); soundfont, plugin_load, render_failed (a crashed instrument), timeout, "
            "write_failed (after accepted)",
            job_arg=True,
        ),
    )

    def __init__(self, settings: Settings, results: ResultStore, pipeline: Pipeline):
        self.settings, self.results, self.pipeline = settings, results, pipeline

    def render(self, peer: Peer, args: list) -> None:
        job_id = name_arg(args, 0, "job name", RENDER_USAGE)
        values = parse_render_args(args[1:])
        preset = self._preset(values)
        if "midi" in values:
            midi = self._midi_in_output(str(values["midi"]))
            prefix = check_name(str(values.get("output") or midi.stem), "output name")
            self.pipeline.render(peer, job_id, midi, preset, prefix)
            return
        variation = int(values.get("variation", 1))  # type: ignore[call-overload]
        result = self.results.get(job_id, variation)
        prefix = check_name(str(values.get("output") or (job_id if variation == 1 else f"{job_id}-v{variation}")),
                            "output name")
        self.pipeline.render(peer, job_id, result, preset, prefix)

    def _preset(self, values: dict[str, object]) -> RenderPreset:
        """The preset named in the request (names only: never a path from the network) with its overrides."""
        name = values.get("preset")
        preset = load_preset(str(name), allow_path=False) if name is not None else \
            load_preset(self.settings.render_preset)
        render = with_instrument(preset.render, values.get("instrument"))  # type: ignore[arg-type]
        return render.replace(**{k: values.get(k) for k in ("format", "sample_rate", "bit_depth", "loudness_lufs",
                                                            "overwrite")})

    def _midi_in_output(self, name: str) -> Path:
        output = self.settings.output_dir
        stem = check_name(name, "midi file name").removesuffix(".mid").removesuffix(".midi")
        for suffix in (".mid", ".midi"):
            path = output_path(output, stem, suffix)
            if path.is_file():
                return path
        raise InvalidRequest(f"no MIDI file named {name!r} in the output folder {output}; "
                             "give the name of a file continuo wrote there, or render a job by its name")
