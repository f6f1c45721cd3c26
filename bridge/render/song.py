"""A MIDI file as parts to render: notes, controllers and pitch bends in seconds from bar 1."""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bridge.errors import InvalidRequest

MAX_SONG_SECONDS = 3600.0
GM_DRUM_CHANNEL = 9


@dataclass(frozen=True)
class Part:
    """One track: ``notes`` rows are (start_seconds, duration_seconds, pitch, velocity)."""

    name: str
    program: int
    is_drum: bool
    notes: np.ndarray  # (N, 4) float64
    controls: tuple[tuple[float, int, int], ...] = ()  # (seconds, controller, value)
    bends: tuple[tuple[float, int], ...] = ()  # (seconds, -8192..8191)

    @property
    def channel(self) -> int:
        return GM_DRUM_CHANNEL if self.is_drum else 0

    @property
    def end_seconds(self) -> float:
        return float((self.notes[:, 0] + self.notes[:, 1]).max()) if len(self.notes) else 0.0


@dataclass(frozen=True)
class Song:
    """The parts of one MIDI file; ``end_seconds`` is when the last note ends."""

    name: str
    parts: tuple[Part, ...]
    end_seconds: float


def safe_part_name(raw: str, fallback: str, max_length: int = 30) -> str:
    """A name usable in a file name: letters, digits, _ and -, at most ``max_length`` characters."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", raw.strip()).strip("_-")[:max_length].strip("_-")
    return name or fallback


def import_symusic_core() -> types.ModuleType:
    """symusic's compiled core (``symusic.core``, where ``ScoreSecond`` reads a file), without the Python package
    around it: that package builds a dozen factory dataclasses and imports hashlib (OpenSSL) and a downloader
    for symusic's own SoundFonts, none of which reading a file uses: 40 ms of every render's start, where the
    core takes 10. ``symusic`` imported later, by anyone, is the whole package around this same core (its
    modules take the core from ``sys.modules``)."""
    core = sys.modules.get("symusic.core")
    if core is not None:
        return core
    if "symusic" in sys.modules:  # the package is there already: its core comes with it
        return importlib.import_module("symusic.core")
    found = importlib.util.find_spec("symusic")
    if found is None or not found.submodule_search_locations:
        raise ImportError("reading MIDI files needs symusic (pip install symusic)")
    shell = types.ModuleType("symusic")  # the package's folder, without running its __init__
    shell.__path__ = list(found.submodule_search_locations)
    sys.modules["symusic"] = shell
    try:
        return importlib.import_module("symusic.core")
    finally:
        if sys.modules.get("symusic") is shell:
            del sys.modules["symusic"]


def read_song(path: Path | str) -> Song:
    """Parse ``path`` (type 0 or 1) into parts, one per track (and channel); a clear error for a bad file."""
    core = import_symusic_core()
    path = Path(path)
    if not path.is_file():
        raise InvalidRequest(f"MIDI file {path} does not exist")
    try:
        score = core.ScoreSecond.from_file(path, None, False)  # what symusic.Score(path, ttype="second") calls
    except Exception as err:  # symusic raises plain RuntimeError/ValueError for any parse failure
        from bridge.midi.tracks import file_problem

        raise InvalidRequest(f"{path} {file_problem(err)}") from err
    parts: list[Part] = []
    used: set[str] = set()
    for index, track in enumerate(score.tracks):
        if len(track.notes) == 0:
            continue
        arrays = track.notes.numpy()
        notes = np.stack([arrays["time"].astype(np.float64), arrays["duration"].astype(np.float64),
                          arrays["pitch"].astype(np.float64), arrays["velocity"].astype(np.float64)], axis=1)
        notes = notes[(notes[:, 1] > 0) & (notes[:, 3] > 0)]
        if not len(notes):
            continue
        notes = notes[np.lexsort((notes[:, 2], notes[:, 0]))]
        name = safe_part_name(track.name, "drums" if track.is_drum else f"track{index + 1}")
        if name.lower() == "mix":
            name = "mix_part"  # "mix" is the name of the mixdown file
        base, number = name, 2
        while name in used:
            name, number = f"{base}-{number}", number + 1
        used.add(name)
        controls = tuple((float(c.time), int(c.number), int(c.value)) for c in track.controls)
        bends = tuple((float(b.time), int(b.value)) for b in track.pitch_bends)
        parts.append(Part(name, int(track.program), bool(track.is_drum), notes, controls, bends))
    if not parts:
        raise InvalidRequest(f"MIDI file {path} holds no notes to render")
    end = max(p.end_seconds for p in parts)
    if end > MAX_SONG_SECONDS:
        raise InvalidRequest(f"MIDI file {path} lasts {end:.0f} s; continuo renders at most {MAX_SONG_SECONDS:.0f} s")
    return Song(path.stem, tuple(parts), end)
