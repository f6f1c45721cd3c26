"""Render MIDI files to stems and a mix: parts across threads (or files across processes), then mix and write."""

from __future__ import annotations

import logging
import math
import os
import queue
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import BrokenExecutor, Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bridge.errors import RenderError
from bridge.paths import commit_set, output_path, stage
from bridge.render.audio import encode_audio, fit_frames, gain_to
from bridge.render.levels import balance, held_gain, place, warn_if_clipping
from bridge.render.stemwriter import StemWriter
from bridge.render.specs import PartSpec, RenderPreset
from bridge.render.song import Part, Song, read_song, safe_part_name

log = logging.getLogger(__name__)

SUFFIXES = {"wav": ".wav", "flac": ".flac", "aiff": ".aif"}
MIX = "mix"
PLUGIN_LOAD_SECONDS = 10.0


@dataclass(frozen=True)
class RenderedSong:
    """The files written for one MIDI file; every stem and the mix have ``frames`` samples."""

    source: Path
    mix: Path
    stems: dict[str, Path]
    frames: int
    sample_rate: int
    loudness_gain_db: float = 0.0
    instruments: dict[str, str] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate


def song_frames(song: Song, preset: RenderPreset) -> int:
    """Every stem's length: from bar 1 to the last note's end plus the tail for releases and reverbs."""
    return int(math.ceil((song.end_seconds + preset.tail_seconds) * preset.sample_rate))


def choose_instrument(part: Part, spec: PartSpec, preset: RenderPreset, soundfont: str) -> tuple[str, str]:
    """(kind, detail) for a part: ``auto`` plays a SoundFont when one is found, else the sketch set."""
    from bridge.render.sketch import voice_for_program
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
    return "sketch", spec.voice or voice_for_program(part.program, part.is_drum)


