"""Turn model results into MIDI files in the output folder and into /continuo/notes chunks."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from bridge.midi.files import build_midi
from bridge.osc.packets import note_chunks
from bridge.paths import check_name, commit_set, stage
from models.types import Result


def result_stem(job_id: str, output: str | None) -> str:
    """The file stem: the requested output name, or the job name with the time (``save_results`` numbers it
    when a result already has it)."""
    if output:
        return check_name(output.removesuffix(".mid"), "output name")
    return check_name(f"{job_id}-{time.strftime('%Y%m%d-%H%M%S')}", "output name")


def save_results(results: Sequence[Result], stem: str, output_dir: Path, title: str,
                 programs: Mapping[str, int] | None = None, overwrite: bool = False,
                 suffix: str = ".mid") -> list[Path]:
    """Write one MIDI file per variation (``stem.mid`` or ``stem-v1.mid``, ``stem-v2.mid``...), with
    ``programs`` (a preset's, part → General MIDI program) instead of the parts' own.

    When a result already has that name, this one is numbered (``stem-2.mid``; its preview and stems
    follow its MIDI file's name) unless ``overwrite``. ``stem`` is a checked name (``result_stem``) or
    the user's own file name (the CLI's ``--out``).
    """
    staged: list[tuple[Path, str]] = []
    try:
        for number, result in enumerate(results, start=1):
            rest = suffix if len(results) == 1 else f"-v{number}{suffix}"
            midi = build_midi(result.parts, result.tempo, result.meter, result.chords, title=title, programs=programs,
                              key=result.info.get("key", ""))
            staged.append((stage(output_dir / f"{stem}{rest}", lambda tmp, midi=midi: midi.save(str(tmp))), rest))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    name = commit_set(output_dir, stem, staged, overwrite)
    return [output_dir / f"{name}{rest}" for _, rest in staged]


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
