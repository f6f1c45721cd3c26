"""Render MIDI files to stems and a mix: parts across threads (or files across processes), then mix and write."""

from __future__ import annotations

import logging
import math
import os
import queue
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import BrokenExecutor, Executor, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from bridge.errors import RenderError
from bridge.render.audio import fit_frames
from bridge.render.levels import balance, place
from bridge.render.mixdown import PLUGIN_LOAD_SECONDS, RenderedSong, mix_and_write
from bridge.render.specs import PartSpec, RenderPreset
from bridge.render.song import Part, Song, read_song

log = logging.getLogger(__name__)

__all__ = ["RenderedSong", "choose_instrument", "render_files", "render_part", "scratch_root", "song_frames"]

Stem = tuple[np.ndarray, str]  # (audio, instrument)


def song_frames(song: Song, preset: RenderPreset) -> int:
    """Every stem's length: from bar 1 to the last note's end plus the tail for releases and reverbs."""
    return int(math.ceil((song.end_seconds + preset.tail_seconds) * preset.sample_rate))


def choose_instrument(part: Part, spec: PartSpec, preset: RenderPreset, soundfont: str) -> tuple[str, str]:
    """(kind, detail) for a part: ``auto`` plays a SoundFont when one is found, else the sketch set."""
    from bridge.render.soundfont import find_soundfont, require_soundfont

    wanted = spec.soundfont or preset.soundfont or soundfont
    if spec.instrument == "plugin":
        return "plugin", spec.plugin
    if spec.instrument == "soundfont":
        return "soundfont", str(require_soundfont(wanted))
    if spec.instrument == "auto":  # a SoundFont when found; ``voice`` is the sketch voice otherwise
        found = find_soundfont(wanted)
        if found is not None:
            return "soundfont", str(found)
    if spec.voice:
        return "sketch", spec.voice
    from bridge.render.sketch import voice_for_program  # only here: a SoundFont render need not load the sketch set

    return "sketch", voice_for_program(part.program, part.is_drum)


def render_part(part: Part, spec: PartSpec, preset: RenderPreset, soundfont: str, frames: int,
                where: str, out: np.ndarray | None = None) -> Stem:
    """One stem: the instrument, then gain and pan, then the part's effects; (audio, instrument).

    ``out`` (float32, (2, frames)), when given, may be written over and returned: an earlier stem's
    memory, which is cheaper than new memory (a SoundFont part renders straight into it).
    """
    from bridge.render.effects import apply_chain, build_chain

    kind, detail = choose_instrument(part, spec, preset, soundfont)
    sr = preset.sample_rate
    if kind == "sketch":
        from bridge.render.sketch import SketchSynth

        dry = SketchSynth(sr).render(part, detail, frames)
    elif kind == "soundfont":
        from bridge.render.soundfont import SoundfontSynth

        synth = SoundfontSynth(Path(detail), sr)
        try:
            dry = synth.render(part, frames, spec.program, out)
        finally:
            synth.close()
    else:
        from bridge.render.plugins import load_plugin, render_plugin_part

        instrument = load_plugin(spec.plugin, spec.plugin_name, spec.params, where, PLUGIN_LOAD_SECONDS)
        dry = render_plugin_part(part, instrument, frames, sr, where)
    stereo = place(dry, spec.pan, 0.0 if preset.balance else spec.gain_db)
    chain = build_chain(spec.effects, where, PLUGIN_LOAD_SECONDS)
    wet = fit_frames(apply_chain(chain, fit_frames(stereo, frames), sr), frames)
    if preset.balance:  # after the effects: a reverb's dry level alone can add 5 dB
        balance(wet, sr, spec.gain_db)
    return wet, f"{kind}:{Path(detail).name if kind != 'sketch' else detail}"


def _render_song_part(song: Song, index: int, preset: RenderPreset, soundfont: str,
                      song_path: str, out: np.ndarray | None = None) -> Stem:
    part = song.parts[index]
    return render_part(part, preset.part(part.name), preset, soundfont, song_frames(song, preset),
                       f"[render.parts.{part.name}] of {preset.source} (part {part.name} of {song_path})", out)


