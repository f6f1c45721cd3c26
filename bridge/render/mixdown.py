"""One song's stems on their way to files: the mix, its master chain and loudness, every file written and renamed."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bridge.paths import commit_set, output_path, stage
from bridge.render.audio import encode_audio, fit_frames, gain_to, on_two_threads, sample_peak
from bridge.render.levels import held_gain, warn_if_clipping
from bridge.render.song import Song, safe_part_name
from bridge.render.specs import RenderPreset
from bridge.render.stemwriter import StemWriter

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
        self.mix: np.ndarray | None = None  # the sum so far, when stems do not wait (see ``finish``)
        self.staged: list[tuple[Path, Path]] = []  # (temporary file, final path)
        self.stems: dict[str, Path] = {}
        self.instruments: dict[str, str] = {}

    def add(self, name: str, audio: np.ndarray, instrument: str) -> bool:
        """Take the next part's stem. True when the caller may write over ``audio`` for the next part.

        Stems that wait are summed by ``finish``, once every part is in.
        """
        self.instruments[name] = instrument
        if self.waits:
            self.waiting[name] = audio
            return False
        target = self.preset.loudness_lufs  # None, or each stem to its own loudness, under the ceiling
        self.stems[name] = self._write(name, audio, 1.0 if target is None else held_gain(
            audio, gain_to(audio, self.preset.sample_rate, target, estimate=True), self.preset.true_peak_dbtp))
        if self.mix is None:
            self.mix = audio  # the mix is summed in place here: this stem's memory becomes the mix's
            return False
        self.mix += audio
        return True

    def finish(self) -> RenderedSong:
        """The master chain, loudness and the mix file; every file renamed into place."""
        from bridge.render.effects import apply_chain, build_chain

        preset, sr, target = self.preset, self.preset.sample_rate, self.preset.loudness_lufs
        summed = _summed(list(self.waiting.values())) if self.waits else self.mix
        assert summed is not None
        if preset.master_gain_db:
            summed *= np.float32(10 ** (preset.master_gain_db / 20))
        # with the mix's loudness setting every gain, the gain goes before the master chain, so its
        # limiter still catches the peaks; the chain is not linear, so the result is measured again
        # and trimmed (a fraction of a dB). The sum is not needed again: all of it works in place.
        # Both are measured at half the rate (estimate_lufs: within a few hundredths of a LU), on two threads.
        chained = bool(preset.master)
        gain = gain_to(summed, sr, target, estimate=True, threads=2) if self.waits else 1.0
        if gain != 1.0:
            summed *= np.float32(gain)
        stems = StemWriter(self.waiting, self._write, self._unstage, gain)  # written while the master chain runs
        master = build_chain(preset.master, f"[render.master] of {preset.source}", PLUGIN_LOAD_SECONDS)
        mix = fit_frames(apply_chain(master, summed, sr), summed.shape[1])
        held = 1.0
        if target is not None:  # normalising never takes the mix over the ceiling: the loudness gives way
            trim = gain_to(mix, sr, target, estimate=True, threads=2) if chained or not self.waits else 1.0
            peak = sample_peak(mix)
            held = held_gain(mix, trim, preset.true_peak_dbtp, peak)
            if held < trim:
                log.info("%s: the mix is held at %.1f dBTP, %.1f LU under %.1f LUFS; a Limiter in [render.master] "
                         "keeps the loudness", self.source, preset.true_peak_dbtp, 20 * math.log10(trim / held), target)
                if self.waits:
                    gain *= held / trim  # the stems keep their share of the mix
        mix_path = self._write(MIX, mix, held)  # at the held gain: the writer applies it as it packs
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
        path = output_path(self.out_dir, f"{self.base}-{name}", SUFFIXES[preset.format])
        peaks = []  # the peak of what was written, found while encoding
        # not synced to disk: a stem is re-rendered in seconds, and the rename alone already means a
        # crash never leaves a half-written file under the final name
        tmp = stage(path, lambda tmp: peaks.append(encode_audio(tmp, audio, preset.sample_rate, preset.format,
                                                                preset.bit_depth, gain)), durable=False)
        self.staged.append((tmp, path))
        warn_if_clipping(audio, 1.0, name, self.source, preset, peaks[0])
        return path


def _summed(stems: list[np.ndarray]) -> np.ndarray:
    """The stems' sum in part order, into new memory (the stems are written later), a channel on each of two
    threads: the same sum, bit for bit, however the parts were spread over workers. Summed here, once every
    part is in, rather than as the stems came: that sum ran beside the last parts, on the core and the memory
    bandwidth they needed (zeroing its new memory costs 10-90 ms on a virtual machine): 0.93-1.03x the render
    command's time, median 0.95x, in alternating runs (docs/render.md)."""
    if len(stems) == 1:
        return stems[0].copy()  # the one stem is written as it is
    mix = np.empty(stems[0].shape, dtype=stems[0].dtype)

    def channel(row: int) -> None:
        np.add(stems[0][row], stems[1][row], out=mix[row])
        for stem in stems[2:]:
            mix[row] += stem[row]

    if mix.shape[0] == 2:
        on_two_threads(lambda: channel(0), lambda: channel(1))
    else:
        for row in range(mix.shape[0]):
            channel(row)
    return mix


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