def render_part(part: Part, spec: PartSpec, preset: RenderPreset, soundfont: str, frames: int,
                where: str, out: np.ndarray | None = None) -> tuple[np.ndarray, str]:
    """One stem: the instrument, then gain and pan, then the part's effects.

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
                      song_path: str, out: np.ndarray | None = None) -> tuple[np.ndarray, str]:
    part = song.parts[index]
    return render_part(part, preset.part(part.name), preset, soundfont, song_frames(song, preset),
                       f"[render.parts.{part.name}] of {preset.source} (part {part.name} of {song_path})", out)


def _render_task(song_path: str, index: int, preset: RenderPreset, soundfont: str) -> tuple[np.ndarray, str]:
    """Pool entry point: parse the file again (cheap) rather than pickling notes; render one part."""
    return _render_song_part(read_song(song_path), index, preset, soundfont, song_path)


class Mixdown:
    """One song's stems on their way to files, given in part order: each is added to the mix and
    written at once, unless the mix's loudness sets its gain (``loudness_mode = "mix"``): then it waits
    for ``finish``. The files are renamed into place together by ``finish``; ``discard`` removes them
    when the render fails, so a failed render never leaves a mixed set of old and new stems.
    """

    def __init__(self, song: Song, source: Path, preset: RenderPreset, out_dir: Path, prefix: str = ""):
        self.source, self.preset, self.out_dir = source, preset, out_dir
        self.base = prefix or safe_part_name(song.name, "song", 30)
        self.waits = preset.loudness_lufs is not None and preset.loudness_mode == "mix"
        self.waiting: dict[str, np.ndarray] = {}
        self.mix: np.ndarray | None = None
        self.staged: list[tuple[Path, Path]] = []  # (temporary file, final path)
        self.stems: dict[str, Path] = {}
        self.instruments: dict[str, str] = {}

    def add(self, name: str, audio: np.ndarray, instrument: str) -> bool:
        """Take the next part's stem. True when the caller may write over ``audio`` for the next part."""
        self.instruments[name] = instrument
        if self.waits:
            self.waiting[name] = audio
            return False
        target = self.preset.loudness_lufs  # None, or each stem to its own loudness, under the ceiling
        self.stems[name] = self._write(name, audio, 1.0 if target is None else held_gain(
            audio, gain_to(audio, self.preset.sample_rate, target), self.preset.true_peak_dbtp))
        if self.mix is None:
            self.mix = audio  # the mix is summed in place here: this stem's memory becomes the mix's
            return False
        self.mix += audio
        return True

    def finish(self) -> RenderedSong:
        """The master chain, loudness and the mix file; every file renamed into place."""
        from bridge.render.effects import apply_chain, build_chain

        preset, sr, target = self.preset, self.preset.sample_rate, self.preset.loudness_lufs
        if self.waits:
            parts = list(self.waiting.values())
            summed = parts[0] + parts[1] if len(parts) > 1 else parts[0].copy()
            for audio in parts[2:]:
                summed += audio  # in place: a stacked sum would copy every stem once more
        else:
            summed = self.mix
        if preset.master_gain_db:
            summed *= np.float32(10 ** (preset.master_gain_db / 20))
        # with the mix's loudness setting every gain, the gain goes before the master chain, so its
        # limiter still catches the peaks; the chain is not linear, so the result is measured again
        # and trimmed (a fraction of a dB). The sum is not needed again: all of it works in place.
        # With a master chain, the first measure is an estimate (the trim after the chain is exact).
        chained = bool(preset.master)
        gain = gain_to(summed, sr, target, estimate=chained) if self.waits else 1.0
        if gain != 1.0:
            summed *= np.float32(gain)
        stems = StemWriter(self.waiting, self._write, self._unstage, gain)  # written while the master chain runs
        master = build_chain(preset.master, f"[render.master] of {preset.source}", PLUGIN_LOAD_SECONDS)
        mix = fit_frames(apply_chain(master, summed, sr), summed.shape[1])
        if target is not None:  # normalising never takes the mix over the ceiling: the loudness gives way
            trim = gain_to(mix, sr, target) if chained or not self.waits else 1.0
            held = held_gain(mix, trim, preset.true_peak_dbtp)
            if held < trim:
                log.info("%s: the mix is held at %.1f dBTP, %.1f LU under %.1f LUFS; a Limiter in [render.master] "
                         "keeps the loudness", self.source, preset.true_peak_dbtp, 20 * math.log10(trim / held), target)
                if self.waits:
                    gain *= held / trim  # the stems keep their share of the mix
            if held != 1.0:
                mix *= np.float32(held)
        mix_path = self._write(MIX, mix, 1.0)  # beside the stems still being written
        self.stems.update(stems.finish(gain))
        name = commit_set(mix_path.parent, self.base, [(tmp, path.name[len(self.base):]) for tmp, path in self.staged],
                          preset.overwrite, audio_only=True)  # stems already there: this set gets a number
        self.staged.clear()
        final = {path: path.with_name(name + path.name[len(self.base):]) for path in (mix_path, *self.stems.values())}
        return RenderedSong(self.source, final[mix_path], {k: final[p] for k, p in self.stems.items()}, mix.shape[1],
                            sr, 20 * math.log10(gain), dict(self.instruments))

    def discard(self) -> None:
        for tmp, _ in self.staged:
            tmp.unlink(missing_ok=True)
        self.staged.clear()

    def _unstage(self, paths: Iterable[Path]) -> None:
        """Forget staged files (to be written again)."""
        gone = set(paths)
        for tmp, _ in [entry for entry in self.staged if entry[1] in gone]:
            tmp.unlink(missing_ok=True)
        self.staged[:] = [entry for entry in self.staged if entry[1] not in gone]

    def _write(self, name: str, audio: np.ndarray, gain: float) -> Path:
        preset = self.preset
        warn_if_clipping(audio, gain, name, self.source, preset)
        path = output_path(self.out_dir, f"{self.base}-{name}", SUFFIXES[preset.format])
        # not synced to disk: a stem is re-rendered in seconds, and the rename alone already means a
        # crash never leaves a half-written file under the final name
        tmp = stage(path, lambda tmp: encode_audio(tmp, audio, preset.sample_rate, preset.format, preset.bit_depth,
                                                   gain), durable=False)
        self.staged.append((tmp, path))
        return path


def mix_and_write(song: Song, source: Path, stems: Iterable[tuple[str, np.ndarray, str]], preset: RenderPreset,
                  out_dir: Path, prefix: str = "",
                  on_mixed: Callable[[np.ndarray | None], None] = lambda reusable: None) -> RenderedSong:
    """Mix ``stems`` ((part, audio, instrument), in part order, taken as they come), run the master
    chain, normalise loudness, write every file (see Mixdown).

    ``on_mixed(audio)`` is called after each stem with its memory when the next part may write over
    it, else with None.
    """
    mixdown = Mixdown(song, source, preset, out_dir, prefix)
    try:
        for name, audio, instrument in stems:
            on_mixed(audio if mixdown.add(name, audio, instrument) else None)
        return mixdown.finish()
    finally:
        mixdown.discard()


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
    log.info("rendered %d file(s), %d part(s) in %.2f s with %d process(es)", len(songs), total,
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

    def render(song: Song, index: int, path: Path) -> tuple[np.ndarray, str]:
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