def _render_task(song_path: str, index: int, preset: RenderPreset, soundfont: str) -> Stem:
    """Pool entry point: parse the file again (cheap) rather than pickling notes; render one part."""
    return _render_song_part(read_song(song_path), index, preset, soundfont, song_path)


def render_files(
    paths: Sequence[Path],
    preset: RenderPreset,
    out_dir: Path,
    soundfont: str = "",
    jobs: int = 0,
    progress: Callable[[int, int], None] | None = None,
    prefixes: Sequence[str] | None = None,
    scratch_dir: str | None = None,
) -> list[RenderedSong]:
    """Render every file with ``jobs`` workers (0: one per core): a file per process when there are at
    least as many files as workers, else every part on a thread of this process (parts on processes
    when an external plugin is involved).

    ``scratch_dir`` holds the parts' audio while they are mixed (default: /dev/shm or the temporary
    folder); the daemon passes a folder it removes even when it has to kill the render.

    ``progress(done_parts, total_parts)`` is called as parts finish. With one job everything runs in
    this process (no pool).
    """
    songs = [read_song(p) for p in paths]
    jobs = jobs or os.cpu_count() or 1
    total = sum(len(s.parts) for s in songs)
    jobs = max(1, min(jobs, total))
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if jobs == 1:
        results = _render_serial(paths, songs, preset, out_dir, soundfont, progress, prefixes)
    elif len(songs) < jobs and not _uses_plugins(songs, preset):
        results = _render_threaded(paths, songs, preset, out_dir, soundfont, progress, prefixes, jobs)
    else:
        import multiprocessing  # only here: a render on threads need not load it
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            results = _render_pooled(pool, paths, songs, preset, out_dir, soundfont, progress, prefixes, jobs,
                                     scratch_dir)
    log.info("rendered %d file(s), %d part(s) in %.2f s with %d job(s)", len(songs), total,
             time.perf_counter() - started, jobs)
    return results


def _render_song(path: Path, song: Song, preset: RenderPreset, out_dir: Path, soundfont: str, prefix: str,
                 on_part: Callable[[], None] = lambda: None) -> RenderedSong:
    """Every part of one file in this process, each written as soon as it is mixed, its memory used
    again for the next part."""
    spare: list[np.ndarray | None] = [None]

    def stems() -> Iterator[tuple[str, np.ndarray, str]]:
        for index, part in enumerate(song.parts):
            yield (part.name, *_render_song_part(song, index, preset, soundfont, str(path), spare[0]))

    def mixed(reusable: np.ndarray | None) -> None:
        spare[0] = reusable
        on_part()

    return mix_and_write(song, Path(path), stems(), preset, out_dir, prefix, mixed)


def _uses_plugins(songs: Sequence[Song], preset: RenderPreset) -> bool:
    """True when a part's instrument or any effect is an external plugin: those render in processes
    (a plugin may not be safe to run beside itself in threads, and a crash must stay in its process)."""
    if any(effect.plugin for effect in preset.master):
        return True
    for song in songs:
        for part in song.parts:
            spec = preset.part(part.name)
            if spec.instrument == "plugin" or any(effect.plugin for effect in spec.effects):
                return True
    return False


def _render_threaded(paths, songs, preset, out_dir, soundfont, progress, prefixes, jobs: int) -> list[RenderedSong]:
    """Fewer files than processes: every part of every file on a pool of threads in this process.

    FluidSynth, pedalboard's effects and NumPy's large array operations run without the GIL, so
    parts render side by side with no process start-up and no audio copied between processes;
    each part still gets its own synthesizer, and this thread mixes them in part order, so the files
    are the bytes a serial render writes. A stem's memory, once mixed and written, goes to the next part.
    """
    total, done = sum(len(s.parts) for s in songs), 0
    spares: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()

    def render(song: Song, index: int, path: Path) -> Stem:
        try:
            out = spares.get_nowait()
        except queue.Empty:
            out = None
        if out is not None and out.shape != (2, song_frames(song, preset)):
            out = None  # another file's length
        return _render_song_part(song, index, preset, soundfont, str(path), out)

    def mixed(reusable: np.ndarray | None) -> None:
        nonlocal done
        if reusable is not None:
            spares.put(reusable)
        done += 1
        if progress:
            progress(done, total)

    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="continuo-render") as pool:
        futures = [[pool.submit(render, song, index, path) for index in range(len(song.parts))]
                   for path, song in zip(paths, songs)]
        try:
            return [mix_and_write(song, Path(path), ((part.name, *future.result()) for part, future
                                                     in zip(song.parts, futures[number])),
                                  preset, out_dir, prefixes[number] if prefixes else "", mixed)
                    for number, (path, song) in enumerate(zip(paths, songs))]
        finally:
            for pending in (f for group in futures for f in group):
                pending.cancel()


