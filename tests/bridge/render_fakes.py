"""Helpers for render tests: a short multi-part song, and render-process entry points that misbehave."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bridge.midi.files import build_midi, write_midi
from models.types import Note

TEMPO = 120.0  # two bars of 4/4: 4 seconds


def write_song(path: Path, parts: tuple[str, ...] = ("melody", "keys", "bass", "pad", "drums"), bars: int = 2) -> Path:
    """A small song with one track per part (drums on channel 10), every part sounding from bar 1."""
    beats = 4 * bars
    notes: dict[str, tuple[Note, ...]] = {
        "melody": tuple(Note(72 + (b % 5), float(b), 0.9, 96) for b in range(beats)),
        "counter": tuple(Note(67 + (b % 3), b * 1.0, 0.45, 80) for b in range(beats)),
        "keys": tuple(Note(p, float(b), 1.9, 80) for b in range(0, beats, 2) for p in (60, 64, 67)),
        "bass": tuple(Note(36 + (b % 2) * 7, float(b), 0.9, 100) for b in range(beats)),
        "pad": tuple(Note(p, 0.0, float(beats), 60) for p in (55, 60, 64)),
        "arp": tuple(Note(60 + 4 * (i % 4), i * 0.25, 0.25, 85) for i in range(beats * 4)),
        "drums": tuple(Note(36 if b % 2 == 0 else 38, float(b), 0.1, 110) for b in range(beats))
        + tuple(Note(42, b * 0.5, 0.1, 70) for b in range(beats * 2)),
    }
    midi = build_midi({p: notes[p] for p in parts}, TEMPO, (4, 4), title=path.stem)
    return write_midi(path, midi)


def crash_child(conn, job_id, midi, preset, out_dir, *args) -> None:
    """A render process killed by its plugin (a segfault looks the same from outside); notes when."""
    (Path(out_dir) / f"{job_id}.crashed-at").write_text(repr(time.time()))
    os._exit(11)


def hang_child(conn, job_id, midi, preset, out_dir, *args) -> None:
    """A render process whose plugin hangs; it also starts a helper that a kill must reach."""
    os.setpgrp()
    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    (Path(out_dir) / f"{job_id}.helper-pid").write_text(str(helper.pid))
    time.sleep(3600)


def noting_child(conn, job_id, midi, preset, out_dir, *args) -> None:
    """A normal render that first notes its process id and whether its libraries were loaded before the job."""
    from bridge.render.service import render_child_main

    loaded = all(name in sys.modules for name in ("numpy", "pedalboard", "bridge.render.stems"))
    (Path(out_dir) / f"{job_id}.process").write_text(f"{os.getpid()} {loaded}")
    render_child_main(conn, job_id, midi, preset, out_dir, *args)
