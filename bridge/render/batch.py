"""`continuo render`: one MIDI file or a folder of them to stems, with a progress bar."""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.errors import InvalidRequest
from bridge.paths import check_folder
from bridge.presets import load_preset
from bridge.render.specs import FORMATS, INSTRUMENTS, RenderPreset, with_instrument
from bridge.settings import Settings

if TYPE_CHECKING:
    from bridge.render.stems import RenderedSong

log = logging.getLogger(__name__)

MIDI_SUFFIXES = (".mid", ".midi")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The render command's own flags (settings flags are added by the CLI)."""
    parser.add_argument("source", type=Path, help="a MIDI file, or a folder: every .mid/.midi file in it")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for the audio files")
    parser.add_argument("--preset", metavar="NAME", help="preset name in presets/ or a TOML file "
                        "(default: the render_preset setting)")
    parser.add_argument("--format", choices=FORMATS, help="file format (default: the preset's, else wav)")
    parser.add_argument("--sample-rate", type=int, metavar="HZ", help="sample rate, e.g. 44100 or 48000")
    parser.add_argument("--bit-depth", type=int, choices=(16, 24, 32), help="bits per sample (32: float WAV)")
    parser.add_argument("--loudness", type=float, metavar="LUFS", help="normalise loudness to this target")
    parser.add_argument("--instrument", choices=[i for i in INSTRUMENTS if i != "plugin"],
                        help="play every part with this instrument, whatever the preset says")
    parser.add_argument("--jobs", type=int, metavar="N",
                        help="parallel processes (default: the render_jobs setting; 0: one per core)")
    parser.add_argument("--overwrite", action="store_true",
                        help="write over stems of the same name in the folder (default: the new ones get a "
                        "number: song-2-bass.wav)")


def midi_inputs(source: Path) -> list[Path]:
    """``source`` itself, or the MIDI files in the folder ``source`` (sorted, not recursive)."""
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.suffix.lower() in MIDI_SUFFIXES and p.is_file())
        if not files:
            raise InvalidRequest(f"folder {source} holds no .mid or .midi files")
        return files
    if not source.is_file():
        raise InvalidRequest(f"{source} does not exist; give a MIDI file or a folder of them")
    return [source]


def preset_from_args(args: argparse.Namespace, settings: Settings) -> RenderPreset:
    preset = load_preset(args.preset or settings.render_preset).render
    preset = with_instrument(preset, args.instrument)
    return preset.replace(format=args.format, sample_rate=args.sample_rate, bit_depth=args.bit_depth,
                          loudness_lufs=args.loudness, overwrite=args.overwrite)


def run(args: argparse.Namespace, settings: Settings) -> list[RenderedSong]:
    """Render what ``args`` names; a tqdm bar on stderr counts parts when it is a terminal."""
    quiet_blas()  # before the preset's effects are checked: that loads NumPy
    with loading_uncollected():
        files = midi_inputs(args.source)
        check_folder(args.out, "--out")
        from bridge.render.soundfont import preload

        if args.instrument != "sketch":  # parsed on the other core while the preset's check loads NumPy and pedalboard
            preload(settings.soundfont)  # (the SoundFont the default preset plays; a render that needs none ignores it)
        preset = preset_from_args(args, settings)
        jobs = settings.render_jobs if args.jobs is None else args.jobs
        if jobs < 0:
            raise InvalidRequest(f"--jobs {jobs}: give 0 (one per core) or more")
        if preset.soundfont and preset.soundfont != settings.soundfont and any(
                spec.instrument in ("auto", "soundfont") for spec in (preset.default, *preset.parts.values())):
            preload(preset.soundfont)  # the preset's own
        from bridge.render.stems import render_files
    try:
        if not sys.stderr.isatty():  # no bar to draw: tqdm is not even imported
            return render_files(files, preset, args.out, settings.soundfont, jobs)
        from tqdm import tqdm

        with tqdm(total=0, unit="part", desc="rendering", leave=False) as bar:
            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()

            return render_files(files, preset, args.out, settings.soundfont, jobs, progress)
    finally:
        gc.freeze()  # what is left lives until the command ends: the interpreter's last collection skips it


@contextlib.contextmanager
def loading_uncollected() -> Iterator[None]:
    """No garbage collection while the render's libraries load; then what they made is frozen (``gc.freeze``:
    left out of every later collection, the interpreter's last one at exit included).

    Loading NumPy, pedalboard and the render's modules makes tens of thousands of objects, which set off
    collections that walk them (10 ms of a render's start), and the interpreter walks them all once more as the
    command exits (20 ms after every file is written); they live until the command ends anyway."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def quiet_blas() -> None:
    """No BLAS threads for a render, unless the environment asks for them: a render does no matrix products,
    but NumPy's OpenBLAS starts a thread per core as it loads, which spins a while on the other core, where
    the SoundFont is being parsed (1.6 % of a render's CPU in `perf`). Call before NumPy loads."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def describe(song: RenderedSong) -> list[str]:
    """Lines the CLI prints for one rendered file: the mix, then each stem and its instrument."""
    lines = [f"{song.mix}  (mix, {song.seconds:.2f} s, {song.sample_rate} Hz"
             + (f", loudness gain {song.loudness_gain_db:+.1f} dB)" if song.loudness_gain_db else ")")]
    for name, path in song.stems.items():
        lines.append(f"{path}  ({name}: {song.instruments.get(name, '?')})")
    return lines
