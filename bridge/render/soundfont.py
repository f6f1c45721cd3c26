"""SoundFont instruments: find a .sf2/.sf3 file and play a part through FluidSynth, offline."""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.errors import SoundfontError

if TYPE_CHECKING:  # NumPy loads with the render: the SoundFont can be parsed meanwhile (``preload``)
    import numpy as np

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


LIBRARY_NAMES = ("libfluidsynth.so.3", "libfluidsynth.so.2", "libfluidsynth.3.dylib", "libfluidsynth.dylib",
                 "libfluidsynth-3.dll", "fluidsynth-3.dll", "libfluidsynth-2.dll")
_SIGNATURES = {  # name: (result, arguments); pointers as c_void_p
    "new_fluid_settings": (ctypes.c_void_p, ()),
    "delete_fluid_settings": (None, (ctypes.c_void_p,)),
    "fluid_settings_setnum": (ctypes.c_int, (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_double)),
    "fluid_settings_setint": (ctypes.c_int, (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int)),
    "new_fluid_synth": (ctypes.c_void_p, (ctypes.c_void_p,)),
    "delete_fluid_synth": (None, (ctypes.c_void_p,)),
    "fluid_synth_sfload": (ctypes.c_int, (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int)),
    "fluid_synth_program_select": (ctypes.c_int, (ctypes.c_void_p,) + (ctypes.c_int,) * 4),
    "fluid_synth_noteon": (ctypes.c_int, (ctypes.c_void_p,) + (ctypes.c_int,) * 3),
    "fluid_synth_noteoff": (ctypes.c_int, (ctypes.c_void_p,) + (ctypes.c_int,) * 2),
    "fluid_synth_cc": (ctypes.c_int, (ctypes.c_void_p,) + (ctypes.c_int,) * 3),
    "fluid_synth_pitch_bend": (ctypes.c_int, (ctypes.c_void_p,) + (ctypes.c_int,) * 2),
    "fluid_synth_system_reset": (ctypes.c_int, (ctypes.c_void_p,)),
    "fluid_synth_all_sounds_off": (ctypes.c_int, (ctypes.c_void_p, ctypes.c_int)),
    "fluid_synth_write_float": (ctypes.c_int, (ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int,
                                               ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_int)),
    "fluid_synth_get_sfont_by_id": (ctypes.c_void_p, (ctypes.c_void_p, ctypes.c_int)),
    "fluid_synth_add_sfont": (ctypes.c_int, (ctypes.c_void_p, ctypes.c_void_p)),
    "fluid_synth_remove_sfont": (ctypes.c_int, (ctypes.c_void_p, ctypes.c_void_p)),
    "fluid_set_log_function": (ctypes.c_void_p, (ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)),
    "fluid_synth_get_active_voice_count": (ctypes.c_int, (ctypes.c_void_p,)),
}
_lib = None
_library_lock = threading.Lock()


def load_library():
    """libfluidsynth through ctypes, with the signatures of the calls used here.

    Loaded by its file name, as the dynamic loader finds it: the pyfluidsynth binding looks for it with
    ``ctypes.util.find_library``, which runs ``ldconfig`` in a subprocess on every start of a render.
    """
    global _lib
    with _library_lock:
        if _lib is None:
            _lib = _open_library()
    return _lib


def _open_library() -> ctypes.CDLL:
    """Load libfluidsynth by its usual file names, else as ``find_library`` finds it, and type its calls."""
    lib = None
    for name in LIBRARY_NAMES:
        try:
            lib = ctypes.CDLL(name)
            break
        except OSError:
            continue
    if lib is None:
        from ctypes.util import find_library

        found = find_library("fluidsynth")
        try:
            lib = ctypes.CDLL(found) if found else None
        except OSError:
            lib = None
    if lib is None:
        raise SoundfontError(
            "SoundFont rendering needs the FluidSynth library (Debian/Ubuntu: apt install libfluidsynth3; "
            "macOS: brew install fluid-synth), or use instrument = \"sketch\"")
    for name, (result, arguments) in _SIGNATURES.items():
        try:
            function = getattr(lib, name)
        except AttributeError as err:
            raise SoundfontError(f"the FluidSynth library found ({lib._name}) has no {name}: continuo needs "
                                 "FluidSynth 2 or later (apt install libfluidsynth3)") from err
        function.restype, function.argtypes = result, arguments
    return lib


