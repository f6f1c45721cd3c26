"""Render addresses: audio stems of a finished job or of a MIDI file in the output folder."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.errors import ContinuoError, InvalidRequest
from bridge.osc.args import name_arg
from bridge.osc.router import Route, send_error
from bridge.osc.server import Peer
from bridge.paths import check_name, output_path
from bridge.render.presets import (
    FORMATS,
    RenderPreset,
    load_preset,
    preset_dirs,
    with_instrument,
)
from bridge.render.service import RenderJob
from bridge.requests import Key, convert

if TYPE_CHECKING:
    from bridge.app import App
    from bridge.render.stems import RenderedSong

log = logging.getLogger(__name__)

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
    Key("output", "name", "file name prefix (default: the job name, or the MIDI file's name)"),
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


def build_preset(app: App, values: dict[str, object]) -> RenderPreset:
    """The preset named in the request (names only: never a path from the network) with its overrides."""
    name = values.get("preset")
    if name is not None:
        preset = load_preset(str(name), preset_dirs(), allow_path=False)
    else:
        preset = load_preset(app.settings.render_preset)
    preset = with_instrument(preset, values.get("instrument"))  # type: ignore[arg-type]
    return preset.replace(**{k: values.get(k) for k in ("format", "sample_rate", "bit_depth", "loudness_lufs")})


def _midi_in_output(app: App, name: str) -> Path:
    stem = check_name(name, "midi file name").removesuffix(".mid").removesuffix(".midi")
    for suffix in (".mid", ".midi"):
        path = output_path(app.settings.output_dir, stem, suffix)
        if path.is_file():
            return path
    raise InvalidRequest(f"no MIDI file named {name!r} in the output folder {app.settings.output_dir}; "
                         "give the name of a file continuo wrote there, or render a job by its name")


def rendered_args(job_id: str, song: RenderedSong) -> list[object]:
    return [job_id, str(song.mix), *(str(p) for p in song.stems.values())]


def submit_render(app: App, peer: Peer, job_id: str, midi: list[Path], preset: RenderPreset,
                  prefixes: list[str], done_args: list[object] | None = None, cleanup=lambda: None) -> None:
    """Queue a render whose replies go to ``peer``: one /continuo/rendered per file, then (for a
    generate job) /continuo/done with ``done_args``."""

    def on_done(job: RenderJob, songs: list[RenderedSong]) -> None:
        for song in songs:
            peer.send("/continuo/rendered", *rendered_args(job.id, song))
        if done_args is not None:
            peer.send("/continuo/done", *done_args)
            app.count("done")

    def on_error(job: RenderJob, error: ContinuoError) -> None:
        if done_args is not None and len(done_args) > 1:
            error = type(error)(f"{error} (the MIDI result is written: {done_args[1]})")
            app.count("failed")
        send_error(peer, job.id, error)

    job = RenderJob(job_id, midi, preset, on_done, on_error, prefixes, cleanup)
    app.renders.submit(job, on_accepted=lambda: None if done_args is not None else peer.send(
        "/continuo/accepted", job_id))


def render_after_generate(app: App, peer: Peer, job_id: str, paths: list[Path], preset_name: str | None = None) -> None:
    """For generate with ``render true``: stems of every variation (with the request's preset), then done."""
    try:
        preset = load_preset(preset_name, preset_dirs(), allow_path=False) if preset_name else \
            load_preset(app.settings.render_preset)
        submit_render(app, peer, job_id, paths, preset, [p.stem for p in paths],
                      done_args=[job_id, *(str(p) for p in paths)])
    except ContinuoError as err:
        send_error(peer, job_id, type(err)(f"{err} (the MIDI result is written: {paths[0]})"))
        app.count("failed")


def routes(app: App) -> list[Route]:
    def render(peer: Peer, args: list) -> None:
        job_id = name_arg(args, 0, "job name", RENDER_USAGE)
        values = parse_render_args(args[1:])
        preset = build_preset(app, values)
        folder: Path | None = None
        if "midi" in values:
            midi = _midi_in_output(app, str(values["midi"]))
            prefix = str(values.get("output") or midi.stem)
        else:
            from bridge.midi.files import build_midi, write_midi

            variation = int(values.get("variation", 1))  # type: ignore[arg-type]
            result = app.results.get(job_id, variation)
            folder = Path(tempfile.mkdtemp(prefix="continuo-render-"))
            midi = write_midi(folder / "result.mid", build_midi(result.parts, result.tempo, result.meter,
                                                                result.chords, title=job_id))
            prefix = str(values.get("output") or (job_id if variation == 1 else f"{job_id}-v{variation}"))
        def cleanup() -> None:
            if folder is not None:  # the job's result, written out only for this render
                shutil.rmtree(folder, ignore_errors=True)

        try:
            submit_render(app, peer, job_id, [midi], preset, [check_name(prefix, "output name")], cleanup=cleanup)
        except ContinuoError:
            cleanup()
            raise

    keys = "; ".join(f"{k.name}: {k.help}" for k in RENDER_KEYS.values())
    return [
        Route(
            "/continuo/render", render,
            f"{RENDER_USAGE}: renders the finished job of that name, or the file named by midi; keys: {keys}",
            f"/continuo/accepted <job>, then {RENDERED} (the mix first, then one stem per part; every file "
            "starts at bar 1 and has the same length)",
            "bad_request (unknown job, key, value or file), bad_preset, duplicate_job, queue_full, shutdown "
            "(before accepted); soundfont, plugin_load, render_failed (a crashed instrument), timeout, "
            "write_failed (after accepted)",
            job_arg=True,
        ),
    ]
