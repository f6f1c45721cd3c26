"""Turn model results into MIDI files in the output folder and into /continuo/notes chunks."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from bridge.midi.files import build_midi, write_midi
from bridge.osc.packets import note_chunks
from bridge.paths import check_name, output_path
from models.api import Result


def result_stem(job_id: str, output: str | None) -> str:
    """The file stem: the requested output name, or the job name with the time (never overwrites)."""
    if output:
        return check_name(output.removesuffix(".mid"), "output name")
    return check_name(f"{job_id}-{time.strftime('%Y%m%d-%H%M%S')}", "output name")


def save_results(results: Sequence[Result], stem: str, output_dir: Path, title: str) -> list[Path]:
    """Write one MIDI file per variation (``stem.mid`` or ``stem-v1.mid``, ``stem-v2.mid``...)."""
    paths = []
    for number, result in enumerate(results, start=1):
        name = stem if len(results) == 1 else f"{stem}-v{number}"
        path = output_path(output_dir, name, ".mid")
        midi = build_midi(result.parts, result.tempo, result.meter, result.chords, title=title)
        paths.append(write_midi(path, midi))
    return paths


def save_previews(results: Sequence[Result], midi_paths: Sequence[Path], title: str) -> list[Path]:
    """A piano-roll PNG beside each MIDI file (same name, .png)."""
    from bridge.preview import write_preview

    return [write_preview(result, path.with_suffix(".png"), title) for result, path in zip(results, midi_paths)]


def notes_messages(job_id: str, results: Sequence[Result], max_bytes: int) -> list[list[object]]:
    """Argument lists of every /continuo/notes reply for ``results``."""
    messages = []
    for number, result in enumerate(results, start=1):
        for part, notes in result.parts.items():
            flat = [(n.pitch, n.start_beats, n.duration_beats, n.velocity) for n in notes]
            messages.extend(note_chunks(job_id, number, part, flat, max_bytes))
    return messages