class _Synth:
    """One FluidSynth synthesizer and its settings (what pyfluidsynth's ``Synth`` sets up, minus drivers)."""

    def __init__(self, settings: dict[str, float | int]):
        lib = self.lib = load_library()
        self.settings = lib.new_fluid_settings()
        for key, value in settings.items():  # floats are FluidSynth's "num" settings, ints its "int" ones
            if isinstance(value, float):
                lib.fluid_settings_setnum(self.settings, key.encode(), value)
            else:
                lib.fluid_settings_setint(self.settings, key.encode(), value)
        self.synth = lib.new_fluid_synth(self.settings)
        if not self.synth:
            lib.delete_fluid_settings(self.settings)
            raise SoundfontError("FluidSynth could not create a synthesizer (out of memory?)")

    def delete(self) -> None:
        self.lib.delete_fluid_synth(self.synth)
        self.lib.delete_fluid_settings(self.settings)


def _borrow_soundfont(path: Path) -> int:
    """The SoundFont at ``path``, parsed once per process and lent to every part's synth (a fluid_sfont_t*).

    Parsing a GM SoundFont takes 10-30 ms, as long as synthesising a short part. A SoundFont nobody
    uses is dropped when another one is loaded; give it back with ``_return_soundfont``.
    """
    key = str(path)
    with _loaded_lock:
        if key not in _loaded:
            for other in [k for k, entry in _loaded.items() if entry[2] == 0]:
                _loaded.pop(other)[0].delete()
            loader = _Synth({"synth.gain": 0.2, "synth.sample-rate": 44100.0, "synth.midi-channels": 16})
            sfid = load_library().fluid_synth_sfload(loader.synth, key.encode(), 0)
            if sfid < 0:
                loader.delete()
                raise SoundfontError(f"SoundFont {path} could not be loaded (is it a valid .sf2/.sf3 file?)")
            _loaded[key] = [loader, load_library().fluid_synth_get_sfont_by_id(loader.synth, sfid), 0]
        _loaded[key][2] += 1
        return _loaded[key][1]


def _return_soundfont(path: Path) -> None:
    with _loaded_lock:
        _loaded[str(path)][2] -= 1


def preload(wanted: str = "") -> threading.Thread:
    """Parse the SoundFont a render will most likely use (``wanted``, else the best one installed) on a thread
    of its own while the rest of the render loads (NumPy, pedalboard, the MIDI file): the first part then
    finds it parsed. Nothing is reported from here: a render that needs a missing library or file says so."""

    def load() -> None:
        try:
            path = find_soundfont(wanted)
            if path is not None:
                _borrow_soundfont(path)
                _return_soundfont(path)
        except (SoundfontError, OSError) as err:
            log.debug("no SoundFont parsed ahead of the render: %s", err)

    thread = threading.Thread(target=load, name="continuo-soundfont", daemon=True)
    thread.start()
    return thread


class SoundfontSynth:
    """A fresh FluidSynth instance for one part: a fresh one per part keeps renders bit-identical
    whichever parts a process rendered before (a reused instance keeps voice state between parts).
    The parsed SoundFont itself is shared (``_borrow_soundfont``).
    """

    def __init__(self, path: Path, sample_rate: int):
        self.path = path
        self.sample_rate = sample_rate
        self._lib = load_library()
        self._sfont = _borrow_soundfont(path)
        # FluidSynth's own reverb and chorus are off: effects come from the preset, so stems stay dry
        self._fs = _Synth({"synth.gain": GAIN, "synth.sample-rate": float(sample_rate), "synth.midi-channels": 16,
                           "synth.reverb.active": 0, "synth.chorus.active": 0, "synth.cpu-cores": 1,
                           "synth.polyphony": 512})
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
        import numpy as np

        lib, fs, sr, channel = self._lib, self._fs.synth, self.sample_rate, part.channel
        lib.fluid_synth_system_reset(fs)
        bank = 128 if part.is_drum else 0
        preset = part.program if program is None else program
        if lib.fluid_synth_program_select(fs, channel, self._sfid, bank, 0 if part.is_drum else preset) < 0:
            log.warning("%s has no program %d in bank %d; using program 0", self.path, preset, bank)
            lib.fluid_synth_program_select(fs, channel, self._sfid, bank, 0)
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
        noteon, noteoff, cc = lib.fluid_synth_noteon, lib.fluid_synth_noteoff, lib.fluid_synth_cc
        for frame, _, kind, a, b in events:
            frame = min(frame, frames)
            if frame > position:
                self._advance(out, position, frame, clean)
                position = frame
            if kind == "on":
                noteon(fs, channel, a, b)
            elif kind == "off":
                noteoff(fs, channel, a)
            elif kind == "cc":
                cc(fs, channel, a, b)
            else:
                lib.fluid_synth_pitch_bend(fs, channel, max(0, min(a + 8192, 16383)))
        if position < frames:
            self._advance(out, position, frames, clean)
        lib.fluid_synth_all_sounds_off(fs, channel)
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
