"""`continuo demo`: a bundled melody arranged in a preset, rendered to stems and a mix."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from bridge.jobs.outputs import save_previews, save_results
from bridge.midi.files import read_notes
from bridge.paths import check_name
from bridge.presets import Preset
from bridge.requests import JobSpec, parse_mapping
from models.types import Generator

log = logging.getLogger(__name__)

DEMO_MELODY = resources.files("bridge") / "bundled" / "ode-to-joy.mid"  # package data


def run_demo(generator: Generator, preset: Preset, output_dir: Path, soundfont: str, jobs: int,
             seed: int = 1) -> Iterator[str]:
    """Harmonize the bundled melody with the preset's parts and sound; yield what was written."""
    with resources.as_file(DEMO_MELODY) as path:
        melody = read_notes(path, "the demo melody")
    spec = parse_mapping({"task": "harmonize", "preset": preset.name, "seed": seed})
    parts = tuple(dict.fromkeys(("melody", *spec.values.get("parts", ("bass", "keys")))))
    request = JobSpec({**spec.values, "parts": parts, "melody": melody}).build(lambda name: ())
    started = time.perf_counter()
    result = generator.generate(request)[0]
    yield f"arranged {len(melody)} melody notes as {', '.join(result.parts)} in {time.perf_counter() - started:.2f} s"
    stem = check_name(f"demo-{preset.name}-{time.strftime('%Y%m%d-%H%M%S')}", "output name")
    midi = save_results([result], stem, output_dir, title=f"continuo demo: {preset.title or preset.name}",
                        programs=preset.programs())
    yield f"MIDI     {midi[0]}"
    yield f"preview  {save_previews([result], midi, preset.title or preset.name)[0]}"
    from bridge.render.stems import render_files

    for song in render_files(midi, preset.render, output_dir, soundfont, jobs, prefixes=[midi[0].stem]):
        yield f"mix      {song.mix}"
        for part, path in song.stems.items():
            yield f"stem     {path}  ({part}: {song.instruments.get(part, '')})"