def _render_task_into(song_path: str, index: int, preset: RenderPreset, soundfont: str, scratch: str,
                      shape: tuple[int, int, int]) -> str:
    """Pool entry point for one part of a single file: the stem goes into slot ``index`` of a memory-mapped
    scratch file, so the audio is not pickled through a pipe."""
    audio, instrument = _render_task(song_path, index, preset, soundfont)
    stems = np.memmap(scratch, dtype=np.float32, mode="r+", shape=shape)
    stems[index] = audio
    stems.flush()
    del stems
    return instrument


def scratch_root() -> str | None:
    """Memory-backed when the system has one (Linux), else the temporary folder."""
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def _render_file_task(path: str, preset: RenderPreset, out_dir: Path, soundfont: str, prefix: str) -> RenderedSong:
    """Pool entry point for batches: a whole file per task, so no audio crosses between processes."""
    return _render_song(Path(path), read_song(path), preset, out_dir, soundfont, prefix)


def _render_serial(paths, songs, preset, out_dir, soundfont, progress, prefixes) -> list[RenderedSong]:
    done, total = [0], sum(len(s.parts) for s in songs)

    def on_part() -> None:
        done[0] += 1
        if progress:
            progress(done[0], total)

    return [_render_song(path, song, preset, out_dir, soundfont, prefixes[n] if prefixes else "", on_part)
            for n, (path, song) in enumerate(zip(paths, songs))]


def _render_pooled(pool: Executor, paths, songs, preset, out_dir, soundfont, progress, prefixes,
                   jobs: int, scratch_dir: str | None) -> list[RenderedSong]:
    """Whole files per task when there are enough files to keep every process busy; else parts per
    task (their audio comes back here to be mixed)."""
    total = sum(len(s.parts) for s in songs)
    prefix_of = [prefixes[n] if prefixes else "" for n in range(len(songs))]
    by_file = len(songs) >= jobs
    if by_file:
        futures = [[pool.submit(_render_file_task, str(path), preset, out_dir, soundfont, prefix)]
                   for path, prefix in zip(paths, prefix_of)]
    else:
        scratch = tempfile.TemporaryDirectory(prefix="continuo-stems-", dir=scratch_dir or scratch_root())
        shapes = [(len(song.parts), 2, song_frames(song, preset)) for song in songs]
        buffers = [np.memmap(Path(scratch.name) / f"{n}.f32", dtype=np.float32, mode="w+", shape=shape)
                   for n, shape in enumerate(shapes)]
        futures = [[pool.submit(_render_task_into, str(path), index, preset, soundfont, buffer.filename, shape)
                    for index in range(len(song.parts))]
                   for path, song, buffer, shape in zip(paths, songs, buffers, shapes)]
    results, done = [], 0
    try:
        for number, (path, song, song_futures, prefix) in enumerate(zip(paths, songs, futures, prefix_of)):
            if by_file:
                results.append(song_futures[0].result())
                done += len(song.parts)
                if progress:
                    progress(done, total)
                continue
            def mixed(reusable: np.ndarray | None) -> None:
                nonlocal done
                done += 1
                if progress:
                    progress(done, total)

            stems = ((part.name, buffers[number][index], future.result())
                     for index, (part, future) in enumerate(zip(song.parts, song_futures)))
            results.append(mix_and_write(song, Path(path), stems, preset, out_dir, prefix, mixed))
    except BrokenExecutor as err:  # a process of the pool died
        raise RenderError(
            f"an instrument or effect crashed a render process while rendering {path}; find the plugin "
            "with a plain chain, or use instrument = \"sketch\" / \"soundfont\" for its part"
        ) from err
    finally:
        for pending in (f for group in futures for f in group):
            pending.cancel()
        if not by_file:
            del buffers
            scratch.cleanup()
    return results
