"""The REAPER script runs in Lua 5.4 (REAPER's) against a fake REAPER, calling the real continuo CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import mido
import pytest

from tests.conftest import REPO

LUA = shutil.which("lua5.4") or shutil.which("lua")
SCRIPT = REPO / "examples" / "reaper" / "continuo.lua"
pytestmark = pytest.mark.skipif(LUA is None, reason="Lua 5.4 is not installed (Debian: lua5.4)")


def _lua(code: str, tmp_path: Path) -> str:
    done = subprocess.run([LUA, "-e", code], check=False, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_midi_writer_and_reader_round_trip_through_mido(tmp_path: Path) -> None:
    written = tmp_path / "item.mid"
    _lua(f'CONTINUO_NO_MAIN = true; local M = dofile("{SCRIPT}"); '
         f'M.write_midi("{written}", {{{{60, 0, 1, 90}}, {{64, 0.5, 1.5, 80}}, {{60, 1, 0.25, 70}}}}, 96, 3, 4)', tmp_path)
    midi = mido.MidiFile(written)
    assert midi.ticks_per_beat == 480
    assert round(mido.tempo2bpm(next(m.tempo for m in midi.tracks[0] if m.type == "set_tempo"))) == 96
    ons = [m for m in midi.tracks[0] if m.type == "note_on"]
    assert [(m.note, m.velocity) for m in ons] == [(60, 90), (64, 80), (60, 70)]
    read = _lua(f'CONTINUO_NO_MAIN = true; local M = dofile("{SCRIPT}"); '
                f'for _, p in ipairs(M.read_midi("{written}")) do for _, n in ipairs(p.notes) do '
                f'print(n[1], n[2], n[3], n[4]) end end', tmp_path)
    assert sorted(tuple(float(v) for v in line.split()) for line in read.splitlines()) == [
        (60, 0, 1, 90), (60, 1, 0.25, 70), (64, 0.5, 1.5, 80)]


FAKE = Path(__file__).with_name("fake_reaper.lua")


def test_script_inserts_each_part_on_a_new_track_at_the_item(tmp_path: Path) -> None:
    continuo = Path(sys.executable).with_name("continuo")
    out = _lua(f'CONTINUO = "{continuo}"; FAKE_RESOURCES = "{tmp_path}"; FAKE_SCRIPT = "{SCRIPT}"; '
               'FAKE_ANSWERS = {Task = "harmonize", Parts = "bass, keys", Bars = "4", Seed = "3"}; '
               f'dofile("{FAKE}")', tmp_path)
    lines = out.strip().splitlines()
    assert lines[0].startswith("track 1 tune") and "notes 10" in lines[0]  # the source is untouched
    assert [line.split(" | ")[0] for line in lines[1:3]] == ["track 2 continuo bass", "track 3 continuo keys"]
    for line in lines[1:3]:
        assert "start_qn 4.000" in line and int(line.split("notes ")[1].split()[0]) > 0
    # the dialog REAPER shows: one label per field, each saying what goes there
    assert [label.split()[0] for label in lines[3].split(" | ")[1:]] == ["Task:", "Parts:", "Bars", "Chords", "Seed"]
    sent = mido.MidiFile(next((tmp_path / "continuo").glob("item-*.mid")))
    assert sum(1 for m in sent.tracks[0] if m.type == "note_on") == 9  # the muted note stays home


@pytest.mark.parametrize("captions, defaults, answers, expected", [
    ("A,B,extrawidth=100", "1,2", "{B = 'x'}", "1,x"),
    ("A,B,separator=;", "1,2;3", "{}", "1,2;3"),  # separator= splits the values, never the labels
    ("A,B,separator=\n", "", "{A = 'a,b'}", "a,b\n"),
])
def test_fake_dialog_returns_values_as_reaper_does(tmp_path: Path, captions, defaults, answers, expected) -> None:
    out = _lua(f'FAKE_ANSWERS = {answers}; dofile("{FAKE}"); '
               f'local ok, csv = reaper.GetUserInputs("t", 2, {json.dumps(captions)}, {json.dumps(defaults)}); '
               'io.write(tostring(ok), "|", csv)', tmp_path)
    assert out == f"true|{expected}"


def test_a_label_with_a_comma_shifts_the_dialog_and_fails(tmp_path: Path) -> None:
    done = subprocess.run([LUA, "-e", f'dofile("{FAKE}"); reaper.GetUserInputs("t", 2, '
                           '"Parts (e.g. bass,keys),Seed,separator=;", "bass,keys;")'],
                          capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert done.returncode != 0 and "3 labels for 2 fields" in done.stderr


def test_fake_counts_events_as_reaper_does(tmp_path: Path) -> None:
    out = _lua(f'dofile("{FAKE}"); local take = reaper.GetActiveTake(reaper.GetSelectedMediaItem(0, 0)); '
               'print(math.type((reaper.MIDI_CountEvts(take))), select("#", reaper.MIDI_CountEvts(take)), '
               'select(2, reaper.MIDI_CountEvts(take)))', tmp_path)
    assert out.split()[:3] == ["integer", "4", "10"]  # retval, notecnt, ccevtcnt, textsyxevtcnt
