"""SoundFont instruments: find a .sf2/.sf3 file and play a part through FluidSynth, offline."""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import threading
from pathlib import Path

import numpy as np

from bridge.errors import SoundfontError
from bridge.render.song import Part

log = logging.getLogger(__name__)

SUFFIXES = (".sf2", ".sf3")
PREFERRED = ("default-GM.sf2", "FluidR3_GM.sf2", "GeneralUser GS v1.471.sf2", "TimGM6mb.sf2",
             "MuseScore_General.sf3", "FluidR3Mono_GM.sf3")
GAIN = 0.5
INSTALL_HINT = ("install one (Debian/Ubuntu: apt install timgm6mb-soundfont or fluid-soundfont-gm; "
                "macOS: put a .sf2 in ~/Library/Audio/Sounds/Banks), set soundfont in the config or preset, "
                "or use instrument = \"sketch\"")


def soundfont_dirs() -> tuple[Path, ...]:
    """The usual places SoundFonts are installed, most specific first."""
    home = Path.home()
    dirs = [home / ".local/share/soundfonts", home / ".local/share/sounds/sf2", home / ".fluidsynth",
            Path("/usr/share/sounds/sf2"), Path("/usr/share/sounds/sf3"), Path("/usr/share/soundfonts"),
            Path("/usr/local/share/soundfonts"), Path("/opt/homebrew/share/soundfonts")]
    if sys.platform == "darwin":
        dirs[:0] = [home / "Library/Audio/Sounds/Banks", Path("/Library/Audio/Sounds/Banks")]
    if sys.platform == "win32":
        dirs[:0] = [home / "soundfonts", Path("C:/soundfonts")]
    return tuple(dirs)


def find_soundfont(wanted: str = "", dirs: tuple[Path, ...] | None = None) -> Path | None:
    """The SoundFont ``wanted`` names (a path or a file name in the usual folders), or the best one installed.

    Returns None when ``wanted`` is empty and none is installed; raises SoundfontError when ``wanted``
    names a file that is not there.
    """
    dirs = soundfont_dirs() if dirs is None else dirs
    if wanted:
        path = Path(os.path.expanduser(wanted))
        if path.is_file():
            return path
        for folder in dirs:
            if (folder / wanted).is_file():
                return folder / wanted
        raise SoundfontError(f"SoundFont {wanted!r} not found (looked in {', '.join(map(str, dirs))}); "
                             "give its full path in the soundfont setting or preset")
    found = [p for folder in dirs if folder.is_dir() for p in sorted(folder.iterdir())
             if p.suffix.lower() in SUFFIXES and p.is_file()]
    for name in PREFERRED:
        for path in found:
            if path.name == name:
                return path
    return found[0] if found else None


def require_soundfont(wanted: str = "", dirs: tuple[Path, ...] | None = None) -> Path:
    path = find_soundfont(wanted, dirs)
    if path is None:
        searched = ", ".join(str(d) for d in (soundfont_dirs() if dirs is None else dirs))
        raise SoundfontError(f"no SoundFont (.sf2/.sf3) found in {searched}; {INSTALL_HINT}")
    return path


FLUID_WARN = 2  # FluidSynth's log level for warnings
FLUID_BLOCK = 64  # FluidSynth synthesises in blocks of this many frames (FLUID_BUFSIZE)
SILENCE_CHECK_FRAMES = 64 * FLUID_BLOCK  # how often (93 ms at 44.1 kHz) a render asks whether anything sounds
_loaded: dict[str, list] = {}  # path -> [the synth that loaded it, its fluid_sfont_t*, synths using it]
_loaded_lock = threading.Lock()


def _library():
    """pyfluidsynth's handle on libfluidsynth, with the signatures of the calls pyfluidsynth does not wrap."""
    import fluidsynth

    lib = fluidsynth._fl
    if not getattr(lib, "_continuo_typed", False):
        lib.fluid_synth_write_float.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int,
                                                ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
        lib.fluid_synth_write_float.restype = ctypes.c_int
        lib.fluid_synth_get_sfont_by_id.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.fluid_synth_get_sfont_by_id.restype = ctypes.c_void_p
        lib.fluid_synth_add_sfont.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        lib.fluid_synth_add_sfont.restype = ctypes.c_int
        lib.fluid_synth_remove_sfont.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        lib.fluid_synth_remove_sfont.restype = ctypes.c_int
        lib.fluid_set_log_function.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
        lib.fluid_set_log_function.restype = ctypes.c_void_p
        lib.fluid_synth_get_active_voice_count.argtypes = [ctypes.c_void_p]
        lib.fluid_synth_get_active_voice_count.restype = ctypes.c_int
        lib._continuo_typed = True
    return lib


def _borrow_soundfont(path: Path) -> int:
    """The SoundFont at ``path``, parsed once per process and lent to every part's synth (a fluid_sfont_t*).

    Parsing a GM SoundFont takes 10-30 ms, as long as synthesising a short part. A SoundFont nobody
    uses is dropped when another one is loaded; give it back with ``_return_soundfont``.
    """
    import fluidsynth

    key = str(path)
    with _loaded_lock:
        if key not in _loaded:
            for other in [k for k, entry in _loaded.items() if entry[2] == 0]:
                _loaded.pop(other)[0].delete()
            loader = fluidsynth.Synth(samplerate=44100, channels=16)
            sfid = loader.sfload(key)
            if sfid < 0:
                loader.delete()
                raise SoundfontError(f"SoundFont {path} could not be loaded (is it a valid .sf2/.sf3 file?)")
            _loaded[key] = [loader, _library().fluid_synth_get_sfont_by_id(loader.synth, sfid), 0]
        _loaded[key][2] += 1
        return _loaded[key][1]


