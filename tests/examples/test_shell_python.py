"""Every shell and Python example runs against a live daemon and prints exactly what its comment promises."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import mido
import pytest

from bridge import __version__
from tests.bridge.live_fake import FakeClip
from tests.conftest import REPO

SHELL = sorted(p for p in (REPO / "examples" / "shell").glob("*.sh") if not p.name.startswith("_"))
PYTHON = sorted((REPO / "examples" / "python").glob("*.py"))
STAMP = r"[0-9a-f]{8}\.[0-9a-f]{8} "  # oscdump's time tag before each reply
NOTE = r"\(\d+, \d+\.\d+, \d+\.\d+, \d+\)"


def _run(argv: list[str], env: dict[str, str] | None = None) -> tuple[list[str], list[str]]:
    done = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})})
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout.splitlines(), done.stderr.splitlines()


def _match(pattern: str, line: str) -> re.Match:
    match = re.fullmatch(pattern, line)
    assert match, f"expected {pattern!r}, got {line!r}"
    return match


def _midi_file(path: str, daemon) -> dict[str, int]:
    """The notes per track of a result file, which must be in the daemon's output folder."""
    file = Path(path)
    assert file.parent == daemon.settings.output_dir.resolve() and file.is_file(), path
    return {track.name: sum(1 for m in track if m.type == "note_on" and m.velocity > 0)
            for track in mido.MidiFile(file).tracks[1:]}


# -- shell: oscdump's lines -------------------------------------------------------------------------

def _notes_then_done(lines: list[str], job: str, parts: set[str], daemon) -> None:
    """/continuo/notes lines for every chunk of each part, then the one /continuo/done line."""
    chunks: dict[str, set[int]] = {}
    counts: dict[str, int] = {}
    for line in lines[:-1]:
        match = _match(STAMP + rf'/continuo/notes sisii((?:iffi)+) "{job}" 1 "(\w+)" (\d+) (\d+)((?: \S+)+)', line)
        tags, part, chunk, total, values = match.groups()
        assert len(values.split()) == len(tags), line
        chunks.setdefault(part, set()).add(int(chunk))
        assert set(range(1, int(total) + 1)) >= chunks[part], line
        counts[part] = counts.get(part, 0) + len(tags) // 4
    assert set(chunks) == parts and all(chunks[p] == set(range(1, max(chunks[p]) + 1)) for p in parts), chunks
    path = _match(STAMP + rf'/continuo/done ss "{job}" "(\S+\.mid)"', lines[-1]).group(1)
    assert _midi_file(path, daemon) == counts


def _ping_sh(lines: list[str], daemon) -> None:
    assert len(lines) == 1
    _match(STAMP + f'/continuo/pong s "{re.escape(__version__)}"', lines[0])


def _accompany_sh(lines: list[str], daemon) -> None:
    _notes_then_done(lines, "sh-accompany", {"bass", "keys"}, daemon)


def _harmonize_sh(lines: list[str], daemon) -> None:
    _match(STAMP + '/continuo/clip/stored si "tune" 9', lines[0])
    _notes_then_done(lines[1:], "sh-harmonize", {"bass", "keys"}, daemon)


SHELL_OUTPUT: dict[str, Callable] = {"ping.sh": _ping_sh, "accompany.sh": _accompany_sh, "harmonize.sh": _harmonize_sh}


# -- Python: the log lines --------------------------------------------------------------------------

def _ping_py(lines: list[str], daemon) -> None:
    assert lines == [f"continuo {__version__}"]


def _harmonize_py(lines: list[str], daemon) -> None:
    assert len(lines) == 3, lines
    counts = {}
    for line, part in zip(lines, ("bass", "keys")):
        match = _match(rf"{part}: (\d+) notes, first \[{NOTE}(?:, {NOTE}){{0,2}}\]", line)
        counts[part] = int(match.group(1))
    path = _match(r"MIDI file: (\S+\.mid)", lines[2]).group(1)
    assert _midi_file(path, daemon) == counts


def _accompany_variations_py(lines: list[str], daemon) -> None:
    assert len(lines) == 3, lines
    for variation, line in enumerate(lines, start=1):
        match = _match(rf"variation {variation}: bass (\d+) notes, keys (\d+) notes, pad (\d+) notes -> (\S+-v{variation}\.mid)",
                       line)
        bass, keys, pad, path = match.groups()
        assert _midi_file(path, daemon) == {"bass": int(bass), "keys": int(keys), "pad": int(pad)}


def _ableton_harmonize_py(lines: list[str], daemon) -> None:
    assert len(lines) == 3, lines
    for line, part, track in zip(lines, ("bass", "keys"), (1, 2)):
        count = int(_match(rf"{part}: (\d+) notes on track {track + 1}, slot 1", line).group(1))
        assert len(daemon.live.tracks[track].slots[0].notes) == count
    path = _match(r"MIDI file: (\S+\.mid)", lines[2]).group(1)
    _midi_file(path, daemon)


PYTHON_OUTPUT: dict[str, Callable] = {"ping.py": _ping_py, "harmonize.py": _harmonize_py,
                                      "accompany_variations.py": _accompany_variations_py,
                                      "ableton_harmonize.py": _ableton_harmonize_py}


@pytest.mark.skipif(not shutil.which("oscsend") or not shutil.which("oscdump"), reason="liblo-tools not installed")
@pytest.mark.parametrize("script", SHELL, ids=lambda p: p.name)
def test_shell_example(daemon, script: Path) -> None:
    assert script.name in SHELL_OUTPUT, f"say what {script.name} prints: add it to SHELL_OUTPUT"
    out, err = _run(["bash", str(script)], {"CONTINUO_PORT": str(daemon.osc.port),
                                            "CONTINUO_REPLY_PORT": str(daemon.settings.reply_port)})
    assert err == []
    SHELL_OUTPUT[script.name](out, daemon)


@pytest.mark.parametrize("script", PYTHON, ids=lambda p: p.name)
def test_python_example(daemon, script: Path) -> None:
    assert script.name in PYTHON_OUTPUT, f"say what {script.name} prints: add it to PYTHON_OUTPUT"
    if script.name.startswith("ableton"):  # Live is the fake AbletonOSC peer, with a tune in slot 1
        live = daemon.live
        live.reset()
        live.tracks[0].slots[0] = FakeClip(8.0, [(72, 0.0, 2.0, 90, False), (76, 2.0, 2.0, 90, False),
                                                 (79, 4.0, 4.0, 90, False)])
    out, err = _run([sys.executable, str(script), "--port", str(daemon.osc.port),
                     "--reply-port", str(daemon.settings.reply_port)])
    assert out == []  # the examples log their results (to stderr)
    PYTHON_OUTPUT[script.name](err, daemon)