def _return_soundfont(path: Path) -> None:
    with _loaded_lock:
        _loaded[str(path)][2] -= 1


class SoundfontSynth:
    """A fresh FluidSynth instance for one part: a fresh one per part keeps renders bit-identical
    whichever parts a process rendered before (a reused instance keeps voice state between parts).
    The parsed SoundFont itself is shared (``_borrow_soundfont``).
    """

    def __init__(self, path: Path, sample_rate: int):
        try:
            import fluidsynth
        except ImportError as err:  # the binding is installed but libfluidsynth is not
            raise SoundfontError(
                "SoundFont rendering needs the FluidSynth library (Debian/Ubuntu: apt install libfluidsynth3; "
                f"macOS: brew install fluid-synth), or use instrument = \"sketch\" ({err})"
            ) from err
        self.path = path
        self.sample_rate = sample_rate
        self._lib = _library()
        self._sfont = _borrow_soundfont(path)
        # FluidSynth's own reverb and chorus are off: effects come from the preset, so stems stay dry
        self._fs = fluidsynth.Synth(gain=GAIN, samplerate=sample_rate, channels=16, **{
            "synth.reverb.active": 0, "synth.chorus.active": 0, "synth.cpu-cores": 1, "synth.polyphony": 512})
        self._sfid = self._lib.fluid_synth_add_sfont(self._fs.synth, self._sfont)
        if self._sfid < 0:
            self._fs.delete()
            _return_soundfont(path)
            raise SoundfontError(f"SoundFont {path} could not be used by the synthesizer; try another file")
        self._write = self._lib.fluid_synth_write_float
        self._active = self._lib.fluid_synth_get_active_voice_count
        self.skip_silence = True  # see _advance

    def render(self, part: Part, frames: int, program: int | None = None, out: np.ndarray | None = None) -> np.ndarray:
        """``part`` as stereo float32 audio of exactly ``frames`` samples (shape (2, frames)).

        ``out``, a C-contiguous float32 (2, frames) buffer, is written over and returned: a buffer an
        earlier part used is already in memory, where a new one costs the system a page of zeros for
        every page (a tenth of the render's time on a slow machine).
        """
        fs, sr, channel = self._fs, self.sample_rate, part.channel
        fs.system_reset()
        bank = 128 if part.is_drum else 0
        preset = part.program if program is None else program
        if fs.program_select(channel, self._sfid, bank, 0 if part.is_drum else preset) < 0:
            log.warning("%s has no program %d in bank %d; using program 0", self.path, preset, bank)
            fs.program_select(channel, self._sfid, bank, 0)
        events = []  # (frame, order, kind, a, b): note-offs before note-ons on the same frame
        for start, duration, pitch, velocity in part.notes:
            events.append((int(round(start * sr)), 1, "on", int(pitch), int(velocity)))
            events.append((int(round((start + duration) * sr)), 0, "off", int(pitch), 0))
        events += [(int(round(t * sr)), 0, "cc", number, value) for t, number, value in part.controls]
        events += [(int(round(t * sr)), 0, "bend", value, 0) for t, value in part.bends]
        events.sort(key=lambda e: (e[0], e[1]))
        clean = out is None  # zeros wherever nothing is written; a used buffer's skipped stretches are cleared
        if out is None:
            out = np.zeros((2, frames), dtype=np.float32)
        elif out.shape != (2, frames) or out.dtype != np.float32 or not out.flags.c_contiguous:
            raise ValueError(f"out must be C-contiguous float32 of shape (2, {frames})")
        self._rows = (out[0].ctypes.data, out[1].ctypes.data)  # contiguous rows: FluidSynth writes into them
        position = 0
        for frame, _, kind, a, b in events:
            frame = min(frame, frames)
            if frame > position:
                self._advance(out, position, frame, clean)
                position = frame
            if kind == "on":
                fs.noteon(channel, a, b)
            elif kind == "off":
                fs.noteoff(channel, a)
            elif kind == "cc":
                fs.cc(channel, a, b)
            else:
                fs.pitch_bend(channel, a)
        if position < frames:
            self._advance(out, position, frames, clean)
        fs.all_sounds_off(channel)
        return out

    def _advance(self, out: np.ndarray, start: int, end: int, clean: bool) -> None:
        """Synthesise frames ``start`` to ``end``, in slices; once no voice sounds (a rest, the tail
        after the last release) the rest is left at (or set to) zeros, which is what FluidSynth would
        write with its reverb and chorus off. Only whole 64-frame blocks are skipped, so later events
        keep their place within FluidSynth's blocks and the output is the same bytes (tested)."""
        synth = self._fs.synth
        while start < end:
            if self.skip_silence and not self._active(synth):
                skipped, start = start, start + (end - start) // FLUID_BLOCK * FLUID_BLOCK
                if not clean:
                    out[:, skipped:start] = 0.0
                if start < end:
                    self._fill(start, end)
                return
            stop = min(end, start + SILENCE_CHECK_FRAMES) if self.skip_silence else end
            self._fill(start, stop)
            start = stop

    def _fill(self, start: int, end: int) -> None:
        self._write(self._fs.synth, end - start, self._rows[0], start, 1, self._rows[1], start, 1)

    def close(self) -> None:
        """Give the shared SoundFont back (removing it makes FluidSynth warn once per channel: muted)."""
        lib = self._lib
        previous = lib.fluid_set_log_function(FLUID_WARN, None, None)
        try:
            lib.fluid_synth_remove_sfont(self._fs.synth, self._sfont)
        finally:
            lib.fluid_set_log_function(FLUID_WARN, previous, None)
        self._fs.delete()
        _return_soundfont(self.path)
